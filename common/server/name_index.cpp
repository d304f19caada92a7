#include "common/server/name_index.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unordered_set>

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

// The length of the well-formed wire name starting at `p`, its root label included.
size_t wire_length(const uint8_t* p) {
  size_t n = 0;
  while (p[n] != 0) n += 1 + p[n];
  return n + 1;
}

// The first node sorting >= `name` (RFC 4034 §6.1).
size_t lower_bound(zone::NodeRange nodes, WireName name) {
  size_t lo = 0, hi = nodes.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (dns::canonical_compare(nodes[mid].name.wire(), name) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
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

std::vector<const zone::Node*> unshared_nodes(const zone::Zone& z, const zone::Zone& other) {
  std::unordered_set<const zone::Node*> firsts;
  firsts.reserve(other.block_count());
  for (size_t b = 0; b < other.block_count(); ++b)
    if (other.block_size(b) > 0) firsts.insert(&other.nodes()[other.block_first(b)]);
  std::vector<const zone::Node*> out;
  for (size_t b = 0; b < z.block_count(); ++b) {
    if (z.block_size(b) == 0 || firsts.count(&z.nodes()[z.block_first(b)])) continue;
    for (size_t i = z.block_first(b); i < z.block_first(b) + z.block_size(b); ++i)
      out.push_back(&z.nodes()[i]);
  }
  return out;
}

bool nsec3_only(const zone::Node& node) {
  bool nsec3 = false;
  for (const dns::RRset& s : node.rrsets) {
    if (s.type != dns::RRType::NSEC3 && s.type != dns::RRType::RRSIG) return false;
    nsec3 = nsec3 || s.type == dns::RRType::NSEC3;
  }
  return nsec3;
}

NameIndex::NameIndex(const zone::Zone& zone) {
  build(zone);
}

void NameIndex::build(const zone::Zone& zone) {
  zone_ = &zone;
  auto nodes = zone.nodes();
  size_t origin_labels = zone.origin().label_count();
  // Each node adds itself and at most its ancestors below the origin; sized for that bound at
  // most half full, so probing always ends (deep names add many empty non-terminals).
  size_t bound = 0;
  for (const zone::Node& n : nodes) {
    size_t labels = n.name.label_count();
    bound += labels > origin_labels ? labels - origin_labels : 1;
  }
  // A small zone's table is smaller than a page (a 20-record zone needs 64 slots, 1 KiB, not a
  // page's 4 KiB: at 10,000 zones, 30 MB): then it is one page of its own size.
  size_t count = std::bit_ceil(std::max<size_t>(kMinSlots, bound * 2));
  size_t bytes = count * sizeof(Slot);
  bool huge = bytes >= kHugePage;
  size_t align = huge ? kHugePage : alignof(std::max_align_t);
  bytes = (bytes + align - 1) / align * align;
  std::shared_ptr<Slot> table(static_cast<Slot*>(std::aligned_alloc(align, bytes)),
                              [](Slot* p) { std::free(p); });
  if (!table) throw std::bad_alloc();
  // Advice only: without transparent huge pages the table works the same, just slower.
  if (huge) (void)::madvise(table.get(), bytes, MADV_HUGEPAGE);
  std::memset(static_cast<void*>(table.get()), 0, bytes);
  mask_ = count - 1;
  used_ = 0;
  pages_.clear();
  dir_.clear();
  for (size_t p = 0; p * kPageSlots < count; ++p) {
    pages_.emplace_back(table, table.get() + p * kPageSlots);
    dir_.push_back(pages_.back().get());
  }
  tagged_ = true;
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

NameIndex::NameIndex(const zone::Zone& zone, const NameIndex& previous)
    : zone_(&zone),
      pages_(previous.pages_),
      dir_(previous.dir_),
      mask_(previous.mask_),
      used_(previous.used_),
      tagged_(previous.tagged_) {
  // The names whose slot may change: those of the nodes that left (their slots, and the empty
  // non-terminal slots of their ancestors, may point into them) and of the nodes that came.
  const std::vector<const zone::Node*> gone = unshared_nodes(*previous.zone_, zone);
  const std::vector<const zone::Node*> came = unshared_nodes(zone, *previous.zone_);
  // A change of much of the zone (a full sign) is cheaper built anew.
  if ((gone.size() + came.size()) * 4 > zone.nodes().size()) {
    build(zone);
    return;
  }
  const size_t origin_labels = zone.origin().label_count();
  std::vector<WireName> names;
  for (const auto* list : {&gone, &came}) {
    for (const zone::Node* n : *list) {
      WireName w = n->name.wire();
      if (tagged_ && (reinterpret_cast<uintptr_t>(w.data()) & ~kAddressMask) != 0) {
        build(zone);  // an address the tags do not fit: rare, and then untagged
        return;
      }
      size_t below = wire_label_count(w);
      below = below > origin_labels ? below - origin_labels : 0;
      names.push_back(w);
      for (size_t strip = 1; strip < below; ++strip) names.push_back(wire_suffix(w, strip));
    }
  }
  // Every name may come in: past half full, probing would slow (or never end); build anew.
  if ((used_ + names.size()) * 2 > mask_ + 1) {
    build(zone);
    return;
  }
  std::sort(names.begin(), names.end(),
            [](WireName a, WireName b) { return dns::canonical_compare(a, b) < 0; });
  names.erase(std::unique(names.begin(), names.end(), wire_equal), names.end());

  std::vector<bool> owned(dir_.size());
  auto nodes = zone.nodes();
  for (WireName name : names) {
    // What NameIndex(zone) holds for `name`: its node; an empty non-terminal when a node that
    // is not an NSEC3 owner lies below it (the slot then points into that node's name); or
    // nothing. The origin always has its node (the apex).
    bool wanted = false;
    Slot want{};
    size_t i = lower_bound(nodes, name);
    if (i < nodes.size() && wire_equal(nodes[i].name.wire(), name) && !nsec3_only(nodes[i])) {
      want = Slot{reinterpret_cast<uintptr_t>(nodes[i].name.wire().data()), &nodes[i]};
      wanted = true;
    } else {
      if (i < nodes.size() && wire_equal(nodes[i].name.wire(), name)) ++i;
      for (; i < nodes.size() && wire_is_subdomain(nodes[i].name.wire(), name); ++i) {
        if (nsec3_only(nodes[i])) continue;
        WireName w = nodes[i].name.wire();
        want = Slot{reinterpret_cast<uintptr_t>(
                        wire_suffix(w, wire_label_count(w) - wire_label_count(name)).data()),
                    nullptr};
        wanted = true;
        break;
      }
    }
    const uint64_t h = wire_hash(name);
    bool found = false;
    const size_t at = probe(name, h, found);
    if (!wanted) {
      if (found) erase(at, owned);
      continue;
    }
    want.name |= tag(h);
    const Slot& have = slot(at);
    if (found && have.name == want.name && have.node == want.node) continue;
    used_ += !found;
    writable(at, owned) = want;
  }
}

NameIndex::Slot& NameIndex::writable(size_t i, std::vector<bool>& owned) {
  const size_t p = i >> kPageShift;
  if (!owned[p]) {
    const size_t slots = std::min(kPageSlots, mask_ + 1);
    std::shared_ptr<Slot> copy(new Slot[slots], std::default_delete<Slot[]>());
    std::copy(dir_[p], dir_[p] + slots, copy.get());
    pages_[p] = std::move(copy);
    dir_[p] = pages_[p].get();
    owned[p] = true;
  }
  return dir_[p][i & (kPageSlots - 1)];
}

uint64_t NameIndex::slot_hash(const Slot& s, bool tagged) {
  auto octets = reinterpret_cast<const uint8_t*>(tagged ? s.name & kAddressMask : s.name);
  return wire_hash(WireName(octets, wire_length(octets)));
}

void NameIndex::erase(size_t i, std::vector<bool>& owned) {
  // Linear probing without tombstones: a later slot of the run whose home is not in (i, j]
  // moves into the hole, which moves to it (Knuth, vol. 3, 6.4, algorithm R).
  writable(i, owned) = Slot{};
  --used_;
  for (size_t j = (i + 1) & mask_; slot(j).name != 0; j = (j + 1) & mask_) {
    const size_t home = slot_hash(slot(j), tagged_) & mask_;
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    writable(i, owned) = slot(j);
    writable(j, owned) = Slot{};
    i = j;
  }
}

// Both names are well-formed wire names, so octets equal (ignoring case) up to the end of
// `name`, its root label included, mean the same labels: the slot's name ends there too.
const NameIndex::Slot* NameIndex::lookup(WireName name) const {
  uint64_t h = wire_hash(name);
  uintptr_t t = tag(h);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slot(i);
    if (!s.name) return nullptr;
    if (tagged_ && (s.name & ~kAddressMask) != t) continue;
    // The caller reads the node next: start its load now, beside the name's.
    if (s.node) __builtin_prefetch(s.node);
    auto octets = reinterpret_cast<const uint8_t*>(tagged_ ? s.name & kAddressMask : s.name);
    if (wire_equal(WireName(octets, name.size()), name)) return &s;
  }
}

size_t NameIndex::probe(WireName name, uint64_t h, bool& found) const {
  uintptr_t t = tag(h);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slot(i);
    found = s.name != 0;
    if (!found) return i;
    if (tagged_ && (s.name & ~kAddressMask) != t) continue;
    auto octets = reinterpret_cast<const uint8_t*>(tagged_ ? s.name & kAddressMask : s.name);
    if (wire_equal(WireName(octets, name.size()), name)) return i;
  }
}

void NameIndex::insert(WireName name, const zone::Node* node) {
  uint64_t h = wire_hash(name);
  size_t i = h & mask_;
  while (slot(i).name) i = (i + 1) & mask_;
  dir_[i >> kPageShift][i & (kPageSlots - 1)] =
      Slot{reinterpret_cast<uintptr_t>(name.data()) | tag(h), node};
  ++used_;
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
