#include "common/zone/zonefile.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include "common/dns/error.hpp"
#include "common/dns/rdata.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zone_lexer.hpp"

namespace flatsign::zone {
namespace {

// Quotes input for an error message, shortened so one bad line cannot flood a log.
std::string quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string q = "\"";
  q.append(s.substr(0, kMax));
  if (s.size() > kMax) q += "...";
  return q + "\"";
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (dns::dns_lower(static_cast<uint8_t>(a[i])) != dns::dns_lower(static_cast<uint8_t>(b[i])))
      return false;
  }
  return true;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string join_path(const std::string& dir, std::string_view rel) {
  if (!rel.empty() && rel[0] == '/') return std::string(rel);
  if (dir.empty() || dir == ".") return std::string(rel);
  return dir + "/" + std::string(rel);
}

// What may still come before the type, for "expected ..., found ..." errors.
const char* expected_before_type(bool have_ttl, bool have_class) {
  if (have_ttl && have_class) return "expected a type";
  if (have_ttl) return "expected a class or type";
  if (have_class) return "expected a TTL or type";
  return "expected a TTL or class or type";
}

// Remembers the type mnemonics already seen (exact spelling), so the hot path skips the
// registry's case-insensitive scan. Only words that are not classes are inserted.
class TypeCache {
 public:
  std::optional<dns::RRType> find(std::string_view text) const {
    const Entry& e = slots_[slot(text)];
    if (e.len == 0 || e.len != text.size() || std::memcmp(e.text, text.data(), e.len) != 0) {
      return std::nullopt;
    }
    return e.type;
  }
  void insert(std::string_view text, dns::RRType type) {
    if (text.empty() || text.size() > sizeof(Entry::text)) return;
    Entry& e = slots_[slot(text)];
    std::memcpy(e.text, text.data(), text.size());
    e.len = static_cast<uint8_t>(text.size());
    e.type = type;
  }

 private:
  struct Entry {
    char text[15];
    uint8_t len = 0;
    dns::RRType type = dns::RRType::A;
  };
  static size_t slot(std::string_view t) {
    if (t.empty()) return 0;
    return (t.size() * 7 + static_cast<uint8_t>(t[0]) * 31 + static_cast<uint8_t>(t.back())) & 63;
  }
  std::array<Entry, 64> slots_{};
};

class Parser {
 public:
  Parser(const RrSink& sink, const ZoneFileOptions& options, ZoneFileStats& stats)
      : sink_(sink), options_(options), stats_(stats) {}

  // Reads and parses `path`; `from` locates the $INCLUDE (nullptr for the top file).
  void parse_file(const std::string& path, const dns::Name& origin, const Location* from) {
    ZoneFileBuffer buf(path, from ? *from : Location{path, 0, 0});
    char resolved[PATH_MAX];
    include_stack_.push_back(::realpath(path.c_str(), resolved) ? resolved : path);
    const std::string dir = directory_of(path);
    parse_buffer(buf.view(), path, dir, origin);
    include_stack_.pop_back();
  }

  void parse_buffer(std::string_view buf, const std::string& display, const std::string& dir,
                    const dns::Name& origin) {
    ++stats_.files;
    origin_ = origin;
    file_ = &display;
    dir_ = &dir;
    where_.file = display;
    owner_text_ = {};
    ZoneLexer lexer(buf, display);
    bool owner_omitted = false;
    while (lexer.next_entry(tokens_, owner_omitted)) {
      const ZoneToken& first = tokens_.front();
      if (!owner_omitted && !first.quoted && first.text[0] == '$') {
        directive();
      } else {
        record(owner_omitted);
      }
    }
  }

 private:
  Location loc(const ZoneToken& t) const { return Location{*file_, t.line, t.column}; }
  [[noreturn]] void fail(const ZoneToken& t, const std::string& why) const {
    throw ZoneFileError(loc(t), why);
  }
  // Fails at the column just after `t` (for a missing field at the end of the entry).
  [[noreturn]] void fail_after(const ZoneToken& t, const std::string& why) const {
    uint32_t width = static_cast<uint32_t>(t.text.size()) + (t.quoted ? 2 : 0);
    throw ZoneFileError(Location{*file_, t.line, t.column + width}, why);
  }

  dns::Name parse_name(const ZoneToken& t) const {
    if (t.quoted) fail(t, "expected a domain name, found a quoted string");
    if (t.text == "@") return origin_;
    try {
      return dns::Name::parse(t.text, &origin_);
    } catch (const dns::ParseError& e) {
      fail(t, e.what());
    }
  }

  void directive();
  void include(const ZoneToken& keyword);
  void record(bool owner_omitted);
  [[noreturn]] void fail_rdata(dns::RRType type, size_t first, const dns::ParseError& e) const;

