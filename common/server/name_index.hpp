// Name lookups for the answer engine over one snapshot: a case-insensitive hash of every owner
// name and every empty non-terminal (exact match and existence in O(1), no allocation), and a
// canonical-order predecessor search over wire names. Immutable once built; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/dns/name.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::server {

// Uncompressed wire names are passed as spans, so suffixes of a name (its ancestors) are looked
// up without building Names: see wire_suffix().
using WireName = std::span<const uint8_t>;

// `name` without its `strip` leftmost labels. REQUIRES: strip <= its label count.
[[nodiscard]] WireName wire_suffix(WireName name, size_t strip);
// Labels in `name`, not counting the root.
[[nodiscard]] size_t wire_label_count(WireName name);
// Equal ignoring ASCII case (RFC 4343).
[[nodiscard]] bool wire_equal(WireName a, WireName b);
// True when `name` equals `ancestor` or lies below it.
[[nodiscard]] bool wire_is_subdomain(WireName name, WireName ancestor);

class NameIndex {
 public:
  // O(zone size). REQUIRES: `zone` outlives the index.
  explicit NameIndex(const zone::Zone& zone);

  // The node owning `name` (any case), or nullptr.
  [[nodiscard]] const zone::Node* find(WireName name) const;
  // True when `name` owns data or is an empty non-terminal (RFC 4592 §2.2.2) of the zone.
  [[nodiscard]] bool exists(WireName name) const;
  // As Zone::predecessor: the index of the last node sorting <= `name` in canonical order
  // (RFC 4034 §6.1), 0 when none does.
  [[nodiscard]] size_t predecessor(WireName name) const;

 private:
  // A lookup is a few dependent cache misses (slot, node, name); the slot points at the node
  // itself rather than at its index to save one. All zero bits: an empty slot.
  struct Slot {
    const zone::Node* node;  // a node whose name is or ends in the slot's name; nullptr: empty
    uint32_t tag;            // upper bits of the hash, for a quick mismatch
    uint32_t strip;          // labels to strip from that node's name: 0 = the node itself (an
                             // owner), more = an empty non-terminal above it
  };
  struct FreeSlots {
    void operator()(Slot* p) const;
  };
  const Slot* lookup(WireName name) const;
  void insert(WireName name, const zone::Node* node, uint32_t strip);

  const zone::Zone* zone_;
  // Open addressing, power-of-two size, at most half full; in huge pages when big enough,
  // since random probes into megabytes of 4 KiB pages miss the TLB as well as the cache.
  std::unique_ptr<Slot[], FreeSlots> slots_;
  size_t mask_ = 0;
};

}  // namespace flatsign::server
