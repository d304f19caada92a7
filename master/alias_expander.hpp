// ALIAS flattening for the hidden master: resolves the A/AAAA of every ALIAS target through the
// stub resolver (all due targets concurrently, cached per upstream TTL), applies the failure
// policy, and builds the flattened Zone with ZoneBuilder so every check runs.
//
// TTL policy: a flattened A/AAAA RRset gets the ALIAS record's own TTL, never the upstream's
// remaining TTL (which counts down in caching resolvers and would make every transfer differ,
// making the slaves re-sign on every poll). The upstream TTL only decides when the target is
// resolved again, clamped to [min_refresh, max_refresh]; the floor can be set per zone, since
// a target shared by two zones is looked up once but is due by each zone's own floor.
//
// Address cap: an upstream may answer with thousands of addresses (or a fresh random set on
// every lookup). At most max_addresses per family are flattened: the first ones in canonical
// order (RFC 4034 §6.3), so the kept subset is stable for as long as the upstream set is.
// Keeping a deterministic subset serves the name; counting it as a failure would take a working
// name down (or, under strict, every transfer of the zone) for being generous.
//
// Dangling targets: NXDOMAIN or no address is an answer, not an outage: the upstream record
// went away, often for a moment (a redeploy), sometimes for good (a deleted resource). A target
// that had addresses and now answers so keeps its last good addresses (as under stale, up to
// max_stale, whatever the policy) and, after dangling_after consecutive such checks, is marked
// dangling, which the daemon reports once (an on-alert hook). Timeouts and SERVFAIL follow the
// failure policy.
//
// Local targets: a target inside a zone the master serves itself (its own ALIAS -> ALIAS or
// CNAME included) is answered from the master's own zone data, never asked of the resolver
// (which would ask the public servers, i.e. the slaves, for data the master has first hand),
// and read again at every expand(), so a reloaded record changes the flattened answer at once.
// The chain is followed through the master's zones (A/AAAA, CNAME, ALIAS at exact names); where
// it leaves them (a name not served here, a name without a node, or below a zone cut) the rest
// goes to the resolver like any target.
//
// Thread rule: one expander per io_context thread; not shared.
#pragma once

#include <chrono>
#include <functional>
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
#include "common/zone/zone_builder.hpp"