  const RrSink& sink_;
  const ZoneFileOptions& options_;
  ZoneFileStats& stats_;

  dns::Name origin_;
  std::optional<dns::Name> owner_;          // the previous owner, for entries that omit it
  std::string_view owner_text_;             // the token owner_ was parsed from, in this buffer
  std::optional<uint32_t> default_ttl_;     // $TTL (RFC 2308 §4)
  std::optional<uint32_t> last_ttl_;        // the last TTL used (RFC 1035 §5.1)
  std::vector<std::string> include_stack_;  // resolved paths of the files being read
  unsigned depth_ = 0;                      // $INCLUDE nesting of the current file
  const std::string* file_ = nullptr;
  const std::string* dir_ = nullptr;

  // Reused per entry so the hot loop does not allocate.
  std::vector<ZoneToken> tokens_;
  std::vector<dns::RdataToken> rdata_tokens_;
  dns::Rr rr_;  // every field is set again for each RR (a sink may have moved it away)
  Location where_;
  TypeCache types_;
};

void Parser::directive() {
  const ZoneToken& kw = tokens_.front();
  auto need_args = [&](size_t min, size_t max, const char* what) {
    if (tokens_.size() - 1 < min) fail_after(tokens_.back(), std::string("expected ") + what);
    if (tokens_.size() - 1 > max) {
      const ZoneToken& extra = tokens_[max + 1];
      fail(extra, "unexpected " + quote(extra.text) + " after " + std::string(kw.text) + " " +
                      std::string(tokens_[max].text));
    }
  };
  if (iequals(kw.text, "$ORIGIN")) {
    need_args(1, 1, "a domain name after $ORIGIN");
    origin_ = parse_name(tokens_[1]);
    owner_text_ = {};  // "@" and relative owners now mean something else
  } else if (iequals(kw.text, "$TTL")) {
    need_args(1, 1, "a TTL after $TTL");
    auto ttl = dns::parse_ttl(tokens_[1].text);
    if (!ttl || tokens_[1].quoted)
      fail(tokens_[1], "expected a TTL, found " + quote(tokens_[1].text));
    default_ttl_ = *ttl;
  } else if (iequals(kw.text, "$INCLUDE")) {
    need_args(1, 2, "a file name after $INCLUDE");
    include(kw);
  } else if (iequals(kw.text, "$GENERATE")) {
    fail(kw, "$GENERATE is not supported");
  } else {
    fail(kw, "unknown directive " + quote(kw.text) + " (expected $ORIGIN, $TTL or $INCLUDE)");
  }
}

void Parser::include(const ZoneToken& keyword) {
  const ZoneToken path_tok = tokens_[1];
  const Location at = loc(path_tok);
  if (!options_.allow_include) fail(keyword, "$INCLUDE is not allowed here");
  // RFC 1035 §5.1: the optional origin applies to the included file only.
  dns::Name inc_origin = tokens_.size() > 2 ? parse_name(tokens_[2]) : origin_;
  std::string path = join_path(*dir_, path_tok.text);
  if (depth_ >= options_.max_include_depth) {
    fail(path_tok,
         "$INCLUDE nested deeper than " + std::to_string(options_.max_include_depth) + " levels");
  }
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) != nullptr) {
    for (size_t i = 0; i < include_stack_.size(); ++i) {
      if (include_stack_[i] != resolved) continue;
      std::string chain;
      for (size_t j = i; j < include_stack_.size(); ++j) chain += include_stack_[j] + " -> ";
      fail(path_tok, "$INCLUDE loop: " + chain + resolved);
    }
  }
  // The parent's origin, owner and position resume after the included file.
  dns::Name saved_origin = origin_;
  std::optional<dns::Name> saved_owner = owner_;
  std::string_view saved_owner_text = owner_text_;
  const std::string* saved_file = file_;
  const std::string* saved_dir = dir_;
  ++depth_;
  parse_file(path, inc_origin, &at);
  --depth_;
  origin_ = std::move(saved_origin);
  owner_ = std::move(saved_owner);
  owner_text_ = saved_owner_text;
  file_ = saved_file;
  dir_ = saved_dir;
  where_.file = *file_;
}

void Parser::fail_rdata(dns::RRType type, size_t first, const dns::ParseError& e) const {
  std::string why = dns::type_to_string(type) + " rdata: " + e.what();
  size_t count = tokens_.size() - first;
  if (e.token() < count) fail(tokens_[first + e.token()], why);
  if (e.token() == dns::ParseError::kNoToken && count > 0) fail(tokens_[first], why);
  fail_after(tokens_.back(), why);  // a field is missing at the end of the entry
}

