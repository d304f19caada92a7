// The RDATAs of one RRset packed in one heap block (a header, one end offset per RDATA, then the
// octets back to back), read as spans. A zone holds ~700k RDATAs at 100k signed names: one
// std::vector each cost 24 octets plus a malloc chunk (32 for an A record). Plain value, not
// synchronized: share only frozen (as a built Zone does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <span>
#include <vector>

namespace flatsign::dns {

using Rdata = std::vector<uint8_t>;

// One RDATA of a list: a view of its octets, valid until the list is changed or destroyed.
// Converts to a span implicitly; to an owning Rdata only on request (a copy costs an allocation).
class RdataRef : public std::span<const uint8_t> {
 public:
  RdataRef() = default;
  RdataRef(std::span<const uint8_t> s) : std::span<const uint8_t>(s) {}  // NOLINT: implicit
  RdataRef(const Rdata& r) : std::span<const uint8_t>(r) {}              // NOLINT: implicit
  explicit operator Rdata() const { return Rdata(begin(), end()); }
  [[nodiscard]] Rdata to_rdata() const { return Rdata(begin(), end()); }
  // Same octets (RDATA equality as std::vector's ==, not RFC 4034 canonical equality).
  friend bool operator==(RdataRef a, RdataRef b);
};

class RdataList {
 public:
  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = RdataRef;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = RdataRef;
    iterator() = default;
    iterator(const RdataList* list, size_t i) : list_(list), i_(i) {}
    RdataRef operator*() const { return (*list_)[i_]; }
    RdataRef operator[](difference_type n) const { return (*list_)[i_ + n]; }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) {
      auto t = *this;
      ++i_;
      return t;
    }
    iterator& operator--() {
      --i_;
      return *this;
    }
    iterator operator--(int) {
      auto t = *this;
      --i_;
      return t;
    }
    iterator& operator+=(difference_type n) {
      i_ += n;
      return *this;
    }
    iterator& operator-=(difference_type n) {
      i_ -= n;
      return *this;
    }
    friend iterator operator+(iterator a, difference_type n) { return a += n; }
    friend iterator operator+(difference_type n, iterator a) { return a += n; }
    friend iterator operator-(iterator a, difference_type n) { return a -= n; }
    friend difference_type operator-(iterator a, iterator b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(iterator a, iterator b) { return a.i_ == b.i_; }
    friend auto operator<=>(iterator a, iterator b) { return a.i_ <=> b.i_; }

   private:
    const RdataList* list_ = nullptr;
    size_t i_ = 0;
  };
  using const_iterator = iterator;
  using value_type = RdataRef;

  RdataList() = default;
  // Copies each RDATA in order (duplicates and order kept: RRset::normalize() sorts).
  RdataList(std::initializer_list<Rdata> rdatas);  // NOLINT: implicit, as a vector
  RdataList(const std::vector<Rdata>& rdatas);     // NOLINT: implicit, as a vector
  RdataList(const RdataList& other);
  RdataList(RdataList&& other) noexcept : p_(other.p_) { other.p_ = nullptr; }
  RdataList& operator=(const RdataList& other);
  RdataList& operator=(RdataList&& other) noexcept;
  ~RdataList();

  // Inline: the answer path reads RDATAs through these.
  size_t size() const { return p_ ? header()->count : 0; }
  bool empty() const { return size() == 0; }
  // REQUIRES: i < size().
  RdataRef operator[](size_t i) const {
    const uint32_t* e = ends();
    const uint32_t begin = i == 0 ? 0 : e[i - 1];
    return RdataRef(std::span<const uint8_t>(octets() + begin, e[i] - begin));
  }
  // Throws std::out_of_range when i >= size().
  RdataRef at(size_t i) const;
  RdataRef front() const { return (*this)[0]; }
  RdataRef back() const { return (*this)[size() - 1]; }
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, size()); }
  // Octets of all RDATAs together (without the offsets).
  size_t payload_size() const { return p_ ? header()->octets : 0; }

  // Appends a copy of `rdata`; earlier RdataRefs into this list become invalid.
  void push_back(std::span<const uint8_t> rdata);
  // Room for `count` RDATAs of `octets` octets in all without a new block.
  void reserve(size_t count, size_t octets);
  // Octets of storage an exact list of `count` RDATAs of `octets` octets in all occupies, a
  // multiple of 4 (so such lists can be laid out back to back).
  static size_t placed_bytes(size_t count, size_t octets);
  // Makes this list (which must be empty) an empty one with exactly that room, in `storage`
  // (placed_bytes(count, octets) octets, 4-aligned) owned by the caller: one allocation for
  // many lists (a zone block's). The list never frees it; a copy gets a block of its own, and
  // growing past the room moves the RDATAs to one. REQUIRES: `storage` outlives this list and
  // every list it is moved into.
  void place(uint8_t* storage, size_t count, size_t octets);
  void clear();
  // Replaces the RDATAs with copies of `rdatas`, which may view this list's own. A placed list
  // keeps its storage when they fit (no heap block for a zone's re-sorted RRset).
  void assign(std::span<const RdataRef> rdatas);
  // Drops the last RDATA (its room stays until shrink_to_fit). REQUIRES: !empty().
  void pop_back();
  // Gives back the room reserve() or push_back's doubling left unused (one exact block).
  void shrink_to_fit();
  // The i-th RDATA writable in place (same length; e.g. a SOA serial). REQUIRES: i < size().
  std::span<uint8_t> mutable_at(size_t i);
  // Keeps the RDATAs for which keep(rdata) is true, in order.
  template <class Keep>
  void retain(Keep keep) {
    RdataList out;
    for (RdataRef r : *this)
      if (keep(r)) out.push_back(r);
    *this = std::move(out);
  }
  std::vector<Rdata> to_vector() const;

  // The same RDATAs in the same order, octet for octet.
  friend bool operator==(const RdataList& a, const RdataList& b);

  // Bytes of the heap block (0 when empty): for tests of the layout's cost.
  size_t allocated_bytes() const;

 private:
  struct Header {
    uint32_t count;
    uint32_t octets;
    uint32_t count_cap;
    uint32_t octets_cap;  // with kPlaced set when the caller owns the block (place())
  };
  static constexpr uint32_t kPlaced = uint32_t{1} << 31;
  size_t octets_cap() const { return header()->octets_cap & ~kPlaced; }
  bool placed() const { return (header()->octets_cap & kPlaced) != 0; }
  void release() noexcept;
  // The block: Header, uint32_t end offset of each RDATA (count_cap of them), octets_cap octets.
  Header* header() const { return reinterpret_cast<Header*>(p_); }
  const uint32_t* ends() const { return reinterpret_cast<const uint32_t*>(p_ + sizeof(Header)); }
  uint8_t* octets() const { return p_ + sizeof(Header) + header()->count_cap * sizeof(uint32_t); }
  void grow_to(size_t count_cap, size_t octets_cap);
  uint8_t* p_ = nullptr;
};

}  // namespace flatsign::dns
