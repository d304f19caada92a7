// An immutable, canonically ordered snapshot of one zone, and the builder that checks and
// freezes it. A built Zone is never mutated: share it as std::shared_ptr<const Zone> freely
// across threads; a builder belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/zone/location.hpp"

namespace flatsign::zone {

// All RRsets at one owner name, sorted by type code.
struct Node {
  dns::Name name;
  std::vector<dns::RRset> rrsets;
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

class Zone {
 public:
  Zone(const Zone&) = delete;  // soa_ points into nodes_
  Zone& operator=(const Zone&) = delete;
  const dns::Name& origin() const { return origin_; }
  // The apex SOA RRset (exactly one RR, guaranteed by the builder).
  const dns::RRset& soa() const { return *soa_; }
  uint32_t serial() const;
  // Every node in RFC 4034 §6.1 order; the apex is first.
  std::span<const Node> nodes() const { return nodes_; }
  // Exact match, or nullptr.
  const Node* find(const dns::Name& name) const;
  const dns::RRset* find(const dns::Name& name, dns::RRType type) const;
  // Index of the last node whose name sorts <= `name` (the apex for names in the zone).
  // REQUIRES: name is at or below the origin.
  size_t predecessor(const dns::Name& name) const;
  size_t rrset_count() const { return rrset_count_; }
  size_t rr_count() const { return rr_count_; }

  // Every RR in canonical order, SOA first (the body of an AXFR without the closing SOA).
  std::vector<dns::Rr> records() const;

  // A new snapshot: this zone with each RRset of `replace` put in place of the RRset with the
  // same owner and type (added when absent; one without RDATA removes it, and a name left with
  // nothing disappears). Only the names touched are checked again, with the builder's rules;
  // the rest is copied, not re-sorted. Much cheaper than a ZoneBuilder for a few changes.
  // Throws ZoneError when a touched name breaks a rule or the apex loses its SOA or NS.
  [[nodiscard]] std::shared_ptr<const Zone> with_changes(std::vector<dns::RRset> replace) const;

 private:
  friend class ZoneBuilder;
  Zone() = default;
  // Sets counts, the SOA pointer, delegation/occluded flags, and checks the nodes marked in
  // `touched` (all when null), appending findings; `where` locates node i for messages.
  static void finish(Zone& zone, const std::vector<bool>* touched,
                     const std::function<Location(size_t)>& where, std::vector<ZoneIssue>& errors,
                     std::vector<ZoneIssue>& warnings);
  dns::Name origin_;
  std::vector<Node> nodes_;
  const dns::RRset* soa_ = nullptr;
  size_t rrset_count_ = 0;
  size_t rr_count_ = 0;
};

// A finding of the builder's checks. Errors stop the build; warnings are reported with the zone.
struct ZoneIssue {
  enum class Severity { Warning, Error };
  Severity severity;
  Location where;
  std::string what;
  std::string to_string() const;
};

// Thrown by ZoneBuilder::build() with every error found (not just the first).
class ZoneError : public std::runtime_error {
 public:
  explicit ZoneError(std::vector<ZoneIssue> issues);
  const std::vector<ZoneIssue>& issues() const { return issues_; }

 private:
  std::vector<ZoneIssue> issues_;
};

class ZoneBuilder {
 public:
  explicit ZoneBuilder(dns::Name origin);

  // Room for about `rrs` RRs, so that adding them does not move what was added before.
  void reserve(size_t rrs) { pending_.reserve(rrs); }
  // Adds one RR. `where` is kept for error messages. Cheap: checks run in build().
  void add(dns::Rr rr, const Location& where = {});
  // Adds a whole RRset (e.g. from another Zone).
  void add(const dns::RRset& rrset, const Location& where = {});

  struct Result {
    std::shared_ptr<const Zone> zone;
    std::vector<ZoneIssue> warnings;
  };
  // Groups, sorts and checks everything added, then freezes it. Checks (RFC 1034/1035/2181):
  // exactly one SOA at the apex; NS at the apex; no data outside the origin; CNAME with other
  // data (except RRSIG/NSEC); ALIAS with A, AAAA or CNAME; more than one CNAME or DNAME;
  // class IN only. Warnings: TTLs differing inside an RRset (set to the first one read,
  // RFC 2181 §5.2), data below a zone cut that is not glue (occluded).
  // Throws ZoneError listing every error. The builder is consumed.
  Result build() &&;

 private:
  // Where an RR came from, compactly: an index into files_ instead of a string per RR.
  struct Where {
    uint32_t file = 0;  // files_[file]; files_[0] is "" (unknown)
    uint32_t line = 0;
    uint32_t column = 0;
  };
  // One added RR. Its owner is an index into owners_, which holds each run of consecutive RRs
  // with the same owner once (zone files and transfers group RRs by owner).
  struct Pending {
    uint32_t owner;
    uint32_t ttl;
    dns::RRType type;
    dns::RRClass rclass;
    Where where;
    dns::Rdata rdata;
  };
  Location location(const Where& w) const;
  uint32_t file_index(const std::string& file);

  dns::Name origin_;
  std::vector<dns::Name> owners_;
  std::vector<Pending> pending_;
  std::vector<std::string> files_{""};
};

}  // namespace flatsign::zone
