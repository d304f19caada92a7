// ZoneBuilder: RRs from a zone file or a transfer, in any order, grouped into a checked Zone in
// canonical order (RFC 4034 §6.1), with every error and warning located; and ZoneError.
#include "common/zone/zone_builder.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "common/dns/rdata.hpp"

namespace flatsign::zone {

using dns::Name;
using dns::RRClass;
using dns::RRset;
using dns::RRType;

namespace {
std::string join_issues(const std::vector<ZoneIssue>& issues) {
  std::string s;
  for (const auto& i : issues) {
    if (!s.empty()) s += "\n";
    s += i.to_string();
  }
  return s;
}

// A memcmp-able key with the order of RFC 4034 §6.1: labels right to left, lowercased, each
// followed by 0x00; octets 0x00 and 0x01 inside labels are escaped so the separator sorts first.
void canonical_key(const Name& name, std::string& key) {
  key.clear();
  auto w = name.wire();
  uint8_t offs[128];
  size_t n = 0;
  for (size_t pos = 0; w[pos] != 0; pos += 1 + w[pos]) offs[n++] = static_cast<uint8_t>(pos);
  while (n > 0) {
    size_t pos = offs[--n];
    for (size_t i = 1; i <= w[pos]; ++i) {
      uint8_t c = dns::dns_lower(w[pos + i]);
      if (c <= 1) {
        key.push_back('\x01');
        key.push_back(static_cast<char>(c + 1));
      } else {
        key.push_back(static_cast<char>(c));
      }
    }
    key.push_back('\0');
  }
}

// 1. One canonical sort key per owner run, all in one arena (no allocation per RR). Every owner
// inside the zone has the origin's key as a prefix: it is left out.
struct OwnerKeys {
  util::HugeString arena;
  util::HugeVector<uint32_t> at;  // owner o's key is arena[at[o], at[o + 1])
  std::vector<bool> inside;       // the owner is at or below the origin (the others have no key)
  std::string_view operator()(uint32_t o) const {
    return std::string_view(arena).substr(at[o], at[o + 1] - at[o]);
  }
};

OwnerKeys owner_keys(const std::vector<Name>& owners, const Name& origin) {
  OwnerKeys keys;
  std::string key;
  canonical_key(origin, key);
  const size_t origin_key = key.size();
  keys.at.resize(owners.size() + 1);
  keys.inside.resize(owners.size());
  for (size_t i = 0; i < owners.size(); ++i) {
    keys.at[i] = static_cast<uint32_t>(keys.arena.size());
    keys.inside[i] = owners[i].is_subdomain_of(origin);
    if (keys.inside[i]) {
      canonical_key(owners[i], key);
      keys.arena.append(key.data() + origin_key, key.size() - origin_key);
    }
  }
  keys.at[owners.size()] = static_cast<uint32_t>(keys.arena.size());
  return keys;
}

// 2. The owners in canonical order give each a rank (equal names, e.g. a repeated owner or
// another case, share one). Sorting the owners instead of the RRs sorts a third as many
// items; the first 8 key octets, as one integer, settle most comparisons without a memcmp
// into the arena.
struct OwnerRanks {
  util::HugeVector<uint32_t> rank;  // by owner; 0 for an owner outside the zone
  size_t count = 0;                 // distinct ranks
};

OwnerRanks rank_owners(const OwnerKeys& key) {
  struct Item {
    uint64_t head;  // the key's first 8 octets, big-endian, zero-padded: same order
    uint32_t owner;
  };
  util::HugeVector<Item> items;
  items.reserve(key.inside.size());
  for (uint32_t o = 0; o < key.inside.size(); ++o) {
    if (!key.inside[o]) continue;
    uint64_t head = 0;
    std::string_view k = key(o);
    for (size_t i = 0; i < 8; ++i)
      head = (head << 8) | (i < k.size() ? static_cast<uint8_t>(k[i]) : 0);
    items.push_back({head, o});
  }
  auto before = [&](const Item& a, const Item& b) {
    if (a.head != b.head) return a.head < b.head;
    if (int c = key(a.owner).compare(key(b.owner)); c != 0) return c < 0;
    return a.owner < b.owner;
  };
  // Transfers and Zone::records() arrive in canonical order already.
  if (!std::is_sorted(items.begin(), items.end(), before))
    std::sort(items.begin(), items.end(), before);
  OwnerRanks ranks{util::HugeVector<uint32_t>(key.inside.size()), 0};
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0 &&
        (items[i].head != items[i - 1].head || key(items[i].owner) != key(items[i - 1].owner)))
      ++ranks.count;
    ranks.rank[items[i].owner] = static_cast<uint32_t>(ranks.count);
  }
  if (!items.empty()) ++ranks.count;
  return ranks;
}
}  // namespace

