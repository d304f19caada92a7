#include "common/server/answer.hpp"

#include <algorithm>

#include "common/dns/rdata.hpp"

namespace flatsign::server {
namespace {

using dns::Name;
using dns::RRType;

constexpr int kMaxCnameChain = 8;

void append_rrset(std::vector<dns::Rr>& section, const dns::RRset& set,
                  const Name* owner = nullptr) {
  for (const dns::Rdata& rd : set.rdatas) {
    section.push_back(dns::Rr{owner ? *owner : set.owner, set.type, set.rclass, set.ttl, rd});
  }
}

// True when `name` owns data or is an empty non-terminal (RFC 4592 §2.2.2).
bool name_exists(const zone::Zone& zone, const Name& name) {
  if (zone.find(name)) return true;
  auto nodes = zone.nodes();
  size_t i = zone.predecessor(name) + 1;
  return i < nodes.size() && nodes[i].name.is_subdomain_of(name);
}

// The negative-answer SOA: TTL is min(SOA TTL, MINIMUM) (RFC 2308 §3).
void add_soa_authority(const zone::Zone& zone, dns::Message& resp) {
  const dns::RRset& soa = zone.soa();
  uint32_t ttl = std::min(soa.ttl, dns::soa_minimum(soa.rdatas.front()));
  resp.authority.push_back(dns::Rr{soa.owner, RRType::SOA, soa.rclass, ttl, soa.rdatas.front()});
}

void add_glue(const zone::Zone& zone, const dns::RRset& ns, dns::Message& resp) {
  for (const dns::Rdata& rd : ns.rdatas) {
    auto target = dns::rdata_target(RRType::NS, rd);
    if (!target || !target->is_subdomain_of(zone.origin())) continue;
    for (RRType t : {RRType::A, RRType::AAAA}) {
      if (const dns::RRset* g = zone.find(*target, t)) append_rrset(resp.additional, *g);
    }
  }
}

// A zone cut strictly above `qname` (or at it, unless DS is asked: RFC 4035 §3.1.4.1 answers
// DS at the cut from the parent side). nullptr when there is none.
const zone::Node* find_cut(const zone::Zone& zone, const Name& qname, RRType qtype) {
  size_t below = qname.label_count() - zone.origin().label_count();
  for (size_t strip = below; strip-- > 0;) {
    Name n = qname.strip_left(strip);
    const zone::Node* node = zone.find(n);
    if (!node || !node->delegation) continue;
    if (strip == 0 && qtype == RRType::DS) return nullptr;
    return node;
  }
  return nullptr;
}

}  // namespace

void answer_from_zone(const zone::Zone& zone, const dns::Question& q, dns::Message& resp) {
  resp.aa = true;
  resp.rcode = static_cast<uint16_t>(dns::Rcode::NOERROR);
  Name qname = q.qname;
  for (int chain = 0; chain <= kMaxCnameChain; ++chain) {
    if (!qname.is_subdomain_of(zone.origin())) return;  // CNAME left the zone: client resolves
    if (const zone::Node* cut = find_cut(zone, qname, q.qtype)) {
      // RFC 1034 §4.3.2 step 3b: a referral, not authoritative.
      if (chain == 0) resp.aa = false;
      const dns::RRset* ns = cut->find(RRType::NS);
      append_rrset(resp.authority, *ns);
      add_glue(zone, *ns, resp);
      return;
    }
    const zone::Node* node = zone.find(qname);
    const Name* synth_owner = nullptr;
    if (!node) {
      if (name_exists(zone, qname)) {  // empty non-terminal: NODATA (RFC 4592 §2.2.2)
        add_soa_authority(zone, resp);
        return;
      }
      // RFC 4592 §3.3.1: the source of synthesis is "*." + the closest encloser.
      Name encloser = qname.parent();
      while (!name_exists(zone, encloser) && encloser != zone.origin())
        encloser = encloser.parent();
      node = zone.find(encloser.prepend("*"));
      if (!node) {
        if (chain == 0) resp.rcode = static_cast<uint16_t>(dns::Rcode::NXDOMAIN);  // §4.3.2 3c
        add_soa_authority(zone, resp);
        return;
      }
      synth_owner = &qname;  // RFC 4592 §3.3.1: owner is QNAME
    }
    if (q.qtype == RRType::ANY) {
      for (const dns::RRset& s : node->rrsets) append_rrset(resp.answer, s, synth_owner);
      return;
    }
    if (const dns::RRset* s = node->find(q.qtype)) {
      append_rrset(resp.answer, *s, synth_owner);
      return;
    }
    if (const dns::RRset* c = node->find(RRType::CNAME); c && q.qtype != RRType::CNAME) {
      // RFC 1034 §4.3.2 step 3a: restart at the canonical name.
      append_rrset(resp.answer, *c, synth_owner);
      auto target = dns::rdata_target(RRType::CNAME, c->rdatas.front());
      if (!target) return;
      qname = *target;
      continue;
    }
    add_soa_authority(zone, resp);  // NODATA (RFC 2308 §2.2)
    return;
  }
}

}  // namespace flatsign::server
