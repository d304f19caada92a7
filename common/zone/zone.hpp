// An immutable, canonically ordered snapshot of one zone, and the findings of the checks that
// guard it (ZoneBuilder, in zone_builder.hpp, makes one from records). A built Zone is never
// mutated: share it as std::shared_ptr<const Zone> freely across threads.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/util/arena.hpp"
#include "common/zone/location.hpp"

namespace flatsign::zone {

// All RRsets at one owner name, sorted by type code.
struct Node {
  // A built zone's are carved from their block's storage (util/arena.hpp): one heap block per
  // name cost a malloc and a free each, and about a tenth of a large zone's load. A copy's are
  // on the heap.
  using RRsets = std::vector<dns::RRset, util::ArenaAllocator<dns::RRset>>;
  dns::Name name;
  RRsets rrsets;
  // NS at a name other than the apex: a zone cut (RFC 1034 §4.2.1). Only NS, DS and NSEC(3)
  // records at a cut are the parent's; NS is not authoritative.
  bool delegation = false;
  // Below a zone cut or a DNAME: glue or occluded data, kept but never authoritative.
  bool occluded = false;

  const dns::RRset* find(dns::RRType type) const;
  // The TTL to emit for record `rdata` of `rrset` (one of this node's). RRSIGs are kept as one
  // RRset per name, but RFC 4034 §3 gives each the TTL of the RRset it covers; other records
  // take their RRset's TTL.
  uint32_t record_ttl(const dns::RRset& rrset, std::span<const uint8_t> rdata) const;
};

struct ZoneIssue;

// The nodes of a Zone in canonical order, by index or iterator (random access, O(1)). Valid as
// long as the Zone it came from.
class NodeRange {
 public:
  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Node;
    using difference_type = std::ptrdiff_t;
    using pointer = const Node*;
    using reference = const Node&;
    iterator() = default;
    explicit iterator(const Node* const* p) : p_(p) {}
    reference operator*() const { return **p_; }
    pointer operator->() const { return *p_; }
    reference operator[](difference_type n) const { return *p_[n]; }
    iterator& operator++() {
      ++p_;
      return *this;
    }
    iterator operator++(int) {
      auto t = *this;
      ++p_;
      return t;
    }
    iterator& operator--() {
      --p_;
      return *this;
    }
    iterator operator--(int) {
      auto t = *this;
      --p_;
      return t;
    }
    iterator& operator+=(difference_type n) {
      p_ += n;
      return *this;
    }
    iterator& operator-=(difference_type n) {
      p_ -= n;
      return *this;
    }
    friend iterator operator+(iterator i, difference_type n) { return i += n; }
    friend iterator operator+(difference_type n, iterator i) { return i += n; }
    friend iterator operator-(iterator i, difference_type n) { return i -= n; }
    friend difference_type operator-(iterator a, iterator b) { return a.p_ - b.p_; }
    friend bool operator==(iterator a, iterator b) { return a.p_ == b.p_; }
    friend auto operator<=>(iterator a, iterator b) { return a.p_ <=> b.p_; }

   private:
    const Node* const* p_ = nullptr;
  };
  NodeRange() = default;
  explicit NodeRange(std::span<const Node* const> nodes) : nodes_(nodes) {}
  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  const Node& operator[](size_t i) const { return *nodes_[i]; }
  const Node& front() const { return *nodes_.front(); }
  const Node& back() const { return *nodes_.back(); }
  iterator begin() const { return iterator(nodes_.data()); }
  iterator end() const { return iterator(nodes_.data() + nodes_.size()); }

 private:
  std::span<const Node* const> nodes_;
};

