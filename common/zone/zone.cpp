// Zone: the immutable snapshot (lookups, records in canonical order, block summaries, node and
// apex checks). Built by ZoneBuilder (zone_builder.cpp), patched in zone_patch.cpp, adopted from
// assembled blocks in zone_adopt.cpp.
#include "common/zone/zone.hpp"
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
      if (rs.type == RRType::NSEC || rs.type == RRType::NSEC3 || rs.type == RRType::NSEC3PARAM ||
          rs.type == RRType::RRSIG)
        s.dnssec_rrs += rs.rdatas.size();
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
          ++s.rrsig_rrsets;
          s.rrsigs += rs.rdatas.size();
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

}  // namespace flatsign::zone
