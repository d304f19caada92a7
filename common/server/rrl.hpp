// Response rate limiting (RRL) for UDP answers, as operators know it from BIND, NSD and Knot:
// each response is classed (positive, NODATA, NXDOMAIN, referral, error) and counted per client
// prefix and per name in a fixed table of token buckets; over the rate a response is dropped,
// except every `slip`-th, which goes out truncated so an honest client retries over TCP.
// Thread rule: check() runs on many threads at once, lock-free (one CAS on a bucket); the table
// never grows, and keys that collide just share a bucket.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "common/dns/name.hpp"
#include "common/net/address.hpp"
#include "common/util/siphash.hpp"

namespace flatsign::server {

struct RrlConfig {
  // Responses per second per bucket; 0 turns limiting off. 20 is beyond what a resolver asks of
  // one name (it caches), far below what a reflection attack needs.
  uint32_t rate = 20;
  // Every slip-th limited response is sent truncated (TC=1) instead of dropped; 0: drop all,
  // 1: truncate all. BIND's and NSD's default, 2.
  uint32_t slip = 2;
  unsigned ipv4_prefix = 24;        // clients are counted per /24 ...
  unsigned ipv6_prefix = 56;        // ... and per /56 (a site), as BIND and Knot do
  std::vector<net::Prefix> exempt;  // clients never limited
  // Seconds of rate a quiet bucket saves up (Knot's bucket capacity): a burst of 4 x rate
  // passes before limiting starts.
  uint32_t burst_seconds = 4;
  // 2 MiB of 8-octet buckets at most; rounded up to a power of 2. Made only when rate > 0, and
  // from zeroed pages the kernel maps on first touch: only the buckets in use cost memory.
  size_t buckets = size_t{1} << 18;
};

// What a response is, for counting (BIND's and Knot's classes; each its own bucket).
enum class RrlClass : uint8_t {
  Positive,  // NOERROR with answers: per QNAME and QTYPE
  Nodata,    // NOERROR, no answer, authoritative (RFC 2308 §2.2): per QNAME
  Nxdomain,  // NXDOMAIN (RFC 2308 §2.1): per zone, so random names count together
  Referral,  // NOERROR, no answer, not authoritative, NS in authority: per delegation point
  Error,     // any other RCODE (REFUSED, FORMERR, SERVFAIL...): per client prefix alone
};
[[nodiscard]] const char* rrl_class_text(RrlClass c);

enum class RrlVerdict {
  Pass,      // send the response
  Drop,      // send nothing
  Truncate,  // send a TC=1 response with the question alone (or BADCOOKIE, see responder)
};

// What one response is counted under.
struct RrlKey {
  RrlClass cls = RrlClass::Error;
  // Lowercased uncompressed wire; only the first name_size octets are set (not zeroed: this
  // is on the path of every UDP response).
  std::array<uint8_t, dns::Name::kMaxWire> name;
  size_t name_size = 0;  // 0 for Error
  uint16_t qtype = 0;    // Positive only
};

// Classes `response` (a well-formed response message we wrote). False when it cannot be read
// (then it is not limited).
[[nodiscard]] bool rrl_classify(std::span<const uint8_t> response, RrlKey& key);

class RateLimiter {
 public:
  // REQUIRES: config.slip <= 100, prefixes within 32 and 128.
  explicit RateLimiter(RrlConfig config);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  [[nodiscard]] bool enabled() const { return config_.rate > 0; }
  [[nodiscard]] const RrlConfig& config() const { return config_; }
  [[nodiscard]] bool exempt(const boost::asio::ip::address& client) const;

  // Counts `response` to `client` and says what to send. Exempt clients and responses that
  // cannot be classed always Pass.
  [[nodiscard]] RrlVerdict check(const boost::asio::ip::address& client,
                                 std::span<const uint8_t> response) const;
  // The same at `now` microseconds on the limiter's clock (tests drive time with it).
  [[nodiscard]] RrlVerdict check_at(const boost::asio::ip::address& client,
                                    std::span<const uint8_t> response, uint64_t now_us) const;

  // Totals since start (for metrics and tests).
  [[nodiscard]] uint64_t dropped() const;
  [[nodiscard]] uint64_t truncated() const;

 private:
  [[nodiscard]] uint64_t key_hash(const boost::asio::ip::address& client, const RrlKey& key) const;
  struct alignas(64) Shard {  // per-thread-ish totals and slip count, no shared cache line
    std::atomic<uint64_t> dropped{0}, truncated{0}, limited{0};
  };
  static constexpr size_t kShards = 16;
  [[nodiscard]] Shard& shard() const;

  RrlConfig config_;
  util::SipKey seed_{};        // random per process: attackers cannot aim at one bucket
  uint64_t interval_us_ = 0;   // 1 s / rate: the time one response "costs"
  uint64_t tolerance_us_ = 0;  // how far ahead of now a bucket may run (the burst)
  std::chrono::steady_clock::time_point epoch_;
  // Per bucket, the theoretical arrival time of the next response in microseconds after
  // epoch_ (the generic cell rate algorithm: one word, no separate token count and clock),
  // read and written through std::atomic_ref. Null when limiting is off.
  struct FreeTable {
    void operator()(uint64_t* p) const;
  };
  std::unique_ptr<uint64_t[], FreeTable> table_;
  size_t mask_ = 0;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace flatsign::server
