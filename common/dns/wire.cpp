#include "common/dns/wire.hpp"

#include <algorithm>
#include <cstdint>

namespace flatsign::dns {

void WireReader::fail(size_t offset, const std::string& why) {
  if (!error_) error_.emplace(offset, why);
}

uint8_t WireReader::u8() {
  if (!ok()) return 0;
  if (pos_ + 1 > msg_.size()) {
    fail(pos_, "message ends inside an 8-bit field");
    return 0;
  }
  return msg_[pos_++];
}

uint16_t WireReader::u16() {
  if (!ok()) return 0;
  if (pos_ + 2 > msg_.size()) {
    fail(pos_, "message ends inside a 16-bit field");
    return 0;
  }
  uint16_t v = static_cast<uint16_t>(msg_[pos_] << 8 | msg_[pos_ + 1]);
  pos_ += 2;
  return v;
}

uint32_t WireReader::u32() {
  if (!ok()) return 0;
  if (pos_ + 4 > msg_.size()) {
    fail(pos_, "message ends inside a 32-bit field");
    return 0;
  }
  uint32_t v = static_cast<uint32_t>(msg_[pos_]) << 24 |
               static_cast<uint32_t>(msg_[pos_ + 1]) << 16 |
               static_cast<uint32_t>(msg_[pos_ + 2]) << 8 | msg_[pos_ + 3];
  pos_ += 4;
  return v;
}

std::span<const uint8_t> WireReader::bytes(size_t n) {
  if (!ok()) return {};
  if (n > msg_.size() - pos_) {
    fail(pos_,
         "message ends " + std::to_string(n - (msg_.size() - pos_)) + " octets short of a field");
    return {};
  }
  auto s = msg_.subspan(pos_, n);
  pos_ += n;
  return s;
}

Name WireReader::name() {
  uint8_t out[Name::kMaxWire];
  size_t n = read_name(true, out);
  return n ? Name::from_wire_unchecked({out, n}) : Name();
}

Name WireReader::name_uncompressed() {
  uint8_t out[Name::kMaxWire];
  size_t n = read_name(false, out);
  return n ? Name::from_wire_unchecked({out, n}) : Name();
}

size_t WireReader::name_into(std::span<uint8_t, Name::kMaxWire> out) {
  return read_name(true, out.data());
}

size_t WireReader::read_name(bool allow_pointers, uint8_t* out) {
  if (!ok()) return 0;
  size_t out_len = 0;
  size_t pos = pos_;
  size_t resume = 0;  // where reading continues after the first pointer
  bool jumped = false;
  size_t floor = pos_;  // every pointer must point below the previous one
  while (true) {
    if (pos >= msg_.size()) {
      fail(pos, "message ends inside a name");
      return 0;
    }
    uint8_t len = msg_[pos];
    if ((len & 0xC0) == 0xC0) {
      if (!allow_pointers) {
        fail(pos, "compression pointer where RFC 3597 forbids one");
        return 0;
      }
      if (pos + 1 >= msg_.size()) {
        fail(pos, "message ends inside a compression pointer");
        return 0;
      }
      size_t target = static_cast<size_t>(len & 0x3F) << 8 | msg_[pos + 1];
      if (target >= floor) {
        fail(pos, "compression pointer does not point backwards (loop)");
        return 0;
      }
      if (target < pointer_floor_) {
        fail(pos, "compression pointer into the header");
        return 0;
      }
      if (!jumped) resume = pos + 2;
      jumped = true;
      floor = target;
      pos = target;
      continue;
    }
    if ((len & 0xC0) != 0) {
      fail(pos, "unsupported label type 0x" + std::to_string(len >> 6));
      return 0;
    }
    if (out_len + 1 + len > Name::kMaxWire) {
      fail(pos, "name longer than 255 octets");
      return 0;
    }
    if (pos + 1 + len > msg_.size()) {
      fail(pos, "message ends inside a label");
      return 0;
    }
    std::copy_n(msg_.data() + pos, 1 + len, out + out_len);
    out_len += 1 + len;
    pos += 1 + len;
    if (len == 0) break;
  }
  pos_ = jumped ? resume : pos;
  return out_len;
}

bool WireWriter::fits(size_t n) {
  if (overflowed_) return false;
  if (buf_.size() + n > limit_) {
    overflowed_ = true;
    return false;
  }
  return true;
}

void WireWriter::u8(uint8_t v) {
  if (fits(1)) buf_.push_back(v);
}

void WireWriter::u16(uint16_t v) {
  if (!fits(2)) return;
  buf_.push_back(static_cast<uint8_t>(v >> 8));
  buf_.push_back(static_cast<uint8_t>(v));
}

void WireWriter::u32(uint32_t v) {
  if (!fits(4)) return;
  for (int s = 24; s >= 0; s -= 8) buf_.push_back(static_cast<uint8_t>(v >> s));
}

void WireWriter::bytes(std::span<const uint8_t> b) {
  if (fits(b.size())) buf_.insert(buf_.end(), b.begin(), b.end());
}

void WireWriter::patch_u16(size_t at, uint16_t v) {
  buf_[at] = static_cast<uint8_t>(v >> 8);
  buf_[at + 1] = static_cast<uint8_t>(v);
}

namespace {

uint64_t suffix_hash(const uint8_t* p) {
  uint64_t h = 1469598103934665603ULL;
  while (*p != 0) {
    size_t len = *p;
    for (size_t i = 0; i <= len; ++i) {
      h ^= dns_lower(p[i]);
      h *= 1099511628211ULL;
    }
    p += 1 + len;
  }
  return h;
}

// True when the (possibly compressed) name at `at` in `buf` equals the uncompressed suffix `s`.
bool same_suffix(const std::vector<uint8_t>& buf, size_t at, const uint8_t* s) {
  while (true) {
    uint8_t len = buf[at];
    if ((len & 0xC0) == 0xC0) {
      at = static_cast<size_t>(len & 0x3F) << 8 | buf[at + 1];
      continue;
    }
    if (len != *s) return false;
    if (len == 0) return true;
    for (size_t i = 1; i <= len; ++i) {
      if (dns_lower(buf[at + i]) != dns_lower(s[i])) return false;
    }
    at += 1 + len;
    s += 1 + len;
  }
}

}  // namespace

void WireWriter::remember(uint64_t hash, size_t offset) {
  if (offset >= 0x4000) return;  // beyond a 14-bit pointer (RFC 1035 §4.1.4)
  if (fixed_count_ < kFixedTargets) {
    fixed_[fixed_count_++] = {hash, static_cast<uint16_t>(offset)};
  } else {
    spilled_.emplace(hash, static_cast<uint16_t>(offset));
  }
}

void WireWriter::name(std::span<const uint8_t> w, bool compress) {
  const uint8_t* p = w.data();
  size_t start = buf_.size();
  size_t written = 0;
  while (*p != 0) {
    uint64_t h = suffix_hash(p);
    if (compress) {
      size_t at = SIZE_MAX;
      for (size_t i = 0; i < fixed_count_ && at == SIZE_MAX; ++i) {
        const Target& t = fixed_[i];
        if (t.hash == h && t.offset < buf_.size() && same_suffix(buf_, t.offset, p)) at = t.offset;
      }
      if (at == SIZE_MAX && !spilled_.empty()) {
        auto [lo, hi] = spilled_.equal_range(h);
        for (auto it = lo; it != hi && at == SIZE_MAX; ++it) {
          if (it->second < buf_.size() && same_suffix(buf_, it->second, p)) at = it->second;
        }
      }
      if (at != SIZE_MAX) {
        if (!fits(2)) return;
        buf_.push_back(static_cast<uint8_t>(0xC0 | at >> 8));
        buf_.push_back(static_cast<uint8_t>(at));
        return;
      }
    }
    remember(h, start + written);
    size_t len = 1 + *p;
    if (!fits(len)) return;
    buf_.insert(buf_.end(), p, p + len);
    written += len;
    p += len;
  }
  u8(0);
}

void WireWriter::truncate(size_t size) {
  // Also when nothing was appended past `size`: a write that failed at once still set the
  // overflow flag and may have left a compression target at `size`.
  if (size < buf_.size()) buf_.resize(size);
  overflowed_ = false;
  while (fixed_count_ > 0 && fixed_[fixed_count_ - 1].offset >= size) --fixed_count_;
  if (!spilled_.empty())
    std::erase_if(spilled_, [size](const auto& kv) { return kv.second >= size; });
}

void WireWriter::clear() {
  buf_.clear();
  fixed_count_ = 0;
  spilled_.clear();
  overflowed_ = false;
}

void WireWriter::adopt(std::vector<uint8_t>&& buf) {
  buf_ = std::move(buf);
  clear();
  if (buf_.capacity() < 512) buf_.reserve(512);  // as the constructor: no regrowth for UDP
}

}  // namespace flatsign::dns
