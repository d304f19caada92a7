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

const RRset* Node::find(RRType type) const {
  for (const auto& rs : rrsets) {
    if (rs.type == type) return &rs;
  }
  return nullptr;
}

uint32_t Node::record_ttl(const RRset& rrset, std::span<const uint8_t> rdata) const {
  if (rrset.type != RRType::RRSIG || rdata.size() < 2) return rrset.ttl;
  const RRset* covered = find(static_cast<RRType>(rdata[0] << 8 | rdata[1]));
  return covered ? covered->ttl : rrset.ttl;
}

uint32_t Zone::serial() const {
  return dns::soa_serial(soa_->rdatas.front());
}

const Node* Zone::find(const Name& name) const {
  auto it = std::lower_bound(index_.begin(), index_.end(), name,
                             [](const Node* n, const Name& key) { return n->name < key; });
  return it != index_.end() && (*it)->name == name ? *it : nullptr;
}

const RRset* Zone::find(const Name& name, RRType type) const {
  const Node* n = find(name);
  return n ? n->find(type) : nullptr;
}

size_t Zone::predecessor(const Name& name) const {
  auto it = std::upper_bound(index_.begin(), index_.end(), name,
                             [](const Name& key, const Node* n) { return key < n->name; });
  return it == index_.begin() ? 0 : static_cast<size_t>(it - index_.begin()) - 1;
}

std::vector<dns::Rr> Zone::records() const {
  std::vector<dns::Rr> out;
  out.reserve(rr_count_);
  auto emit = [&out](const Node& node, const RRset& rs) {
    for (dns::RdataRef rd : rs.rdatas) {
      out.push_back({rs.owner, rs.type, rs.rclass, node.record_ttl(rs, rd), rd.to_rdata()});
    }
  };
  emit(*index_.front(), *soa_);
  for (const Node* np : index_) {
    const Node& node = *np;
    for (const auto& rs : node.rrsets) {
      if (&rs != soa_) emit(node, rs);
    }
  }
  return out;
}

std::string ZoneIssue::to_string() const {
  return where.to_string() + ": " + (severity == Severity::Error ? "error: " : "warning: ") + what;
}

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
}  // namespace

ZoneError::ZoneError(std::vector<ZoneIssue> issues)
    : std::runtime_error(join_issues(issues)), issues_(std::move(issues)) {}

ZoneBuilder::ZoneBuilder(Name origin) : origin_(std::move(origin)) {}

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
  // RDATA is at most 65535 octets (RFC 1035 §3.2.1), so one chunk always holds the largest.
  constexpr size_t kChunk = size_t{1} << 20;
  if (chunk_size_ - chunk_used_ < rdata.size()) {
    const size_t size = std::max(kChunk, rdata.size());
    rdata_chunks_.push_back(std::make_unique_for_overwrite<uint8_t[]>(size));
    chunk_used_ = 0;
    chunk_size_ = size;
  }
  uint8_t* at = rdata_chunks_.back().get() + chunk_used_;
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

