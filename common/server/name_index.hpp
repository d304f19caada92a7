// Name lookups for the answer engine over one snapshot: a case-insensitive hash of every owner
// name but NSEC3 owners, and every empty non-terminal (exact match and existence in O(1), no
// allocation), and a canonical-order predecessor search over wire names. Immutable once built;
// thread-safe.
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

// True when `node` holds NSEC3 records and nothing else but their signatures: a hashed owner
// name, outside the zone's namespace. Answers treat it as nonexistent, or as an empty
// non-terminal when names exist below it (RFC 5155 §7.2.8).
[[nodiscard]] bool nsec3_only(const zone::Node& node);

class NameIndex {
 public:
  // O(zone size). REQUIRES: `zone` outlives the index (the index points into its names).
  explicit NameIndex(const zone::Zone& zone);

  // The node owning `name` (any case), or nullptr; nullptr for an NSEC3 owner (nsec3_only()).
  [[nodiscard]] const zone::Node* find(WireName name) const;
  // True when `name` owns data or is an empty non-terminal (RFC 4592 §2.2.2) of the zone; false
  // for an NSEC3 owner with nothing below it (RFC 5155 §7.2.8).
  [[nodiscard]] bool exists(WireName name) const;
  // As Zone::predecessor: the index of the last node sorting <= `name` in canonical order
  // (RFC 4034 §6.1), 0 when none does.
  [[nodiscard]] size_t predecessor(WireName name) const;

 private:
  // A lookup costs cache misses: the slot, then the name's octets and the node. The slot points
  // at both, so that they load in parallel (pointing at the node alone made its name one more
  // dependent miss). Its upper 16 bits of `name` hold a hash tag for a quick mismatch (x86-64
  // and AArch64 user addresses fit in 48 bits; when one does not, tags are not used).
  // All zero bits: an empty slot.
  struct Slot {
    uintptr_t name;          // wire octets of the slot's name (a node's name or a suffix of
                             // one) | tag << 48; 0: empty
    const zone::Node* node;  // the node owning the name; nullptr: an empty non-terminal
  };
  static constexpr unsigned kTagShift = 48;
  static constexpr uintptr_t kAddressMask = (uintptr_t{1} << kTagShift) - 1;
  struct FreeSlots {
    void operator()(Slot* p) const;
  };
  const Slot* lookup(WireName name) const;
  void insert(WireName name, const zone::Node* node);
  uintptr_t tag(uint64_t hash) const { return tagged_ ? (hash >> kTagShift) << kTagShift : 0; }

  const zone::Zone* zone_;
  // Open addressing, power-of-two size, at most half full; in huge pages when big enough,
  // since random probes into megabytes of 4 KiB pages miss the TLB as well as the cache.
  std::unique_ptr<Slot[], FreeSlots> slots_;
  size_t mask_ = 0;
  bool tagged_ = true;  // every name's address fits below kTagShift
};

}  // namespace flatsign::server
