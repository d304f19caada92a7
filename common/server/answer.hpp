// The answer engine's core: fills the sections of a response to one question from a Zone
// snapshot (RFC 1034 §4.3.2), with DNSSEC records and denial proofs when the client sets DO
// (RFC 4035 §3.1). Stateless; thread-safe over a shared snapshot, needs no locks.
#pragma once

#include "common/dns/message.hpp"
#include "common/server/nsec_proofs.hpp"
#include "common/server/rrset_refs.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::server {

struct AnswerOptions {
  // DO was set (RFC 3225): add RRSIGs and NSEC/NSEC3 proofs (RFC 4035 §3.1).
  bool dnssec = false;
  // The snapshot's denial index; nullptr: built for this one answer (slow for NSEC3 zones, fine
  // for tests). REQUIRES: when set, built from the same zone.
  const DenialIndex* denial = nullptr;
};

// Computes the answer to QNAME `qname` (uncompressed wire, in the case received) and `qtype`
// into `out` (cleared first) as references into `zone` and into `qname`'s buffer: the sections
// answer_from_zone() would fill, its RCODE and AA. Allocates nothing once `out` has grown to
// the answers asked, DNSSEC denial proofs included.
// REQUIRES: qname is at or below zone.origin(); qtype is not AXFR/IXFR; `zone` and `qname`'s
// buffer outlive the use of `out`.
void answer_refs(const zone::Zone& zone, WireName qname, dns::RRType qtype,
                 const AnswerOptions& options, AnswerRefs& out);

// Appends the answer, authority and additional records for `q` to `resp`, sets its RCODE
// (NOERROR or NXDOMAIN, RFC 6604 §3: the result of the last name of a CNAME chain) and AA
// (clear for a referral). Handles exact matches, ANY (minimal, RFC 8482 §4.1), QTYPE RRSIG,
// in-zone CNAME chains (loop limit 8), wildcards (RFC 4592), empty non-terminals, referrals with
// glue and DS or its proof of absence, DS from the parent side (RFC 4035 §3.1.4.1), and negative
// answers with the SOA at TTL min(SOA TTL, MINIMUM) (RFC 2308 §3, §5; RFC 9077).
// REQUIRES: q.qname is at or below zone.origin(); q.qtype is not AXFR/IXFR.
void answer_from_zone(const zone::Zone& zone, const dns::Question& q, dns::Message& resp,
                      const AnswerOptions& options);
inline void answer_from_zone(const zone::Zone& zone, const dns::Question& q, dns::Message& resp) {
  answer_from_zone(zone, q, resp, AnswerOptions{});
}

}  // namespace flatsign::server
