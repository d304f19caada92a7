#include "slave/slave_metrics.hpp"

#include "slave/transfer_check.hpp"

namespace flatsign::slave {
namespace {

constexpr const char* kPollResults[] = {"unchanged", "changed", "refused", "failed"};
constexpr const char* kSignKinds[] = {"full", "incremental"};
// Alerts that are not transfer verdicts (the daemon's and publisher.cpp's reasons).
constexpr const char* kOtherReasons[] = {"master-unreachable",      "sign-failed",
                                         "verify-failed",           "write-failed",
                                         "master-serial-backwards", "catalog-member-refused"};

}  // namespace

const char* poll_result_text(PollResult r) {
  return kPollResults[static_cast<size_t>(r)];
}

SlaveMetrics::SlaveMetrics(util::MetricsRegistry& r, const dns::Name& zone) {
  const std::string zname = zone.to_string();
  for (size_t i = 0; i < 4; ++i) {
    polls_[i] = &r.counter("flatsign_slave_polls_total",
                           "Polls of the masters, by result (unchanged, changed: published, "
                           "refused: see refusals, failed: unreachable or not publishable).",
                           {{"zone", zname}, {"result", kPollResults[i]}});
  }
  constexpr const char* kRefusals = "flatsign_slave_refusals_total";
  constexpr const char* kRefusalsHelp =
      "Alerts raised, by reason: the transfer check's verdict, master-unreachable, or a "
      "signing, verifying or writing failure.";
  for (auto v = static_cast<uint8_t>(Verdict::RefusedRcode);
       v <= static_cast<uint8_t>(Verdict::RefusedIxfrDelta); ++v) {
    std::string name(verdict_name(static_cast<Verdict>(v)));
    refusals_.emplace_back(
        name, &r.counter(kRefusals, kRefusalsHelp, {{"zone", zname}, {"reason", name}}));
  }
  for (const char* f : kOtherReasons)
    refusals_.emplace_back(f,
                           &r.counter(kRefusals, kRefusalsHelp, {{"zone", zname}, {"reason", f}}));
  refusal_other_ = &r.counter(kRefusals, kRefusalsHelp, {{"zone", zname}, {"reason", "other"}});
  for (size_t i = 0; i < 2; ++i) {
    signings_[i] = &r.counter("flatsign_slave_signings_total",
                              "Zone signings that were published, by kind (full, incremental).",
                              {{"zone", zname}, {"kind", kSignKinds[i]}});
  }
  for (size_t i = 0; i < 2; ++i) {
    signing_sum_[i] = &r.gauge("flatsign_slave_signing_seconds_sum",
                               "Seconds spent in published signings, summed, by kind "
                               "(divide by flatsign_slave_signings_total for the mean).",
                               {{"zone", zname}, {"kind", kSignKinds[i]}});
    signing_last_[i] = &r.gauge("flatsign_slave_last_signing_seconds",
                                "Seconds the last published signing of this kind took.",
                                {{"zone", zname}, {"kind", kSignKinds[i]}});
  }
  publications_ = &r.counter("flatsign_slave_publications_total",
                             "Signed zones published after a changed transfer.", {{"zone", zname}});
  latency_sum_ = &r.gauge("flatsign_slave_publish_latency_seconds_sum",
                          "Seconds from the end of a changed transfer to its publication "
                          "(check, sign, verify, write, swap), summed.",
                          {{"zone", zname}});
  latency_last_ = &r.gauge("flatsign_slave_publish_latency_seconds",
                           "Seconds from the end of the last changed transfer to its publication.",
                           {{"zone", zname}});
  constexpr const char* kNotify = "flatsign_slave_notifies_total";
  constexpr const char* kNotifyHelp = "NOTIFY messages sent to secondaries, by result.";
  notify_acked_ = &r.counter(kNotify, kNotifyHelp, {{"zone", zname}, {"result", "acked"}});
  notify_failed_ = &r.counter(kNotify, kNotifyHelp, {{"zone", zname}, {"result", "failed"}});
  serial_ = &r.gauge("flatsign_slave_zone_serial",
                     "SOA serial of the signed zone served (0 before the first publication).",
                     {{"zone", zname}});
  master_serial_ =
      &r.gauge("flatsign_slave_master_serial",
               "SOA serial of the last complete transfer from a master.", {{"zone", zname}});
  next_expiry_ = &r.gauge("flatsign_slave_signature_next_expiry_timestamp_seconds",
                          "Unix time at which the earliest RRSIG of the served zone expires.",
                          {{"zone", zname}});
  last_success_ = &r.gauge("flatsign_slave_last_successful_poll_timestamp_seconds",
                           "Unix time of the last poll that got a usable answer (unchanged or "
                           "changed and published).",
                           {{"zone", zname}});
  r.freeze();
}

void SlaveMetrics::refusal(std::string_view reason) noexcept {
  for (auto& [name, c] : refusals_) {
    if (name == reason) {
      c->inc();
      return;
    }
  }
  refusal_other_->inc();
}

void SlaveMetrics::signing(bool incremental, double seconds) noexcept {
  signings_[incremental]->inc();
  signing_sum_[incremental]->add(seconds);
  signing_last_[incremental]->set(seconds);
}

void SlaveMetrics::published(uint32_t serial, bool from_transfer, double latency) noexcept {
  serial_->set(serial);
  if (!from_transfer) return;
  publications_->inc();
  latency_sum_->add(latency);
  latency_last_->set(latency);
}

std::vector<SlaveMetrics::Row> SlaveMetrics::rows() const {
  std::vector<Row> out;
  for (size_t i = 0; i < 4; ++i) out.push_back({"polls", kPollResults[i], polls_[i]});
  for (const auto& [name, c] : refusals_) out.push_back({"refusals", name, c});
  out.push_back({"refusals", "other", refusal_other_});
  for (size_t i = 0; i < 2; ++i) out.push_back({"signings", kSignKinds[i], signings_[i]});
  out.push_back({"publications", "total", publications_});
  out.push_back({"notifies", "acked", notify_acked_});
  out.push_back({"notifies", "failed", notify_failed_});
  return out;
}

}  // namespace flatsign::slave
