// Binary-to-text encodings used in presentation format: base64 (RFC 4648 §4), base32hex without
// padding (RFC 4648 §7, NSEC3 per RFC 5155 §3.3) and hex. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flatsign::dns {

void base64_encode(std::span<const uint8_t> in, std::string& out);
// Appends decoded octets; false on a bad character, bad padding or a truncated quantum.
[[nodiscard]] bool base64_decode(std::string_view in, std::vector<uint8_t>& out);
void base32hex_encode(std::span<const uint8_t> in, std::string& out);  // lowercase, no padding
[[nodiscard]] bool base32hex_decode(std::string_view in, std::vector<uint8_t>& out);
void hex_encode(std::span<const uint8_t> in, std::string& out);  // uppercase, as BIND prints
[[nodiscard]] bool hex_decode(std::string_view in, std::vector<uint8_t>& out);

}  // namespace flatsign::dns
