// DNS exchanges on the wire, for every client and server of ours: over TCP (RFC 1035 §4.2.2,
// RFC 7766 §8) the two-octet length prefix, reads and writes that give up at a timeout, and one
// whole query/response exchange; over UDP one query and the first reply that matches it. The
// listener, the resolver, NOTIFY, the slave's transfers and its SOA probes all go through here.
// Coroutines on the socket's executor; at most one read and one write in flight per socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

namespace flatsign::net {

// How an exchange (or one step of it) ended.
enum class ExchangeStatus {
  Ok,
  TimedOut,  // the timeout passed first
  Closed,    // the peer closed the connection (EOF)
  Failed,    // any other socket error
};

struct ExchangeOutcome {
  ExchangeStatus status = ExchangeStatus::Ok;
  std::string detail;  // empty when Ok: "timed out after 200 ms", "connection closed", or the
                       // system's text
  [[nodiscard]] bool ok() const { return status == ExchangeStatus::Ok; }
};

// Connects `sock` to `to`.
boost::asio::awaitable<ExchangeOutcome> tcp_connect(boost::asio::ip::tcp::socket& sock,
                                                    const boost::asio::ip::tcp::endpoint& to,
                                                    std::chrono::milliseconds timeout);

// Reads exactly buf.size() octets.
boost::asio::awaitable<ExchangeOutcome> tcp_read_exact(boost::asio::ip::tcp::socket& sock,
                                                       boost::asio::mutable_buffer buf,
                                                       std::chrono::milliseconds timeout);

// Reads one framed message into `msg` (resized to its length): the prefix and the message each
// within `timeout`. A zero length prefix gives an empty `msg` and Ok: the caller decides.
boost::asio::awaitable<ExchangeOutcome> tcp_read_message(boost::asio::ip::tcp::socket& sock,
                                                         std::vector<uint8_t>& msg,
                                                         std::chrono::milliseconds timeout);

// Writes each message with its prefix in one gathered write, all within `timeout`. Each message
// is at most 65,535 octets (the caller built it so).
boost::asio::awaitable<ExchangeOutcome> tcp_write_messages(
    boost::asio::ip::tcp::socket& sock, std::span<const std::vector<uint8_t>> msgs,
    std::chrono::milliseconds timeout);
boost::asio::awaitable<ExchangeOutcome> tcp_write_message(boost::asio::ip::tcp::socket& sock,
                                                          std::span<const uint8_t> msg,
                                                          std::chrono::milliseconds timeout);

// A whole exchange on a new connection: connect, send `query`, read one message into
// `response`, all within `timeout`; closes the connection. The detail names the step that
// failed ("connect: ...", "write: ...", "read: no answer within 2000 ms").
boost::asio::awaitable<ExchangeOutcome> tcp_exchange(boost::asio::any_io_executor ex,
                                                     const boost::asio::ip::tcp::endpoint& to,
                                                     std::span<const uint8_t> query,
                                                     std::vector<uint8_t>& response,
                                                     std::chrono::milliseconds timeout);

// One UDP query: sends `query` from a socket connected to `to` (the kernel drops datagrams from
// anyone else) and waits up to `timeout` for a datagram that `matches` accepts, skipping others
// (stray, spoofed or malformed ones: a forged reply must not end the wait). The accepted
// datagram is in `reply`. Failed is a socket error (an ICMP port unreachable shows up so).
boost::asio::awaitable<ExchangeOutcome> udp_exchange(
    boost::asio::any_io_executor ex, const boost::asio::ip::udp::endpoint& to,
    std::span<const uint8_t> query, std::vector<uint8_t>& reply, std::chrono::milliseconds timeout,
    const std::function<bool(std::span<const uint8_t>)>& matches);

}  // namespace flatsign::net
