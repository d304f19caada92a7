// Counting a daemon's DNS responses for its /metrics: one counter per response RCODE (RFC 6895
// §2.3), BADVERS from the OPT record, and requests dropped unanswered. Shared by both daemons.
// Thread rule: construct while the registry is open; count() is thread-safe and lock-free.
#pragma once

#include <array>
#include <string>

#include "common/net/listener.hpp"
#include "common/server/responder.hpp"
#include "common/util/metrics.hpp"

namespace flatsign::server {

class ResponseCounters {
 public:
  // Registers `<prefix>_queries_total{rcode}` and `<prefix>_queries_dropped_total`.
  // REQUIRES: `registry` is not frozen and outlives this.
  ResponseCounters(util::MetricsRegistry& registry, const std::string& prefix);

  // Counts one handled request by the RCODE of its first response message, or as dropped when
  // nothing (or less than a header) was sent.
  void count(Outcome outcome, const net::Responses& out) noexcept;

  // "NOERROR", "NXDOMAIN", ... then "BADVERS", "other" (the series in registration order).
  static constexpr size_t kSeries = 13;
  [[nodiscard]] static const char* series_name(size_t i);
  [[nodiscard]] uint64_t value(size_t i) const { return series_[i]->value(); }
  [[nodiscard]] uint64_t dropped() const { return dropped_->value(); }

 private:
  std::array<util::Counter*, kSeries> series_{};  // RCODE 0..10, BADVERS, other
  util::Counter* dropped_ = nullptr;
};

}  // namespace flatsign::server
