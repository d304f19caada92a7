// Where a piece of zone data came from (file:line:column), for errors that point at the input.
// Plain value type.
#pragma once

#include <cstdint>
#include <string>

namespace flatsign::zone {

struct Location {
  std::string file;  // empty when the data did not come from a file (e.g. a transfer)
  uint32_t line = 0;
  uint32_t column = 0;

  std::string to_string() const {
    if (file.empty() && line == 0) return "<input>";
    // Appended piecewise: g++ 12 misreports `":" + std::to_string()` (-Wrestrict, PR 105329).
    std::string s = file.empty() ? "<input>" : file;
    s += ':';
    s += std::to_string(line);
    if (column != 0) {
      s += ':';
      s += std::to_string(column);
    }
    return s;
  }
};

}  // namespace flatsign::zone
