#include "common/zone/zone.hpp"

#include <algorithm>
#include <functional>
#include <numeric>

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
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), name,
                             [](const Node& n, const Name& key) { return n.name < key; });
  return it != nodes_.end() && it->name == name ? &*it : nullptr;
}

const RRset* Zone::find(const Name& name, RRType type) const {
  const Node* n = find(name);
  return n ? n->find(type) : nullptr;
}

size_t Zone::predecessor(const Name& name) const {
  auto it = std::upper_bound(nodes_.begin(), nodes_.end(), name,
                             [](const Name& key, const Node& n) { return key < n.name; });
  return it == nodes_.begin() ? 0 : static_cast<size_t>(it - nodes_.begin()) - 1;
}

std::vector<dns::Rr> Zone::records() const {
  std::vector<dns::Rr> out;
  out.reserve(rr_count_);
  auto emit = [&out](const Node& node, const RRset& rs) {
    for (const auto& rd : rs.rdatas) {
      out.push_back({rs.owner, rs.type, rs.rclass, node.record_ttl(rs, rd), rd});
    }
  };
  emit(nodes_.front(), *soa_);
  for (const auto& node : nodes_) {
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

void ZoneBuilder::add(dns::Rr rr, const Location& where) {
  if (owners_.empty() || !(owners_.back() == rr.owner)) owners_.push_back(std::move(rr.owner));
  pending_.push_back(Pending{static_cast<uint32_t>(owners_.size() - 1), rr.ttl, rr.type, rr.rclass,
                             Where{file_index(where.file), where.line, where.column},
                             std::move(rr.rdata)});
}

void ZoneBuilder::add(const RRset& rrset, const Location& where) {
  for (const auto& rd : rrset.rdatas) {
    add({rrset.owner, rrset.type, rrset.rclass, rrset.ttl, rd}, where);
  }
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

  // One canonical sort key per owner run, all in one arena (no allocation per RR).
  std::string arena, key;
  std::vector<uint32_t> key_at(owners_.size() + 1);
  std::vector<bool> owner_ok(owners_.size());
  for (size_t i = 0; i < owners_.size(); ++i) {
    key_at[i] = static_cast<uint32_t>(arena.size());
    owner_ok[i] = owners_[i].is_subdomain_of(origin_);
    if (owner_ok[i]) {
      canonical_key(owners_[i], key);
      arena += key;
    }
  }
  key_at[owners_.size()] = static_cast<uint32_t>(arena.size());
  auto owner_key = [&](uint32_t o) {
    return std::string_view(arena).substr(key_at[o], key_at[o + 1] - key_at[o]);
  };

  // Per-RR checks, then order by (canonical owner, type), keeping input order among equals.
  std::vector<uint32_t> order;
  order.reserve(pending_.size());
  for (size_t i = 0; i < pending_.size(); ++i) {
    const auto& p = pending_[i];
    if (p.rclass != RRClass::IN) {
      error(&p.where, "class " + dns::class_to_string(p.rclass) + " is not IN");
    } else if (!owner_ok[p.owner]) {
      error(&p.where, owners_[p.owner].to_string() + " is outside the zone " + origin_.to_string());
    } else if (dns::is_meta_type(p.type)) {
      error(&p.where, "meta type " + dns::type_to_string(p.type) + " cannot be zone data");
    } else {
      order.push_back(static_cast<uint32_t>(i));
    }
  }
  auto before = [&](uint32_t a, uint32_t b) {
    const auto &pa = pending_[a], &pb = pending_[b];
    if (pa.owner != pb.owner) {
      if (int c = owner_key(pa.owner).compare(owner_key(pb.owner)); c != 0) return c < 0;
    }
    return static_cast<uint16_t>(pa.type) < static_cast<uint16_t>(pb.type);
  };
  // Transfers and Zone::records() arrive in canonical order already.
  if (!std::is_sorted(order.begin(), order.end(), before)) {
    std::stable_sort(order.begin(), order.end(), before);
  }

  std::shared_ptr<Zone> zone(new Zone());
  zone->origin_ = origin_;
  auto& nodes = zone->nodes_;
  std::vector<const Where*> node_where;  // where each node's first RR came from
  // RFC 2181 §5.2: all RRs of an RRset share one TTL; like BIND we keep the first one read.
  for (size_t k = 0; k < order.size(); ++k) {
    auto& p = pending_[order[k]];
    bool same_name = k > 0 && (p.owner == pending_[order[k - 1]].owner ||
                               owner_key(p.owner) == owner_key(pending_[order[k - 1]].owner));
    if (!same_name) {
      nodes.push_back(Node{owners_[p.owner], {}, false, false});
      node_where.push_back(&p.where);
    }
    auto& node = nodes.back();
    if (node.rrsets.empty() || node.rrsets.back().type != p.type) {
      node.rrsets.push_back(RRset{node.name, p.type, p.rclass, p.ttl, {}});
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
    node.rrsets.back().rdatas.push_back(std::move(p.rdata));
  }

  pending_.clear();
  owners_.clear();
  Zone::finish(
      *zone, nullptr, [&](size_t ni) { return location(*node_where[ni]); }, errors, warnings);
  if (!errors.empty()) throw ZoneError(std::move(errors));
  return {std::move(zone), std::move(warnings)};
}

void Zone::finish(Zone& zone, const std::vector<bool>* touched,
                  const std::function<Location(size_t)>& where, std::vector<ZoneIssue>& errors,
                  std::vector<ZoneIssue>& warnings) {
  auto& nodes = zone.nodes_;
  const Name& origin = zone.origin_;
  zone.soa_ = nullptr;
  zone.rr_count_ = zone.rrset_count_ = 0;
  const Name* cut = nullptr;  // the innermost zone cut or DNAME above the current node
  for (size_t ni = 0; ni < nodes.size(); ++ni) {
    auto& node = nodes[ni];
    const bool check = touched == nullptr || (*touched)[ni];
    auto error = [&](std::string what) {
      errors.push_back({ZoneIssue::Severity::Error, where(ni), std::move(what)});
    };
    for (auto& rs : node.rrsets) {
      if (check) rs.normalize();  // duplicates are legal input and merge silently (RFC 2181 §5)
      zone.rr_count_ += rs.rdatas.size();
    }
    zone.rrset_count_ += node.rrsets.size();
    const bool apex = node.name == origin;
    if (cut != nullptr && !node.name.is_subdomain_of(*cut)) cut = nullptr;
    node.occluded = cut != nullptr;
    node.delegation = !apex && node.find(RRType::NS) != nullptr;
    if (apex) {
      const RRset* soa = node.find(RRType::SOA);
      if (soa != nullptr && soa->rdatas.size() == 1) zone.soa_ = soa;
    }

    if (check) {
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
            warnings.push_back({ZoneIssue::Severity::Warning, where(ni),
                                node.name.to_string() + " " + dns::type_to_string(rs.type) +
                                    " is below the zone cut at " + cut->to_string() +
                                    " and will not be served (occluded)"});
          }
        }
      }
    }
    if (!node.occluded && (node.delegation || (!apex && node.find(RRType::DNAME)))) {
      cut = &node.name;
    }
  }

  // Zone-wide findings have no single location. (Built field by field: g++ 12 misreports an
  // aggregate with an empty Location as maybe-uninitialized.)
  auto zone_error = [&](std::string what) {
    ZoneIssue issue;
    issue.severity = ZoneIssue::Severity::Error;
    issue.what = std::move(what);
    errors.push_back(std::move(issue));
  };
  if (nodes.empty() || !(nodes.front().name == origin) || zone.soa_ == nullptr) {
    bool soa_error = false;
    for (auto& e : errors) soa_error |= e.what.find("SOA") != std::string::npos;
    if (!soa_error) zone_error("no SOA record at the apex " + origin.to_string());
  } else if (nodes.front().find(RRType::NS) == nullptr) {
    zone_error("no NS records at the apex " + origin.to_string() + " (RFC 1035 §5.2)");
  }
}

