#include "common/server/rrl.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>
#include <random>

#include "common/dns/message.hpp"
#include "common/dns/wire.hpp"

namespace flatsign::server {
namespace {

constexpr uint8_t kRcodeNxdomain = 3;

// Lowercases `name` in place (ASCII letters; RFC 4343: names compare without case).
void lowercase(std::span<uint8_t> name) {
  for (auto& b : name)
    if (b >= 'A' && b <= 'Z') b = static_cast<uint8_t>(b + 32);
}

// Skips one resource record at the reader's position.
void skip_rr(dns::WireReader& r) {
  std::array<uint8_t, dns::Name::kMaxWire> scratch;
  (void)r.name_into(scratch);
  r.skip(8);  // TYPE, CLASS, TTL
  r.skip(r.u16());
}

}  // namespace

const char* rrl_class_text(RrlClass c) {
  switch (c) {
    case RrlClass::Positive:
      return "positive";
    case RrlClass::Nodata:
      return "nodata";
    case RrlClass::Nxdomain:
      return "nxdomain";
    case RrlClass::Referral:
      return "referral";
    case RrlClass::Error:
      return "error";
  }
  return "?";
}

bool rrl_classify(std::span<const uint8_t> response, RrlKey& key) {
  dns::WireReader r(response);
  r.set_pointer_floor(dns::kHeaderSize);
  r.skip(2);
  uint16_t flags = r.u16();
  uint16_t qd = r.u16(), an = r.u16(), ns = r.u16();
  r.skip(2);
  if (!r.ok()) return false;
  uint8_t rcode = flags & 0xF;
  bool aa = flags & 0x0400, tc = flags & 0x0200;
  key.cls = RrlClass::Error;
  key.name_size = 0;
  key.qtype = 0;
  if (rcode != 0 && rcode != kRcodeNxdomain) return true;  // Error: the prefix alone (BIND)
  if (qd != 1) return true;
  key.name_size = r.name_into(key.name);
  key.qtype = r.u16();
  r.skip(2);
  if (!r.ok() || key.name_size == 0) return false;
  if (rcode == 0 && (an > 0 || tc)) {
    key.cls = RrlClass::Positive;  // a truncated answer too: it was big, not empty
  } else if (rcode == 0 && aa) {
    key.cls = RrlClass::Nodata;
    key.qtype = 0;
  } else {
    // NXDOMAIN: under the zone (the SOA's owner in the authority section, RFC 2308 §3);
    // a referral: under the delegation point (the NS owner, RFC 1034 §4.3.2 step 3b).
    key.cls = rcode == kRcodeNxdomain ? RrlClass::Nxdomain : RrlClass::Referral;
    key.qtype = 0;
    if (key.cls == RrlClass::Referral && ns == 0) {
      key.cls = RrlClass::Error;  // NOERROR, nothing at all, not authoritative: not ours to say
      key.name_size = 0;
      return true;
    }
    for (uint16_t i = 0; i < an && r.ok(); ++i) skip_rr(r);
    if (ns > 0) {
      key.name_size = r.name_into(key.name);
      if (!r.ok() || key.name_size == 0) return false;
    }
  }
  lowercase(std::span<uint8_t>(key.name.data(), key.name_size));
  return true;
}

RateLimiter::RateLimiter(RrlConfig config)
    : config_(std::move(config)), epoch_(std::chrono::steady_clock::now()) {
  std::random_device rd;
  for (auto& b : seed_) b = static_cast<uint8_t>(rd());
  if (config_.rate > 0) {
    interval_us_ = std::max<uint64_t>(1, 1000000 / config_.rate);
    // GCRA: a bucket may run `tolerance` ahead of now; with burst_seconds of it, a quiet
    // client gets burst_seconds x rate responses at once, then `rate` per second.
    tolerance_us_ = uint64_t{std::max<uint32_t>(1, config_.burst_seconds)} * 1000000 -
                    std::min<uint64_t>(interval_us_, 1000000);
  }
  if (config_.rate == 0) return;  // off: check() never looks at the table
  size_t n = std::bit_ceil(std::max<size_t>(config_.buckets, 64));
  // calloc, not a zeroing new: a large calloc is fresh zero pages the kernel maps on first
  // touch, so buckets never hit cost no memory.
  table_.reset(static_cast<uint64_t*>(std::calloc(n, sizeof(uint64_t))));
  if (!table_) throw std::bad_alloc();
  mask_ = n - 1;
}

void RateLimiter::FreeTable::operator()(uint64_t* p) const {
  std::free(p);
}

bool RateLimiter::exempt(const boost::asio::ip::address& client) const {
  return std::any_of(config_.exempt.begin(), config_.exempt.end(),
                     [&](const net::Prefix& p) { return p.contains(client); });
}

uint64_t RateLimiter::key_hash(const boost::asio::ip::address& client, const RrlKey& key) const {
  // class | family | masked prefix | qtype | name: SipHash under a per-process seed, so that
  // nobody outside can pick names that land in a victim's bucket.
  std::array<uint8_t, 4 + 16 + dns::Name::kMaxWire> in;  // only the first n octets are hashed
  size_t n = 0;
  in[n++] = static_cast<uint8_t>(key.cls);
  auto put_prefix = [&](std::span<const uint8_t> addr, unsigned bits) {
    for (size_t i = 0; i < addr.size(); ++i) {
      unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
      in[n++] = static_cast<uint8_t>(addr[i] & static_cast<uint8_t>(0xFF00 >> keep));
    }
  };
  boost::asio::ip::address a = client;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  if (a.is_v4()) {
    in[n++] = 4;
    put_prefix(a.to_v4().to_bytes(), config_.ipv4_prefix);
  } else {
    in[n++] = 6;
    put_prefix(a.to_v6().to_bytes(), config_.ipv6_prefix);
  }
  in[n++] = static_cast<uint8_t>(key.qtype >> 8);
  in[n++] = static_cast<uint8_t>(key.qtype);
  std::copy_n(key.name.begin(), key.name_size, in.begin() + n);
  n += key.name_size;
  return util::siphash24(seed_, std::span<const uint8_t>(in.data(), n));
}

RateLimiter::Shard& RateLimiter::shard() const {
  static std::atomic<size_t> next{0};
  thread_local size_t mine = next.fetch_add(1, std::memory_order_relaxed);
  return shards_[mine % kShards];
}

RrlVerdict RateLimiter::check(const boost::asio::ip::address& client,
                              std::span<const uint8_t> response) const {
  if (!enabled()) return RrlVerdict::Pass;
  auto now = std::chrono::steady_clock::now() - epoch_;
  // +1 s: a bucket never touched (0) is then always in the past.
  uint64_t us =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) +
      1000000;
  return check_at(client, response, us);
}

