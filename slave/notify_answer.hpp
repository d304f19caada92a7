// The slave's side of NOTIFY (RFC 1996): decides whether a NOTIFY should trigger a refresh and
// builds the reply, TSIG-signed when the NOTIFY was (RFC 8945 §5.3). Pure functions of their
// arguments; safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/dns/message.hpp"
#include "common/dns/name.hpp"
#include "common/dns/tsig.hpp"

namespace flatsign::slave {

// Every outcome of one NOTIFY.
enum class NotifyVerdict {
  Accepted,     // from a master, for our zone, TSIG valid or absent: poll now; NOERROR AA
  NotOurZone,   // the question is not exactly our zone: NOTAUTH
  NotAMaster,   // the sender is none of our masters (RFC 1996 §3.10): REFUSED
  BadTsig,      // signed, but unknown key, wrong MAC or time: NOTAUTH + TSIG error (§5.2)
  TsigMissing,  // a key is configured and the NOTIFY was not signed: REFUSED
  BadVersion,   // EDNS version above 0 (RFC 6891 §6.1.3): BADVERS, unsigned
};
[[nodiscard]] const char* notify_verdict_text(NotifyVerdict v);

struct NotifyAnswer {
  NotifyVerdict verdict = NotifyVerdict::Accepted;
  std::vector<uint8_t> reply;  // the whole reply message
  std::string detail;          // why, for the log
};

struct NotifyPolicy {
  dns::Name zone;
  std::vector<boost::asio::ip::tcp::endpoint> masters;  // NOTIFY accepted from their addresses
  std::optional<dns::TsigKey> key;  // the transfer key; NOTIFY must be signed with it
  // With a key: refuse an unsigned NOTIFY. Off by default: a NOTIFY only starts a poll, and the
  // transfer itself is TSIG-checked, so masters that do not sign NOTIFY still work.
  bool tsig_required = false;
};

// Answers the NOTIFY `q` (parsed from `wire`, REQUIRES q.opcode == NOTIFY and !q.qr) from
// `peer`, received over TCP when `tcp`. `now` is the TSIG clock (seconds since the epoch).
// The reply carries an OPT (version 0, DO copied) when `q` had one, before any TSIG.
[[nodiscard]] NotifyAnswer answer_notify(std::span<const uint8_t> wire, const dns::Message& q,
                                         const boost::asio::ip::address& peer, bool tcp,
                                         const NotifyPolicy& policy, uint64_t now);

// Refused NOTIFYs are forgeable over UDP, so a flood of them must not flood the log: one line
// per interval, saying how many were refused since the previous line. Thread-safe.
class RefusalLogLimiter {
 public:
  static constexpr std::chrono::seconds kInterval{10};
  // nullopt: do not log this one; else log it, with the count of those not logged before it.
  [[nodiscard]] std::optional<size_t> admit(std::chrono::steady_clock::time_point now);
  // " (N more refused since the last such line; ...)" for N > 0, else "".
  [[nodiscard]] static std::string suffix(size_t unlogged);

 private:
  // Two words, no mutex: one limiter per zone, with thousands of zones. last_: nanoseconds of
  // the steady clock at the last line logged; kNever: none yet.
  static constexpr int64_t kNever = INT64_MIN;
  std::atomic<int64_t> last_{kNever};
  std::atomic<size_t> unlogged_{0};
};

}  // namespace flatsign::slave
