#include "common/server/nsec_proofs.hpp"

#include <algorithm>
#include <array>

#include "common/dns/encoding.hpp"
#include "common/dnssec/sign.hpp"

namespace flatsign::server {
namespace {

using dns::Name;
using dns::RRType;
using dnssec::Nsec3Hash;

// RFC 5155 §4.2 NSEC3PARAM RDATA: algorithm, flags, iterations, salt length, salt.
std::optional<dnssec::Nsec3Params> parse_nsec3param(const dns::Rdata& rd) {
  if (rd.size() < 5 || rd.size() != 5u + rd[4]) return std::nullopt;
  dnssec::Nsec3Params p;
  p.iterations = static_cast<uint16_t>(rd[2] << 8 | rd[3]);
  p.salt.assign(rd.begin() + 5, rd.end());
  return p;
}

void add_node(const zone::Node* node, RRType type, RefSection& out) {
  if (node) (void)append_signed(out, *node, type, true);
}

// The next closer name (RFC 5155 §1.3): `qname` cut to one label more than `encloser`.
Name next_closer(const Name& qname, const Name& encloser) {
  return qname.strip_left(qname.label_count() - encloser.label_count() - 1);
}

}  // namespace

DenialIndex::DenialIndex(const zone::Zone& zone) : zone_(&zone), names_(zone) {
  const zone::Node& apex = zone.nodes().front();
  if (const dns::RRset* param = apex.find(RRType::NSEC3PARAM); param && !param->rdatas.empty()) {
    if (auto p = parse_nsec3param(param->rdatas.front())) {
      kind_ = Kind::Nsec3;
      params_ = std::move(*p);
    }
  } else if (apex.find(RRType::NSEC)) {
    kind_ = Kind::Nsec;
  }
  if (kind_ != Kind::Nsec3) return;
  std::vector<uint8_t> raw;
  for (const zone::Node& n : zone.nodes()) {
    if (!n.find(RRType::NSEC3) || n.name.label_count() != zone.origin().label_count() + 1) continue;
    raw.clear();
    Nsec3Hash h{};
    if (!dns::base32hex_decode(n.name.first_label(), raw) || raw.size() != h.size()) continue;
    std::copy(raw.begin(), raw.end(), h.begin());
    nsec3_.emplace_back(h, &n);
  }
  std::sort(nsec3_.begin(), nsec3_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

const zone::Node* DenialIndex::nsec3_matching(const Nsec3Hash& h) const {
  auto it = std::lower_bound(nsec3_.begin(), nsec3_.end(), h,
                             [](const auto& e, const Nsec3Hash& v) { return e.first < v; });
  return it != nsec3_.end() && it->first == h ? it->second : nullptr;
}

const zone::Node* DenialIndex::nsec3_covering(const Nsec3Hash& h) const {
  if (nsec3_.empty()) return nullptr;
  auto it = std::lower_bound(nsec3_.begin(), nsec3_.end(), h,
                             [](const auto& e, const Nsec3Hash& v) { return e.first < v; });
  // RFC 5155 §1.3: the last record (whose next hash wraps to the first) covers hashes below
  // the first owner and above the last.
  return it == nsec3_.begin() ? nsec3_.back().second : std::prev(it)->second;
}

const zone::Node* DenialIndex::nsec_covering(WireName name) const {
  auto nodes = zone_->nodes();
  for (size_t i = names_.predecessor(name) + 1; i-- > 0;) {
    if (nodes[i].find(RRType::NSEC)) return &nodes[i];  // glue and occluded names have none
  }
  return nullptr;
}

void nsec_nxdomain(const DenialIndex& idx, WireName qname, WireName encloser, RefSection& out) {
  add_node(idx.nsec_covering(qname), RRType::NSEC, out);
  // "*." + encloser on the stack; a name too long for it has no wildcard to cover.
  if (encloser.size() + 2 > Name::kMaxWire) return;
  std::array<uint8_t, Name::kMaxWire> w;
  w[0] = 1;
  w[1] = '*';
  std::copy(encloser.begin(), encloser.end(), w.begin() + 2);
  add_node(idx.nsec_covering(WireName(w.data(), encloser.size() + 2)), RRType::NSEC, out);
}

void nsec_nodata(const DenialIndex& idx, WireName qname, RefSection& out) {
  add_node(idx.nsec_covering(qname), RRType::NSEC, out);
}

void nsec_wildcard_answer(const DenialIndex& idx, WireName qname, RefSection& out) {
  add_node(idx.nsec_covering(qname), RRType::NSEC, out);
}

void nsec_wildcard_nodata(const DenialIndex& idx, WireName qname, WireName wildcard,
                          RefSection& out) {
  add_node(idx.nsec_covering(qname), RRType::NSEC, out);
  add_node(idx.names().find(wildcard), RRType::NSEC, out);
}

void nsec3_closest_encloser(const DenialIndex& idx, const Name& qname, const Name& encloser,
                            RefSection& out) {
  const auto& p = idx.params();
  add_node(idx.nsec3_matching(dnssec::nsec3_hash(encloser, p)), RRType::NSEC3, out);
  add_node(idx.nsec3_covering(dnssec::nsec3_hash(next_closer(qname, encloser), p)), RRType::NSEC3,
           out);
}

void nsec3_nxdomain(const DenialIndex& idx, const Name& qname, const Name& encloser,
                    RefSection& out) {
  nsec3_closest_encloser(idx, qname, encloser, out);
  add_node(idx.nsec3_covering(dnssec::nsec3_hash(encloser.prepend("*"), idx.params())),
           RRType::NSEC3, out);
}

void nsec3_nodata(const DenialIndex& idx, const Name& qname, RefSection& out) {
  if (const zone::Node* m = idx.nsec3_matching(dnssec::nsec3_hash(qname, idx.params()))) {
    add_node(m, RRType::NSEC3, out);
    return;
  }
  // RFC 5155 §7.2.4: no NSEC3 for qname (an opt-out delegation): the closest provable
  // encloser, whose next closer name is covered by an Opt-Out NSEC3.
  Name encloser = qname;
  while (encloser != idx.zone().origin()) {
    encloser = encloser.parent();
    if (idx.nsec3_matching(dnssec::nsec3_hash(encloser, idx.params()))) break;
  }
  if (encloser != qname) nsec3_closest_encloser(idx, qname, encloser, out);
}

void nsec3_wildcard_nodata(const DenialIndex& idx, const Name& qname, const Name& encloser,
                           RefSection& out) {
  nsec3_closest_encloser(idx, qname, encloser, out);
  add_node(idx.nsec3_matching(dnssec::nsec3_hash(encloser.prepend("*"), idx.params())),
           RRType::NSEC3, out);
}

void nsec3_wildcard_answer(const DenialIndex& idx, const Name& qname, const Name& encloser,
                           RefSection& out) {
  add_node(idx.nsec3_covering(dnssec::nsec3_hash(next_closer(qname, encloser), idx.params())),
           RRType::NSEC3, out);
}

void nsec3_no_ds(const DenialIndex& idx, const Name& cut, RefSection& out) {
  nsec3_nodata(idx, cut, out);  // §7.2.7 is §7.2.3 or §7.2.4 applied to the cut
}

}  // namespace flatsign::server
