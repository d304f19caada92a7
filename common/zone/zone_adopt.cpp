// Zone::adopt: a Zone from node blocks already in canonical order and checked, e.g. a signed zone
// whose nodes the signer's workers assembled, without ZoneBuilder's grouping, sorting and checks.
#include <algorithm>
#include <thread>

#include "common/zone/zone.hpp"
#include "common/zone/zone_builder.hpp"

namespace flatsign::zone {

std::shared_ptr<const Zone> Zone::adopt(dns::Name origin, std::vector<std::vector<Node>> blocks,
                                        unsigned threads,
                                        std::vector<std::shared_ptr<uint8_t>> storage) {
  std::shared_ptr<Zone> zone(new Zone());
  zone->origin_ = std::move(origin);
  zone->blocks_.reserve(blocks.size());
  for (size_t b = 0; b < blocks.size(); ++b) {
    auto& nodes = blocks[b];
    // Blocks of at most kBlockNodes, as the builder makes them (with_changes copies whole blocks).
    for (size_t first = 0; first < nodes.size(); first += kBlockNodes) {
      auto block = std::make_shared<Block>();
      // Every part of a split block shares its storage: the last one to go frees it.
      if (b < storage.size()) block->storage = storage[b];
      const size_t last = std::min(nodes.size(), first + kBlockNodes);
      block->nodes.reserve(last - first);
      for (size_t i = first; i < last; ++i) block->nodes.push_back(std::move(nodes[i]));
      zone->blocks_.push_back(std::move(block));
    }
  }
  blocks.clear();
  // Compacting and summarizing read every RR: split the blocks into one contiguous run a thread.
  const size_t n = zone->blocks_.size();
  threads = static_cast<unsigned>(std::clamp<size_t>(threads, 1, n / 16 + 1));
  auto work = [&zone, n, threads](unsigned t) {
    for (size_t b = n * t / threads; b < n * (t + 1) / threads; ++b) {
      for (auto& node : zone->blocks_[b]->nodes) compact(node);
      summarize(*zone->blocks_[b]);
    }
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
