// Presentation-side RDATA codec: tokens -> wire and wire -> text, driven by the descriptor table.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include "common/dns/encoding.hpp"
#include "common/dns/error.hpp"
#include "common/dns/rdata.hpp"
#include "common/dns/rdata_table.hpp"
#include "common/dns/svcb.hpp"

namespace flatsign::dns {
namespace {

using detail::FieldKind;
using detail::FieldSpec;

[[noreturn]] void bad(size_t token, const std::string& why) {
  throw ParseError(why, token);
}

uint64_t parse_uint(const RdataToken& t, size_t idx, uint64_t max, const char* what) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  if (ec != std::errc() || p != t.text.data() + t.text.size() || v > max || t.text.empty()) {
    bad(idx, std::string("expected ") + what + ", found \"" + std::string(t.text) + "\"");
  }
  return v;
}

void put(std::vector<uint8_t>& out, uint64_t v, int octets) {
  for (int i = octets - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

std::optional<uint64_t> parse_units(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t total = 0, cur = 0;
  bool digits = false, any_unit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      cur = cur * 10 + static_cast<uint64_t>(c - '0');
      if (cur > 0xFFFFFFFFULL) return std::nullopt;
      digits = true;
      continue;
    }
    uint64_t mult;
    switch (c | 0x20) {
      case 's':
        mult = 1;
        break;
      case 'm':
        mult = 60;
        break;
      case 'h':
        mult = 3600;
        break;
      case 'd':
        mult = 86400;
        break;
      case 'w':
        mult = 604800;
        break;
      default:
        return std::nullopt;
    }
    if (!digits) return std::nullopt;
    total += cur * mult;
    cur = 0;
    digits = false;
    any_unit = true;
  }
  if (digits) {
    if (any_unit) return std::nullopt;  // "1h30" is ambiguous; BIND rejects it too
    total = cur;
  }
  if (total > 0xFFFFFFFFULL) return std::nullopt;
  return total;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

uint32_t parse_time(const RdataToken& t, size_t idx) {
  auto s = t.text;
  if (s.size() == 14) {
    int v[6];
    const int widths[6] = {4, 2, 2, 2, 2, 2};
    size_t pos = 0;
    for (int i = 0; i < 6; ++i) {
      auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + widths[i], v[i]);
      if (ec != std::errc() || p != s.data() + pos + widths[i])
        bad(idx, "bad time \"" + std::string(s) + "\"");
      pos += widths[i];
    }
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) {
      bad(idx, "bad time \"" + std::string(s) + "\"");
    }
    int64_t secs =
        days_from_civil(v[0], static_cast<unsigned>(v[1]), static_cast<unsigned>(v[2])) * 86400 +
        v[3] * 3600 + v[4] * 60 + v[5];
    return static_cast<uint32_t>(secs);  // RFC 4034 §3.1.5: serial number arithmetic mod 2^32
  }
  return static_cast<uint32_t>(parse_uint(t, idx, 0xFFFFFFFFULL, "a time (YYYYMMDDHHmmSS)"));
}

// The inverse of days_from_civil (the same algorithm's other half).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

// YYYYMMDDHHmmSS in UTC (RFC 4034 §3.2). Computed, not through gmtime_r and strftime: a signed
// zone's text prints two per signature, and those calls were a visible share of writing it.
void print_time(uint32_t v, std::string& out) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(v / 86400, y, m, d);
  const uint32_t s = v % 86400;
  const unsigned fields[] = {m, d, s / 3600, s / 60 % 60, s % 60};
  char buf[16];
  char* p = buf;
  for (int div = 1000; div > 0; div /= 10) *p++ = static_cast<char>('0' + y / div % 10);
  for (unsigned f : fields) {
    *p++ = static_cast<char>('0' + f / 10);
    *p++ = static_cast<char>('0' + f % 10);
  }
  out.append(buf, static_cast<size_t>(p - buf));
}

void parse_string(const RdataToken& t, size_t idx, std::vector<uint8_t>& out) {
  size_t at = out.size();
  out.push_back(0);
  if (!detail::unescape(t.text, out)) bad(idx, "bad escape in \"" + std::string(t.text) + "\"");
  size_t len = out.size() - at - 1;
  if (len > 255) bad(idx, "character-string longer than 255 octets");
  out[at] = static_cast<uint8_t>(len);
}

