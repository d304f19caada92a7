#include "common/dns/encoding.hpp"

#include <array>

namespace flatsign::dns {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB32[] = "0123456789abcdefghijklmnopqrstuv";

constexpr std::array<int8_t, 256> make_table(const char* alphabet, int n, bool fold_case) {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < n; ++i) {
    auto c = static_cast<uint8_t>(alphabet[i]);
    t[c] = static_cast<int8_t>(i);
    if (fold_case && c >= 'a' && c <= 'z') t[c - 32] = static_cast<int8_t>(i);
  }
  return t;
}
constexpr auto kB64Rev = make_table(kB64, 64, false);
constexpr auto kB32Rev = make_table(kB32, 32, true);

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void base64_encode(std::span<const uint8_t> in, std::string& out) {
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];
    out.push_back(kB64[v >> 18]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = in[i] << 16;
    out.push_back(kB64[v >> 18]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.append("==");
  } else if (i + 2 == in.size()) {
    uint32_t v = in[i] << 16 | in[i + 1] << 8;
    out.push_back(kB64[v >> 18]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back('=');
  }
}

bool base64_decode(std::string_view in, std::vector<uint8_t>& out) {
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0, count = 0;
  for (char c : in) {
    if (c == '=') {
      ++pad;
      ++count;
      continue;
    }
    if (pad > 0) return false;  // data after padding
    int v = kB64Rev[static_cast<uint8_t>(c)];
    if (v < 0) return false;
    ++count;
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return count % 4 == 0 && pad <= 2;
}

void base32hex_encode(std::span<const uint8_t> in, std::string& out) {
  uint64_t acc = 0;
  int bits = 0;
  for (uint8_t b : in) {
    acc = acc << 8 | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kB32[(acc >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kB32[(acc << (5 - bits)) & 31]);
}

bool base32hex_decode(std::string_view in, std::vector<uint8_t>& out) {
  uint64_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') continue;
    int v = kB32Rev[static_cast<uint8_t>(c)];
    if (v < 0) return false;
    acc = acc << 5 | static_cast<uint64_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  // Leftover bits must be zero padding of less than one octet.
  return bits < 5 && (acc & ((1u << bits) - 1)) == 0;
}

void hex_encode(std::span<const uint8_t> in, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (uint8_t b : in) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
}

bool hex_decode(std::string_view in, std::vector<uint8_t>& out) {
  if (in.size() % 2 != 0) return false;
  for (size_t i = 0; i < in.size(); i += 2) {
    int hi = hex_value(in[i]), lo = hex_value(in[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return true;
}

}  // namespace flatsign::dns
