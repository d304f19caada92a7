#include "master/alias_expander.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/rdata.hpp"
#include "common/util/log.hpp"

namespace flatsign::master {
namespace asio = boost::asio;
using dns::Name;
constexpr auto kBatchWindow = std::chrono::milliseconds(1000);
using dns::RRType;
using util::LogLevel;

const char* policy_text(AliasFailurePolicy p) {
  switch (p) {
    case AliasFailurePolicy::Strict:
      return "strict";
    case AliasFailurePolicy::Ignore:
      return "ignore";
    case AliasFailurePolicy::Stale:
      return "stale";
  }
  return "?";
}

const char* dnssec_text(AliasDnssec d) {
  switch (d) {
    case AliasDnssec::Off:
      return "off";
    case AliasDnssec::Flag:
      return "flag";
    case AliasDnssec::Require:
      return "require";
  }
  return "?";
}

const AliasZoneOptions& AliasExpanderOptions::of(const dns::Name& origin) const {
  auto it = zones.find(origin);
  return it == zones.end() ? defaults : it->second;
}

bool name_allowed(const dns::Name& name, const std::vector<dns::Name>& suffixes) {
  if (suffixes.empty()) return true;
  for (const dns::Name& s : suffixes)
    if (name.is_subdomain_of(s)) return true;
  return false;
}

size_t cap_addresses(std::vector<dns::Rdata>& addresses, size_t max) {
  size_t n = addresses.size();
  if (n > max) addresses.resize(max);
  return n;
}

bool Expansion::same_content(const Expansion& o) const {
  if (aliases.size() != o.aliases.size() || failure.empty() != o.failure.empty()) return false;
  for (size_t i = 0; i < aliases.size(); ++i) {
    if (!aliases[i].same_content(o.aliases[i])) return false;
  }
  return true;
}

std::vector<AliasResult> find_aliases(const zone::Zone& zone) {
  std::vector<AliasResult> out;
  for (const zone::Node& node : zone.nodes()) {
    if (node.occluded) continue;  // below a cut: not ours to answer
    const dns::RRset* set = node.find(RRType::ALIAS);
    if (!set) continue;
    auto target = dns::rdata_target(RRType::ALIAS, set->rdatas.front());
    if (!target) continue;
    AliasResult r;
    r.owner = set->owner;
    r.target = *target;
    r.ttl = set->ttl;
    out.push_back(std::move(r));
  }
  return out;
}

AliasExpander::AliasExpander(net::StubResolver& resolver, AliasExpanderOptions options)
    : resolver_(resolver), options_(options) {
  set_zone_options(options_.zones);
}

void AliasExpander::set_zone_options(std::map<dns::Name, AliasZoneOptions> zones) {
  options_.zones = std::move(zones);
  bool dnssec = options_.defaults.dnssec != AliasDnssec::Off;
  bool flag = options_.defaults.dnssec == AliasDnssec::Flag;
  for (const auto& [origin, o] : options_.zones) {
    dnssec = dnssec || o.dnssec != AliasDnssec::Off;
    flag = flag || o.dnssec == AliasDnssec::Flag;
  }
  resolver_.set_dnssec(dnssec, flag);
}

asio::awaitable<void> AliasExpander::resolve_one(Name target) {
  net::AddressLookup res = co_await resolver_.lookup_addresses(target);
  auto now = Clock::now();
  Entry& e = cache_[target];
  // The upstream TTL drives only the next lookup, clamped per zone in due() (see the header's
  // TTL policy); failures are retried after the floor.
  e.ttl = std::chrono::seconds(res.status == net::LookupStatus::Ok ? res.ttl : 0);
  e.resolved_at = now;
  const bool negative =
      res.status == net::LookupStatus::NxDomain || res.status == net::LookupStatus::NoAddress;
  if (negative) {
    ++e.negative_checks;
  } else if (res.status == net::LookupStatus::Ok) {
    e.negative_checks = 0;
  }  // a timeout or SERVFAIL says nothing about the name: the count stays
  // Bogus data (fetched with CD for alias-dnssec flag) never becomes the stale fallback.
  if (res.status == net::LookupStatus::Ok && res.validation != net::Validation::Bogus) {
    e.last_good = res;
    e.last_good_at = now;
  } else {
    util::log(LogLevel::Warning, "alias", "", "target {} failed: {} ({})", target.to_string(),
              net::lookup_status_text(res.status), res.detail);
  }
  e.last = std::move(res);
}

asio::awaitable<void> AliasExpander::refresh(const zone::Zone& zone) {
  auto now = Clock::now();
  // Targets due within the batch window go along, so one upstream change spread over many
  // targets becomes one rebuild (one serial, one NOTIFY) rather than several.
  auto horizon = now + kBatchWindow;
  auto floor = options_.of(zone.origin()).min_refresh;
  std::vector<Name> targets;
  for (const AliasResult& a : find_aliases(zone)) {
    auto name = resolver_name(a.target);
    if (!name) continue;  // answered from the master's own zones
    auto it = cache_.find(*name);
    if (it == cache_.end() || this->due(it->second, floor) <= horizon) targets.push_back(*name);
  }
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  if (targets.empty()) co_return;
  // alias-max-queries: rounds of at most that many queries (2 per target), one a second, so a
  // zone of many targets never sends its resolver more than the budget at once.
  const size_t per_round = std::max<size_t>(1, options_.of(zone.origin()).max_queries / 2);
  auto ex = co_await asio::this_coro::executor;
  for (size_t first = 0; first < targets.size(); first += per_round) {
    if (first > 0) {
      asio::steady_timer pause(ex, std::chrono::seconds(1));
      (void)co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      util::log(LogLevel::Debug, "alias", zone.origin().to_string(),
                "alias-max-queries: round {} of {}", first / per_round + 1,
                (targets.size() + per_round - 1) / per_round);
    }
    const size_t last = std::min(targets.size(), first + per_round);
    co_await resolve_all(std::vector<Name>(targets.begin() + first, targets.begin() + last));
  }
  util::log(LogLevel::Debug, "alias", zone.origin().to_string(), "resolved {} targets",
            targets.size());
}

asio::awaitable<void> AliasExpander::resolve_all(std::vector<Name> targets) {
  // All at once: spawn each, wait for the count to reach zero. The completion handler logs
  // (never `detached`) and counts down.
  auto ex = co_await asio::this_coro::executor;
  auto pending = std::make_shared<size_t>(targets.size());
  auto done = std::make_shared<asio::steady_timer>(ex, Clock::time_point::max());
  for (const Name& t : targets) {
    asio::co_spawn(ex, resolve_one(t), [pending, done, t](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          util::log(LogLevel::Error, "alias", "", "lookup of {} failed: {}", t.to_string(),
                    x.what());
        }
      }
      if (--*pending == 0) done->cancel();
    });
  }
  if (*pending > 0) (void)co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
}

