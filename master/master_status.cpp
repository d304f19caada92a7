// MasterDaemon::status_json(): the GET /status document, kept apart from the serving logic.
#include <fmt/format.h>

#include "common/util/clock.hpp"
#include "common/util/json_text.hpp"
#include "master/master_daemon.hpp"

namespace flatsign::master {
std::string MasterDaemon::status_json() const {
  using util::json_string;
  auto now = Clock::now();
  std::string out = "{\"daemon\":\"flatsign-master\",\"alias_failure_policy\":";
  out += json_string(policy_text(config_.alias.defaults.policy));
  out += ",\"zones\":[";
  bool first_zone = true;
  for (const auto& [origin, slot] : slots_) {
    if (!first_zone) out += ',';
    first_zone = false;
    auto served = slot->served->load();
    out += fmt::format("{{\"zone\":{},\"file\":{},\"serial\":{},\"file_serial\":{}",
                       json_string(origin.to_string()), json_string(slot->source_cfg.path),
                       served->zone ? std::to_string(served->zone->serial()) : "null",
                       slot->source ? std::to_string(slot->source->serial()) : "null");
    out += fmt::format(",\"alias_failure_policy\":{},\"alias_dnssec\":{}",
                       json_string(policy_text(config_.alias.of(origin).policy)),
                       json_string(dnssec_text(config_.alias.of(origin).dnssec)));
    out += fmt::format(",\"transfer\":{},\"transfer_failure\":{}",
                       json_string(!served->zone                      ? "not loaded"
                                   : served->transfer_failure.empty() ? "ok"
                                                                      : "servfail"),
                       json_string(served->transfer_failure));
    out += fmt::format(",\"last_reload\":{{\"result\":{},\"at\":{},\"error\":{}}}",
                       json_string(slot->last_reload_error.empty() ? "ok" : "failed"),
                       json_string(util::utc_text(slot->last_reload_at)),
                       json_string(slot->last_reload_error));
    out += ",\"aliases\":[";
    if (slot->latest) {
      bool first = true;
      for (const AliasResult& a : slot->latest->aliases) {
        if (!first) out += ',';
        first = false;
        auto due = expander_.target_due(a.target, origin);
        std::string next = "null";
        if (due) {
          auto s = std::chrono::duration_cast<std::chrono::seconds>(*due - now).count();
          next = std::to_string(s < 0 ? 0 : s);
        }
        std::string result = a.failure.empty() ? "ok"
                             : a.stale         ? "stale"
                             : a.left_out      ? "left out"
                                               : "failed";
        out += fmt::format(
            "{{\"owner\":{},\"target\":{},\"result\":{},\"detail\":{},\"a\":{},\"aaaa\":{},"
            "\"a_upstream\":{},\"aaaa_upstream\":{},\"dangling\":{},\"negative_checks\":{},"
            "\"validation\":{},\"next_refresh_in_s\":{}}}",
            json_string(a.owner.to_string()), json_string(a.target.to_string()),
            json_string(result), json_string(a.failure), a.a.size(), a.aaaa.size(), a.a_upstream,
            a.aaaa_upstream, a.dangling ? "true" : "false", a.negative_checks,
            json_string(net::validation_text(a.validation)), next);
      }
    }
    out += "]}";
  }
  out += "]";
  if (catalog_.name) {
    out += fmt::format(",\"catalog\":{{\"zone\":{},\"serial\":{},\"members\":{}}}",
                       json_string(catalog_.name->to_string()),
                       catalog_.serial ? std::to_string(*catalog_.serial) : "null",
                       catalog_.members.size());
  }
  out += "}\n";
  return out;
}

std::string MasterDaemon::explain_aliases() const {
  std::string out;
  for (const auto& [origin, slot] : slots_) {
    if (!slot->source) continue;
    const AliasZoneOptions& o = config_.alias.of(origin);
    const char* on_failure = o.policy == AliasFailurePolicy::Strict ? "AXFR answers SERVFAIL"
                             : o.policy == AliasFailurePolicy::Ignore
                                 ? "the ALIAS is left out"
                                 : "the last good addresses are served";
    for (const AliasResult& a : find_aliases(*slot->source)) {
      out += fmt::format("{} ALIAS {} -> {}\n", origin.to_string(), a.owner.to_string(),
                         a.target.to_string());
      out += fmt::format(
          "  target: {}\n",
          expander_.has_local_target(a.target)
              ? "in a zone served here: read from the master's own data, follows its reloads"
              : fmt::format("asked of the resolvers; looked up again when the upstream TTL "
                            "expires, clamped to {}..{} s; chain {}{}",
                            o.min_refresh.count(), config_.alias.max_refresh.count(),
                            o.each_hop ? "each hop under alias-allow" : "trusted",
                            o.dnssec == AliasDnssec::Off
                                ? ""
                                : std::string(", alias-dnssec ") + dnssec_text(o.dnssec)));
      out += fmt::format(
          "  TTL: {} (the ALIAS record's own, never the upstream's); at most {} A and {} AAAA\n",
          a.ttl, o.max_addresses, o.max_addresses);
      out += fmt::format("  on failure ({}): {}", policy_text(o.policy), on_failure);
      if (o.policy == AliasFailurePolicy::Stale)
        out += fmt::format(" for up to {} s, then AXFR answers SERVFAIL", o.max_stale.count());
      if (o.dangling_after > 0)
        out += fmt::format(
            "; NXDOMAIN / no address {} times in a row: dangling alert, last good "
            "addresses kept up to {} s",
            o.dangling_after, o.max_stale.count());
      out += "\n";
    }
  }
  return out;
}

}  // namespace flatsign::master
