// Splits an RFC 1035 §5.1 master file into entries (one logical line, parentheses joined) of
// tokens that view the input buffer without copying. One lexer per buffer and thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flatsign::zone {

// One token of an entry. `text` views the lexer's buffer (valid while the buffer lives) with
// escapes (\X, \DDD) left undecoded; a quoted token's text excludes the quotes.
struct ZoneToken {
  std::string_view text;
  uint32_t line = 0;
  uint32_t column = 0;  // 1-based byte column
  bool quoted = false;
};

class ZoneLexer {
 public:
  // REQUIRES: `buffer` outlives the lexer and every token it returns. `file` names the input in
  // errors and must outlive the lexer too.
  ZoneLexer(std::string_view buffer, const std::string& file);

  // Fills `tokens` (cleared first) with the next non-empty entry and returns true, or returns
  // false at the end of input. `owner_omitted` is set when the entry's first line begins with
  // a blank (RFC 1035 §5.1: the owner is the previous one). Comments (`;` to end of line) are
  // dropped; newlines inside parentheses are blanks.
  // Throws ZoneFileError at the offending character for unbalanced parentheses, an unterminated
  // quoted string, or a NUL byte.
  bool next_entry(std::vector<ZoneToken>& tokens, bool& owner_omitted);

  // Position just after the last character consumed (for "found end of line" errors).
  uint32_t line() const { return line_; }

 private:
  [[noreturn]] void fail(const char* at, const std::string& why) const;
  uint32_t column(const char* at) const { return static_cast<uint32_t>(at - line_start_) + 1; }

  const char* p_;
  const char* end_;
  const char* line_start_;
  uint32_t line_ = 1;
  const std::string& file_;
};

}  // namespace flatsign::zone