void print_string(std::span<const uint8_t> s, std::string& out) {
  out.push_back('"');
  detail::escape(s, out);
  out.push_back('"');
}

// RFC 4034 §4.1.2: one window per high octet in use, each as long as its highest type needs.
// The types are sorted and the windows built from them: clearing and scanning a whole 8 KiB map
// for every record was most of the cost of reading a signed zone's NSEC records.
void parse_bitmap(std::span<const RdataToken> tokens, size_t first, std::vector<uint8_t>& out) {
  std::vector<uint16_t> types;
  types.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    auto t = type_from_string(tokens[i].text);
    if (!t) bad(first + i, "unknown type \"" + std::string(tokens[i].text) + "\" in type bitmap");
    types.push_back(static_cast<uint16_t>(*t));
  }
  std::sort(types.begin(), types.end());
  for (size_t i = 0; i < types.size();) {
    const auto window = static_cast<uint8_t>(types[i] >> 8);
    uint8_t bits[32] = {};
    size_t len = 0;
    for (; i < types.size() && (types[i] >> 8) == window; ++i) {
      const auto low = static_cast<uint8_t>(types[i]);
      bits[low >> 3] |= static_cast<uint8_t>(0x80 >> (low & 7));
      len = std::max<size_t>(len, (low >> 3) + 1u);
    }
    out.push_back(window);
    out.push_back(static_cast<uint8_t>(len));
    out.insert(out.end(), bits, bits + len);
  }
}

void print_bitmap(std::span<const uint8_t> b, std::string& out) {
  size_t pos = 0;
  bool first = true;
  while (pos + 2 <= b.size()) {
    int w = b[pos];
    size_t len = b[pos + 1];
    for (size_t i = 0; i < len && pos + 2 + i < b.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        if (b[pos + 2 + i] & (0x80 >> bit)) {
          if (!first) out.push_back(' ');
          first = false;
          // A private-use type as TYPEnnn: other tools read a bitmap that names ALIAS wrongly.
          out += type_to_portable_string(static_cast<RRType>(w * 256 + i * 8 + bit));
        }
      }
    }
    pos += 2 + len;
  }
}

std::string join(std::span<const RdataToken> tokens) {
  std::string s;
  for (auto& t : tokens) s.append(t.text);
  return s;
}

void generic_from_text(RRType type, std::span<const RdataToken> tokens, std::vector<uint8_t>& out) {
  // RFC 3597 §5: \# <length> <hex...>
  if (tokens.size() < 2) bad(0, "\\# needs a length");
  uint64_t len = parse_uint(tokens[1], 1, 65535, "an RDATA length");
  size_t base = out.size();
  if (!hex_decode(join(tokens.subspan(2)), out)) bad(2, "bad hex in \\# RDATA");
  if (out.size() - base != len) {
    bad(1, "\\# length " + std::to_string(len) + " but " + std::to_string(out.size() - base) +
               " octets of hex");
  }
  rdata_validate(type, std::span<const uint8_t>(out).subspan(base));
}

}  // namespace

