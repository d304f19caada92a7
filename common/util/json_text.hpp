// Writing JSON text by hand for small status documents: string quoting per RFC 8259 §7.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace flatsign::util {

// `text` as a JSON string literal with its quotes: '"' and '\\' escaped, control characters as
// \n, \t, \r or \u00XX. Bytes >= 0x80 are copied as they are (the caller passes UTF-8).
[[nodiscard]] std::string json_string(std::string_view text);

}  // namespace flatsign::util
