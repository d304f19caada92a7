#include "common/zone/zone_lexer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "common/zone/zonefile.hpp"

namespace flatsign::zone {
namespace {

// Characters that end an unquoted token (RFC 1035 §5.1: blanks, parentheses, comments, quotes;
// NUL marks the end of the buffer or a stray byte).
constexpr std::array<bool, 256> kDelimiter = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {' ', '\t', '\r', '\n', ';', '(', ')', '"', '\0', '\\'}) t[c] = true;
  return t;
}();

std::string quote_char(char c) {
  if (c == '\0') return "NUL byte";
  return std::string("'") + c + "'";
}

}  // namespace

ZoneFileBuffer::ZoneFileBuffer(const std::string& path, const Location& from) {
  int fd = -1;
  auto fail = [&](const char* what) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    throw ZoneFileError(from, std::string(what) + " \"" + path + "\": " + std::strerror(err));
  };
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail("cannot stat");
  if (S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    fail("cannot read");
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ,
                     MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m != MAP_FAILED) {
      map_ = static_cast<const char*>(m);
      map_size_ = static_cast<size_t>(st.st_size);
      ::madvise(m, map_size_, MADV_SEQUENTIAL);
      ::close(fd);
      return;
    }
  }
  size_t done = 0;
  for (;;) {
    if (done == copy_.size()) copy_.resize(copy_.size() + 65536);
    ssize_t n = ::read(fd, copy_.data() + done, copy_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot read");
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  copy_.resize(done);
}

ZoneFileBuffer::~ZoneFileBuffer() {
  if (map_ != nullptr) ::munmap(const_cast<char*>(map_), map_size_);
}

ZoneLexer::ZoneLexer(std::string_view buffer, const std::string& file)
    : p_(buffer.data()),
      end_(buffer.data() + buffer.size()),
      line_start_(buffer.data()),
      file_(file) {}

void ZoneLexer::fail(const char* at, const std::string& why) const {
  throw ZoneFileError(Location{file_, line_, column(at)}, why);
}

bool ZoneLexer::next_entry(std::vector<ZoneToken>& tokens, bool& owner_omitted) {
  tokens.clear();
  int depth = 0;
  uint32_t open_line = 0, open_col = 0;
  owner_omitted = p_ < end_ && (*p_ == ' ' || *p_ == '\t');
  const char* p = p_;
  for (;;) {
    if (p >= end_) {
      p_ = p;
      if (depth > 0) {
        throw ZoneFileError(Location{file_, open_line, open_col},
                            "unbalanced '(': no matching ')' before the end of the file");
      }
      return !tokens.empty();
    }
    char c = *p;
    switch (c) {
      case ' ':
      case '\t':
      case '\r':
        ++p;
        continue;
      case '\n':
        ++p;
        ++line_;
        line_start_ = p;
        if (depth > 0) continue;
        if (!tokens.empty()) {
          p_ = p;
          return true;
        }
        owner_omitted = p < end_ && (*p == ' ' || *p == '\t');
        continue;
      case ';':
        while (p < end_ && *p != '\n') ++p;
        continue;
      case '(':
        if (depth++ == 0) {
          open_line = line_;
          open_col = column(p);
        }
        ++p;
        continue;
      case ')':
        if (depth == 0) fail(p, "unbalanced ')'");
        --depth;
        ++p;
        continue;
      case '"': {
        const char* start = ++p;
        uint32_t col = column(start - 1);
        for (;;) {
          if (p >= end_) fail(start - 1, "unterminated quoted string");
          char q = *p;
          if (q == '"') break;
          if (q == '\n') fail(start - 1, "unterminated quoted string (newline inside quotes)");
          if (q == '\\') {
            if (p + 1 >= end_) fail(p, "dangling backslash");
            if (p[1] == '\n') {
              ++line_;
              line_start_ = p + 2;
            }
            p += 2;
            continue;
          }
          ++p;
        }
        tokens.push_back(
            ZoneToken{std::string_view(start, static_cast<size_t>(p - start)), line_, col, true});
        ++p;
        continue;
      }
      case '\0':
        fail(p, "unexpected NUL byte");
      default:
        break;
    }
    // Unquoted token: runs to the next delimiter; a backslash escapes the next character.
    const char* start = p;
    uint32_t line = line_;
    uint32_t col = column(p);
    for (;;) {
      while (p < end_ && !kDelimiter[static_cast<unsigned char>(*p)]) ++p;
      if (p < end_ && *p == '\\') {
        if (p + 1 >= end_) fail(p, "dangling backslash");
        if (p[1] == '\0') fail(p + 1, "unexpected " + quote_char('\0'));
        if (p[1] == '\n') {
          ++line_;
          line_start_ = p + 2;
        }
        p += 2;
        continue;
      }
      break;
    }
    tokens.push_back(
        ZoneToken{std::string_view(start, static_cast<size_t>(p - start)), line, col, false});
  }
}

}  // namespace flatsign::zone
