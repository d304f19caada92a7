// A domain name as uncompressed wire labels: case-preserving, compared case-insensitively, ordered
// by RFC 4034 §6.1 canonical order. Always absolute, never empty (the root is "."). Immutable
// value; copies share one reference-counted buffer (atomic: copies may live on any thread).
#pragma once

#include <atomic>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flatsign::dns {

class Name {
 public:
  static constexpr size_t kMaxWire = 255;  // RFC 1035 §2.3.4
  static constexpr size_t kMaxLabel = 63;

  // The root name ".".
  Name() noexcept : rep_(root_rep()) {}
  // Copying shares the octets (a zone's node and its RRsets' owners hold one allocation); a
  // moved-from Name is the root.
  Name(const Name& other) noexcept : rep_(other.rep_) { retain(); }
  Name(Name&& other) noexcept : rep_(other.rep_) { other.rep_ = root_rep(); }
  Name& operator=(const Name& other) noexcept {
    other.retain();
    release();
    rep_ = other.rep_;
    return *this;
  }
  Name& operator=(Name&& other) noexcept {
    std::swap(rep_, other.rep_);
    return *this;
  }
  ~Name() { release(); }

  // Parses presentation text with `\.` and `\DDD` escapes. Text ending in an unescaped '.' is
  // absolute; otherwise it is relative and `origin` is appended.
  // Throws ParseError quoting `text` when a label is empty or too long, the name exceeds 255
  // octets, an escape is malformed, or the name is relative and `origin` is null.
  static Name parse(std::string_view text, const Name* origin = nullptr);
  // The wire form of parse(text, origin) appended to `out`, without making a Name (no heap
  // block: names inside RDATA). Throws as parse(), leaving `out` as it was.
  static void append_wire(std::string_view text, const Name* origin, std::vector<uint8_t>& out);

  // Adopts uncompressed wire labels. REQUIRES: `wire` is a well-formed name (labels <= 63, total
  // <= 255, ends with the root label); use WireReader for untrusted input.
  static Name from_wire_unchecked(std::span<const uint8_t> wire);

  // Uncompressed wire form including the root label; valid while this Name lives.
  std::span<const uint8_t> wire() const {
    return {reinterpret_cast<const uint8_t*>(rep_->octets()), rep_->size};
  }
  size_t wire_size() const { return rep_->size; }
  // Number of labels, not counting the root (RFC 4034 §3.1.3 "Labels" counts a wildcard too).
  size_t label_count() const;
  bool is_root() const { return rep_->size == 1; }
  bool is_wildcard() const {
    return rep_->size >= 2 && rep_->octets()[0] == 1 && rep_->octets()[1] == '*';
  }
  // True when this name equals `other` or lies below it.
  bool is_subdomain_of(const Name& other) const;
  // The name with the leftmost label removed. REQUIRES: !is_root().
  Name parent() const;
  // The name with its `n` leftmost labels removed. REQUIRES: n <= label_count().
  Name strip_left(size_t n) const;
  // `label` + this name. Throws ParseError when the label or the result is too long.
  Name prepend(std::string_view label) const;
  // The leftmost label's octets (empty for the root).
  std::string_view first_label() const;
  Name lowercased() const;
  bool has_uppercase() const;

  // Absolute presentation form with a trailing dot and escapes ("." for the root).
  std::string to_string() const;
  void append_text(std::string& out) const;

  bool operator==(const Name& other) const;
  std::strong_ordering operator<=>(const Name& other) const;  // RFC 4034 §6.1
  // Case-insensitive hash consistent with operator==.
  size_t hash() const;

 private:
  // The shared octets: a header, then `size` wire octets (one allocation, kHeader + size).
  struct Rep {
    std::atomic<uint32_t> refs;
    uint8_t size;
    char first;  // the first wire octet; the others follow it in the same allocation
    const char* octets() const { return reinterpret_cast<const char*>(this) + kHeader; }
  };
  static constexpr size_t kHeader = sizeof(std::atomic<uint32_t>) + 1;
  // The root's Rep is static and never counted.
  static Rep* root_rep() noexcept;
  void retain() const noexcept {
    if (rep_ != root_rep()) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept {
    if (rep_ != root_rep() && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }
  void destroy() noexcept;
  // REQUIRES: a well-formed wire name.
  explicit Name(std::string_view wire);
  std::string_view w() const { return {rep_->octets(), rep_->size}; }
  Rep* rep_;
};

// The same order and hash for names still in uncompressed wire form (e.g. in a packet or a
// suffix of one), so lookups need not build a Name. REQUIRES: well-formed wire names.
// RFC 4034 §6.1 canonical order, as Name's operator<=>.
std::strong_ordering canonical_compare(std::span<const uint8_t> a, std::span<const uint8_t> b);
// FNV-1a over the lowercased octets, as Name::hash().
uint64_t wire_name_hash(std::span<const uint8_t> wire);

struct NameHash {
  size_t operator()(const Name& n) const { return n.hash(); }
};

// ASCII-only lowercase, as DNS comparisons require (RFC 4343).
inline uint8_t dns_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

}  // namespace flatsign::dns