Expansion AliasExpander::expand(const zone::Zone& zone, Clock::time_point now) const {
  const AliasZoneOptions& o = options_.of(zone.origin());
  Expansion ex;
  ex.aliases = find_aliases(zone);
  for (AliasResult& a : ex.aliases) {
    auto it = cache_.end();
    LocalChain local = follow_local(a.target);
    a.local = local.local;
    if (!local.local) {
      it = cache_.find(a.target);
    } else if (local.external) {
      it = cache_.find(*local.external);
    }
    const net::AddressLookup* use = nullptr;
    std::string why = "not resolved yet";
    if (local.local && !local.external) {
      // The master's own data: as fresh as the last reload; nothing stale to fall back on.
      a.chain = local.found.chain;
      if (local.found.status == net::LookupStatus::Ok) {
        use = &local.found;
      } else {
        why = std::string(net::lookup_status_text(local.found.status)) + ": " + local.found.detail +
              " (in the master's own zone)";
      }
    } else if (it != cache_.end()) {
      const Entry& e = it->second;
      a.chain = e.last.chain;
      a.validation = e.last.validation;
      const bool ok = e.last.status == net::LookupStatus::Ok;
      // An answer this zone does not take for its DNSSEC status (then failing as any other).
      std::string refused;
      if (ok && e.last.validation == net::Validation::Bogus && o.dnssec == AliasDnssec::Off) {
        // Without the CD retry another zone asked for, this was the resolver's SERVFAIL.
        refused = "SERVFAIL: DNSSEC validation failed (bogus)";
      } else if (ok && o.dnssec == AliasDnssec::Require &&
                 e.last.validation != net::Validation::Secure) {
        refused = std::string("alias-dnssec require: the answer is ") +
                  net::validation_text(e.last.validation);
      }
      if (std::string bad = chain_problem(e.last.chain, o); !bad.empty()) {
        why = bad;  // the answer itself is refused: neither it nor stale data is used
      } else if (ok && refused.empty()) {
        use = &e.last;
        a.dnssec_flagged =
            o.dnssec == AliasDnssec::Flag && e.last.validation != net::Validation::Secure;
      } else {
        why = !refused.empty()
                  ? refused
                  : std::string(net::lookup_status_text(e.last.status)) + ": " + e.last.detail;
        const bool negative = e.last.status == net::LookupStatus::NxDomain ||
                              e.last.status == net::LookupStatus::NoAddress;
        const bool watched = negative && o.dangling_after > 0;
        const bool good_enough =
            e.last_good && (o.dnssec != AliasDnssec::Require ||
                            e.last_good->validation == net::Validation::Secure);
        if ((o.policy == AliasFailurePolicy::Stale || watched) && good_enough &&
            now - e.last_good_at <= o.max_stale) {
          use = &*e.last_good;
          a.stale = true;
          auto left = o.max_stale - (now - e.last_good_at);
          a.stale_expiring =
              left <= std::max<Clock::duration>(o.max_stale / 4, std::chrono::seconds(1));
          if (watched) {
            a.negative_checks = e.negative_checks;
            a.dangling = e.negative_checks >= o.dangling_after;
            a.dangling_pending = !a.dangling;
          }
        }
      }
    }
    if (use) {
      a.a = use->a;
      a.aaaa = use->aaaa;
      a.a_upstream = cap_addresses(a.a, o.max_addresses);
      a.aaaa_upstream = cap_addresses(a.aaaa, o.max_addresses);
      if (a.stale) a.failure = why;
      continue;
    }
    a.failure = why;
    if (o.policy == AliasFailurePolicy::Ignore) {
      a.left_out = true;
      continue;
    }
    if (!ex.failure.empty()) ex.failure += "; ";
    ex.failure += "ALIAS " + a.owner.to_string() + " -> " + a.target.to_string() + ": " + why;
  }
  return ex;
}

