#include "common/server/name_index.hpp"

#include <algorithm>
#include <array>
#include <bit>

namespace flatsign::server {
namespace {

using dns::dns_lower;

// FNV-1a over the lowercased wire (length octets are below 64 and so never change case).
uint64_t wire_hash(WireName name) {
  uint64_t h = 1469598103934665603ULL;
  for (uint8_t c : name) {
    h ^= dns_lower(c);
    h *= 1099511628211ULL;
  }
  // FNV's low bits depend only on the inputs' low bits; MurmurHash3's finalizer mixes them all,
  // since the table is indexed by the low bits.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Label start offsets of `name`, leftmost first; returns how many (root not counted).
size_t labels(WireName name, std::array<uint8_t, 128>& at) {
  size_t n = 0;
  for (size_t pos = 0; name[pos] != 0; pos += 1 + name[pos]) at[n++] = static_cast<uint8_t>(pos);
  return n;
}

// RFC 4034 §6.1 canonical order of `a` (labels pre-split into `la`/`na`) against `b`.
std::strong_ordering canonical(WireName a, const std::array<uint8_t, 128>& la, size_t na,
                               WireName b) {
  std::array<uint8_t, 128> lb;  // filled by labels(); no need to clear it
  size_t nb = labels(b, lb);
  while (na > 0 && nb > 0) {
    const uint8_t* x = a.data() + la[--na];
    const uint8_t* y = b.data() + lb[--nb];
    size_t len = std::min(x[0], y[0]);
    for (size_t i = 1; i <= len; ++i) {
      uint8_t cx = dns_lower(x[i]), cy = dns_lower(y[i]);
      if (cx != cy) return cx <=> cy;
    }
    if (x[0] != y[0]) return x[0] <=> y[0];
  }
  return na <=> nb;
}

}  // namespace

WireName wire_suffix(WireName name, size_t strip) {
  size_t pos = 0;
  for (; strip > 0; --strip) pos += 1 + name[pos];
  return name.subspan(pos);
}

size_t wire_label_count(WireName name) {
  size_t n = 0;
  for (size_t pos = 0; name[pos] != 0; pos += 1 + name[pos]) ++n;
  return n;
}

bool wire_equal(WireName a, WireName b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (dns_lower(a[i]) != dns_lower(b[i])) return false;
  }
  return true;
}

bool wire_is_subdomain(WireName name, WireName ancestor) {
  size_t n = wire_label_count(name), a = wire_label_count(ancestor);
  return n >= a && wire_equal(wire_suffix(name, n - a), ancestor);
}

NameIndex::NameIndex(const zone::Zone& zone) : zone_(&zone) {
  auto nodes = zone.nodes();
  size_t origin_labels = zone.origin().label_count();
  // Each node adds itself and at most its ancestors below the origin; sized for that bound at
  // most half full, so probing always ends (deep names add many empty non-terminals).
  size_t bound = 0;
  for (const zone::Node& n : nodes) {
    size_t labels = n.name.label_count();
    bound += labels > origin_labels ? labels - origin_labels : 1;
  }
  slots_.resize(std::bit_ceil(std::max<size_t>(16, bound * 2)));
  for (size_t i = 0; i < nodes.size(); ++i) {
    WireName w = nodes[i].name.wire();
    if (const Slot* s = lookup(w)) {
      // Canonical order puts parents first, so a name is never recorded as an empty
      // non-terminal before its own node; if it were, the node wins.
      auto& slot = const_cast<Slot&>(*s);
      slot.node = static_cast<uint32_t>(i);
      slot.strip = 0;
      continue;
    }
    insert(w, static_cast<uint32_t>(i), 0);
    size_t below = wire_label_count(w);
    below = below > origin_labels ? below - origin_labels : 0;
    // Ancestors up to the origin: stop at the first already known (all above it are too).
    for (size_t strip = 1; strip < below; ++strip) {
      WireName up = wire_suffix(w, strip);
      if (lookup(up)) break;
      insert(up, static_cast<uint32_t>(i), static_cast<uint32_t>(strip));
    }
  }
}

const NameIndex::Slot* NameIndex::lookup(WireName name) const {
  uint64_t h = wire_hash(name);
  uint32_t tag = static_cast<uint32_t>(h >> 32);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.node == kEmpty) return nullptr;
    if (s.tag == tag && wire_equal(wire_suffix(zone_->nodes()[s.node].name.wire(), s.strip), name))
      return &s;
  }
}

void NameIndex::insert(WireName name, uint32_t node, uint32_t strip) {
  uint64_t h = wire_hash(name);
  size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i].node != kEmpty) i = (i + 1) & mask;
  slots_[i] = Slot{static_cast<uint32_t>(h >> 32), node, strip};
}

const zone::Node* NameIndex::find(WireName name) const {
  const Slot* s = lookup(name);
  return s && s->strip == 0 ? &zone_->nodes()[s->node] : nullptr;
}

bool NameIndex::exists(WireName name) const {
  return lookup(name) != nullptr;
}

size_t NameIndex::predecessor(WireName name) const {
  std::array<uint8_t, 128> la;
  size_t na = labels(name, la);
  auto nodes = zone_->nodes();
  // upper_bound: the first node sorting after `name`.
  size_t lo = 0, hi = nodes.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (canonical(name, la, na, nodes[mid].name.wire()) < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo == 0 ? 0 : lo - 1;
}

}  // namespace flatsign::server
