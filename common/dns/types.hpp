// RR type and class codes with their mnemonics (RFC 1035, RFC 3597 TYPEnnn/CLASSnnn forms).
// Plain enums over the 16-bit code, so every value, known or not, is representable. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flatsign::dns {

enum class RRType : uint16_t {
  A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  PTR = 12,
  HINFO = 13,
  MX = 15,
  TXT = 16,
  RP = 17,
  AFSDB = 18,
  AAAA = 28,
  LOC = 29,
  SRV = 33,
  NAPTR = 35,
  KX = 36,
  CERT = 37,
  DNAME = 39,
  OPT = 41,
  APL = 42,
  DS = 43,
  SSHFP = 44,
  RRSIG = 46,
  NSEC = 47,
  DNSKEY = 48,
  DHCID = 49,
  NSEC3 = 50,
  NSEC3PARAM = 51,
  TLSA = 52,
  SMIMEA = 53,
  CDS = 59,
  CDNSKEY = 60,
  OPENPGPKEY = 61,
  CSYNC = 62,
  ZONEMD = 63,
  SVCB = 64,
  HTTPS = 65,
  SPF = 99,
  EUI48 = 108,
  EUI64 = 109,
  TKEY = 249,
  TSIG = 250,
  IXFR = 251,
  AXFR = 252,
  ANY = 255,
  URI = 256,
  CAA = 257,
  ALIAS = 65401,  // PowerDNS's private-use code, so zone files move between the two
};

enum class RRClass : uint16_t { IN = 1, CH = 3, HS = 4, NONE = 254, ANY = 255 };

// "A", "ALIAS", or "TYPE65534" for codes without a mnemonic.
std::string type_to_string(RRType t);
// Accepts mnemonics (case-insensitive) and "TYPEnnn"; nullopt otherwise.
std::optional<RRType> type_from_string(std::string_view s);
std::string class_to_string(RRClass c);
std::optional<RRClass> class_from_string(std::string_view s);

// Private-use codes (RFC 6895 §3.1: 65280-65534), ALIAS among them: no other tool need know
// their mnemonic or RDATA format.
bool is_private_use(RRType t);
// type_to_string, but "TYPE65401" for private-use codes: the form any tool reads (RFC 3597 §5).
std::string type_to_portable_string(RRType t);

// Meta and pseudo types (RFC 6895 §3.1): never stored in a zone.
bool is_meta_type(RRType t);

}  // namespace flatsign::dns
