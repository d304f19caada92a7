#include "common/server/rrset_refs.hpp"

#include <algorithm>

namespace flatsign::server {
namespace {

using dns::RRType;

// RFC 4034 §3.1: the first two RDATA octets of an RRSIG name the type it covers.
bool covers(std::span<const uint8_t> rrsig, RRType type) {
  return rrsig.size() >= 2 && static_cast<RRType>(rrsig[0] << 8 | rrsig[1]) == type;
}

}  // namespace

void AnswerRefs::clear() {
  answer.clear();
  authority.clear();
  additional.clear();
  rcode = 0;
  aa = false;
}

bool append_signed(RefSection& section, const zone::Node& node, RRType type, bool dnssec,
                   WireName owner, std::optional<uint32_t> ttl) {
  const dns::RRset* set = node.find(type);
  if (!set) return false;
  WireName own = owner.empty() ? set->owner.wire() : owner;
  bool present = std::any_of(section.begin(), section.end(), [&](const RRsetRef& r) {
    return r.set->type == type && wire_equal(r.owner, own);
  });
  if (present) return true;
  const dns::RRset* sigs = dnssec && type != RRType::RRSIG ? node.find(RRType::RRSIG) : nullptr;
  section.push_back({set, sigs, own, ttl ? *ttl : set->ttl, std::nullopt});
  return true;
}

bool append_rrsigs(RefSection& section, const zone::Node& node, WireName owner) {
  const dns::RRset* set = node.find(RRType::RRSIG);
  if (!set) return false;
  WireName own = owner.empty() ? set->owner.wire() : owner;
  // Canonical RDATA order (RFC 4034 §6.3) sorts the signatures by the type they cover, their
  // first two octets: one entry per run.
  std::optional<RRType> last;
  for (dns::RdataRef rd : set->rdatas) {
    if (rd.size() < 2) continue;
    auto t = static_cast<RRType>(rd[0] << 8 | rd[1]);
    if (t == last) continue;
    last = t;
    section.push_back({set, nullptr, own, node.record_ttl(*set, rd), t});
  }
  return true;
}

void copy_records(const RefSection& section, std::vector<dns::Rr>& out) {
  for (const RRsetRef& r : section) {
    dns::Name owner = dns::Name::from_wire_unchecked(r.owner);
    for (dns::RdataRef rd : r.set->rdatas) {
      if (r.covered && !covers(rd, *r.covered)) continue;
      out.push_back({owner, r.set->type, r.set->rclass, r.ttl, rd.to_rdata()});
    }
    if (!r.sigs) continue;
    for (dns::RdataRef rd : r.sigs->rdatas) {
      if (covers(rd, r.set->type))
        out.push_back({owner, RRType::RRSIG, r.sigs->rclass, r.ttl, rd.to_rdata()});
    }
  }
}

bool write_section(const RefSection& section, dns::Section where, dns::MessageWriter& w) {
  bool additional = where == dns::Section::Additional;
  for (const RRsetRef& r : section) {
    const dns::RRset& s = *r.set;
    if (!w.add_records(where, r.owner, s.type, s.rclass, r.ttl, s.rdatas, r.covered) && !additional)
      return false;
    if (r.sigs &&
        !w.add_records(where, r.owner, RRType::RRSIG, r.sigs->rclass, r.ttl, r.sigs->rdatas,
                       s.type) &&
        !additional)
      return false;
  }
  return true;
}

}  // namespace flatsign::server
