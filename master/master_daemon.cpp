#include "master/master_daemon.hpp"

#include <sys/stat.h>

#include <csignal>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/rdata.hpp"
#include "common/net/address.hpp"
#include "common/net/notify.hpp"
#include "common/net/spawn.hpp"
#include "common/util/hooks.hpp"
#include "common/util/log.hpp"
#include "common/xfr/journal.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zonefile.hpp"
#include "master/alias_limits.hpp"

namespace flatsign::master {
namespace asio = boost::asio;
using util::LogLevel;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

net::ResolverOptions resolver_options(const MasterConfig& c) {
  net::ResolverOptions o;
  o.servers = c.resolvers;
  o.timeout = c.resolver_timeout;
  return o;
}

// The zones whose series are registered at start-up: the configured ones and the catalog.
std::vector<ZoneSource> metric_zones(const MasterConfig& c) {
  std::vector<ZoneSource> zones = c.zones;
  if (c.catalog.name) {
    ZoneSource catalog;
    catalog.origin = *c.catalog.name;
    zones.push_back(std::move(catalog));
  }
  return zones;
}

// IXFR out (RFC 1995 §4): the journal of `current` with the step to `next` appended, keeping the
// last JournalLimits{} versions, so a slave asking IXFR gets what changed, not the zone. Null
// (IXFR answered in AXFR form) before the first version and when the serial did not go forward.
std::shared_ptr<const xfr::Journal> next_journal(const server::ServedZone& current,
                                                 const zone::Zone& next) {
  if (!current.zone || static_cast<int32_t>(next.serial() - current.zone->serial()) <= 0)
    return nullptr;
  auto j = std::make_shared<xfr::Journal>();
  const xfr::JournalLimits limits;
  auto entry = xfr::make_journal_entry(*current.zone, next, limits.max_bytes);
  if (!entry) return j;  // too large a step to keep: IXFR in AXFR form until the next one
  if (current.journal && current.journal->last_serial() == current.zone->serial())
    *j = *current.journal;
  auto step = std::make_shared<const xfr::JournalEntry>(std::move(*entry));
  j->bytes += step->wire_size();
  j->entries.push_back(std::move(step));
  while (j->entries.size() > limits.max_versions || j->bytes > limits.max_bytes) {
    j->bytes -= j->entries.front()->wire_size();
    j->entries.erase(j->entries.begin());
  }
  return j;
}

std::shared_ptr<const server::ServedZone> not_loaded(
    const dns::Name& origin, std::shared_ptr<const server::TransferAccess> access) {
  auto served = std::make_shared<server::ServedZone>();
  served->origin = origin;
  served->access = std::move(access);
  return served;
}
}  // namespace

bool serial_gt(uint32_t a, uint32_t b) {
  return a != b && ((a > b && a - b < (1u << 31)) || (a < b && b - a > (1u << 31)));
}

uint32_t next_serial(uint32_t file_serial, uint32_t last_served) {
  if (serial_gt(file_serial, last_served)) return file_serial;
  uint32_t n = last_served + 1;  // RFC 1982 §3.1 addition (wraps mod 2^32)
  return n == 0 ? 1 : n;         // serial 0 confuses some secondaries; skip it
}

MasterDaemon::MasterDaemon(asio::io_context& io, MasterConfig config)
    : io_(io),
      config_(std::move(config)),
      metrics_(registry_, metric_zones(config_), config_.alias.defaults.policy),
      resolver_(io.get_executor(), resolver_options(config_)),
      expander_(resolver_, config_.alias),
      listener_(io, [this](const net::Request& r, net::Responses& o) { handle(r, o); }) {
  policy_.transfer_acl = config_.allow_transfer;
  policy_.keys = config_.keys;
  policy_.transfer_requires_tsig = config_.transfer_requires_tsig;
  for (const auto& k : config_.keys) tsig_reserve_ = std::max(tsig_reserve_, dns::tsig_space(k));
  for (const auto& z : config_.zones) slots_.emplace(z.origin, make_slot(z));
  // Local targets: the loaded source of the served zone holding a name (io thread only, as is
  // the expander).
  expander_.set_local_zones([this](const dns::Name& name) -> std::shared_ptr<const zone::Zone> {
    for (dns::Name n = name;; n = n.parent()) {
      auto it = slots_.find(n);
      if (it != slots_.end()) return it->second->removed ? nullptr : it->second->source;
      if (n.is_root()) return nullptr;
    }
  });
  unflattened_ = slots_.size();
  catalog_.name = config_.catalog.name;
  if (catalog_.name) catalog_.served->store(not_loaded(*catalog_.name, nullptr));
  catalog_.wake = std::make_unique<asio::steady_timer>(io_);
  publish_directory();
}

