// SOA serial probe for --poll-mode soa (RFC 1035 §4.3.5 refresh check): asks a master for the
// zone's SOA over UDP (TCP when truncated) so an unchanged serial can skip the AXFR. Coroutine
// on the caller's executor; each call is independent and owns its sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/dns/name.hpp"
#include "common/dns/tsig.hpp"

namespace flatsign::slave {

// Every outcome of one probe.
enum class SoaProbeOutcome {
  Answered,   // an authoritative NOERROR answer with exactly one SOA for the zone: serial is set
  NoAnswer,   // no reply within the timeout (UDP and, after TC, TCP)
  BadAnswer,  // a reply that is not usable: wrong id or question, error RCODE, no SOA, bad TSIG
};
[[nodiscard]] const char* soa_probe_outcome_text(SoaProbeOutcome o);

struct SoaProbe {
  SoaProbeOutcome outcome = SoaProbeOutcome::NoAnswer;
  uint32_t serial = 0;  // meaningful when Answered
  std::string detail;   // why not, for the debug log
};

// Asks `master` (same port for UDP and TCP) for the SOA of `zone`. With `key`, the query is
// signed and the reply must verify (RFC 8945 §5.3). Never throws for network or DNS errors;
// the caller transfers anyway unless the outcome is Answered with the serial it already has.
[[nodiscard]] boost::asio::awaitable<SoaProbe> probe_soa_serial(
    boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint master, dns::Name zone,
    std::chrono::milliseconds timeout, std::optional<dns::TsigKey> key);

}  // namespace flatsign::slave
