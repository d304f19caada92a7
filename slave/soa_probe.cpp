#include "slave/soa_probe.hpp"

#include <array>
#include <ctime>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/dns/rdata.hpp"
#include "common/net/dns_exchange.hpp"
#include "common/net/query_id.hpp"

namespace flatsign::slave {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

uint64_t now_seconds() {
  return static_cast<uint64_t>(std::time(nullptr));
}

// One UDP exchange. Returns the reply, or nothing on a timeout or socket error (`why` says).
// Any datagram from the master is taken: the caller checks that it answers the query.
asio::awaitable<std::optional<std::vector<uint8_t>>> exchange_udp(asio::any_io_executor ex,
                                                                  udp::endpoint to,
                                                                  const std::vector<uint8_t>& q,
                                                                  std::chrono::milliseconds t,
                                                                  std::string& why) {
  std::vector<uint8_t> reply;
  auto r = co_await net::udp_exchange(ex, to, q, reply, t,
                                      [](std::span<const uint8_t>) { return true; });
  if (!r.ok()) {
    why = r.status == net::ExchangeStatus::TimedOut
              ? "no UDP reply within " + std::to_string(t.count()) + " ms"
              : "UDP: " + r.detail;
    co_return std::nullopt;
  }
  co_return reply;
}

// One TCP exchange, all of it within `t`.
asio::awaitable<std::optional<std::vector<uint8_t>>> exchange_tcp(asio::any_io_executor ex,
                                                                  tcp::endpoint to,
                                                                  const std::vector<uint8_t>& q,
                                                                  std::chrono::milliseconds t,
                                                                  std::string& why) {
  std::vector<uint8_t> reply;
  if (auto r = co_await net::tcp_exchange(ex, to, q, reply, t); !r.ok()) {
    why = "TCP " + r.detail;
    co_return std::nullopt;
  }
  co_return reply;
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