ZoneError::ZoneError(std::vector<ZoneIssue> issues)
    : std::runtime_error(join_issues(issues)), issues_(std::move(issues)) {}

ZoneBuilder::ZoneBuilder(Name origin) : origin_(std::move(origin)) {}

ZoneBuilder::~ZoneBuilder() {
  free_chunks();
}

void ZoneBuilder::free_chunks() noexcept {
  for (const Chunk& c : rdata_chunks_) util::huge_free(c.data, c.size);
  rdata_chunks_.clear();
  chunk_used_ = chunk_size_ = 0;
}

uint32_t ZoneBuilder::file_index(const std::string& file) {
  // Few distinct files ($INCLUDE), and consecutive RRs share one: search from the back.
  for (size_t i = files_.size(); i-- > 0;) {
    if (files_[i] == file) return static_cast<uint32_t>(i);
  }
  files_.push_back(file);
  return static_cast<uint32_t>(files_.size() - 1);
}

Location ZoneBuilder::location(const Where& w) const {
  return Location{files_[w.file], w.line, w.column};
}

const uint8_t* ZoneBuilder::keep(std::span<const uint8_t> rdata) {
  // An empty RDATA (RFC 3597 "\# 0") needs no room, and there may be no chunk yet.
  static constexpr uint8_t kNothing[1] = {0};
  if (rdata.empty()) return kNothing;
  // Chunks grow from 64 KiB (a small zone stays on the heap) to 4 MiB (two huge pages). RDATA
  // is at most 65535 octets (RFC 1035 §3.2.1), so one chunk always holds the largest.
  if (chunk_size_ - chunk_used_ < rdata.size()) {
    const size_t grown = (size_t{64} << 10) << std::min<size_t>(rdata_chunks_.size(), 6);
    const size_t size = std::max(grown, rdata.size());
    rdata_chunks_.reserve(rdata_chunks_.size() + 1);
    rdata_chunks_.push_back({static_cast<uint8_t*>(util::huge_alloc(size)), size});
    chunk_used_ = 0;
    chunk_size_ = size;
  }
  uint8_t* at = rdata_chunks_.back().data + chunk_used_;
  std::memcpy(at, rdata.data(), rdata.size());
  chunk_used_ += rdata.size();
  return at;
}

void ZoneBuilder::add(const Name& owner, dns::RRType type, RRClass rclass, uint32_t ttl,
                      std::span<const uint8_t> rdata, const Location& where) {
  if (owners_.empty() || !(owners_.back() == owner)) owners_.push_back(owner);
  pending_.push_back(Pending{static_cast<uint32_t>(owners_.size() - 1), ttl, type, rclass,
                             Where{file_index(where.file), where.line, where.column}, keep(rdata),
                             static_cast<uint32_t>(rdata.size())});
}

void ZoneBuilder::add(const dns::Rr& rr, const Location& where) {
  add(rr.owner, rr.type, rr.rclass, rr.ttl, rr.rdata, where);
}

void ZoneBuilder::add(const RRset& rrset, const Location& where) {
  for (dns::RdataRef rd : rrset.rdatas)
    add(rrset.owner, rrset.type, rrset.rclass, rrset.ttl, rd, where);
}

// build()'s steps, in order, and what each hands to the next.
struct ZoneBuilder::Build {
  static constexpr uint32_t kRejected = UINT32_MAX;  // in Pending::owner: left out of the zone

  explicit Build(ZoneBuilder& builder) : in(builder) {}
  // What one block of nodes stores (Zone::Block::storage).
  struct BlockBytes {
    size_t arena = 0;  // the nodes and their RRset vectors (a multiple of 8: RDATA follows)
    size_t rdata = 0;  // the RDATA lists (a multiple of 4)
    size_t bytes() const { return arena + ((rdata + 7) & ~size_t{7}); }
  };

