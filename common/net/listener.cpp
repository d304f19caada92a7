#include "common/net/listener.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/net/accept_loop.hpp"
#include "common/net/address.hpp"
#include "common/net/dns_exchange.hpp"
#include "common/net/spawn.hpp"
#include "common/net/udp_workers.hpp"
#include "common/util/log.hpp"

namespace flatsign::net {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using util::LogLevel;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

DnsListener::DnsListener(asio::io_context& io, QueryHandler handler, ListenerLimits limits)
    : io_(io), handler_(std::move(handler)), limits_(limits) {}

DnsListener::~DnsListener() {
  stop();
}

void DnsListener::listen(const udp::endpoint& ep) {
  for (int attempt = 0;; ++attempt) {
    try {
      listen_once(ep);
      return;
    } catch (const boost::system::system_error& e) {
      // Port 0: the kernel picked a port free for TCP, whose UDP twin may be taken (another
      // process's client socket, a test running beside this one): pick again.
      if (ep.port() != 0 || e.code() != asio::error::address_in_use || attempt == 20) throw;
    }
  }
}

void DnsListener::listen_once(const udp::endpoint& ep) {
  // TCP first: if UDP cannot have the same port, nothing is left bound (the acceptor closes).
  auto acc = std::make_shared<tcp::acceptor>(io_, tcp::endpoint(ep.address(), 0).protocol());
  acc->set_option(asio::socket_base::reuse_address(true));
  acc->bind(tcp::endpoint(ep.address(), ep.port()));
  const udp::endpoint want(ep.address(), acc->local_endpoint().port());
  std::shared_ptr<udp::socket> usock;
  udp::endpoint bound;
  if (limits_.udp_threads > 0) {
    if (!udp_workers_) udp_workers_ = std::make_unique<UdpWorkers>(handler_);
    bound = udp_workers_->listen(want, limits_.udp_threads, limits_.udp_reuseport);
  } else {
    usock = std::make_shared<udp::socket>(io_, want.protocol());
    usock->set_option(asio::socket_base::reuse_address(true));
    usock->bind(want);
    bound = usock->local_endpoint();
  }
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
  co_await accept_each(*acc, "net", [this, ex = acc->get_executor()](tcp::socket sock) {
    boost::system::error_code pec;
    auto rep = sock.remote_endpoint(pec);
    if (pec) return;  // gone already
    if (const char* why = tcp_refusal(rep.address())) {
      note_refusal(why);
      return;  // sock closes on scope exit
    }
    ++*tcp_count_;
    ++(*tcp_per_client_)[rep.address()];
    ConnectionSlot slot(
        [counter = tcp_count_, per_client = tcp_per_client_, client = rep.address()] {
          --*counter;
          if (auto it = per_client->find(client); it != per_client->end() && --it->second == 0)
            per_client->erase(it);
        });
    spawn_logged(ex, tcp_session(std::move(sock), std::move(slot)), "net",
                 "tcp session " + endpoint_text(udp::endpoint(rep.address(), rep.port())));
  });
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

asio::awaitable<void> DnsListener::tcp_session(tcp::socket sock, ConnectionSlot) {
  boost::system::error_code ec;
  auto rep = sock.remote_endpoint(ec);
  if (ec) co_return;
  udp::endpoint peer(rep.address(), rep.port());
  std::vector<uint8_t> buf;
  Responses out;
  for (;;) {
    // An idle connection past its timeout is closed (RFC 7766 §6.2.3); so is an empty message.
    if (!(co_await tcp_read_message(sock, buf, tcp_idle_now())).ok() || buf.empty()) co_return;
    out.clear();
    try {
      handler_(Request{buf, peer, true}, out);
    } catch (const std::exception& e) {
      util::log(LogLevel::Error, "net", "", "tcp query from {} dropped: {}", endpoint_text(peer),
                e.what());
      co_return;
    }
    if (out.empty()) co_return;
    // The whole answer (one message, or an AXFR's many) in one gathered write, one deadline.
    const auto wrote = co_await tcp_write_messages(sock, out, limits_.tcp_write);
    if (wrote.status == ExchangeStatus::TimedOut) {
      util::log(LogLevel::Warning, "net", "", "tcp write to {} timed out", endpoint_text(peer));
      co_return;
    }
    if (!wrote.ok()) co_return;
    if (out.size() > 1) {
      Responses().swap(out);  // tens of MB for a large zone's AXFR: not kept till the next query
      if (on_stream_sent_) on_stream_sent_();
    }
  }
}

}  // namespace flatsign::net
