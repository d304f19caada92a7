#include "common/net/udp_workers.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <span>

#include <boost/system/system_error.hpp>

#include "common/net/address.hpp"
#include "common/util/log.hpp"

namespace flatsign::net {
namespace {

using boost::asio::ip::udp;
using util::LogLevel;

constexpr unsigned kBatch = 32;         // datagrams per recvmmsg/sendmmsg
constexpr size_t kSlot = 65536;         // a whole UDP payload; untouched pages cost no memory
constexpr int kSocketBuffer = 4 << 20;  // rides out bursts from many clients

[[noreturn]] void throw_errno(const char* what) {
  throw boost::system::system_error(errno, boost::system::system_category(), what);
}

// A bound UDP socket, blocking, with a receive timeout so a worker notices stop() even if the
// shutdown() wake-up is missed.
int open_socket(const udp::endpoint& ep, bool reuseport) {
  int fd = ::socket(ep.protocol().family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("udp socket");
  int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    ::close(fd);
    throw_errno("udp SO_REUSEPORT");
  }
  int size = kSocketBuffer;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  timeval tv{0, 250000};
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::bind(fd, ep.data(), static_cast<socklen_t>(ep.size())) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    throw_errno(("udp bind " + endpoint_text(ep)).c_str());
  }
  return fd;
}

udp::endpoint local_endpoint(int fd) {
  udp::endpoint ep;
  socklen_t len = static_cast<socklen_t>(ep.capacity());
  if (::getsockname(fd, ep.data(), &len) != 0) throw_errno("udp getsockname");
  ep.resize(len);
  return ep;
}

}  // namespace

udp::endpoint UdpWorkers::listen(const udp::endpoint& ep, unsigned threads, bool reuseport) {
  if (threads == 0) threads = 1;
  int first = open_socket(ep, reuseport);
  fds_.push_back(first);
  udp::endpoint bound = local_endpoint(first);
  std::vector<int> mine{first};
  for (unsigned i = 1; reuseport && i < threads; ++i) {
    mine.push_back(open_socket(bound, true));  // same port as the first (port 0 resolved)
    fds_.push_back(mine.back());
  }
  for (unsigned i = 0; i < threads; ++i) {
    int fd = mine[i % mine.size()];
    threads_.emplace_back([this, fd] { run(fd); });
  }
  return bound;
}

void UdpWorkers::stop() {
  stopping_ = true;
  // Linux wakes a thread blocked in recvmmsg on an unconnected UDP socket when it is shut
  // down (recv returns 0); the receive timeout covers any other case.
  for (int fd : fds_) (void)::shutdown(fd, SHUT_RDWR);
  for (auto& t : threads_) t.join();
  threads_.clear();
  for (int fd : fds_) ::close(fd);
  fds_.clear();
}

void UdpWorkers::run(int fd) {
  // Everything a batch needs is allocated once per thread and reused, so the loop itself
  // allocates nothing; each slot's last sent response is lent back to the handler as
  // Request::spare, so answering need not allocate either.
  // Not value-initialized: zeroing would touch all 2 MB per thread, while a query touches only
  // its slot's first page.
  const auto buf_owner = std::make_unique_for_overwrite<uint8_t[]>(kBatch * kSlot);
  const std::span<uint8_t> buf(buf_owner.get(), kBatch * kSlot);
  std::array<sockaddr_storage, kBatch> peers{};
  std::array<iovec, kBatch> iov{}, out_iov{};
  std::array<mmsghdr, kBatch> in{}, out{};
  std::array<Responses, kBatch> responses;
  std::array<std::vector<uint8_t>, kBatch> spare;  // last batch's sent buffers, lent back
  while (!stopping_.load(std::memory_order_relaxed)) {
    for (unsigned i = 0; i < kBatch; ++i) {
      iov[i] = {buf.data() + i * kSlot, kSlot};
      in[i].msg_hdr = {};
      in[i].msg_hdr.msg_name = &peers[i];
      in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      in[i].msg_hdr.msg_iov = &iov[i];
      in[i].msg_hdr.msg_iovlen = 1;
    }
    // MSG_WAITFORONE: block for the first datagram, then take whatever else is queued.
    int n = ::recvmmsg(fd, in.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;  // timeout, EINTR, or an ICMP error of an earlier send
    if (stopping_.load(std::memory_order_relaxed)) break;
    unsigned m = 0;
    for (unsigned i = 0; i < static_cast<unsigned>(n); ++i) {
      const msghdr& h = in[i].msg_hdr;
      // A shut-down socket reads as an empty datagram from nobody; MSG_TRUNC cannot happen
      // with 64 KiB slots.
      if (h.msg_namelen == 0 || (h.msg_flags & MSG_TRUNC)) continue;
      udp::endpoint peer;
      std::memcpy(peer.data(), &peers[i], h.msg_namelen);
      peer.resize(h.msg_namelen);
      Responses& r = responses[i];
      if (!r.empty() && r.front().capacity() > spare[i].capacity()) spare[i] = std::move(r.front());
      r.clear();
      spare[i].clear();
      try {
        handler_(Request{std::span<const uint8_t>(buf.data() + i * kSlot, in[i].msg_len), peer,
                         false, &spare[i]},
                 r);
      } catch (const std::exception& e) {
        util::log(LogLevel::Error, "net", "", "udp query from {} dropped: {}", endpoint_text(peer),
                  e.what());
        continue;
      }
      if (r.empty()) continue;
      // RFC 1035 §4.2.1: one response per UDP query; the handler sized it.
      out_iov[m] = {r.front().data(), r.front().size()};
      out[m].msg_hdr = {};
      out[m].msg_hdr.msg_name = &peers[i];
      out[m].msg_hdr.msg_namelen = h.msg_namelen;
      out[m].msg_hdr.msg_iov = &out_iov[m];
      out[m].msg_hdr.msg_iovlen = 1;
      ++m;
    }
    for (unsigned done = 0; done < m;) {
      int k = ::sendmmsg(fd, out.data() + done, m - done, 0);
      if (k > 0) {
        done += static_cast<unsigned>(k);
      } else if (k == 0 || errno != EINTR) {
        ++done;  // this datagram cannot go (e.g. the peer vanished): skip it, send the rest
      }
    }
  }
}

}  // namespace flatsign::net