  ZoneBuilder& in;
  std::vector<ZoneIssue> errors, warnings;
  OwnerKeys keys;                  // 1. the owners' sort keys
  OwnerRanks ranks;                // 2. their canonical order
  std::vector<bool> run_start;     // 3. by in.pending_ (now the kept RRs in order): the
                                   //    first RR of an owner
  size_t nodes_left = 0;           //    owners with kept RRs: the nodes still to make
  std::shared_ptr<Zone> zone;      // 4. their nodes, in blocks
  Zone::Block* block = nullptr;    //    the block being filled
  uint8_t* block_rdata = nullptr;  //    where its next RDATA list goes
  std::vector<BlockBytes> plan;    //    each block's storage
  static constexpr size_t kRegionBytes = size_t{16} << 20;
  std::shared_ptr<uint8_t> region;  //    what block storage is carved from
  size_t region_used = 0, region_size = 0;
  std::vector<const Where*> node_where;  //    where each node's first RR came from

  void error(const Where& w, std::string what) {
    errors.push_back({ZoneIssue::Severity::Error, in.location(w), std::move(what)});
  }
  void warn(const Where& w, std::string what) {
    warnings.push_back({ZoneIssue::Severity::Warning, in.location(w), std::move(what)});
  }
  void sort_records();
  util::HugeVector<uint32_t> check_records();
  void make_nodes();
  static constexpr size_t kAhead = 8;  // records make_nodes() fetches ahead
  Node& start_node(size_t k);
  size_t types_at(size_t k) const;
  void plan_blocks();
  std::shared_ptr<uint8_t> block_storage(size_t b);
  static_assert(sizeof(RRset) % 8 == 0 && alignof(RRset) <= 8);
  static_assert(sizeof(Node) % 8 == 0 && alignof(Node) <= 8);
  void start_rrset(Node& node, size_t k);
  void merge_ttl(RRset& rrset, const Pending& p);
  void check_nodes();
};

// 3. Per-RR checks, then the kept RRs moved into order by (canonical owner, type), keeping input
// order among equals: a counting sort on the owner's rank, then the few RRs of each owner by
// type. The later steps then read the records in order instead of at random (through an index,
// each a cache miss in a large zone).
void ZoneBuilder::Build::sort_records() {
  util::HugeVector<uint32_t> start = check_records();
  const auto& rank = ranks.rank;
  for (size_t r = 0; r < ranks.count; ++r) {
    nodes_left += start[r + 1] != 0;
    start[r + 1] += start[r];
  }
  util::HugeVector<Pending> sorted(start[ranks.count]);
  {
    util::HugeVector<uint32_t> next(start.begin(), start.end() - 1);
    for (const Pending& p : in.pending_) {
      if (p.owner != kRejected) sorted[next[rank[p.owner]]++] = p;
    }
  }
  in.pending_ = std::move(sorted);
  auto& sorted_ = in.pending_;
  run_start.assign(sorted_.size(), false);
  auto by_type = [](const Pending& a, const Pending& b) { return a.type < b.type; };
  for (size_t r = 0; r < ranks.count; ++r) {
    if (start[r] == start[r + 1]) continue;
    run_start[start[r]] = true;
    auto first = sorted_.begin() + start[r], last = sorted_.begin() + start[r + 1];
    if (last - first > 16) {
      std::stable_sort(first, last, by_type);
      continue;
    }
    // Insertion sort: stable, and an owner has a handful of RRs, usually in type order.
    for (auto j = first + 1; j < last; ++j) {
      if (!by_type(*j, j[-1])) continue;
      const Pending v = *j;
      auto k = j;
      for (; k > first && by_type(v, k[-1]); --k) *k = k[-1];
      *k = v;
    }
  }
}

// The per-RR checks: a rejected RR gets kRejected as its owner. Returns, at [rank + 1], how many
// RRs each owner rank keeps.
util::HugeVector<uint32_t> ZoneBuilder::Build::check_records() {
  util::HugeVector<uint32_t> start(ranks.count + 1, 0);
  for (Pending& p : in.pending_) {
    if (p.rclass != RRClass::IN) {
      error(p.where, "class " + dns::class_to_string(p.rclass) + " is not IN");
    } else if (!keys.inside[p.owner]) {
      error(p.where,
            in.owners_[p.owner].to_string() + " is outside the zone " + in.origin_.to_string());
    } else if (dns::is_meta_type(p.type)) {
      error(p.where, "meta type " + dns::type_to_string(p.type) + " cannot be zone data");
    } else {
      ++start[ranks.rank[p.owner] + 1];
      continue;
    }
    p.owner = kRejected;
  }
  return start;
}

