// Name lookups for the answer engine over one snapshot: a case-insensitive hash of every owner
// name but NSEC3 owners, and every empty non-terminal (exact match and existence in O(1), no
// allocation), and a canonical-order predecessor search over wire names. Immutable once built;
// thread-safe. A snapshot derived from another (Zone::with_changes) gets its index derived from
// the other's: the pages of the table the change does not touch are shared.
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

// The nodes of the blocks of `z` that `other` does not share, in order (Zone::with_changes
// shares the blocks a change does not touch): O(blocks) plus the nodes returned.
[[nodiscard]] std::vector<const zone::Node*> unshared_nodes(const zone::Zone& z,
                                                            const zone::Zone& other);

class NameIndex {
 public:
  // O(zone size). REQUIRES: `zone` outlives the index (the index points into its names).
  explicit NameIndex(const zone::Zone& zone);
  // The index of `zone` made from `previous` (the index of an earlier snapshot), the same as
  // NameIndex(zone) for lookups: only the names of the nodes in blocks the two zones do not share
  // (and their ancestors) are looked at, and only the table pages they land in are copied, so the
  // cost grows with the change (plus one pointer per page), not with the zone. Falls back to a
  // whole build when the table would grow past half full.
  // REQUIRES: `zone` outlives the index; the zone `previous` indexes is alive during the call.
  NameIndex(const zone::Zone& zone, const NameIndex& previous);
  NameIndex(const NameIndex&) = delete;
  NameIndex& operator=(const NameIndex&) = delete;

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
  // The table is cut into pages of 4 KiB that derived indexes share until they write to one; a
  // table smaller than that is one page.
  static constexpr unsigned kPageShift = 8;
  static constexpr size_t kPageSlots = size_t{1} << kPageShift;
  static constexpr size_t kMinSlots = 16;
  void build(const zone::Zone& zone);
  const Slot& slot(size_t i) const { return dir_[i >> kPageShift][i & (kPageSlots - 1)]; }
  const Slot* lookup(WireName name) const;
  // Index of the slot holding `name`, or of the empty slot that ends its probe sequence.
  size_t probe(WireName name, uint64_t hash, bool& found) const;
  void insert(WireName name, const zone::Node* node);
  uintptr_t tag(uint64_t hash) const { return tagged_ ? (hash >> kTagShift) << kTagShift : 0; }
  // Derivation only: the slot to write at `i`, its page copied first when still shared.
  Slot& writable(size_t i, std::vector<bool>& owned);
  // Derivation only: removes slot `i`, shifting back the slots probed past it.
  void erase(size_t i, std::vector<bool>& owned);
  static uint64_t slot_hash(const Slot& s, bool tagged);

  const zone::Zone* zone_ = nullptr;
  // Open addressing, power-of-two size, at most half full. A whole build allocates the table
  // in one piece, in huge pages when big enough (random probes into megabytes of 4 KiB pages
  // miss the TLB as well as the cache); pages_ hold it (aliasing one owner) and the pages
  // copied since. dir_ is the same pointers, dense, for the hot path.
  std::vector<std::shared_ptr<Slot>> pages_;
  std::vector<Slot*> dir_;
  size_t mask_ = 0;
  size_t used_ = 0;     // slots in use
  bool tagged_ = true;  // every name's address fits below kTagShift
};

}  // namespace flatsign::server
