#include "slave/delegation_watch.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/util/clock.hpp"
#include "common/util/hooks.hpp"
#include "common/util/json_text.hpp"
#include "common/util/log.hpp"

namespace flatsign::slave {
using util::HookEnv;
using util::run_hook;

DelegationWatch::Change DelegationWatch::check(const dns::Name& parent, const dns::Name& child,
                                               const zone::Zone* parent_zone,
                                               const zone::Zone* child_zone) {
  Change out;
  std::optional<dnssec::DelegationMismatch> m;
  if (parent_zone && child_zone) m = dnssec::check_delegation(*parent_zone, *child_zone);
  auto it = by_child_.find(child);
  const bool known = it != by_child_.end() && it->second.parent == parent;
  if (!m) {
    if (known) by_child_.erase(it);
    out.cleared = known;
    return out;
  }
  if (known && it->second.mismatch.ds_tags == m->ds_tags &&
      it->second.mismatch.dnskey_tags == m->dnskey_tags)
    return out;  // alerted already
  DelegationConflict c{parent, child, std::move(*m), std::chrono::system_clock::now()};
  by_child_.insert_or_assign(child, c);
  out.raised = std::move(c);
  return out;
}

size_t DelegationWatch::forget(const dns::Name& zone) {
  return std::erase_if(
      by_child_, [&](const auto& e) { return e.second.parent == zone || e.second.child == zone; });
}

std::string DelegationWatch::status_json() const {
  auto tags = [](const std::vector<uint16_t>& v) {
    return "[" + fmt::format("{}", fmt::join(v, ",")) + "]";
  };
  std::string out = "[";
  for (const auto& [name, c] : by_child_) {
    out += fmt::format(
        "{}{{\"parent\":{},\"child\":{},\"ds_tags\":{},\"dnskey_tags\":{},\"detail\":{},"
        "\"since\":{}}}",
        out.size() > 1 ? "," : "", util::json_string(c.parent.to_string()),
        util::json_string(c.child.to_string()), tags(c.mismatch.ds_tags),
        tags(c.mismatch.dnskey_tags), util::json_string(c.mismatch.detail),
        util::json_string(util::utc_text(c.since)));
  }
  return out + "]";
}

void alert_conflict(const DelegationConflict& c, std::optional<uint32_t> child_serial,
                    const std::vector<std::string>& hooks) {
  const std::string child = c.child.to_string(), parent = c.parent.to_string();
  util::log(util::LogLevel::Warning, "slave", child, "delegation-mismatch: {}", c.mismatch.detail);
  const std::string json = fmt::format(
      "{{\"zone\":{},\"verdict\":\"delegation-mismatch\",\"detail\":{},\"parent\":{},"
      "\"ds_tags\":[{}],\"dnskey_tags\":[{}],\"serial\":{}}}\n",
      util::json_string(child), util::json_string(c.mismatch.detail), util::json_string(parent),
      fmt::join(c.mismatch.ds_tags, ","), fmt::join(c.mismatch.dnskey_tags, ","),
      child_serial ? std::to_string(*child_serial) : "null");
  const HookEnv env{{"FLATSIGN_EVENT", "alert"},
                    {"FLATSIGN_ZONE", child},
                    {"FLATSIGN_PARENT", parent},
                    {"FLATSIGN_VERDICT", "delegation-mismatch"},
                    {"FLATSIGN_DETAIL", c.mismatch.detail}};
  for (size_t i = 0; i < hooks.size(); ++i)
    if (std::find(hooks.begin(), hooks.begin() + i, hooks[i]) == hooks.begin() + i)
      run_hook(hooks[i], json, env, "on-alert", child);
}

}  // namespace flatsign::slave