namespace flatsign::master {

// alias-dnssec: what the resolver's validation (AD bit, net::Validation) decides.
enum class AliasDnssec {
  Off,      // DO not set; a bogus answer is the resolver's SERVFAIL, a failure
  Flag,     // flattened whatever the validation; insecure or bogus raises an alert
  Require,  // only a secure answer is flattened; anything else fails under the policy
};
[[nodiscard]] const char* dnssec_text(AliasDnssec d);

enum class AliasFailurePolicy {
  Strict,  // any failing ALIAS fails the whole flattened zone (transfers get SERVFAIL)
  Ignore,  // a failing ALIAS is left out of the flattened zone
  Stale,   // the last good expansion is used for up to max_stale, then Strict
};
[[nodiscard]] const char* policy_text(AliasFailurePolicy p);

// The settings a zone may set for its own ALIAS records ([[zone]] tables).
struct AliasZoneOptions {
  AliasFailurePolicy policy = AliasFailurePolicy::Strict;
  std::chrono::seconds max_stale{3600};
  // Floor of the re-resolve interval for this zone's targets: a target shared by two zones is
  // looked up once but is due by each zone's own floor.
  std::chrono::seconds min_refresh{5};
  // Addresses flattened per ALIAS and family; beyond it the first ones in canonical order.
  size_t max_addresses = 64;
  // Consecutive NXDOMAIN / no-address checks after which a target is dangling; 0: no watch (an
  // ordinary failure under the policy).
  unsigned dangling_after = 3;
  // alias-allow: the suffixes ALIAS targets must be under (empty: any). Targets are checked at
  // load (load_alias_limits); with each_hop, every CNAME hop of the resolver's answer too, and
  // a chain that leaves them fails the target (never stale: the last good chain was the same
  // upstream's). Without it the chain is trusted, as a DNS firewall trusting redirections does.
  std::vector<dns::Name> allow;
  bool each_hop = false;  // alias-chain = each-hop
  unsigned max_hops = 8;  // alias-max-hops: CNAME links per target's chain
  // alias-max-queries: queries one refresh round sends (2 per target: A and AAAA); more due
  // targets wait for further rounds, one a second.
  size_t max_queries = 2000;
  AliasDnssec dnssec = AliasDnssec::Off;
  // alias-https: also publish `HTTPS 0 <target>` (AliasMode, RFC 9460 §2.4.2) at each ALIAS
  // owner, so HTTPS-aware clients follow the target's own HTTPS records.
  bool https = false;
};

// True when `name` is under (or equal to) one of `suffixes`; any name when there are none.
[[nodiscard]] bool name_allowed(const dns::Name& name, const std::vector<dns::Name>& suffixes);

struct AliasExpanderOptions {
  AliasZoneOptions defaults;  // for zones without an entry in `zones`
  std::chrono::seconds max_refresh{3600};
  std::map<dns::Name, AliasZoneOptions> zones;
  // The settings of zone `origin`.
  [[nodiscard]] const AliasZoneOptions& of(const dns::Name& origin) const;
};

using Clock = std::chrono::steady_clock;

// The expansion of one ALIAS record.
struct AliasResult {
  dns::Name owner;  // the ALIAS owner (a wildcard stays a wildcard)
  dns::Name target;
  uint32_t ttl = 0;  // the ALIAS record's TTL, given to the A/AAAA
  std::vector<dns::Rdata> a, aaaa;
  // How many addresses the upstream gave; more than a.size() / aaaa.size() when capped.
  size_t a_upstream = 0, aaaa_upstream = 0;
  [[nodiscard]] bool capped() const { return a_upstream > a.size() || aaaa_upstream > aaaa.size(); }
  bool left_out = false;         // failed under Ignore
  bool stale = false;            // failed, last good expansion used (Stale, or a dangling watch)
  std::vector<dns::Name> chain;  // the CNAME hops of the last lookup (status)
  net::Validation validation = net::Validation::Unchecked;  // of the last lookup
  bool dnssec_flagged = false;  // alias-dnssec flag: flattened, but not secure
  bool local = false;           // answered (at least in part) from the master's own zones
  // The target answers NXDOMAIN / no address and its last good addresses are used: `dangling`
  // once it did so dangling_after checks in a row, `dangling_pending` before.
  bool dangling = false, dangling_pending = false;
  unsigned negative_checks = 0;  // consecutive NXDOMAIN / no-address answers
  // Stale data within a quarter of max_stale (at least 1 s) of being dropped.
  bool stale_expiring = false;
  std::string failure;  // why it failed (empty when resolved)
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

// The source zone (as loaded, ALIAS unflattened) of the served zone holding `name`, or null
// when the master serves none.
using LocalZones = std::function<std::shared_ptr<const zone::Zone>(const dns::Name& name)>;

class AliasExpander {
 public:
  AliasExpander(net::StubResolver& resolver, AliasExpanderOptions options);

  // Where local targets are looked up (unset: every target goes to the resolver).
  void set_local_zones(LocalZones local) { local_ = std::move(local); }
  // True when `zone` has an ALIAS answered from the master's own data (its loop must run again
  // when another zone is reloaded).
  [[nodiscard]] bool has_local_targets(const zone::Zone& zone) const;
  // True when `target` is answered (at least in part) from the master's own zones.
  [[nodiscard]] bool has_local_target(const dns::Name& target) const {
    return follow_local(target).local;
  }

