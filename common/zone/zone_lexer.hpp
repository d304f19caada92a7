// Reads a master file into memory and splits it (RFC 1035 §5.1) into entries (one logical line,
// parentheses joined) of tokens viewing the buffer without copying. One lexer per buffer/thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/zone/location.hpp"

namespace flatsign::zone {

// A whole input file: mapped when it is a regular file (no copy, pages populated up front),
// read into memory otherwise (pipes). Mapping is safe against writers that replace files by
// rename, as flatsign's atomic writer does; truncating a zone file in place while it is being
// parsed would fault, as it does for other mmap-based readers. Not copyable.
class ZoneFileBuffer {
 public:
  // Throws ZoneFileError at `from` when the file cannot be opened or read.
  ZoneFileBuffer(const std::string& path, const Location& from);
  ~ZoneFileBuffer();
  ZoneFileBuffer(const ZoneFileBuffer&) = delete;
  ZoneFileBuffer& operator=(const ZoneFileBuffer&) = delete;

  // The file's bytes; valid while this buffer lives.
  std::string_view view() const { return map_ ? std::string_view(map_, map_size_) : copy_; }

 private:
  const char* map_ = nullptr;
  size_t map_size_ = 0;
  std::string copy_;
};

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
