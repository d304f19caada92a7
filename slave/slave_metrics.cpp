#include "slave/slave_metrics.hpp"

#include "slave/transfer_check.hpp"

namespace flatsign::slave {
namespace {

constexpr const char* kPollResults[] = {"unchanged", "changed", "refused", "failed"};
constexpr const char* kSignKinds[] = {"full", "incremental"};
// Alerts that are not transfer verdicts (the daemon's and publisher.cpp's reasons).
constexpr const char* kOtherReasons[] = {"master-unreachable",
                                         "sign-failed",
                                         "verify-failed",
                                         "write-failed",
                                         "master-serial-backwards",
                                         "catalog-member-refused",
                                         "review-veto",
                                         "review-timeout"};

}  // namespace

const char* poll_result_text(PollResult r) {
  return kPollResults[static_cast<size_t>(r)];
}

namespace {

// Every zone's series, described once. Indexes into the MetricSetSpec.
struct Spec {
  util::MetricSetSpec set{"zone"};
  size_t polls[4] = {};
  std::vector<std::pair<std::string, size_t>> refusals;  // reason -> series
  size_t refusal_other = 0;
  size_t signings[2] = {};
  size_t signing_sum[2] = {};   // seconds, summed
  size_t signing_last[2] = {};  // seconds of the last one
  size_t publications = 0, latency_sum = 0, latency_last = 0;
  size_t notify_acked = 0, notify_failed = 0;
  size_t serial = 0, master_serial = 0, next_expiry = 0, last_success = 0;