std::shared_ptr<const Zone> Zone::with_changes(std::vector<RRset> replace) const {
  const Location kChange{"change", 0, 0};
  for (auto& rs : replace) rs.normalize();
  std::sort(replace.begin(), replace.end(), [](const RRset& a, const RRset& b) {
    if (auto c = a.owner <=> b.owner; c != 0) return c < 0;
    return static_cast<uint16_t>(a.type) < static_cast<uint16_t>(b.type);
  });
  std::vector<ZoneIssue> errors, warnings;
  std::shared_ptr<Zone> z(new Zone());
  z->origin_ = origin_;
  z->nodes_.reserve(nodes_.size() + replace.size());
  std::vector<bool> touched;
  touched.reserve(nodes_.size() + replace.size());

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
  size_t i = 0, j = 0;
  while (i < nodes_.size() || j < replace.size()) {
    std::strong_ordering c = i == nodes_.size()    ? std::strong_ordering::greater
                             : j == replace.size() ? std::strong_ordering::less
                                                   : nodes_[i].name <=> replace[j].owner;
    if (c < 0) {
      z->nodes_.push_back(nodes_[i++]);
      touched.push_back(false);
      continue;
    }
    Node node = c == 0 ? nodes_[i++] : Node{replace[j].owner, {}, false, false};
    if (!node.name.is_subdomain_of(origin_)) {
      errors.push_back({ZoneIssue::Severity::Error, kChange,
                        node.name.to_string() + " is outside the zone " + origin_.to_string()});
    }
    for (const Name owner = node.name; j < replace.size() && replace[j].owner == owner; ++j) {
      apply(node, replace[j]);
    }
    if (node.rrsets.empty()) continue;  // every RRset removed: the name is gone
    z->nodes_.push_back(std::move(node));
    touched.push_back(true);
  }
  finish(
      *z, &touched,
      [](size_t) {
        return Location{"change", 0, 0};
      },
      errors, warnings);
  if (!errors.empty()) throw ZoneError(std::move(errors));
  return z;
}

}  // namespace flatsign::zone
