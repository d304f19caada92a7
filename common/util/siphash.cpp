#include "common/util/siphash.hpp"

#include <bit>

namespace flatsign::util {
namespace {

uint64_t load_le(const uint8_t* p, size_t n) noexcept {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

struct State {
  uint64_t v0, v1, v2, v3;

  // One SipRound (paper §2): add-rotate-xor on the four words.
  void round() noexcept {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  // Compression of one message word: c = 2 rounds.
  void absorb(uint64_t m) noexcept {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

uint64_t siphash24(const SipKey& key, std::span<const uint8_t> data) noexcept {
  const uint64_t k0 = load_le(key.data(), 8), k1 = load_le(key.data() + 8, 8);
  // Initialization (paper §2): the key xored into "somepseudorandomlygeneratedbytes".
  State s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
          k1 ^ 0x7465646279746573ULL};
  const size_t whole = data.size() / 8 * 8;
  for (size_t i = 0; i < whole; i += 8) s.absorb(load_le(data.data() + i, 8));
  // The last word: the remaining octets, and the length modulo 256 in the top octet.
  uint64_t last = load_le(data.data() + whole, data.size() - whole);
  last |= uint64_t{static_cast<uint8_t>(data.size())} << 56;
  s.absorb(last);
  // Finalization: d = 4 rounds.
  s.v2 ^= 0xFF;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::array<uint8_t, 8> siphash24_bytes(const SipKey& key, std::span<const uint8_t> data) noexcept {
  uint64_t h = siphash24(key, data);
  std::array<uint8_t, 8> out{};
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(h >> (8 * i));
  return out;
}

}  // namespace flatsign::util
