// The IXFR journal of one zone (RFC 1995 §4): the RR-level differences between consecutive
// published versions, oldest first, and the file that keeps them across restarts. A Journal is
// an immutable value: share it as std::shared_ptr<const Journal>; a JournalFile belongs to one
// thread (the zone's publisher).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/rrset.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::xfr {

// One version step (or several, condensed): delete `removed`, add `added`, and the SOA goes
// from `old_soa` to `new_soa`. SOA records never appear in `removed`/`added`.
struct JournalEntry {
  dns::Rr old_soa;
  dns::Rr new_soa;
  std::vector<dns::Rr> removed;
  std::vector<dns::Rr> added;

  [[nodiscard]] uint32_t from() const;
  [[nodiscard]] uint32_t to() const;
  // RRs an IXFR of this step carries, SOAs included (the RFC 1995 §4 sequence).
  [[nodiscard]] size_t rr_count() const { return removed.size() + added.size() + 2; }
  // Uncompressed wire octets of the RRs: what the step costs in memory and in the file.
  [[nodiscard]] size_t wire_size() const;
};

// Consecutive steps: entries[i].to() == entries[i + 1].from().
struct Journal {
  std::vector<std::shared_ptr<const JournalEntry>> entries;
  size_t bytes = 0;  // sum of wire_size()

  [[nodiscard]] bool empty() const { return entries.empty(); }
  [[nodiscard]] std::optional<uint32_t> first_serial() const;
  [[nodiscard]] std::optional<uint32_t> last_serial() const;
  // The net change from `serial` to last_serial(): deletions of RRs added later and additions
  // of RRs deleted later cancel out (the "condensed" form RFC 1995 §4 allows). nullopt when no
  // entry starts at `serial` (too old, unknown, or the current serial itself).
  [[nodiscard]] std::optional<JournalEntry> condensed_since(uint32_t serial) const;
};

// The step from the published zone `from` to `to` (both signed, so RRSIG, NSEC/NSEC3 and DNSKEY
// changes are in it). An RRset whose TTL changed is removed and added whole: an IXFR client
// identifies RRs by owner, type and RDATA, so only re-adding carries the new TTL. nullopt when
// the step's wire_size() passes `max_bytes`, found before it is built whole (a key roll's
// re-sign of a million names is hundreds of megabytes that no journal keeps).
[[nodiscard]] std::optional<JournalEntry> make_journal_entry(const zone::Zone& from,
                                                             const zone::Zone& to,
                                                             size_t max_bytes = SIZE_MAX);

struct JournalLimits {
  size_t max_versions = 100;     // steps kept; 0: no journal (IXFR is answered by AXFR)
  size_t max_bytes = 64u << 20;  // sum of wire_size() kept
};

// The journal file "<zone>.journal": one framed record per step, appended and fsynced:
//   "FSJ1" | u32 payload length | u32 CRC-32 of the payload | payload (the RRs, uncompressed)
// A record cut short or failing its CRC (a torn write at a crash) ends the file: it and
// anything after are truncated away at load. Trimming to the limits rewrites the file
// atomically (temp file, fsync, rename), at most once per max_versions/4 appends.
class JournalFile {
 public:
  JournalFile(std::string path, JournalLimits limits);

  // Reads the file and keeps the chain of steps that ends at `served_serial` (the serial of the
  // zone being served); a journal that does not end there (written for another zone version, a
  // crash between the zone file and the journal) is dropped and the file emptied, as is
  // everything when `served_serial` is nullopt. Returns the journal (maybe empty) and logs
  // what was dropped. Throws std::system_error when the file cannot be read or repaired.
  std::shared_ptr<const Journal> load(std::optional<uint32_t> served_serial);

  // Appends `entry` (durably: fsync before returning) and returns the new journal. An entry
  // that does not chain to the current last serial starts a new journal; one larger than
  // max_bytes is not kept: the journal is emptied (reset()). Throws std::system_error; the
  // journal is then empty (the file is removed when possible).
  std::shared_ptr<const Journal> append(JournalEntry entry);

  // Empties the journal and its file: IXFR is answered in AXFR form until the next step. For a
  // step too large to keep, which the caller then need not build. Throws std::system_error.
  std::shared_ptr<const Journal> reset();

  [[nodiscard]] std::shared_ptr<const Journal> current() const { return journal_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  // Writes the current journal as the whole file, atomically.
  void rewrite();
  std::string path_;
  JournalLimits limits_;
  std::shared_ptr<const Journal> journal_ = std::make_shared<const Journal>();
  size_t file_records_ = 0;  // records in the file (>= entries kept, until the next rewrite)
  size_t file_bytes_ = 0;
};

// The framed record of `entry`, and its inverse over a payload. Exposed for tests.
[[nodiscard]] std::vector<uint8_t> encode_journal_record(const JournalEntry& entry);
// Reads one record from `data` at `offset`; nullopt when it is incomplete or fails its CRC or
// its parse (torn tail). On success advances `offset` past it.
[[nodiscard]] std::optional<JournalEntry> decode_journal_record(const std::vector<uint8_t>& data,
                                                                size_t& offset);

}  // namespace flatsign::xfr
