#include "common/server/cookies.hpp"

#include <algorithm>
#include <fstream>
#include <random>
#include <stdexcept>

#include "common/util/clock.hpp"
#include "common/util/log.hpp"

namespace flatsign::server {
namespace {

constexpr uint32_t kFileCheckEvery = 60;  // seconds between looks at a shared secret file

ServerCookies::Secret random_secret() {
  std::random_device rd;  // getrandom(2) on Linux
  ServerCookies::Secret s{};
  for (size_t i = 0; i < s.size(); i += 4) {
    uint32_t v = rd();
    for (size_t j = 0; j < 4; ++j) s[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

uint64_t word(const ServerCookies::Secret& s, size_t i) {
  uint64_t v = 0;
  for (size_t j = 0; j < 8; ++j) v |= uint64_t{s[i * 8 + j]} << (8 * j);
  return v;
}

}  // namespace

const char* cookie_verdict_text(CookieVerdict v) {
  switch (v) {
    case CookieVerdict::Absent:
      return "absent";
    case CookieVerdict::Malformed:
      return "malformed";
    case CookieVerdict::ClientOnly:
      return "client only";
    case CookieVerdict::Invalid:
      return "invalid";
    case CookieVerdict::Valid:
      return "valid";
  }
  return "?";
}

QueryCookie read_cookie(const std::optional<dns::Edns>& edns) {
  QueryCookie c;
  if (!edns) return c;
  for (const auto& o : edns->options) {
    if (o.code != kCookieOption) continue;
    // RFC 7873 §5.2.2: 8 octets (client cookie alone) or 16..40 (client + 8..32 of server);
    // anything else is malformed.
    size_t n = o.data.size();
    if (n != 8 && (n < 16 || n > 40)) {
      c.verdict = CookieVerdict::Malformed;
      return c;
    }
    std::copy_n(o.data.begin(), 8, c.client.begin());
    c.server_size = n - 8;
    std::copy(o.data.begin() + 8, o.data.end(), c.server.begin());
    c.verdict = c.server_size ? CookieVerdict::Invalid : CookieVerdict::ClientOnly;
    return c;  // RFC 7873 §5.2: only the first COOKIE option counts
  }
  return c;
}

ServerCookies::ServerCookies(uint32_t rotate_every) : rotate_every_(rotate_every) {
  store(gen_, random_secret());
  store(gen_ - 1, random_secret());
  next_refresh_ = static_cast<uint32_t>(util::unix_now()) + rotate_every_;
}

ServerCookies::ServerCookies(std::string path) : path_(std::move(path)) {
  auto secrets = load_file(path_);
  store(gen_, secrets[0]);
  store(gen_ - 1, secrets.size() > 1 ? secrets[1] : secrets[0]);
  next_refresh_ = static_cast<uint32_t>(util::unix_now()) + kFileCheckEvery;
}

ServerCookies::Secret ServerCookies::slot(size_t gen) const {
  const Slot& s = slots_[gen % kSlots];
  Secret out{};
  for (size_t i = 0; i < 2; ++i) {
    uint64_t v = s.words[i].load(std::memory_order_relaxed);
    for (size_t j = 0; j < 8; ++j) out[i * 8 + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return out;
}

void ServerCookies::store(size_t gen, const Secret& secret) const {
  Slot& s = slots_[gen % kSlots];
  for (size_t i = 0; i < 2; ++i) s.words[i].store(word(secret, i), std::memory_order_relaxed);
}

void ServerCookies::rotate(const Secret& secret) {
  size_t g = gen_.load(std::memory_order_relaxed);
  store(g + 1, secret);
  gen_.store(g + 1, std::memory_order_release);
}

void ServerCookies::maybe_refresh(uint32_t now) const {
  if (static_cast<int32_t>(now - next_refresh_.load(std::memory_order_relaxed)) < 0) return;
  // One thread at a time; the others go on with the secrets they have.
  if (refreshing_.exchange(true, std::memory_order_acquire)) return;
  size_t g = gen_.load(std::memory_order_relaxed);
  if (path_.empty()) {
    store(g + 1, random_secret());
    gen_.store(g + 1, std::memory_order_release);
    next_refresh_.store(now + rotate_every_, std::memory_order_relaxed);
  } else {
    // Read whole (two lines) rather than trusting mtimes, whose granularity can hide a change.
    next_refresh_.store(now + kFileCheckEvery, std::memory_order_relaxed);
    try {
      auto secrets = load_file(path_);
      if (secrets[0] != slot(g)) {
        // The file's previous secret when it names one, else the one we had (RFC 9018 §5:
        // the old secret stays acceptable while clients move to cookies of the new one).
        store(g + 1, secrets.size() > 1 ? secrets[1] : slot(g));
        store(g + 2, secrets[0]);
        gen_.store(g + 2, std::memory_order_release);
        util::log(util::LogLevel::Info, "cookies", "", "new server secret from {}", path_);
      }
    } catch (const std::exception& e) {
      util::log(util::LogLevel::Warning, "cookies", "", "secret file kept as it was: {}", e.what());
    }
  }
  refreshing_.store(false, std::memory_order_release);
}

CookieVerdict ServerCookies::check(const QueryCookie& c, const boost::asio::ip::address& client,
                                   uint32_t now) const {
  maybe_refresh(now);
  if (c.verdict != CookieVerdict::Invalid) return c.verdict;
  // RFC 9018 §4.2: a version 1 cookie of 16 octets; we make them with zero reserved octets,
  // so one with others set is not ours and fails the comparison below.
  if (c.server_size != 16 || c.server[0] != 1) return CookieVerdict::Invalid;
  uint32_t ts = uint32_t{c.server[4]} << 24 | uint32_t{c.server[5]} << 16 |
                uint32_t{c.server[6]} << 8 | c.server[7];
  // RFC 9018 §4.3 with RFC 1982 serial arithmetic on the 32-bit timestamp.
  auto age = static_cast<int32_t>(now - ts);
  if (age > static_cast<int32_t>(kMaxAge) || age < -static_cast<int32_t>(kMaxAhead))
    return CookieVerdict::Invalid;
  // The current secret or the previous one (RFC 9018 §5: rollover without BADCOOKIE storms).
  size_t g = gen_.load(std::memory_order_acquire);
  std::span<const uint8_t, 8> cc(c.client);
  for (size_t back = 0; back < 2; ++back) {
    auto want = make(slot(g - back), cc, client, ts);
    if (std::equal(want.begin(), want.end(), c.server.begin())) return CookieVerdict::Valid;
  }
  return CookieVerdict::Invalid;
}

std::array<uint8_t, 16> ServerCookies::make(const Secret& secret,
                                            std::span<const uint8_t, 8> client_cookie,
                                            const boost::asio::ip::address& client,
                                            uint32_t timestamp) {
  std::array<uint8_t, 16> cookie{};
  cookie[0] = 1;  // version 1; octets 1..3 reserved, zero (RFC 9018 §4.2)
  for (int i = 0; i < 4; ++i) cookie[4 + i] = static_cast<uint8_t>(timestamp >> (24 - 8 * i));
  // RFC 9018 §4.4: Hash = SipHash-2-4(Client Cookie | Version | Reserved | Timestamp |
  // Client-IP, Server Secret); the client address is 4 octets for IPv4, 16 for IPv6.
  std::array<uint8_t, 32> in{};
  size_t n = 0;
  for (uint8_t b : client_cookie) in[n++] = b;
  for (size_t i = 0; i < 8; ++i) in[n++] = cookie[i];
  // An IPv4 client seen through a dual-stack socket hashes as IPv4, as elsewhere it would.
  if (client.is_v4()) {
    for (uint8_t b : client.to_v4().to_bytes()) in[n++] = b;
  } else if (client.to_v6().is_v4_mapped()) {
    auto v4 = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, client.to_v6());
    for (uint8_t b : v4.to_bytes()) in[n++] = b;
  } else {
    for (uint8_t b : client.to_v6().to_bytes()) in[n++] = b;
  }
  auto h = util::siphash24_bytes(secret, std::span<const uint8_t>(in.data(), n));
  std::copy(h.begin(), h.end(), cookie.begin() + 8);
  return cookie;
}

std::vector<uint8_t> ServerCookies::reply_option(const QueryCookie& c,
                                                 const boost::asio::ip::address& client,
                                                 uint32_t now) const {
  // RFC 7873 §5.2.3-§5.2.5: the client cookie copied, with a server cookie we generated. A new
  // one every time: RFC 9018 §4.3 lets a server always refresh it, and it costs one hash.
  auto server = make(slot(gen_.load(std::memory_order_acquire)),
                     std::span<const uint8_t, 8>(c.client), client, now);
  std::vector<uint8_t> out(c.client.begin(), c.client.end());
  out.insert(out.end(), server.begin(), server.end());
  return out;
}

std::vector<ServerCookies::Secret> ServerCookies::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cookie secret file " + path + ": cannot be read");
  std::vector<Secret> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line) && out.size() < 2) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    Secret s{};
    bool ok = line.size() == 32;
    for (size_t i = 0; ok && i < 16; ++i) {
      int hi = hex_value(line[2 * i]), lo = hex_value(line[2 * i + 1]);
      ok = hi >= 0 && lo >= 0;
      s[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    if (!ok)
      throw std::runtime_error("cookie secret file " + path + ":" + std::to_string(number) +
                               ": want 32 hex digits (a 128-bit secret, RFC 9018 §4.4)");
    out.push_back(s);
  }
  if (out.empty()) throw std::runtime_error("cookie secret file " + path + ": no secret in it");
  return out;
}

}  // namespace flatsign::server
