#include "common/util/option_layer.hpp"

#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "common/dns/rdata.hpp"

namespace flatsign::util {

std::string config_problem(const std::string& where, const std::string& context,
                           const std::string& key, const std::string& why) {
  return fmt::format("{}: {}{}{}: {}", where, context, context.empty() ? "" : ": ", key, why);
}

std::string join_lines(const std::vector<std::string>& errors) {
  std::string text;
  for (const auto& e : errors) text += (text.empty() ? "" : "\n") + e;
  return text;
}

const std::vector<std::string>& OptionReader::list(const std::string& key) const {
  static const std::vector<std::string> none;
  auto it = layer_.find(key);
  return it == layer_.end() ? none : it->second.values;
}

std::string OptionReader::text(const std::string& key) const {
  const auto& v = list(key);
  return v.empty() ? std::string() : v.back();
}

double OptionReader::number(const std::string& key, double min, double max) {
  const std::string t = text(key);
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v) || v < min || v > max) {
    fail(key, fmt::format("\"{}\" is not a number from {} to {}", t, min, max));
    return min;
  }
  return v;
}

bool OptionReader::boolean(const std::string& key, bool fallback) {
  if (list(key).empty()) return fallback;
  const std::string t = text(key);
  if (t == "true") return true;
  if (t == "false") return false;
  fail(key, "\"" + t + "\": expected true or false");
  return fallback;
}

std::chrono::milliseconds OptionReader::duration(const std::string& key) {
  const std::string t = text(key);
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc() && p == t.data() + t.size() && std::isfinite(v) && v >= 0)
    return std::chrono::milliseconds(static_cast<long long>(v * 1000));
  if (auto ttl = dns::parse_ttl(t)) return std::chrono::seconds(*ttl);
  fail(key, fmt::format("\"{}\" is not a duration (seconds, or e.g. 1h30m)", t));
  return std::chrono::milliseconds(0);
}

std::string OptionReader::choice(const std::string& key, const std::vector<std::string>& choices) {
  const std::string t = text(key);
  for (const auto& c : choices)
    if (t == c) return t;
  std::string names;
  for (size_t i = 0; i < choices.size(); ++i)
    names += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  fail(key, "\"" + t + "\": expected " + names);
  return choices.front();
}

void OptionReader::fail(const std::string& key, const std::string& why) {
  errors_.push_back(config_problem(where(key), context_, key, why));
}

std::string OptionReader::where(const std::string& key) const {
  auto it = layer_.find(key);
  return it == layer_.end() ? "default" : it->second.where;
}

void read_tsig_keys(OptionReader& g, std::vector<dns::TsigKey>& keys) {
  g.each("tsig", [&](const std::string& t) { keys.push_back(dns::parse_tsig_key(t)); });
  g.each("tsig-file", [&](const std::string& f) {
    auto loaded = dns::load_tsig_key_file(f);
    if (loaded.empty()) throw std::invalid_argument("no key in the file");
    for (auto& k : loaded) keys.push_back(std::move(k));
  });
  std::set<dns::Name> names;
  for (const auto& k : keys)
    if (!names.insert(k.name).second) g.fail("tsig", "key " + k.name.to_string() + " given twice");
}

}  // namespace flatsign::util
