#include "common/server/answer.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "common/dns/rdata.hpp"

namespace flatsign::server {
namespace {

using dns::Name;
using dns::RRType;

constexpr int kMaxCnameChain = 8;

// The node owning `name`, or nullptr; as NameIndex::find, an NSEC3 owner is no name of the
// zone (RFC 5155 §7.2.8).
const zone::Node* find_node(const zone::Zone& zone, const Name& name) {
  const zone::Node* node = zone.find(name);
  return node && !nsec3_only(*node) ? node : nullptr;
}

// True when `name` owns data or is an empty non-terminal (RFC 4592 §2.2.2).
bool name_exists(const zone::Zone& zone, const Name& name) {
  if (find_node(zone, name)) return true;
  auto nodes = zone.nodes();
  size_t i = zone.predecessor(name) + 1;
  return i < nodes.size() && nodes[i].name.is_subdomain_of(name);
}

// What one answer needs besides the question: the zone, the response and the proofs to give.
struct Ctx {
  const zone::Zone& zone;
  AnswerRefs& resp;
  bool dnssec;
  const DenialIndex* proofs;  // nullptr: no denial proofs (no DO, or an unsigned zone)
  const NameIndex* names;     // the snapshot's hash index; nullptr: search the zone instead
  size_t origin_labels;

