// TSIG key sources: the `name:algorithm:secret` command-line form (as dig -y) and BIND key
// files (`key "name" { algorithm a; secret "b64"; };`), with errors that name the line.
#include <fstream>
#include <optional>
#include <sstream>

#include <botan/base64.h>

#include "common/dns/error.hpp"
#include "common/dns/tsig.hpp"

namespace flatsign::dns {

namespace {

std::vector<uint8_t> decode_secret(std::string_view b64, const std::string& where) {
  try {
    auto v = Botan::base64_decode(std::string(b64));
    return {v.begin(), v.end()};
  } catch (const std::exception&) {
    throw ParseError(where + ": TSIG secret is not valid base64");
  }
}

Name parse_key_name(std::string_view text) {
  std::string t(text);
  if (t.empty() || t.back() != '.') t += '.';
  return Name::parse(t);
}

// Tokens of a BIND key file: words, "quoted strings", and the punctuation { } ;.
struct KeyToken {
  std::string text;
  bool quoted = false;
  size_t line = 1;
};

std::vector<KeyToken> tokenize_key_file(std::string_view s) {
  std::vector<KeyToken> out;
  size_t line = 1;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '\n') ++line;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '#' || (c == '/' && i + 1 < s.size() && s[i + 1] == '/')) {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos)
        throw ParseError("line " + std::to_string(line) + ": unterminated comment");
      for (size_t k = i; k < end; ++k) line += s[k] == '\n';
      i = end + 2;
    } else if (c == '"') {
      size_t end = s.find('"', i + 1);
      if (end == std::string_view::npos)
        throw ParseError("line " + std::to_string(line) + ": unterminated string");
      out.push_back({std::string(s.substr(i + 1, end - i - 1)), true, line});
      for (size_t k = i; k < end; ++k) line += s[k] == '\n';
      i = end + 1;
    } else if (c == '{' || c == '}' || c == ';') {
      out.push_back({std::string(1, c), false, line});
      ++i;
    } else {
      size_t j = i;
      while (j < s.size() && std::string_view(" \t\r\n{};\"#").find(s[j]) == s.npos) ++j;
      out.push_back({std::string(s.substr(i, j - i)), false, line});
      i = j;
    }
  }
  return out;
}

}  // namespace

TsigKey parse_tsig_key(std::string_view spec) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  TsigKey key;
  std::string_view name, alg = "hmac-sha256", secret;
  if (parts.size() == 2) {
    name = parts[0];
    secret = parts[1];
  } else if (parts.size() == 3 && tsig_algorithm_from_text(parts[0]) &&
             !tsig_algorithm_from_text(parts[1])) {
    alg = parts[0];  // dig -y [alg:]name:secret
    name = parts[1];
    secret = parts[2];
  } else if (parts.size() == 3) {
    name = parts[0];
    alg = parts[1];
    secret = parts[2];
  } else {
    throw ParseError("TSIG key is not name:algorithm:base64-secret");
  }
  auto a = tsig_algorithm_from_text(alg);
  if (!a) throw ParseError("unsupported TSIG algorithm \"" + std::string(alg) + "\"");
  key.name = parse_key_name(name);
  key.algorithm = *a;
  key.secret = decode_secret(secret, "key " + key.name.to_string());
  return key;
}

std::vector<TsigKey> parse_tsig_key_file(std::string_view text) {
  auto toks = tokenize_key_file(text);
  std::vector<TsigKey> keys;
  size_t i = 0;
  auto where = [&](size_t at) {
    return "line " + std::to_string(at < toks.size() ? toks[at].line
                                    : toks.empty()   ? 1
                                                     : toks.back().line);
  };
  auto expect = [&](std::string_view what) {
    if (i >= toks.size() || toks[i].quoted || toks[i].text != what) {
      throw ParseError(where(i) + ": expected '" + std::string(what) + "'");
    }
    ++i;
  };
  auto value = [&]() -> const std::string& {
    if (i >= toks.size() ||
        (!toks[i].quoted && (toks[i].text == ";" || toks[i].text == "{" || toks[i].text == "}"))) {
      throw ParseError(where(i) + ": expected a value");
    }
    return toks[i++].text;
  };
  while (i < toks.size()) {
    expect("key");
    size_t name_at = i;
    std::string name = value();
    expect("{");
    std::optional<TsigAlgorithm> alg;
    std::optional<std::vector<uint8_t>> secret;
    while (i < toks.size() && !(toks[i].text == "}" && !toks[i].quoted)) {
      size_t at = i;
      std::string field = value();
      const std::string& v = value();
      if (field == "algorithm") {
        alg = tsig_algorithm_from_text(v);
        if (!alg) throw ParseError(where(at) + ": unsupported TSIG algorithm \"" + v + "\"");
      } else if (field == "secret") {
        secret = decode_secret(v, where(at));
      } else {
        throw ParseError(where(at) + ": unknown key field \"" + field + "\"");
      }
      expect(";");
    }
    expect("}");
    expect(";");
    if (!alg || !secret)
      throw ParseError(where(name_at) + ": key \"" + name + "\" lacks algorithm or secret");
    try {
      keys.push_back({parse_key_name(name), *alg, std::move(*secret)});
    } catch (const ParseError& e) {
      throw ParseError(where(name_at) + ": " + e.what());
    }
  }
  return keys;
}

std::vector<TsigKey> load_tsig_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ParseError(path + ": cannot open TSIG key file");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return parse_tsig_key_file(ss.str());
  } catch (const ParseError& e) {
    throw ParseError(path + ": " + e.what());
  }
}

}  // namespace flatsign::dns
