// The RDATA descriptor table: each known type's fields, listed once, as data (after Knot's
// descriptor table). Internal to the codec in rdata.cpp; read-only after static init.
#pragma once

#include <array>
#include <cstdint>

#include "common/dns/types.hpp"

namespace flatsign::dns::detail {

enum class FieldKind : uint8_t {
  U8,
  U16,
  U32,
  Period,      // u32; text also takes TTL units ("1h") as BIND does for SOA timers
  Ipv4,        // 4 octets
  Ipv6,        // 16 octets
  Name,        // uncompressed domain name; see NameFlags
  Str,         // <character-string>: length octet + up to 255 octets
  StrList,     // one or more <character-string>s to the end (TXT, SPF)
  Base64,      // rest of RDATA, base64 text split over any number of tokens
  Hex,         // rest of RDATA, hex text split over any number of tokens
  HexLen8,     // length octet + octets; text is hex or "-" for empty (NSEC3 salt)
  Base32Len8,  // length octet + octets; text is base32hex (NSEC3 next hashed owner)
  TypeBitmap,  // rest of RDATA: RFC 4034 §4.1.2 window blocks; text is a list of types
  TypeCode,    // u16 printed as a type mnemonic (RRSIG type covered)
  Time,        // u32 seconds; text YYYYMMDDHHmmSS or decimal (RFC 4034 §3.2)
  CaaTag,      // length octet + tag; text unquoted (RFC 8659 §4.1)
  RestString,  // rest of RDATA as raw octets; text one quoted string (CAA value, URI target)
  SvcParams,   // rest of RDATA: RFC 9460 SvcParams; text key=value list
};

enum NameFlags : uint8_t {
  kCompress = 1,    // may be compressed when written (RFC 3597 §4: NS, CNAME, SOA, PTR, MX)
  kDecompress = 2,  // receivers must decompress (RFC 3597 §4 list)
  kLower = 4,       // lowercased in canonical form (RFC 4034 §6.2 as amended by RFC 6840 §5.1)
};

struct FieldSpec {
  FieldKind kind;
  uint8_t flags = 0;
};

struct TypeDescriptor {
  RRType type;
  uint8_t count;
  std::array<FieldSpec, 9> fields;
  bool has_compressible_name;
  bool has_lowercased_name;
};

// The descriptor for `type`, or nullptr for types handled only by RFC 3597 generic form.
const TypeDescriptor* find_descriptor(RRType type);

}  // namespace flatsign::dns::detail
