// Bounds-checked reading and forward writing of DNS wire format. The reader keeps the first
// failure with its offset and turns later reads into no-ops (callers check ok() once); the
// writer compresses names (RFC 1035 §4.1.4) and can roll back. Neither is shared across threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/dns/error.hpp"
#include "common/dns/name.hpp"

namespace flatsign::dns {

class WireReader {
 public:
  // `message` is the whole DNS message, so compression pointers can reach back into it; it must
  // outlive the reader. Reading starts at `start`.
  explicit WireReader(std::span<const uint8_t> message, size_t start = 0)
      : msg_(message), pos_(start) {}

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  // A view of the next `n` octets (empty after a failure).
  std::span<const uint8_t> bytes(size_t n);
  void skip(size_t n) { (void)bytes(n); }
  // A possibly compressed name. Pointers must point strictly backwards (so loops cannot occur)
  // and the result may not exceed 255 octets. Returns the root after a failure.
  Name name();
  // Like name(), but a compression pointer is a failure (for RDATA where RFC 3597 §4 forbids it).
  Name name_uncompressed();
  // As name(), into `out` without building a Name: returns the wire length, 0 after a failure.
  [[nodiscard]] size_t name_into(std::span<uint8_t, Name::kMaxWire> out);
  // Compression pointers to offsets below `floor` fail; message parsing sets the header size,
  // since pointers refer to earlier names, never to the header (RFC 1035 §4.1.4).
  void set_pointer_floor(size_t floor) { pointer_floor_ = floor; }

  size_t offset() const { return pos_; }
  size_t remaining() const { return ok() ? msg_.size() - pos_ : 0; }
  bool ok() const { return !error_.has_value(); }
  const std::optional<WireError>& error() const { return error_; }
  // Records a failure at `offset` unless one is already recorded; later reads do nothing.
  void fail(size_t offset, const std::string& why);
  // Throws the recorded WireError. REQUIRES: !ok().
  [[noreturn]] void rethrow() const { throw *error_; }
  std::span<const uint8_t> message() const { return msg_; }

 private:
  size_t read_name(bool allow_pointers, uint8_t* out);
  std::span<const uint8_t> msg_;
  size_t pos_;
  size_t pointer_floor_ = 0;
  std::optional<WireError> error_;
};

class WireWriter {
 public:
  // Output beyond `limit` octets sets overflowed() instead of growing past it; compression
  // pointers are only created to offsets below 0x4000 (RFC 1035 §4.1.4, 14-bit offsets).
  explicit WireWriter(size_t limit = 65535) : limit_(limit) { buf_.reserve(512); }

  void u8(uint8_t v);
  void u16(uint16_t v);
  void u32(uint32_t v);
  void bytes(std::span<const uint8_t> b);
  // Writes `n` in wire form, reusing an earlier copy of a suffix when `compress` is set, and
  // remembering its suffixes for later names either way.
  void name(const Name& n, bool compress) { name(n.wire(), compress); }
  // The same for a well-formed uncompressed wire name (e.g. a suffix of one, or RDATA's).
  void name(std::span<const uint8_t> wire, bool compress);
  void patch_u16(size_t at, uint16_t v);

  size_t size() const { return buf_.size(); }
  size_t limit() const { return limit_; }
  void set_limit(size_t limit) { limit_ = limit; }
  bool overflowed() const { return overflowed_; }
  // Drops everything written at or after `size` (and the compression targets there).
  void truncate(size_t size);
  // Starts a fresh message in the same buffer (keeps the allocation).
  void clear();
  // Starts a fresh message in `buf`'s allocation (e.g. one a sent response gave back).
  void adopt(std::vector<uint8_t>&& buf);
  const std::vector<uint8_t>& data() const { return buf_; }
  std::vector<uint8_t> take() { return std::move(buf_); }

 private:
  bool fits(size_t n);
  std::vector<uint8_t> buf_;
  size_t limit_;
  bool overflowed_ = false;
  void remember(uint64_t hash, size_t offset);
  // Lowercased suffix hash -> offset of a copy of that suffix in buf_. A UDP response names
  // fewer suffixes than the fixed table holds, so writing one allocates nothing; big messages
  // (AXFR) spill the rest into the map. Offsets only grow, so truncate() pops from the back.
  struct Target {
    uint64_t hash;
    uint16_t offset;
  };
  static constexpr size_t kFixedTargets = 64;
  std::array<Target, kFixedTargets> fixed_;
  size_t fixed_count_ = 0;
  std::unordered_multimap<uint64_t, uint16_t> spilled_;
};

}  // namespace flatsign::dns
