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
  // The answer's reader: the IXFR reader when one was asked (it hands an answer in AXFR form
  // on to the AXFR assembler), else the AXFR assembler.
  struct Reader {
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
  } asm_{*out.assembler, out.ixfr.get()};
  const auto deadline = std::chrono::steady_clock::now() + options.total_timeout;
  // Each read waits for the read timeout or what is left of the total deadline, the shorter.
  auto read_budget = [&] {
    // Rounded up, so a read cut by the deadline ends at or after it (past_deadline() then says so).
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(options.read_timeout, left));
  };
  auto past_deadline = [&] {
    return std::chrono::steady_clock::now() >= deadline
               ? fmt::format("the transfer exceeded its deadline of {} s after {} messages",
                             options.total_timeout.count() / 1000.0, asm_.messages())
               : std::string();
  };

  tcp::socket sock(ex);
  if (auto c = co_await net::tcp_connect(sock, master, options.connect_timeout); !c.ok()) {
    asm_.end_of_stream("connect: " + c.detail);
    co_return out;
  }
  out.reached = true;

  // The query: one question, zone AXFR IN (RFC 5936 §2.1), or zone IXFR IN with the served
  // version's SOA in the authority section (RFC 1995 §3); optionally TSIG-signed.
  dns::Message q;
  q.id = id;
  q.questions.push_back({zone, ixfr ? dns::RRType::IXFR : dns::RRType::AXFR, dns::RRClass::IN});
  if (ixfr) q.authority.push_back(dns::Rr{zone, dns::RRType::SOA, dns::RRClass::IN, 0, ixfr->soa});
  std::vector<uint8_t> wire = dns::write_message(q);
  std::optional<dns::TsigStreamVerifier> verifier;
  if (options.key) {
    auto mac = dns::tsig_sign(wire, *options.key, now_seconds());
    verifier.emplace(*options.key, mac);
  }
  if (auto w = co_await net::tcp_write_message(sock, wire, options.read_timeout); !w.ok()) {
    asm_.end_of_stream("sending the query: " + w.detail);
    co_return out;
  }

  std::array<uint8_t, 2> len_buf{};
  std::vector<uint8_t> msg_buf;
  // The master's side of a read failure, as the refusal says it.
  auto why = [](const net::ExchangeOutcome& r) {
    return r.status == net::ExchangeStatus::Closed ? std::string("connection closed by the master")
           : r.status == net::ExchangeStatus::TimedOut ? "read " + r.detail
                                                       : r.detail;
  };
  while (asm_.state() == AxfrAssembler::State::NeedMore) {
    // The prefix and the message are read apart: each gets what is left of the deadline.
    auto r = co_await net::tcp_read_exact(sock, asio::buffer(len_buf), read_budget());
    if (!r.ok()) {
      const std::string late = past_deadline();
      asm_.end_of_stream(late.empty() ? why(r) : late);
      break;
    }
    const size_t len = (size_t(len_buf[0]) << 8) | len_buf[1];
    msg_buf.resize(len);
    r = co_await net::tcp_read_exact(sock, asio::buffer(msg_buf), read_budget());
    if (!r.ok()) {
      const std::string late = past_deadline();
      asm_.end_of_stream(late.empty() ? "inside message " + std::to_string(asm_.messages() + 1) +
                                            ": " + why(r)
                                      : late);
      break;
    }
    dns::Message msg;
    try {
      msg = dns::parse_message(msg_buf);
    } catch (const dns::WireError& e) {
      asm_.fail(Verdict::RefusedMalformed,
                "message " + std::to_string(asm_.messages() + 1) + ": " + e.what());
      break;
    }
    if (verifier && msg.id == id && msg.rcode == 0) {
      try {
        verifier->next(msg_buf, msg, now_seconds());
      } catch (const dns::TsigError& e) {
        asm_.fail(Verdict::RefusedTsig,
                  "message " + std::to_string(asm_.messages() + 1) + ": " + e.what());
        break;
      }
    }
    asm_.feed(std::move(msg), len + 2);
  }
  if (verifier && asm_.state() == AxfrAssembler::State::Complete) {
    try {
      verifier->finish();
    } catch (const dns::TsigError& e) {
      asm_.fail(Verdict::RefusedTsig, std::string("end of stream: ") + e.what());
    }
  }
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
