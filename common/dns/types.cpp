#include "common/dns/types.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace flatsign::dns {
namespace {

constexpr std::pair<RRType, std::string_view> kTypeNames[] = {
    {RRType::A, "A"},
    {RRType::NS, "NS"},
    {RRType::CNAME, "CNAME"},
    {RRType::SOA, "SOA"},
    {RRType::PTR, "PTR"},
    {RRType::HINFO, "HINFO"},
    {RRType::MX, "MX"},
    {RRType::TXT, "TXT"},
    {RRType::RP, "RP"},
    {RRType::AFSDB, "AFSDB"},
    {RRType::AAAA, "AAAA"},
    {RRType::LOC, "LOC"},
    {RRType::SRV, "SRV"},
    {RRType::NAPTR, "NAPTR"},
    {RRType::KX, "KX"},
    {RRType::CERT, "CERT"},
    {RRType::DNAME, "DNAME"},
    {RRType::OPT, "OPT"},
    {RRType::APL, "APL"},
    {RRType::DS, "DS"},
    {RRType::SSHFP, "SSHFP"},
    {RRType::RRSIG, "RRSIG"},
    {RRType::NSEC, "NSEC"},
    {RRType::DNSKEY, "DNSKEY"},
    {RRType::DHCID, "DHCID"},
    {RRType::NSEC3, "NSEC3"},
    {RRType::NSEC3PARAM, "NSEC3PARAM"},
    {RRType::TLSA, "TLSA"},
    {RRType::SMIMEA, "SMIMEA"},
    {RRType::CDS, "CDS"},
    {RRType::CDNSKEY, "CDNSKEY"},
    {RRType::OPENPGPKEY, "OPENPGPKEY"},
    {RRType::CSYNC, "CSYNC"},
    {RRType::ZONEMD, "ZONEMD"},
    {RRType::SVCB, "SVCB"},
    {RRType::HTTPS, "HTTPS"},
    {RRType::SPF, "SPF"},
    {RRType::EUI48, "EUI48"},
    {RRType::EUI64, "EUI64"},
    {RRType::TKEY, "TKEY"},
    {RRType::TSIG, "TSIG"},
    {RRType::IXFR, "IXFR"},
    {RRType::AXFR, "AXFR"},
    {RRType::ANY, "ANY"},
    {RRType::URI, "URI"},
    {RRType::CAA, "CAA"},
    {RRType::ALIAS, "ALIAS"},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

// Parses "<prefix><decimal 0..65535>" case-insensitively.
std::optional<uint16_t> generic_code(std::string_view s, std::string_view prefix) {
  if (s.size() <= prefix.size() || !iequals(s.substr(0, prefix.size()), prefix)) {
    return std::nullopt;
  }
  auto digits = s.substr(prefix.size());
  unsigned v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size() || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

}  // namespace

std::string type_to_string(RRType t) {
  for (const auto& [code, name] : kTypeNames) {
    if (code == t) return std::string(name);
  }
  return "TYPE" + std::to_string(static_cast<uint16_t>(t));
}

bool is_private_use(RRType t) {
  const auto v = static_cast<uint16_t>(t);
  return v >= 65280 && v <= 65534;
}

std::string type_to_portable_string(RRType t) {
  return is_private_use(t) ? "TYPE" + std::to_string(static_cast<uint16_t>(t)) : type_to_string(t);
}

std::optional<RRType> type_from_string(std::string_view s) {
  for (const auto& [code, name] : kTypeNames) {
    if (iequals(s, name)) return code;
  }
  // The ANAME draft's name for the same idea: read as ALIAS, written as ALIAS.
  if (iequals(s, "ANAME")) return RRType::ALIAS;
  if (auto v = generic_code(s, "TYPE")) return static_cast<RRType>(*v);
  return std::nullopt;
}

std::string class_to_string(RRClass c) {
  switch (c) {
    case RRClass::IN:
      return "IN";
    case RRClass::CH:
      return "CH";
    case RRClass::HS:
      return "HS";
    case RRClass::NONE:
      return "NONE";
    case RRClass::ANY:
      return "ANY";
  }
  return "CLASS" + std::to_string(static_cast<uint16_t>(c));
}

std::optional<RRClass> class_from_string(std::string_view s) {
  if (iequals(s, "IN")) return RRClass::IN;
  if (iequals(s, "CH")) return RRClass::CH;
  if (iequals(s, "HS")) return RRClass::HS;
  if (iequals(s, "NONE")) return RRClass::NONE;
  if (iequals(s, "ANY")) return RRClass::ANY;
  if (auto v = generic_code(s, "CLASS")) return static_cast<RRClass>(*v);
  return std::nullopt;
}

bool is_meta_type(RRType t) {
  auto v = static_cast<uint16_t>(t);
  return v == 0 || v == 41 || (v >= 128 && v <= 255);
}

}  // namespace flatsign::dns
