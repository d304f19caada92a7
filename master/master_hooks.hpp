// The master's operator hooks (on-alert, on-change; common/util/hooks.hpp runs them): which
// ALIAS state changes are worth an alert, and the JSON documents handed to the hooks, in the
// slave's shape so one script (deploy/hooks/notify-email) reads both.
// Thread rule: an AliasAlertTracker belongs to one zone's loop (io thread); the rest is pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/zone/zone.hpp"
#include "master/alias_expander.hpp"

namespace flatsign::master {

// What the operator is told about one ALIAS, from its AliasResult. Pending (a target answering
// NXDOMAIN fewer than dangling_after times) is quiet: it is neither an alert nor a recovery.
enum class AliasState {
  Ok,             // resolved
  Insecure,       // resolved and flattened, but not validated (alias-dnssec flag)
  Bogus,          // resolved and flattened, but failed validation (alias-dnssec flag)
  Pending,        // NXDOMAIN / no address, last good kept, not yet dangling
  Stale,          // failed, last good addresses served (stale policy)
  StaleExpiring,  // as Stale, within a quarter of max-stale of being dropped
  Dangling,       // NXDOMAIN / no address dangling-after checks in a row, last good kept
  LeftOut,        // failed, left out of the zone (ignore policy)
  Failed,         // failed, transfers answer SERVFAIL (strict, or stale past max-stale)
};
[[nodiscard]] AliasState alias_state(const AliasResult& a);
// The verdict of the alert for entering `s` ("alias-failed", ...); nullptr for Ok and Pending.
[[nodiscard]] const char* alias_verdict(AliasState s);

// One alert to send: `verdict` is alias_verdict() of the new state, or "alias-recovered".
struct AliasAlert {
  std::string verdict;
  AliasResult alias;
};

// Remembers the state of each ALIAS of one zone and returns, for a new expansion, one alert
// per ALIAS whose alerted state changed: entering an alert state, or back to Ok from one.
class AliasAlertTracker {
 public:
  [[nodiscard]] std::vector<AliasAlert> update(const Expansion& ex);

 private:
  std::map<dns::Name, AliasState> states_;  // by ALIAS owner
};

// The on-alert document: {"daemon","zone","verdict","detail","alias","target","policy",
// "checks","serial","time"} on one line.
[[nodiscard]] std::string alert_json(const dns::Name& zone, const AliasAlert& alert,
                                     AliasFailurePolicy policy, std::optional<uint32_t> serial);

// The on-change document of a new serial: the slave's fields (zone, old_serial, new_serial,
// added, removed as zone-file lines of the flattened zone, time) and "aliases": each ALIAS
// whose flattened addresses changed, with its old and new addresses. The first publication of
// a process has no `before` and gets no document: a start is not a change.
[[nodiscard]] std::string change_json(const dns::Name& zone, const zone::Zone& before,
                                      const zone::Zone& after, const Expansion& before_ex,
                                      const Expansion& after_ex);

}  // namespace flatsign::master
