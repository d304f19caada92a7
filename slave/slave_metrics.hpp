// One zone's Prometheus metrics on the slave, every series labelled zone="...": polls by result,
// refusals by reason, signings and their duration, publish latency, NOTIFYs, and the zone's
// serial and expiry gauges. (Queries are counted per process: slave_daemon.hpp.)
// Thread rule: every method is thread-safe and lock-free.
#pragma once

#include <cstdint>
#include <span>
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
  // The zone's series, every one at 0.
  explicit SlaveMetrics(const dns::Name& zone);

  void poll(PollResult r) noexcept;
  // Counts one alert. `reason`: a verdict name (refused-*), master-unreachable (once per
  // --alert-after streak), sign-failed, verify-failed or write-failed; others count as "other".
  void refusal(std::string_view reason) noexcept;
  void signing(bool incremental, double seconds) noexcept;
  // A publication that took `latency_seconds` from the transfer's end to the snapshot swap
  // (publish_latency: 0 for a signature refresh, which has no transfer).
  void published(uint32_t serial, bool from_transfer, double latency_seconds) noexcept;
  void notify(bool acked) noexcept;

  util::Gauge& master_serial() noexcept;
  util::Gauge& next_expiry() noexcept;
  util::Gauge& last_success() noexcept;

  // The counters /status shows, in registration order: ("polls", "unchanged", 3), ...
  struct Row {
    std::string group, label;
    const util::Counter* counter;
  };
  [[nodiscard]] std::vector<Row> rows() const;

  // The Prometheus exposition of these zones' series (each family once), to follow the
  // daemon's own registry in /metrics.
  [[nodiscard]] static std::string render(std::span<const SlaveMetrics* const> zones);

 private:
  // Names, help texts and labels are described once for every zone (slave_metrics.cpp); a zone
  // holds only its values.
  util::MetricSet set_;
};

}  // namespace flatsign::slave
