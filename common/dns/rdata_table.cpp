#include "common/dns/rdata_table.hpp"

#include <initializer_list>
#include <vector>

namespace flatsign::dns::detail {
namespace {

using K = FieldKind;
constexpr uint8_t kRfc1035Name = kCompress | kDecompress | kLower;
constexpr uint8_t kLaterName = kDecompress | kLower;  // RFC 3597 §4 "receivers decompress"

TypeDescriptor row(RRType t, std::initializer_list<FieldSpec> fields) {
  TypeDescriptor d{t, static_cast<uint8_t>(fields.size()), {}, false, false};
  size_t i = 0;
  for (const auto& f : fields) {
    d.fields[i++] = f;
    if (f.kind == K::Name && (f.flags & kCompress)) d.has_compressible_name = true;
    if (f.kind == K::Name && (f.flags & kLower)) d.has_lowercased_name = true;
  }
  return d;
}

std::vector<TypeDescriptor> build_table() {
  const FieldSpec name1035{K::Name, kRfc1035Name};
  const FieldSpec name_later{K::Name, kLaterName};
  const FieldSpec name_plain{K::Name, 0};  // no compression, case kept in canonical form
  return {
      row(RRType::A, {{K::Ipv4}}),
      row(RRType::NS, {name1035}),
      row(RRType::CNAME, {name1035}),
      row(RRType::SOA,
          {name1035, name1035, {K::U32}, {K::Period}, {K::Period}, {K::Period}, {K::Period}}),
      row(RRType::PTR, {name1035}),
      row(RRType::HINFO, {{K::Str}, {K::Str}}),
      row(RRType::MX, {{K::U16}, name1035}),
      row(RRType::TXT, {{K::StrList}}),
      row(RRType::RP, {name_later, name_later}),
      row(RRType::AFSDB, {{K::U16}, name_later}),
      row(RRType::AAAA, {{K::Ipv6}}),
      row(RRType::SRV, {{K::U16}, {K::U16}, {K::U16}, name_later}),
      row(RRType::NAPTR, {{K::U16}, {K::U16}, {K::Str}, {K::Str}, {K::Str}, name_later}),
      row(RRType::KX, {{K::U16}, name_later}),
      // RFC 6672 §2.5: DNAME targets are not compressed; RFC 4034 §6.2 lowercases them.
      row(RRType::DNAME, {{K::Name, kLower}}),
      row(RRType::DS, {{K::U16}, {K::U8}, {K::U8}, {K::Hex}}),
      row(RRType::CDS, {{K::U16}, {K::U8}, {K::U8}, {K::Hex}}),
      row(RRType::SSHFP, {{K::U8}, {K::U8}, {K::Hex}}),
      row(RRType::RRSIG, {{K::TypeCode},
                          {K::U8},
                          {K::U8},
                          {K::U32},
                          {K::Time},
                          {K::Time},
                          {K::U16},
                          {K::Name, kLower},
                          {K::Base64}}),
      // RFC 6840 §5.1: the NSEC next owner name is not lowercased.
      row(RRType::NSEC, {name_plain, {K::TypeBitmap}}),
      row(RRType::DNSKEY, {{K::U16}, {K::U8}, {K::U8}, {K::Base64}}),
      row(RRType::CDNSKEY, {{K::U16}, {K::U8}, {K::U8}, {K::Base64}}),
      row(RRType::DHCID, {{K::Base64}}),
      row(RRType::NSEC3,
          {{K::U8}, {K::U8}, {K::U16}, {K::HexLen8}, {K::Base32Len8}, {K::TypeBitmap}}),
      row(RRType::NSEC3PARAM, {{K::U8}, {K::U8}, {K::U16}, {K::HexLen8}}),
      row(RRType::TLSA, {{K::U8}, {K::U8}, {K::U8}, {K::Hex}}),
      row(RRType::SMIMEA, {{K::U8}, {K::U8}, {K::U8}, {K::Hex}}),
      row(RRType::OPENPGPKEY, {{K::Base64}}),
      row(RRType::CSYNC, {{K::U32}, {K::U16}, {K::TypeBitmap}}),
      row(RRType::ZONEMD, {{K::U32}, {K::U8}, {K::U8}, {K::Hex}}),
      // RFC 9460 §2.2: TargetName is uncompressed and not lowercased.
      row(RRType::SVCB, {{K::U16}, name_plain, {K::SvcParams}}),
      row(RRType::HTTPS, {{K::U16}, name_plain, {K::SvcParams}}),
      row(RRType::SPF, {{K::StrList}}),
      row(RRType::URI, {{K::U16}, {K::U16}, {K::RestString}}),
      row(RRType::CAA, {{K::U8}, {K::CaaTag}, {K::RestString}}),
      // PowerDNS's ALIAS: a single uncompressed target name; never signed, never lowercased.
      row(RRType::ALIAS, {name_plain}),
  };
}

const std::vector<TypeDescriptor>& table() {
  static const std::vector<TypeDescriptor> t = build_table();
  return t;
}

struct Index {
  std::array<const TypeDescriptor*, 512> low{};
  const TypeDescriptor* alias = nullptr;
  Index() {
    for (const auto& d : table()) {
      auto code = static_cast<uint16_t>(d.type);
      if (code < low.size()) low[code] = &d;
      if (d.type == RRType::ALIAS) alias = &d;
    }
  }
};

}  // namespace

const TypeDescriptor* find_descriptor(RRType type) {
  static const Index index;
  auto code = static_cast<uint16_t>(type);
  if (code < index.low.size()) return index.low[code];
  return type == RRType::ALIAS ? index.alias : nullptr;
}

}  // namespace flatsign::dns::detail