MasterDaemon::~MasterDaemon() = default;

std::shared_ptr<MasterDaemon::Slot> MasterDaemon::make_slot(const ZoneSource& source) const {
  auto slot = std::make_shared<Slot>();
  slot->source_cfg = source;
  slot->wake = std::make_unique<asio::steady_timer>(io_);
  slot->damper.set_min_interval(source.min_serial_interval);
  slot->served->store(not_loaded(source.origin, source.access));
  if (!config_.state_dir.empty()) {
    try {
      slot->stored = read_stored_serial(config_.state_dir, source.origin);
    } catch (const std::exception& e) {
      slot->state_error = e.what();
      util::log(LogLevel::Error, "master", source.origin.to_string(), "{}", e.what());
    }
  }
  return slot;
}

void MasterDaemon::publish_directory() {
  auto dir = std::make_shared<Directory>();
  for (const auto& [origin, slot] : slots_) dir->emplace_hint(dir->end(), origin, slot->served);
  if (catalog_.name) dir->emplace(*catalog_.name, catalog_.served);
  directory_.store(std::move(dir));
}

std::string MasterDaemon::load_one(Slot& slot, bool initial, bool* skipped) {
  std::string err = load_file(slot, initial, skipped);
  slot.last_reload_error = err;
  slot.last_reload_at = std::chrono::system_clock::now();
  if (!initial) {
    const ZoneMetrics& m = metrics_.zone(slot.source_cfg.origin);
    (err.empty() ? m.reload_ok : m.reload_failed)->inc();
  }
  return err;
}

