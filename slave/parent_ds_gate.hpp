// The parent DS check (Knot calls it the submission check): before an old KSK/CSK stops signing
// at the end of a roll, the parent's DS RRset is asked of a resolver (`parent-ds-check`), and the
// retirement waits, written into the old key's timing, until that DS names the successor(s). One
// zone's gate, on the zone's job strand only; the DS query itself is the key loop's.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/dnssec/key.hpp"
#include "slave/key_schedule.hpp"

namespace flatsign::slave {

// The parent's DS RRset of the zone as the parent-ds-check resolver answered it.
struct ParentDs {
  std::time_t at = 0;          // when it was asked
  bool answered = false;       // NOERROR or NXDOMAIN; false: no usable answer (detail says why)
  std::vector<dns::Rdata> ds;  // DS RDATA (none: no DS at the parent)
  uint32_t ttl = 0;            // the DS RRset's TTL as answered
  std::string detail;          // "DS 12345 54321" or why there is no answer, for the log
};

// Asks `server` ("address[:port]", parent-ds-check) for the DS RRset of `zone` (RD set, one
// try per second, three tries). Never throws for DNS or network errors: they are in the result.
[[nodiscard]] boost::asio::awaitable<ParentDs> ask_parent_ds(boost::asio::any_io_executor ex,
                                                             dns::Name zone, std::string server);

// True when every key of `dnskeys` (DNSKEY RDATA) has a DS in `ds` with a digest flatsign
// computes (SHA-256, SHA-384) that matches it (RFC 4034 §5.1). False for an empty `dnskeys`.
[[nodiscard]] bool ds_names_keys(const dns::Name& zone, const std::vector<dns::Rdata>& ds,
                                 const std::vector<dns::Rdata>& dnskeys);

// What the gate decides for one retiring key at `now`.
struct RetireHold {
  std::time_t inactive = 0;       // the old key's Inactive: as planned, or later
  std::time_t check_at = kNever;  // when to ask the parent again; kNever: no need
};
// `seen`: when the parent's DS was first seen naming the successors (nullopt: not yet), with
// `ds_ttl` the TTL it was answered with. Seen: the old key may stop once every cache that held
// the older DS RRset has dropped it, at seen + max(ds_ttl, parent-ds-ttl) + retire-safety, or
// as planned when that is later. Not seen: ask again in parent-ds-check-interval, and when the
// planned Inactive is that close, move it to two intervals from now (so slaves sharing the key
// folder read the new time before the old one comes).
[[nodiscard]] RetireHold hold_retirement(std::time_t inactive, std::optional<std::time_t> seen,
                                         uint32_t ds_ttl, std::time_t now, const KeyPolicy& p);

class ParentDsGate {
 public:
  using Alert = std::function<void(const std::string& reason, const std::string& detail)>;
  // For each KSK/CSK of `keys` that retires (still signing, with an Inactive time, while the
  // CDS set names other keys, its successors): records `ds` (when given), decides with
  // hold_retirement(), and rewrites the key's Inactive and Delete (moved by the same span) in
  // `dir` when the retirement is held. Calls `alert` once per key when it is held more than
  // parent-ds-alert-after past its planned Inactive. Does nothing when p.parent_ds_check is
  // empty or the policy is manual (a slave reading a shared key folder never writes keys).
  // Returns true when key files were written (the caller reads them again).
  // Throws what store_key_timing throws.
  bool step(const std::string& dir, const std::vector<dnssec::DnssecKey>& keys, std::time_t now,
            const KeyPolicy& p, const std::optional<ParentDs>& ds, const Alert& alert);
  // When the parent is to be asked before the next step; kNever when no retirement waits on it.
  [[nodiscard]] std::time_t check_at() const { return check_at_; }

 private:
  struct Retiring {
    std::time_t planned = 0;          // the Inactive time before any hold
    std::optional<std::time_t> seen;  // the DS named the successors since
    uint32_t ttl = 0;
    bool held = false, alerted = false;
  };
  std::map<uint16_t, Retiring> retiring_;  // by key tag
  std::time_t check_at_ = kNever;
  std::string last_detail_;  // the last answer logged
};

}  // namespace flatsign::slave
