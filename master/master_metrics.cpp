#include "master/master_metrics.hpp"

#include "common/dns/message.hpp"

namespace flatsign::master {
namespace {

bool is_transfer(const net::Request& req) {
  try {
    dns::Message q = dns::parse_message(req.wire);
    if (q.questions.size() != 1) return false;
    auto t = q.questions.front().qtype;
    return t == dns::RRType::AXFR || t == dns::RRType::IXFR;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

MasterMetrics::MasterMetrics(util::MetricsRegistry& r, const std::vector<ZoneSource>& zones,
                             AliasFailurePolicy policy)
    : responses_(r, "flatsign_master") {
  constexpr const char* kXfr = "flatsign_master_transfers_total";
  constexpr const char* kXfrHelp =
      "AXFR/IXFR requests: served, refused (ACL, TSIG, not a zone apex) or failed (SERVFAIL).";
  axfr_served_ = &r.counter(kXfr, kXfrHelp, {{"result", "served"}});
  axfr_refused_ = &r.counter(kXfr, kXfrHelp, {{"result", "refused"}});
  axfr_failed_ = &r.counter(kXfr, kXfrHelp, {{"result", "failed"}});
  alias_failures_ = &r.counter("flatsign_master_alias_failures_total",
                               "ALIAS target resolutions that failed at a flattening, by the "
                               "configured failure policy.",
                               {{"policy", policy_text(policy)}});
  constexpr const char* kNotify = "flatsign_master_notifies_total";
  constexpr const char* kNotifyHelp = "NOTIFY messages sent, by result (acked or failed).";
  notify_acked_ = &r.counter(kNotify, kNotifyHelp, {{"result", "acked"}});
  notify_failed_ = &r.counter(kNotify, kNotifyHelp, {{"result", "failed"}});
  for (const ZoneSource& z : zones) {
    std::string name = z.origin.to_string();
    ZoneMetrics m;
    m.serial =
        &r.gauge("flatsign_master_zone_serial",
                 "SOA serial currently served (0 until the first flattening).", {{"zone", name}});
    m.rebuilds =
        &r.counter("flatsign_master_flattened_rebuilds_total",
                   "Flattened zone snapshots built (each one is a new serial).", {{"zone", name}});
    constexpr const char* kReload = "flatsign_master_zone_reloads_total";
    constexpr const char* kReloadHelp = "Zone file reloads (SIGHUP), by result.";
    m.reload_ok = &r.counter(kReload, kReloadHelp, {{"zone", name}, {"result", "ok"}});
    m.reload_failed = &r.counter(kReload, kReloadHelp, {{"zone", name}, {"result", "failed"}});
    zones_.emplace(z.origin, m);
  }
  r.freeze();
}

void MasterMetrics::add_zone(const dns::Name& origin) {
  if (zones_.count(origin)) return;
  ZoneMetrics m;
  m.serial = &unexported_gauges_.emplace_back();
  m.rebuilds = &unexported_counters_.emplace_back();
  m.reload_ok = &unexported_counters_.emplace_back();
  m.reload_failed = &unexported_counters_.emplace_back();
  zones_.emplace(origin, m);
}

void MasterMetrics::request(const net::Request& req, server::Outcome outcome,
                            const net::Responses& out) {
  using server::Outcome;
  responses_.count(outcome, out);
  if (out.empty() || out.front().size() < dns::kHeaderSize) return;
  if (outcome == Outcome::Transferred) {
    axfr_served_->inc();
  } else if (outcome == Outcome::Refused || outcome == Outcome::NotAuth) {
    if (is_transfer(req)) axfr_refused_->inc();
  } else if (outcome == Outcome::ServFail) {
    if (is_transfer(req)) axfr_failed_->inc();
  }
}

}  // namespace flatsign::master
