// Socket addresses and address prefixes as the daemons' options spell them: "127.0.0.1:5300",
// "[::1]:53", "10.0.0.0/8", and an access list of prefixes. Plain values, thread-safe once built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

namespace flatsign::net {

// Parses "ip:port", "[ipv6]:port", or a bare IP (then `default_port`). Throws
// std::invalid_argument quoting `text` when the address or port is malformed.
[[nodiscard]] boost::asio::ip::udp::endpoint parse_endpoint(std::string_view text,
                                                            uint16_t default_port = 53);
[[nodiscard]] std::string endpoint_text(const boost::asio::ip::udp::endpoint& ep);

// One address prefix ("10.0.0.0/8", "::1/128", or a bare address = host prefix).
struct Prefix {
  boost::asio::ip::address network;
  unsigned length = 0;
  // True when `addr` lies inside the prefix. IPv4-mapped IPv6 addresses match IPv4 prefixes.
  [[nodiscard]] bool contains(const boost::asio::ip::address& addr) const;
};
// Throws std::invalid_argument quoting `text` when malformed or the length is too long.
[[nodiscard]] Prefix parse_prefix(std::string_view text);

// An allow-list of prefixes; empty allows nothing.
class Acl {
 public:
  Acl() = default;
  explicit Acl(std::vector<Prefix> prefixes) : prefixes_(std::move(prefixes)) {}
  [[nodiscard]] bool allows(const boost::asio::ip::address& addr) const;
  [[nodiscard]] bool empty() const { return prefixes_.empty(); }
  [[nodiscard]] std::string to_string() const;
  // 127.0.0.0/8 and ::1/128.
  [[nodiscard]] static Acl loopback();

 private:
  std::vector<Prefix> prefixes_;
};

// The `nameserver` addresses of a resolv.conf file (port 53); empty when none or unreadable.
[[nodiscard]] std::vector<boost::asio::ip::udp::endpoint> read_resolv_conf(
    const std::string& path = "/etc/resolv.conf");

}  // namespace flatsign::net