void Parser::record(bool owner_omitted) {
  size_t i = 0;
  const ZoneToken& first = tokens_.front();
  if (!owner_omitted) {
    if (first.quoted) fail(first, "expected an owner name, found a quoted string");
    // Consecutive entries usually repeat the owner: reuse the parsed name.
    if (!owner_ || owner_text_.data() == nullptr || first.text != owner_text_) {
      owner_ = parse_name(first);
      owner_text_ = first.text;
    }
    i = 1;
  } else if (!owner_) {
    fail(first, "no owner name: the first record of a file must name its owner");
  }

  std::optional<uint32_t> ttl;
  bool have_class = false;
  std::optional<dns::RRType> type;
  size_t type_index = 0;
  for (; i < tokens_.size(); ++i) {
    const ZoneToken& t = tokens_[i];
    if (t.quoted)
      fail(t, std::string(expected_before_type(ttl.has_value(), have_class)) +
                  ", found a quoted string");
    char c0 = t.text[0];
    if (c0 >= '0' && c0 <= '9') {
      if (ttl) {
        fail(t, std::string(expected_before_type(true, have_class)) + ", found " + quote(t.text));
      }
      ttl = dns::parse_ttl(t.text);
      if (!ttl) fail(t, "bad TTL " + quote(t.text) + " (expected seconds or units like 1h30m)");
      continue;
    }
    if (auto cached = types_.find(t.text)) {  // the common case: a known type mnemonic
      type = cached;
      type_index = i++;
      break;
    }
    bool is_in = t.text.size() == 2 && (t.text[0] | 0x20) == 'i' && (t.text[1] | 0x20) == 'n';
    if (auto cls = is_in ? dns::RRClass::IN : dns::class_from_string(t.text)) {
      if (have_class) {
        fail(t,
             std::string(expected_before_type(ttl.has_value(), true)) + ", found " + quote(t.text));
      }
      if (*cls != dns::RRClass::IN) {
        fail(t, "class " + dns::class_to_string(*cls) + " is not supported (only IN)");
      }
      have_class = true;
      continue;
    }
    type = dns::type_from_string(t.text);
    if (!type) {
      fail(t, std::string(expected_before_type(ttl.has_value(), have_class)) + ", found " +
                  quote(t.text));
    }
    if (dns::is_meta_type(*type)) fail(t, "type " + quote(t.text) + " cannot appear in a zone");
    types_.insert(t.text, *type);
    type_index = i++;
    break;
  }
  if (!type) {
    fail_after(tokens_.back(), std::string(expected_before_type(ttl.has_value(), have_class)) +
                                   ", found end of line");
  }

  rdata_tokens_.clear();
  for (size_t j = i; j < tokens_.size(); ++j) {
    rdata_tokens_.push_back(dns::RdataToken{tokens_[j].text, tokens_[j].quoted});
  }
  // The RDATA goes straight into the reused record: no allocation per RR unless a sink took it.
  dns::Rdata& rdata = rr_.rdata;
  rdata.clear();
  try {
    dns::rdata_from_text(*type, rdata_tokens_, origin_, rdata);
  } catch (const dns::ParseError& e) {
    fail_rdata(*type, i, e);
  }

  uint32_t use_ttl = 0;
  if (ttl) {
    use_ttl = *ttl;
    last_ttl_ = ttl;
  } else if (default_ttl_) {
    use_ttl = *default_ttl_;
  } else if (last_ttl_) {
    use_ttl = *last_ttl_;
  } else if (*type == dns::RRType::SOA) {
    // BIND's behaviour for a zone without $TTL whose SOA has no TTL.
    use_ttl = dns::soa_minimum(rdata);
    last_ttl_ = use_ttl;
    stats_.warnings.push_back(ZoneIssue{
        ZoneIssue::Severity::Warning, loc(tokens_[type_index]),
        "no TTL specified; using the SOA MINIMUM (" + std::to_string(use_ttl) + ") instead"});
  } else {
    fail(tokens_[type_index], "no TTL specified (no $TTL and no earlier TTL to reuse)");
  }

  rr_.owner = *owner_;
  rr_.type = *type;
  rr_.rclass = dns::RRClass::IN;
  rr_.ttl = use_ttl;
  where_.line = first.line;
  where_.column = first.column;
  ++stats_.records;
  sink_(std::move(rr_), where_);
}

void append_u32(uint32_t v, std::string& out) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void print_rrset(const Node& node, const dns::RRset& set, std::string& out) {
  for (const auto& rd : set.rdatas)
    print_rr(set.owner, node.record_ttl(set, rd), set.type, rd, out);
}

