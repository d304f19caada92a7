#include "common/net/address.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace flatsign::net {
namespace asio = boost::asio;
using asio::ip::address;
using asio::ip::udp;

namespace {

address parse_address(std::string_view text, std::string_view whole) {
  boost::system::error_code ec;
  address a = asio::ip::make_address(std::string(text), ec);
  if (ec) throw std::invalid_argument("bad IP address in \"" + std::string(whole) + "\"");
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

uint16_t parse_port(std::string_view text, std::string_view whole) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v > 65535 || text.empty()) {
    throw std::invalid_argument("bad port in \"" + std::string(whole) + "\"");
  }
  return static_cast<uint16_t>(v);
}

address unmap(const address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

}  // namespace

udp::endpoint parse_endpoint(std::string_view text, uint16_t default_port) {
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      throw std::invalid_argument("missing ']' in \"" + std::string(text) + "\"");
    }
    address a = parse_address(text.substr(1, close - 1), text);
    std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return {a, default_port};
    if (rest.front() != ':')
      throw std::invalid_argument("bad endpoint \"" + std::string(text) + "\"");
    return {a, parse_port(rest.substr(1), text)};
  }
  size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    return {parse_address(text.substr(0, colon), text), parse_port(text.substr(colon + 1), text)};
  }
  return {parse_address(text, text), default_port};  // bare IPv4 or IPv6
}

std::string endpoint_text(const udp::endpoint& ep) {
  address a = unmap(ep.address());
  if (a.is_v6()) return "[" + a.to_string() + "]:" + std::to_string(ep.port());
  return a.to_string() + ":" + std::to_string(ep.port());
}

bool Prefix::contains(const address& raw) const {
  address addr = unmap(raw);
  if (addr.is_v4() != network.is_v4()) return false;
  auto check = [&](const auto& a, const auto& n) {
    for (unsigned i = 0, left = length; i < a.size() && left > 0; ++i) {
      unsigned bits = left >= 8 ? 8 : left;
      uint8_t mask = static_cast<uint8_t>(0xFF << (8 - bits));
      if ((a[i] & mask) != (n[i] & mask)) return false;
      left -= bits;
    }
    return true;
  };
  if (addr.is_v4()) return check(addr.to_v4().to_bytes(), network.to_v4().to_bytes());
  return check(addr.to_v6().to_bytes(), network.to_v6().to_bytes());
}

Prefix parse_prefix(std::string_view text) {
  size_t slash = text.find('/');
  Prefix p;
  p.network = parse_address(text.substr(0, slash), text);
  unsigned max = p.network.is_v4() ? 32 : 128;
  p.length = max;
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), p.length);
    if (ec != std::errc() || ptr != len.data() + len.size() || len.empty() || p.length > max) {
      throw std::invalid_argument("bad prefix length in \"" + std::string(text) + "\"");
    }
  }
  return p;
}

bool Acl::allows(const address& addr) const {
  for (const Prefix& p : prefixes_) {
    if (p.contains(addr)) return true;
  }
  return false;
}

std::string Acl::to_string() const {
  std::string out;
  for (const Prefix& p : prefixes_) {
    if (!out.empty()) out += ',';
    out += p.network.to_string() + "/" + std::to_string(p.length);
  }
  return out.empty() ? "none" : out;
}

Acl Acl::loopback() {
  return Acl({parse_prefix("127.0.0.0/8"), parse_prefix("::1/128")});
}

std::vector<udp::endpoint> read_resolv_conf(const std::string& path) {
  std::vector<udp::endpoint> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, value;
    if (!(ls >> key >> value) || key != "nameserver") continue;
    try {
      size_t pct = value.find('%');  // scoped IPv6 (fe80::1%eth0): not usable here
      if (pct != std::string::npos) continue;
      out.emplace_back(parse_address(value, value), 53);
    } catch (const std::invalid_argument&) {
    }
  }
  return out;
}

}  // namespace flatsign::net
