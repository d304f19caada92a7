// ALIAS flattening for the hidden master: resolves the A/AAAA of every ALIAS target through the
// stub resolver (all due targets concurrently, cached per upstream TTL), applies the failure
// policy, and builds the flattened Zone with ZoneBuilder so every check runs.
//
// TTL policy: a flattened A/AAAA RRset gets the ALIAS record's own TTL, never the upstream's
// remaining TTL (which counts down in caching resolvers and would make every transfer differ,
// making the slaves re-sign on every poll). The upstream TTL only decides when the target is
// resolved again, clamped to [min_refresh, max_refresh].
//
// Thread rule: one expander per io_context thread; not shared.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/net/resolver.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::master {

enum class AliasFailurePolicy {
  Strict,  // any failing ALIAS fails the whole flattened zone (transfers get SERVFAIL)
  Ignore,  // a failing ALIAS is left out of the flattened zone
  Stale,   // the last good expansion is used for up to max_stale, then Strict
};
[[nodiscard]] const char* policy_text(AliasFailurePolicy p);

struct AliasExpanderOptions {
  AliasFailurePolicy policy = AliasFailurePolicy::Strict;
  std::chrono::seconds max_stale{3600};
  std::chrono::seconds min_refresh{5};
  std::chrono::seconds max_refresh{3600};
};

using Clock = std::chrono::steady_clock;

// The expansion of one ALIAS record.
struct AliasResult {
  dns::Name owner;  // the ALIAS owner (a wildcard stays a wildcard)
  dns::Name target;
  uint32_t ttl = 0;  // the ALIAS record's TTL, given to the A/AAAA
  std::vector<dns::Rdata> a, aaaa;
  bool left_out = false;  // failed under Ignore
  bool stale = false;     // failed, last good expansion used (Stale)
  std::string failure;    // why it failed (empty when resolved)
  // Equality on what ends up in the zone.
  [[nodiscard]] bool same_content(const AliasResult& o) const {
    return owner == o.owner && ttl == o.ttl && a == o.a && aaaa == o.aaaa && left_out == o.left_out;
  }
};

struct Expansion {
  std::vector<AliasResult> aliases;  // in zone order
  // Non-empty when the policy says the zone must not be served (strict failure); names the
  // failing ALIAS records and why.
  std::string failure;
  [[nodiscard]] bool same_content(const Expansion& o) const;
};

class AliasExpander {
 public:
  AliasExpander(net::StubResolver& resolver, AliasExpanderOptions options);

  // Resolves every ALIAS target of `zone` that is not cached or whose entry expired,
  // concurrently; returns when all are done. Never throws for DNS failures.
  [[nodiscard]] boost::asio::awaitable<void> refresh(const zone::Zone& zone);
  // The expansion of `zone`'s ALIAS records from the cache under the failure policy.
  // REQUIRES: refresh(zone) ran (targets never resolved count as failures).
  [[nodiscard]] Expansion expand(const zone::Zone& zone, Clock::time_point now) const;
  // When the earliest cached target of `zone` is due again (max_refresh from now if none).
  [[nodiscard]] Clock::time_point next_refresh(const zone::Zone& zone, Clock::time_point now) const;
  // When `target` is due to be resolved again; nullopt when it was never resolved (for status).
  [[nodiscard]] std::optional<Clock::time_point> target_due(const dns::Name& target) const;

 private:
  struct Entry {
    net::AddressLookup last;
    Clock::time_point expires;
    std::optional<net::AddressLookup> last_good;
    Clock::time_point last_good_at;
  };
  boost::asio::awaitable<void> resolve_one(dns::Name target);

  net::StubResolver& resolver_;
  AliasExpanderOptions options_;
  std::map<dns::Name, Entry> cache_;
};

// The ALIAS records of `zone` as (owner, target, TTL) in zone order.
[[nodiscard]] std::vector<AliasResult> find_aliases(const zone::Zone& zone);

// Builds the flattened zone: `source` without its ALIAS RRsets, plus A/AAAA at each ALIAS
// owner from `expansion`, and the SOA serial set to `serial`. Throws zone::ZoneError when the
// result fails the builder's checks (it is never partially served).
[[nodiscard]] std::shared_ptr<const zone::Zone> build_flattened(const zone::Zone& source,
                                                                const Expansion& expansion,
                                                                uint32_t serial);

}  // namespace flatsign::master
