#include "slave/slave_daemon.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/net/address.hpp"
#include "common/net/spawn.hpp"
#include "common/server/responder.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/heap.hpp"
#include "common/util/json_text.hpp"
#include "common/util/log.hpp"
#include "slave/notify_answer.hpp"
#include "slave/state.hpp"

namespace flatsign::slave {
namespace asio = boost::asio;
using util::LogLevel;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

unsigned cores() {
  return std::max(1u, std::thread::hardware_concurrency());
}

// The value of `key` in a query string "a=b&key=value", or "".
std::string query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    std::string_view part = query.substr(0, query.find('&'));
    if (part.substr(0, part.find('=')) == key && part.find('=') != std::string_view::npos)
      return std::string(part.substr(part.find('=') + 1));
    query.remove_prefix(std::min(query.size(), part.size() + 1));
  }
  return {};
}
}  // namespace

SlaveDaemon::SlaveDaemon(asio::io_context& io, ConfigSource source, SlaveConfig config)
    : io_(io),
      source_(std::move(source)),
      config_(std::move(config)),
      queries_(registry_, "flatsign_slave"),
      jobs_(config_.max_signing ? config_.max_signing : cores()),
      // Mostly waiting on fsync: four per job thread keep the disk busy for ~1/4 core of CPU.
      small_jobs_(4 * (config_.max_signing ? config_.max_signing : cores())),
      transfers_(io.get_executor(), config_.max_transfers),
      upkeep_starts_(io.get_executor(), kUpkeepStarts),
      rrl_(config_.rrl),
      cookies_(config_.cookie_secret_file.empty()
                   ? std::make_unique<server::ServerCookies>()
                   : std::make_unique<server::ServerCookies>(config_.cookie_secret_file)),
      listener_(
          io, [this](const net::Request& r, net::Responses& o) { handle(r, o); },
          net::ListenerLimits{.tcp_idle = config_.tcp_idle,
                              .max_tcp_connections = config_.tcp_max,
                              .max_tcp_per_client = config_.tcp_per_client,
                              .tcp_reserved = config_.tcp_reserved,
                              .udp_threads = config_.udp_threads ? config_.udp_threads : cores()}) {
  zones_served_ = &registry_.gauge("flatsign_slave_zones", "Zones configured and served.");
  reloads_ok_ =
      &registry_.counter("flatsign_slave_reloads_total",
                         "Configuration reloads (SIGHUP), by result.", {{"result", "applied"}});
  reloads_failed_ =
      &registry_.counter("flatsign_slave_reloads_total",
                         "Configuration reloads (SIGHUP), by result.", {{"result", "refused"}});
  rrl_dropped_ = &registry_.counter("flatsign_slave_rrl_responses_total",
                                    "UDP responses held back by response rate limiting, by "
                                    "action (dropped, or slipped: sent truncated or BADCOOKIE).",
                                    {{"action", "dropped"}});
  rrl_slipped_ = &registry_.counter("flatsign_slave_rrl_responses_total",
                                    "UDP responses held back by response rate limiting, by "
                                    "action (dropped, or slipped: sent truncated or BADCOOKIE).",
                                    {{"action", "slipped"}});
  registry_.freeze();
  take_zones();
  serve_policy_.keys = config_.keys;
  serve_policy_.rrl = &rrl_;
  serve_policy_.cookies = cookies_.get();
  // An AXFR out packs the whole zone per transfer (~60 MB at 100k names), freed once it is
  // written: given back now rather than at the next poll.
  listener_.on_stream_sent([] { release_free_memory(""); });
  // The reserved TCP slots go to secondaries that may transfer some zone (RFC 5936 §6 ACLs).
  listener_.set_privileged([this](const asio::ip::address& a) {
    std::lock_guard lock(pipelines_mutex_);
    for (const auto& [name, p] : pipelines_)
      if (p->config().allow_transfer.allows(a)) return true;
    return false;
  });
}

SlaveDaemon::~SlaveDaemon() {
  listener_.stop();
  jobs_.join();
  small_jobs_.join();
}

void SlaveDaemon::take_zones() {
  zones_.clear();
  zones_ = share_settings(std::move(config_.zones));
  config_.zones.clear();
  config_.zones.shrink_to_fit();
}