RrlVerdict RateLimiter::check_at(const boost::asio::ip::address& client,
                                 std::span<const uint8_t> response, uint64_t now_us) const {
  if (!enabled() || (!config_.exempt.empty() && exempt(client))) return RrlVerdict::Pass;
  RrlKey key;
  if (!rrl_classify(response, key)) return RrlVerdict::Pass;
  static_assert(std::atomic_ref<uint64_t>::required_alignment <= alignof(std::max_align_t));
  std::atomic_ref<uint64_t> bucket(table_[key_hash(client, key) & mask_]);
  uint64_t tat = bucket.load(std::memory_order_relaxed);
  for (;;) {
    uint64_t start = std::max(tat, now_us);
    if (start - now_us > tolerance_us_) break;  // over the rate: limited, bucket untouched
    if (bucket.compare_exchange_weak(tat, start + interval_us_, std::memory_order_relaxed))
      return RrlVerdict::Pass;
  }
  // Limited. The bucket is only read here, so a flood on one bucket from many threads shares
  // its cache line instead of bouncing it. Every slip-th limited response of a shard slips.
  Shard& s = shard();
  uint64_t n = s.limited.fetch_add(1, std::memory_order_relaxed) + 1;
  if (config_.slip > 0 && n % config_.slip == 0) {
    s.truncated.fetch_add(1, std::memory_order_relaxed);
    return RrlVerdict::Truncate;
  }
  s.dropped.fetch_add(1, std::memory_order_relaxed);
  return RrlVerdict::Drop;
}

uint64_t RateLimiter::dropped() const {
  uint64_t t = 0;
  for (const auto& s : shards_) t += s.dropped.load(std::memory_order_relaxed);
  return t;
}

uint64_t RateLimiter::truncated() const {
  uint64_t t = 0;
  for (const auto& s : shards_) t += s.truncated.load(std::memory_order_relaxed);
  return t;
}

}  // namespace flatsign::server
