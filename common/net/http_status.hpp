// A minimal HTTP/1.1 endpoint for operators and Prometheus: GET /metrics renders a
// MetricsRegistry in the text format, GET /status returns a JSON document from a callback.
// One request per connection (Connection: close), bounded request head, a deadline on every
// read and write. Runs on one io_context and is not thread-safe; the status callback runs on
// that io_context's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/net/accept_loop.hpp"
#include "common/util/metrics.hpp"

namespace flatsign::net {

// Builds the /status JSON document for the request's query string (the text after '?', "" when
// none); nullopt answers 404 (e.g. an unknown zone). Must not throw; called once per GET /status.
using StatusCallback = std::function<std::optional<std::string>(std::string_view query)>;
// Renders GET /metrics in the text format. Must not throw.
using MetricsCallback = std::function<std::string()>;

struct HttpStatusLimits {
  std::chrono::milliseconds read{5000};   // the whole request head must arrive in this
  std::chrono::milliseconds write{5000};  // the whole response must leave in this
  size_t max_request = 8192;              // a longer head gets 431 and the connection closed
  size_t max_connections = 32;            // further connections are closed at once
};

// The complete HTTP/1.1 response (status line, headers, body) to one request head (the bytes
// up to and including the blank line): 200 for GET/HEAD /metrics and /status (a query string
// is ignored), 404 for other paths, 405 for other methods, 400 for a malformed request line.
// HEAD gets the headers only. Pure apart from calling `status`.
[[nodiscard]] std::string http_status_response(std::string_view head,
                                               const MetricsCallback& metrics,
                                               const StatusCallback& status);

class HttpStatusServer {
 public:
  HttpStatusServer(boost::asio::io_context& io, MetricsCallback metrics, StatusCallback status,
                   HttpStatusLimits limits = {});
  // /metrics renders `metrics`. REQUIRES: `metrics` outlives the server.
  HttpStatusServer(boost::asio::io_context& io, const util::MetricsRegistry& metrics,
                   StatusCallback status, HttpStatusLimits limits = {})
      : HttpStatusServer(
            io, [&metrics] { return metrics.render(); }, std::move(status), limits) {}
  ~HttpStatusServer();
  // Binds `ep` (port 0 = any; see bound()) and starts accepting.
  // Throws boost::system::system_error when the bind fails.
  void listen(const boost::asio::ip::tcp::endpoint& ep);
  // The endpoint actually bound. REQUIRES: listen() succeeded.
  [[nodiscard]] boost::asio::ip::tcp::endpoint bound() const { return bound_; }
  // Closes the acceptor; sessions in flight finish or hit their deadline.
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  // `slot` holds the connection's place in the limit until the session ends.
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket sock, ConnectionSlot slot);

  boost::asio::io_context& io_;
  MetricsCallback metrics_;
  StatusCallback status_;
  HttpStatusLimits limits_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::ip::tcp::endpoint bound_;
  std::shared_ptr<size_t> sessions_ = std::make_shared<size_t>(0);
};

// Blocking GET of `path` from `ep` for command-line clients (`flatsign-master status`).
// Returns the body of a 200 response. Throws std::runtime_error naming the endpoint when the
// connection fails, `timeout` passes, or the status is not 200.
[[nodiscard]] std::string http_get(const boost::asio::ip::tcp::endpoint& ep, std::string_view path,
                                   std::chrono::milliseconds timeout);

// The --http ADDRESS:PORT of a daemon. Logs a warning when the address is not a loopback one
// (the endpoint is unauthenticated). Throws std::invalid_argument quoting `text` when it does
// not parse or has no port.
[[nodiscard]] boost::asio::ip::tcp::endpoint parse_http_endpoint(const std::string& text);

}  // namespace flatsign::net