std::shared_ptr<ZonePipeline> SlaveDaemon::make_pipeline(ZoneConfigPtr zc) {
  if (!pipeline_shared_)
    pipeline_shared_ = std::make_unique<const PipelineShared>(
        PipelineShared{jobs_, small_jobs_, transfers_, upkeep_starts_, state_root_files_});
  auto p = std::make_shared<ZonePipeline>(io_, std::move(zc), *pipeline_shared_);
  // Two pointers: held in place by std::function (a captured Name would be allocated apart).
  // The pipeline calls it while alive.
  p->set_on_published([this, zone = p.get()] { check_cuts(zone->name()); });
  return p;
}

void SlaveDaemon::check_cuts(const dns::Name& zone) {
  std::vector<std::pair<std::shared_ptr<ZonePipeline>, std::shared_ptr<ZonePipeline>>> cuts;
  {
    std::lock_guard lock(pipelines_mutex_);
    auto self = pipelines_.find(zone);
    if (self == pipelines_.end()) return;
    if (auto* parent = nearest_parent(pipelines_, zone))
      cuts.emplace_back(parent->second, self->second);
    for (auto* child : nearest_children(pipelines_, zone))
      cuts.emplace_back(self->second, child->second);
  }
  for (const auto& [parent, child] : cuts) {
    const auto pz = parent->served();
    const auto cz = child->served();
    auto change = cuts_.check(parent->name(), child->name(), pz.get(), cz.get());
    if (change.cleared)
      util::log(LogLevel::Info, "slave", child->name().to_string(),
                "the DS of {} at the cut matches this zone's keys again",
                parent->name().to_string());
    if (!change.raised) continue;
    // Served as it is all the same: the parent's DS is its master's data, not ours to change.
    alert_conflict(*change.raised, cz ? std::optional<uint32_t>(cz->serial()) : std::nullopt,
                   {child->config().publisher.on_alert, parent->config().publisher.on_alert});
  }
}

std::shared_ptr<CatalogFollower> SlaveDaemon::make_follower(CatalogConfig cc) {
  return std::make_shared<CatalogFollower>(io_, std::move(cc), transfers_, [this] {
    if (!stopping_) reconcile();
  });
}

