#include "slave/soa_probe.hpp"

#include <array>
#include <ctime>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/dns/rdata.hpp"
#include "common/net/query_id.hpp"

namespace flatsign::slave {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

uint64_t now_seconds() {
  return static_cast<uint64_t>(std::time(nullptr));
}

// One UDP exchange. Returns the reply, or nothing on a timeout or socket error (`why` says).
asio::awaitable<std::optional<std::vector<uint8_t>>> exchange_udp(asio::any_io_executor ex,
                                                                  udp::endpoint to,
                                                                  const std::vector<uint8_t>& q,
                                                                  std::chrono::milliseconds t,
                                                                  std::string& why) {
  udp::socket sock(ex, udp::endpoint(to.protocol(), 0));
  auto [sec, sn] = co_await sock.async_send_to(asio::buffer(q), to, kTuple);
  if (sec) {
    why = "UDP send: " + sec.message();
    co_return std::nullopt;
  }
  (void)sn;
  std::vector<uint8_t> buf(65535);
  udp::endpoint from;
  asio::steady_timer timer(ex);
  timer.expires_after(t);
  for (;;) {
    auto r = co_await (sock.async_receive_from(asio::buffer(buf), from, kTuple) ||
                       timer.async_wait(kTuple));
    if (r.index() == 1) {
      why = "no UDP reply within " + std::to_string(t.count()) + " ms";
      co_return std::nullopt;
    }
    auto [ec, n] = std::get<0>(r);
    if (ec) {
      why = "UDP receive: " + ec.message();
      co_return std::nullopt;
    }
    if (from != to) continue;  // not from the master we asked
    buf.resize(n);
    co_return buf;
  }
}

// One TCP exchange (RFC 1035 §4.2.2 framing), all of it within `t`.
asio::awaitable<std::optional<std::vector<uint8_t>>> exchange_tcp(asio::any_io_executor ex,
                                                                  tcp::endpoint to,
                                                                  const std::vector<uint8_t>& q,
                                                                  std::chrono::milliseconds t,
                                                                  std::string& why) {
  tcp::socket sock(ex);
  asio::steady_timer timer(ex);
  timer.expires_after(t);
  auto io = [&]() -> asio::awaitable<std::optional<std::vector<uint8_t>>> {
    auto [cec] = co_await sock.async_connect(to, kTuple);
    if (cec) {
      why = "TCP connect: " + cec.message();
      co_return std::nullopt;
    }
    std::vector<uint8_t> framed{static_cast<uint8_t>(q.size() >> 8),
                                static_cast<uint8_t>(q.size())};
    framed.insert(framed.end(), q.begin(), q.end());
    auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(framed), kTuple);
    (void)wn;
    if (wec) {
      why = "TCP: " + wec.message();
      co_return std::nullopt;
    }
    std::array<uint8_t, 2> len{};
    auto [lec, ln] = co_await asio::async_read(sock, asio::buffer(len), kTuple);
    (void)ln;
    if (lec) {
      why = "TCP: " + lec.message();
      co_return std::nullopt;
    }
    std::vector<uint8_t> buf((size_t(len[0]) << 8) | len[1]);
    auto [rec, rn] = co_await asio::async_read(sock, asio::buffer(buf), kTuple);
    (void)rn;
    if (rec) {
      why = "TCP: " + rec.message();
      co_return std::nullopt;
    }
    co_return buf;
  };
  auto r = co_await (io() || timer.async_wait(kTuple));
  if (r.index() == 1) {
    why = "no TCP reply within " + std::to_string(t.count()) + " ms";
    co_return std::nullopt;
  }
  co_return std::get<0>(r);
}
}  // namespace

const char* soa_probe_outcome_text(SoaProbeOutcome o) {
  switch (o) {
    case SoaProbeOutcome::Answered:
      return "answered";
    case SoaProbeOutcome::NoAnswer:
      return "no-answer";
    case SoaProbeOutcome::BadAnswer:
      return "bad-answer";
  }
  return "?";
}

asio::awaitable<SoaProbe> probe_soa_serial(asio::any_io_executor ex, tcp::endpoint master,
                                           dns::Name zone, std::chrono::milliseconds timeout,
                                           std::optional<dns::TsigKey> key) {
  SoaProbe out;
  dns::Message q;
  q.id = net::random_query_id();
  q.questions.push_back({zone, dns::RRType::SOA, dns::RRClass::IN});
  std::vector<uint8_t> wire = dns::write_message(q);
  std::vector<uint8_t> mac;
  if (key) mac = dns::tsig_sign(wire, *key, now_seconds());

  auto reply = co_await exchange_udp(ex, udp::endpoint(master.address(), master.port()), wire,
                                     timeout, out.detail);
  for (int transport = 0; transport < 2 && reply; ++transport) {
    dns::Message r;
    try {
      r = dns::parse_message(*reply);
    } catch (const dns::WireError& e) {
      out.outcome = SoaProbeOutcome::BadAnswer;
      out.detail = std::string("malformed reply: ") + e.what();
      co_return out;
    }
    if (!r.qr || r.id != q.id || r.questions.size() != 1 || r.questions[0].qname != zone ||
        r.questions[0].qtype != dns::RRType::SOA) {
      out.outcome = SoaProbeOutcome::BadAnswer;
      out.detail = "reply does not match the query";
      co_return out;
    }
    if (r.tc && transport == 0) {  // RFC 7766 §5: retry a truncated answer over TCP
      reply = co_await exchange_tcp(ex, master, wire, timeout, out.detail);
      continue;
    }
    if (key) {
      try {
        (void)dns::tsig_verify(*reply, r, *key, now_seconds(), mac);
      } catch (const dns::TsigError& e) {
        out.outcome = SoaProbeOutcome::BadAnswer;
        out.detail = std::string("TSIG: ") + e.what();
        co_return out;
      }
    }
    // RFC 1035 §4.3.5: the serial comes from an authoritative answer holding the zone's SOA.
    const dns::Rr* soa = nullptr;
    int soas = 0;
    for (const auto& rr : r.answer) {
      if (rr.type == dns::RRType::SOA && rr.owner == zone) {
        soa = &rr;
        ++soas;
      }
    }
    if (r.rcode != 0 || !r.aa || soas != 1) {
      out.outcome = SoaProbeOutcome::BadAnswer;
      out.detail = "rcode " + std::to_string(r.rcode) + (r.aa ? "" : ", not authoritative") + ", " +
                   std::to_string(soas) + " SOA in the answer";
      co_return out;
    }
    out.outcome = SoaProbeOutcome::Answered;
    out.serial = dns::soa_serial(soa->rdata);
    out.detail.clear();
    co_return out;
  }
  co_return out;  // NoAnswer, with the reason in detail
}

}  // namespace flatsign::slave
