// AXFR client (RFC 5936 over TCP, RFC 1035 §4.2.2 framing): fetches one zone from a list of
// masters, feeding every message to an AxfrAssembler; or asks IXFR (RFC 1995) and feeds the
// answer to an IxfrAssembler (ixfr_client.hpp chooses). Coroutines on the caller's executor;
// each call is independent and owns its socket.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/dns/name.hpp"
#include "common/dns/tsig.hpp"
#include "slave/ixfr_reader.hpp"
#include "slave/transfer_check.hpp"

namespace flatsign::slave {

struct AxfrClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Deadline for every single read (length prefix or message): a stalled master fails here.
  std::chrono::milliseconds read_timeout{10000};
  // Deadline for the whole transfer, however steadily the master trickles: a master that sends
  // one message per read timeout cannot hold a poll open.
  std::chrono::milliseconds total_timeout{600000};
  std::optional<dns::TsigKey> key;  // sign the query, require a valid TSIG stream (RFC 8945 §5.3.1)
  TransferLimits limits;
};

struct AxfrAttempt {
  std::unique_ptr<AxfrAssembler> assembler;  // never null; state() is Complete or Failed
  // Set when an IXFR was asked: the outcome is then its (an answer in AXFR form went on to
  // `assembler`, which state(), verdict() and detail() below then report).
  std::unique_ptr<IxfrAssembler> ixfr;
  boost::asio::ip::tcp::endpoint master;  // the master this outcome came from
  bool reached = false;                   // the TCP connection was established

  [[nodiscard]] AxfrAssembler::State state() const {
    return ixfr ? ixfr->state() : assembler->state();
  }
  [[nodiscard]] Verdict verdict() const { return ixfr ? ixfr->verdict() : assembler->verdict(); }
  [[nodiscard]] const std::string& detail() const {
    return ixfr ? ixfr->detail() : assembler->detail();
  }
  // The answer is an incremental one (or "up to date") to be applied with check_ixfr().
  [[nodiscard]] bool incremental() const {
    return ixfr && (ixfr->form() == IxfrAssembler::Form::Incremental ||
                    ixfr->form() == IxfrAssembler::Form::UpToDate);
  }
};

// Transfers `zone` from `master`: by AXFR, or by IXFR from `ixfr` when set (RFC 1995 §3: the
// served version's SOA in the authority section). Never throws for network or DNS errors: a
// connect failure, stall or close ends the stream (RefusedIncomplete), an unparseable message
// is RefusedMalformed (with its offset), a bad or missing TSIG is RefusedTsig.
[[nodiscard]] boost::asio::awaitable<AxfrAttempt> fetch_axfr(
    boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint master, dns::Name zone,
    AxfrClientOptions options, std::optional<IxfrRequest> ixfr = std::nullopt);

// Tries `masters` in order and returns the first complete transfer. A master that answers with
// a refusal of content (rcode, SOA mismatch, ...) is also final: only unreachable or broken
// connections move on to the next master. REQUIRES: masters is not empty.
[[nodiscard]] boost::asio::awaitable<AxfrAttempt> fetch_axfr_any(
    boost::asio::any_io_executor ex, std::vector<boost::asio::ip::tcp::endpoint> masters,
    dns::Name zone, AxfrClientOptions options);

}  // namespace flatsign::slave
