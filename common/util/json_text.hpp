// Writing JSON text by hand for small status documents: string quoting per RFC 8259 §7, and an
// indented outline of a document for people reading a terminal. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace flatsign::util {

// `text` as a JSON string literal with its quotes: '"' and '\\' escaped, control characters as
// \n, \t, \r or \u00XX. Bytes >= 0x80 are copied as they are (the caller passes UTF-8).
[[nodiscard]] std::string json_string(std::string_view text);

// `json` as an indented outline: "key: value" lines, nested members indented by two spaces,
// array items as "- " lines; strings unquoted, empty objects and arrays as {} and []. Returns
// `json` unchanged when it is not valid JSON (RFC 8259), so a caller never loses the text.
[[nodiscard]] std::string json_outline(std::string_view json);

}  // namespace flatsign::util
