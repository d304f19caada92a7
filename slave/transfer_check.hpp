// Checks an AXFR stream from the master before anything is published: assembles the messages
// (RFC 5936), refuses empty, truncated, malformed or suspicious transfers with a named verdict,
// and compares the result with the zone being served. One instance per transfer, not shared.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/dns/message.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zone.hpp"
#include "slave/transfer_records.hpp"

namespace flatsign::slave {

// Every outcome of a transfer. Logs, counters, alerts and tests use these names.
enum class Verdict : uint8_t {
  Accepted,            // complete and valid; its content differs from the served zone
  Unchanged,           // complete and valid; same content as the served zone (serial ignored)
  RefusedRcode,        // the master answered an error (SERVFAIL: a strict master's ALIAS failed)
  RefusedEmpty,        // no records, only the SOA, or no NS at the apex
  RefusedSoaMismatch,  // the stream does not open with the zone's SOA or closes with another
  RefusedIncomplete,   // the connection closed or stalled before the closing SOA
  RefusedMalformed,    // unparseable message, wrong id or question, TC set, data after the end
  RefusedTsig,         // TSIG missing or wrong while one is configured
  RefusedOutOfZone,    // a record outside the zone
  RefusedZoneErrors,   // the zone checks failed (CNAME and other data, ...)
  RefusedTooLarge,     // past a cap: records, messages, octets, or memory for the wire size
  RefusedShrink,       // more than the allowed share of RRsets would disappear at once
  RefusedIxfrDelta,    // an IXFR difference that does not apply to the served zone (it deletes
                       // a record the zone does not hold, or adds one it holds)
  RefusedUnflattenedAlias,  // an ALIAS record: the master did not flatten it (PowerDNS without
                            // outgoing-axfr-expand-alias), so no resolver could follow it
};

// "accepted", "refused-shrink", ... (stable: used in logs, metrics and hooks).
[[nodiscard]] std::string_view verdict_name(Verdict v);
[[nodiscard]] inline bool is_refusal(Verdict v) {
  return v != Verdict::Accepted && v != Verdict::Unchanged;
}

struct TransferLimits {
  size_t max_records = 10'000'000;
  size_t max_messages = 1'000'000;
  uint64_t max_octets = uint64_t{1} << 30;  // on the wire, length prefixes included
  // Refuse when more than this share of the served zone's RRsets would disappear.
  double max_shrink = 0.5;
  // An operator's override for one transfer (e.g. a real mass deletion).
  bool force = false;
};

// The records of a transfer may take at most this many times its wire octets in memory, plus
// kIntakeSlack: compression pointers can make a few octets stand for a 255-octet name (in an
// owner or in RDATA), and a transfer that expands that much is a bomb, not a zone.
inline constexpr size_t kIntakeExpansion = 3;
inline constexpr size_t kIntakeSlack = size_t{1} << 20;
// An RRset larger than a DNS message could never be answered (RFC 1035 §4.2.2: 65535 octets at
// most over TCP); one that grows past it in a transfer is refused before it is signed.
inline constexpr size_t kMaxRRsetOctets = dns::kTcpLimit - dns::kHeaderSize;

// Collects one AXFR response stream. Feed messages in order until feed() stops returning
// NeedMore; a stream that ends earlier is reported with end_of_stream(). Refuses the stream
// (RefusedTooLarge) as soon as it passes a cap of `limits`, holds more than kIntakeExpansion
// times its wire octets in memory, or a run of one RRset passes kMaxRRsetOctets.
class AxfrAssembler {
 public:
  enum class State { NeedMore, Complete, Failed };

  AxfrAssembler(dns::Name zone, uint16_t query_id, TransferLimits limits = {});

  // Takes the next message, which was `wire_octets` octets on the wire (its length prefix
  // included; they count against the octet cap and the memory bound). REQUIRES: state() ==
  // NeedMore. Pass the message as an rvalue to move its records out.
  State feed(dns::Message msg, size_t wire_octets);
  // The stream ended (closed, stalled, or a read failed) with `why`: Incomplete unless the
  // closing SOA was already seen.
  State end_of_stream(const std::string& why);
  // Records a failure found outside the messages' content (parse error, TSIG).
  State fail(Verdict v, std::string detail);

  State state() const { return state_; }
  // Meaningful once state() == Failed.
  Verdict verdict() const { return verdict_; }
  const std::string& detail() const { return detail_; }
  size_t messages() const { return messages_; }
  uint64_t wire_octets() const { return wire_octets_; }
  // The records between the two SOAs, opening SOA first. REQUIRES: state() == Complete.
  const TransferRecords& records() const { return records_; }
  // The same, handed over (check_transfer frees them once the zone is built).
  TransferRecords take_packed() { return std::exchange(records_, {}); }
  // Whether NS records at the zone's apex came (RFC 1035 §4.3.4 requires them).
  bool has_apex_ns() const { return apex_ns_; }
  std::vector<dns::Rr> take_records() { return std::exchange(records_, {}).to_vector(); }

 private:
  dns::Name zone_;
  uint16_t id_;
  TransferLimits limits_;
  State state_ = State::NeedMore;
  Verdict verdict_ = Verdict::Accepted;
  std::string detail_;
  size_t messages_ = 0;
  uint64_t wire_octets_ = 0;
  TransferRecords records_;
  // The run of consecutive records of one owner and type, and its octets in a response.
  dns::Name run_owner_;
  dns::RRType run_type_ = dns::RRType::SOA;
  size_t run_octets_ = 0;
  size_t run_records_ = 0;
  bool apex_ns_ = false;
};

struct CheckResult {
  Verdict verdict;
  std::string detail;  // one line saying why, for logs and alerts
  // The transferred zone (Accepted; Unchanged when it had to be built to be compared).
  std::shared_ptr<const zone::Zone> zone;
  zone::Diff diff;      // served -> transferred (Accepted)
  uint32_t serial = 0;  // the master's SOA serial (Accepted, Unchanged)
};

// Record types the signing slave makes itself and so drops from a transfer: RRSIG, NSEC, NSEC3,
// NSEC3PARAM, DNSKEY, CDS, CDNSKEY (DS at delegations is child data and is kept).
[[nodiscard]] bool is_signer_owned(dns::RRType type);

// RefusedUnflattenedAlias naming the ALIAS at `owner` and its `target` (check_transfer,
// check_ixfr).
[[nodiscard]] CheckResult refuse_unflattened_alias(const dns::Name& owner,
                                                   const dns::Rdata& target);

// Takes the records out of `assembled`, then builds and checks the completed transfer against
// the content of `served` (null before the first transfer): its records but the signer-owned ones
// (dropped, and counted in `detail`), so `served` may be the signed zone being served (no unsigned
// copy need be kept) or an unsigned zone. The Accepted zone and diff are unsigned, the diff going
// from that content to the transfer.
// A transfer that lists the served zone's own records in its order (an unchanged flatsign or
// BIND master) is Unchanged without building anything, so `zone` is then null.
// REQUIRES: `assembled.state() == Complete`.
[[nodiscard]] CheckResult check_transfer(AxfrAssembler& assembled, const zone::Zone* served,
                                         const TransferLimits& limits = {});

}  // namespace flatsign::slave
