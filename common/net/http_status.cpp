#include "common/net/http_status.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/net/accept_loop.hpp"
#include "common/net/address.hpp"
#include "common/net/spawn.hpp"
#include "common/util/log.hpp"

namespace flatsign::net {
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using util::LogLevel;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string reply(int code, std::string_view reason, std::string_view type, std::string_view body,
                  bool head_only) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "Connection: close\r\n\r\n",
      code, reason, type, body.size());
  if (!head_only) out += body;
  return out;
}

std::string endpoint_str(const tcp::endpoint& ep) {
  return ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                              : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace

std::string http_status_response(std::string_view head, const MetricsCallback& metrics,
                                 const StatusCallback& status) {
  constexpr std::string_view kText = "text/plain; charset=utf-8";
  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version CRLF
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (eol == std::string_view::npos || sp2 == std::string_view::npos ||
      line.substr(sp2 + 1).substr(0, 5) != "HTTP/") {
    return reply(400, "Bad Request", kText, "bad request line\n", false);
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    return reply(405, "Method Not Allowed", kText, "only GET and HEAD\n", false);
  }
  if (target == "/metrics") {
    return reply(200, "OK", "text/plain; version=0.0.4; charset=utf-8", metrics(), head_only);
  }
  if (target == "/status") {
    if (auto doc = status(query)) return reply(200, "OK", "application/json", *doc, head_only);
    return reply(404, "Not Found", kText, "no such status: " + std::string(query) + "\n",
                 head_only);
  }
  return reply(404, "Not Found", kText, "try /metrics or /status\n", head_only);
}

HttpStatusServer::HttpStatusServer(asio::io_context& io, MetricsCallback metrics,
                                   StatusCallback status, HttpStatusLimits limits)
    : io_(io), metrics_(std::move(metrics)), status_(std::move(status)), limits_(limits) {}

HttpStatusServer::~HttpStatusServer() {
  stop();
}

void HttpStatusServer::listen(const tcp::endpoint& ep) {
  auto acc = std::make_unique<tcp::acceptor>(io_, ep.protocol());
  acc->set_option(asio::socket_base::reuse_address(true));
  acc->bind(ep);
  acc->listen(asio::socket_base::max_listen_connections);
  bound_ = acc->local_endpoint();
  acceptor_ = std::move(acc);
  spawn_logged(io_.get_executor(), accept_loop(), "http", "http listener " + endpoint_str(bound_));
  util::log(LogLevel::Info, "http", "", "status and metrics on http://{}/ (/metrics, /status)",
            endpoint_str(bound_));
}

void HttpStatusServer::stop() {
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
}

asio::awaitable<void> HttpStatusServer::accept_loop() {
  if (!acceptor_) co_return;
  co_await accept_each(*acceptor_, "http", [this](tcp::socket sock) {
    if (*sessions_ >= limits_.max_connections) {
      util::log(LogLevel::Warning, "http", "", "connection limit {} reached, closing one",
                limits_.max_connections);
      return;  // sock closes on scope exit
    }
    ++*sessions_;
    spawn_logged(io_.get_executor(),
                 session(std::move(sock), ConnectionSlot([count = sessions_] { --*count; })),
                 "http", "session");
  });
}

asio::awaitable<void> HttpStatusServer::session(tcp::socket sock, ConnectionSlot) {
  std::string head;
  asio::steady_timer timer(io_, limits_.read);
  auto read =
      co_await (asio::async_read_until(sock, asio::dynamic_buffer(head, limits_.max_request),
                                       "\r\n\r\n", kTuple) ||
                timer.async_wait(kTuple));
  if (read.index() != 0) co_return;  // deadline first: drop the connection
  auto [ec, n] = std::get<0>(read);
  std::string response;
  if (ec == asio::error::not_found) {  // the head outgrew max_request
    response =
        "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n";
  } else if (ec) {
    co_return;
  } else {
    response = http_status_response(std::string_view(head).substr(0, n), metrics_, status_);
  }
  timer.expires_after(limits_.write);
  auto wrote = co_await (asio::async_write(sock, asio::buffer(response), kTuple) ||
                         timer.async_wait(kTuple));
  (void)wrote;
  boost::system::error_code ignored;
  sock.shutdown(tcp::socket::shutdown_both, ignored);
}

std::string http_get(const tcp::endpoint& ep, std::string_view path,
                     std::chrono::milliseconds timeout) {
  asio::io_context io;
  std::string response, error;
  std::string request = fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                                    path, endpoint_str(ep));
  auto task = [&]() -> asio::awaitable<void> {
    tcp::socket sock(io);
    auto [cec] = co_await sock.async_connect(ep, kTuple);
    if (cec) {
      error = cec.message();
      co_return;
    }
    auto [wec, w] = co_await asio::async_write(sock, asio::buffer(request), kTuple);
    (void)w;
    if (wec) {
      error = wec.message();
      co_return;
    }
    auto [rec, r] =
        co_await asio::async_read(sock, asio::dynamic_buffer(response, 16 << 20), kTuple);
    (void)r;
    if (rec && rec != asio::error::eof) error = rec.message();
  };
  bool done = false;
  asio::co_spawn(io, task(), [&](std::exception_ptr e) {
    done = true;
    if (e) error = "client failed";
  });
  io.run_for(timeout);
  std::string where = "http://" + endpoint_str(ep) + std::string(path);
  if (!done) throw std::runtime_error(where + ": no answer within the timeout");
  if (!error.empty()) throw std::runtime_error(where + ": " + error);
  size_t body = response.find("\r\n\r\n");
  if (response.compare(0, 12, "HTTP/1.1 200") != 0 || body == std::string::npos) {
    throw std::runtime_error(where + ": " + response.substr(0, response.find("\r\n")));
  }
  return response.substr(body + 4);
}

boost::asio::ip::tcp::endpoint parse_http_endpoint(const std::string& text) {
  auto ep = parse_endpoint(text, 0);
  if (ep.port() == 0) throw std::invalid_argument("--http \"" + text + "\": needs a port");
  if (!ep.address().is_loopback()) {
    util::log(util::LogLevel::Warning, "http", "",
              "--http {} is not a loopback address: metrics and status are unauthenticated", text);
  }
  return {ep.address(), ep.port()};
}

}  // namespace flatsign::net
