#include "slave/axfr_client.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include <fmt/format.h>

#include <boost/asio/buffer.hpp>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/net/dns_exchange.hpp"
#include "common/net/query_id.hpp"

namespace flatsign::slave {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
uint64_t now_seconds() {
  return static_cast<uint64_t>(std::time(nullptr));
}

// The answer's reader: the IXFR reader when one was asked (it hands an answer in AXFR form on to
// the AXFR assembler), else the AXFR assembler.
struct AnswerReader {
  AxfrAssembler& axfr;
  IxfrAssembler* ixfr;
  AxfrAssembler::State state() const { return ixfr ? ixfr->state() : axfr.state(); }
  size_t messages() const { return ixfr ? ixfr->messages() : axfr.messages(); }
  void feed(dns::Message m, size_t octets) {
    ixfr ? ixfr->feed(std::move(m), octets) : axfr.feed(std::move(m), octets);
  }
  void fail(Verdict v, std::string d) {
    ixfr ? ixfr->fail(v, std::move(d)) : axfr.fail(v, std::move(d));
  }
  void end_of_stream(const std::string& why) {
    ixfr ? ixfr->end_of_stream(why) : axfr.end_of_stream(why);
  }
};

// The transfer's total deadline; each read waits for the read timeout or what is left of the
// total, the shorter.
struct Deadline {
  std::chrono::steady_clock::time_point end;
  const AxfrClientOptions& options;

  std::chrono::milliseconds read_budget() const {
    // Rounded up, so a read cut by the deadline ends at or after it (late() then says so).
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(options.read_timeout, left));
  }
  // Empty while the deadline has not passed.
  std::string late(size_t messages) const {
    return std::chrono::steady_clock::now() >= end
               ? fmt::format("the transfer exceeded its deadline of {} s after {} messages",
                             options.total_timeout.count() / 1000.0, messages)
               : std::string();
  }
};

// The query: one question, zone AXFR IN (RFC 5936 §2.1), or zone IXFR IN with the served
// version's SOA in the authority section (RFC 1995 §3).
std::vector<uint8_t> transfer_query(const dns::Name& zone, uint16_t id,
                                    const std::optional<IxfrRequest>& ixfr) {
  dns::Message q;
  q.id = id;
  q.questions.push_back({zone, ixfr ? dns::RRType::IXFR : dns::RRType::AXFR, dns::RRClass::IN});
  if (ixfr) q.authority.push_back(dns::Rr{zone, dns::RRType::SOA, dns::RRClass::IN, 0, ixfr->soa});
  return dns::write_message(q);
}

// The master's side of a read failure, as the refusal says it.
std::string read_failure(const net::ExchangeOutcome& r) {
  return r.status == net::ExchangeStatus::Closed ? std::string("connection closed by the master")
         : r.status == net::ExchangeStatus::TimedOut ? "read " + r.detail
                                                     : r.detail;
}

// Reads length-prefixed messages (RFC 1035 §4.2.2) into the reader until it has the whole answer
// or refuses it; every message of a TSIG-signed transfer is checked on the way (RFC 8945 §5.3.1).
asio::awaitable<void> read_answer(tcp::socket& sock, AnswerReader& reader, uint16_t id,
                                  std::optional<dns::TsigStreamVerifier>& verifier,
                                  const Deadline& deadline) {
  std::array<uint8_t, 2> len_buf{};
  std::vector<uint8_t> msg_buf;
  while (reader.state() == AxfrAssembler::State::NeedMore) {
    // The prefix and the message are read apart: each gets what is left of the deadline.
    auto r = co_await net::tcp_read_exact(sock, asio::buffer(len_buf), deadline.read_budget());
    if (!r.ok()) {
      const std::string late = deadline.late(reader.messages());
      reader.end_of_stream(late.empty() ? read_failure(r) : late);
      co_return;
    }
    const size_t len = (size_t(len_buf[0]) << 8) | len_buf[1];
    msg_buf.resize(len);
    r = co_await net::tcp_read_exact(sock, asio::buffer(msg_buf), deadline.read_budget());
    if (!r.ok()) {
      const std::string late = deadline.late(reader.messages());
      reader.end_of_stream(late.empty()
                               ? "inside message " + std::to_string(reader.messages() + 1) + ": " +
                                     read_failure(r)
                               : late);
      co_return;
    }
    dns::Message msg;
    try {
      msg = dns::parse_message(msg_buf);
    } catch (const dns::WireError& e) {
      reader.fail(Verdict::RefusedMalformed,
                  "message " + std::to_string(reader.messages() + 1) + ": " + e.what());
      co_return;
    }
    if (verifier && msg.id == id && msg.rcode == 0) {
      try {
        verifier->next(msg_buf, msg, now_seconds());
      } catch (const dns::TsigError& e) {
        reader.fail(Verdict::RefusedTsig,
                    "message " + std::to_string(reader.messages() + 1) + ": " + e.what());
        co_return;
      }
    }
    reader.feed(std::move(msg), len + 2);
  }
  if (verifier && reader.state() == AxfrAssembler::State::Complete) {
    try {
      verifier->finish();
    } catch (const dns::TsigError& e) {
      reader.fail(Verdict::RefusedTsig, std::string("end of stream: ") + e.what());
    }
  }
}

}  // namespace

asio::awaitable<AxfrAttempt> fetch_axfr(asio::any_io_executor ex, tcp::endpoint master,
                                        dns::Name zone, AxfrClientOptions options,
                                        std::optional<IxfrRequest> ixfr) {
  const uint16_t id = net::random_query_id();
  AxfrAttempt out;
  out.master = master;
  out.assembler = std::make_unique<AxfrAssembler>(zone, id, options.limits);
  if (ixfr)
    out.ixfr =
        std::make_unique<IxfrAssembler>(zone, id, ixfr->serial, *out.assembler, options.limits);
  AnswerReader reader{*out.assembler, out.ixfr.get()};
  const Deadline deadline{std::chrono::steady_clock::now() + options.total_timeout, options};

  tcp::socket sock(ex);
  if (auto c = co_await net::tcp_connect(sock, master, options.connect_timeout); !c.ok()) {
    reader.end_of_stream("connect: " + c.detail);
    co_return out;
  }
  out.reached = true;

  std::vector<uint8_t> wire = transfer_query(zone, id, ixfr);
  std::optional<dns::TsigStreamVerifier> verifier;
  if (options.key) {
    auto mac = dns::tsig_sign(wire, *options.key, now_seconds());
    verifier.emplace(*options.key, mac);
  }
  if (auto w = co_await net::tcp_write_message(sock, wire, options.read_timeout); !w.ok()) {
    reader.end_of_stream("sending the query: " + w.detail);
    co_return out;
  }
  co_await read_answer(sock, reader, id, verifier, deadline);
  boost::system::error_code ignored;
  sock.shutdown(tcp::socket::shutdown_both, ignored);
  sock.close(ignored);
  co_return out;
}

asio::awaitable<AxfrAttempt> fetch_axfr_any(asio::any_io_executor ex,
                                            std::vector<tcp::endpoint> masters, dns::Name zone,
                                            AxfrClientOptions options) {
  AxfrAttempt last;
  for (const auto& m : masters) {
    last = co_await fetch_axfr(ex, m, zone, options);
    const auto& a = *last.assembler;
    if (a.state() == AxfrAssembler::State::Complete) co_return last;
    // A content refusal is the master's answer; only transport failures try the next one.
    if (a.verdict() != Verdict::RefusedIncomplete) co_return last;
  }
  co_return last;
}

}  // namespace flatsign::slave
