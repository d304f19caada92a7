#include "common/util/toml_options.hpp"

#include <optional>

#include <fmt/format.h>

namespace flatsign::util {
namespace {

// A TOML value as option text: strings as they are, numbers and booleans as written.
std::optional<std::string> scalar_text(const toml::node& n) {
  if (auto s = n.as_string()) return s->get();
  if (auto i = n.as_integer()) return std::to_string(i->get());
  if (auto f = n.as_floating_point()) return fmt::format("{}", f->get());
  if (auto b = n.as_boolean()) return std::string(b->get() ? "true" : "false");
  return std::nullopt;
}

}  // namespace

std::string toml_where(const std::string& path, const toml::node& node) {
  return fmt::format("{}:{}", path, node.source().begin.line);
}

toml::table parse_toml_file(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
}

void OptionFileReader::take(const std::string& path, const std::string& context,
                            const std::string& key, const toml::node& value, OptionLayer& out,
                            bool zone_table) {
  const std::string where = toml_where(path, value);
  const OptionSpec* spec = nullptr;
  for (const auto& s : specs_)
    if (key == s.name) spec = &s;
  if (!spec) return error(where, context, key, "unknown option");
  if (zone_table && !spec->per_zone)
    return error(where, context, key, "is a global option: set it outside the [[zone]] tables");
  GivenOption g{{}, where};
  if (auto a = value.as_array()) {
    if (!spec->list && a->size() != 1)
      return error(where, context, key, "takes one value, not a list");
    for (const auto& e : *a) {
      auto t = scalar_text(e);
      if (!t) return error(where, context, key, "list elements must be strings or numbers");
      g.values.push_back(*t);
    }
  } else if (auto t = scalar_text(value)) {
    g.values.push_back(*t);
  } else {
    return error(where, context, key, "expected a string, a number or a list");
  }
  out[key] = std::move(g);
}

void OptionFileReader::read_zones(const std::string& path, const toml::node& v,
                                  std::vector<ZoneEntry>& out) {
  if (auto s = v.as_string()) {
    out.push_back({s->get(), toml_where(path, v), {}});
    return;
  }
  auto arr = v.as_array();
  if (!arr)
    return error(toml_where(path, v), "", "zone", "expected a name, names or [[zone]] tables");
  for (auto& e : *arr) {
    if (auto s = e.as_string()) {
      out.push_back({s->get(), toml_where(path, e), {}});
      continue;
    }
    auto t = e.as_table();
    if (!t) {
      error(toml_where(path, e), "", "zone", "expected a name or a table");
      continue;
    }
    ZoneEntry ze{"", toml_where(path, e), {}};
    for (auto&& [zk, zv] : *t) {
      const std::string zkey(zk.str());
      if (zkey == "name") {
        if (auto s = zv.as_string())
          ze.name = s->get();
        else
          error(toml_where(path, zv), "", "name", "must be a string");
        continue;
      }
      take(path, "[[zone]] " + ze.where, zkey, zv, ze.options, true);
    }
    if (ze.name.empty())
      error(ze.where, "", "[[zone]]", "a table without name");
    else
      out.push_back(std::move(ze));
  }
}

void OptionFileReader::error(const std::string& where, const std::string& context,
                             const std::string& key, const std::string& why) {
  errors_.push_back(config_problem(where, context, key, why));
}

}  // namespace flatsign::util
