// Snapshot patching: a Zone derived from another by dropping types (without_types) or replacing
// RRsets (with_changes), sharing the blocks the change does not touch and re-checking only the
// names it does.
#include "common/zone/zone.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "common/dns/rdata.hpp"

namespace flatsign::zone {

using dns::Name;
using dns::RRClass;
using dns::RRset;
using dns::RRType;

std::shared_ptr<const Zone> Zone::without_types(bool (*drop)(RRType)) const {
  auto zone = std::shared_ptr<Zone>(new Zone());
  zone->origin_ = origin_;
  std::shared_ptr<Block> block;
  for (const Node* node : index_) {
    size_t keep = 0;
    for (const auto& rs : node->rrsets) keep += !drop(rs.type);
    if (keep == 0) continue;
    if (!block || block->nodes.size() == kBlockNodes) {
      if (block) zone->blocks_.push_back(std::move(block));
      block = std::make_shared<Block>();
      block->nodes.reserve(kBlockNodes);
    }
    Node& copy = block->nodes.emplace_back();
    copy.name = node->name;
    copy.delegation = node->delegation;
    copy.occluded = node->occluded;
    copy.rrsets.reserve(keep);
    for (const auto& rs : node->rrsets)
      if (!drop(rs.type)) copy.rrsets.push_back(rs);
  }
  if (block) zone->blocks_.push_back(std::move(block));
  for (auto& b : zone->blocks_) {
    b->nodes.shrink_to_fit();
    summarize(*b);
  }
  zone->index_blocks();
  zone->count_blocks();
  return zone;
}

std::shared_ptr<const Zone> Zone::with_changes(std::vector<RRset> replace) const {
  const Location kChange{"change", 0, 0};
  for (auto& rs : replace) {
    rs.normalize();
    compact(rs);
  }
  std::sort(replace.begin(), replace.end(), [](const RRset& a, const RRset& b) {
    if (auto c = a.owner <=> b.owner; c != 0) return c < 0;
    return static_cast<uint16_t>(a.type) < static_cast<uint16_t>(b.type);
  });
  std::vector<ZoneIssue> errors, warnings;
  auto block_of = [&](size_t i) {
    auto it = std::upper_bound(block_first_.begin(), block_first_.end(), i);
    return static_cast<size_t>(it - block_first_.begin()) - 1;
  };

  // 1. Which blocks change: the one holding each changed name (for a new name, the one holding
  // its predecessor), and those holding the subtree of a name whose NS or DNAME changes: its
  // zone cut may appear or go, and with it the occlusion of every name below (RFC 4035 §2.2).
  struct Group {
    size_t begin, end;  // a run of `replace` with one owner
  };
  std::map<size_t, std::vector<Group>> edits;       // by block
  std::vector<std::pair<size_t, size_t>> subtrees;  // node index ranges to check again
  for (size_t j = 0; j < replace.size();) {
    const Name& owner = replace[j].owner;
    size_t k = j;
    bool cut_change = false;
    for (; k < replace.size() && replace[k].owner == owner; ++k) {
      const RRset& rs = replace[k];
      cut_change |= rs.type == RRType::NS || rs.type == RRType::DNAME;
      if (rs.rdatas.empty()) continue;  // a removal
      // build()'s per-RR checks; the node checks run below on every touched name.
      if (rs.rclass != RRClass::IN) {
        errors.push_back(
            {ZoneIssue::Severity::Error, kChange,
             owner.to_string() + ": class " + dns::class_to_string(rs.rclass) + " is not IN"});
      }
      if (dns::is_meta_type(rs.type)) {
        errors.push_back({ZoneIssue::Severity::Error, kChange,
                          owner.to_string() + ": meta type " + dns::type_to_string(rs.type) +
                              " cannot be zone data"});
      }
    }
    if (!owner.is_subdomain_of(origin_)) {
      errors.push_back({ZoneIssue::Severity::Error, kChange,
                        owner.to_string() + " is outside the zone " + origin_.to_string()});
    }
    auto it = std::lower_bound(index_.begin(), index_.end(), owner,
                               [](const Node* n, const Name& key) { return n->name < key; });
    const size_t pos = static_cast<size_t>(it - index_.begin());
    const bool exists = pos < index_.size() && index_[pos]->name == owner;
    edits[block_of(exists || pos == 0 ? pos : pos - 1)].push_back({j, k});
    if (cut_change && !(owner == origin_)) {
      const size_t first = exists ? pos + 1 : pos;
      size_t last = first;
      while (last < index_.size() && index_[last]->name.is_subdomain_of(owner)) ++last;
      if (first < last) {
        subtrees.emplace_back(first, last);
        for (size_t b = block_of(first); b <= block_of(last - 1); ++b) edits[b];
      }
    }
    j = k;
  }
  std::sort(subtrees.begin(), subtrees.end());
  auto in_subtree = [&](size_t i) {
    auto it =
        std::upper_bound(subtrees.begin(), subtrees.end(), std::pair<size_t, size_t>{i, SIZE_MAX});
    for (; it != subtrees.begin();) {  // few ranges, and nested ones start later
      --it;
      if (i < it->second) return true;
    }
    return false;
  };

  // Puts `rs` into `node` in type order, replacing the RRset of its type; empty removes it.
  auto apply = [](Node& node, RRset& rs) {
    auto it = std::lower_bound(node.rrsets.begin(), node.rrsets.end(), rs.type,
                               [](const RRset& x, RRType t) {
                                 return static_cast<uint16_t>(x.type) < static_cast<uint16_t>(t);
                               });
    const bool present = it != node.rrsets.end() && it->type == rs.type;
    if (rs.rdatas.empty()) {
      if (present) node.rrsets.erase(it);
    } else if (present) {
      *it = std::move(rs);
    } else {
      node.rrsets.insert(it, std::move(rs));
    }
  };

  // 2. The new block list: unchanged blocks shared, changed ones copied with their edits merged
  // in (a block grown past twice the usual size is split).
  std::shared_ptr<Zone> z(new Zone());
  z->origin_ = origin_;
  z->blocks_.reserve(blocks_.size() + edits.size());
  struct Fresh {
    Block* block;
    std::vector<bool> touched;
  };
  std::vector<Fresh> fresh;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    auto e = edits.find(b);
    if (e == edits.end()) {
      z->blocks_.push_back(blocks_[b]);
      continue;
    }
    const auto& old = blocks_[b]->nodes;
    std::vector<Node> nodes;
    std::vector<bool> touched;
    nodes.reserve(old.size() + e->second.size());
    size_t k = 0;
    auto keep = [&](size_t until_k) {
      for (; k < until_k; ++k) {
        nodes.push_back(old[k]);
        touched.push_back(in_subtree(block_first_[b] + k));
      }
    };
    for (const Group& g : e->second) {
      const Name& owner = replace[g.begin].owner;
      size_t at = k;
      while (at < old.size() && old[at].name < owner) ++at;
      keep(at);
      Node node = k < old.size() && old[k].name == owner ? old[k++] : Node{owner, {}, false, false};
      for (size_t j = g.begin; j < g.end; ++j) apply(node, replace[j]);
      if (node.rrsets.empty()) continue;  // every RRset removed: the name is gone
      compact(node);
      nodes.push_back(std::move(node));
      touched.push_back(true);
    }
    keep(old.size());
    const size_t per = nodes.size() > 2 * kBlockNodes ? kBlockNodes : nodes.size();
    for (size_t at = 0; at < nodes.size(); at += per) {
      const size_t end = std::min(nodes.size(), at + per);
      auto block = std::make_shared<Block>();
      block->nodes.assign(std::make_move_iterator(nodes.begin() + static_cast<ptrdiff_t>(at)),
                          std::make_move_iterator(nodes.begin() + static_cast<ptrdiff_t>(end)));
      fresh.push_back(
          {block.get(), std::vector<bool>(touched.begin() + static_cast<ptrdiff_t>(at),
                                          touched.begin() + static_cast<ptrdiff_t>(end))});
      z->blocks_.push_back(std::move(block));
    }
  }
  z->index_blocks();

  // 3. Flag and check the touched names. A name is occluded when an ancestor below the apex is
  // a zone cut or has a DNAME (RFC 1034 §4.2.1, RFC 6672 §2.3); the topmost such one is the cut.
  for (auto& f : fresh) {
    for (size_t k = 0; k < f.block->nodes.size(); ++k) {
      if (!f.touched[k]) continue;
      Node& node = f.block->nodes[k];
      const bool apex = node.name == origin_;
      const Name* cut = nullptr;
      if (!apex && node.name.is_subdomain_of(origin_)) {
        const size_t below = node.name.label_count() - origin_.label_count();
        for (size_t strip = below; strip-- > 1;) {
          const Node* up = z->find(node.name.strip_left(strip));
          if (up && (up->find(RRType::NS) || up->find(RRType::DNAME))) {
            cut = &up->name;
            break;
          }
        }
      }
      check_node(*z, node, apex, cut, kChange, errors, warnings);
    }
    summarize(*f.block);
  }
  z->count_blocks();
  z->check_apex(errors);
  if (!errors.empty()) throw ZoneError(std::move(errors));
  return z;
}

}  // namespace flatsign::zone
