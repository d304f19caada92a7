// One zone's Prometheus metrics on the slave, every series labelled zone="...": polls by result,
// refusals by reason, signings and their duration, publish latency, NOTIFYs, and the zone's
// serial and expiry gauges. (Queries are counted per process: slave_daemon.hpp.)
// Thread rule: construct on one thread; after that every method is thread-safe and lock-free.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/name.hpp"
#include "common/net/listener.hpp"
#include "common/server/responder.hpp"
#include "common/server/response_counters.hpp"
#include "common/util/metrics.hpp"

namespace flatsign::slave {

// What one poll came to.
enum class PollResult : uint8_t {
  Unchanged,  // same content (or the same SOA serial in --poll-mode soa): nothing published
  Changed,    // a new signed zone was published
  Refused,    // the transfer was refused with a verdict (see refusal reasons)
  Failed,     // no master reachable, or signing, verifying or writing the new zone failed
};
[[nodiscard]] const char* poll_result_text(PollResult r);

class SlaveMetrics {
 public:
  // Registers every series in `registry` and freezes it. REQUIRES: `registry` outlives this.
  SlaveMetrics(util::MetricsRegistry& registry, const dns::Name& zone);

  void poll(PollResult r) noexcept { polls_[static_cast<size_t>(r)]->inc(); }
  // Counts one alert. `reason`: a verdict name (refused-*), master-unreachable (once per
  // --alert-after streak), sign-failed, verify-failed or write-failed; others count as "other".
  void refusal(std::string_view reason) noexcept;
  void signing(bool incremental, double seconds) noexcept;
  // A publication that took `latency_seconds` from the transfer's end to the snapshot swap
  // (publish_latency: 0 for a signature refresh, which has no transfer).
  void published(uint32_t serial, bool from_transfer, double latency_seconds) noexcept;
  void notify(bool acked) noexcept { (acked ? notify_acked_ : notify_failed_)->inc(); }

  util::Gauge& master_serial() noexcept { return *master_serial_; }
  util::Gauge& next_expiry() noexcept { return *next_expiry_; }
  util::Gauge& last_success() noexcept { return *last_success_; }

  // The counters /status shows, in registration order: ("polls", "unchanged", 3), ...
  struct Row {
    std::string group, label;
    const util::Counter* counter;
  };
  [[nodiscard]] std::vector<Row> rows() const;

 private:
  util::Counter* polls_[4] = {};
  std::vector<std::pair<std::string, util::Counter*>> refusals_;  // reason -> counter
  util::Counter* refusal_other_ = nullptr;
  util::Counter* signings_[2] = {};    // full, incremental
  util::Gauge* signing_sum_[2] = {};   // seconds, summed
  util::Gauge* signing_last_[2] = {};  // seconds of the last one
  util::Counter* publications_ = nullptr;
  util::Gauge* latency_sum_ = nullptr;
  util::Gauge* latency_last_ = nullptr;
  util::Counter* notify_acked_ = nullptr;
  util::Counter* notify_failed_ = nullptr;
  util::Gauge* serial_ = nullptr;
  util::Gauge* master_serial_ = nullptr;
  util::Gauge* next_expiry_ = nullptr;
  util::Gauge* last_success_ = nullptr;
};

}  // namespace flatsign::slave
