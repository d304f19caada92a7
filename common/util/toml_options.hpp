// Reading a daemon's options from a TOML file (toml++) in the shape both daemons share: global
// options, then one [[zone]] table per zone overriding the per-zone ones; each value keeps its
// FILE:LINE for the refusals (option_layer.hpp).
// Thread rule: plain functions and per-call objects; nothing is shared.
#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "common/util/option_layer.hpp"

namespace flatsign::util {

// "FILE:LINE" of `node`, read from `path`.
[[nodiscard]] std::string toml_where(const std::string& path, const toml::node& node);

// Parses the TOML file `path`. Throws ConfigError "FILE:LINE:COLUMN: why" when it cannot be
// read or is not TOML.
[[nodiscard]] toml::table parse_toml_file(const std::string& path);

// Turns TOML values into option layers, checking each key against the daemon's options.
// Problems are appended to `errors` (the caller throws once, with all of them).
class OptionFileReader {
 public:
  // REQUIRES: `specs` and `errors` outlive the reader.
  OptionFileReader(const std::vector<OptionSpec>& specs, std::vector<std::string>& errors)
      : specs_(specs), errors_(errors) {}

  // Reads option `key` = `value` into `out` (its values as text, where it was given). In a zone
  // table (`zone_table`), only per-zone options are taken. `context` names the table for errors.
  void take(const std::string& path, const std::string& context, const std::string& key,
            const toml::node& value, OptionLayer& out, bool zone_table);
  // The `zone` key: a name, a list of names, or [[zone]] tables (`name` and per-zone options),
  // appended to `out` in the order written.
  void read_zones(const std::string& path, const toml::node& value, std::vector<ZoneEntry>& out);
  // Records "WHERE: CONTEXT: KEY: WHY".
  void error(const std::string& where, const std::string& context, const std::string& key,
             const std::string& why);

 private:
  const std::vector<OptionSpec>& specs_;
  std::vector<std::string>& errors_;
};

}  // namespace flatsign::util
