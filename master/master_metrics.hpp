// The master's Prometheus metrics: every counter and gauge it exposes, registered once in the
// constructor for the zones configured at start-up, so counting never allocates or locks.
// Thread rule: construct on one thread; after that the counting methods are thread-safe.
#pragma once

#include <deque>
#include <map>
#include <vector>

#include "common/dns/name.hpp"
#include "common/net/listener.hpp"
#include "common/server/responder.hpp"
#include "common/server/response_counters.hpp"
#include "common/util/metrics.hpp"
#include "master/alias_expander.hpp"
#include "master/config.hpp"

namespace flatsign::master {

// The series of one served zone.
struct ZoneMetrics {
  util::Gauge* serial = nullptr;           // flatsign_master_zone_serial
  util::Counter* rebuilds = nullptr;       // flatsign_master_flattened_rebuilds_total
  util::Counter* reload_ok = nullptr;      // flatsign_master_zone_reloads_total{result="ok"}
  util::Counter* reload_failed = nullptr;  // ...{result="failed"}
};

class MasterMetrics {
 public:
  // Registers every series in `registry` and freezes it. REQUIRES: `registry` outlives this.
  MasterMetrics(util::MetricsRegistry& registry, const std::vector<ZoneSource>& zones,
                AliasFailurePolicy policy);

  // Counts one handled request: the response RCODE (queries_total), and for AXFR/IXFR
  // requests whether the transfer was served, refused (REFUSED/NOTAUTH) or failed.
  void request(const net::Request& req, server::Outcome outcome, const net::Responses& out);
  // Counts the failing ALIAS resolutions of one flattening under the configured policy.
  void alias_failures(size_t n) { alias_failures_->inc(n); }
  void notify(bool acked) { (acked ? notify_acked_ : notify_failed_)->inc(); }
  // The series of a zone. REQUIRES: `origin` was in the constructor's zone list or given to
  // add_zone().
  [[nodiscard]] const ZoneMetrics& zone(const dns::Name& origin) const { return zones_.at(origin); }
  // A zone added after start-up (SIGHUP): the registry is frozen, so its series are counted but
  // not exported until a restart registers them. Nothing happens for a known zone.
  // REQUIRES: called on the thread that calls zone().
  void add_zone(const dns::Name& origin);

 private:
  server::ResponseCounters responses_;
  util::Counter* axfr_served_ = nullptr;
  util::Counter* axfr_refused_ = nullptr;
  util::Counter* axfr_failed_ = nullptr;
  util::Counter* alias_failures_ = nullptr;
  util::Counter* notify_acked_ = nullptr;
  util::Counter* notify_failed_ = nullptr;
  std::map<dns::Name, ZoneMetrics> zones_;
  std::deque<util::Counter> unexported_counters_;  // deques: the pointers above stay valid
  std::deque<util::Gauge> unexported_gauges_;
};

}  // namespace flatsign::master
