// The chain of trust across one zone cut when a server holds both sides: the DS RRset the
// parent zone has at the child's apex against the child's own DNSKEY RRset (RFC 4035 §5.2).
// A parent whose DS matches none of the child's keys, or a child without keys under a DS, makes
// every validator answer SERVFAIL for the child. Pure functions over immutable zones; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/zone/zone.hpp"

namespace flatsign::dnssec {

// Why a delegation breaks validation of the child zone.
struct DelegationMismatch {
  std::vector<uint16_t> ds_tags;      // key tags of the parent's DS RRset at the cut, sorted
  std::vector<uint16_t> dnskey_tags;  // key tags of the child's zone keys, sorted; empty: unsigned
  std::string detail;  // one line naming both zones and the tags, for logs and alerts
};

// Checks the DS RRset of `parent` at `child`'s origin against `child`'s apex DNSKEY RRset.
// Returns nullopt when the parent has no DS there (an insecure delegation, nothing to break) or
// when some DS matches a zone key of the child: same key tag and algorithm, and a digest equal
// to the key's (RFC 4034 §5.1.4); a DS of a digest type this build does not compute (only SHA-256
// and SHA-384 are) counts as matching when its tag and algorithm do, as a validator that cannot
// check it ignores it rather than fails (RFC 4035 §5.2). REQUIRES: child's origin lies below
// parent's.
[[nodiscard]] std::optional<DelegationMismatch> check_delegation(const zone::Zone& parent,
                                                                 const zone::Zone& child);

}  // namespace flatsign::dnssec
