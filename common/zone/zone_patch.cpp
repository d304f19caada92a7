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

namespace {
// Puts `rs` into `node` in type order, replacing the RRset of its type; empty removes it.
void put_rrset(Node& node, RRset& rs) {
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
}
}  // namespace

// with_changes()'s steps, in order, and what each hands to the next.
struct Zone::Patch {
  struct Group {
    size_t begin, end;  // a run of `replace` with one owner
  };
  // A block made by step 2, and which of its nodes step 3 checks.
  struct Fresh {
    Block* block;
    std::vector<bool> touched;
  };

  Patch(const Zone& zone, std::vector<RRset>& changes) : from(zone), replace(changes) {}

  const Zone& from;
  std::vector<RRset>& replace;  // sorted by owner and type (sort_changes)
  const Location where{"change", 0, 0};
  std::vector<ZoneIssue> errors, warnings;
  std::map<size_t, std::vector<Group>> edits;       // 1. by block of `from`
  std::vector<std::pair<size_t, size_t>> subtrees;  //    node index ranges to check again
  std::shared_ptr<Zone> z;                          // 2. the new zone
  std::vector<Fresh> fresh;                         //    its copied blocks

  size_t block_of(size_t i) const {
    auto it = std::upper_bound(from.block_first_.begin(), from.block_first_.end(), i);
    return static_cast<size_t>(it - from.block_first_.begin()) - 1;
  }
  void sort_changes();
  void find_edits();
  bool check_group(size_t begin, size_t end);
  void locate_group(size_t begin, size_t end, bool cut_change);
  bool in_subtree(size_t i) const;
  void copy_blocks();
  void merge_block(size_t b, const std::vector<Group>& groups);
  void check_touched();
  const Name* cut_above(const Node& node) const;
};

// The changes in (owner, type) order, each normalized and without spare capacity.
void Zone::Patch::sort_changes() {
  for (auto& rs : replace) {
    rs.normalize();
    compact(rs);
  }
  std::sort(replace.begin(), replace.end(), [](const RRset& a, const RRset& b) {
    if (auto c = a.owner <=> b.owner; c != 0) return c < 0;
    return static_cast<uint16_t>(a.type) < static_cast<uint16_t>(b.type);
  });
}

// 1. Which blocks change: the one holding each changed name (for a new name, the one holding
// its predecessor), and those holding the subtree of a name whose NS or DNAME changes: its
// zone cut may appear or go, and with it the occlusion of every name below (RFC 4035 §2.2).
void Zone::Patch::find_edits() {
  for (size_t j = 0; j < replace.size();) {
    size_t k = j;
    while (k < replace.size() && replace[k].owner == replace[j].owner) ++k;
    locate_group(j, k, check_group(j, k));
    j = k;
  }
  std::sort(subtrees.begin(), subtrees.end());
}

// build()'s per-RR checks on the changes of one owner, replace[begin, end); the node checks run
// in step 3 on every touched name. Returns whether its NS or DNAME changes.
bool Zone::Patch::check_group(size_t begin, size_t end) {
  const Name& owner = replace[begin].owner;
  bool cut_change = false;
  for (size_t k = begin; k < end; ++k) {
    const RRset& rs = replace[k];
    cut_change |= rs.type == RRType::NS || rs.type == RRType::DNAME;
    if (rs.rdatas.empty()) continue;  // a removal
    if (rs.rclass != RRClass::IN) {
      errors.push_back(
          {ZoneIssue::Severity::Error, where,
           owner.to_string() + ": class " + dns::class_to_string(rs.rclass) + " is not IN"});
    }
    if (dns::is_meta_type(rs.type)) {
      errors.push_back({ZoneIssue::Severity::Error, where,
                        owner.to_string() + ": meta type " + dns::type_to_string(rs.type) +
                            " cannot be zone data"});
    }
  }
  if (!owner.is_subdomain_of(from.origin_)) {
    errors.push_back({ZoneIssue::Severity::Error, where,
                      owner.to_string() + " is outside the zone " + from.origin_.to_string()});
  }
  return cut_change;
}