ZoneBuilder::Result ZoneBuilder::build() && {
  std::vector<ZoneIssue> errors, warnings;
  auto error = [&](const Where* w, std::string what) {
    errors.push_back({ZoneIssue::Severity::Error, w ? location(*w) : Location{}, std::move(what)});
  };
  auto warn = [&](const Where* w, std::string what) {
    warnings.push_back(
        {ZoneIssue::Severity::Warning, w ? location(*w) : Location{}, std::move(what)});
  };

  // One canonical sort key per owner run, all in one arena (no allocation per RR). Every
  // owner inside the zone has the origin's key as a prefix: it is left out.
  std::string arena, key;
  canonical_key(origin_, key);
  const size_t origin_key = key.size();
  std::vector<uint32_t> key_at(owners_.size() + 1);
  std::vector<bool> owner_ok(owners_.size());
  for (size_t i = 0; i < owners_.size(); ++i) {
    key_at[i] = static_cast<uint32_t>(arena.size());
    owner_ok[i] = owners_[i].is_subdomain_of(origin_);
    if (owner_ok[i]) {
      canonical_key(owners_[i], key);
      arena.append(key, origin_key);
    }
  }
  key_at[owners_.size()] = static_cast<uint32_t>(arena.size());
  auto owner_key = [&](uint32_t o) {
    return std::string_view(arena).substr(key_at[o], key_at[o + 1] - key_at[o]);
  };

  // The owners in canonical order give each a rank (equal names, e.g. a repeated owner or
  // another case, share one). Sorting the owners instead of the RRs sorts a third as many
  // items; the first 8 key octets, as one integer, settle most comparisons without a memcmp
  // into the arena.
  std::vector<uint32_t> rank(owners_.size());
  size_t ranks = 0;
  {
    struct Item {
      uint64_t head;  // the key's first 8 octets, big-endian, zero-padded: same order
      uint32_t owner;
    };
    std::vector<Item> items;
    items.reserve(owners_.size());
    for (uint32_t o = 0; o < owners_.size(); ++o) {
      if (!owner_ok[o]) continue;
      uint64_t head = 0;
      std::string_view k = owner_key(o);
      for (size_t i = 0; i < 8; ++i)
        head = (head << 8) | (i < k.size() ? static_cast<uint8_t>(k[i]) : 0);
      items.push_back({head, o});
    }
    auto before = [&](const Item& a, const Item& b) {
      if (a.head != b.head) return a.head < b.head;
      if (int c = owner_key(a.owner).compare(owner_key(b.owner)); c != 0) return c < 0;
      return a.owner < b.owner;
    };
    // Transfers and Zone::records() arrive in canonical order already.
    if (!std::is_sorted(items.begin(), items.end(), before))
      std::sort(items.begin(), items.end(), before);
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0 && (items[i].head != items[i - 1].head ||
                    owner_key(items[i].owner) != owner_key(items[i - 1].owner)))
        ++ranks;
      rank[items[i].owner] = static_cast<uint32_t>(ranks);
    }
    if (!items.empty()) ++ranks;
  }

  // Per-RR checks, then order by (canonical owner, type), keeping input order among equals: a
  // counting sort on the owner's rank, then the few RRs of each owner by type.
  constexpr uint32_t kRejected = UINT32_MAX;  // in Pending::owner: left out of the zone
  std::vector<uint32_t> start(ranks + 1, 0);
  size_t kept = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    const auto& p = pending_[i];
    if (p.rclass != RRClass::IN) {
      error(&p.where, "class " + dns::class_to_string(p.rclass) + " is not IN");
    } else if (!owner_ok[p.owner]) {
      error(&p.where, owners_[p.owner].to_string() + " is outside the zone " + origin_.to_string());
    } else if (dns::is_meta_type(p.type)) {
      error(&p.where, "meta type " + dns::type_to_string(p.type) + " cannot be zone data");
    } else {
      ++start[rank[p.owner] + 1];
      ++kept;
      continue;
    }
    pending_[i].owner = kRejected;
  }
  for (size_t r = 0; r < ranks; ++r) start[r + 1] += start[r];
  std::vector<uint32_t> order(kept);
  {
    std::vector<uint32_t> next(start.begin(), start.end() - 1);
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i].owner != kRejected)
        order[next[rank[pending_[i].owner]]++] = static_cast<uint32_t>(i);
    }
  }
  auto type_of = [&](uint32_t i) { return static_cast<uint16_t>(pending_[i].type); };
  for (size_t r = 0; r < ranks; ++r) {
    if (start[r + 1] - start[r] > 16) {
      std::stable_sort(order.begin() + start[r], order.begin() + start[r + 1],
                       [&](uint32_t a, uint32_t b) { return type_of(a) < type_of(b); });
      continue;
    }
    // Insertion sort: stable, and an owner has a handful of RRs, usually in type order.
    for (size_t j = start[r] + 1; j < start[r + 1]; ++j) {
      const uint32_t v = order[j];
      size_t k = j;
      for (; k > start[r] && type_of(order[k - 1]) > type_of(v); --k) order[k] = order[k - 1];
      order[k] = v;
    }
  }
  start = {};

  std::shared_ptr<Zone> zone(new Zone());
  zone->origin_ = origin_;
  Zone::Block* block = nullptr;
  std::vector<const Where*> node_where;  // where each node's first RR came from
  // RFC 2181 §5.2: all RRs of an RRset share one TTL; like BIND we keep the first one read.
  auto same_owner = [&](const Pending& a, const Pending& b) {
    return rank[a.owner] == rank[b.owner];
  };
  for (size_t k = 0; k < order.size(); ++k) {
    auto& p = pending_[order[k]];
    if (k == 0 || !same_owner(p, pending_[order[k - 1]])) {
      if (block == nullptr || block->nodes.size() == Zone::kBlockNodes) {
        block = zone->blocks_.emplace_back(std::make_shared<Zone::Block>()).get();
        block->nodes.reserve(Zone::kBlockNodes);
      }
      // The name gets a buffer of its own, next to its node: the added RRs' names (an AXFR's,
      // one per record) are freed with them, and a name kept from there would pin their pages.
      block->nodes.push_back(
          Node{Name::from_wire_unchecked(owners_[p.owner].wire()), {}, false, false});
      node_where.push_back(&p.where);
      // Exactly as many RRsets as the run has types: no vector grown and shrunk, whose freed
      // blocks would leave holes among the zone's.
      size_t types = 0;
      for (size_t j = k; j < order.size() && same_owner(pending_[order[j]], p); ++j)
        types += j == k || pending_[order[j]].type != pending_[order[j - 1]].type;
      block->nodes.back().rrsets.reserve(types);
    }
    auto& node = block->nodes.back();
    if (node.rrsets.empty() || node.rrsets.back().type != p.type) {
      node.rrsets.push_back(RRset{node.name, p.type, p.rclass, p.ttl, {}});
      // One exact RDATA block per RRset: its RRs are the run of `order` with this owner and type.
      size_t count = 0, octets = 0;
      for (size_t j = k; j < order.size(); ++j) {
        const auto& q = pending_[order[j]];
        if (q.type != p.type || !same_owner(q, p)) break;
        ++count;
        octets += q.rdata_size;
      }
      node.rrsets.back().rdatas.reserve(count, octets);
    } else if (p.type == RRType::RRSIG) {
      // RRSIGs at one name cover different RRsets, each with its own TTL (RFC 4034 §3):
      // record_ttl() emits the covered TTL; the set's own TTL is the smallest, a safe bound.
      node.rrsets.back().ttl = std::min(node.rrsets.back().ttl, p.ttl);
    } else if (node.rrsets.back().ttl != p.ttl) {
      const auto& rs = node.rrsets.back();
      warn(&p.where, node.name.to_string() + " " + dns::type_to_string(p.type) + ": TTL " +
                         std::to_string(p.ttl) + " differs from the RRset's TTL " +
                         std::to_string(rs.ttl) + "; using " + std::to_string(rs.ttl) +
                         " (RFC 2181 §5.2)");
    }
    node.rrsets.back().rdatas.push_back(std::span<const uint8_t>(p.rdata, p.rdata_size));
  }

  pending_.clear();
  rdata_chunks_.clear();
  owners_.clear();
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
      const bool apex = node.name == origin_;
      Zone::check_node(*zone, node, apex, cut, location(*node_where[ni++]), errors, warnings);
      if (!node.occluded && (node.delegation || (!apex && node.find(RRType::DNAME)))) {
        cut = &node.name;
      }
    }
    Zone::summarize(*b);
  }
  zone->count_blocks();
  zone->check_apex(errors);
  if (!errors.empty()) throw ZoneError(std::move(errors));
  return {std::move(zone), std::move(warnings)};
}