std::optional<uint32_t> parse_ttl(std::string_view text) {
  auto v = parse_units(text);
  if (!v || *v > 0x7FFFFFFFULL) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

void rdata_from_text(RRType type, std::span<const RdataToken> tokens, const Name& origin,
                     std::vector<uint8_t>& out) {
  if (!tokens.empty() && !tokens[0].quoted && tokens[0].text == "\\#") {
    generic_from_text(type, tokens, out);
    return;
  }
  const auto* d = detail::find_descriptor(type);
  if (d == nullptr) {
    bad(0, "type " + type_to_string(type) + " has no known format: use \\# <length> <hex>");
  }
  size_t ti = 0;
  auto need = [&](const char* what) -> const RdataToken& {
    if (ti >= tokens.size()) bad(ti, std::string("missing ") + what);
    return tokens[ti++];
  };
  for (size_t fi = 0; fi < d->count; ++fi) {
    const FieldSpec& f = d->fields[fi];
    switch (f.kind) {
      case FieldKind::U8:
      case FieldKind::U16:
      case FieldKind::U32: {
        const int octets = f.kind == FieldKind::U8 ? 1 : f.kind == FieldKind::U16 ? 2 : 4;
        const char* what = octets == 1   ? "an 8-bit number"
                           : octets == 2 ? "a 16-bit number"
                                         : "a 32-bit number";
        const auto& t = need(what);
        put(out, parse_uint(t, ti - 1, (1ULL << (8 * octets)) - 1, what), octets);
        break;
      }
      case FieldKind::Period: {
        const auto& t = need("a time period");
        auto v = parse_units(t.text);
        if (!v) bad(ti - 1, "expected a time period, found \"" + std::string(t.text) + "\"");
        put(out, *v, 4);
        break;
      }
      case FieldKind::Ipv4:
      case FieldKind::Ipv6: {
        bool v4 = f.kind == FieldKind::Ipv4;
        const auto& t = need(v4 ? "an IPv4 address" : "an IPv6 address");
        std::string s(t.text);
        uint8_t buf[16];
        if (inet_pton(v4 ? AF_INET : AF_INET6, s.c_str(), buf) != 1) {
          bad(ti - 1, std::string("expected an ") + (v4 ? "IPv4" : "IPv6") + " address, found \"" +
                          s + "\"");
        }
        out.insert(out.end(), buf, buf + (v4 ? 4 : 16));
        break;
      }
      case FieldKind::Name: {
        const auto& t = need("a domain name");
        try {
          if (t.text == "@") {
            auto w = origin.wire();
            out.insert(out.end(), w.begin(), w.end());
          } else {
            Name::append_wire(t.text, &origin, out);
          }
        } catch (const ParseError& e) {
          bad(ti - 1, e.what());
        }
        break;
      }
      case FieldKind::Str: {
        const auto& t = need("a character-string");
        parse_string(t, ti - 1, out);
        break;
      }
      case FieldKind::StrList:
        need("a character-string");
        for (--ti; ti < tokens.size(); ++ti) parse_string(tokens[ti], ti, out);
        break;
      case FieldKind::Base64:
      case FieldKind::Hex: {
        bool b64 = f.kind == FieldKind::Base64;
        need(b64 ? "base64 data" : "hex data");
        std::string s = join(tokens.subspan(ti - 1));
        bool ok = b64 ? base64_decode(s, out) : hex_decode(s, out);
        if (!ok) bad(ti - 1, std::string("bad ") + (b64 ? "base64" : "hex") + " data");
        ti = tokens.size();
        break;
      }
      case FieldKind::HexLen8:
      case FieldKind::Base32Len8: {
        bool hex = f.kind == FieldKind::HexLen8;
        const auto& t = need(hex ? "a hex salt or -" : "a base32hex hash");
        size_t at = out.size();
        out.push_back(0);
        if (!(hex && t.text == "-")) {
          bool ok = hex ? hex_decode(t.text, out) : base32hex_decode(t.text, out);
          if (!ok || (!hex && out.size() == at + 1))
            bad(ti - 1, "bad value \"" + std::string(t.text) + "\"");
        }
        if (out.size() - at - 1 > 255) bad(ti - 1, "value longer than 255 octets");
        out[at] = static_cast<uint8_t>(out.size() - at - 1);
        break;
      }
      case FieldKind::TypeBitmap:
        parse_bitmap(tokens.subspan(ti), ti, out);
        ti = tokens.size();
        break;
      case FieldKind::TypeCode: {
        const auto& t = need("a type");
        auto v = type_from_string(t.text);
        if (!v) bad(ti - 1, "unknown type \"" + std::string(t.text) + "\"");
        put(out, static_cast<uint16_t>(*v), 2);
        break;
      }
      case FieldKind::Time: {
        const auto& t = need("a time");
        put(out, parse_time(t, ti - 1), 4);
        break;
      }
      case FieldKind::CaaTag: {
        const auto& t = need("a CAA tag");
        if (t.text.empty() || t.text.size() > 255) bad(ti - 1, "bad CAA tag");
        for (char c : t.text) {
          if (!std::isalnum(static_cast<unsigned char>(c)))
            bad(ti - 1, "CAA tag must be alphanumeric (RFC 8659 §4.1)");
        }
        out.push_back(static_cast<uint8_t>(t.text.size()));
        out.insert(out.end(), t.text.begin(), t.text.end());
        break;
      }
      case FieldKind::RestString: {
        const auto& t = need("a string");
        if (!detail::unescape(t.text, out)) bad(ti - 1, "bad escape");
        break;
      }
      case FieldKind::SvcParams:
        try {
          detail::svcparams_from_text(tokens.subspan(ti), out);
        } catch (const ParseError& e) {
          bad(ti + (e.token() == ParseError::kNoToken ? 0 : e.token()), e.what());
        }
        ti = tokens.size();
        break;
    }
  }
  if (ti < tokens.size()) {
    bad(ti, "unexpected \"" + std::string(tokens[ti].text) + "\" after the " +
                type_to_string(type) + " RDATA");
  }
}

void rdata_to_generic_text(std::span<const uint8_t> rdata, std::string& out) {
  out += "\\# " + std::to_string(rdata.size());
  if (!rdata.empty()) {
    out.push_back(' ');
    hex_encode(rdata, out);
  }
}

void rdata_to_text(RRType type, std::span<const uint8_t> rdata, std::string& out) {
  const auto* d = detail::find_descriptor(type);
  if (d == nullptr) {
    rdata_to_generic_text(rdata, out);
    return;
  }
  size_t pos = 0;
  auto u = [&](int octets) {
    uint64_t v = 0;
    for (int i = 0; i < octets; ++i) v = v << 8 | rdata[pos + i];
    pos += octets;
    return v;
  };
  for (size_t fi = 0; fi < d->count; ++fi) {
    const FieldSpec& f = d->fields[fi];
    size_t mark = out.size();
    if (fi > 0) out.push_back(' ');
    switch (f.kind) {
      case FieldKind::U8:
        out += std::to_string(u(1));
        break;
      case FieldKind::U16:
        out += std::to_string(u(2));
        break;
      case FieldKind::U32:
      case FieldKind::Period:
        out += std::to_string(u(4));
        break;
      case FieldKind::Time:
        print_time(static_cast<uint32_t>(u(4)), out);
        break;
      case FieldKind::TypeCode:
        out += type_to_string(static_cast<RRType>(u(2)));
        break;
      case FieldKind::Ipv4:
      case FieldKind::Ipv6: {
        bool v4 = f.kind == FieldKind::Ipv4;
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(v4 ? AF_INET : AF_INET6, rdata.data() + pos, buf, sizeof buf);
        out += buf;
        pos += v4 ? 4 : 16;
        break;
      }
      case FieldKind::Name: {
        size_t end = pos;
        while (rdata[end] != 0) end += 1 + rdata[end];
        Name::from_wire_unchecked(rdata.subspan(pos, end + 1 - pos)).append_text(out);
        pos = end + 1;
        break;
      }
      case FieldKind::Str: {
        size_t len = rdata[pos];
        print_string(rdata.subspan(pos + 1, len), out);
        pos += 1 + len;
        break;
      }
      case FieldKind::StrList:
        while (pos < rdata.size()) {
          size_t len = rdata[pos];
          print_string(rdata.subspan(pos + 1, len), out);
          pos += 1 + len;
          if (pos < rdata.size()) out.push_back(' ');
        }
        break;
      case FieldKind::Base64:
        base64_encode(rdata.subspan(pos), out);
        pos = rdata.size();
        break;
      case FieldKind::Hex:
        hex_encode(rdata.subspan(pos), out);
        pos = rdata.size();
        break;
      case FieldKind::HexLen8: {
        size_t len = rdata[pos];
        if (len == 0) out.push_back('-');
        hex_encode(rdata.subspan(pos + 1, len), out);
        pos += 1 + len;
        break;
      }
      case FieldKind::Base32Len8: {
        size_t len = rdata[pos];
        base32hex_encode(rdata.subspan(pos + 1, len), out);
        pos += 1 + len;
        break;
      }
      case FieldKind::TypeBitmap:
        print_bitmap(rdata.subspan(pos), out);
        if (out.size() == mark + 1) out.pop_back();  // empty bitmap: no trailing space
        pos = rdata.size();
        break;
      case FieldKind::CaaTag: {
        size_t len = rdata[pos];
        out.append(reinterpret_cast<const char*>(rdata.data() + pos + 1), len);
        pos += 1 + len;
        break;
      }
      case FieldKind::RestString:
        print_string(rdata.subspan(pos), out);
        pos = rdata.size();
        break;
      case FieldKind::SvcParams: {
        std::string params;
        detail::svcparams_to_text(rdata.subspan(pos), params);
        if (params.empty()) out.pop_back();
        out += params;
        pos = rdata.size();
        break;
      }
    }
  }
}

std::string rdata_to_text(RRType type, std::span<const uint8_t> rdata) {
  std::string s;
  rdata_to_text(type, rdata, s);
  return s;
}

}  // namespace flatsign::dns
