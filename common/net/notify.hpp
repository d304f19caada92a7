// NOTIFY sender (RFC 1996): tells a secondary that a zone changed, retrying over UDP until it
// acknowledges. Coroutine on the caller's executor; each call is independent.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "common/dns/rrset.hpp"
#include "common/dns/tsig.hpp"

namespace flatsign::net {

struct NotifyOptions {
  std::chrono::milliseconds timeout{1000};  // per try; RFC 1996 §3.6 suggests 60 s, too slow here
  int attempts = 5;
  std::optional<dns::TsigKey> key;  // sign the NOTIFY (RFC 8945) and verify the reply
};

// Every outcome of one NOTIFY.
enum class NotifyOutcome {
  Acked,     // the secondary answered NOERROR
  Refused,   // it answered with an error RCODE (e.g. REFUSED, NOTAUTH): not retried
  BadTsig,   // the reply's TSIG did not verify
  NoAnswer,  // no reply after every try
};
[[nodiscard]] const char* notify_outcome_text(NotifyOutcome o);

struct NotifyResult {
  NotifyOutcome outcome = NotifyOutcome::NoAnswer;
  int tries = 0;
  std::string detail;
};

// Sends NOTIFY for `soa.owner` with the SOA in the answer section (RFC 1996 §3.7 hint) to
// `target`. Never throws for network or DNS errors.
[[nodiscard]] boost::asio::awaitable<NotifyResult> send_notify(
    boost::asio::any_io_executor ex, boost::asio::ip::udp::endpoint target, dns::Rr soa,
    NotifyOptions options);

}  // namespace flatsign::net