// 4. The nodes, one per owner run of the records, with one RRset per type.
// RFC 2181 §5.2: all RRs of an RRset share one TTL; like BIND we keep the first one read.
void ZoneBuilder::Build::make_nodes() {
  zone.reset(new Zone());
  zone->origin_ = in.origin_;
  plan_blocks();
  node_where.reserve(nodes_left);
  const size_t n = in.pending_.size();
  for (size_t k = 0; k < n; ++k) {
    // The records are in order now, but their owners' names and their RDATA lie in input order:
    // fetch them ahead (the owners' entries first, then the names they point to).
    if (k + 2 * kAhead < n) __builtin_prefetch(&in.owners_[in.pending_[k + 2 * kAhead].owner]);
    if (k + kAhead < n) {
      __builtin_prefetch(in.pending_[k + kAhead].rdata);
      if (run_start[k + kAhead])
        __builtin_prefetch(in.owners_[in.pending_[k + kAhead].owner].wire().data(), 1);
    }
    const Pending& p = in.pending_[k];
    Node& node = run_start[k] ? start_node(k) : block->nodes.back();
    if (node.rrsets.empty() || node.rrsets.back().type != p.type) {
      start_rrset(node, k);
    } else {
      merge_ttl(node.rrsets.back(), p);
    }
    node.rrsets.back().rdatas.push_back(std::span<const uint8_t>(p.rdata, p.rdata_size));
  }
}

// Opens the node of the owner run that starts at record k, in a new block when the last is full.
Node& ZoneBuilder::Build::start_node(size_t k) {
  const Pending& p = in.pending_[k];
  if (block == nullptr || block->nodes.size() == Zone::kBlockNodes) {
    block = zone->blocks_.emplace_back(std::make_shared<Zone::Block>()).get();
    const BlockBytes& bytes = plan[zone->blocks_.size() - 1];
    block->storage = block_storage(zone->blocks_.size() - 1);
    block->arena.reset(block->storage.get(), bytes.arena);
    block_rdata = block->storage.get() + bytes.arena;
    block->nodes = decltype(block->nodes)(util::ArenaAllocator<Node>(&block->arena));
    // Room for the nodes this block will hold, not a full block's: a zone of 20 names would
    // keep ~6 KB of empty nodes for its lifetime.
    block->nodes.reserve(std::min(Zone::kBlockNodes, nodes_left));
  }
  --nodes_left;
  // The node shares the owner run's name: both intakes (the zone-file parser, the transfer's
  // record cursor) make one Name per run of records with one owner, so these names are about
  // all they allocated and lie together; a copy cost a malloc per node.
  Node& node = block->nodes.emplace_back(Node{
      in.owners_[p.owner], Node::RRsets(util::ArenaAllocator<RRset>(&block->arena)), false, false});
  node_where.push_back(&p.where);
  // Exactly as many RRsets as the run has types, in the block's arena.
  node.rrsets.reserve(types_at(k));
  return node;
}

// The RRset types of the owner run that starts at record k.
size_t ZoneBuilder::Build::types_at(size_t k) const {
  size_t types = 1;
  for (size_t j = k + 1; j < in.pending_.size() && !run_start[j]; ++j)
    types += in.pending_[j].type != in.pending_[j - 1].type;
  return types;
}

// The storage of every block: it holds the next kBlockNodes owner runs of the records, their nodes
// and RRset vectors, each exact (start_node), then their RDATA lists, each placed exactly
// (start_rrset).
void ZoneBuilder::Build::plan_blocks() {
  size_t nodes = 0, count = 0, octets = 0;
  for (size_t j = 0; j < in.pending_.size(); ++j) {
    const Pending& q = in.pending_[j];
    const Pending* prev = j == 0 ? nullptr : &in.pending_[j - 1];
    const bool new_node = run_start[j];
    if (new_node || q.type != prev->type) {
      if (prev != nullptr) plan.back().rdata += dns::RdataList::placed_bytes(count, octets);
      count = octets = 0;
      if (new_node && nodes++ % Zone::kBlockNodes == 0) plan.emplace_back();
      plan.back().arena += (new_node ? sizeof(Node) : 0) + sizeof(RRset);
    }
    ++count;
    octets += q.rdata_size;
  }
  if (count > 0) plan.back().rdata += dns::RdataList::placed_bytes(count, octets);
}