std::string MasterDaemon::load_file(Slot& slot, bool initial, bool* skipped) {
  // Stamped before reading: a file changed while it is read gets a new stamp, read next time.
  std::optional<FileStamp> stamp;
  struct stat st {};
  if (::stat(slot.source_cfg.path.c_str(), &st) == 0) {
    stamp = FileStamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                      static_cast<uint64_t>(st.st_size),
                      static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
  if (!initial && slot.source && stamp && slot.stamp == stamp) {
    if (skipped != nullptr) *skipped = true;
    return {};
  }
  const std::string zname = slot.source_cfg.origin.to_string();
  try {
    zone::ZoneFileStats stats;
    auto result = zone::load_zone(slot.source_cfg.path, slot.source_cfg.origin, {}, &stats);
    auto limits =
        check_alias_limits(*result.zone, slot.source_cfg.path, slot.source_cfg.alias_allow,
                           slot.source_cfg.alias_max_targets);
    if (!limits.empty()) {
      std::string all;
      for (const auto& l : limits) all += (all.empty() ? "" : "; ") + l;
      return all;
    }
    slot.stamp = stats.files == 1 ? stamp : std::nullopt;
    for (const auto& w : result.warnings) {
      util::log(LogLevel::Warning, "zone", zname, "{}", w.to_string());
    }
    if (slot.source && !initial) {
      zone::Diff d = zone::diff_zones(*slot.source, *result.zone);
      if (d.empty()) {
        util::log(LogLevel::Info, "zone", zname, "reloaded {}: unchanged", slot.source_cfg.path);
        return {};
      }
      util::log(LogLevel::Info, "zone", zname, "reloaded {}: {} added, {} removed",
                slot.source_cfg.path, d.added_count(), d.removed_count());
    }
    slot.source = result.zone;
    slot.source_changed = true;
    return {};
  } catch (const zone::ZoneError& e) {
    std::string all;
    for (const auto& i : e.issues()) all += (all.empty() ? "" : "; ") + i.to_string();
    return all;
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::vector<std::string> MasterDaemon::load_all() {
  std::vector<std::string> errors;
  for (auto& [origin, slot] : slots_) {
    std::string err = load_one(*slot, true);
    if (!err.empty()) errors.push_back(origin.to_string() + ": " + err);
    if (!slot->state_error.empty())
      errors.push_back(origin.to_string() + ": state-dir: " + slot->state_error);
  }
  std::string cat = check_catalog();
  if (!cat.empty()) errors.push_back("catalog " + catalog_.name->to_string() + ": " + cat);
  return errors;
}

void MasterDaemon::start() {
  for (const auto& ep : config_.listen) listener_.listen(ep);
  if (config_.http) {
    http_ = std::make_unique<net::HttpStatusServer>(
        io_, registry_,
        [this](std::string_view) -> std::optional<std::string> { return status_json(); });
    http_->listen(*config_.http);
  }
  for (auto& [origin, slot] : slots_) {
    net::spawn_logged(io_.get_executor(), zone_loop(slot), "master",
                      "refresh loop of " + origin.to_string());
  }
  net::spawn_logged(io_.get_executor(), catalog_loop(), "catalog", "catalog upkeep");
  net::spawn_logged(io_.get_executor(), signal_loop(), "master", "signal handling");
}

void MasterDaemon::reload() {
  std::set<dns::Name> added;
  if (config_source_) {
    MasterConfig fresh;
    std::vector<std::string> errors = config_source_(fresh);
    if (errors.empty()) {
      (void)apply_config(std::move(fresh), added);
    } else {
      std::string all;
      for (const auto& e : errors) all += (all.empty() ? "" : "; ") + e;
      util::log(LogLevel::Error, "master", "",
                "configuration not applied, keeping the running one: {}", all);
    }
  }
  std::vector<std::shared_ptr<Slot>> files;
  for (auto& [origin, slot] : slots_)
    if (!added.count(origin)) files.push_back(slot);  // the added ones were just loaded
  net::spawn_logged(io_.get_executor(), reread_files(std::move(files), !added.empty()), "master",
                    "zone file re-read");
}

asio::awaitable<void> MasterDaemon::reread_files(std::vector<std::shared_ptr<Slot>> files,
                                                 bool any_changed) {
  size_t skipped = 0, done = 0;
  for (const auto& slot : files) {
    // In steps, the io thread free between them: the stat of 10,000 files takes a while, and
    // the zones the SIGHUP added are listed in the catalog meanwhile.
    if (++done % 500 == 0) co_await asio::post(io_.get_executor(), asio::use_awaitable);
    if (stopping_) co_return;
    if (slot->removed) continue;
    bool same = false;
    std::string err = load_one(*slot, false, &same);
    skipped += same;
    if (!err.empty()) {
      util::log(LogLevel::Error, "zone", slot->source_cfg.origin.to_string(),
                "reload failed, keeping the old zone: {}", err);
      continue;
    }
    if (slot->source_changed) {
      slot->wake->cancel();
      any_changed = true;
    }
  }
  // A zone whose ALIAS points into a reloaded zone is flattened again now, not at its next TTL.
  if (any_changed)
    for (auto& [origin, slot] : slots_)
      if (slot->source && !slot->source_changed && expander_.has_local_targets(*slot->source))
        slot->wake->cancel();
  if (skipped > 0)
    util::log(LogLevel::Info, "master", "",
              "{} zone file(s) not re-read: unchanged on disk since their last load", skipped);
}

void MasterDaemon::stop() {
  stopping_ = true;
  listener_.stop();
  if (http_) http_->stop();
  for (auto& [origin, slot] : slots_) slot->wake->cancel();
  catalog_.wake->cancel();
}

asio::awaitable<void> MasterDaemon::signal_loop() {
  asio::signal_set signals(io_, SIGHUP, SIGINT, SIGTERM);
  while (!stopping_) {
    auto [ec, sig] = co_await signals.async_wait(kTuple);
    if (ec) co_return;
    if (sig == SIGHUP) {
      util::log(LogLevel::Info, "master", "", "SIGHUP: reloading {}zone files",
                config_source_ ? "the configuration and " : "");
      reload();
      continue;
    }
    util::log(LogLevel::Info, "master", "", "signal {}: shutting down", sig);
    stop();
    io_.stop();  // open TCP sessions and NOTIFY retries are abandoned, not waited for
    co_return;
  }
}

asio::awaitable<void> MasterDaemon::zone_loop(std::shared_ptr<Slot> held) {
  Slot& slot = *held;  // `held` keeps it alive after a reload drops it from slots_
  while (!stopping_ && !slot.removed) {
    if (slot.source) {
      auto source = slot.source;  // reload may swap it while we resolve
      co_await expander_.refresh(*source);
      if (stopping_ || slot.removed) co_return;
      if (source == slot.source) {
        bool first_attempt = !slot.latest;
        publish(slot, expander_.expand(*source, Clock::now()));
        if (first_attempt) {
          // Listed once flattened (master_catalog.cpp); the last zone awaited wakes the catalog.
          --unflattened_;
          request_catalog();
          if (unflattened_ == 0) catalog_.wake->cancel();
        }
      }
    }
    auto now = Clock::now();
    auto next =
        slot.source ? expander_.next_refresh(*slot.source, now) : now + config_.alias.max_refresh;
    if (auto hold_end = slot.damper.held_until()) next = std::min(next, *hold_end);
    if (next < now + std::chrono::milliseconds(50)) next = now + std::chrono::milliseconds(50);
    slot.wake->expires_at(next);
    (void)co_await slot.wake->async_wait(kTuple);  // cancelled by reload(): go at once
  }
}

void MasterDaemon::publish(Slot& slot, const Expansion& ex) {
  const std::string zname = slot.source_cfg.origin.to_string();
  auto current = slot.served->load();
  slot.latest = ex;
  raise_alerts(slot, ex);
  size_t failing = 0;
  for (const AliasResult& a : ex.aliases) failing += a.failure.empty() ? 0 : 1;
  metrics_.alias_failures(failing);
  if (!ex.failure.empty()) {
    serve_transfer_failure(slot, *current, ex.failure);
    return;
  }
  for (const AliasResult& a : ex.aliases) {
    if (!a.failure.empty()) {
      util::log(LogLevel::Warning, "alias", zname, "ALIAS {} -> {}: {} ({})", a.owner.to_string(),
                a.target.to_string(), a.failure, a.left_out ? "left out" : "stale data used");
    }
  }
  bool changed = slot.source_changed || !slot.last_expansion ||
                 !slot.last_expansion->same_content(ex) || !current->zone;
  if (!changed) {
    slot.damper.withdraw();  // back to what is served: nothing to publish
    if (!current->transfer_failure.empty()) {
      auto ok = std::make_shared<server::ServedZone>(*current);
      ok->transfer_failure.clear();
      slot.served->store(std::move(ok));
      slot.last_failure.clear();
      util::log(LogLevel::Info, "alias", zname, "flattening recovered, serial {}",
                current->zone->serial());
    }
    return;
  }
  // Only upstream-driven serials are damped: the first publication and a changed zone file
  // (an operator's deliberate, rare act, who expects it served now) go at once, carry any held
  // upstream change with them, and do not start an interval.
  auto now = Clock::now();
  const bool upstream_driven = !slot.source_changed && current->zone && !local_change(slot, ex);
  const bool was_held = slot.damper.held_until().has_value();
  if (upstream_driven && !slot.damper.may_publish(now)) {
    if (!was_held) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(*slot.damper.held_until() - now);
      util::log(LogLevel::Info, "master", zname,
                "content changed, next serial held {} ms (min-serial-interval {} s)", wait.count(),
                slot.source_cfg.min_serial_interval.count());
    }
    return;
  }
  auto t0 = Clock::now();
  std::shared_ptr<const zone::Zone> flat = build_serial(slot, ex);
  if (!flat) return;
  const uint32_t serial = flat->serial();
  auto served = serving_form(slot, *current, flat);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  slot.served->store(served);
  if (upstream_driven) {
    slot.damper.published(now);
  } else {
    slot.damper.withdraw();
  }
  const ZoneMetrics& zm = metrics_.zone(slot.source_cfg.origin);
  zm.serial->set(serial);
  zm.rebuilds->inc();
  bool first = !slot.last_serial;
  if (!first && !slot.source_cfg.on_change.empty() && current->zone && slot.last_expansion) {
    const std::string zn = slot.source_cfg.origin.to_string();
    util::run_hook(
        slot.source_cfg.on_change,
        change_json(slot.source_cfg.origin, *current->zone, *flat, *slot.last_expansion, ex),
        {{"FLATSIGN_EVENT", "change"},
         {"FLATSIGN_ZONE", zn},
         {"FLATSIGN_OLD_SERIAL", std::to_string(current->zone->serial())},
         {"FLATSIGN_NEW_SERIAL", std::to_string(serial)}},
        "on-change", zn);
  }
  slot.last_serial = serial;
  slot.last_expansion = ex;
  keep_serial(slot, *flat);
  slot.source_changed = false;
  slot.last_failure.clear();
  log_capped_addresses(slot, ex);
  util::log(LogLevel::Info, "master", zname,
            "serving serial {} ({} RRs, {} ALIAS flattened, {} AXFR messages, built in {} ms{})",
            serial, flat->rr_count(), ex.aliases.size(), served->axfr->messages.size(), ms,
            was_held ? ", changes coalesced by min-serial-interval" : "");
  if (!first || !slot.source_cfg.notify.empty())
    send_notifies(slot.source_cfg.origin, *flat, slot.source_cfg.notify, slot.source_cfg.key);
}

void MasterDaemon::serve_transfer_failure(Slot& slot, const server::ServedZone& current,
                                          const std::string& failure) {
  // Strict policy: never hand out a partial zone; transfers get SERVFAIL until it resolves.
  if (failure != slot.last_failure) {
    util::log(LogLevel::Error, "alias", slot.source_cfg.origin.to_string(),
              "flattening failed (policy {}), AXFR -> SERVFAIL: {}",
              policy_text(config_.alias.of(slot.source_cfg.origin).policy), failure);
    slot.last_failure = failure;
  }
  auto failed = std::make_shared<server::ServedZone>(current);
  failed->transfer_failure = failure;
  slot.served->store(std::move(failed));
}

bool MasterDaemon::local_change(const Slot& slot, const Expansion& ex) {
  // A local target's change comes from a reload of the master's own zone: served at once too.
  if (!slot.last_expansion || slot.last_expansion->aliases.size() != ex.aliases.size())
    return false;
  for (size_t i = 0; i < ex.aliases.size(); ++i)
    if (ex.aliases[i].local && !ex.aliases[i].same_content(slot.last_expansion->aliases[i]))
      return true;
  return false;
}

std::shared_ptr<server::ServedZone> MasterDaemon::serving_form(
    const Slot& slot, const server::ServedZone& current,
    const std::shared_ptr<const zone::Zone>& flat) const {
  auto served = std::make_shared<server::ServedZone>();
  served->origin = slot.source_cfg.origin;
  served->access = slot.source_cfg.access;
  served->zone = flat;
  served->axfr = xfr::pack_axfr(*flat, tsig_reserve_);
  // The zone is unsigned, so the index finds no NSEC/NSEC3 and DO answers carry no proofs;
  // built once here it spares every DO query building one (and gives all queries its name
  // hash index).
  served->denial = std::make_shared<const server::DenialIndex>(*flat);
  served->journal = next_journal(current, *flat);
  return served;
}

void MasterDaemon::keep_serial(Slot& slot, const zone::Zone& flat) {
  const uint32_t serial = flat.serial();
  if (config_.state_dir.empty() || (slot.stored && slot.stored->serial == serial)) return;
  try {
    slot.stored = StoredSerial{serial, content_digest(flat)};
    write_stored_serial(config_.state_dir, slot.source_cfg.origin, *slot.stored);
  } catch (const std::exception& e) {
    util::log(LogLevel::Error, "master", slot.source_cfg.origin.to_string(),
              "serial {} not kept in state-dir (a restart may serve an older one): {}", serial,
              e.what());
  }
}

void MasterDaemon::log_capped_addresses(const Slot& slot, const Expansion& ex) const {
  for (const AliasResult& a : ex.aliases) {
    if (!a.capped()) continue;
    util::log(LogLevel::Warning, "alias", slot.source_cfg.origin.to_string(),
              "ALIAS {} -> {}: upstream gave {} A and {} AAAA, flattened the first {} A and {} "
              "AAAA in canonical order (alias-max-addresses {})",
              a.owner.to_string(), a.target.to_string(), a.a_upstream, a.aaaa_upstream, a.a.size(),
              a.aaaa.size(), config_.alias.of(slot.source_cfg.origin).max_addresses);
  }
}

void MasterDaemon::raise_alerts(Slot& slot, const Expansion& ex) {
  const std::string zname = slot.source_cfg.origin.to_string();
  const AliasFailurePolicy policy = config_.alias.of(slot.source_cfg.origin).policy;
  for (const AliasAlert& al : slot.alerts.update(ex)) {
    const std::string json = alert_json(slot.source_cfg.origin, al, policy, slot.last_serial);
    util::log(al.verdict == "alias-recovered" ? LogLevel::Info : LogLevel::Warning, "alias", zname,
              "alert {}: ALIAS {} -> {}{}{}", al.verdict, al.alias.owner.to_string(),
              al.alias.target.to_string(), al.alias.failure.empty() ? "" : ": ", al.alias.failure);
    util::run_hook(slot.source_cfg.on_alert, json,
                   {{"FLATSIGN_EVENT", "alert"},
                    {"FLATSIGN_ZONE", zname},
                    {"FLATSIGN_VERDICT", al.verdict},
                    {"FLATSIGN_ALIAS", al.alias.owner.to_string()},
                    {"FLATSIGN_TARGET", al.alias.target.to_string()}},
                   "on-alert", zname);
  }
}

std::shared_ptr<const zone::Zone> MasterDaemon::build_serial(Slot& slot, const Expansion& ex) {
  const uint32_t file_serial = slot.source->serial();
  const bool bump = config_.serial_on_change;
  // The floor: the last serial served by this process, else the one kept in state-dir.
  std::optional<uint32_t> floor = slot.last_serial;
  if (!floor && slot.stored) floor = slot.stored->serial;
  uint32_t serial = bump && floor ? next_serial(file_serial, *floor) : file_serial;
  // The first publication after a restart: the stored serial again when nothing changed.
  const bool try_stored = bump && !slot.last_serial && slot.stored && serial != file_serial;
  if (try_stored) serial = slot.stored->serial;
  try {
    const bool https = config_.alias.of(slot.source_cfg.origin).https;
    auto flat = build_flattened(*slot.source, ex, serial, https);
    if (try_stored && content_digest(*flat) != slot.stored->digest)
      flat =
          build_flattened(*slot.source, ex, next_serial(file_serial, slot.stored->serial), https);
    return flat;
  } catch (const zone::ZoneError& e) {
    std::string all;
    for (const auto& i : e.issues()) all += (all.empty() ? "" : "; ") + i.to_string();
    util::log(LogLevel::Error, "alias", slot.source_cfg.origin.to_string(),
              "flattened zone rejected, keeping serial {}: {}", slot.last_serial.value_or(0), all);
    return nullptr;
  }
}

void MasterDaemon::send_notifies(const dns::Name& origin, const zone::Zone& z,
                                 const std::vector<asio::ip::udp::endpoint>& targets,
                                 const std::optional<dns::TsigKey>& key) {
  const dns::RRset& soa = z.soa();
  dns::Rr soa_rr{soa.owner, soa.type, soa.rclass, soa.ttl, soa.rdatas.front().to_rdata()};
  std::string zname = origin.to_string();
  uint32_t serial = z.serial();
  for (const auto& target : targets) {
    net::NotifyOptions opts;
    opts.key = key;
    auto task = [](asio::any_io_executor ex, asio::ip::udp::endpoint to, dns::Rr rr,
                   net::NotifyOptions o, std::string zn, uint32_t ser,
                   MasterMetrics* metrics) -> asio::awaitable<void> {
      net::NotifyResult r = co_await net::send_notify(ex, to, rr, o);
      metrics->notify(r.outcome == net::NotifyOutcome::Acked);
      util::log(r.outcome == net::NotifyOutcome::Acked ? LogLevel::Info : LogLevel::Warning,
                "notify", zn, "{} serial {}: {} after {} tries {}", net::endpoint_text(to), ser,
                net::notify_outcome_text(r.outcome), r.tries, r.detail);
    };
    net::spawn_logged(io_.get_executor(),
                      task(io_.get_executor(), target, soa_rr, opts, zname, serial, &metrics_),
                      "notify", "NOTIFY to " + net::endpoint_text(target));
  }
}

std::shared_ptr<const server::ServedZone> MasterDaemon::find(const dns::Name& qname) const {
  auto dir = directory_.load();
  dns::Name n = qname;
  for (;;) {
    auto it = dir->find(n);
    if (it != dir->end()) return it->second->load();
    if (n.is_root()) return nullptr;
    n = n.parent();
  }
}

void MasterDaemon::handle(const net::Request& req, net::Responses& out) {
  std::string detail;
  server::Outcome o = server::respond(*this, policy_, req, out, &detail);
  metrics_.request(req, o, out);
  if (o == server::Outcome::Answered) return;
  LogLevel lvl = o == server::Outcome::Transferred ? LogLevel::Info : LogLevel::Warning;
  util::log(lvl, "query", "", "{} {} {}{}{}", req.tcp ? "tcp" : "udp", net::endpoint_text(req.peer),
            server::outcome_text(o), detail.empty() ? "" : ": ", detail);
}

}  // namespace flatsign::master
