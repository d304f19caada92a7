// A parent zone and its child zone served by the same slave: the parent's DS at the cut comes
// from its master, the child's DNSKEYs from this slave's keys, so the two can disagree and break
// validation of the child (common/dnssec/delegation_check.hpp). The watch re-checks a cut when
// either side publishes, remembers the conflicts for /status and says which are new (to alert
// once, not at every signature refresh). Serving is never refused: the parent's data is its
// master's. Thread rule: one thread (the daemon's io thread) uses a watch.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/dnssec/delegation_check.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::slave {

struct DelegationConflict {
  dns::Name parent, child;
  dnssec::DelegationMismatch mismatch;
  std::chrono::system_clock::time_point since;  // first seen in this form
};

class DelegationWatch {
 public:
  // What one check changed.
  struct Change {
    std::optional<DelegationConflict> raised;  // a conflict new or with other tags: alert it
    bool cleared = false;                      // the cut had a conflict and has none now
  };
  // Checks the cut between the served zones `parent` and `child` (either null: not published
  // yet, which clears any conflict of that cut).
  // REQUIRES: child's origin lies below parent's, and no zone served lies between them.
  Change check(const dns::Name& parent, const dns::Name& child, const zone::Zone* parent_zone,
               const zone::Zone* child_zone);
  // Drops every conflict naming `zone` (no longer served). Returns how many.
  size_t forget(const dns::Name& zone);
  // {"parent":..,"child":..,"ds_tags":[..],"dnskey_tags":[..],"detail":..,"since":..} per
  // conflict, as a JSON array.
  [[nodiscard]] std::string status_json() const;
  [[nodiscard]] size_t size() const { return by_child_.size(); }

 private:
  std::map<dns::Name, DelegationConflict> by_child_;  // a child has one parent
};

// Logs `c` (a warning line under the child zone) and runs each distinct on-alert command of
// `hooks` (the child's, the parent's) with its JSON document: verdict "delegation-mismatch",
// zone, parent, detail, ds_tags, dnskey_tags and the child's serial.
void alert_conflict(const DelegationConflict& c, std::optional<uint32_t> child_serial,
                    const std::vector<std::string>& hooks);

// The zone of `zones` (a map by name) nearest above `name`, or nullptr.
template <typename Map>
const typename Map::value_type* nearest_parent(const Map& zones, const dns::Name& name) {
  for (dns::Name n = name; !n.is_root();) {
    n = n.parent();
    if (auto it = zones.find(n); it != zones.end()) return &*it;
  }
  return nullptr;
}

// The zones of `zones` whose nearest parent among them is `name`.
template <typename Map>
std::vector<const typename Map::value_type*> nearest_children(const Map& zones,
                                                              const dns::Name& name) {
  std::vector<const typename Map::value_type*> out;
  // RFC 4034 §6.1 canonical order puts a name's descendants right after it.
  for (auto it = zones.upper_bound(name); it != zones.end() && it->first.is_subdomain_of(name);
       ++it) {
    auto* p = nearest_parent(zones, it->first);
    if (p && p->first == name) out.push_back(&*it);
  }
  return out;
}

}  // namespace flatsign::slave
