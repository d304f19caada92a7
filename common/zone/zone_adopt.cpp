// Zone::adopt: a Zone from node blocks already in canonical order and checked, e.g. a signed zone
// whose nodes the signer's workers assembled, without ZoneBuilder's grouping, sorting and checks.
#include <algorithm>
#include <stdexcept>
#include <thread>

#include "common/zone/zone.hpp"
#include "common/zone/zone_builder.hpp"

namespace flatsign::zone {

Zone::BlockDraft::BlockDraft(size_t nodes, size_t rrsets, size_t rdata)
    : block_(std::make_shared<Block>()) {
  static_assert(sizeof(Node) % 8 == 0 && sizeof(dns::RRset) % 8 == 0);
  if (nodes > kBlockNodes) throw std::logic_error("Zone::BlockDraft: more than a block's nodes");
  const size_t arena = nodes * sizeof(Node) + rrsets * sizeof(dns::RRset);
  // new[] aligns for any fundamental type; the RDATA lists (4-aligned) follow the arena's part.
  block_->storage =
      std::shared_ptr<uint8_t>(new uint8_t[arena + rdata], std::default_delete<uint8_t[]>());
  block_->arena.reset(block_->storage.get(), arena);
  rdata_ = block_->storage.get() + arena;
  block_->nodes = decltype(block_->nodes)(util::ArenaAllocator<Node>(&block_->arena));
  block_->nodes.reserve(nodes);
}

Node& Zone::BlockDraft::add_node(dns::Name name, size_t rrsets, bool delegation, bool occluded) {
  Node& node = block_->nodes.emplace_back(
      Node{std::move(name), Node::RRsets(util::ArenaAllocator<dns::RRset>(&block_->arena)),
           delegation, occluded});
  node.rrsets.reserve(rrsets);
  return node;
}

dns::RdataList Zone::BlockDraft::place(std::span<const dns::RdataRef> refs) {
  dns::RdataList list;
  if (refs.empty()) return list;
  size_t octets = 0;
  for (dns::RdataRef r : refs) octets += r.size();
  list.place(rdata_, refs.size(), octets);
  for (dns::RdataRef r : refs) list.push_back(r);
  rdata_ += dns::RdataList::placed_bytes(refs.size(), octets);
  return list;
}

std::shared_ptr<const Zone> Zone::adopt(dns::Name origin, std::vector<BlockDraft> blocks,
                                        unsigned threads) {
  std::shared_ptr<Zone> zone(new Zone());
  zone->origin_ = std::move(origin);
  zone->blocks_.reserve(blocks.size());
  for (auto& draft : blocks) {
    if (draft.block_ && !draft.block_->nodes.empty())
      zone->blocks_.push_back(std::move(draft.block_));
  }
  blocks.clear();
  // Summarizing reads every RR: split the blocks into one contiguous run a thread. The drafts'
  // RRset vectors and RDATA lists are exact: nothing to compact.
  const size_t n = zone->blocks_.size();
  threads = static_cast<unsigned>(std::clamp<size_t>(threads, 1, n / 16 + 1));
  auto work = [&zone, n, threads](unsigned t) {
    for (size_t b = n * t / threads; b < n * (t + 1) / threads; ++b) summarize(*zone->blocks_[b]);
  };
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
  }
  zone->index_blocks();
  zone->count_blocks();
  std::vector<ZoneIssue> errors;
  zone->check_apex(errors);
  if (!errors.empty()) throw ZoneError(std::move(errors));
  return zone;
}

}  // namespace flatsign::zone
