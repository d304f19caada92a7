#include "slave/publisher.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "common/dns/rdata.hpp"
#include "common/dnssec/sign.hpp"
#include "common/dnssec/verify.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/hooks.hpp"
#include "common/util/json_text.hpp"
#include "common/util/log.hpp"
#include "common/util/progress.hpp"
#include "common/zone/zonefile.hpp"
#include "slave/change_json.hpp"
#include "slave/state.hpp"

namespace flatsign::slave {
using util::HookInput;
using util::HookWrite;
using util::LogLevel;
using util::run_hook;

namespace {
// The earliest RRSIG expiration in `z` (RFC 4034 §3.1.5, compared in RFC 1982 serial
// arithmetic); an unparseable RRSIG counts as expiring `now`; a zone without any gives now+2^31-1.
// Read from the block summaries (Zone::block_summary), not from every RRSIG: this runs after
// each publication and each poll.
uint32_t earliest_expiry(const zone::Zone& z, uint32_t now) {
  uint32_t earliest = now + 0x7fffffffu;
  for (size_t b = 0; b < z.block_count(); ++b) {
    const zone::BlockSummary& s = z.block_summary(b);
    if (s.malformed_rrsig && serial_gt(earliest, now)) earliest = now;
    if (s.any_rrsig && serial_gt(earliest, s.earliest_expiration)) earliest = s.earliest_expiration;
  }
  return earliest;
}

// A batch keeps at most this many records per side; the counts stay exact.
constexpr size_t kBatchRecords = 10'000;
// Signed zones below this many RRsets are written before they are served (Publisher::publish).
constexpr size_t kFileFirstRRsets = 2'000;
}  // namespace

Publisher::Publisher(const PublisherConfig& config, const dns::Name& zone,
                     const std::string& state_dir)
    : config_(config), zone_(zone), state_dir_(state_dir), zname_(zone.to_string()) {}

void Publisher::start_up(util::AtomicFileBatch* new_keys, bool new_state_dir) {
  auto keys =
      load_or_create_keys(state_dir_, zone_, config_.algorithm, new_keys, config_.key_dir,
                          config_.key_policy.mode == KeyPolicy::Mode::KskZskRoll, new_state_dir);
  try {
    key_set_ = key_set_at(keys, std::time(nullptr));
  } catch (const KeyScheduleError& e) {
    throw StateError(std::string("keys: ") + e.what());
  }
  signer_.store(make_signer(key_set_));
  auto last = new_state_dir ? nullptr : load_signed_zone(state_dir_, zone_);
  if (!new_state_dir) last_serial_ = load_last_serial(state_dir_, zone_, last.get());
  if (config_.journal.max_versions > 0) {
    journal_file_ =
        std::make_unique<xfr::JournalFile>(journal_path(state_dir_, zone_), config_.journal);
    try {
      journal_.store(journal_file_->load(last ? std::optional(last->serial()) : std::nullopt));
    } catch (const std::exception& e) {
      // Not fatal: without a journal every IXFR is answered in AXFR form.
      util::log(LogLevel::Warning, "slave", zname_, "IXFR journal not loaded: {}", e.what());
    }
  } else {
    std::error_code ec;
    std::filesystem::remove(journal_path(state_dir_, zone_), ec);  // stale
  }
  if (last) {
    signed_.store(last);
    util::log(LogLevel::Info, "slave", zname_, "serving the last signed zone, serial {}, {} RRs",
              last->serial(), last->rr_count());
    report_.earliest_expiry = earliest_expiry(*last, static_cast<uint32_t>(std::time(nullptr)));
    if (last_serial_ && serial_gt(*last_serial_, last->serial())) {
      util::log(LogLevel::Warning, "slave", zname_,
                "the signed zone file has serial {} but serial {} was served before a stop: "
                "re-signing it under a higher serial",
                last->serial(), *last_serial_);
      if (!publish(strip_signatures(*last), zone::Diff{}, "start-up", false))
        util::log(LogLevel::Error, "slave", zname_,
                  "could not re-sign the last zone; serving serial {} until the next transfer",
                  last->serial());
    }
  }
}

std::shared_ptr<const dnssec::ZoneSigner> Publisher::make_signer(const KeySet& set) const {
  dnssec::SignerOptions opts;
  opts.denial = config_.denial;
  opts.publish_cds = config_.cds != PublisherConfig::Cds::None;
  opts.cds_delete = config_.cds == PublisherConfig::Cds::Delete;
  opts.threads = config_.sign_threads;
  opts.timing.validity = signature_validity_;
  opts.timing.jitter = std::min<uint32_t>(86400, signature_validity_ / 10);
  opts.refresh_within = signature_refresh_;
  // Progress lines for a long sign. The log's state is made when a first line may be due: most
  // zones sign well within the interval, and with thousands of zones each state is ~200 octets.
  // The signer is used by this publisher alone, on its thread.
  opts.progress = [this](size_t done, size_t total, double seconds) {
    if (!progress_ && seconds < kProgressEvery) return;  // no line before kProgressEvery anyway
    if (!progress_)
      progress_ =
          std::make_unique<util::ProgressLog>("slave", zname_, "signing", "RRsets", kProgressEvery);
    (*progress_)(done, total, seconds);
  };
  opts.dnskey_ttl = config_.key_policy.dnskey_ttl;
  // The published keys that do not sign, and the CDS keys, as the timing says.
  for (const auto& rd : set.dnskeys)
    if (std::none_of(set.signing.begin(), set.signing.end(),
                     [&](const dnssec::DnssecKey& k) { return k.dnskey_rdata() == rd; }))
      opts.extra_dnskeys.push_back(rd);
  // Signing keys outside the DNSKEY RRset: an algorithm roll's (key_set_at allows no other).
  for (const auto& k : set.signing)
    if (!std::binary_search(set.dnskeys.begin(), set.dnskeys.end(), k.dnskey_rdata()))
      opts.unpublished_dnskeys.push_back(k.dnskey_rdata());
  opts.cds_dnskeys = set.cds;
  return std::make_shared<const dnssec::ZoneSigner>(set.signing, opts);
}

bool Publisher::rekey(const KeySet& set, const std::string& reason) {
  const bool same = set.same_as(key_set_);
  auto current = signed_.load();
  if (same && (!current || served_key_difference().empty())) return false;
  util::log(LogLevel::Info, "slave", zname_, "keys: {}: {}", reason, set.text());
  auto old_signer = signer_.load();
  const KeySet old_set = key_set_;
  signer_.store(make_signer(set));
  key_set_ = set;
  if (!current) return false;
  if (publish(strip_signatures(*current), zone::Diff{}, "keys", false)) return true;
  signer_.store(old_signer);  // alerted by publish(); served as before, tried again later
  key_set_ = old_set;
  return false;
}

std::string Publisher::served_key_difference() const {
  auto current = signed_.load();
  if (!current || current->nodes().empty()) return "";
  const zone::Node& apex = current->nodes().front();
  auto rdatas = [&](dns::RRType t) {
    const dns::RRset* rs = apex.find(t);
    std::vector<dns::Rdata> v = rs ? rs->rdatas.to_vector() : std::vector<dns::Rdata>{};
    std::sort(v.begin(), v.end());
    return v;
  };
  if (rdatas(dns::RRType::DNSKEY) != key_set_.dnskeys) return "DNSKEY RRset";
  if (config_.cds == PublisherConfig::Cds::Publish) {
    std::vector<dns::Rdata> cds = rdatas(dns::RRType::CDNSKEY);
    if (cds != key_set_.cds) return "CDS/CDNSKEY";
  }
  // The SOA's signers against the signing keys (both SEP and not: a CSK signs it).
  std::vector<uint16_t> want, have;
  const bool has_zsk = std::any_of(key_set_.signing.begin(), key_set_.signing.end(),
                                   [](const dnssec::DnssecKey& k) { return !k.is_sep(); });
  for (const auto& k : key_set_.signing)
    if (!has_zsk || !k.is_sep()) want.push_back(k.tag);
  if (const dns::RRset* sigs = apex.find(dns::RRType::RRSIG))
    for (const auto& sig : sigs->rdatas)
      if (sig.size() >= 18 && dnssec::rrsig_covered(sig) == dns::RRType::SOA)
        have.push_back(static_cast<uint16_t>((sig[16] << 8) | sig[17]));
  std::sort(want.begin(), want.end());
  std::sort(have.begin(), have.end());
  if (want != have) return "signing keys";
  return "";
}

void Publisher::key_alert(std::string_view reason, const std::string& detail) {
  ++counters_.refused;
  report_.refusal = reason;
  report_.refusal_detail = detail;
  util::log(LogLevel::Warning, "slave", zname_, "keys: {}: {}", reason, detail);
  raise_alert(reason, detail, "keys");
}

std::shared_ptr<const zone::Zone> Publisher::served_unsigned() const {
  auto current = signed_.load();
  return current ? strip_signatures(*current) : nullptr;
}

std::vector<std::string> Publisher::ds_lines() const {
  std::vector<std::string> out;
  const auto signer = signer_.load();
  const auto& unpublished = signer->options().unpublished_dnskeys;  // an algorithm roll's
  for (const auto& k : signer->keys()) {
    if (!k.is_sep() ||
        std::find(unpublished.begin(), unpublished.end(), k.dnskey_rdata()) != unpublished.end())
      continue;
    out.push_back(fmt::format("{}\t{}\tIN\tDS\t{}", zname_, 3600,
                              dns::rdata_to_text(dns::RRType::DS, k.ds_rdata())));
  }
  return out;
}

void Publisher::alert(std::string_view reason, const std::string& detail,
                      const std::string& master) {
  ++counters_.refused;
  report_.refusal = reason;
  report_.refusal_detail = detail;
  util::log(LogLevel::Warning, "slave", zname_, "transfer from {} refused: {}: {}", master, reason,
            detail);
  raise_alert(reason, detail, master);
}

void Publisher::raise_alert(std::string_view reason, const std::string& detail,
                            const std::string& master) {
  raise_alert_at(reason, detail, master, last_serial_);
}

void Publisher::raise_alert_at(std::string_view reason, const std::string& detail,
                               const std::string& master, std::optional<uint32_t> serial) const {
  const std::string r(reason);
  std::string json = fmt::format(
      "{{\"zone\":{},\"verdict\":{},\"detail\":{},\"master\":{},\"serial\":{},\"time\":{}}}\n",
      util::json_string(zname_), util::json_string(r), util::json_string(detail),
      util::json_string(master), serial ? std::to_string(*serial) : "null",
      util::json_string(iso_time(std::time(nullptr))));
  run_hook(config_.on_alert, std::move(json),
           {{"FLATSIGN_EVENT", "alert"},
            {"FLATSIGN_ZONE", zname_},
            {"FLATSIGN_VERDICT", r},
            {"FLATSIGN_DETAIL", detail},
            {"FLATSIGN_MASTER", master}},
           "on-alert", zname_);
}

bool Publisher::handle(CheckResult result, const std::string& master) {
  switch (result.verdict) {
    case Verdict::Unchanged:
      ++counters_.unchanged;
      util::log(LogLevel::Debug, "slave", zname_, "transfer from {}: unchanged (master serial {})",
                master, result.serial);
      return false;
    case Verdict::Accepted:
      return publish(result.zone, result.diff, master);
    default:
      alert(verdict_name(result.verdict), result.detail, master);
      return false;
  }
}

bool Publisher::refresh_signatures() {
  auto current = signed_.load();
  if (!current) return false;
  const auto now = static_cast<uint32_t>(std::time(nullptr));
  const uint32_t horizon = now + signer_.load()->options().refresh_within;
  const uint32_t earliest = earliest_expiry(*current, now);
  report_.earliest_expiry = earliest;
  if (serial_gt(earliest, horizon)) {
    check_expiry(false, now, earliest);
    return false;
  }
  util::log(LogLevel::Info, "slave", zname_, "signatures expire within {} s: refreshing",
            signer_.load()->options().refresh_within);
  const bool done = publish(strip_signatures(*current), {}, "refresh", false);
  check_expiry(!done, now, report_.earliest_expiry);  // publish() set the new zone's
  return done;
}

void Publisher::check_expiry(bool failed, uint32_t now, uint32_t earliest) {
  // RFC 1982 distance; negative: already expired.
  const auto left = static_cast<int32_t>(earliest - now);
  if (!failed && left > 0 && static_cast<uint32_t>(left) > config_.expiry_alert) {
    next_expiry_alert_ = 0;  // healthy: the next episode alerts at once
    return;
  }
  if (next_expiry_alert_ != 0 && serial_gt(next_expiry_alert_, now)) return;
  next_expiry_alert_ = now + 3600;
  std::string detail = fmt::format("earliest RRSIG expires at {} (in {} s){}",
                                   iso_time(static_cast<std::time_t>(now) + left), left,
                                   failed ? "; refreshing them failed" : "");
  util::log(LogLevel::Warning, "slave", zname_, "signatures-expiring: {}", detail);
  raise_alert("signatures-expiring", detail, "refresh");
}

namespace {

// Each phase's wall time goes into the publication's log line: the latency budget is the sum.
class PhaseClock {
 public:
  double lap() {
    const auto t = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(t - mark_).count();
    mark_ = t;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point mark_ = std::chrono::steady_clock::now();
};

}  // namespace

bool Publisher::publish(const std::shared_ptr<const zone::Zone>& transferred_zone,
                        const zone::Diff& change, const std::string& master, bool content) {
  const zone::Zone& transferred = *transferred_zone;
  const std::time_t now = std::time(nullptr);
  PhaseClock clock;
  const uint32_t serial =
      next_serial(config_.serial_policy, last_serial_, now, transferred.serial());
  auto new_unsigned = with_serial(transferred, serial);  // shares all but the apex block
  auto previous = signed_.load();

  auto signed_step = sign(previous, new_unsigned, master);
  if (!signed_step) return false;
  const dnssec::SignResult& sr = signed_step->result;
  const bool incremental = signed_step->incremental;
  const double sign_s = clock.lap();
  if (!verify(*sr.zone, incremental ? previous.get() : nullptr, now, master)) return false;
  const double verify_s = clock.lap();
  // A small zone's file is written before the swap: it records the serial as well, which saves
  // the .serial file's own write (two fsyncs, most of a small zone's publication). A large one
  // is served first and written after (86 MB at 100k names: about a second), its serial stored
  // before anything is served, so that a restart can always serve a higher one.
  const bool file_first = sr.zone->rrset_count() < kFileFirstRRsets;
  try {
    if (file_first) {
      // A larger version's file still being written would land after this one.
      drop_file_writes();
      write_zone_file(*sr.zone);
    } else {
      store_last_serial(state_dir_, zone_, serial);
    }
  } catch (const std::exception& e) {
    alert("write-failed", e.what(), master);
    return false;
  }
  if (journal_file_ && previous) append_journal(*previous, *sr.zone, serial);
  const double journal_s = clock.lap();
  // Served from here on; a large zone's file below is written after, off the latency path.
  // start_up() covers a crash in between.
  const std::optional<uint32_t> old_serial = last_serial_;
  const bool first_publication = previous == nullptr;
  last_serial_ = serial;
  signed_.store(sr.zone);
  verified_ = sr.zone;
  if (on_swap_) on_swap_();
  const double swap_s = clock.lap();
  if (!file_first && first_publication) {
    // The first file is waited for: until it exists a restart has nothing to serve. Printed on
    // the signing threads, which are idle until it is written.
    try {
      write_zone_file(*sr.zone, config_.sign_threads);
    } catch (const std::exception& e) {
      // The zone is published and served; only the copy on disk is missing (a restart
      // transfers and signs it again).
      alert("write-failed", e.what(), master);
    }
  } else if (!file_first) {
    write_file_later(sr.zone, master);
  }
  const double write_s = clock.lap();
  ++counters_.published;
  report_.published = true;
  report_.incremental = incremental;
  report_.sign_seconds = sr.stats.seconds;
  report_.earliest_expiry = earliest_expiry(*sr.zone, static_cast<uint32_t>(now));
  util::log(LogLevel::Info, "slave", zname_,
            "published serial {} from {}: {} added, {} removed; {} sign ({}), {} RRsets signed, {} "
            "reused, {:.3f} s (diff + sign {:.3f} s, verify {:.3f} s, journal {:.3f} s, swap "
            "{:.3f} s, file {:.3f} s)",
            serial, master, change.added_count(), change.removed_count(),
            dnssec::to_string(sr.stats.choice.mode), sr.stats.choice.reason, sr.stats.rrsets_signed,
            sr.stats.rrsets_reused, sr.stats.seconds, sign_s, verify_s, journal_s, swap_s, write_s);

  if (!content || config_.on_change.empty()) return true;
  if (first_publication) {
    run_first_change_hook(transferred_zone, change, master, old_serial, serial, now);
  } else {
    batch_change(change, master, old_serial, serial, transferred.serial());
    flush_change_hook();
  }
  return true;
}

std::optional<Publisher::SignStep> Publisher::sign(
    const std::shared_ptr<const zone::Zone>& previous,
    const std::shared_ptr<const zone::Zone>& next, const std::string& master) {
  try {
    // The published log line gives the mode that signed and why (SignStats::choice).
    const auto signer = signer_.load();
    const dnssec::SigningChoice choice = signer->choose(previous.get(), *next);
    if (choice.mode != dnssec::SigningMode::Full) {
      // The previous content is read from the signed zone itself, skipping what the signer
      // added: keeping an unsigned copy beside it cost a third of the signed zone's memory.
      zone::Diff d = zone::diff_zones(*previous, *next, {.skip_type = is_signer_owned});
      return SignStep{signer->sign_incremental(*previous, *next, d), true};
    }
    dnssec::SignResult full = signer->sign_full(*next);
    full.stats.choice = choice;
    return SignStep{std::move(full), false};
  } catch (const std::exception& e) {
    alert("sign-failed", e.what(), master);
    return std::nullopt;
  }
}

bool Publisher::verify(const zone::Zone& signed_zone, const zone::Zone* patched_from,
                       std::time_t now, const std::string& master) {
  // A patch of the zone this process verified last needs only its changed signatures checked.
  const zone::Zone* verified_before =
      patched_from && patched_from == verified_.get() ? patched_from : nullptr;
  // Every zone of the process is signed by the same code: a kind of signature checked in one
  // zone is not checked again in the next (each zone's keys still are).
  static dnssec::CheckedKinds checked_kinds;
  auto verdict = dnssec::verify_zone(
      signed_zone, {.now = now,
                    .threads = config_.sign_threads,
                    .verified_before = verified_before,
                    .mode = config_.verify,
                    .unpublished_dnskeys = signer_.load()->options().unpublished_dnskeys,
                    .checked_kinds = &checked_kinds});
  if (!verdict.ok()) {
    alert("verify-failed", verdict.summary(3), master);
    return false;
  }
  util::log(LogLevel::Debug, "slave", zname_, "verify ({}): {}", dnssec::to_string(config_.verify),
            verdict.summary());
  // Foreign DNSKEYs the verifier could not use: said once while they stay the same.
  if (verdict.warnings != verify_warnings_) {
    for (const auto& w : verdict.warnings)
      util::log(LogLevel::Warning, "slave", zname_, "verify: {}", w);
    verify_warnings_ = verdict.warnings;
  }
  return true;
}

Publisher::~Publisher() {
  // The newest zone's file is finished before the process goes on (a stop, a zone removed).
  if (!file_writer_) return;
  std::thread writer;
  {
    std::lock_guard lock(file_writer_->mu);
    writer = std::move(file_writer_->thread);
  }
  if (writer.joinable()) writer.join();
}

void Publisher::drop_file_writes() {
  if (!file_writer_) return;
  std::thread writer;
  {
    std::lock_guard lock(file_writer_->mu);
    file_writer_->next.reset();
    writer = std::move(file_writer_->thread);
  }
  if (writer.joinable()) writer.join();
}

void Publisher::write_file_later(std::shared_ptr<const zone::Zone> signed_zone,
                                 const std::string& master) {
  if (!file_writer_) file_writer_ = std::make_unique<FileWriter>();
  std::thread finished;
  {
    std::lock_guard lock(file_writer_->mu);
    file_writer_->next = std::move(signed_zone);
    file_writer_->master = master;
    if (file_writer_->running) return;  // the running writer takes it next
    file_writer_->running = true;
    finished = std::move(file_writer_->thread);  // ended, or about to: it cleared `running`
    file_writer_->thread = std::thread([this] { write_files(); });
  }
  if (finished.joinable()) finished.join();
}

void Publisher::write_files() {
  for (;;) {
    std::shared_ptr<const zone::Zone> zone;
    std::string master;
    {
      std::lock_guard lock(file_writer_->mu);
      if (!file_writer_->next) {
        file_writer_->running = false;
        return;
      }
      zone = std::move(file_writer_->next);
      master = std::move(file_writer_->master);
    }
    if (on_background_write_) on_background_write_();
    const auto t0 = std::chrono::steady_clock::now();
    try {
      write_zone_file(*zone);
      util::log(LogLevel::Debug, "slave", zname_, "zone file written: serial {} in {:.3f} s",
                zone->serial(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } catch (const std::exception& e) {
      // The zone is published and served; only the copy on disk is stale (a restart re-signs
      // it under a higher serial). Said from this thread: the hook runner is thread-safe, the
      // publication's counters are not touched.
      util::log(LogLevel::Warning, "slave", zname_, "zone file for serial {}: {}", zone->serial(),
                e.what());
      raise_alert_at("write-failed", e.what(), master, zone->serial());
    }
  }
}

void Publisher::write_zone_file(const zone::Zone& signed_zone, unsigned threads) const {
  // Streamed piece by piece (~2 MB each): the whole text at once was the publication's largest
  // allocation (~90 MB at 100k names, and twice that while the string grew).
  util::write_file_atomically(signed_zone_path(state_dir_, zone_), 0644,
                              [&](const util::AtomicFileWrite& write) {
                                zone::print_zone_pieces(signed_zone, threads, write);
                              });
}

void Publisher::append_journal(const zone::Zone& previous, const zone::Zone& next,
                               uint32_t serial) {
  // Before the swap, so a reader never sees a zone newer than the journal's end; a crash before
  // the zone file is written leaves a journal that does not end at the file's serial, which
  // start_up() drops (IXFR then falls back to AXFR form).
  try {
    const auto t0 = std::chrono::steady_clock::now();
    auto step = xfr::make_journal_entry(previous, next, config_.journal.max_bytes);
    if (!step) {
      // A re-sign of much of a large zone (a key roll step, a new denial chain): no journal
      // keeps it, and IXFR is answered in AXFR form until the next step.
      journal_.store(journal_file_->reset());
      util::log(LogLevel::Info, "slave", zname_,
                "IXFR journal: step {} -> {} is over the journal's {} octets: not kept",
                previous.serial(), serial, config_.journal.max_bytes);
      return;
    }
    const size_t removed = step->removed.size(), added = step->added.size();
    journal_.store(journal_file_->append(std::move(*step)));
    util::log(LogLevel::Debug, "slave", zname_,
              "IXFR journal: step {} -> {} ({} removed, {} added) in {:.3f} s; {} steps kept",
              previous.serial(), serial, removed, added,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
              journal_.load()->entries.size());
  } catch (const std::exception& e) {
    journal_.store(journal_file_->current());
    util::log(LogLevel::Warning, "slave", zname_,
              "IXFR journal: {}; IXFR is answered in AXFR form until the next publication",
              e.what());
  }
}

void Publisher::batch_change(const zone::Diff& change, const std::string& master,
                             std::optional<uint32_t> old_serial, uint32_t serial,
                             uint32_t master_serial) {
  // Merged into the pending run, which goes out when hook_min_interval allows.
  if (!pending_change_) {
    pending_change_ = std::make_unique<PendingChange>();
    pending_change_->old_serial = old_serial;
  }
  PendingChange& p = *pending_change_;
  p.new_serial = serial;
  p.master_serial = master_serial;
  p.master = master;
  ++p.publications;
  for (bool side : {true, false}) {
    std::string& list = side ? p.added : p.removed;
    size_t& count = side ? p.added_count : p.removed_count;
    const size_t n = side ? change.added_count() : change.removed_count();
    if (count + n > kBatchRecords) {
      p.truncated = true;
    } else if (n > 0) {
      list += (list.empty() ? "" : ",") + json_record_items(change, side);
    }
    count += n;
  }
}

void Publisher::run_first_change_hook(const std::shared_ptr<const zone::Zone>& transferred,
                                      const zone::Diff& change, const std::string& master,
                                      std::optional<uint32_t> old_serial, uint32_t serial,
                                      std::time_t now) {
  // old_serial: a serial stored by an earlier process whose zone could not be served.
  const std::string old_text = old_serial ? std::to_string(*old_serial) : "";
  std::string head = fmt::format(
      "{{\"zone\":{},\"old_serial\":{},\"new_serial\":{},\"master_serial\":{},\"master\":{},"
      "\"added\":",
      util::json_string(zname_), old_serial ? old_text : "null", serial, transferred->serial(),
      util::json_string(master));
  std::string tail = ",\"removed\":[" + json_record_items(change, false) + "]" +
                     ",\"time\":" + util::json_string(iso_time(now)) + "}\n";
  // Every record: written piece by piece on the hook's thread, which keeps the zone alive.
  HookInput json = [head = std::move(head), tail = std::move(tail),
                    zone = transferred](const HookWrite& write) {
    if (write(head) && write("[") && write_json_record_items(*zone, write) && write("]"))
      write(tail);
  };
  run_hook(config_.on_change, std::move(json),
           {{"FLATSIGN_EVENT", "change"},
            {"FLATSIGN_ZONE", zname_},
            {"FLATSIGN_OLD_SERIAL", old_text},
            {"FLATSIGN_NEW_SERIAL", std::to_string(serial)},
            {"FLATSIGN_ADDED", std::to_string(transferred->rr_count())},
            {"FLATSIGN_REMOVED", std::to_string(change.removed_count())},
            {"FLATSIGN_MASTER", master}},
           "on-change", zname_, on_hook_done_);
}

void Publisher::set_signature_timing(uint32_t validity, uint32_t refresh) {
  if (validity == signature_validity_ && refresh == signature_refresh_) return;
  signature_validity_ = validity;
  signature_refresh_ = refresh;
  signer_.store(make_signer(key_set_));  // same keys, the new timing
}

void Publisher::flush_change_hook() {
  if (!pending_change_) return;
  const std::time_t now = std::time(nullptr);
  if (config_.hook_min_interval != 0) {
    const double burst = std::max<uint32_t>(1, config_.hook_burst);
    if (hook_tokens_ < 0) {
      hook_tokens_ = burst;
    } else {
      hook_tokens_ = std::min(
          burst, hook_tokens_ + double(now - hook_refilled_) / double(config_.hook_min_interval));
    }
    hook_refilled_ = now;
    if (hook_tokens_ < 1) {
      util::log(LogLevel::Debug, "hook", zname_, "on-change batched: {} publication(s) pending",
                pending_change_->publications);
      return;
    }
    hook_tokens_ -= 1;
  }
  run_change_hook(std::move(*std::exchange(pending_change_, nullptr)));
}

void Publisher::run_change_hook(PendingChange c) {
  const std::string old_text = c.old_serial ? std::to_string(*c.old_serial) : "null";
  // The same document as for one publication; `publications` says how many it sums up (their
  // records in order: one added then removed appears in both lists).
  std::string json = fmt::format(
      "{{\"zone\":{},\"old_serial\":{},\"new_serial\":{},\"master_serial\":{},\"master\":{},"
      "\"added\":[{}],\"removed\":[{}],\"publications\":{},\"truncated\":{},\"time\":{}}}\n",
      util::json_string(zname_), old_text, c.new_serial, c.master_serial,
      util::json_string(c.master), c.added, c.removed, c.publications,
      c.truncated ? "true" : "false", util::json_string(iso_time(std::time(nullptr))));
  run_hook(config_.on_change, std::move(json),
           {{"FLATSIGN_EVENT", "change"},
            {"FLATSIGN_ZONE", zname_},
            {"FLATSIGN_OLD_SERIAL", c.old_serial ? std::to_string(*c.old_serial) : ""},
            {"FLATSIGN_NEW_SERIAL", std::to_string(c.new_serial)},
            {"FLATSIGN_ADDED", std::to_string(c.added_count)},
            {"FLATSIGN_REMOVED", std::to_string(c.removed_count)},
            {"FLATSIGN_PUBLICATIONS", std::to_string(c.publications)},
            {"FLATSIGN_MASTER", c.master}},
           "on-change", zname_);
}

}  // namespace flatsign::slave
