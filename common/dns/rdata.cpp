// Wire-side RDATA codec: validation, decompression, compression on write, canonical form.
#include "common/dns/rdata.hpp"

#include <algorithm>
#include <cstring>

#include "common/dns/rdata_table.hpp"
#include "common/dns/svcb.hpp"

namespace flatsign::dns {
namespace {

using detail::FieldKind;
using detail::FieldSpec;
using detail::TypeDescriptor;

// Size of a fixed-width field, or 0 for variable ones.
size_t fixed_size(FieldKind k) {
  switch (k) {
    case FieldKind::U8:
      return 1;
    case FieldKind::U16:
    case FieldKind::TypeCode:
      return 2;
    case FieldKind::U32:
    case FieldKind::Period:
    case FieldKind::Time:
    case FieldKind::Ipv4:
      return 4;
    case FieldKind::Ipv6:
      return 16;
    default:
      return 0;
  }
}

bool is_rest(FieldKind k) {
  return k == FieldKind::StrList || k == FieldKind::Base64 || k == FieldKind::Hex ||
         k == FieldKind::TypeBitmap || k == FieldKind::RestString || k == FieldKind::SvcParams;
}

// RFC 4034 §4.1.2: window blocks in increasing order, each 1..32 octets long.
bool bitmap_valid(std::span<const uint8_t> b) {
  int last = -1;
  size_t pos = 0;
  while (pos < b.size()) {
    if (pos + 2 > b.size()) return false;
    int window = b[pos];
    size_t len = b[pos + 1];
    if (window <= last || len == 0 || len > 32 || pos + 2 + len > b.size()) return false;
    last = window;
    pos += 2 + len;
  }
  return true;
}

bool strlist_valid(std::span<const uint8_t> b) {
  if (b.empty()) return false;  // TXT needs at least one string
  size_t pos = 0;
  while (pos < b.size()) pos += 1 + b[pos];
  return pos == b.size();
}

// Walks the fields of `d` in `r` up to `end`, appending the uncompressed form to `out` (when
// non-null). Pointers are followed only in fields flagged kDecompress and when `in_message`.
bool walk(const TypeDescriptor& d, WireReader& r, size_t end, std::vector<uint8_t>* out,
          bool in_message) {
  auto fail = [&](const std::string& why) {
    r.fail(r.offset(), type_to_string(d.type) + " RDATA: " + why);
    return false;
  };
  for (size_t i = 0; i < d.count; ++i) {
    const FieldSpec& f = d.fields[i];
    size_t start = r.offset();
    if (start > end) return fail("field overruns RDLENGTH");
    size_t left = end - start;
    if (size_t n = fixed_size(f.kind)) {
      if (left < n) return fail("RDATA too short");
      auto b = r.bytes(n);
      if (out) out->insert(out->end(), b.begin(), b.end());
      continue;
    }
    if (is_rest(f.kind)) {
      auto b = r.bytes(left);
      if (!r.ok()) return false;
      bool ok = true;
      switch (f.kind) {
        case FieldKind::StrList:
          ok = strlist_valid(b);
          break;
        case FieldKind::TypeBitmap:
          ok = bitmap_valid(b);
          break;
        case FieldKind::SvcParams:
          ok = detail::svcparams_valid(b);
          break;
        case FieldKind::Base64:
        case FieldKind::Hex:
          ok = !b.empty() || d.type == RRType::CDS;
          break;
        default:
          break;
      }
      if (!ok)
        return fail("malformed " + std::string(f.kind == FieldKind::StrList      ? "strings"
                                               : f.kind == FieldKind::TypeBitmap ? "type bitmap"
                                                                                 : "field"));
      if (out) out->insert(out->end(), b.begin(), b.end());
      continue;
    }
    switch (f.kind) {
      case FieldKind::Name: {
        bool follow = in_message && (f.flags & detail::kDecompress);
        Name n = follow ? r.name() : r.name_uncompressed();
        if (!r.ok()) return false;
        if (r.offset() > end) return fail("name overruns RDLENGTH");
        if (out) {
          auto w = n.wire();
          out->insert(out->end(), w.begin(), w.end());
        }
        break;
      }
      case FieldKind::Str:
      case FieldKind::HexLen8:
      case FieldKind::Base32Len8:
      case FieldKind::CaaTag: {
        if (left < 1) return fail("RDATA too short");
        size_t n = r.message()[start];
        if (left < 1 + n) return fail("string overruns RDLENGTH");
        if (f.kind == FieldKind::CaaTag && n == 0) return fail("empty CAA tag");
        auto b = r.bytes(1 + n);
        if (out) out->insert(out->end(), b.begin(), b.end());
        break;
      }
      default:
        return fail("internal: unhandled field kind");
    }
  }
  if (r.ok() && r.offset() != end) return fail("trailing octets after the last field");
  return r.ok();
}

// Offset just past the field `f` starting at `pos` in valid uncompressed `rdata`.
size_t field_end(const FieldSpec& f, std::span<const uint8_t> rdata, size_t pos) {
  if (size_t n = fixed_size(f.kind)) return pos + n;
  if (is_rest(f.kind)) return rdata.size();
  if (f.kind == FieldKind::Name) {
    while (rdata[pos] != 0) pos += 1 + rdata[pos];
    return pos + 1;
  }
  return pos + 1 + rdata[pos];  // length-prefixed
}

}  // namespace

bool rdata_from_wire(RRType type, WireReader& reader, uint16_t rdlength,
                     std::vector<uint8_t>& out) {
  if (!reader.ok()) return false;
  size_t end = reader.offset() + rdlength;
  if (rdlength > reader.remaining()) {
    reader.fail(reader.offset(), "RDLENGTH " + std::to_string(rdlength) + " exceeds the message");
    return false;
  }
  const auto* d = detail::find_descriptor(type);
  if (d == nullptr) {
    auto b = reader.bytes(rdlength);
    out.insert(out.end(), b.begin(), b.end());
    return reader.ok();
  }
  // RFC 2136 §2.5: update/prerequisite RRs carry empty RDATA; the message layer decides.
  return walk(*d, reader, end, &out, true);
}

void rdata_validate(RRType type, std::span<const uint8_t> rdata) {
  const auto* d = detail::find_descriptor(type);
  if (d == nullptr) {
    if (rdata.size() > 65535) throw ParseError("RDATA longer than 65535 octets");
    return;
  }
  WireReader r(rdata);
  if (!walk(*d, r, rdata.size(), nullptr, false)) throw ParseError(r.error()->what());
}

void rdata_to_wire(RRType type, std::span<const uint8_t> rdata, WireWriter& w) {
  const auto* d = detail::find_descriptor(type);
  // Empty RDATA (RFC 2136 §2.5: UPDATE deletions and prerequisites, class ANY or NONE) has no
  // fields to walk.
  if (d == nullptr || !d->has_compressible_name || rdata.empty()) {
    w.bytes(rdata);
    return;
  }
  size_t pos = 0;
  for (size_t i = 0; i < d->count; ++i) {
    const FieldSpec& f = d->fields[i];
    size_t end = field_end(f, rdata, pos);
    if (f.kind == FieldKind::Name) {
      w.name(Name::from_wire_unchecked(rdata.subspan(pos, end - pos)), f.flags & detail::kCompress);
    } else {
      w.bytes(rdata.subspan(pos, end - pos));
    }
    pos = end;
  }
}

bool rdata_has_lowercased_names(RRType type) {
  const auto* d = detail::find_descriptor(type);
  return d != nullptr && d->has_lowercased_name;
}

void rdata_to_canonical(RRType type, std::span<const uint8_t> rdata, std::vector<uint8_t>& out) {
  const auto* d = detail::find_descriptor(type);
  size_t base = out.size();
  out.insert(out.end(), rdata.begin(), rdata.end());
  if (d == nullptr || !d->has_lowercased_name) return;
  size_t pos = 0;
  for (size_t i = 0; i < d->count; ++i) {
    const FieldSpec& f = d->fields[i];
    size_t end = field_end(f, rdata, pos);
    if (f.kind == FieldKind::Name && (f.flags & detail::kLower)) {
      for (size_t j = pos; j < end; ++j) out[base + j] = dns_lower(out[base + j]);
    }
    pos = end;
  }
}

int rdata_compare(RRType type, std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (rdata_has_lowercased_names(type)) {
    thread_local std::vector<uint8_t> ca, cb;
    ca.clear();
    cb.clear();
    rdata_to_canonical(type, a, ca);
    rdata_to_canonical(type, b, cb);
    a = ca;
    b = cb;
  }
  size_t n = std::min(a.size(), b.size());
  if (n > 0) {
    if (int c = std::memcmp(a.data(), b.data(), n)) return c < 0 ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

std::optional<Name> rdata_target(RRType type, std::span<const uint8_t> rdata) {
  const auto* d = detail::find_descriptor(type);
  if (d == nullptr) return std::nullopt;
  size_t pos = 0;
  for (size_t i = 0; i < d->count; ++i) {
    size_t end = field_end(d->fields[i], rdata, pos);
    if (d->fields[i].kind == FieldKind::Name) {
      return Name::from_wire_unchecked(rdata.subspan(pos, end - pos));
    }
    pos = end;
  }
  return std::nullopt;
}

namespace {
// Offset of the 20 octets of SOA timers (serial first): after MNAME and RNAME.
size_t soa_fixed_offset(std::span<const uint8_t> rdata) {
  size_t pos = 0;
  for (int i = 0; i < 2; ++i) {
    while (rdata[pos] != 0) pos += 1 + rdata[pos];
    ++pos;
  }
  return pos;
}
uint32_t get32(std::span<const uint8_t> r, size_t p) {
  return static_cast<uint32_t>(r[p]) << 24 | static_cast<uint32_t>(r[p + 1]) << 16 |
         static_cast<uint32_t>(r[p + 2]) << 8 | r[p + 3];
}
}  // namespace

uint32_t soa_serial(std::span<const uint8_t> rdata) {
  return get32(rdata, soa_fixed_offset(rdata));
}
uint32_t soa_retry(std::span<const uint8_t> rdata) {
  return get32(rdata, soa_fixed_offset(rdata) + 8);
}
uint32_t soa_minimum(std::span<const uint8_t> rdata) {
  return get32(rdata, soa_fixed_offset(rdata) + 16);
}
void set_soa_serial(std::span<uint8_t> rdata, uint32_t serial) {
  size_t p = soa_fixed_offset(rdata);
  for (int i = 0; i < 4; ++i) rdata[p + i] = static_cast<uint8_t>(serial >> (24 - 8 * i));
}

}  // namespace flatsign::dns