  bool nsec() const { return proofs && proofs->kind() == DenialIndex::Kind::Nsec; }
  bool nsec3() const { return proofs && proofs->kind() == DenialIndex::Kind::Nsec3; }
  const zone::Node* find(WireName name) const {
    return names ? names->find(name) : find_node(zone, Name::from_wire_unchecked(name));
  }
  bool exists(WireName name) const {
    return names ? names->exists(name) : name_exists(zone, Name::from_wire_unchecked(name));
  }
};

// The negative-answer SOA and its RRSIG: TTL min(SOA TTL, MINIMUM) (RFC 2308 §3 and §5, RFC 9077
// §3 for the signature's TTL).
void add_negative_soa(const Ctx& c) {
  const dns::RRset& soa = c.zone.soa();
  uint32_t ttl = std::min(soa.ttl, dns::soa_minimum(soa.rdatas.front()));
  (void)append_signed(c.resp.authority, c.zone.nodes().front(), RRType::SOA, c.dnssec, {}, ttl);
}

// Glue for the NS targets below the cut (RFC 1034 §4.3.2 step 3b), never signed.
void add_glue(const Ctx& c, const dns::RRset& ns) {
  for (dns::RdataRef rd : ns.rdatas) {
    WireName target(rd);  // NS RDATA is the target's uncompressed wire name (RFC 1035 §3.3.11)
    if (!wire_is_subdomain(target, c.zone.origin().wire())) continue;
    if (const zone::Node* g = c.find(target)) {
      for (RRType t : {RRType::A, RRType::AAAA})
        (void)append_signed(c.resp.additional, *g, t, false);
    }
  }
}

// A zone cut strictly above `qname` (or at it, unless DS is asked: RFC 4035 §3.1.4.1 answers
// DS at the cut from the parent side). nullptr when there is none.
const zone::Node* find_cut(const Ctx& c, WireName qname, RRType qtype) {
  size_t below = wire_label_count(qname) - c.origin_labels;
  for (size_t strip = below; strip-- > 0;) {
    const zone::Node* node = c.find(wire_suffix(qname, strip));
    if (!node || !node->delegation) continue;
    if (strip == 0 && qtype == RRType::DS) return nullptr;
    return node;
  }
  return nullptr;
}

// RFC 1034 §4.3.2 step 3b: NS in authority (unsigned, RFC 4035 §2.2), glue in additional, and
// with DO the signed DS or the proof that there is none (RFC 4035 §3.1.4, RFC 5155 §7.2.7).
void referral(const Ctx& c, const zone::Node& cut) {
  (void)append_signed(c.resp.authority, cut, RRType::NS, false);
  if (c.dnssec && !append_signed(c.resp.authority, cut, RRType::DS, true)) {
    if (c.nsec()) nsec_nodata(*c.proofs, cut.name.wire(), c.resp.authority);
    if (c.nsec3()) nsec3_no_ds(*c.proofs, cut.name.wire(), c.resp.authority);
  }
  add_glue(c, *cut.find(RRType::NS));
}

// The closest encloser of a name that does not exist (RFC 4592 §3.3.1): a suffix of `qname`.
WireName closest_encloser(const Ctx& c, WireName qname) {
  size_t below = wire_label_count(qname) - c.origin_labels;
  size_t strip = 1;
  while (strip < below && !c.exists(wire_suffix(qname, strip))) ++strip;
  return wire_suffix(qname, strip);
}

// The node of the wildcard "*." + `encloser` (RFC 4592 §3.3.1 source of synthesis), or nullptr.
const zone::Node* find_wildcard(const Ctx& c, WireName encloser) {
  if (encloser.size() + 2 > Name::kMaxWire) return nullptr;
  std::array<uint8_t, Name::kMaxWire> w;
  w[0] = 1;
  w[1] = '*';
  std::copy(encloser.begin(), encloser.end(), w.begin() + 2);
  return c.find(WireName(w.data(), encloser.size() + 2));
}

// RFC 8482 §4.1: answer ANY with one RRset; the lowest type that is not DNSSEC metadata.
std::optional<RRType> minimal_any_type(const zone::Node& node) {
  for (const dns::RRset& s : node.rrsets) {
    if (s.type != RRType::RRSIG && s.type != RRType::NSEC && s.type != RRType::NSEC3) return s.type;
  }
  return std::nullopt;
}

}  // namespace

void answer_refs(const zone::Zone& zone, WireName qname, RRType qtype, const AnswerOptions& options,
                 AnswerRefs& resp) {
  std::optional<DenialIndex> local;
  const DenialIndex* proofs = nullptr;
  if (options.dnssec) {
    proofs = options.denial;
    if (!proofs) proofs = &local.emplace(zone);
    if (proofs->kind() == DenialIndex::Kind::None) proofs = nullptr;
  }
  resp.clear();
  const Ctx c{zone,
              resp,
              options.dnssec,
              proofs,
              options.denial ? &options.denial->names() : nullptr,
              zone.origin().label_count()};
  auto& auth = resp.authority;
  resp.aa = true;
  resp.rcode = static_cast<uint16_t>(dns::Rcode::NOERROR);
  for (int chain = 0; chain <= kMaxCnameChain; ++chain) {
    if (!wire_is_subdomain(qname, zone.origin().wire())) return;  // CNAME left the zone
    if (const zone::Node* cut = find_cut(c, qname, qtype)) {
      if (chain == 0) resp.aa = false;  // RFC 1034 §4.3.2 step 3b: a referral
      referral(c, *cut);
      return;
    }
    const zone::Node* node = c.find(qname);
    std::optional<WireName> encloser;  // set when answering from a wildcard
    if (!node) {
      if (c.exists(qname)) {
        // Empty non-terminal: NODATA (RFC 4592 §2.2.2; proofs RFC 4035 §3.1.3.1, which the
        // covering NSEC gives, and RFC 5155 §7.2.3, the ENT's own NSEC3).
        add_negative_soa(c);
        if (c.nsec()) nsec_nodata(*proofs, qname, auth);
        if (c.nsec3()) nsec3_nodata(*proofs, qname, auth);
        return;
      }
      // RFC 4592 §3.3.1: the source of synthesis is "*." + the closest encloser.
      encloser = closest_encloser(c, qname);
      node = find_wildcard(c, *encloser);
      if (!node) {
        // RFC 1034 §4.3.2 step 3c, RFC 6604 §3: NXDOMAIN for the last name of the chain;
        // proofs RFC 4035 §3.1.3.2, RFC 5155 §7.2.2.
        resp.rcode = static_cast<uint16_t>(dns::Rcode::NXDOMAIN);
        add_negative_soa(c);
        if (c.nsec()) nsec_nxdomain(*proofs, qname, *encloser, auth);
        if (c.nsec3()) nsec3_nxdomain(*proofs, qname, *encloser, auth);
        return;
      }
    }
    WireName owner = encloser ? qname : WireName{};  // RFC 4592 §3.3.1: owner is QNAME
    // A wildcard answer proves that QNAME itself does not exist (RFC 4035 §3.1.3.3,
    // RFC 5155 §7.2.6).
    auto prove_wildcard_answer = [&] {
      if (!encloser) return;
      if (c.nsec()) nsec_wildcard_answer(*proofs, qname, auth);
      if (c.nsec3()) nsec3_wildcard_answer(*proofs, qname, *encloser, auth);
    };
    RRType want = qtype;
    if (want == RRType::ANY) {
      if (auto t = minimal_any_type(*node)) want = *t;
    }
    // QTYPE RRSIG: every signature at the name (RFC 4035 §3.1.5 leaves the choice), each with
    // the TTL of the RRset it covers (RFC 4034 §3), not one TTL for all.
    if (want == RRType::RRSIG ? append_rrsigs(resp.answer, *node, owner)
                              : append_signed(resp.answer, *node, want, c.dnssec, owner)) {
      prove_wildcard_answer();
      return;
    }
    if (qtype != RRType::CNAME && node->find(RRType::CNAME)) {
      // RFC 1034 §4.3.2 step 3a: restart at the canonical name, whose wire form is the CNAME
      // RDATA itself (RFC 1035 §3.3.1), valid as long as the snapshot.
      (void)append_signed(resp.answer, *node, RRType::CNAME, c.dnssec, owner);
      prove_wildcard_answer();
      const dns::RRset* cname = node->find(RRType::CNAME);
      if (cname->rdatas.empty()) return;
      qname = WireName(cname->rdatas.front());
      continue;
    }
    // NODATA (RFC 2308 §2.2); proofs RFC 4035 §3.1.3.1 / §3.1.3.4, RFC 5155 §7.2.3 / §7.2.5.
    add_negative_soa(c);
    if (encloser) {
      if (c.nsec()) nsec_wildcard_nodata(*proofs, qname, node->name.wire(), auth);
      if (c.nsec3()) nsec3_wildcard_nodata(*proofs, qname, *encloser, auth);
    } else {
      if (c.nsec()) nsec_nodata(*proofs, qname, auth);
      if (c.nsec3()) nsec3_nodata(*proofs, qname, auth);
    }
    return;
  }
}

void answer_from_zone(const zone::Zone& zone, const dns::Question& q, dns::Message& resp,
                      const AnswerOptions& options) {
  AnswerRefs refs;
  answer_refs(zone, q.qname.wire(), q.qtype, options, refs);
  resp.aa = refs.aa;
  resp.rcode = refs.rcode;
  copy_records(refs.answer, resp.answer);
  copy_records(refs.authority, resp.authority);
  copy_records(refs.additional, resp.additional);
}

}  // namespace flatsign::server
