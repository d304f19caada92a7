// The end of the slave's pipeline for one zone: turns a checked transfer into a published,
// signed zone (serial, incremental sign, verify, atomic file, IXFR journal, snapshot swap,
// change hook), or into one alert line and the --on-alert hook for a refusal. Owned by the
// zone's poller on one thread; served_signed() and served_journal() may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dnssec/denial.hpp"
#include "common/dnssec/verify.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/progress.hpp"
#include "common/xfr/journal.hpp"
#include "common/zone/zone.hpp"
#include "slave/key_schedule.hpp"
#include "slave/serial.hpp"
#include "slave/transfer_check.hpp"

namespace flatsign::slave {

struct PublisherConfig {
  dns::Name zone;
  std::string state_dir;
  dnssec::Algorithm algorithm = dnssec::Algorithm::ECDSAP256SHA256;
  dnssec::DenialConfig denial;
  // CDS/CDNSKEY at the apex for parents that scan for them (RFC 7344, RFC 8078): none; the
  // SEP keys (`publish`); or the delete form asking the parent to remove the DS (`delete`).
  enum class Cds : uint8_t { None, Publish, Delete } cds = Cds::None;
  // How many signature values the check before each publication verifies (verify.hpp).
  dnssec::VerifyMode verify = dnssec::VerifyMode::Sampled;
  SerialPolicy serial_policy = SerialPolicy::Increment;
  std::string on_change;  // shell command; empty: none
  std::string on_alert;   // shell command; empty: none
  unsigned sign_threads = 0;
  // Alert signatures-expiring when the earliest RRSIG expires within this many seconds, or a
  // due refresh fails (repeated at most hourly while it lasts).
  uint32_t expiry_alert = 3 * 86400;
  // IXFR journal (<zone>.journal); max_versions 0: none, IXFR is answered by AXFR.
  xfr::JournalLimits journal;
  // On-change runs are rate-limited by a token bucket: `hook_burst` runs at once, then one per
  // hook_min_interval seconds; publications meanwhile are batched into the next run (an
  // upstream changing every few seconds must not send an email each time). The first
  // publication's run is never held. hook_min_interval 0: a run per publication.
  uint32_t hook_min_interval = 60;
  uint32_t hook_burst = 3;
  // New RRSIGs are valid this long (expirations spread over its last tenth); those expiring
  // within signature_refresh are re-signed. REQUIRES: signature_refresh <= validity / 2.
  uint32_t signature_validity = 14 * 86400;
  uint32_t signature_refresh = 7 * 86400;
  // Key lifecycle: the keys' timing decides what is published and signs (key_schedule.hpp);
  // csk-roll also makes successors. dnskey_ttl is the DNSKEY/CDS TTL.
  KeyPolicy key_policy;
  // Where the zone's K-files are (`key-dir`, shared by several slaves); empty: state_dir.
  std::string key_dir;
  [[nodiscard]] const std::string& keys_dir() const { return keys_dir(state_dir); }
  // The same for a zone whose state folder is `zone_state_dir` (settings shared by zones).
  [[nodiscard]] const std::string& keys_dir(const std::string& zone_state_dir) const {
    return key_dir.empty() ? zone_state_dir : key_dir;
  }
};

// What the calls since the last take_report() did, for the daemon's metrics and /status.
struct PublishReport {
  bool published = false;    // a new signed zone was published
  bool incremental = false;  // ... by an incremental sign (else a full one)
  double sign_seconds = 0;   // that sign's duration
  std::string refusal;       // the last alert's reason (a verdict name, sign-failed, ...); "": none
  std::string refusal_detail;
  uint32_t earliest_expiry = 0;  // earliest RRSIG expiration of the served zone; 0: not looked at
};

struct PublisherCounters {
  uint64_t published = 0;
  uint64_t unchanged = 0;
  uint64_t refused = 0;
};

class Publisher {
 public:
  // REQUIRES: `config` outlives the publisher (a zone's pipeline owns both: one copy per zone).
  explicit Publisher(const PublisherConfig& config)
      : Publisher(config, config.zone, config.state_dir) {}
  // The same for zone `zone` in `state_dir`, with settings shared by other zones (their
  // config.zone and config.state_dir are not read). REQUIRES: all three outlive the publisher.
  Publisher(const PublisherConfig& config, const dns::Name& zone, const std::string& state_dir);
  // Waits for a zone file being written in the background (see write_file_later).
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Loads (or, for a zone never published here, generates) the keys and the last signed zone
  // from the state directory. Throws StateError; call once before anything else. When the
  // zone file is older than the last serial served (a crash between the swap and the file
  // write), it is re-signed under a higher serial first, so the served serial never goes back.
  // A new key goes into `new_keys` when given (see load_or_create_keys). `new_state_dir`: the
  // zone's folder was made empty just now, so nothing is read from it.
  void start_up(util::AtomicFileBatch* new_keys = nullptr, bool new_state_dir = false);