// What one block of nodes holds, computed when the block is made, so that whole-zone figures
// and DNSSEC upkeep (expiring or foreign signatures) need not read every node. Signature times
// compare in RFC 1982 serial order (RFC 4034 §3.1.5).
struct BlockSummary {
  size_t rrsets = 0;
  size_t rrs = 0;
  size_t dnssec_rrsets = 0;  // RRSIG, NSEC, NSEC3 and NSEC3PARAM RRsets
  size_t dnssec_rrs = 0;     // the RRs of those RRsets
  size_t rrsig_rrsets = 0;   // names with RRSIGs
  size_t rrsigs = 0;         // RRSIG RRs
  size_t signed_rrsets = 0;  // distinct types covered by the RRSIGs, summed over names
  size_t nsec_names = 0;     // names with an NSEC RRset
  size_t nsec3_names = 0;    // names with an NSEC3 RRset
  bool any_rrsig = false;
  bool malformed_rrsig = false;  // an RRSIG RDATA shorter than its 18 fixed octets
  uint32_t earliest_expiration = 0;
  uint32_t latest_inception = 0;
  // Distinct (algorithm, key tag) of the RRSIGs, up to kMaxKeys; more sets many_keys.
  static constexpr size_t kMaxKeys = 8;
  std::vector<std::pair<uint8_t, uint16_t>> keys;
  bool many_keys = false;
};

class Zone {
 public:
  Zone(const Zone&) = delete;  // soa_ and index_ point into blocks_
  Zone& operator=(const Zone&) = delete;
  const dns::Name& origin() const { return origin_; }
  // The apex SOA RRset (exactly one RR, guaranteed by the builder).
  const dns::RRset& soa() const { return *soa_; }
  uint32_t serial() const;
  // Every node in RFC 4034 §6.1 order; the apex is first.
  NodeRange nodes() const { return NodeRange(index_); }
  // Exact match, or nullptr.
  const Node* find(const dns::Name& name) const;
  const dns::RRset* find(const dns::Name& name, dns::RRType type) const;
  // Index of the last node whose name sorts <= `name` (the apex for names in the zone).
  // REQUIRES: name is at or below the origin.
  size_t predecessor(const dns::Name& name) const;
  size_t rrset_count() const { return rrset_count_; }
  size_t rr_count() const { return rr_count_; }

  // Nodes are stored in blocks of consecutive nodes that later snapshots share (with_changes
  // copies only the blocks it changes). Block b holds nodes()[block_first(b)] onwards, in order.
  size_t block_count() const { return blocks_.size(); }
  size_t block_first(size_t b) const { return block_first_[b]; }
  size_t block_size(size_t b) const { return blocks_[b]->nodes.size(); }
  const BlockSummary& block_summary(size_t b) const { return blocks_[b]->summary; }

  // Every RR in canonical order, SOA first (the body of an AXFR without the closing SOA).
  std::vector<dns::Rr> records() const;

  // A new snapshot: this zone with each RRset of `replace` put in place of the RRset with the
  // same owner and type (added when absent; one without RDATA removes it, and a name left with
  // nothing disappears). Only the names touched are checked again, with the builder's rules,
  // and only the blocks holding them are copied: the cost grows with the changes (plus one
  // pointer per node), not with the zone. A name whose NS or DNAME changes has its subtree's
  // occlusion recomputed (RFC 4035 §2.2).
  // Throws ZoneError when a touched name breaks a rule or the apex loses its SOA or NS.
  [[nodiscard]] std::shared_ptr<const Zone> with_changes(std::vector<dns::RRset> replace) const;

 private:
  struct Block;  // below

 public:
  // Nodes assembled elsewhere (the signer's workers) for adopt(), laid out as ZoneBuilder lays a
  // block out: the nodes, their RRset vectors and their RDATA lists in one allocation (a small
  // signed zone had ~25 heap blocks a zone besides its RDATA, each with a malloc chunk's
  // overhead). Not synchronized: one thread fills one draft.
  class BlockDraft {
   public:
    BlockDraft() = default;
    // Room for at most kBlockNodes nodes with `rrsets` RRsets in all, and `rdata` octets of
    // RDATA lists (the sum of their RdataList::placed_bytes).
    BlockDraft(size_t nodes, size_t rrsets, size_t rdata);
    // A new last node, with room for `rrsets` RRsets. Valid until the next add_node.
    Node& add_node(dns::Name name, size_t rrsets, bool delegation, bool occluded);
    // An exact list of `refs` placed in the draft's storage. REQUIRES: its room was counted.
    dns::RdataList place(std::span<const dns::RdataRef> refs);

