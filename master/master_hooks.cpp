#include "master/master_hooks.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common/dns/rdata.hpp"
#include "common/util/clock.hpp"
#include "common/util/json_text.hpp"
#include "common/zone/diff.hpp"

namespace flatsign::master {
using util::json_string;

AliasState alias_state(const AliasResult& a) {
  if (a.failure.empty()) {
    if (!a.dnssec_flagged) return AliasState::Ok;
    return a.validation == net::Validation::Bogus ? AliasState::Bogus : AliasState::Insecure;
  }
  if (a.left_out) return AliasState::LeftOut;
  if (!a.stale) return AliasState::Failed;
  // Nearly out of stale time outranks the rest: it is the one that needs action soon.
  if (a.stale_expiring) return AliasState::StaleExpiring;
  if (a.dangling) return AliasState::Dangling;
  if (a.dangling_pending) return AliasState::Pending;
  return AliasState::Stale;
}

const char* alias_verdict(AliasState s) {
  switch (s) {
    case AliasState::Ok:
    case AliasState::Pending:
      return nullptr;
    case AliasState::Insecure:
      return "alias-insecure";
    case AliasState::Bogus:
      return "alias-bogus";
    case AliasState::Stale:
      return "alias-stale";
    case AliasState::StaleExpiring:
      return "alias-stale-expiring";
    case AliasState::Dangling:
      return "alias-dangling";
    case AliasState::LeftOut:
      return "alias-left-out";
    case AliasState::Failed:
      return "alias-failed";
  }
  return nullptr;
}

std::vector<AliasAlert> AliasAlertTracker::update(const Expansion& ex) {
  std::vector<AliasAlert> out;
  std::map<dns::Name, AliasState> next;
  for (const AliasResult& a : ex.aliases) {
    auto it = states_.find(a.owner);
    const AliasState was = it == states_.end() ? AliasState::Ok : it->second;
    AliasState now = alias_state(a);
    const bool was_alerted = alias_verdict(was) != nullptr;
    if (now == AliasState::Pending && was_alerted) now = was;  // quiet: keep what was told
    if (now != was) {
      if (const char* v = alias_verdict(now)) {
        out.push_back({v, a});
      } else if (now == AliasState::Ok && was_alerted) {
        out.push_back({"alias-recovered", a});
      }
    }
    next[a.owner] = now;
  }
  states_ = std::move(next);  // ALIAS records gone from the zone are forgotten
  return out;
}

std::string alert_json(const dns::Name& zone, const AliasAlert& alert, AliasFailurePolicy policy,
                       std::optional<uint32_t> serial) {
  const AliasResult& a = alert.alias;
  std::string detail;
  if (alert.verdict == "alias-recovered") {
    detail = fmt::format("ALIAS {} -> {} resolves again ({} A, {} AAAA)", a.owner.to_string(),
                         a.target.to_string(), a.a.size(), a.aaaa.size());
  } else if (a.dnssec_flagged) {
    detail = fmt::format(
        "ALIAS {} -> {}: the resolver's answer is {} (alias-dnssec flag: "
        "flattened all the same)",
        a.owner.to_string(), a.target.to_string(), net::validation_text(a.validation));
  } else {
    const char* action = a.left_out ? "left out of the zone"
                         : a.stale  ? "last good addresses kept"
                                    : "transfers answer SERVFAIL";
    detail = fmt::format("ALIAS {} -> {}: {} ({}", a.owner.to_string(), a.target.to_string(),
                         a.failure, action);
    if (a.negative_checks > 0) detail += fmt::format(", {} checks in a row", a.negative_checks);
    detail += ")";
  }
  return fmt::format(
      "{{\"daemon\":\"flatsign-master\",\"zone\":{},\"verdict\":{},\"detail\":{},\"alias\":{},"
      "\"target\":{},\"policy\":{},\"checks\":{},\"serial\":{},\"time\":{}}}\n",
      json_string(zone.to_string()), json_string(alert.verdict), json_string(detail),
      json_string(a.owner.to_string()), json_string(a.target.to_string()),
      json_string(policy_text(policy)), a.negative_checks,
      serial ? std::to_string(*serial) : "null",
      json_string(util::utc_text(std::chrono::system_clock::now())));
}

namespace {
std::string address_list(const AliasResult& a) {
  std::string out = "[";
  bool first = true;
  for (auto [type, list] :
       {std::pair{dns::RRType::A, &a.a}, std::pair{dns::RRType::AAAA, &a.aaaa}}) {
    if (a.left_out) break;
    for (const dns::Rdata& rd : *list) {
      if (!first) out += ',';
      first = false;
      out += json_string(dns::rdata_to_text(type, rd));
    }
  }
  return out + "]";
}

// The records of one side of `d` as JSON strings of zone-file lines.
std::string record_lines(const zone::Diff& d, bool added) {
  std::string out;
  for (const zone::RRsetChange& c : d.changes) {
    const auto& list = added ? c.added : c.removed;
    const uint32_t ttl = added ? c.new_ttl : c.old_ttl;
    for (const dns::Rdata& rd : list) {
      if (!out.empty()) out += ',';
      out += json_string(fmt::format("{}\t{}\tIN\t{}\t{}", c.owner.to_string(), ttl,
                                     dns::type_to_string(c.type), dns::rdata_to_text(c.type, rd)));
    }
  }
  return "[" + out + "]";
}
}  // namespace

std::string change_json(const dns::Name& zone, const zone::Zone& before, const zone::Zone& after,
                        const Expansion& before_ex, const Expansion& after_ex) {
  zone::DiffOptions opts;
  opts.ignore_soa_serial = true;
  const zone::Diff d = zone::diff_zones(before, after, opts);
  std::map<dns::Name, const AliasResult*> old_by_owner;
  for (const AliasResult& a : before_ex.aliases) old_by_owner[a.owner] = &a;
  std::string aliases;
  for (const AliasResult& a : after_ex.aliases) {
    auto it = old_by_owner.find(a.owner);
    const std::string now_list = address_list(a);
    const std::string old_list = it == old_by_owner.end() ? "[]" : address_list(*it->second);
    if (old_list == now_list && it != old_by_owner.end()) continue;
    if (!aliases.empty()) aliases += ',';
    aliases += fmt::format("{{\"owner\":{},\"target\":{},\"old\":{},\"new\":{}}}",
                           json_string(a.owner.to_string()), json_string(a.target.to_string()),
                           old_list, now_list);
  }
  return fmt::format(
      "{{\"daemon\":\"flatsign-master\",\"zone\":{},\"old_serial\":{},\"new_serial\":{},"
      "\"added\":{},\"removed\":{},\"aliases\":[{}],\"time\":{}}}\n",
      json_string(zone.to_string()), before.serial(), after.serial(), record_lines(d, true),
      record_lines(d, false), aliases,
      json_string(util::utc_text(std::chrono::system_clock::now())));
}

}  // namespace flatsign::master