std::string chain_problem(const std::vector<dns::Name>& chain, const AliasZoneOptions& o) {
  if (chain.size() > o.max_hops)
    return fmt::format("CNAME chain of {} hops, more than alias-max-hops {}", chain.size(),
                       o.max_hops);
  if (!o.each_hop) return {};
  for (size_t i = 0; i < chain.size(); ++i)
    if (!name_allowed(chain[i], o.allow))
      return fmt::format("CNAME hop {} ({}) is outside alias-allow (alias-chain each-hop)", i + 1,
                         chain[i].to_string());
  return {};
}

Clock::time_point AliasExpander::due(const Entry& e, std::chrono::seconds min_refresh) const {
  return e.resolved_at +
         std::clamp(e.ttl, min_refresh, std::max(min_refresh, options_.max_refresh));
}

Clock::time_point AliasExpander::next_refresh(const zone::Zone& zone, Clock::time_point now) const {
  Clock::time_point next = now + options_.max_refresh;
  auto floor = options_.of(zone.origin()).min_refresh;
  for (const AliasResult& a : find_aliases(zone)) {
    auto name = resolver_name(a.target);
    if (!name) continue;  // follows reloads, not TTLs
    auto it = cache_.find(*name);
    if (it == cache_.end()) return now;
    next = std::min(next, due(it->second, floor));
  }
  return next;
}

std::optional<Clock::time_point> AliasExpander::target_due(const dns::Name& target,
                                                           const dns::Name& origin) const {
  auto name = resolver_name(target);
  if (!name) return std::nullopt;
  auto it = cache_.find(*name);
  if (it == cache_.end()) return std::nullopt;
  return due(it->second, options_.of(origin).min_refresh);
}

