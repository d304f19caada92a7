#include "common/dns/name.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <vector>

#include "common/dns/error.hpp"

namespace flatsign::dns {
namespace {

// Offsets of each label's length octet, leftmost first; returns the count (root not counted).
size_t label_offsets(std::span<const uint8_t> wire, std::array<uint8_t, 128>& offs) {
  size_t n = 0;
  size_t pos = 0;
  while (wire[pos] != 0) {
    offs[n++] = static_cast<uint8_t>(pos);
    pos += 1 + wire[pos];
  }
  return n;
}

[[noreturn]] void bad_name(std::string_view text, const std::string& why) {
  throw ParseError("bad name \"" + std::string(text) + "\": " + why);
}

bool needs_escape(uint8_t c) {
  switch (c) {
    case '.':
    case ';':
    case '(':
    case ')':
    case '"':
    case '\\':
    case '@':
    case '$':
      return true;
    default:
      return false;
  }
}

}  // namespace

// The root name's octets, never freed nor counted (a count shared by every thread's root Names
// would be contended for nothing).
Name::Rep* Name::root_rep() noexcept {
  static Rep root{{1}, 1, '\0'};
  return &root;
}

Name::Name(std::string_view wire) {
  void* p = ::operator new(std::max(sizeof(Rep), kHeader + wire.size()));
  rep_ = new (p) Rep{{1}, static_cast<uint8_t>(wire.size()), '\0'};
  static_assert(offsetof(Rep, first) == kHeader);
  std::memcpy(static_cast<char*>(p) + kHeader, wire.data(), wire.size());
}

void Name::destroy() noexcept {
  rep_->~Rep();
  ::operator delete(rep_);
}

namespace {

// Room wire_from_text() needs for `text`: one octet per character at most, the first label's
// length, the root label, and the origin.
size_t wire_room(std::string_view text) {
  return text.size() + 2 + Name::kMaxWire;
}

// The wire form of `text` (Name::parse's rules) into `wire`, which has wire_room(text) octets;
// returns its length. REQUIRES: text is neither empty nor ".".
size_t wire_from_text(std::string_view text, const Name* origin, uint8_t* wire) {
  size_t size = 0, label_start = 0;
  wire[size++] = 0;
  bool absolute = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      size_t len = size - label_start - 1;
      if (len == 0) bad_name(text, "empty label");
      wire[label_start] = static_cast<uint8_t>(len);
      if (i + 1 == text.size()) {
        absolute = true;
        break;
      }
      label_start = size;
      wire[size++] = 0;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) bad_name(text, "dangling backslash");
      char d = text[i + 1];
      if (d >= '0' && d <= '9') {
        if (i + 3 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 2])) ||
            !std::isdigit(static_cast<unsigned char>(text[i + 3])))
          bad_name(text, "\\DDD escape needs three digits");
        int v = (d - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) bad_name(text, "\\DDD escape above 255");
        wire[size++] = static_cast<uint8_t>(v);
        i += 3;
      } else {
        wire[size++] = static_cast<uint8_t>(d);
        i += 1;
      }
    } else {
      wire[size++] = static_cast<uint8_t>(c);
    }
    if (size - label_start - 1 > Name::kMaxLabel) bad_name(text, "label longer than 63 octets");
  }
  if (!absolute) {
    size_t len = size - label_start - 1;
    if (len == 0) bad_name(text, "empty label");
    wire[label_start] = static_cast<uint8_t>(len);
    if (origin == nullptr) bad_name(text, "relative name and no origin");
    auto o = origin->wire();
    std::memcpy(wire + size, o.data(), o.size());
    size += o.size();
  } else {
    wire[size++] = 0;
  }
  if (size > Name::kMaxWire) bad_name(text, "name longer than 255 octets");
  return size;
}

}  // namespace

Name Name::parse(std::string_view text, const Name* origin) {
  if (text.empty()) bad_name(text, "empty name");
  if (text == ".") return Name();
  // On the stack for any name that can be valid (a zone load parses millions).
  uint8_t stack[2 * kMaxWire + 4];
  std::vector<uint8_t> heap;
  uint8_t* wire = stack;
  if (wire_room(text) > sizeof stack) {
    heap.resize(wire_room(text));
    wire = heap.data();
  }
  const size_t size = wire_from_text(text, origin, wire);
  return Name(std::string_view(reinterpret_cast<const char*>(wire), size));
}

void Name::append_wire(std::string_view text, const Name* origin, std::vector<uint8_t>& out) {
  if (text.empty()) bad_name(text, "empty name");
  if (text == ".") {
    out.push_back(0);
    return;
  }
  const size_t at = out.size();
  out.resize(at + wire_room(text));
  try {
    out.resize(at + wire_from_text(text, origin, out.data() + at));
  } catch (...) {
    out.resize(at);
    throw;
  }
}

Name Name::from_wire_unchecked(std::span<const uint8_t> wire) {
  return Name(std::string_view(reinterpret_cast<const char*>(wire.data()), wire.size()));
}