void Zone::compact(RRset& rrset) {
  // push_back doubles the RDATA block (and the vector of RRsets): a 100k-name signed zone
  // carried about 60% slack, kept for the zone's lifetime.
  rrset.rdatas.shrink_to_fit();
}

void Zone::compact(Node& node) {
  node.rrsets.shrink_to_fit();
  for (auto& rs : node.rrsets) compact(rs);
}

void Zone::index_blocks() {
  index_.clear();
  block_first_.clear();
  block_first_.reserve(blocks_.size());
  size_t n = 0;
  for (const auto& b : blocks_) n += b->nodes.size();
  index_.reserve(n);
  for (const auto& b : blocks_) {
    block_first_.push_back(index_.size());
    for (const auto& node : b->nodes) index_.push_back(&node);
  }
  soa_ = nullptr;
  if (!index_.empty() && index_.front()->name == origin_) {
    const RRset* soa = index_.front()->find(RRType::SOA);
    if (soa != nullptr && soa->rdatas.size() == 1) soa_ = soa;
  }
}

void Zone::count_blocks() {
  rr_count_ = rrset_count_ = 0;
  for (const auto& b : blocks_) {
    rr_count_ += b->summary.rrs;
    rrset_count_ += b->summary.rrsets;
  }
}

void Zone::summarize(Block& block) {
  BlockSummary s;
  auto get32 = [](std::span<const uint8_t> rd, size_t at) {
    return (uint32_t{rd[at]} << 24) | (uint32_t{rd[at + 1]} << 16) | (uint32_t{rd[at + 2]} << 8) |
           rd[at + 3];
  };
  auto before = [](uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; };
  for (const auto& node : block.nodes) {
    s.rrsets += node.rrsets.size();
    for (const auto& rs : node.rrsets) {
      s.rrs += rs.rdatas.size();
      switch (rs.type) {
        case RRType::NSEC:
          ++s.nsec_names;
          ++s.dnssec_rrsets;
          break;
        case RRType::NSEC3:
          ++s.nsec3_names;
          ++s.dnssec_rrsets;
          break;
        case RRType::NSEC3PARAM:
          ++s.dnssec_rrsets;
          break;
        case RRType::RRSIG:
          ++s.dnssec_rrsets;
          // RFC 4034 §3.1: type covered (2), algorithm, labels, original TTL (4), expiration,
          // inception, key tag (2). Canonical RDATA order keeps one run per covered type.
          for (size_t k = 0; k < rs.rdatas.size(); ++k) {
            const auto& rd = rs.rdatas[k];
            if (rd.size() < 18) {
              s.malformed_rrsig = true;
              continue;
            }
            if (k == 0 || rs.rdatas[k - 1].size() < 2 || rd[0] != rs.rdatas[k - 1][0] ||
                rd[1] != rs.rdatas[k - 1][1])
              ++s.signed_rrsets;
            const uint32_t expiration = get32(rd, 8), inception = get32(rd, 12);
            if (!s.any_rrsig || before(expiration, s.earliest_expiration))
              s.earliest_expiration = expiration;
            if (!s.any_rrsig || before(s.latest_inception, inception))
              s.latest_inception = inception;
            s.any_rrsig = true;
            const std::pair<uint8_t, uint16_t> key{rd[2],
                                                   static_cast<uint16_t>(rd[16] << 8 | rd[17])};
            if (s.many_keys || std::find(s.keys.begin(), s.keys.end(), key) != s.keys.end())
              continue;
            if (s.keys.size() == BlockSummary::kMaxKeys) {
              s.many_keys = true;
            } else {
              s.keys.push_back(key);
            }
          }
          break;
        default:
          break;
      }
    }
  }
  block.summary = std::move(s);
}

