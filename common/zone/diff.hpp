// The difference between two zone snapshots, per RRset. Drives the "unchanged" decision,
// incremental signing, IXFR and the change email. A Diff is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/dns/rrset.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::zone {

struct RRsetChange {
  dns::Name owner;
  dns::RRType type;
  dns::RRClass rclass = dns::RRClass::IN;
  // 0 when the RRset did not exist on that side.
  uint32_t old_ttl = 0;
  uint32_t new_ttl = 0;
  std::vector<dns::Rdata> removed;  // canonical order
  std::vector<dns::Rdata> added;    // canonical order
};

struct Diff {
  // Changed RRsets in canonical (owner, type) order. A TTL-only change has empty added/removed
  // and old_ttl != new_ttl.
  std::vector<RRsetChange> changes;
  // The changed RRs' uncompressed wire size (owner, 10 octets of type to RDLENGTH, RDATA).
  size_t wire_octets = 0;
  // DiffOptions::max_octets was passed: `changes` stops part way.
  bool cut_short = false;

  bool empty() const { return changes.empty(); }
  size_t added_count() const;
  size_t removed_count() const;
  // "+ name TTL IN TYPE rdata" / "- ..." lines, at most `max_lines`, then "... N more".
  std::string summary(size_t max_lines = 50) const;
};

struct DiffOptions {
  // The slave compares content, not the master's serial: a serial-only change is no change.
  bool ignore_soa_serial = false;
  // RRsets of the types this selects are left out on both sides (null: none), e.g. the
  // records a signer added, to compare a signed zone's content with an unsigned zone.
  bool (*skip_type)(dns::RRType) = nullptr;
  // The diff stops (Diff::cut_short) once wire_octets passes this: a caller that has no use
  // for a change that large (an IXFR journal step) is spared copying it whole.
  size_t max_octets = SIZE_MAX;
};

// Owner names and embedded names compare case-insensitively; RDATA order never matters.
// Nodes the two snapshots share (Zone::with_changes) are skipped unread: O(nodes) pointer
// compares plus the cost of the changed blocks.
Diff diff_zones(const Zone& from, const Zone& to, const DiffOptions& options = {});

}  // namespace flatsign::zone
