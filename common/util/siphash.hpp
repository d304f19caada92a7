// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed hash
// of short inputs, for DNS server cookies (RFC 9018 §4.4) and for hashing attacker-chosen keys
// into fixed tables (rate limiting). Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace flatsign::util {

using SipKey = std::array<uint8_t, 16>;

// The 64-bit SipHash-2-4 of `data` under `key` (the key read as two little-endian words, as
// in the paper's reference implementation).
[[nodiscard]] uint64_t siphash24(const SipKey& key, std::span<const uint8_t> data) noexcept;

// The same value as the eight octets the reference implementation outputs (little-endian),
// which is how RFC 9018 §4.4 puts it into a server cookie.
[[nodiscard]] std::array<uint8_t, 8> siphash24_bytes(const SipKey& key,
                                                     std::span<const uint8_t> data) noexcept;

}  // namespace flatsign::util