// Prints the zone in chunks of about `chunk` octets, handing each to `flush`.
template <typename Flush>
void print_chunks(const Zone& zone, std::string& out, size_t chunk, Flush&& flush) {
  const size_t nodes = zone.nodes().size();
  for (size_t n = 0; n < nodes; ++n) {
    print_nodes(zone, n, n + 1, out);
    if (out.size() >= chunk) flush(out);
  }
  flush(out);
}

// Location::to_string's format, built with appends (g++ 12 -O3 warns falsely on its
// `":" + std::to_string(...)`, GCC bug 105329).
std::string error_text(const Location& where, const std::string& reason) {
  std::string s = where.file.empty() ? "<input>" : where.file;
  if (where.line != 0) {
    s += ':';
    s += std::to_string(where.line);
    if (where.column != 0) {
      s += ':';
      s += std::to_string(where.column);
    }
  }
  s += ": ";
  s += reason;
  return s;
}

}  // namespace

ZoneFileError::ZoneFileError(Location where, const std::string& reason)
    : std::runtime_error(error_text(where, reason)), where_(std::move(where)), reason_(reason) {}

ZoneFileStats parse_zone_file(const std::string& path, const dns::Name& origin, const RrSink& sink,
                              const ZoneFileOptions& options) {
  ZoneFileStats stats;
  Parser parser(sink, options, stats);
  parser.parse_file(path, origin, nullptr);
  return stats;
}

ZoneFileStats parse_zone_text(std::string_view text, const dns::Name& origin, const RrSink& sink,
                              const ZoneFileOptions& options) {
  ZoneFileStats stats;
  Parser parser(sink, options, stats);
  parser.parse_buffer(text, options.source_name, options.base_dir, origin);
  return stats;
}

size_t estimate_records(const std::string& path) {
  // Zone files run about 30 octets per RR (35 octets in bench/parse's generated zone). Pages
  // reserved and never written cost no memory.
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<size_t>(size / 30);
}

ZoneBuilder::Result load_zone(const std::string& path, const dns::Name& origin,
                              const ZoneFileOptions& options, ZoneFileStats* stats_out) {
  ZoneBuilder builder(origin);
  builder.reserve(estimate_records(path));
  ZoneFileStats stats = parse_zone_file(
      path, origin, [&](dns::Rr&& rr, const Location& where) { builder.add(std::move(rr), where); },
      options);
  ZoneBuilder::Result result = std::move(builder).build();
  result.warnings.insert(result.warnings.begin(), stats.warnings.begin(), stats.warnings.end());
  if (stats_out != nullptr) {
    stats_out->records = stats.records;
    stats_out->files = stats.files;
  }
  return result;
}

void print_rr(const dns::Name& owner, uint32_t ttl, dns::RRType type,
              std::span<const uint8_t> rdata, std::string& out) {
  owner.append_text(out);
  out += '\t';
  append_u32(ttl, out);
  out += "\tIN\t";
  if (dns::is_private_use(type)) {
    // RFC 3597 §5: BIND, Knot and ldns read this text too, and know neither the mnemonic nor
    // the RDATA format of a private-use type (ALIAS is PowerDNS's 65401).
    out += "TYPE";
    append_u32(static_cast<uint16_t>(type), out);
    out += '\t';
    dns::rdata_to_generic_text(rdata, out);
  } else {
    out += dns::type_to_string(type);
    out += '\t';
    dns::rdata_to_text(type, rdata, out);
  }
  out += '\n';
}

void print_nodes(const Zone& zone, size_t first, size_t last, std::string& out) {
  auto nodes = zone.nodes();
  for (size_t n = first; n < last; ++n) {
    if (n == 0) print_rrset(nodes[0], zone.soa(), out);  // the apex is first; its SOA leads
    for (const auto& set : nodes[n].rrsets) {
      if (n == 0 && set.type == dns::RRType::SOA) continue;
      print_rrset(nodes[n], set, out);
    }
  }
}

void print_zone(const Zone& zone, std::string& out) {
  print_chunks(zone, out, SIZE_MAX, [](std::string&) {});
}

std::string print_zone(const Zone& zone) {
  std::string out;
  out.reserve(zone.rr_count() * 64);
  print_zone(zone, out);
  return out;
}

void print_zone(const Zone& zone, std::FILE* file) {
  std::string out;
  out.reserve(1 << 20);
  print_chunks(zone, out, 1 << 20, [&](std::string& buf) {
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), file) != buf.size()) {
      throw std::system_error(errno, std::generic_category(), "writing zone text");
    }
    buf.clear();
  });
  if (std::fflush(file) != 0) {
    throw std::system_error(errno, std::generic_category(), "writing zone text");
  }
}

}  // namespace flatsign::zone
