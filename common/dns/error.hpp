// Typed errors for the DNS core: every failure says where (text position or packet offset) and
// why, quoting the offending input. Plain value types; safe to copy between threads.
#pragma once

#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

namespace flatsign::dns {

// Presentation-format failure (name, rdata, zone file). `token` indexes the rdata token that
// failed, or kNoToken; the zone-file parser turns it into file:line:column.
class ParseError : public std::runtime_error {
 public:
  static constexpr size_t kNoToken = std::numeric_limits<size_t>::max();
  explicit ParseError(const std::string& why, size_t token = kNoToken)
      : std::runtime_error(why), token_(token) {}
  size_t token() const { return token_; }

 private:
  size_t token_;
};

// Wire-format failure: `offset` is the octet offset in the message where decoding failed.
class WireError : public std::runtime_error {
 public:
  WireError(size_t offset, const std::string& why)
      : std::runtime_error(why + " at offset " + std::to_string(offset)), offset_(offset) {}
  size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

}  // namespace flatsign::dns
