// Request handling for an authoritative server: parses a query, checks opcode, TSIG and the
// transfer ACL, and answers from the snapshot of the zone it falls in (queries, SOA, AXFR, IXFR
// from the journal or in AXFR form). Pure function of its inputs; thread-safe when the
// directory is.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/tsig.hpp"
#include "common/net/address.hpp"
#include "common/net/listener.hpp"
#include "common/server/nsec_proofs.hpp"
#include "common/xfr/axfr_image.hpp"
#include "common/xfr/journal.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::server {

class RateLimiter;    // rrl.hpp
class ServerCookies;  // cookies.hpp

// Who may transfer one zone out (AXFR/IXFR), when zones of one server differ (RFC 5936 §6).
struct TransferAccess {
  net::Acl acl = net::Acl::loopback();
  bool requires_tsig = false;
  // Names of the TSIG keys (of ResponderPolicy::keys) that may transfer this zone; empty: any.
  std::vector<dns::Name> keys;
};

// What is served for one zone at one moment. Immutable once published.
struct ServedZone {
  dns::Name origin;
  std::shared_ptr<const zone::Zone> zone;      // nullptr: nothing servable yet (all SERVFAIL)
  std::shared_ptr<const xfr::AxfrImage> axfr;  // of `zone`
  // Denial index of `zone` for DNSSEC answers; nullptr: built per DO query (slow for NSEC3).
  std::shared_ptr<const DenialIndex> denial;
  // Steps up to `zone` for IXFR out (RFC 1995); nullptr or not ending at zone's serial: IXFR is
  // answered in AXFR form.
  std::shared_ptr<const xfr::Journal> journal;
  // Non-empty: transfers are answered SERVFAIL with nothing else (the master's strict ALIAS
  // policy); the text says why, for the log.
  std::string transfer_failure;
  // This zone's transfer rules; null: ResponderPolicy's transfer_acl and transfer_requires_tsig.
  std::shared_ptr<const TransferAccess> access;
};

// Finds the served zone for a name. Implementations must be safe to call from the serving
// thread while snapshots are swapped.
class ZoneDirectory {
 public:
  virtual ~ZoneDirectory() = default;
  // The zone whose origin is the longest suffix of `qname`, or nullptr.
  [[nodiscard]] virtual std::shared_ptr<const ServedZone> find(const dns::Name& qname) const = 0;
  // The same for a well-formed uncompressed wire name. This default builds a Name (one
  // allocation for longer names); a directory on the serving hot path may look up without.
  [[nodiscard]] virtual std::shared_ptr<const ServedZone> find_wire(
      std::span<const uint8_t> qname) const {
    return find(dns::Name::from_wire_unchecked(qname));
  }
  // The zone that answers `qtype` at the well-formed wire name `qname`: find_wire(qname), except
  // that DS at the apex of a served zone comes from the parent zone when it is served here too
  // (RFC 4035 §3.1.4.1: the DS RRset lives on the parent side of the cut).
  [[nodiscard]] std::shared_ptr<const ServedZone> find_answering(std::span<const uint8_t> qname,
                                                                 dns::RRType qtype) const;
};

struct ResponderPolicy {
  net::Acl transfer_acl = net::Acl::loopback();
  // Every key a request may be signed with (TSIG is checked before the zone is known).
  std::vector<dns::TsigKey> keys;
  // AXFR/IXFR need a valid TSIG with one of `keys` (in addition to the ACL).
  bool transfer_requires_tsig = false;
  size_t udp_max_payload = dns::kEdnsDefaultPayload;
  // Public-side protection, both optional and not owned (must outlive the serving):
  // UDP responses are rate limited (TCP never is), except for queries with a valid server cookie.
  const RateLimiter* rrl = nullptr;
  // COOKIE options are answered (RFC 7873, RFC 9018); null: they are ignored like any option.
  const ServerCookies* cookies = nullptr;
};

// Every way a request ends, for logs and counters.
enum class Outcome {
  Answered,     // normal answer (NOERROR/NXDOMAIN, maybe referral)
  Transferred,  // AXFR/IXFR stream sent
  Dropped,      // too short to answer or a response: nothing sent
  FormErr,      // malformed (RFC 1035 §4.1.1)
  NotImp,       // opcode not implemented
  Refused,      // not our zone, transfer not allowed, or TSIG missing for a transfer
  NotAuth,      // TSIG failed (RFC 8945 §5.2: NOTAUTH with the TSIG error)
  ServFail,     // zone not loaded, or transfer failing under the strict ALIAS policy
  RateLimited,  // over ResponderPolicy::rrl's rate: dropped, or sent truncated / BADCOOKIE
  BadCookie,    // a query for a server cookie with an invalid one (RFC 7873 §5.4)
};
[[nodiscard]] const char* outcome_text(Outcome o);

// Handles one request: fills `out` with the response message(s). Never throws for bad input.
// A plain UDP query goes to answer_plain_query() (plain_query.hpp), everything else and anything
// it leaves to respond_general(). Then, for UDP, policy.rrl may drop the response or replace it
// with a truncated one (rrl.hpp).
Outcome respond(const ZoneDirectory& zones, const ResponderPolicy& policy,
                const net::Request& request, net::Responses& out, std::string* detail = nullptr);

// The general path alone: parses `request` into a dns::Message and answers any request shape
// (transfers, TSIG, errors, and the plain queries, for which it gives the same bytes as
// answer_plain_query()). Never throws for bad input.
Outcome respond_general(const ZoneDirectory& zones, const ResponderPolicy& policy,
                        const net::Request& request, net::Responses& out,
                        std::string* detail = nullptr);

}  // namespace flatsign::server