void Zone::check_node(const Zone& zone, Node& node, bool apex, const Name* cut,
                      const Location& where, std::vector<ZoneIssue>& errors,
                      std::vector<ZoneIssue>& warnings) {
  const Name& origin = zone.origin_;
  auto error = [&](std::string what) {
    errors.push_back({ZoneIssue::Severity::Error, where, std::move(what)});
  };
  // Duplicates are legal input and merge silently (RFC 2181 §5).
  for (auto& rs : node.rrsets) rs.normalize();
  node.occluded = cut != nullptr;
  node.delegation = !apex && node.find(RRType::NS) != nullptr;

  bool has_cname = false, has_other = false, has_alias = false, has_address = false;
  for (const auto& rs : node.rrsets) {
    auto at = [&] { return node.name.to_string() + " " + dns::type_to_string(rs.type); };
    switch (rs.type) {
      case RRType::SOA:
        if (!apex) {
          error(at() + ": SOA is only allowed at the apex " + origin.to_string());
        } else if (rs.rdatas.size() != 1) {
          error(at() + ": the apex must have exactly one SOA record, found " +
                std::to_string(rs.rdatas.size()));
        }
        has_other = true;
        break;
      case RRType::CNAME:
        has_cname = true;
        if (rs.rdatas.size() > 1) error(at() + ": more than one CNAME (RFC 1034 §3.6.2)");
        break;
      case RRType::DNAME:
        if (rs.rdatas.size() > 1) error(at() + ": more than one DNAME (RFC 6672 §2.4)");
        has_other = true;
        break;
      case RRType::ALIAS:
        has_alias = true;
        if (rs.rdatas.size() > 1) error(at() + ": more than one ALIAS target");
        break;
      case RRType::A:
      case RRType::AAAA:
        has_address = true;
        has_other = true;
        break;
      // RFC 2181 §10.1 / RFC 4035 §2.5: DNSSEC records may sit beside a CNAME.
      case RRType::RRSIG:
      case RRType::NSEC:
        break;
      default:
        has_other = true;
    }
  }
  if (has_cname && (has_other || has_alias)) {
    error(node.name.to_string() +
          ": CNAME and other data at the same name (RFC 1034 §3.6.2, RFC 2181 §10.1)");
  }
  if (has_alias && has_address) {
    error(node.name.to_string() +
          ": ALIAS and A/AAAA at the same name (the ALIAS expands into them)");
  }
  if (node.occluded) {
    for (const auto& rs : node.rrsets) {
      if (rs.type != RRType::A && rs.type != RRType::AAAA) {
        warnings.push_back({ZoneIssue::Severity::Warning, where,
                            node.name.to_string() + " " + dns::type_to_string(rs.type) +
                                " is below the zone cut at " + cut->to_string() +
                                " and will not be served (occluded)"});
      }
    }
  }
}

void Zone::check_apex(std::vector<ZoneIssue>& errors) const {
  // Zone-wide findings have no single location. (Built field by field: g++ 12 misreports an
  // aggregate with an empty Location as maybe-uninitialized.)
  auto zone_error = [&](std::string what) {
    ZoneIssue issue;
    issue.severity = ZoneIssue::Severity::Error;
    issue.what = std::move(what);
    errors.push_back(std::move(issue));
  };
  if (index_.empty() || !(index_.front()->name == origin_) || soa_ == nullptr) {
    bool soa_error = false;
    for (auto& e : errors) soa_error |= e.what.find("SOA") != std::string::npos;
    if (!soa_error) zone_error("no SOA record at the apex " + origin_.to_string());
  } else if (index_.front()->find(RRType::NS) == nullptr) {
    zone_error("no NS records at the apex " + origin_.to_string() + " (RFC 1035 §5.2)");
  }
}

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
