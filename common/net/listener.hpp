// The DNS transport of a server: UDP and TCP (RFC 7766) listeners on one or more addresses,
// handing each query to a synchronous handler and sending back what it returns (one message on
// UDP, any number on TCP, e.g. an AXFR stream). Runs on one io_context; not thread-safe. With
// ListenerLimits::udp_threads > 0, UDP is served by that many threads of its own (UdpWorkers),
// and the handler is then called concurrently from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "common/net/accept_loop.hpp"

namespace flatsign::net {

struct Request {
  std::span<const uint8_t> wire;
  boost::asio::ip::udp::endpoint peer;  // address and port (TCP peers converted)
  bool tcp = false;
  // Optional: an empty buffer whose allocation the handler may take for its response (the
  // UDP threads lend the last sent one), so a busy server need not allocate per response.
  std::vector<uint8_t>* spare = nullptr;
};

// Messages to send in order. Empty: send nothing (e.g. a packet too broken to answer).
using Responses = std::vector<std::vector<uint8_t>>;
// Must not throw for bad input (answer FORMERR instead); an exception is logged and the query
// dropped (TCP: the connection closed). With udp_threads > 0 the handler is called
// concurrently from the UDP threads and the io_context's thread(s): it must be thread-safe.
using QueryHandler = std::function<void(const Request&, Responses&)>;

struct ListenerLimits {
  std::chrono::milliseconds tcp_idle{10000};  // RFC 7766 §6.2.3: idle connections are closed
  // RFC 7766 §6.2.3: under pressure the idle timeout shrinks, linearly from tcp_idle at half the
  // connections in use to this at all of them.
  std::chrono::milliseconds tcp_idle_min{1000};
  std::chrono::milliseconds tcp_write{30000};  // a whole response (AXFR) must leave in this
  size_t max_tcp_connections = 256;
  // Connections one client address may hold at once (RFC 7766 §6.2.2 lets a server limit them):
  // one client cannot take every slot.
  size_t max_tcp_per_client = 16;
  // Of max_tcp_connections, this many are kept for clients the `privileged` predicate accepts
  // (secondaries allowed to transfer): IXFR/AXFR out gets through a flood of other clients.
  size_t tcp_reserved = 16;
  // 0: UDP on the io_context like TCP. N: N threads of their own with batched socket calls.
  unsigned udp_threads = 0;
  // With udp_threads > 1: one SO_REUSEPORT socket per thread instead of one shared socket.
  bool udp_reuseport = false;
};

// Whether a client gets the reserved TCP slots (e.g. it may transfer a zone). Called on the
// io_context's thread, only when the unreserved slots are full.
using PrivilegedClient = std::function<bool(const boost::asio::ip::address&)>;

class UdpWorkers;

class DnsListener {
 public:
  DnsListener(boost::asio::io_context& io, QueryHandler handler, ListenerLimits limits = {});
  ~DnsListener();
  // Binds UDP and TCP on `ep` (port 0 = any; see bound()) and starts serving.
  // Throws boost::system::system_error when a bind fails.
  void listen(const boost::asio::ip::udp::endpoint& ep);
  // The endpoints actually bound, in listen() order (UDP ports; TCP uses the same port).
  [[nodiscard]] const std::vector<boost::asio::ip::udp::endpoint>& bound() const { return bound_; }
  // Closes every socket; running coroutines end with operation_aborted.
  void stop();
  // Called on the io_context after a TCP response of several messages (a zone transfer) has
  // been written and its messages freed; e.g. to hand that memory back to the kernel.
  void on_stream_sent(std::function<void()> f) { on_stream_sent_ = std::move(f); }
  void set_privileged(PrivilegedClient f) { privileged_ = std::move(f); }

 private:
  // listen() once: TCP bound first, then UDP on the same port. Throws as listen() does.
  void listen_once(const boost::asio::ip::udp::endpoint& ep);
  boost::asio::awaitable<void> udp_loop(std::shared_ptr<boost::asio::ip::udp::socket> sock);
  boost::asio::awaitable<void> accept_loop(std::shared_ptr<boost::asio::ip::tcp::acceptor> acc);
  // `slot` holds the connection's place in the TCP limits until the session ends.
  boost::asio::awaitable<void> tcp_session(boost::asio::ip::tcp::socket sock, ConnectionSlot slot);
  // Why a new connection from `peer` is refused ("" when it is taken).
  [[nodiscard]] const char* tcp_refusal(const boost::asio::ip::address& peer) const;
  // The idle timeout for the connections in use now (ListenerLimits::tcp_idle_min).
  [[nodiscard]] std::chrono::milliseconds tcp_idle_now() const;
  // Counts a refused connection; one summary log line per 10 s at most.
  void note_refusal(const char* why);

  boost::asio::io_context& io_;
  QueryHandler handler_;
  ListenerLimits limits_;
  std::vector<boost::asio::ip::udp::endpoint> bound_;
  std::vector<std::shared_ptr<boost::asio::ip::udp::socket>> udp_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::acceptor>> tcp_;
  std::shared_ptr<size_t> tcp_count_ = std::make_shared<size_t>(0);
  // Connections by client address (io_context thread only); shared with the sessions' handlers.
  std::shared_ptr<std::map<boost::asio::ip::address, size_t>> tcp_per_client_ =
      std::make_shared<std::map<boost::asio::ip::address, size_t>>();
  PrivilegedClient privileged_;
  std::map<std::string, uint64_t> refused_;  // since the last summary line, by reason
  std::chrono::steady_clock::time_point refused_logged_{};
  std::unique_ptr<UdpWorkers> udp_workers_;  // set when limits_.udp_threads > 0
  std::function<void()> on_stream_sent_;
};

}  // namespace flatsign::net
