// The listener's UDP threads (UdpWorkers): every query answered once to its sender across
// threads and batches, for a shared socket and for SO_REUSEPORT sockets; a throwing or silent
// handler drops only that query; stop() returns promptly while threads are blocked.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "common/net/listener.hpp"

using namespace flatsign;
namespace asio = boost::asio;

namespace {

// Echoes the 2-octet ID with QR set; "drop" payloads get nothing, "throw" ones an exception.
struct Echo {
  std::mutex mu;
  std::set<std::thread::id> threads;
  void operator()(const net::Request& req, net::Responses& out) {
    {
      std::lock_guard lock(mu);
      threads.insert(std::this_thread::get_id());
    }
    REQUIRE(req.wire.size() >= 4);  // as sent below
    std::string body(req.wire.begin(), req.wire.end());
    if (body.find("throw") != std::string::npos) throw std::runtime_error("handler failed");
    if (body.find("drop") != std::string::npos) return;
    std::vector<uint8_t> r(req.wire.begin(), req.wire.end());
    r[2] |= 0x80;
    out.push_back(std::move(r));
  }
};

int client_socket() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0);
  return fd;
}

void send_query(int fd, uint16_t port, uint16_t id, const std::string& tail = "query") {
  std::vector<uint8_t> q{static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0, 0};
  q.insert(q.end(), tail.begin(), tail.end());
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
          static_cast<ssize_t>(q.size()));
}

// The IDs answered on `fd` until `want` arrived or 3 s passed.
std::multiset<uint16_t> receive(int fd, size_t want) {
  std::multiset<uint16_t> got;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (got.size() < want && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    uint8_t buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n >= 3 && (buf[2] & 0x80)) got.insert(static_cast<uint16_t>(buf[0] << 8 | buf[1]));
  }
  return got;
}

}  // namespace

TEST_CASE("UDP threads answer every query to its sender", "[net]") {
  bool reuseport = GENERATE(false, true);
  CAPTURE(reuseport);
  asio::io_context io;
  Echo echo;
  net::DnsListener l(
      io, [&](const net::Request& r, net::Responses& o) { echo(r, o); },
      net::ListenerLimits{.udp_threads = 2, .udp_reuseport = reuseport});
  l.listen(asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = l.bound().front().port();
  REQUIRE(port != 0);

  constexpr int kClients = 8, kEach = 200;
  std::vector<int> fds;
  for (int c = 0; c < kClients; ++c) fds.push_back(client_socket());
  for (int i = 0; i < kEach; ++i)
    for (int c = 0; c < kClients; ++c)
      send_query(fds[c], port, static_cast<uint16_t>(c * 1000 + i));
  for (int c = 0; c < kClients; ++c) {
    auto got = receive(fds[c], kEach);
    CHECK(got.size() == kEach);  // each answer went back to the socket that asked
    if (!got.empty()) CHECK((*got.begin() >= c * 1000 && *got.rbegin() < c * 1000 + kEach));
  }

  // A failing or silent handler costs only its own query.
  send_query(fds[0], port, 1, "throw");
  send_query(fds[0], port, 2, "drop");
  send_query(fds[0], port, 3);
  CHECK(receive(fds[0], 2) == std::multiset<uint16_t>{3});

  auto t0 = std::chrono::steady_clock::now();
  l.stop();  // both threads are blocked in recvmmsg here
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  for (int fd : fds) ::close(fd);
}
