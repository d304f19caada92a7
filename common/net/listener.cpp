#include "common/net/listener.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/net/address.hpp"
#include "common/net/spawn.hpp"
#include "common/net/udp_workers.hpp"
#include "common/util/log.hpp"

namespace flatsign::net {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;
using util::LogLevel;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Reads exactly `buf` within `deadline`; false on error, EOF or timeout.
asio::awaitable<bool> read_with_deadline(tcp::socket& sock, asio::mutable_buffer buf,
                                         std::chrono::milliseconds deadline) {
  asio::steady_timer timer(sock.get_executor(), deadline);
  auto result = co_await (asio::async_read(sock, buf, kTuple) || timer.async_wait(kTuple));
  if (result.index() != 0) co_return false;  // deadline first (RFC 7766 §6.2.3 idle close)
  auto [ec, n] = std::get<0>(result);
  co_return !ec && n == buf.size();
}

}  // namespace

DnsListener::DnsListener(asio::io_context& io, QueryHandler handler, ListenerLimits limits)
    : io_(io), handler_(std::move(handler)), limits_(limits) {}

DnsListener::~DnsListener() {
  stop();
}

void DnsListener::listen(const udp::endpoint& ep) {
  std::shared_ptr<udp::socket> usock;
  udp::endpoint bound;
  if (limits_.udp_threads > 0) {
    if (!udp_workers_) udp_workers_ = std::make_unique<UdpWorkers>(handler_);
    bound = udp_workers_->listen(ep, limits_.udp_threads, limits_.udp_reuseport);
  } else {
    usock = std::make_shared<udp::socket>(io_, ep.protocol());
    usock->set_option(asio::socket_base::reuse_address(true));
    usock->bind(ep);
    bound = usock->local_endpoint();
  }
  auto acc = std::make_shared<tcp::acceptor>(io_, tcp::endpoint(bound.address(), 0).protocol());
  acc->set_option(asio::socket_base::reuse_address(true));
  acc->bind(tcp::endpoint(bound.address(), bound.port()));
  acc->listen(asio::socket_base::max_listen_connections);
  tcp_.push_back(acc);
  bound_.push_back(bound);
  if (usock) {
    udp_.push_back(usock);
    spawn_logged(io_.get_executor(), udp_loop(usock), "net",
                 "udp listener " + endpoint_text(bound));
  }
  spawn_logged(io_.get_executor(), accept_loop(acc), "net", "tcp listener " + endpoint_text(bound));
  util::log(LogLevel::Info, "net", "", "listening on {} (udp{}, tcp)", endpoint_text(bound),
            usock ? "" : fmt::format(": {} threads", limits_.udp_threads));
}

void DnsListener::stop() {
  boost::system::error_code ignored;
  for (auto& s : udp_) s->close(ignored);
  for (auto& a : tcp_) a->close(ignored);
  if (udp_workers_) udp_workers_->stop();
  udp_.clear();
  tcp_.clear();
}

asio::awaitable<void> DnsListener::udp_loop(std::shared_ptr<udp::socket> sock) {
  std::vector<uint8_t> buf(65535);
  Responses out;
  for (;;) {
    udp::endpoint peer;
    auto [ec, n] = co_await sock->async_receive_from(asio::buffer(buf), peer, kTuple);
    if (ec == asio::error::operation_aborted || !sock->is_open()) co_return;
    if (ec) {
      // ICMP errors from earlier sends (connection_refused) surface here: keep serving.
      continue;
    }
    out.clear();
    try {
      handler_(Request{std::span<const uint8_t>(buf.data(), n), peer, false}, out);
    } catch (const std::exception& e) {
      util::log(LogLevel::Error, "net", "", "udp query from {} dropped: {}", endpoint_text(peer),
                e.what());
      continue;
    }
    if (out.empty()) continue;
    // RFC 1035 §4.2.1: one response per UDP query; the handler sized it.
    auto [sec, sent] = co_await sock->async_send_to(asio::buffer(out.front()), peer, kTuple);
    (void)sent;
    if (sec == asio::error::operation_aborted) co_return;
  }
}

asio::awaitable<void> DnsListener::accept_loop(std::shared_ptr<tcp::acceptor> acc) {
  for (;;) {
    auto [ec, sock] = co_await acc->async_accept(kTuple);
    if (ec == asio::error::operation_aborted || !acc->is_open()) co_return;
    if (ec) {
      // Out of descriptors and the like: log, pause, go on accepting (STYLE #12).
      util::log(LogLevel::Warning, "net", "", "accept failed: {}", ec.message());
      asio::steady_timer pause(acc->get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(kTuple);
      continue;
    }
    boost::system::error_code pec;
    auto rep = sock.remote_endpoint(pec);
    if (pec) continue;  // gone already
    if (const char* why = tcp_refusal(rep.address())) {
      note_refusal(why);
      continue;  // sock closes on scope exit
    }
    ++*tcp_count_;
    ++(*tcp_per_client_)[rep.address()];
    std::string peer = "tcp session " + endpoint_text(udp::endpoint(rep.address(), rep.port()));
    auto counter = tcp_count_;
    auto per_client = tcp_per_client_;
    asio::co_spawn(acc->get_executor(), tcp_session(std::move(sock)),
                   [counter, per_client, client = rep.address(), peer](std::exception_ptr e) {
                     --*counter;
                     if (auto it = per_client->find(client);
                         it != per_client->end() && --it->second == 0)
                       per_client->erase(it);
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       util::log(LogLevel::Error, "net", "", "{} failed: {}", peer, ex.what());
                     }
                   });
  }
}

