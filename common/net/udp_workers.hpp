// Multi-threaded UDP serving for DnsListener: one blocking loop per thread, each receiving a
// batch with recvmmsg and sending the answers with one sendmmsg, outside any io_context.
// The handler is called concurrently from every worker thread; start/stop from one thread.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "common/net/listener.hpp"

namespace flatsign::net {

class UdpWorkers {
 public:
  // REQUIRES: `handler` stays valid until stop() returns and is safe to call concurrently.
  explicit UdpWorkers(const QueryHandler& handler) : handler_(handler) {}
  ~UdpWorkers() { stop(); }
  UdpWorkers(const UdpWorkers&) = delete;
  UdpWorkers& operator=(const UdpWorkers&) = delete;

  // Binds `ep` (port 0: any) and starts `threads` loops on it. With `reuseport`, each thread gets
  // its own SO_REUSEPORT socket on the same address (the kernel spreads peers over them by
  // address hash); without, the threads share one socket, which spreads even a few busy peers
  // evenly. Returns the bound endpoint. Throws boost::system::system_error when a bind fails.
  boost::asio::ip::udp::endpoint listen(const boost::asio::ip::udp::endpoint& ep, unsigned threads,
                                        bool reuseport);
  // Wakes and joins every thread, closes the sockets. Idempotent.
  void stop();

 private:
  void run(int fd);

  const QueryHandler& handler_;
  std::atomic<bool> stopping_{false};
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
};

}  // namespace flatsign::net
