// The flatsign-slave daemon: one set of UDP/TCP listeners for every zone it signs, a ZoneTable
// that answers each query from the most specific zone served, one ZonePipeline per zone behind
// shared caps (transfers at once, publication jobs at once), and SIGHUP to re-read the config:
// zones added start, zones removed stop being served (their state is kept), changed zones restart.
// Runs on one io_context (one thread) plus the job pool and the listener's UDP threads; the
// public methods belong to the io thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/net/async_semaphore.hpp"
#include "common/net/http_status.hpp"
#include "common/net/listener.hpp"
#include "common/server/cookies.hpp"
#include "common/server/response_counters.hpp"
#include "common/server/rrl.hpp"
#include "common/server/zone_table.hpp"
#include "common/util/metrics.hpp"
#include "slave/catalog_follower.hpp"
#include "slave/config.hpp"
#include "slave/delegation_watch.hpp"
#include "slave/zone_pipeline.hpp"

namespace flatsign::slave {

class SlaveDaemon {
 public:
  // `source` is read again on SIGHUP; `config` is what it gave at start.
  SlaveDaemon(boost::asio::io_context& io, ConfigSource source, SlaveConfig config);
  ~SlaveDaemon();

  // Loads every zone's keys and last signed zone (served at once), on all cores. Throws
  // StateError naming every zone whose state cannot be used.
  void start_up();
  // Binds the listeners and starts polling and signal handling. Throws on a bind failure.
  void start();
  void stop();

  // Re-reads the configuration (SIGHUP). A configuration that does not load changes nothing
  // and is logged with every problem; so is one that changes a global option that needs a
  // restart (listen, http, udp-threads). Returns false then.
  bool reload();

  // The GET /status document: every zone and the totals, or (query "zone=NAME") that zone's
  // alone; nullopt for an unknown zone. On the io thread.
  [[nodiscard]] std::optional<std::string> status_json(std::string_view query) const;
  [[nodiscard]] std::string metrics_text() const;
  [[nodiscard]] const std::vector<boost::asio::ip::udp::endpoint>& bound() const {
    return listener_.bound();
  }

 private:
  boost::asio::awaitable<void> signal_loop();
  // Called concurrently from the listener's UDP threads and the io_context's thread.
  void handle(const net::Request& req, net::Responses& out);
  std::shared_ptr<ZonePipeline> make_pipeline(ZoneConfigPtr zc);
  std::shared_ptr<CatalogFollower> make_follower(CatalogConfig cc);
  // Serves and starts `p` (its state loaded).
  void add_zone(std::shared_ptr<ZonePipeline> p);
  // Makes and loads a pipeline for `zc` on the job pool, then serves and starts it on the io
  // thread (logging `what`) unless it is no longer wanted. REQUIRES: zc's zone in starting_.
  void start_zone(ZoneConfigPtr zc, std::string what);
  // start_zone() for many zones at once (a catalog adding them): loaded in chunks on the job
  // pool, the new keys of a chunk made durable together (util::AtomicFileBatch: two syncfs, not
  // four fsyncs a zone), then served and started. REQUIRES: each zone in starting_.
  void start_zones(std::vector<ZoneConfigPtr> zcs, const std::string& what);
  // On the io thread after `p`'s start_up() (`error` empty: it loaded): serves and starts it.
  void started(std::shared_ptr<ZonePipeline> p, const std::string& what, const std::string& error);
  // The zones wanted now: the configured ones, then each catalog's members that are neither
  // configured nor another catalog's (RFC 9432 §5.4); a member moves to another catalog only
  // when its owner's `coo` names that catalog (§5.5). Updates owner_. On the io thread.
  [[nodiscard]] std::map<dns::Name, ZoneConfigPtr> wanted();
  // Starts, stops and restarts pipelines until the zones served are wanted(): added zones are
  // loaded and started, removed ones stop being served (state kept), changed ones restart once
  // their poll in progress ends (the old snapshot answers meanwhile). On the io thread.
  void reconcile();
  // Checks the cuts of `zone` with its nearest served parent and its nearest served children
  // (a published zone: after each publication of either side), logging and alerting each new
  // conflict once. On the io thread.
  void check_cuts(const dns::Name& zone);
  // The pipeline of exactly `name`, or null. Any thread.
  [[nodiscard]] std::shared_ptr<ZonePipeline> pipeline(const dns::Name& name) const;

  // Moves config_.zones into zones_ (shared with the pipelines, not copied for each).
  void take_zones();

  boost::asio::io_context& io_;
  ConfigSource source_;
  SlaveConfig config_;  // its `zones` are in zones_
  std::vector<ZoneConfigPtr> zones_;
  util::MetricsRegistry registry_;    // process-wide series (queries, zones)
  server::ResponseCounters queries_;  // registers into registry_
  util::Gauge* zones_served_ = nullptr;
  util::Counter* reloads_ok_ = nullptr;
  util::Counter* reloads_failed_ = nullptr;
  // Responses RRL dropped or sent truncated (slip); brought up to the limiter's own counts
  // when /metrics is read.
  util::Counter* rrl_dropped_ = nullptr;
  util::Counter* rrl_slipped_ = nullptr;
  boost::asio::thread_pool jobs_;
  boost::asio::thread_pool small_jobs_;  // PipelineShared::small_jobs
  net::AsyncSemaphore transfers_;
  net::AsyncSemaphore upkeep_starts_;  // PipelineShared::upkeep_starts
  // What every pipeline refers to (made at the first make_pipeline, after start_up's listing).
  std::unique_ptr<const PipelineShared> pipeline_shared_;
  server::ZoneTable table_;
  server::ResponderPolicy serve_policy_;  // every TSIG key; transfer rules are per zone
  server::RateLimiter rrl_;               // UDP answers (config_.rrl); before listener_
  std::unique_ptr<server::ServerCookies> cookies_;
  // Zones by name. Changed on the io thread; read by the listener's threads for NOTIFY.
  mutable std::mutex pipelines_mutex_;
  std::map<dns::Name, std::shared_ptr<ZonePipeline>> pipelines_;
  std::map<dns::Name, std::shared_ptr<CatalogFollower>> followers_;  // under pipelines_mutex_
  std::map<dns::Name, dns::Name> owner_;  // catalog member -> the catalog serving it (io thread)
  std::set<dns::Name> starting_;          // zones being loaded by start_zone (io thread)
  std::shared_ptr<const std::vector<std::string>> state_root_files_;  // at start (start_up)
  // Zones add_zone() made ready, joining the table at the next turn of the io thread.
  std::vector<std::shared_ptr<const server::SnapshotDirectory>> to_serve_;
  bool keys_changed_ = false;  // the last reload read other TSIG keys
  DelegationWatch cuts_;       // parent/child zones whose DS and DNSKEYs disagree (io thread)
  net::DnsListener listener_;
  bool stopping_ = false;
  RefusalLogLimiter stranger_notifies_;  // NOTIFYs for no zone here: one log line per interval
  std::unique_ptr<net::HttpStatusServer> http_;
};

}  // namespace flatsign::slave
