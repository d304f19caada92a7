#include "common/dns/svcb.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "common/dns/encoding.hpp"
#include "common/dns/error.hpp"

namespace flatsign::dns::detail {
namespace {

// RFC 9460 §14.3.2 registry.
constexpr std::pair<uint16_t, std::string_view> kKeys[] = {
    {0, "mandatory"}, {1, "alpn"}, {2, "no-default-alpn"}, {3, "port"},
    {4, "ipv4hint"},  {5, "ech"},  {6, "ipv6hint"},        {7, "dohpath"},
};

std::string key_name(uint16_t key) {
  for (auto& [k, n] : kKeys) {
    if (k == key) return std::string(n);
  }
  return "key" + std::to_string(key);
}

std::optional<uint16_t> key_code(std::string_view name) {
  for (auto& [k, n] : kKeys) {
    if (n == name) return k;
  }
  if (name.size() > 3 && name.substr(0, 3) == "key") {
    unsigned v = 0;
    auto digits = name.substr(3);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc() && p == digits.data() + digits.size() && v <= 65535) {
      return static_cast<uint16_t>(v);
    }
  }
  return std::nullopt;
}

// Splits an unescaped value on unescaped commas (RFC 9460 Appendix A.1 value-list).
std::vector<std::vector<uint8_t>> split_list(std::string_view text, size_t token) {
  std::vector<std::vector<uint8_t>> items(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      std::string_view esc =
          text.substr(i, std::isdigit(static_cast<unsigned char>(text[i + 1])) ? 4 : 2);
      if (!unescape(esc, items.back())) throw ParseError("bad escape in SvcParam value", token);
      i += esc.size() - 1;
    } else if (text[i] == ',') {
      items.emplace_back();
    } else {
      items.back().push_back(static_cast<uint8_t>(text[i]));
    }
  }
  return items;
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

std::vector<uint8_t> encode_value(uint16_t key, std::string_view text, size_t token) {
  std::vector<uint8_t> v;
  auto fail = [&](const std::string& why) -> std::vector<uint8_t> {
    throw ParseError("SvcParam " + key_name(key) + ": " + why, token);
  };
  switch (key) {
    case 0: {  // mandatory: list of keys, ascending
      std::vector<uint16_t> keys;
      for (auto& item : split_list(text, token)) {
        auto k =
            key_code(std::string_view(reinterpret_cast<const char*>(item.data()), item.size()));
        if (!k) return fail("unknown key in mandatory list");
        keys.push_back(*k);
      }
      std::sort(keys.begin(), keys.end());
      for (auto k : keys) put16(v, k);
      return v;
    }
    case 1:  // alpn: list of character-strings
      for (auto& item : split_list(text, token)) {
        if (item.empty() || item.size() > 255) return fail("alpn id must be 1-255 octets");
        v.push_back(static_cast<uint8_t>(item.size()));
        v.insert(v.end(), item.begin(), item.end());
      }
      return v;
    case 2:
      if (!text.empty()) return fail("takes no value");
      return v;
    case 3: {
      unsigned port = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
      if (ec != std::errc() || p != text.data() + text.size() || port > 65535) {
        return fail("bad port \"" + std::string(text) + "\"");
      }
      put16(v, static_cast<uint16_t>(port));
      return v;
    }
    case 4:
    case 6:
      for (auto& item : split_list(text, token)) {
        std::string s(item.begin(), item.end());
        uint8_t buf[16];
        int af = key == 4 ? AF_INET : AF_INET6;
        if (inet_pton(af, s.c_str(), buf) != 1) return fail("bad address \"" + s + "\"");
        v.insert(v.end(), buf, buf + (key == 4 ? 4 : 16));
      }
      return v;
    case 5:
      if (!base64_decode(text, v)) return fail("bad base64");
      return v;
    default:
      if (!unescape(text, v)) return fail("bad escape");
      return v;
  }
}

}  // namespace

bool unescape(std::string_view text, std::vector<uint8_t>& out) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '\\') {
      out.push_back(static_cast<uint8_t>(c));
      continue;
    }
    if (i + 1 >= text.size()) return false;
    char d = text[i + 1];
    if (std::isdigit(static_cast<unsigned char>(d))) {
      if (i + 3 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 2])) ||
          !std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
        return false;
      }
      int v = (d - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
      if (v > 255) return false;
      out.push_back(static_cast<uint8_t>(v));
      i += 3;
    } else {
      out.push_back(static_cast<uint8_t>(d));
      i += 1;
    }
  }
  return true;
}