const char* DnsListener::tcp_refusal(const asio::ip::address& peer) const {
  if (*tcp_count_ >= limits_.max_tcp_connections) return "all connections in use";
  if (auto it = tcp_per_client_->find(peer);
      it != tcp_per_client_->end() && it->second >= limits_.max_tcp_per_client)
    return "per-client limit";
  const size_t open =
      limits_.max_tcp_connections - std::min(limits_.tcp_reserved, limits_.max_tcp_connections);
  if (*tcp_count_ >= open && !(privileged_ && privileged_(peer)))
    return "the rest is reserved for transfer clients";
  return nullptr;
}

std::chrono::milliseconds DnsListener::tcp_idle_now() const {
  const size_t half = limits_.max_tcp_connections / 2;
  if (*tcp_count_ <= half || limits_.tcp_idle <= limits_.tcp_idle_min) return limits_.tcp_idle;
  const double used = double(*tcp_count_ - half) / double(limits_.max_tcp_connections - half);
  const auto span = limits_.tcp_idle - limits_.tcp_idle_min;
  return limits_.tcp_idle_min + std::chrono::milliseconds(static_cast<long long>(
                                    double(span.count()) * (1 - std::min(1.0, used))));
}

void DnsListener::note_refusal(const char* why) {
  ++refused_[why];
  const auto now = std::chrono::steady_clock::now();
  if (now - refused_logged_ < std::chrono::seconds(10)) return;
  std::string text;
  for (const auto& [reason, n] : refused_)
    text += fmt::format("{}{} ({})", text.empty() ? "" : ", ", n, reason);
  util::log(LogLevel::Warning, "net", "",
            "tcp connections refused since the last report: {}; {} of {} in use", text, *tcp_count_,
            limits_.max_tcp_connections);
  refused_.clear();
  refused_logged_ = now;
}

asio::awaitable<void> DnsListener::tcp_session(tcp::socket sock) {
  boost::system::error_code ec;
  auto rep = sock.remote_endpoint(ec);
  if (ec) co_return;
  udp::endpoint peer(rep.address(), rep.port());
  std::vector<uint8_t> buf;
  Responses out;
  for (;;) {
    std::array<uint8_t, 2> len{};
    // RFC 1035 §4.2.2: two-octet length prefix, then the message.
    if (!co_await read_with_deadline(sock, asio::buffer(len), tcp_idle_now())) co_return;
    size_t n = (size_t{len[0]} << 8) | len[1];
    if (n == 0) co_return;
    buf.resize(n);
    if (!co_await read_with_deadline(sock, asio::buffer(buf), tcp_idle_now())) co_return;
    out.clear();
    try {
      handler_(Request{buf, peer, true}, out);
    } catch (const std::exception& e) {
      util::log(LogLevel::Error, "net", "", "tcp query from {} dropped: {}", endpoint_text(peer),
                e.what());
      co_return;
    }
    if (out.empty()) co_return;
    // Gather writes in batches: prefixes and messages together, one deadline for the lot.
    std::vector<std::array<uint8_t, 2>> prefixes(out.size());
    std::vector<asio::const_buffer> bufs;
    bufs.reserve(out.size() * 2);
    for (size_t i = 0; i < out.size(); ++i) {
      prefixes[i] = {static_cast<uint8_t>(out[i].size() >> 8),
                     static_cast<uint8_t>(out[i].size() & 0xFF)};
      bufs.push_back(asio::buffer(prefixes[i]));
      bufs.push_back(asio::buffer(out[i]));
    }
    asio::steady_timer timer(sock.get_executor(), limits_.tcp_write);
    auto result = co_await (asio::async_write(sock, bufs, kTuple) || timer.async_wait(kTuple));
    if (result.index() != 0) {
      util::log(LogLevel::Warning, "net", "", "tcp write to {} timed out", endpoint_text(peer));
      co_return;
    }
    if (std::get<0>(std::get<0>(result))) co_return;
    if (out.size() > 1) {
      Responses().swap(out);  // tens of MB for a large zone's AXFR: not kept till the next query
      if (on_stream_sent_) on_stream_sent_();
    }
  }
}

}  // namespace flatsign::net
