// Reads RFC 1035 §5 master files (plus what BIND accepts: $TTL, TTL units, RFC 3597 generic
// forms) into RRs, and prints a Zone back as canonical text. All state is per call: thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/dns/types.hpp"
#include "common/zone/location.hpp"
#include "common/zone/zone.hpp"
#include "common/zone/zone_builder.hpp"

namespace flatsign::zone {

// A zone file that cannot be read. what() is "file:line:column: reason", e.g.
// `zones/x.zone:12:17: expected a TTL or class or type, found "INN"`.
class ZoneFileError : public std::runtime_error {
 public:
  ZoneFileError(Location where, const std::string& reason);
  const Location& where() const { return where_; }
  const std::string& reason() const { return reason_; }

 private:
  Location where_;
  std::string reason_;
};

// Receives each RR in file order. The Location (file:line:column of the owner, or of the first
// token when the owner was omitted) is only valid during the call: copy what you keep.
using RrSink = std::function<void(dns::Rr&&, const Location&)>;

struct ZoneFileOptions {
  // For parse_zone_text: the name used in locations, and the directory $INCLUDE paths are
  // relative to. Files use their own path and directory.
  std::string source_name;
  std::string base_dir = ".";
  // $INCLUDE nesting limit (the top file is depth 0); deeper includes are an error.
  unsigned max_include_depth = 16;
  bool allow_include = true;
};

struct ZoneFileStats {
  size_t records = 0;
  size_t files = 0;  // the top file plus every $INCLUDE
  std::vector<ZoneIssue> warnings;
};

// Parses the master file at `path`; relative names are completed with `origin` until a
// $ORIGIN changes it. Supported (RFC 1035 §5.1 unless noted):
//  - $ORIGIN name; $TTL ttl (RFC 2308 §4); $INCLUDE file [origin]: the path is relative to the
//    including file's directory; the origin and current owner are restored after it (§5.1);
//    nesting deeper than max_include_depth and include loops are errors.
//  - `@` for the origin, relative names, blank owner = previous owner, TTL and class in either
//    order and both optional, TTL units ("1h30m"), TYPEnnn/CLASSnnn and `\# len hex` (RFC 3597).
//  - Class IN only; any other class is an error.
//  - Omitted TTL: the $TTL value if one was given; otherwise the last TTL used (RFC 1035
//    semantics); if there is none yet and the record is an SOA, the SOA MINIMUM with a warning
//    (as BIND does); otherwise an error.
// Throws ZoneFileError at the first error (file:line:column and what was expected/found).
// `sink` may throw; its exception propagates unchanged.
[[nodiscard]] ZoneFileStats parse_zone_file(const std::string& path, const dns::Name& origin,
                                            const RrSink& sink,
                                            const ZoneFileOptions& options = {});
// Same as parse_zone_file for text in memory (tests, transfers of zone text).
[[nodiscard]] ZoneFileStats parse_zone_text(std::string_view text, const dns::Name& origin,
                                            const RrSink& sink,
                                            const ZoneFileOptions& options = {});

// About how many RRs the zone file at `path` holds (from its size; 0 when it cannot be read),
// for ZoneBuilder::reserve(): growing the builder's arrays faults every page twice.
size_t estimate_records(const std::string& path);

// Parses `path` into a ZoneBuilder and builds it. The result's warnings hold the parser's
// warnings first, then the builder's. `stats`, when given, gets the record and file counts
// (its warnings stay empty). Throws ZoneFileError or ZoneError.
[[nodiscard]] ZoneBuilder::Result load_zone(const std::string& path, const dns::Name& origin,
                                            const ZoneFileOptions& options = {},
                                            ZoneFileStats* stats = nullptr);

// Canonical text: one RR per line, "owner<TAB>TTL<TAB>IN<TAB>TYPE<TAB>rdata", absolute names,
// the apex SOA first, then every RRset in canonical (owner, type) order and RDATA order.
// Private-use types (ALIAS among them) in RFC 3597 form, `TYPE65401 \# 7 ...`, in their own
// lines and NSEC bitmaps. Both parse_zone_file and named-checkzone read it back to the same data.
void print_zone(const Zone& zone, std::string& out);
[[nodiscard]] std::string print_zone(const Zone& zone);
// Writes to `out` in large chunks. Throws std::system_error when a write fails.
void print_zone(const Zone& zone, std::FILE* out);
// Appends the lines of nodes()[first, last) in the format above (the SOA leads node 0's lines):
// printing consecutive ranges one after another gives print_zone's text.
// REQUIRES: first <= last <= zone.nodes().size().
void print_nodes(const Zone& zone, size_t first, size_t last, std::string& out);
// Prints the zone on `threads` threads (0: all cores; 1: this thread alone) in consecutive pieces
// of whole blocks; calls `write` with each piece, in order, on the calling thread while the
// other threads print the next ones. The pieces joined are exactly print_zone's text. `write`
// may throw: the printing stops and the exception propagates.
void print_zone_pieces(const Zone& zone, unsigned threads,
                       const std::function<void(std::string_view piece)>& write);
// Appends one RR line (with the trailing newline) in the format above.
void print_rr(const dns::Name& owner, uint32_t ttl, dns::RRType type,
              std::span<const uint8_t> rdata, std::string& out);

}  // namespace flatsign::zone