AliasExpander::LocalChain AliasExpander::follow_local(const dns::Name& target) const {
  LocalChain out;
  if (!local_) return out;
  std::set<Name> seen{target};
  Name current = target;
  for (int links = 0;; ++links) {
    auto z = local_(current);
    const zone::Node* node = z ? z->find(current) : nullptr;
    if (!node || node->occluded) {
      // Not the master's to answer (not served here, no such node: a wildcard or an empty
      // non-terminal the resolver handles, or below a delegation): the resolver from here.
      if (links > 0) out.external = current;
      return out;
    }
    out.local = true;
    std::optional<Name> next;
    if (const dns::RRset* c = node->find(RRType::CNAME)) {
      next = dns::rdata_target(RRType::CNAME, c->rdatas.front());
    } else if (const dns::RRset* al = node->find(RRType::ALIAS)) {
      next = dns::rdata_target(RRType::ALIAS, al->rdatas.front());
    } else {
      for (auto [type, list] :
           {std::pair{RRType::A, &out.found.a}, std::pair{RRType::AAAA, &out.found.aaaa}})
        if (const dns::RRset* rs = node->find(type))
          for (dns::RdataRef rd : rs->rdatas) list->emplace_back(rd.begin(), rd.end());
      out.found.status = out.found.a.empty() && out.found.aaaa.empty()
                             ? net::LookupStatus::NoAddress
                             : net::LookupStatus::Ok;
      if (out.found.status != net::LookupStatus::Ok)
        out.found.detail = current.to_string() + ": neither A nor AAAA";
      return out;
    }
    if (!next) {
      out.found.status = net::LookupStatus::Error;
      out.found.detail = current.to_string() + ": unreadable CNAME or ALIAS";
      return out;
    }
    out.found.chain.push_back(*next);
    if (!seen.insert(*next).second || links >= net::StubResolver::kMaxChain) {
      out.found.status = net::LookupStatus::CnameLoop;
      out.found.detail =
          target.to_string() + ": chain loops or is too long at " + next->to_string();
      return out;
    }
    current = *next;
  }
}

std::optional<dns::Name> AliasExpander::resolver_name(const dns::Name& target) const {
  LocalChain local = follow_local(target);
  if (!local.local) return target;
  return local.external;
}

bool AliasExpander::has_local_targets(const zone::Zone& zone) const {
  for (const AliasResult& a : find_aliases(zone))
    if (follow_local(a.target).local) return true;
  return false;
}

std::shared_ptr<const zone::Zone> build_flattened(const zone::Zone& source,
                                                  const Expansion& expansion, uint32_t serial,
                                                  bool https) {
  // A patch of the source snapshot, not a rebuild: only the ALIAS owners and the apex change,
  // so only they are checked again (the source zone passed every check when it was loaded).
  std::vector<dns::RRset> changes;
  dns::RRset soa = source.soa();
  dns::set_soa_serial(soa.rdatas.mutable_at(0), serial);
  changes.push_back(std::move(soa));
  // Every ALIAS goes, occluded ones too: slaves must never receive type 65401.
  for (const zone::Node& node : source.nodes()) {
    if (node.find(RRType::ALIAS)) {
      changes.push_back(dns::RRset{node.name, RRType::ALIAS, dns::RRClass::IN, 0, {}});
    }
  }
  for (const AliasResult& a : expansion.aliases) {
    if (a.left_out) continue;
    for (auto [type, rdatas] : {std::pair{RRType::A, &a.a}, std::pair{RRType::AAAA, &a.aaaa}}) {
      if (rdatas->empty()) continue;  // a target without AAAA gives just A, and vice versa
      changes.push_back(dns::RRset{a.owner, type, dns::RRClass::IN, a.ttl, *rdatas});
    }
    if (https && !source.find(a.owner, RRType::HTTPS)) {
      // SvcPriority 0 (AliasMode) and the target, uncompressed, no parameters (RFC 9460 §2.2).
      dns::Rdata rd{0, 0};
      rd.insert(rd.end(), a.target.wire().begin(), a.target.wire().end());
      changes.push_back(dns::RRset{a.owner, RRType::HTTPS, dns::RRClass::IN, a.ttl, {rd}});
    }
  }
  return source.with_changes(std::move(changes));
}

}  // namespace flatsign::master
