// Applies an incremental IXFR answer to the zone being served, with the checks a whole transfer
// gets: every deletion must find its record and no addition may repeat one (the difference is for
// the version served), no data of a class other than IN, the zone's rules at the names touched,
// max-records and the shrink guard on the resulting zone. Pure function; thread-safe.
#pragma once

#include "common/zone/zone.hpp"
#include "slave/ixfr_reader.hpp"
#include "slave/transfer_check.hpp"

namespace flatsign::slave {

// The new content (unsigned) and its diff from the served content, as check_transfer gives for
// an AXFR: Accepted with zone and diff, Unchanged (UpToDate, or steps that cancel out), or a
// refusal naming the step and record at fault. Signer-owned records in the steps are ignored
// (counted in the detail), as in an AXFR. The zone is `served` with the change applied, sharing
// its untouched blocks (the cost grows with the change, not the zone): when `served` is signed it
// keeps the RRSIG, NSEC and NSEC3 records the signer made (which the signer replaces, and which
// the diff and the max-records and shrink counts leave out), but not the apex's DNSKEY, CDS and
// CDNSKEY (a signer keeps given ones).
// REQUIRES: ixfr.state() == Complete, ixfr.form() is UpToDate or Incremental, and `served`
// holds the content of the master's version ixfr.client_serial() (signed or not).
[[nodiscard]] CheckResult check_ixfr(IxfrAssembler& ixfr, const zone::Zone& served,
                                     const TransferLimits& limits = {});

}  // namespace flatsign::slave
