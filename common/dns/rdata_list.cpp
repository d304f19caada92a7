// RdataList: one malloc'ed block per RRset, grown by doubling and trimmed to size when a zone is
// frozen (Zone::compact); or a block placed in storage the caller owns (a zone block's arena).
#include "common/dns/rdata_list.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

namespace flatsign::dns {

bool operator==(RdataRef a, RdataRef b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

RdataList::RdataList(std::initializer_list<Rdata> rdatas) {
  size_t octets = 0;
  for (const auto& r : rdatas) octets += r.size();
  reserve(rdatas.size(), octets);
  for (const auto& r : rdatas) push_back(r);
}

RdataList::RdataList(const std::vector<Rdata>& rdatas) {
  size_t octets = 0;
  for (const auto& r : rdatas) octets += r.size();
  reserve(rdatas.size(), octets);
  for (const auto& r : rdatas) push_back(r);
}

RdataList::RdataList(const RdataList& other) {
  if (other.empty()) return;
  reserve(other.size(), other.payload_size());
  std::memcpy(p_ + sizeof(Header), other.ends(), other.size() * sizeof(uint32_t));
  std::memcpy(octets(), other.octets(), other.payload_size());
  header()->count = other.header()->count;
  header()->octets = other.header()->octets;
}

RdataList& RdataList::operator=(const RdataList& other) {
  if (this != &other) *this = RdataList(other);
  return *this;
}

RdataList& RdataList::operator=(RdataList&& other) noexcept {
  std::swap(p_, other.p_);
  return *this;
}

RdataList::~RdataList() {
  release();
}

void RdataList::release() noexcept {
  if (p_ != nullptr && !placed()) std::free(p_);
  p_ = nullptr;
}

RdataRef RdataList::at(size_t i) const {
  if (i >= size()) {
    throw std::out_of_range("RdataList::at: index " + std::to_string(i) + " of " +
                            std::to_string(size()));
  }
  return (*this)[i];
}

void RdataList::grow_to(size_t count_cap, size_t octets_cap) {
  constexpr size_t kMax = kPlaced - 1;
  if (count_cap > kMax / sizeof(uint32_t) || octets_cap > kMax) {
    throw std::length_error("RdataList: more than 2 GB of RDATA in one RRset");
  }
  const size_t bytes = sizeof(Header) + count_cap * sizeof(uint32_t) + octets_cap;
  auto* p = static_cast<uint8_t*>(std::malloc(bytes));
  if (p == nullptr) throw std::bad_alloc();
  auto* h = reinterpret_cast<Header*>(p);
  *h = Header{0, 0, static_cast<uint32_t>(count_cap), static_cast<uint32_t>(octets_cap)};
  if (p_ != nullptr) {
    h->count = header()->count;
    h->octets = header()->octets;
    std::memcpy(p + sizeof(Header), ends(), h->count * sizeof(uint32_t));
    std::memcpy(p + sizeof(Header) + count_cap * sizeof(uint32_t), octets(), h->octets);
    release();
  }
  p_ = p;
}

void RdataList::reserve(size_t count, size_t octets) {
  if (p_ != nullptr && count <= header()->count_cap && octets <= octets_cap()) return;
  grow_to(std::max<size_t>(count, p_ ? header()->count_cap : 0),
          std::max<size_t>(octets, p_ ? octets_cap() : 0));
}

size_t RdataList::placed_bytes(size_t count, size_t octets) {
  return (sizeof(Header) + count * sizeof(uint32_t) + octets + 3) & ~size_t{3};
}

void RdataList::place(uint8_t* storage, size_t count, size_t octets) {
  if (count > (kPlaced - 1) / sizeof(uint32_t) || octets >= kPlaced) {
    throw std::length_error("RdataList: more than 2 GB of RDATA in one RRset");
  }
  release();
  p_ = storage;
  *header() = Header{0, 0, static_cast<uint32_t>(count), static_cast<uint32_t>(octets) | kPlaced};
}

void RdataList::push_back(std::span<const uint8_t> rdata) {
  const size_t count = size(), used = payload_size();
  if (p_ == nullptr || count == header()->count_cap || used + rdata.size() > octets_cap()) {
    // Doubling keeps appends amortized O(1); the first block is exact (most RRsets hold one).
    size_t count_cap = p_ ? header()->count_cap : 0, octets_cap = p_ ? this->octets_cap() : 0;
    if (count + 1 > count_cap) count_cap = std::max<size_t>(count + 1, 2 * count_cap);
    if (used + rdata.size() > octets_cap)
      octets_cap = std::max(used + rdata.size(), 2 * octets_cap);
    grow_to(count_cap, octets_cap);
  }
  Header* h = header();
  if (!rdata.empty()) std::memcpy(octets() + used, rdata.data(), rdata.size());
  h->octets = static_cast<uint32_t>(used + rdata.size());
  reinterpret_cast<uint32_t*>(p_ + sizeof(Header))[count] = h->octets;
  h->count = static_cast<uint32_t>(count + 1);
}

void RdataList::clear() {
  release();
}

void RdataList::assign(std::span<const RdataRef> rdatas) {
  size_t octets = 0;
  for (RdataRef r : rdatas) octets += r.size();
  if (p_ == nullptr || !placed() || rdatas.size() > header()->count_cap || octets > octets_cap()) {
    RdataList out;
    out.reserve(rdatas.size(), octets);
    for (RdataRef r : rdatas) out.push_back(r);
    *this = std::move(out);
    return;
  }
  std::vector<uint8_t> copy;
  copy.reserve(octets);
  for (RdataRef r : rdatas) copy.insert(copy.end(), r.begin(), r.end());
  header()->count = header()->octets = 0;
  size_t at = 0;
  for (RdataRef r : rdatas) {
    push_back(std::span<const uint8_t>(copy.data() + at, r.size()));
    at += r.size();
  }
}

void RdataList::pop_back() {
  Header* h = header();
  --h->count;
  h->octets = h->count == 0 ? 0 : ends()[h->count - 1];
}

void RdataList::shrink_to_fit() {
  if (p_ == nullptr) return;
  if (header()->count == 0) {
    clear();
    return;
  }
  if (header()->count == header()->count_cap && header()->octets == octets_cap()) return;
  RdataList exact(*this);
  *this = std::move(exact);
}

std::span<uint8_t> RdataList::mutable_at(size_t i) {
  const uint32_t* e = ends();
  const uint32_t begin = i == 0 ? 0 : e[i - 1];
  return {octets() + begin, e[i] - begin};
}

std::vector<Rdata> RdataList::to_vector() const {
  std::vector<Rdata> out;
  out.reserve(size());
  for (RdataRef r : *this) out.push_back(r.to_rdata());
  return out;
}

bool operator==(const RdataList& a, const RdataList& b) {
  if (a.size() != b.size() || a.payload_size() != b.payload_size()) return false;
  if (a.empty()) return true;
  return std::memcmp(a.ends(), b.ends(), a.size() * sizeof(uint32_t)) == 0 &&
         std::memcmp(a.octets(), b.octets(), a.payload_size()) == 0;
}

size_t RdataList::allocated_bytes() const {
  return p_ ? sizeof(Header) + header()->count_cap * sizeof(uint32_t) + octets_cap() : 0;
}

}  // namespace flatsign::dns
