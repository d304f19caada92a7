#include "common/server/name_index.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

namespace flatsign::server {
namespace {

using dns::dns_lower;

// dns::Name's case-insensitive FNV-1a, whose low bits depend only on the inputs' low bits;
// MurmurHash3's finalizer mixes them all, since the table is indexed by the low bits.
uint64_t wire_hash(WireName name) {
  uint64_t h = dns::wire_name_hash(name);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

void NameIndex::FreeSlots::operator()(Slot* p) const {
  std::free(p);
}

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

bool nsec3_only(const zone::Node& node) {
  bool nsec3 = false;
  for (const dns::RRset& s : node.rrsets) {
    if (s.type != dns::RRType::NSEC3 && s.type != dns::RRType::RRSIG) return false;
    nsec3 = nsec3 || s.type == dns::RRType::NSEC3;
  }
  return nsec3;
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
  size_t count = std::bit_ceil(std::max<size_t>(16, bound * 2));
  size_t bytes = count * sizeof(Slot);
  bool huge = bytes >= kHugePage;
  size_t align = huge ? kHugePage : alignof(std::max_align_t);
  bytes = (bytes + align - 1) / align * align;
  slots_.reset(static_cast<Slot*>(std::aligned_alloc(align, bytes)));
  if (!slots_) throw std::bad_alloc();
  // Advice only: without transparent huge pages the table works the same, just slower.
  if (huge) (void)::madvise(slots_.get(), bytes, MADV_HUGEPAGE);
  std::memset(static_cast<void*>(slots_.get()), 0, bytes);
  mask_ = count - 1;
  for (const zone::Node& n : nodes) {
    tagged_ = tagged_ && (reinterpret_cast<uintptr_t>(n.name.wire().data()) & ~kAddressMask) == 0;
  }
  for (const zone::Node& n : nodes) {
    // RFC 5155 §7.2.8: answered as if absent. A name below it (sorting after it) records it
    // as an empty non-terminal, as the same section asks.
    if (nsec3_only(n)) continue;
    WireName w = n.name.wire();
    if (const Slot* s = lookup(w)) {
      // Canonical order puts parents first, so a name is never recorded as an empty
      // non-terminal before its own node; if it were, the node wins.
      const_cast<Slot&>(*s).node = &n;
      continue;
    }
    insert(w, &n);
    size_t below = wire_label_count(w);
    below = below > origin_labels ? below - origin_labels : 0;
    // Ancestors up to the origin: stop at the first already known (all above it are too).
    for (size_t strip = 1; strip < below; ++strip) {
      WireName up = wire_suffix(w, strip);
      if (lookup(up)) break;
      insert(up, nullptr);
    }
  }
}

// Both names are well-formed wire names, so octets equal (ignoring case) up to the end of
// `name`, its root label included, mean the same labels: the slot's name ends there too.
const NameIndex::Slot* NameIndex::lookup(WireName name) const {
  uint64_t h = wire_hash(name);
  uintptr_t t = tag(h);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (!s.name) return nullptr;
    if (tagged_ && (s.name & ~kAddressMask) != t) continue;
    // The caller reads the node next: start its load now, beside the name's.
    if (s.node) __builtin_prefetch(s.node);
    auto octets = reinterpret_cast<const uint8_t*>(tagged_ ? s.name & kAddressMask : s.name);
    if (wire_equal(WireName(octets, name.size()), name)) return &s;
  }
}

void NameIndex::insert(WireName name, const zone::Node* node) {
  uint64_t h = wire_hash(name);
  size_t i = h & mask_;
  while (slots_[i].name) i = (i + 1) & mask_;
  slots_[i] = Slot{reinterpret_cast<uintptr_t>(name.data()) | tag(h), node};
}

const zone::Node* NameIndex::find(WireName name) const {
  const Slot* s = lookup(name);
  return s ? s->node : nullptr;
}

bool NameIndex::exists(WireName name) const {
  return lookup(name) != nullptr;
}

size_t NameIndex::predecessor(WireName name) const {
  auto nodes = zone_->nodes();
  // upper_bound: the first node sorting after `name` (RFC 4034 §6.1).
  size_t lo = 0, hi = nodes.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (dns::canonical_compare(name, nodes[mid].name.wire()) < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo == 0 ? 0 : lo - 1;
}

}  // namespace flatsign::server