   private:
    friend class Zone;
    std::shared_ptr<Block> block_;
    uint8_t* rdata_ = nullptr;  // where the next RDATA list goes
  };
  static constexpr size_t kBlockNodes = 128;

  // A Zone of `blocks` as they are (zone_adopt.cpp), for nodes assembled and checked elsewhere
  // (the signer's workers). REQUIRES: the nodes, in order, are what ZoneBuilder::build() makes of
  // the same records (canonical order, RRsets by type and normalized, flags set); only the apex's
  // SOA and NS are checked. `threads` summarize the blocks. Throws ZoneError.
  [[nodiscard]] static std::shared_ptr<const Zone> adopt(dns::Name origin,
                                                         std::vector<BlockDraft> blocks,
                                                         unsigned threads = 1);

  // A new snapshot of this zone without the RRsets whose type `drop` selects (e.g. the records a
  // signer added: the signed zone's unsigned content); a name left with nothing disappears.
  // Names, order and zone-cut flags are kept, so nothing is checked again: dropping a type the
  // builder's rules do not rest on cannot break one. The copy is made in one pass, in order.
  // REQUIRES: drop(type) is false for SOA, NS, DNAME and CNAME.
  [[nodiscard]] std::shared_ptr<const Zone> without_types(bool (*drop)(dns::RRType)) const;

 private:
  friend class ZoneBuilder;
  // with_changes()'s steps and their shared state (zone_patch.cpp).
  struct Patch;
  // Never mutated once the Zone holding it is built: blocks are shared between snapshots.
  struct Block {
    // What ZoneBuilder made for these nodes in one place instead of one heap block per name and
    // RRset: the nodes, their RRset vectors (both carved by `arena`) and their RDATA lists
    // (RdataList::place). A slice of a region the builder shares among consecutive blocks (on
    // huge pages when large): faulting in a large zone 4 KiB at a time took about a fifth of
    // its load. The region lives until its last block does (a block with_changes replaced
    // keeps its share until then). Declared first so that it outlives the nodes. Empty in
    // copies.
    std::shared_ptr<uint8_t> storage;
    util::Arena arena;
    std::vector<Node, util::ArenaAllocator<Node>> nodes;
    BlockSummary summary;
  };
  Zone() = default;
  // Drops the spare capacity of the RRset vectors and RDATA blocks kept for the zone's lifetime.
  // Moves RRsets: call before index_blocks().
  static void compact(dns::RRset& rrset);
  static void compact(Node& node);
  // Rebuilds index_, block_first_ and the SOA pointer from blocks_; counts from the summaries.
  void index_blocks();
  void count_blocks();
  static void summarize(Block& block);
  // Flags and checks one node; `cut` is the innermost non-occluded zone cut or DNAME above it.
  static void check_node(const Zone& zone, Node& node, bool apex, const dns::Name* cut,
                         const Location& where, std::vector<ZoneIssue>& errors,
                         std::vector<ZoneIssue>& warnings);
  // The zone-wide checks: SOA and NS at the apex.
  void check_apex(std::vector<ZoneIssue>& errors) const;
  dns::Name origin_;
  std::vector<std::shared_ptr<Block>> blocks_;
  std::vector<size_t> block_first_;
  std::vector<const Node*> index_;
  const dns::RRset* soa_ = nullptr;
  size_t rrset_count_ = 0;
  size_t rr_count_ = 0;
};

// A finding of the checks (ZoneBuilder, Zone::with_changes). Errors stop the build; warnings
// are reported with the zone.
struct ZoneIssue {
  enum class Severity { Warning, Error };
  Severity severity;
  Location where;
  std::string what;
  std::string to_string() const;
};

// Thrown by ZoneBuilder::build() and Zone::with_changes() with every error found (not just the
// first).
class ZoneError : public std::runtime_error {
 public:
  explicit ZoneError(std::vector<ZoneIssue> issues);
  const std::vector<ZoneIssue>& issues() const { return issues_; }

 private:
  std::vector<ZoneIssue> issues_;
};

}  // namespace flatsign::zone