  // Called on the publishing thread right after a new signed zone becomes served_signed(),
  // before the zone file is written: the daemon wraps it for serving there.
  void set_on_swap(std::function<void()> on_swap) { on_swap_ = std::move(on_swap); }
  // Called on the hook's thread after an on-change hook that was handed a whole zone (the first
  // publication's records) has ended and let go of it: e.g. to give that memory back.
  void set_on_hook_done(std::function<void()> f) { on_hook_done_ = std::move(f); }
  // Called on the writer thread before a large zone's file is written after its publication
  // (write_file_later); tests use it to hold a write back.
  void set_on_background_write(std::function<void()> f) { on_background_write_ = std::move(f); }

  // The served zone's content (unsigned, our serial), or null before the first publication.
  // Not kept (it would cost a third of the signed zone's memory): made from served_signed() on
  // each call, in one pass. check_transfer compares a transfer with served_signed() directly.
  [[nodiscard]] std::shared_ptr<const zone::Zone> served_unsigned() const;
  // The signed zone being served; null before the first publication. Thread-safe.
  [[nodiscard]] std::shared_ptr<const zone::Zone> served_signed() const { return signed_.load(); }
  // The IXFR journal ending at served_signed()'s serial (stored just before it, so a reader may
  // briefly see a journal one step ahead of the zone: check the serials). Thread-safe.
  [[nodiscard]] std::shared_ptr<const xfr::Journal> served_journal() const {
    return journal_.load();
  }

  // Acts on a checked transfer from `master`:
  //  - Accepted: new serial, sign (incremental when a previous signed zone exists), verify,
  //    write <zone>.signed atomically, swap the snapshot, run --on-change. A signing or verify
  //    failure is reported as an alert and nothing is published.
  //  - Unchanged: one debug line, nothing else (no write, no serial bump, no hook).
  //  - a refusal: alert(verdict_name, detail). Nothing published.
  // Returns true when a new zone was published.
  bool handle(CheckResult result, const std::string& master);

  // Signature upkeep (runs even when the master is unreachable): when an RRSIG of the served
  // zone expires within the signer's refresh_within, publishes the same content with a new
  // serial, re-signing what expires (and the SOA). No on-change hook. Returns true when it did.
  // Then alerts signatures-expiring (see PublisherConfig::expiry_alert) when the refresh failed
  // or the earliest expiry is still within expiry_alert.
  bool refresh_signatures();

  // Runs the on-change hook for the publications batched since its last run, when
  // hook_min_interval has passed since then. Call after each poll.
  void flush_change_hook();

  // Logs one warning line and runs --on-alert with `reason` (a verdict name or "verify-failed",
  // "sign-failed", "write-failed") and `detail`.
  void alert(std::string_view reason, const std::string& detail, const std::string& master);

  // Runs --on-alert with `reason` and `detail` (no refusal counted: see alert()).
  void raise_alert(std::string_view reason, const std::string& detail, const std::string& master);
  // Same, naming `serial`: callable from any thread (it reads no publication state).
  void raise_alert_at(std::string_view reason, const std::string& detail, const std::string& master,
                      std::optional<uint32_t> serial) const;
  // Signatures made from now on are valid `validity` seconds and re-signed with `refresh` left
  // (the zone's pipeline derives them from the zone: signature_margin.hpp).
  void set_signature_timing(uint32_t validity, uint32_t refresh);
  // Switches to the key set `set` (from key_set_at over the zone's key files): when it differs
  // from the current one, re-signs the served zone with it under a new serial (no on-change
  // hook). A failed sign or verify keeps the current keys (alerted). Returns true when it
  // published. On the publishing thread.
  bool rekey(const KeySet& set, const std::string& reason);
  // The key set signing now (publishing thread).
  [[nodiscard]] const KeySet& key_set() const { return key_set_; }
  // "" when the served zone's DNSKEY, CDS and signing keys are those of key_set(), else how it
  // differs. Publishing thread.
  [[nodiscard]] std::string served_key_difference() const;
  // Logs one warning and runs --on-alert with `reason` and `detail` about the keys (no
  // transfer involved).
  void key_alert(std::string_view reason, const std::string& detail);

  // The DS records of the zone's SEP keys for the parent, one presentation line each.
  [[nodiscard]] std::vector<std::string> ds_lines() const;

  [[nodiscard]] const PublisherCounters& counters() const { return counters_; }
  // Hands over what happened since the last call and starts a new report.
  [[nodiscard]] PublishReport take_report() { return std::exchange(report_, {}); }
  // The signing keys (a copy: rekey() may replace them). Thread-safe after start_up().
  [[nodiscard]] std::vector<dnssec::DnssecKey> keys() const { return signer_.load()->keys(); }
  [[nodiscard]] std::optional<uint32_t> last_serial() const { return last_serial_; }
  // The zone's name as text, for logs.
  [[nodiscard]] const std::string& zname() const { return zname_; }