  Spec() {
    auto& r = set;
    for (size_t i = 0; i < 4; ++i) {
      polls[i] = r.counter("flatsign_slave_polls_total",
                           "Polls of the masters, by result (unchanged, changed: published, "
                           "refused: see refusals, failed: unreachable or not publishable).",
                           {{"result", kPollResults[i]}});
    }
    constexpr const char* kRefusals = "flatsign_slave_refusals_total";
    constexpr const char* kRefusalsHelp =
        "Alerts raised, by reason: the transfer check's verdict, master-unreachable, or a "
        "signing, verifying or writing failure.";
    for (auto v = static_cast<uint8_t>(Verdict::RefusedRcode);
         v <= static_cast<uint8_t>(Verdict::RefusedUnflattenedAlias); ++v) {
      std::string name(verdict_name(static_cast<Verdict>(v)));
      refusals.emplace_back(name, r.counter(kRefusals, kRefusalsHelp, {{"reason", name}}));
    }
    for (const char* f : kOtherReasons)
      refusals.emplace_back(f, r.counter(kRefusals, kRefusalsHelp, {{"reason", f}}));
    refusal_other = r.counter(kRefusals, kRefusalsHelp, {{"reason", "other"}});
    for (size_t i = 0; i < 2; ++i) {
      signings[i] = r.counter("flatsign_slave_signings_total",
                              "Zone signings that were published, by kind (full, incremental).",
                              {{"kind", kSignKinds[i]}});
    }
    for (size_t i = 0; i < 2; ++i) {
      signing_sum[i] = r.gauge("flatsign_slave_signing_seconds_sum",
                               "Seconds spent in published signings, summed, by kind "
                               "(divide by flatsign_slave_signings_total for the mean).",
                               {{"kind", kSignKinds[i]}});
      signing_last[i] = r.gauge("flatsign_slave_last_signing_seconds",
                                "Seconds the last published signing of this kind took.",
                                {{"kind", kSignKinds[i]}});
    }
    publications = r.counter("flatsign_slave_publications_total",
                             "Signed zones published after a changed transfer.");
    latency_sum = r.gauge("flatsign_slave_publish_latency_seconds_sum",
                          "Seconds from the end of a changed transfer to its publication "
                          "(check, sign, verify, write, swap), summed.");
    latency_last = r.gauge("flatsign_slave_publish_latency_seconds",
                           "Seconds from the end of the last changed transfer to its publication.");
    constexpr const char* kNotify = "flatsign_slave_notifies_total";
    constexpr const char* kNotifyHelp = "NOTIFY messages sent to secondaries, by result.";
    notify_acked = r.counter(kNotify, kNotifyHelp, {{"result", "acked"}});
    notify_failed = r.counter(kNotify, kNotifyHelp, {{"result", "failed"}});
    serial = r.gauge("flatsign_slave_zone_serial",
                     "SOA serial of the signed zone served (0 before the first publication).");
    master_serial = r.gauge("flatsign_slave_master_serial",
                            "SOA serial of the last complete transfer from a master.");
    next_expiry = r.gauge("flatsign_slave_signature_next_expiry_timestamp_seconds",
                          "Unix time at which the earliest RRSIG of the served zone expires.");
    last_success = r.gauge("flatsign_slave_last_successful_poll_timestamp_seconds",
                           "Unix time of the last poll that got a usable answer (unchanged or "
                           "changed and published).");
  }
};

const Spec& spec() {
  static const Spec s;
  return s;
}

}  // namespace

SlaveMetrics::SlaveMetrics(const dns::Name& zone) : set_(spec().set, zone.to_string()) {}

void SlaveMetrics::poll(PollResult r) noexcept {
  set_.counter(spec().polls[static_cast<size_t>(r)]).inc();
}

void SlaveMetrics::notify(bool acked) noexcept {
  set_.counter(acked ? spec().notify_acked : spec().notify_failed).inc();
}

util::Gauge& SlaveMetrics::master_serial() noexcept {
  return set_.gauge(spec().master_serial);
}

util::Gauge& SlaveMetrics::next_expiry() noexcept {
  return set_.gauge(spec().next_expiry);
}

util::Gauge& SlaveMetrics::last_success() noexcept {
  return set_.gauge(spec().last_success);
}

void SlaveMetrics::refusal(std::string_view reason) noexcept {
  for (const auto& [name, i] : spec().refusals) {
    if (name == reason) {
      set_.counter(i).inc();
      return;
    }
  }
  set_.counter(spec().refusal_other).inc();
}

void SlaveMetrics::signing(bool incremental, double seconds) noexcept {
  const Spec& s = spec();
  set_.counter(s.signings[incremental]).inc();
  set_.gauge(s.signing_sum[incremental]).add(seconds);
  set_.gauge(s.signing_last[incremental]).set(seconds);
}

void SlaveMetrics::published(uint32_t serial, bool from_transfer, double latency) noexcept {
  const Spec& s = spec();
  set_.gauge(s.serial).set(serial);
  if (!from_transfer) return;
  set_.counter(s.publications).inc();
  set_.gauge(s.latency_sum).add(latency);
  set_.gauge(s.latency_last).set(latency);
}

std::vector<SlaveMetrics::Row> SlaveMetrics::rows() const {
  const Spec& s = spec();
  std::vector<Row> out;
  for (size_t i = 0; i < 4; ++i)
    out.push_back({"polls", kPollResults[i], &set_.counter(s.polls[i])});
  for (const auto& [name, i] : s.refusals) out.push_back({"refusals", name, &set_.counter(i)});
  out.push_back({"refusals", "other", &set_.counter(s.refusal_other)});
  for (size_t i = 0; i < 2; ++i)
    out.push_back({"signings", kSignKinds[i], &set_.counter(s.signings[i])});
  out.push_back({"publications", "total", &set_.counter(s.publications)});
  out.push_back({"notifies", "acked", &set_.counter(s.notify_acked)});
  out.push_back({"notifies", "failed", &set_.counter(s.notify_failed)});
  return out;
}

std::string SlaveMetrics::render(std::span<const SlaveMetrics* const> zones) {
  std::vector<const util::MetricSet*> sets;
  sets.reserve(zones.size());
  for (const SlaveMetrics* z : zones) sets.push_back(&z->set_);
  return util::MetricSet::render_all(sets);
}

}  // namespace flatsign::slave
