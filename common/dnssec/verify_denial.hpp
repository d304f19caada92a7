// The denial-chain half of verify_zone (verify.hpp): the NSEC or NSEC3 records of a signed zone
// compared with the chain recomputed from its data, either whole or, after a verified zone it
// was patched from, only where the two can differ. Internal to verify_zone; pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/types.hpp"
#include "common/dnssec/denial.hpp"
#include "common/dnssec/verify.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::dnssec::detail {

using ProblemSink =
    std::function<void(VerifyProblem::Kind, const dns::Name&, dns::RRType, std::string)>;

// What the zone's apex says about its chain. config.nsec3.opt_out is not part of it: it comes
// from the NSEC3 records themselves (any with the Opt-Out flag), which each check reads its way.
struct DenialSetup {
  DenialConfig config;
  std::vector<dns::RRType> apex_extra;  // types signing adds at the apex (NSEC3PARAM)
  dns::RRType dtype = dns::RRType::NSEC;
  uint32_t ttl = 0;  // denial_ttl(zone.soa())
};

// The two snapshots of an incremental check. Blocks are shared by Zone::with_changes; a node in
// a shared block is the same object, so the same content, in both zones.
struct ZonePair {
  const zone::Zone& zone;
  const zone::Zone& before;
  std::vector<char> zone_shared;    // per block of `zone`: also a block of `before`
  std::vector<char> before_shared;  // per block of `before`: also a block of `zone`
};
[[nodiscard]] ZonePair pair_zones(const zone::Zone& zone, const zone::Zone& before);

// Recomputes the whole chain of `zone` and reports every record that differs from it
// (ExtraDenial, WrongDenial, then MissingDenial in canonical order).
void check_denial_full(const zone::Zone& zone, DenialSetup setup, const ProblemSink& problem);

// The same verdict as check_denial_full(pair.zone), for a zone whose denial chain `pair.before`
// had right (it passed verify_zone with the same NSEC3PARAM and denial TTL): only the owners
// where the records present or the records expected can differ are compared. Returns false,
// having reported nothing, when it cannot tell (Opt-Out changed, a large change, a malformed
// record in `before`): the caller then runs check_denial_full.
[[nodiscard]] bool check_denial_incremental(const ZonePair& pair, const DenialSetup& setup,
                                            const ProblemSink& problem);

}  // namespace flatsign::dnssec::detail
