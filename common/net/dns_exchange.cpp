#include "common/net/dns_exchange.hpp"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace flatsign::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

ExchangeOutcome from_error(const boost::system::error_code& ec) {
  if (!ec) return {};
  if (ec == asio::error::eof) return {ExchangeStatus::Closed, "connection closed"};
  return {ExchangeStatus::Failed, ec.message()};
}

ExchangeOutcome timed_out(std::chrono::milliseconds timeout) {
  return {ExchangeStatus::TimedOut, "timed out after " + std::to_string(timeout.count()) + " ms"};
}

// Runs `op` (an async operation taking a completion token) against a timer; the first to finish
// cancels the other.
template <typename Op>
asio::awaitable<ExchangeOutcome> with_timeout(tcp::socket& sock, std::chrono::milliseconds timeout,
                                              Op op) {
  asio::steady_timer timer(sock.get_executor(), timeout);
  auto r = co_await (op() || timer.async_wait(kTuple));
  if (r.index() == 1) co_return timed_out(timeout);
  co_return from_error(std::get<0>(std::get<0>(r)));
}

std::array<uint8_t, 2> prefix(size_t n) {
  return {static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n & 0xFF)};
}

}  // namespace

asio::awaitable<ExchangeOutcome> tcp_connect(tcp::socket& sock, const tcp::endpoint& to,
                                             std::chrono::milliseconds timeout) {
  asio::steady_timer timer(sock.get_executor(), timeout);
  auto r = co_await (sock.async_connect(to, kTuple) || timer.async_wait(kTuple));
  if (r.index() == 1) co_return timed_out(timeout);
  auto [ec] = std::get<0>(r);
  co_return from_error(ec);
}

asio::awaitable<ExchangeOutcome> tcp_read_exact(tcp::socket& sock, asio::mutable_buffer buf,
                                                std::chrono::milliseconds timeout) {
  co_return co_await with_timeout(sock, timeout,
                                  [&] { return asio::async_read(sock, buf, kTuple); });
}

asio::awaitable<ExchangeOutcome> tcp_read_message(tcp::socket& sock, std::vector<uint8_t>& msg,
                                                  std::chrono::milliseconds timeout) {
  std::array<uint8_t, 2> len{};
  auto r = co_await tcp_read_exact(sock, asio::buffer(len), timeout);
  if (!r.ok()) co_return r;
  msg.resize((size_t{len[0]} << 8) | len[1]);
  if (msg.empty()) co_return r;
  co_return co_await tcp_read_exact(sock, asio::buffer(msg), timeout);
}

asio::awaitable<ExchangeOutcome> tcp_write_messages(tcp::socket& sock,
                                                    std::span<const std::vector<uint8_t>> msgs,
                                                    std::chrono::milliseconds timeout) {
  std::vector<std::array<uint8_t, 2>> prefixes(msgs.size());
  std::vector<asio::const_buffer> bufs;
  bufs.reserve(msgs.size() * 2);
  for (size_t i = 0; i < msgs.size(); ++i) {
    prefixes[i] = prefix(msgs[i].size());
    bufs.push_back(asio::buffer(prefixes[i]));
    bufs.push_back(asio::buffer(msgs[i]));
  }
  co_return co_await with_timeout(sock, timeout,
                                  [&] { return asio::async_write(sock, bufs, kTuple); });
}

asio::awaitable<ExchangeOutcome> tcp_write_message(tcp::socket& sock, std::span<const uint8_t> msg,
                                                   std::chrono::milliseconds timeout) {
  const auto len = prefix(msg.size());
  std::array<asio::const_buffer, 2> bufs{asio::buffer(len), asio::buffer(msg.data(), msg.size())};
  co_return co_await with_timeout(sock, timeout,
                                  [&] { return asio::async_write(sock, bufs, kTuple); });
}

asio::awaitable<ExchangeOutcome> tcp_exchange(asio::any_io_executor ex, const tcp::endpoint& to,
                                              std::span<const uint8_t> query,
                                              std::vector<uint8_t>& response,
                                              std::chrono::milliseconds timeout) {
  tcp::socket sock(ex);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(
                                                      deadline - std::chrono::steady_clock::now()));
  };
  auto step = [&](ExchangeOutcome r, const char* what) {
    if (r.status == ExchangeStatus::TimedOut)
      r.detail =
          std::string(what) + ": no answer within " + std::to_string(timeout.count()) + " ms";
    else if (!r.ok())
      r.detail = std::string(what) + ": " + r.detail;
    return r;
  };
  auto r = step(co_await tcp_connect(sock, to, left()), "connect");
  if (r.ok()) r = step(co_await tcp_write_message(sock, query, left()), "write");
  if (r.ok()) r = step(co_await tcp_read_message(sock, response, left()), "read");
  boost::system::error_code ignored;
  sock.close(ignored);
  co_return r;
}

asio::awaitable<ExchangeOutcome> udp_exchange(
    asio::any_io_executor ex, const udp::endpoint& to, std::span<const uint8_t> query,
    std::vector<uint8_t>& reply, std::chrono::milliseconds timeout,
    const std::function<bool(std::span<const uint8_t>)>& matches) {
  udp::socket sock(ex);
  boost::system::error_code ec;
  sock.open(to.protocol(), ec);
  if (!ec) sock.connect(to, ec);
  if (ec) co_return from_error(ec);
  asio::steady_timer timer(ex, timeout);
  auto [sec, sent] = co_await sock.async_send(asio::buffer(query.data(), query.size()), kTuple);
  (void)sent;
  if (sec) co_return from_error(sec);
  // The datagram is read as soon as it is there, on this thread, into the thread's buffer, and
  // the reply keeps only its octets: a 64 KB buffer per exchange in flight (10,000 zones
  // checking their masters' SOA: hundreds at once) would grow the heap by megabytes whose
  // pages the zones allocated meanwhile keep from being given back.
  sock.non_blocking(true, ec);
  if (ec) co_return from_error(ec);
  thread_local std::vector<uint8_t> buffer(65535);
  for (;;) {
    auto r = co_await (sock.async_wait(udp::socket::wait_read, kTuple) || timer.async_wait(kTuple));
    if (r.index() == 1) {
      reply.clear();
      co_return ExchangeOutcome{ExchangeStatus::TimedOut,
                                "no reply within " + std::to_string(timeout.count()) + " ms"};
    }
    if (auto [wec] = std::get<0>(r); wec) {
      reply.clear();
      co_return from_error(wec);
    }
    boost::system::error_code rec;
    const size_t n = sock.receive(asio::buffer(buffer), 0, rec);
    if (rec == asio::error::would_block || rec == asio::error::try_again) continue;
    if (rec) {
      reply.clear();
      co_return from_error(rec);
    }
    if (matches(std::span<const uint8_t>(buffer.data(), n))) {
      reply.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      co_return ExchangeOutcome{};
    }
  }
}

}  // namespace flatsign::net