  // Resolves every ALIAS target of `zone` that is not cached or whose entry expired,
  // concurrently; returns when all are done. Never throws for DNS failures.
  [[nodiscard]] boost::asio::awaitable<void> refresh(const zone::Zone& zone);
  // The expansion of `zone`'s ALIAS records from the cache under the failure policy.
  // REQUIRES: refresh(zone) ran (targets never resolved count as failures).
  [[nodiscard]] Expansion expand(const zone::Zone& zone, Clock::time_point now) const;
  // When the earliest cached target of `zone` is due again (max_refresh from now if none).
  [[nodiscard]] Clock::time_point next_refresh(const zone::Zone& zone, Clock::time_point now) const;
  // When `target` is due to be resolved again for zone `origin`; nullopt when it was never
  // resolved (for status).
  [[nodiscard]] std::optional<Clock::time_point> target_due(const dns::Name& target,
                                                            const dns::Name& origin) const;
  // SIGHUP: the per-zone settings of the configuration now in force.
  // Also turns the resolver's DO (and bogus retry) on when a zone asks for alias-dnssec.
  void set_zone_options(std::map<dns::Name, AliasZoneOptions> zones);

 private:
  struct Entry {
    net::AddressLookup last;
    Clock::time_point resolved_at;
    std::chrono::seconds ttl{0};  // the upstream TTL of `last` (0 after a failure)
    std::optional<net::AddressLookup> last_good;
    Clock::time_point last_good_at;
    unsigned negative_checks = 0;  // NXDOMAIN / no address in a row (dangling watch)
  };
  boost::asio::awaitable<void> resolve_one(dns::Name target);
  // Resolves `targets` concurrently; returns when all are done.
  boost::asio::awaitable<void> resolve_all(std::vector<dns::Name> targets);
  // When `e` is due again under the floor `min_refresh` (clamped as the header says).
  [[nodiscard]] Clock::time_point due(const Entry& e, std::chrono::seconds min_refresh) const;

  // A local target's chain through the master's zones: `ok` with the addresses found, or where
  // it leaves them (`external`, for the resolver), or why it fails (NXDOMAIN below, a loop).
  struct LocalChain {
    bool local = false;  // the target is inside a served zone with a node for it
    net::AddressLookup found;
    std::optional<dns::Name> external;
  };
  [[nodiscard]] LocalChain follow_local(const dns::Name& target) const;
  // The name to ask the resolver for `target`: itself, the end of its local chain, or none.
  [[nodiscard]] std::optional<dns::Name> resolver_name(const dns::Name& target) const;

  net::StubResolver& resolver_;
  AliasExpanderOptions options_;
  LocalZones local_;
  std::map<dns::Name, Entry> cache_;
};

// Why a lookup's CNAME chain is refused for a zone with options `o` (alias-max-hops, and with
// alias-chain each-hop every hop under alias-allow); empty when it is not.
[[nodiscard]] std::string chain_problem(const std::vector<dns::Name>& chain,
                                        const AliasZoneOptions& o);

// Keeps the first `max` addresses of the sorted list `addresses` (the canonical order of
// A/AAAA RDATA, RFC 4034 §6.3); returns how many there were. REQUIRES: sorted, distinct.
size_t cap_addresses(std::vector<dns::Rdata>& addresses, size_t max);

// The ALIAS records of `zone` as (owner, target, TTL) in zone order.
[[nodiscard]] std::vector<AliasResult> find_aliases(const zone::Zone& zone);

// Builds the flattened zone: `source` without its ALIAS RRsets, plus A/AAAA at each ALIAS
// owner from `expansion`, and the SOA serial set to `serial`; with `https`, HTTPS AliasMode at
// each ALIAS owner that has no HTTPS of its own. Throws zone::ZoneError when the result fails
// the builder's checks (it is never partially served).
[[nodiscard]] std::shared_ptr<const zone::Zone> build_flattened(const zone::Zone& source,
                                                                const Expansion& expansion,
                                                                uint32_t serial,
                                                                bool https = false);

}  // namespace flatsign::master
