#include "slave/catalog.hpp"

#include <fmt/format.h>

#include "common/dns/rdata.hpp"

namespace flatsign::slave {
namespace {
using dns::RRType;

// The character-strings of one TXT RDATA, joined (a group is one string, §4.4.2).
std::string txt_text(std::span<const uint8_t> w) {
  std::string out;
  for (size_t i = 0; i < w.size();) {
    const size_t len = w[i];
    out.append(reinterpret_cast<const char*>(w.data()) + i + 1, std::min(len, w.size() - i - 1));
    i += len + 1;
  }
  return out;
}

dns::Name ptr_target(std::span<const uint8_t> rd) {
  return dns::Name::from_wire_unchecked(rd);  // the builder checked the RDATA's name
}

std::string lower(std::string_view label) {
  std::string out(label);
  for (char& c : out) c = static_cast<char>(dns::dns_lower(static_cast<uint8_t>(c)));
  return out;
}
}  // namespace

CatalogMembers parse_catalog(const zone::Zone& catalog) {
  const dns::Name& origin = catalog.origin();
  const dns::Name version = dns::Name::parse("version", &origin);
  const dns::Name zones = dns::Name::parse("zones", &origin);
  const dns::RRset* v = catalog.find(version, RRType::TXT);
  if (!v || v->rdatas.size() != 1)
    throw CatalogError(fmt::format("{}: {} TXT RRs: a catalog has exactly one (RFC 9432 §4.3.1)",
                                   version.to_string(), v ? v->rdatas.size() : 0));
  const std::string schema = txt_text(v->rdatas.front());
  if (schema != "2")
    throw CatalogError(
        fmt::format("{}: schema version \"{}\", only \"2\" is understood "
                    "(RFC 9432 §4.3.1: the catalog is not processed)",
                    version.to_string(), schema));
  CatalogMembers out;
  std::map<std::string, dns::Name> by_id;
  // Member nodes are <unique-N>.zones.<catalog>; properties are one label further down.
  const size_t member_labels = zones.label_count() + 1;
  for (const auto& node : catalog.nodes()) {
    const dns::Name& owner = node.name;
    if (!owner.is_subdomain_of(zones) || owner.label_count() != member_labels) continue;
    const dns::RRset* ptr = node.find(RRType::PTR);
    if (!ptr) continue;  // a node with properties only is not a member (§4.2)
    if (ptr->rdatas.size() != 1)
      throw CatalogError(fmt::format("{}: {} PTR RRs: a member has exactly one (RFC 9432 §4.2)",
                                     owner.to_string(), ptr->rdatas.size()));
    const dns::Name member = ptr_target(ptr->rdatas.front());
    if (member == origin)
      throw CatalogError(fmt::format("{}: the catalog lists itself", owner.to_string()));
    CatalogEntry e;
    e.id = lower(owner.first_label());
    if (auto [it, fresh] = out.emplace(member, e); !fresh)
      throw CatalogError(
          fmt::format("{} is listed twice ({} and {}): the catalog is broken "
                      "(RFC 9432 §4.2)",
                      member.to_string(), it->second.id, e.id));
    by_id.emplace(e.id, member);
  }
  // Properties: group.<id>.zones and coo.<id>.zones.
  for (const auto& node : catalog.nodes()) {
    const dns::Name& owner = node.name;
    if (!owner.is_subdomain_of(zones) || owner.label_count() != member_labels + 1) continue;
    const std::string prop = lower(owner.first_label());
    auto it = by_id.find(lower(owner.parent().first_label()));
    if (it == by_id.end()) continue;  // a property of no member: ignored (§4.1)
    CatalogEntry& e = out[it->second];
    if (prop == "group") {
      if (const dns::RRset* t = node.find(RRType::TXT))
        for (const auto& rd : t->rdatas) e.groups.push_back(txt_text(rd));
    } else if (prop == "coo") {
      const dns::RRset* p = node.find(RRType::PTR);
      if (p && p->rdatas.size() != 1)
        throw CatalogError(fmt::format("{}: {} PTR RRs: coo has exactly one (RFC 9432 §4.4.1)",
                                       owner.to_string(), p->rdatas.size()));
      if (p) e.coo = ptr_target(p->rdatas.front());
    }
  }
  return out;
}

}  // namespace flatsign::slave
