// The accept side shared by the DNS and HTTP listeners: accept until the acceptor closes, ride
// out accept errors, and release a connection's place in the limits when its session ends,
// however it ends. Coroutines on the acceptor's executor.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace flatsign::net {

// What one connection holds in its listener's limits (a count, a per-client count). Passed by
// value into the session coroutine, so its frame's destruction releases it: after a normal end,
// an exception or a cancelled await alike.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(std::function<void()> release) : release_(std::move(release)) {}
  ConnectionSlot(ConnectionSlot&& o) noexcept : release_(std::exchange(o.release_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&& o) noexcept {
    if (this != &o) {
      reset();
      release_ = std::exchange(o.release_, nullptr);
    }
    return *this;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { reset(); }

 private:
  void reset() {
    if (release_) std::exchange(release_, nullptr)();
  }
  std::function<void()> release_;
};

// Accepts connections on `acc` and hands each to `on_connection` (which admits it and starts
// its session, or lets the socket close), until the acceptor is closed. An accept error (out of
// descriptors and the like) is logged under `subsystem` and accepting goes on after 100 ms
// (STYLE #12: the listener never dies of one bad moment).
boost::asio::awaitable<void> accept_each(
    boost::asio::ip::tcp::acceptor& acc, std::string subsystem,
    std::function<void(boost::asio::ip::tcp::socket)> on_connection);

}  // namespace flatsign::net
