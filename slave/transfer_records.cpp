#include "slave/transfer_records.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace flatsign::slave {
namespace {

// A record in a block: owner as [kept u8][added u8][added octets] (the previous owner's last
// `kept` wire octets follow the `added` ones), then TYPE, CLASS, TTL, RDLENGTH as on the wire,
// then the RDATA. kFixed: all but the added octets and the RDATA.
constexpr size_t kFixed = 1 + 1 + 2 + 2 + 4 + 2;
// The first block is kFirstBlock, each next one twice the last up to kBlock, unless one record
// needs more: allocation per 64 KiB, at most one record's worth left unused at the end of each.
// A small zone's transfer (~1 KB) does not hold 64 KiB: thousands of them waiting to be signed
// at a cold start held hundreds of MB, and left the heap fragmented once freed.
constexpr size_t kFirstBlock = 2 * 1024;
constexpr size_t kBlock = 64 * 1024;

// Start offsets of the labels of a well-formed wire name, root label included; returns how many.
size_t label_starts(std::span<const uint8_t> wire, std::array<uint8_t, 128>& starts) {
  size_t n = 0, i = 0;
  while (i < wire.size()) {
    starts[n++] = static_cast<uint8_t>(i);
    if (wire[i] == 0) break;
    i += 1 + wire[i];
  }
  return n;
}

// Octets at the end of `b` that are whole labels equal octet for octet to the end of `a`.
size_t shared_suffix(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  std::array<uint8_t, 128> sa{}, sb{};
  size_t na = label_starts(a, sa), nb = label_starts(b, sb);
  size_t kept = 0;
  while (na > 0 && nb > 0) {
    const size_t la = a.size() - sa[na - 1], lb = b.size() - sb[nb - 1];
    if (la != lb || std::memcmp(a.data() + sa[na - 1], b.data() + sb[nb - 1], la) != 0) break;
    kept = lb;
    --na;
    --nb;
  }
  return kept;
}

void put16(uint8_t*& p, uint16_t v) {
  *p++ = static_cast<uint8_t>(v >> 8);
  *p++ = static_cast<uint8_t>(v);
}

uint16_t get16(const uint8_t*& p) {
  const uint16_t v = static_cast<uint16_t>(p[0] << 8 | p[1]);
  p += 2;
  return v;
}

}  // namespace

uint8_t* TransferRecords::append(size_t n) {
  if (blocks_.empty() || blocks_.back().capacity() - blocks_.back().size() < n) {
    const size_t size =
        blocks_.empty() ? kFirstBlock : std::min(kBlock, 2 * blocks_.back().capacity());
    blocks_.emplace_back().reserve(std::max(size, n));
    held_ += blocks_.back().capacity();
  }
  auto& b = blocks_.back();
  const size_t at = b.size();
  b.resize(at + n);
  return b.data() + at;
}

void TransferRecords::push_back(const dns::Rr& rr) {
  if (count_ == 0) first_ = rr;
  const auto owner = rr.owner.wire();
  const size_t kept = count_ == 0 ? 0 : shared_suffix(last_owner_.wire(), owner);
  const size_t added = owner.size() - kept;
  uint8_t* p = append(kFixed + added + rr.rdata.size());
  *p++ = static_cast<uint8_t>(kept);
  *p++ = static_cast<uint8_t>(added);
  std::memcpy(p, owner.data(), added);
  p += added;
  put16(p, static_cast<uint16_t>(rr.type));
  put16(p, static_cast<uint16_t>(rr.rclass));
  put16(p, static_cast<uint16_t>(rr.ttl >> 16));
  put16(p, static_cast<uint16_t>(rr.ttl));
  put16(p, static_cast<uint16_t>(rr.rdata.size()));
  if (!rr.rdata.empty()) std::memcpy(p, rr.rdata.data(), rr.rdata.size());
  if (kept != last_owner_.wire_size() || added != 0) last_owner_ = rr.owner;
  ++count_;
}

bool TransferRecords::Cursor::next(dns::Rr& out) {
  const auto& blocks = records_->blocks_;
  while (block_ < blocks.size() && offset_ >= blocks[block_].size()) {
    ++block_;
    offset_ = 0;
  }
  if (block_ >= blocks.size()) return false;
  const uint8_t* p = blocks[block_].data() + offset_;
  const uint8_t* start = p;
  const size_t kept = *p++;
  const size_t added = *p++;
  if (added != 0 || kept != owner_.wire_size()) {
    std::array<uint8_t, dns::Name::kMaxWire> wire{};
    std::memcpy(wire.data(), p, added);
    const auto prev = owner_.wire();
    std::memcpy(wire.data() + added, prev.data() + prev.size() - kept, kept);
    owner_ = dns::Name::from_wire_unchecked({wire.data(), added + kept});
  }
  p += added;
  out.owner = owner_;
  out.type = static_cast<dns::RRType>(get16(p));
  out.rclass = static_cast<dns::RRClass>(get16(p));
  const uint32_t hi = get16(p);
  out.ttl = hi << 16 | get16(p);
  const size_t rdlen = get16(p);
  out.rdata.assign(p, p + rdlen);
  offset_ += static_cast<size_t>(p - start) + rdlen;
  return true;
}

std::vector<dns::Rr> TransferRecords::to_vector() const {
  std::vector<dns::Rr> out;
  out.reserve(count_);
  Cursor c(*this);
  dns::Rr rr;
  while (c.next(rr)) out.push_back(rr);
  return out;
}

}  // namespace flatsign::slave
