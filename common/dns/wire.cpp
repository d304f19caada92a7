#include "common/dns/wire.hpp"

#include <algorithm>

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
  return read_name(true);
}
Name WireReader::name_uncompressed() {
  return read_name(false);
}

Name WireReader::read_name(bool allow_pointers) {
  if (!ok()) return Name();
  uint8_t out[Name::kMaxWire];
  size_t out_len = 0;
  size_t pos = pos_;
  size_t resume = 0;  // where reading continues after the first pointer
  bool jumped = false;
  size_t floor = pos_;  // every pointer must point below the previous one
  while (true) {
    if (pos >= msg_.size()) {
      fail(pos, "message ends inside a name");
      return Name();
    }
    uint8_t len = msg_[pos];
    if ((len & 0xC0) == 0xC0) {
      if (!allow_pointers) {
        fail(pos, "compression pointer where RFC 3597 forbids one");
        return Name();
      }
      if (pos + 1 >= msg_.size()) {
        fail(pos, "message ends inside a compression pointer");
        return Name();
      }
      size_t target = static_cast<size_t>(len & 0x3F) << 8 | msg_[pos + 1];
      if (target >= floor) {
        fail(pos, "compression pointer does not point backwards (loop)");
        return Name();
      }
      if (target < pointer_floor_) {
        fail(pos, "compression pointer into the header");
        return Name();
      }
      if (!jumped) resume = pos + 2;
      jumped = true;
      floor = target;
      pos = target;
      continue;
    }
    if ((len & 0xC0) != 0) {
      fail(pos, "unsupported label type 0x" + std::to_string(len >> 6));
      return Name();
    }
    if (out_len + 1 + len > Name::kMaxWire) {
      fail(pos, "name longer than 255 octets");
      return Name();
    }
    if (pos + 1 + len > msg_.size()) {
      fail(pos, "message ends inside a label");
      return Name();
    }
    std::copy_n(msg_.data() + pos, 1 + len, out + out_len);
    out_len += 1 + len;
    pos += 1 + len;
    if (len == 0) break;
  }
  pos_ = jumped ? resume : pos;
  return Name::from_wire_unchecked({out, out_len});
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

void WireWriter::name(const Name& n, bool compress) {
  auto w = n.wire();
  const uint8_t* p = w.data();
  size_t start = buf_.size();
  size_t written = 0;
  while (*p != 0) {
    uint64_t h = suffix_hash(p);
    if (compress) {
      auto [lo, hi] = targets_.equal_range(h);
      for (auto it = lo; it != hi; ++it) {
        if (it->second < buf_.size() && same_suffix(buf_, it->second, p)) {
          if (!fits(2)) return;
          buf_.push_back(static_cast<uint8_t>(0xC0 | it->second >> 8));
          buf_.push_back(static_cast<uint8_t>(it->second));
          return;
        }
      }
    }
    size_t here = start + written;
    if (here < 0x4000) targets_.emplace(h, static_cast<uint16_t>(here));
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
  std::erase_if(targets_, [size](const auto& kv) { return kv.second >= size; });
}

void WireWriter::clear() {
  buf_.clear();
  targets_.clear();
  overflowed_ = false;
}

}  // namespace flatsign::dns