void SlaveDaemon::start_up() {
  state_root_files_ =
      std::make_shared<const std::vector<std::string>>(list_state_root(config_.state_dir));
  // Catalogs first: the members of the catalogs kept on disk are zones to load like the rest.
  for (auto& cc : config_.catalogs) {
    auto f = make_follower(cc);
    f->start_up();
    followers_.emplace(f->name(), std::move(f));
  }
  std::vector<std::shared_ptr<ZonePipeline>> made;
  for (auto& [name, zc] : wanted()) made.push_back(make_pipeline(zc));
  // Loading thousands of zones' keys and signed files: on every core at once.
  std::vector<std::string> errors(made.size());
  std::atomic<size_t> next{0};
  // New zones' keys are made durable together (two syncfs in all), not with four fsyncs a zone
  // (~6 ms each here: two minutes on two threads at 10,000 zones, before any zone was served).
  util::AtomicFileBatch new_keys;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < made.size();) {
      try {
        made[i]->start_up(&new_keys);
      } catch (const std::exception& e) {
        errors[i] = made[i]->name().to_string() + ": " + e.what();
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < std::min<size_t>(cores(), made.size()); ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  std::string failed;
  for (const auto& e : errors)
    if (!e.empty()) failed += (failed.empty() ? "" : "; ") + e;
  if (!failed.empty()) throw StateError(failed);
  try {
    new_keys.commit();
  } catch (const std::exception& e) {
    throw StateError(std::string("cannot store the new zones' keys: ") + e.what());
  }
  std::vector<std::shared_ptr<const server::SnapshotDirectory>> served;
  for (const auto& p : made) served.push_back(p->serving());
  table_.set_all(served);
  std::lock_guard lock(pipelines_mutex_);
  for (auto& p : made) pipelines_.emplace(p->name(), std::move(p));
  zones_served_->set(static_cast<double>(pipelines_.size()));
}

void SlaveDaemon::start() {
  for (const auto& ep : config_.listen) listener_.listen(ep);
  {
    std::lock_guard lock(pipelines_mutex_);
    for (auto& [name, p] : pipelines_) p->start();
    for (auto& [name, f] : followers_) f->start();
  }
  // The state loaded: each cut once, from its child's side.
  std::vector<dns::Name> names;
  {
    std::lock_guard lock(pipelines_mutex_);
    for (const auto& [name, p] : pipelines_)
      if (nearest_parent(pipelines_, name)) names.push_back(name);
  }
  for (const auto& n : names) check_cuts(n);
  util::log(LogLevel::Info, "slave", "",
            "serving {} zone(s) on {} listener(s), {} catalog(s); heap: {}", pipelines_.size(),
            config_.listen.size(), followers_.size(),
            util::heap_is_jemalloc() ? "jemalloc" : "glibc");
  net::spawn_logged(io_.get_executor(), signal_loop(), "slave", "signal handling");
  if (config_.http) {
    http_ = std::make_unique<net::HttpStatusServer>(
        io_, [this] { return metrics_text(); },
        [this](std::string_view q) { return status_json(q); });
    http_->listen(*config_.http);
  }
}

void SlaveDaemon::stop() {
  stopping_ = true;
  transfers_.close();  // zones still waiting for a transfer slot give up
  listener_.stop();
  if (http_) http_->stop();
  std::lock_guard lock(pipelines_mutex_);
  for (auto& [name, p] : pipelines_) p->stop();
  for (auto& [name, f] : followers_) f->stop();
}

void SlaveDaemon::add_zone(std::shared_ptr<ZonePipeline> p) {
  // Zones loaded together (a catalog adding thousands) join the table in one copy of it: the
  // first of them schedules the flush, the others queue behind it.
  to_serve_.push_back(p->serving());
  if (to_serve_.size() == 1)
    asio::post(io_, [this] { table_.set_all(std::exchange(to_serve_, {})); });
  p->start();
  std::lock_guard lock(pipelines_mutex_);
  pipelines_[p->name()] = std::move(p);
  zones_served_->set(static_cast<double>(pipelines_.size()));
}

bool SlaveDaemon::reload() {
  SlaveConfig next;
  try {
    next = load_slave_config(source_);
  } catch (const std::exception& e) {
    reloads_failed_->inc();
    util::log(LogLevel::Error, "slave", "", "reload refused, the running configuration stays: {}",
              e.what());
    return false;
  }
  if (next.listen != config_.listen || next.http != config_.http ||
      next.udp_threads != config_.udp_threads || next.state_dir != config_.state_dir) {
    reloads_failed_->inc();
    util::log(LogLevel::Error, "slave", "",
              "reload refused: listen, http, udp-threads and state-dir change only with a restart");
    return false;
  }
  if (util::LogLevel level; util::parse_log_level(next.log_level, level))
    util::set_log_level(level);
  // Keys are read from the files again: zones restart when a key's content changed (their
  // settings text names the key only).
  keys_changed_ = next.keys.size() != config_.keys.size();
  for (size_t i = 0; !keys_changed_ && i < next.keys.size(); ++i)
    keys_changed_ = next.keys[i].name != config_.keys[i].name ||
                    next.keys[i].secret != config_.keys[i].secret ||
                    next.keys[i].algorithm != config_.keys[i].algorithm;
  serve_policy_.keys = next.keys;
  // Catalogs: removed ones stop, changed ones are read again from their kept copy.
  std::map<dns::Name, const CatalogConfig*> cats;
  for (const auto& cc : next.catalogs) cats[cc.name] = &cc;
  std::vector<std::shared_ptr<CatalogFollower>> started;
  {
    std::lock_guard lock(pipelines_mutex_);
    for (auto it = followers_.begin(); it != followers_.end();) {
      auto c = cats.find(it->first);
      if (c != cats.end() && c->second->settings == it->second->config().settings &&
          !keys_changed_) {
        ++it;
        continue;
      }
      it->second->stop();
      util::log(LogLevel::Info, "catalog", it->first.to_string(), "{}",
                c == cats.end() ? "removed from the configuration" : "settings changed");
      it = followers_.erase(it);
    }
    for (const auto& cc : next.catalogs) {
      if (followers_.count(cc.name)) continue;
      auto f = make_follower(cc);
      f->start_up();
      followers_.emplace(cc.name, f);
      started.push_back(std::move(f));
    }
  }
  for (auto& f : started) f->start();
  config_ = std::move(next);
  take_zones();
  reconcile();
  keys_changed_ = false;
  reloads_ok_->inc();
  return true;
}

std::map<dns::Name, ZoneConfigPtr> SlaveDaemon::wanted() {
  std::map<dns::Name, ZoneConfigPtr> out;
  for (const auto& z : zones_) out.emplace(z->zone, z);
  std::vector<std::shared_ptr<CatalogFollower>> cats;
  {
    std::lock_guard lock(pipelines_mutex_);
    for (const auto& cc : config_.catalogs)
      if (auto it = followers_.find(cc.name); it != followers_.end()) cats.push_back(it->second);
  }
  auto listed_by = [&](const dns::Name& catalog, const dns::Name& zone) -> const CatalogEntry* {
    for (const auto& f : cats) {
      if (!(f->name() == catalog)) continue;
      auto it = f->entries().find(zone);
      return it == f->entries().end() ? nullptr : &it->second;
    }
    return nullptr;
  };
  std::map<dns::Name, dns::Name> owners;
  for (const auto& f : cats) {
    for (const auto& [zone, zc] : f->members()) {
      if (out.count(zone)) {
        if (!owners.count(zone) && !owner_.count(zone))
          util::log(LogLevel::Warning, "catalog", f->name().to_string(),
                    "member {} is also configured in the file: the file's settings apply",
                    zone.to_string());
        continue;
      }
      // RFC 9432 §5.4/§5.5: the zone stays with the catalog that had it, unless that catalog
      // dropped it or marks it with coo pointing here.
      if (auto it = owner_.find(zone); it != owner_.end() && !(it->second == f->name())) {
        const CatalogEntry* there = listed_by(it->second, zone);
        if (there && !(there->coo && *there->coo == f->name())) continue;
      }
      out.emplace(zone, zc);
      owners.insert_or_assign(zone, f->name());
    }
  }
  owner_ = std::move(owners);
  return out;
}

void SlaveDaemon::reconcile() {
  std::map<dns::Name, ZoneConfigPtr> want = wanted();
  std::vector<std::shared_ptr<ZonePipeline>> removed, changed;
  {
    std::lock_guard lock(pipelines_mutex_);
    for (auto& [name, p] : pipelines_) {
      auto it = want.find(name);
      if (it == want.end()) {
        removed.push_back(p);
      } else if ((keys_changed_ ||
                  (it->second != p->entry() && it->second->settings != p->entry()->settings)) &&
                 !starting_.count(name)) {
        changed.push_back(p);
      }
    }
  }
  unsigned added = 0;
  for (const auto& p : removed) {
    table_.remove(p->name());
    p->stop();
    std::vector<dns::Name> orphans;  // its child zones: their cut is now with another parent
    {
      std::lock_guard lock(pipelines_mutex_);
      for (auto* c : nearest_children(pipelines_, p->name())) orphans.push_back(c->first);
      pipelines_.erase(p->name());
    }
    cuts_.forget(p->name());
    for (const auto& o : orphans) check_cuts(o);
    util::log(LogLevel::Info, "slave", p->name().to_string(),
              "no longer configured: not served (state kept in {})", p->entry()->state_dir);
  }
  for (const auto& old : changed) {
    // The old pipeline finishes its poll in progress (it may be writing the zone's files) and
    // keeps answering until the new one has loaded the same state.
    const ZoneConfigPtr zc = want.at(old->name());
    starting_.insert(zc->zone);
    old->stop([this, zc] {
      if (!stopping_) start_zone(zc, "settings changed: restarted");
    });
  }
  std::vector<ZoneConfigPtr> fresh;
  for (const auto& [name, zc] : want) {
    if (starting_.count(name)) continue;
    {
      std::lock_guard lock(pipelines_mutex_);
      if (pipelines_.count(name)) continue;
    }
    starting_.insert(name);
    fresh.push_back(zc);
    ++added;
  }
  start_zones(std::move(fresh), "added: polling now");
  {
    std::lock_guard lock(pipelines_mutex_);
    zones_served_->set(static_cast<double>(pipelines_.size()));
  }
  if (added || !removed.empty() || !changed.empty())
    util::log(LogLevel::Info, "slave", "", "zones: {} added, {} removed, {} restarted", added,
              removed.size(), changed.size());
}

void SlaveDaemon::start_zone(ZoneConfigPtr zc, std::string what) {
  // Loading state (a key made and stored with fsync for a new zone) is done on the job pool, so
  // a catalog adding thousands of zones neither blocks the io thread nor loads them one by one.
  auto p = make_pipeline(std::move(zc));
  asio::post(jobs_, [this, p, what = std::move(what)] {
    std::string error;
    try {
      p->start_up();
    } catch (const std::exception& e) {
      error = e.what();
    }
    asio::post(io_, [this, p, what, error] { started(p, what, error); });
  });
}

void SlaveDaemon::start_zones(std::vector<ZoneConfigPtr> zcs, const std::string& what) {
  // A zone or two: fsyncs of their own, cheaper than syncing the whole file system. More: in
  // chunks, each chunk's keys in one batch, so the first zones start while later chunks load.
  constexpr size_t kBatchFrom = 3, kChunk = 500;
  if (zcs.size() < kBatchFrom) {
    for (auto& zc : zcs) start_zone(std::move(zc), what);
    return;
  }
  for (size_t first = 0; first < zcs.size(); first += kChunk) {
    std::vector<std::shared_ptr<ZonePipeline>> chunk;
    for (size_t i = first; i < std::min(zcs.size(), first + kChunk); ++i)
      chunk.push_back(make_pipeline(std::move(zcs[i])));
    asio::post(jobs_, [this, chunk = std::move(chunk), what] {
      std::vector<std::string> errors(chunk.size());
      util::AtomicFileBatch new_keys;
      for (size_t i = 0; i < chunk.size(); ++i) {
        try {
          chunk[i]->start_up(&new_keys);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      }
      // Until here a crash leaves these zones without keys (made again at the next start);
      // after, with their keys whole: never a zone with half a key or two.
      try {
        new_keys.commit();
      } catch (const std::exception& e) {
        for (auto& err : errors)
          if (err.empty()) err = std::string("cannot store the new zones' keys: ") + e.what();
      }
      asio::post(io_, [this, chunk, what, errors] {
        for (size_t i = 0; i < chunk.size(); ++i) started(chunk[i], what, errors[i]);
      });
    });
  }
}

void SlaveDaemon::started(std::shared_ptr<ZonePipeline> p, const std::string& what,
                          const std::string& error) {
  starting_.erase(p->name());
  if (stopping_) return;
  if (!error.empty()) {
    util::log(LogLevel::Error, "slave", p->name().to_string(), "not started: {}", error);
    table_.remove(p->name());
    std::lock_guard lock(pipelines_mutex_);
    pipelines_.erase(p->name());
    return;
  }
  // Still wanted? A reload or a catalog change may have dropped it meanwhile.
  bool wanted_now = false;
  for (const auto& z : zones_) wanted_now |= z->zone == p->name();
  wanted_now |= owner_.count(p->name()) > 0;
  if (!wanted_now) return;
  util::log(LogLevel::Info, "slave", p->name().to_string(), "{}", what);
  add_zone(p);
  check_cuts(p->name());
}

asio::awaitable<void> SlaveDaemon::signal_loop() {
  asio::signal_set signals(io_, SIGINT, SIGTERM, SIGUSR1);
  signals.add(SIGHUP);
  while (!stopping_) {
    auto [ec, sig] = co_await signals.async_wait(kTuple);
    if (ec) co_return;
    if (sig == SIGUSR1) {
      util::log(LogLevel::Warning, "slave", "",
                "SIGUSR1: next transfer of every zone forced (shrink guard off once)");
      std::lock_guard lock(pipelines_mutex_);
      for (auto& [name, p] : pipelines_) p->force_poll();
      continue;
    }
    if (sig == SIGHUP) {
      util::log(LogLevel::Info, "slave", "", "SIGHUP: reading the configuration again");
      if (source_.path.empty())
        util::log(LogLevel::Warning, "slave", "",
                  "no --config file: the command line has nothing new to read");
      reload();
      std::lock_guard lock(pipelines_mutex_);
      for (auto& [name, p] : pipelines_) p->check_keys();  // key files read again too
      continue;
    }
    util::log(LogLevel::Info, "slave", "", "signal {}: shutting down", sig);
    stop();
  }
}

std::shared_ptr<ZonePipeline> SlaveDaemon::pipeline(const dns::Name& name) const {
  std::lock_guard lock(pipelines_mutex_);
  auto it = pipelines_.find(name);
  return it == pipelines_.end() ? nullptr : it->second;
}

void SlaveDaemon::handle(const net::Request& req, net::Responses& out) {
  // Everything but NOTIFY (opcode 4) goes to the answer engine: queries with DNSSEC answers,
  // transfers and the FORMERR/NOTIMP/REFUSED cases (common/server/responder).
  if (req.wire.size() < dns::kHeaderSize || ((req.wire[2] >> 3) & 0xF) != 4) {
    std::string why;
    auto outcome = server::respond(table_, serve_policy_, req, out, &why);
    queries_.count(outcome, out);  // atomics: the listener's threads call this at once
    if (outcome == server::Outcome::Transferred)  // one line per transfer out (AXFR or IXFR)
      util::log(LogLevel::Info, "slave", "", "transfer to {}: {}", net::endpoint_text(req.peer),
                why.empty() ? "AXFR" : why);
    else if (outcome != server::Outcome::Answered)
      util::log(LogLevel::Debug, "slave", "", "query from {}: {} {}", net::endpoint_text(req.peer),
                server::outcome_text(outcome), why);
    return;
  }
  dns::Message q;
  try {
    q = dns::parse_message(req.wire);
  } catch (const dns::WireError&) {
    return;  // too broken to answer
  }
  if (q.qr || q.opcode != dns::Opcode::NOTIFY) return;
  std::shared_ptr<ZonePipeline> p;
  std::shared_ptr<CatalogFollower> f;
  if (q.questions.size() == 1) {
    p = pipeline(q.questions.front().qname);
    std::lock_guard lock(pipelines_mutex_);
    if (auto it = followers_.find(q.questions.front().qname); it != followers_.end())
      f = it->second;
  }
  if (p) {
    p->answer_notify(req, q, out);
    return;
  }
  if (f) {
    f->answer_notify(req, q, out);
    return;
  }
  // RFC 1996 §3.10 with no zone of that name here: answer_notify's NotOurZone (NOTAUTH) for a
  // policy naming a zone the question cannot be.
  NotifyPolicy none;
  none.zone = q.questions.size() == 1 && q.questions.front().qname.is_root()
                  ? dns::Name::parse("invalid.")
                  : dns::Name::parse(".");
  NotifyAnswer a = answer_notify(req.wire, q, req.peer.address(), req.tcp, none, 0);
  if (auto unlogged = stranger_notifies_.admit(std::chrono::steady_clock::now()))
    util::log(LogLevel::Warning, "slave", "", "NOTIFY from {} refused: {}: {}{}",
              net::endpoint_text(req.peer), notify_verdict_text(a.verdict), a.detail,
              RefusalLogLimiter::suffix(*unlogged));
  out.push_back(std::move(a.reply));
}

std::string SlaveDaemon::metrics_text() const {
  // The limiter counts per thread; its totals only grow, so the counters catch up here.
  for (auto [c, now] : {std::pair{rrl_dropped_, rrl_.dropped()}, {rrl_slipped_, rrl_.truncated()}})
    if (now > c->value()) c->inc(now - c->value());
  std::vector<std::shared_ptr<ZonePipeline>> zones;
  {
    std::lock_guard lock(pipelines_mutex_);
    for (const auto& [name, p] : pipelines_) zones.push_back(p);
  }
  std::vector<const SlaveMetrics*> sets;
  for (const auto& p : zones) sets.push_back(&p->metrics());
  return registry_.render() + SlaveMetrics::render(sets);
}

std::optional<std::string> SlaveDaemon::status_json(std::string_view query) const {
  std::vector<std::shared_ptr<ZonePipeline>> zones;
  {
    std::lock_guard lock(pipelines_mutex_);
    for (const auto& [name, p] : pipelines_) zones.push_back(p);
  }
  const std::string only = query_value(query, "zone");
  if (!only.empty()) {
    dns::Name name;
    try {
      name = zone_name(only);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    for (const auto& p : zones)
      if (p->name() == name) return p->status_json() + "\n";
    return std::nullopt;
  }
  size_t served = 0, refused = 0, never = 0;
  for (const auto& p : zones) {
    served += p->served() != nullptr;
    never += p->served() == nullptr;
    refused += p->status().last_poll && p->status().last_poll->result == PollResult::Refused;
  }
  std::string out = fmt::format(
      "{{\"daemon\":\"flatsign-slave\",\"totals\":{{\"zones\":{},\"served\":{},"
      "\"not_yet_published\":{},\"last_poll_refused\":{}}},\"queries\":{{",
      zones.size(), served, never, refused);
  for (size_t i = 0; i < server::ResponseCounters::kSeries; ++i)
    out += fmt::format("{}:{},", util::json_string(server::ResponseCounters::series_name(i)),
                       queries_.value(i));
  out += fmt::format("\"dropped\":{}}},\"catalogs\":[", queries_.dropped());
  {
    std::lock_guard lock(pipelines_mutex_);
    bool first = true;
    for (const auto& [name, f] : followers_) {
      out += (first ? "" : ",") + f->status_json();
      first = false;
    }
  }
  out += "],\"delegation_conflicts\":" + cuts_.status_json();
  out += ",\"zones\":[";
  for (size_t i = 0; i < zones.size(); ++i) out += (i ? "," : "") + zones[i]->status_json();
  out += "]}\n";
  return out;
}

}  // namespace flatsign::slave