// Block b's storage: its slice of the current region, or of a new one made for it and the blocks
// after it, up to kRegionBytes (whole huge pages: the last one's tail holds more blocks).
std::shared_ptr<uint8_t> ZoneBuilder::Build::block_storage(size_t b) {
  const size_t need = plan[b].bytes();
  if (region_size - region_used < need) {
    size_t size = need;
    for (size_t j = b + 1; j < plan.size() && size + plan[j].bytes() <= kRegionBytes; ++j)
      size += plan[j].bytes();
    size = util::huge_size(size);
    region = std::shared_ptr<uint8_t>(static_cast<uint8_t*>(util::huge_alloc(size)),
                                      [size](uint8_t* p) { util::huge_free(p, size); });
    region_used = 0;
    region_size = size;
  }
  std::shared_ptr<uint8_t> slice(region, region.get() + region_used);
  region_used += need;
  return slice;
}

// Opens the RRset of the type of record k in `node`, with its exact RDATA list placed in the
// block's storage: its RRs are the run of records with this owner and type.
void ZoneBuilder::Build::start_rrset(Node& node, size_t k) {
  const Pending& p = in.pending_[k];
  node.rrsets.push_back(RRset{node.name, p.type, p.rclass, p.ttl, {}});
  size_t count = 0, octets = 0;
  for (size_t j = k; j < in.pending_.size(); ++j) {
    const auto& q = in.pending_[j];
    if (q.type != p.type || (j > k && run_start[j])) break;
    ++count;
    octets += q.rdata_size;
  }
  node.rrsets.back().rdatas.place(block_rdata, count, octets);
  block_rdata += dns::RdataList::placed_bytes(count, octets);
}

// A further RR of `rrset` with its own TTL.
void ZoneBuilder::Build::merge_ttl(RRset& rrset, const Pending& p) {
  if (p.type == RRType::RRSIG) {
    // RRSIGs at one name cover different RRsets, each with its own TTL (RFC 4034 §3):
    // record_ttl() emits the covered TTL; the set's own TTL is the smallest, a safe bound.
    rrset.ttl = std::min(rrset.ttl, p.ttl);
  } else if (rrset.ttl != p.ttl) {
    warn(p.where, rrset.owner.to_string() + " " + dns::type_to_string(p.type) + ": TTL " +
                      std::to_string(p.ttl) + " differs from the RRset's TTL " +
                      std::to_string(rrset.ttl) + "; using " + std::to_string(rrset.ttl) +
                      " (RFC 2181 §5.2)");
  }
}

// 5. Compacts and indexes the nodes, flags and checks each, then checks the apex.
void ZoneBuilder::Build::check_nodes() {
  for (auto& b : zone->blocks_) {
    for (auto& node : b->nodes) Zone::compact(node);
  }
  zone->index_blocks();
  // One pass in canonical order: a zone cut or DNAME precedes the names it occludes.
  const Name* cut = nullptr;  // the innermost non-occluded zone cut or DNAME above the node
  size_t ni = 0;
  for (auto& b : zone->blocks_) {
    for (auto& node : b->nodes) {
      if (cut != nullptr && !node.name.is_subdomain_of(*cut)) cut = nullptr;
      const bool apex = node.name == in.origin_;
      Zone::check_node(*zone, node, apex, cut, in.location(*node_where[ni++]), errors, warnings);
      if (!node.occluded && (node.delegation || (!apex && node.find(RRType::DNAME)))) {
        cut = &node.name;
      }
    }
    Zone::summarize(*b);
  }
  zone->count_blocks();
  zone->check_apex(errors);
}

ZoneBuilder::Result ZoneBuilder::build() && {
  Build b(*this);
  b.keys = owner_keys(owners_, origin_);
  b.ranks = rank_owners(b.keys);
  b.sort_records();
  b.make_nodes();
  pending_ = {};
  free_chunks();
  owners_ = {};
  b.check_nodes();
  if (!b.errors.empty()) throw ZoneError(std::move(b.errors));
  return {std::move(b.zone), std::move(b.warnings)};
}

}  // namespace flatsign::zone