size_t Name::label_count() const {
  size_t n = 0;
  const std::string_view o = w();
  for (size_t pos = 0; o[pos] != 0; pos += 1 + static_cast<uint8_t>(o[pos])) ++n;
  return n;
}

bool Name::is_subdomain_of(const Name& other) const {
  const std::string_view a = w(), b = other.w();
  if (b.size() > a.size()) return false;
  size_t start = a.size() - b.size();
  // The suffix must begin on a label boundary.
  size_t pos = 0;
  while (pos < start) pos += 1 + static_cast<uint8_t>(a[pos]);
  if (pos != start) return false;
  for (size_t i = 0; i < b.size(); ++i) {
    if (dns_lower(a[start + i]) != dns_lower(b[i])) return false;
  }
  return true;
}

Name Name::parent() const {
  return strip_left(1);
}

Name Name::strip_left(size_t n) const {
  size_t pos = 0;
  const std::string_view o = w();
  for (size_t i = 0; i < n && o[pos] != 0; ++i) pos += 1 + static_cast<uint8_t>(o[pos]);
  return Name(o.substr(pos));
}

Name Name::prepend(std::string_view label) const {
  if (label.empty()) throw ParseError("empty label");
  if (label.size() > kMaxLabel) {
    throw ParseError("label \"" + std::string(label) + "\" longer than 63 octets");
  }
  if (label.size() + 1 + wire_size() > kMaxWire) {
    throw ParseError("name \"" + std::string(label) + "." + to_string() +
                     "\" longer than 255 octets");
  }
  std::string w;
  w.reserve(label.size() + 1 + wire_size());
  w.push_back(static_cast<char>(label.size()));
  w.append(label);
  w.append(this->w());
  return Name(std::string_view(w));
}

std::string_view Name::first_label() const {
  return w().substr(1, static_cast<uint8_t>(w()[0]));
}

Name Name::lowercased() const {
  std::string lower(w());
  for (auto& c : lower) c = static_cast<char>(dns_lower(static_cast<uint8_t>(c)));
  return Name(std::string_view(lower));
}

bool Name::has_uppercase() const {
  const std::string_view o = w();
  return std::any_of(o.begin(), o.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

void Name::append_text(std::string& out) const {
  if (is_root()) {
    out.push_back('.');
    return;
  }
  const std::string_view o = w();
  size_t pos = 0;
  while (o[pos] != 0) {
    size_t len = static_cast<uint8_t>(o[pos]);
    for (size_t i = 1; i <= len; ++i) {
      uint8_t c = static_cast<uint8_t>(o[pos + i]);
      if (c <= 0x20 || c >= 0x7f) {
        char buf[5];
        buf[0] = '\\';
        buf[1] = static_cast<char>('0' + c / 100);
        buf[2] = static_cast<char>('0' + (c / 10) % 10);
        buf[3] = static_cast<char>('0' + c % 10);
        out.append(buf, 4);
      } else {
        if (needs_escape(c)) out.push_back('\\');
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back('.');
    pos += 1 + len;
  }
}

std::string Name::to_string() const {
  std::string s;
  s.reserve(wire_size() + 4);
  append_text(s);
  return s;
}

bool Name::operator==(const Name& other) const {
  if (rep_ == other.rep_) return true;
  const std::string_view a = w(), b = other.w();
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && dns_lower(a[i]) != dns_lower(b[i])) return false;
  }
  return true;
}

// RFC 4034 §6.1: compare label by label from the rightmost; labels as lowercase octet strings,
// where a label that is a prefix of the other sorts first; a name with fewer labels sorts first.
std::strong_ordering canonical_compare(std::span<const uint8_t> x, std::span<const uint8_t> y) {
  std::array<uint8_t, 128> a, b;  // filled by label_offsets() as far as it counts
  size_t na = label_offsets(x, a);
  size_t nb = label_offsets(y, b);
  while (na > 0 && nb > 0) {
    --na;
    --nb;
    const uint8_t* la = x.data() + a[na];
    const uint8_t* lb = y.data() + b[nb];
    size_t len = std::min(la[0], lb[0]);
    for (size_t i = 1; i <= len; ++i) {
      uint8_t ca = dns_lower(la[i]), cb = dns_lower(lb[i]);
      if (ca != cb) return ca <=> cb;
    }
    if (la[0] != lb[0]) return la[0] <=> lb[0];
  }
  return na <=> nb;
}

uint64_t wire_name_hash(std::span<const uint8_t> wire) {
  uint64_t h = 1469598103934665603ULL;
  for (uint8_t c : wire) {
    h ^= dns_lower(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::strong_ordering Name::operator<=>(const Name& other) const {
  return canonical_compare(wire(), other.wire());
}

size_t Name::hash() const {
  return static_cast<size_t>(wire_name_hash(wire()));
}

}  // namespace flatsign::dns
