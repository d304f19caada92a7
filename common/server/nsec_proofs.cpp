#include "common/server/nsec_proofs.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <unordered_set>

#include "common/dns/encoding.hpp"
#include "common/dnssec/sign.hpp"

namespace flatsign::server {
namespace {

using dns::Name;
using dns::RRType;
using dnssec::Nsec3Hash;

// RFC 5155 §4.2 NSEC3PARAM RDATA: algorithm, flags, iterations, salt length, salt.
std::optional<dnssec::Nsec3Params> parse_nsec3param(std::span<const uint8_t> rd) {
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
WireName next_closer(WireName qname, WireName encloser) {
  return wire_suffix(qname, wire_label_count(qname) - wire_label_count(encloser) - 1);
}

// "*." + a wire name (the source of synthesis, RFC 4592 §3.3.1), on the stack.
class WildcardName {
 public:
  explicit WildcardName(WireName encloser) : size_(encloser.size() + 2) {
    if (!ok()) return;  // too long: no such name can exist
    w_[0] = 1;
    w_[1] = '*';
    std::copy(encloser.begin(), encloser.end(), w_.begin() + 2);
  }
  [[nodiscard]] bool ok() const { return size_ <= Name::kMaxWire; }
  [[nodiscard]] WireName wire() const { return {w_.data(), size_}; }

 private:
  std::array<uint8_t, Name::kMaxWire> w_;
  size_t size_;
};

struct FreeDigest {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// RFC 5155 §5 IH(salt, x, k) of the lowercased wire name, as dnssec::nsec3_hash() computes it,
// with the name on the stack and one digest context per thread, reused.
Nsec3Hash hash_wire(WireName name, const dnssec::Nsec3Params& p) {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, FreeDigest> ctx(EVP_MD_CTX_new());
  std::array<uint8_t, Name::kMaxWire> lower;
  std::transform(name.begin(), name.end(), lower.begin(), dns::dns_lower);
  Nsec3Hash h{};
  unsigned len = 0;
  auto digest = [&](const uint8_t* data, size_t size) {
    if (!md || !ctx || !EVP_DigestInit_ex2(ctx.get(), md, nullptr) ||
        !EVP_DigestUpdate(ctx.get(), data, size) ||
        !EVP_DigestUpdate(ctx.get(), p.salt.data(), p.salt.size()) ||
        !EVP_DigestFinal_ex(ctx.get(), h.data(), &len))
      throw std::runtime_error("NSEC3 hash failed");
  };
  digest(lower.data(), name.size());
  for (uint16_t i = 0; i < p.iterations; ++i) {  // RFC 5155 §5: IH(salt, IH(...), k-1)
    Nsec3Hash prev = h;
    digest(prev.data(), prev.size());
  }
  return h;
}

}  // namespace

DenialIndex::DenialIndex(const zone::Zone& zone) : zone_(&zone), names_(zone) {
  read_apex();
  if (kind_ != Kind::Nsec3) return;
  std::vector<uint8_t> raw;
  for (const zone::Node& n : zone.nodes()) add_nsec3(n, raw);
  std::sort(nsec3_.begin(), nsec3_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

DenialIndex::DenialIndex(const zone::Zone& zone, const DenialIndex& previous)
    : zone_(&zone), names_(zone, previous.names_) {
  read_apex();
  if (kind_ != Kind::Nsec3) return;
  if (previous.kind_ != Kind::Nsec3 || previous.params_.iterations != params_.iterations ||
      previous.params_.salt != params_.salt) {
    std::vector<uint8_t> raw;
    for (const zone::Node& n : zone.nodes()) add_nsec3(n, raw);
  } else {
    // The entries of the nodes that stayed, then those of the nodes that came, merged.
    const std::vector<const zone::Node*> gone = unshared_nodes(*previous.zone_, zone);
    const std::unordered_set<const zone::Node*> left(gone.begin(), gone.end());
    nsec3_.reserve(previous.nsec3_.size() + 16);
    for (const auto& e : previous.nsec3_)
      if (!left.count(e.second)) nsec3_.push_back(e);
    const size_t kept = nsec3_.size();
    std::vector<uint8_t> raw;
    for (const zone::Node* n : unshared_nodes(zone, *previous.zone_)) add_nsec3(*n, raw);
    auto less = [](const auto& a, const auto& b) { return a.first < b.first; };
    std::sort(nsec3_.begin() + static_cast<ptrdiff_t>(kept), nsec3_.end(), less);
    std::inplace_merge(nsec3_.begin(), nsec3_.begin() + static_cast<ptrdiff_t>(kept), nsec3_.end(),
                       less);
    return;
  }
  std::sort(nsec3_.begin(), nsec3_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

void DenialIndex::read_apex() {
  const zone::Node& apex = zone_->nodes().front();
  if (const dns::RRset* param = apex.find(RRType::NSEC3PARAM); param && !param->rdatas.empty()) {
    if (auto p = parse_nsec3param(param->rdatas.front())) {
      kind_ = Kind::Nsec3;
      params_ = std::move(*p);
    }
  } else if (apex.find(RRType::NSEC)) {
    kind_ = Kind::Nsec;
  }
}

void DenialIndex::add_nsec3(const zone::Node& n, std::vector<uint8_t>& raw) {
  if (!n.find(RRType::NSEC3) || n.name.label_count() != zone_->origin().label_count() + 1) return;
  raw.clear();
  Nsec3Hash h{};
  if (!dns::base32hex_decode(n.name.first_label(), raw) || raw.size() != h.size()) return;
  std::copy(raw.begin(), raw.end(), h.begin());
  nsec3_.emplace_back(h, &n);
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
  WildcardName w(encloser);
  if (w.ok()) add_node(idx.nsec_covering(w.wire()), RRType::NSEC, out);
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

void nsec3_closest_encloser(const DenialIndex& idx, WireName qname, WireName encloser,
                            RefSection& out) {
  const auto& p = idx.params();
  add_node(idx.nsec3_matching(hash_wire(encloser, p)), RRType::NSEC3, out);
  add_node(idx.nsec3_covering(hash_wire(next_closer(qname, encloser), p)), RRType::NSEC3, out);
}

void nsec3_nxdomain(const DenialIndex& idx, WireName qname, WireName encloser, RefSection& out) {
  nsec3_closest_encloser(idx, qname, encloser, out);
  WildcardName w(encloser);
  if (w.ok()) add_node(idx.nsec3_covering(hash_wire(w.wire(), idx.params())), RRType::NSEC3, out);
}

void nsec3_nodata(const DenialIndex& idx, WireName qname, RefSection& out) {
  if (const zone::Node* m = idx.nsec3_matching(hash_wire(qname, idx.params()))) {
    add_node(m, RRType::NSEC3, out);
    return;
  }
  // RFC 5155 §7.2.4: no NSEC3 for qname (an opt-out delegation): the closest provable
  // encloser, whose next closer name is covered by an Opt-Out NSEC3.
  WireName origin = idx.zone().origin().wire();
  WireName encloser = qname;
  while (!wire_equal(encloser, origin)) {
    encloser = wire_suffix(encloser, 1);
    if (idx.nsec3_matching(hash_wire(encloser, idx.params()))) break;
  }
  if (encloser.size() != qname.size()) nsec3_closest_encloser(idx, qname, encloser, out);
}

void nsec3_wildcard_nodata(const DenialIndex& idx, WireName qname, WireName encloser,
                           RefSection& out) {
  nsec3_closest_encloser(idx, qname, encloser, out);
  WildcardName w(encloser);
  if (w.ok()) add_node(idx.nsec3_matching(hash_wire(w.wire(), idx.params())), RRType::NSEC3, out);
}

void nsec3_wildcard_answer(const DenialIndex& idx, WireName qname, WireName encloser,
                           RefSection& out) {
  add_node(idx.nsec3_covering(hash_wire(next_closer(qname, encloser), idx.params())), RRType::NSEC3,
           out);
}

void nsec3_no_ds(const DenialIndex& idx, WireName cut, RefSection& out) {
  nsec3_nodata(idx, cut, out);  // §7.2.7 is §7.2.3 or §7.2.4 applied to the cut
}

}  // namespace flatsign::server