// Files the changes of one owner under the block they go to, and when its zone cut may change,
// marks its subtree's blocks too.
void Zone::Patch::locate_group(size_t begin, size_t end, bool cut_change) {
  const Name& owner = replace[begin].owner;
  const auto& index = from.index_;
  auto it = std::lower_bound(index.begin(), index.end(), owner,
                             [](const Node* n, const Name& key) { return n->name < key; });
  const size_t pos = static_cast<size_t>(it - index.begin());
  const bool exists = pos < index.size() && index[pos]->name == owner;
  edits[block_of(exists || pos == 0 ? pos : pos - 1)].push_back({begin, end});
  if (!cut_change || owner == from.origin_) return;
  const size_t first = exists ? pos + 1 : pos;
  size_t last = first;
  while (last < index.size() && index[last]->name.is_subdomain_of(owner)) ++last;
  if (first < last) {
    subtrees.emplace_back(first, last);
    for (size_t b = block_of(first); b <= block_of(last - 1); ++b) edits[b];
  }
}

// Whether node i of `from` is below a name whose zone cut may change.
bool Zone::Patch::in_subtree(size_t i) const {
  auto it =
      std::upper_bound(subtrees.begin(), subtrees.end(), std::pair<size_t, size_t>{i, SIZE_MAX});
  for (; it != subtrees.begin();) {  // few ranges, and nested ones start later
    --it;
    if (i < it->second) return true;
  }
  return false;
}

// 2. The new block list: unchanged blocks shared, changed ones copied with their edits merged
// in.
void Zone::Patch::copy_blocks() {
  z.reset(new Zone());
  z->origin_ = from.origin_;
  z->blocks_.reserve(from.blocks_.size() + edits.size());
  for (size_t b = 0; b < from.blocks_.size(); ++b) {
    auto e = edits.find(b);
    if (e == edits.end()) {
      z->blocks_.push_back(from.blocks_[b]);
    } else {
      merge_block(b, e->second);
    }
  }
  z->index_blocks();
}

// Copies block `b` of `from` with the changes of `groups` applied, as one new block or, when it
// grew past twice the usual size, several.
void Zone::Patch::merge_block(size_t b, const std::vector<Group>& groups) {
  const auto& old = from.blocks_[b]->nodes;
  std::vector<Node> nodes;
  std::vector<bool> touched;
  nodes.reserve(old.size() + groups.size());
  size_t k = 0;
  auto keep = [&](size_t until_k) {
    for (; k < until_k; ++k) {
      nodes.push_back(old[k]);
      touched.push_back(in_subtree(from.block_first_[b] + k));
    }
  };
  for (const Group& g : groups) {
    const Name& owner = replace[g.begin].owner;
    size_t at = k;
    while (at < old.size() && old[at].name < owner) ++at;
    keep(at);
    Node node = k < old.size() && old[k].name == owner ? old[k++] : Node{owner, {}, false, false};
    for (size_t j = g.begin; j < g.end; ++j) put_rrset(node, replace[j]);
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

// 3. Flag and check the touched names.
void Zone::Patch::check_touched() {
  for (auto& f : fresh) {
    for (size_t k = 0; k < f.block->nodes.size(); ++k) {
      if (!f.touched[k]) continue;
      Node& node = f.block->nodes[k];
      const bool apex = node.name == from.origin_;
      check_node(*z, node, apex, apex ? nullptr : cut_above(node), where, errors, warnings);
    }
    summarize(*f.block);
  }
}

// A name is occluded when an ancestor below the apex is a zone cut or has a DNAME (RFC 1034
// §4.2.1, RFC 6672 §2.3); the topmost such one is the cut. nullptr when there is none.
const Name* Zone::Patch::cut_above(const Node& node) const {
  if (!node.name.is_subdomain_of(from.origin_)) return nullptr;
  const size_t below = node.name.label_count() - from.origin_.label_count();
  for (size_t strip = below; strip-- > 1;) {
    const Node* up = z->find(node.name.strip_left(strip));
    if (up && (up->find(RRType::NS) || up->find(RRType::DNAME))) return &up->name;
  }
  return nullptr;
}

std::shared_ptr<const Zone> Zone::with_changes(std::vector<RRset> replace) const {
  Patch patch(*this, replace);
  patch.sort_changes();
  patch.find_edits();
  patch.copy_blocks();
  patch.check_touched();
  patch.z->count_blocks();
  patch.z->check_apex(patch.errors);
  if (!patch.errors.empty()) throw ZoneError(std::move(patch.errors));
  return patch.z;
}

}  // namespace flatsign::zone
