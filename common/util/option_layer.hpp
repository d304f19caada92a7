// A daemon's options as layers of text values that remember where each was given (defaults, a
// config file's line, the command line), and typed reads of them whose every refusal reads
// "WHERE: zone Z: option: why". toml_options.hpp fills the layers from a TOML file.
// Thread rule: plain values and per-call objects; nothing is shared.
#pragma once

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/dns/tsig.hpp"

namespace flatsign::util {

// A configuration cannot be used; what() holds every problem, one line each, each naming the
// file and line (or "command line"), the zone when it concerns one, and the option.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One option a daemon understands.
struct OptionSpec {
  const char* name;
  const char* help;
  bool per_zone;  // may be set in a [[zone]] table
  bool list;      // takes several values
};

// One option's values as text and where they were given ("FILE:LINE", "command line",
// "default").
struct GivenOption {
  std::vector<std::string> values;
  std::string where;
};
// Options by long name (without "--"). Layers are merged by assignment: a later layer's option
// replaces the earlier one's whole.
using OptionLayer = std::map<std::string, GivenOption>;

// A zone named in the file: by name alone, or by a [[zone]] table with its overrides.
struct ZoneEntry {
  std::string name;   // as written; not yet parsed
  std::string where;  // "FILE:LINE" (or "command line")
  OptionLayer options;
};

// The text of one problem: "WHERE: CONTEXT: KEY: WHY" (CONTEXT left out when empty).
[[nodiscard]] std::string config_problem(const std::string& where, const std::string& context,
                                         const std::string& key, const std::string& why);
// `errors` joined one per line, for ConfigError.
[[nodiscard]] std::string join_lines(const std::vector<std::string>& errors);

// Typed reads of one resolved layer (the defaults, the file and the command line merged), each
// recording its error with where the value was given and `context` (e.g. "zone example.").
class OptionReader {
 public:
  // REQUIRES: `layer` and `errors` outlive the reader.
  OptionReader(const OptionLayer& layer, std::string context, std::vector<std::string>& errors)
      : layer_(layer), context_(std::move(context)), errors_(errors) {}

  // The option's values; empty when unset.
  [[nodiscard]] const std::vector<std::string>& list(const std::string& key) const;
  // The last value; empty when unset.
  [[nodiscard]] std::string text(const std::string& key) const;
  [[nodiscard]] bool given(const std::string& key) const { return layer_.count(key) > 0; }
  // A number in [min, max]; records an error and returns `min` otherwise.
  [[nodiscard]] double number(const std::string& key, double min, double max);
  // "true"/"false" (TOML booleans, or the words on the command line); unset: `fallback`.
  [[nodiscard]] bool boolean(const std::string& key, bool fallback);
  // Seconds as a number ("1.5") or a DNS duration ("1h30m").
  [[nodiscard]] std::chrono::milliseconds duration(const std::string& key);
  // One of `choices`; records an error naming them and returns the first otherwise.
  [[nodiscard]] std::string choice(const std::string& key, const std::vector<std::string>& choices);
  // Calls f(value) for each value; an exception from f is recorded as the value's error.
  template <typename F>
  void each(const std::string& key, F&& f) {
    for (const auto& v : list(key)) {
      try {
        f(v);
      } catch (const std::exception& e) {
        fail(key, "\"" + v + "\": " + e.what());
      }
    }
  }
  // Records "WHERE: CONTEXT: KEY: WHY", WHERE being where `key` was given.
  void fail(const std::string& key, const std::string& why);
  // Where `key` was given ("default" when it was not).
  [[nodiscard]] std::string where(const std::string& key) const;

 private:
  const OptionLayer& layer_;
  std::string context_;
  std::vector<std::string>& errors_;
};

// The TSIG keys of the `tsig` (name:algorithm:base64) and `tsig-file` (BIND key files) options,
// appended to `keys`; a file without a key and a key name given twice are refused.
void read_tsig_keys(OptionReader& g, std::vector<dns::TsigKey>& keys);

}  // namespace flatsign::util