 private:
  // The signatures-expiring check after a refresh attempt: `failed` says a due refresh failed,
  // `earliest` is the served zone's earliest RRSIG expiration.
  void check_expiry(bool failed, uint32_t now, uint32_t earliest);
  // `content` false: a signature refresh (same data, new serial, no hook).
  bool publish(const std::shared_ptr<const zone::Zone>& transferred, const zone::Diff& change,
               const std::string& master, bool content = true);
  // The steps of publish(). sign() and verify() alert and return nothing / false on failure.
  struct SignStep {
    dnssec::SignResult result;
    bool incremental = false;  // patched from `previous`
  };
  std::optional<SignStep> sign(const std::shared_ptr<const zone::Zone>& previous,
                               const std::shared_ptr<const zone::Zone>& next,
                               const std::string& master);
  // `patched_from`: the zone `signed_zone` was patched from (null after a full sign).
  bool verify(const zone::Zone& signed_zone, const zone::Zone* patched_from, std::time_t now,
              const std::string& master);
  // `threads`: as print_zone_pieces takes them (1 for a write beside serving, which must leave
  // the cores to the queries).
  void write_zone_file(const zone::Zone& signed_zone, unsigned threads = 1) const;
  // A large zone's file after a later publication: written on a thread of its own, so that the
  // next transfer and publication need not wait for it (a million names take seconds). One
  // writer at a time; a zone published meanwhile replaces the one waiting, so the file always
  // ends at the newest zone.
  void write_file_later(std::shared_ptr<const zone::Zone> signed_zone, const std::string& master);
  void write_files();  // the writer thread
  // Forgets the zone waiting to be written and waits for the one being written: called before
  // a file is written on the publishing thread, which must be the last to land.
  void drop_file_writes();
  void append_journal(const zone::Zone& previous, const zone::Zone& next, uint32_t serial);
  // The on-change hook: a later publication joins the pending batch; the first one runs at
  // once with every record (its document is streamed).
  void batch_change(const zone::Diff& change, const std::string& master,
                    std::optional<uint32_t> old_serial, uint32_t serial, uint32_t master_serial);
  void run_first_change_hook(const std::shared_ptr<const zone::Zone>& transferred,
                             const zone::Diff& change, const std::string& master,
                             std::optional<uint32_t> old_serial, uint32_t serial, std::time_t now);

  const PublisherConfig& config_;
  const dns::Name& zone_;
  const std::string& state_dir_;
  std::string zname_;
  [[nodiscard]] std::shared_ptr<const dnssec::ZoneSigner> make_signer(const KeySet& set) const;
  std::atomic<std::shared_ptr<const dnssec::ZoneSigner>> signer_;
  // The signers' progress log, made at the first sign that runs past kProgressEvery seconds.
  static constexpr double kProgressEvery = 2.0;
  mutable std::unique_ptr<util::ProgressLog> progress_;
  // The signatures' validity and refresh window: the config's, or what set_signature_timing()
  // derived from the zone (publishing thread).
  uint32_t signature_validity_ = config_.signature_validity;
  uint32_t signature_refresh_ = config_.signature_refresh;
  KeySet key_set_;
  std::atomic<std::shared_ptr<const zone::Zone>> signed_;
  // The zone of the last publication this process verified (not one loaded from disk): an
  // incremental publication re-checks only the signature values it changed.
  std::shared_ptr<const zone::Zone> verified_;
  std::function<void()> on_swap_;
  std::function<void()> on_hook_done_;
  std::function<void()> on_background_write_;
  std::unique_ptr<xfr::JournalFile> journal_file_;  // null: no journal
  std::atomic<std::shared_ptr<const xfr::Journal>> journal_;
  std::optional<uint32_t> last_serial_;
  PublisherCounters counters_;
  PublishReport report_;
  uint32_t next_expiry_alert_ = 0;            // 0: not alerting; else no repeat before this time
  std::vector<std::string> verify_warnings_;  // of the last publication, logged when they change
  struct FileWriter {
    std::mutex mu;
    std::shared_ptr<const zone::Zone> next;  // waiting to be written
    std::string master;                      // the transfer it came from (for an alert)
    bool running = false;                    // a thread is in write_files()
    std::thread thread;
  };
  // Made at the first background write (publishing thread): most zones never need one, and
  // with thousands of zones every member is paid per zone.
  std::unique_ptr<FileWriter> file_writer_;
  // Publications whose on-change run waits for hook_min_interval (publisher.cpp).
  struct PendingChange {
    std::optional<uint32_t> old_serial;  // before the first of them
    uint32_t new_serial = 0, master_serial = 0;
    std::string master, added, removed;  // JSON array items, comma-separated
    size_t added_count = 0, removed_count = 0, publications = 0;
    bool truncated = false;  // more records than kept in the lists
  };
  std::unique_ptr<PendingChange> pending_change_;  // null: none (most zones have no hook)
  double hook_tokens_ = -1;  // runs allowed now; < 0: not started (a full bucket)
  std::time_t hook_refilled_ = 0;
  void run_change_hook(PendingChange c);
};

}  // namespace flatsign::slave