void escape(std::span<const uint8_t> bytes, std::string& out, std::string_view extra) {
  for (uint8_t c : bytes) {
    if (c < 0x20 || c >= 0x7f) {
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + c / 100));
      out.push_back(static_cast<char>('0' + (c / 10) % 10));
      out.push_back(static_cast<char>('0' + c % 10));
    } else {
      if (c == '"' || c == '\\' || extra.find(static_cast<char>(c)) != std::string_view::npos) {
        out.push_back('\\');
      }
      out.push_back(static_cast<char>(c));
    }
  }
}

void svcparams_from_text(std::span<const RdataToken> tokens, std::vector<uint8_t>& out) {
  std::map<uint16_t, std::vector<uint8_t>> params;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string_view t = tokens[i].text;
    auto eq = t.find('=');
    std::string_view key = t.substr(0, eq);
    auto code = key_code(key);
    if (!code) throw ParseError("unknown SvcParam key \"" + std::string(key) + "\"", i);
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = t.substr(eq + 1);
      if (value.empty() && i + 1 < tokens.size() && tokens[i + 1].quoted) {
        value = tokens[++i].text;  // key= "value with spaces"
      } else if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
    }
    if (params.count(*code)) throw ParseError("duplicate SvcParam key " + std::string(key), i);
    params[*code] = encode_value(*code, value, i);
  }
  for (auto& [k, v] : params) {
    if (v.size() > 65535) throw ParseError("SvcParam value too long");
    put16(out, k);
    put16(out, static_cast<uint16_t>(v.size()));
    out.insert(out.end(), v.begin(), v.end());
  }
}

bool svcparams_valid(std::span<const uint8_t> w) {
  size_t pos = 0;
  int last = -1;
  while (pos < w.size()) {
    if (pos + 4 > w.size()) return false;
    int key = w[pos] << 8 | w[pos + 1];
    size_t len = static_cast<size_t>(w[pos + 2] << 8 | w[pos + 3]);
    if (key <= last) return false;  // RFC 9460 §2.2: strictly increasing
    last = key;
    pos += 4 + len;
    if (pos > w.size()) return false;
  }
  return true;
}

void svcparams_to_text(std::span<const uint8_t> w, std::string& out) {
  size_t pos = 0;
  while (pos + 4 <= w.size()) {
    uint16_t key = static_cast<uint16_t>(w[pos] << 8 | w[pos + 1]);
    size_t len = static_cast<size_t>(w[pos + 2] << 8 | w[pos + 3]);
    auto v = w.subspan(pos + 4, len);
    pos += 4 + len;
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
    out += key_name(key);
    if (key == 2 && v.empty()) continue;
    if (v.empty() && key != 1 && key != 0) {
      continue;
    }
    out += "=\"";
    switch (key) {
      case 0:
        for (size_t i = 0; i + 1 < v.size(); i += 2) {
          if (i) out.push_back(',');
          out += key_name(static_cast<uint16_t>(v[i] << 8 | v[i + 1]));
        }
        break;
      case 1:
        for (size_t i = 0; i < v.size();) {
          size_t l = v[i];
          if (i) out.push_back(',');
          escape(v.subspan(i + 1, std::min(l, v.size() - i - 1)), out, ",");
          i += 1 + l;
        }
        break;
      case 3:
        if (v.size() == 2) out += std::to_string(v[0] << 8 | v[1]);
        break;
      case 4:
      case 6: {
        size_t step = key == 4 ? 4 : 16;
        char buf[INET6_ADDRSTRLEN];
        for (size_t i = 0; i + step <= v.size(); i += step) {
          if (i) out.push_back(',');
          inet_ntop(key == 4 ? AF_INET : AF_INET6, v.data() + i, buf, sizeof buf);
          out += buf;
        }
        break;
      }
      case 5:
        base64_encode(v, out);
        break;
      default:
        escape(v, out);
    }
    out.push_back('"');
  }
}

}  // namespace flatsign::dns::detail
