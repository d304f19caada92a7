#include "common/net/notify.hpp"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/net/query_id.hpp"
#include "common/util/clock.hpp"

namespace flatsign::net {
namespace asio = boost::asio;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;

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
  udp::socket sock(ex);
  boost::system::error_code ec;
  sock.open(target.protocol(), ec);
  if (!ec) sock.connect(target, ec);
  if (ec) {
    res.detail = ec.message();
    co_return res;
  }
  std::vector<uint8_t> buf(65535);
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
    (void)co_await sock.async_send(asio::buffer(wire), kTuple);
    asio::steady_timer timer(ex, options.timeout * (1 << std::min(attempt, 3)));
    for (;;) {
      auto r = co_await (sock.async_receive(asio::buffer(buf), kTuple) || timer.async_wait(kTuple));
      if (r.index() == 1) break;  // timeout: next try
      auto [rec, n] = std::get<0>(r);
      if (rec) {
        res.detail = rec.message();
        // ICMP port unreachable: wait out the timer before retrying
        co_await timer.async_wait(kTuple);
        break;
      }
      try {
        std::span<const uint8_t> reply(buf.data(), n);
        dns::Message a = dns::parse_message(reply);
        if (!a.qr || a.id != m.id || a.opcode != dns::Opcode::NOTIFY) continue;
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
      } catch (const dns::WireError&) {
        continue;
      }
    }
  }
  co_return res;
}

}  // namespace flatsign::net
