#include "common/net/notify.hpp"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/net/dns_exchange.hpp"
#include "common/net/query_id.hpp"
#include "common/util/clock.hpp"

namespace flatsign::net {
namespace asio = boost::asio;
using asio::ip::udp;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

const char* notify_outcome_text(NotifyOutcome o) {
  switch (o) {
    case NotifyOutcome::Acked:
      return "acknowledged";
    case NotifyOutcome::Refused:
      return "refused";
    case NotifyOutcome::BadTsig:
      return "bad TSIG in reply";
    case NotifyOutcome::NoAnswer:
      return "no answer";
  }
  return "?";
}

asio::awaitable<NotifyResult> send_notify(asio::any_io_executor ex, udp::endpoint target,
                                          dns::Rr soa, NotifyOptions options) {
  NotifyResult res;
  std::vector<uint8_t> reply;
  for (int attempt = 0; attempt < options.attempts; ++attempt) {
    ++res.tries;
    // RFC 1996 §3.7: opcode NOTIFY, AA set, QTYPE SOA, the SOA as an answer hint.
    dns::Message m;
    m.id = random_query_id();
    m.opcode = dns::Opcode::NOTIFY;
    m.aa = true;
    m.questions.push_back({soa.owner, dns::RRType::SOA, dns::RRClass::IN});
    m.answer.push_back(soa);
    std::vector<uint8_t> wire = dns::write_message(m, dns::kUdpLimit);
    std::vector<uint8_t> mac;
    if (options.key) mac = dns::tsig_sign(wire, *options.key, util::unix_now());
    const auto wait = options.timeout * (1 << std::min(attempt, 3));  // RFC 1996 §3.6: back off
    const auto started = std::chrono::steady_clock::now();
    dns::Message a;
    auto matches = [&](std::span<const uint8_t> datagram) {
      try {
        a = dns::parse_message(datagram);
      } catch (const dns::WireError&) {
        return false;
      }
      return a.qr && a.id == m.id && a.opcode == dns::Opcode::NOTIFY;
    };
    auto r = co_await udp_exchange(ex, target, wire, reply, wait, matches);
    if (r.status == ExchangeStatus::TimedOut) continue;  // next try
    if (!r.ok()) {
      res.detail = r.detail;
      // ICMP port unreachable and the like: wait out this try's time before the next one.
      asio::steady_timer rest(ex, started + wait);
      co_await rest.async_wait(kTuple);
      continue;
    }
    if (options.key) {
      try {
        (void)dns::tsig_verify(reply, a, *options.key, util::unix_now(), mac);
      } catch (const dns::TsigError& e) {
        res.outcome = NotifyOutcome::BadTsig;
        res.detail = e.what();
        co_return res;
      }
    }
    if (a.rcode_value() == dns::Rcode::NOERROR) {
      res.outcome = NotifyOutcome::Acked;
    } else {
      res.outcome = NotifyOutcome::Refused;
      res.detail = "rcode " + std::to_string(a.rcode);
    }
    co_return res;
  }
  co_return res;
}

}  // namespace flatsign::net
