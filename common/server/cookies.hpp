// DNS Cookies on the server side (RFC 7873) with interoperable server cookies (RFC 9018): the
// COOKIE option read from a query, the verdict on its server cookie, and fresh server cookies
// (version 1, timestamp, SipHash-2-4 over client cookie | version | reserved | timestamp |
// client address under a secret). Thread rule: every const method may run on any thread at once;
// secrets rotate underneath without locks (a few generations of slots, one atomic index).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "common/dns/message.hpp"
#include "common/util/siphash.hpp"

namespace flatsign::server {

inline constexpr uint16_t kCookieOption = 10;  // EDNS option code (RFC 7873 §8)

// What a query's COOKIE option says, once checked against our secrets.
enum class CookieVerdict {
  Absent,      // no COOKIE option (RFC 7873 §5.2.1): normal processing, no cookie in reply
  Malformed,   // length not 8 or 16..40 (RFC 7873 §5.2.2): FORMERR
  ClientOnly,  // a client cookie alone (§5.2.3)
  Invalid,     // a server cookie we did not make, or made too long ago (§5.2.4)
  Valid,       // a server cookie of ours, current or previous secret, fresh enough (§5.2.5)
};
[[nodiscard]] const char* cookie_verdict_text(CookieVerdict v);

// The first COOKIE option of a query (RFC 7873 §5.2: later ones are ignored).
struct QueryCookie {
  CookieVerdict verdict = CookieVerdict::Absent;
  std::array<uint8_t, 8> client{};
  std::array<uint8_t, 32> server{};
  size_t server_size = 0;  // 0, or 8..32
};

// Splits `edns`'s first COOKIE option into its parts; verdict Absent, Malformed or ClientOnly
// (a server cookie present is left for ServerCookies::check to judge: verdict Invalid until then).
[[nodiscard]] QueryCookie read_cookie(const std::optional<dns::Edns>& edns);

class ServerCookies {
 public:
  using Secret = util::SipKey;
  // RFC 9018 §4.3: a server cookie older than an hour, or more than five minutes ahead of our
  // clock (serial arithmetic, RFC 1982), is not valid.
  static constexpr uint32_t kMaxAge = 3600, kMaxAhead = 300;

  // A random secret (good for one server, or a set where clients stick to one), rotated every
  // `rotate_every` seconds.
  explicit ServerCookies(uint32_t rotate_every = 86400);
  // Secrets read from `path` (see load_file); read again once a minute and taken when changed, so
  // that servers sharing the file roll over together (RFC 9018 §5). Throws std::runtime_error
  // naming the file when it cannot be read or parsed.
  explicit ServerCookies(std::string path);
  ServerCookies(const ServerCookies&) = delete;
  ServerCookies& operator=(const ServerCookies&) = delete;

  // Makes `secret` current; the current one becomes previous and is still accepted.
  void rotate(const Secret& secret);
  // Judges `c`'s server cookie for a query from `client` at unix time `now`: Valid when one of
  // the two newest secrets made it within [now - kMaxAge, now + kMaxAhead]. Other verdicts are
  // returned unchanged. May rotate (random secret) or re-read the file (thread-safe).
  [[nodiscard]] CookieVerdict check(const QueryCookie& c, const boost::asio::ip::address& client,
                                    uint32_t now) const;
  // The COOKIE option data for a response: `c`'s client cookie and a fresh server cookie for
  // `client` at `now` under the current secret (24 octets). REQUIRES: c.verdict is ClientOnly,
  // Invalid or Valid.
  [[nodiscard]] std::vector<uint8_t> reply_option(const QueryCookie& c,
                                                  const boost::asio::ip::address& client,
                                                  uint32_t now) const;
  // RFC 9018 §4.2 server cookie: version 1, three zero octets, `timestamp`, then the hash.
  [[nodiscard]] static std::array<uint8_t, 16> make(const Secret& secret,
                                                    std::span<const uint8_t, 8> client_cookie,
                                                    const boost::asio::ip::address& client,
                                                    uint32_t timestamp);
  // A secret file: one line of 32 hex digits (the current secret), optionally a second line
  // with the previous one; '#' starts a comment line. Throws std::runtime_error.
  [[nodiscard]] static std::vector<Secret> load_file(const std::string& path);

 private:
  static constexpr size_t kSlots = 4;
  struct Slot {
    std::array<std::atomic<uint64_t>, 2> words{};
  };
  [[nodiscard]] Secret slot(size_t gen) const;
  void store(size_t gen, const Secret& s) const;
  void maybe_refresh(uint32_t now) const;

  // Generation g's secret is in slots_[g % kSlots]; the current one is generation gen_, the
  // previous gen_ - 1. A writer fills gen_ + 1 then publishes it, so readers never see a slot
  // being written unless they stall across two rotations.
  mutable std::array<Slot, kSlots> slots_;
  mutable std::atomic<size_t> gen_{1};
  std::string path_;  // empty: random secret rotated by time
  uint32_t rotate_every_ = 0;
  mutable std::atomic<uint32_t> next_refresh_{0};  // unix time of the next rotation or file check
  mutable std::atomic<bool> refreshing_{false};
};

}  // namespace flatsign::server
