// The answer engine's core: fills the sections of a response to one question from a Zone
// snapshot (RFC 1034 §4.3.2 without DNSSEC; issue 6 grows it). Stateless; thread-safe over a
// shared snapshot, needs no locks.
#pragma once

#include "common/dns/message.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::server {

// Appends the answer, authority and additional records for `q` to `resp`, sets its RCODE
// (NOERROR or NXDOMAIN) and AA (clear for a referral). Handles exact matches, ANY, in-zone
// CNAME chains, wildcards (RFC 4592), empty non-terminals, referrals at zone cuts with glue,
// and negative answers with the SOA (RFC 2308 §3).
// REQUIRES: q.qname is at or below zone.origin(); q.qtype is not AXFR/IXFR.
void answer_from_zone(const zone::Zone& zone, const dns::Question& q, dns::Message& resp);

}  // namespace flatsign::server
