#include "slave/parent_ds_gate.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/dns/rdata.hpp"
#include "common/net/address.hpp"
#include "common/net/resolver.hpp"
#include "common/util/log.hpp"

namespace flatsign::slave {
using dnssec::DnssecKey;

boost::asio::awaitable<ParentDs> ask_parent_ds(boost::asio::any_io_executor ex, dns::Name zone,
                                               std::string server) {
  ParentDs out;
  out.at = std::time(nullptr);
  net::ResolverOptions options;
  try {
    options.servers.push_back(net::parse_endpoint(server, 53));
  } catch (const std::exception& e) {
    out.detail = e.what();
    co_return out;
  }
  options.rounds = 3;
  net::StubResolver resolver(ex, options);
  const net::QueryResult r = co_await resolver.query(zone, dns::RRType::DS);
  if (r.outcome != net::QueryOutcome::Answer) {
    out.detail = "no answer: " + r.detail;
    co_return out;
  }
  const auto rc = r.response.rcode_value();
  if (rc != dns::Rcode::NOERROR && rc != dns::Rcode::NXDOMAIN) {
    out.detail = fmt::format("rcode {}", r.response.rcode);
    co_return out;
  }
  out.answered = true;
  std::vector<uint16_t> tags;
  for (const auto& rr : r.response.answer) {
    if (rr.type != dns::RRType::DS || !(rr.owner == zone)) continue;
    out.ds.push_back(rr.rdata);
    out.ttl = rr.ttl;
    if (rr.rdata.size() >= 2) tags.push_back(uint16_t(rr.rdata[0] << 8 | rr.rdata[1]));
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  out.detail = tags.empty() ? "no DS" : fmt::format("DS {}", fmt::join(tags, " "));
  co_return out;
}

bool ds_names_keys(const dns::Name& zone, const std::vector<dns::Rdata>& ds,
                   const std::vector<dns::Rdata>& dnskeys) {
  if (dnskeys.empty()) return false;
  for (const auto& key : dnskeys) {
    bool found = false;
    for (auto digest : {dnssec::DigestType::SHA256, dnssec::DigestType::SHA384}) {
      const dns::Rdata want = dnssec::make_ds_rdata(zone, key, digest);
      found |= std::find(ds.begin(), ds.end(), want) != ds.end();
    }
    if (!found) return false;
  }
  return true;
}

RetireHold hold_retirement(std::time_t inactive, std::optional<std::time_t> seen, uint32_t ds_ttl,
                           std::time_t now, const KeyPolicy& p) {
  if (seen) {
    // A resolver that fetched the older DS RRset just before `seen` keeps it for its TTL.
    const std::time_t earliest = *seen + std::max(ds_ttl, p.parent_ds_ttl) + p.retire_safety;
    return {std::max(inactive, earliest), kNever};
  }
  const std::time_t interval = std::max<std::time_t>(p.parent_ds_check_interval, 1);
  RetireHold h{inactive, now + interval};
  if (inactive <= now + interval) h.inactive = std::max(inactive, now + 2 * interval);
  return h;
}

bool ParentDsGate::step(const std::string& dir, const std::vector<DnssecKey>& keys, std::time_t now,
                        const KeyPolicy& p, const std::optional<ParentDs>& ds, const Alert& alert) {
  check_at_ = kNever;
  if (p.parent_ds_check.empty() || p.mode == KeyPolicy::Mode::Manual || keys.empty()) {
    retiring_.clear();
    return false;
  }
  const dns::Name& zone = keys.front().zone;
  KeySet set;
  try {
    set = key_set_at(keys, now);
  } catch (const KeyScheduleError&) {
    return false;  // the key step alerts it
  }
  if (ds && ds->detail != last_detail_) {
    util::log(util::LogLevel::Info, "slave", zone.to_string(), "parent-ds-check {}: {}",
              p.parent_ds_check, ds->detail);
    last_detail_ = ds->detail;
  }
  const bool names = ds && ds->answered && ds_names_keys(zone, ds->ds, set.cds);
  std::map<uint16_t, Retiring> still;
  bool wrote = false;
  for (const DnssecKey& k : keys) {
    const KeyWindows w = key_windows(k.timing);
    const bool in_cds =
        std::find(set.cds.begin(), set.cds.end(), k.dnskey_rdata()) != set.cds.end();
    // The step that needs the new DS: the old key's Inactive; in an algorithm roll its Delete,
    // which comes first (the old algorithm's signatures outlast its DNSKEY).
    const std::time_t end = std::min(w.active_until, w.publish_until);
    const bool algorithm_roll = w.publish_until < w.active_until;
    // A KSK/CSK still signing, with an end, that the CDS no longer names, beside successors.
    if (!k.is_sep() || !k.private_key || in_cds || set.cds.empty() || k.timing.inactive == 0 ||
        !(w.active_from <= now && now < end) || w.sync_until > now)
      continue;
    Retiring r;
    if (auto it = retiring_.find(k.tag); it != retiring_.end())
      r = it->second;
    else
      r.planned = end;
    if (ds && ds->answered) {
      if (!names) {
        r.seen.reset();  // gone again (the parent rolled back): wait anew
      } else if (!r.seen) {
        r.seen = ds->at;
        r.ttl = ds->ttl;
        util::log(util::LogLevel::Info, "slave", zone.to_string(),
                  "parent-ds-check: the parent's DS names the successor of key {}", k.tag);
      }
    }
    const RetireHold h = hold_retirement(end, r.seen, r.ttl, now, p);
    if (h.inactive != end) {
      const std::time_t by = h.inactive - end;
      // In an algorithm roll the old ZSKs leave with the old KSK: moved alike.
      for (const DnssecKey& o : keys) {
        const bool same_ends = o.timing.inactive == k.timing.inactive &&
                               o.timing.remove == k.timing.remove && o.algorithm == k.algorithm;
        if (!(o.tag == k.tag && o.dnskey_rdata() == k.dnskey_rdata()) &&
            !(algorithm_roll && !o.is_sep() && same_ends))
          continue;
        DnssecKey moved = o;
        moved.timing.inactive += by;
        if (moved.timing.remove) moved.timing.remove += by;
        dnssec::store_key_timing(dir, moved);
      }
      wrote = true;
      // Said once at Info; each later move (one per check interval while it lags) at Debug.
      util::log(r.held ? util::LogLevel::Debug : util::LogLevel::Info, "slave", zone.to_string(),
                "parent-ds-check: key {} {} until {} (planned {}): {}", k.tag,
                algorithm_roll ? "stays in the DNSKEY RRset" : "keeps signing",
                time_text(h.inactive), time_text(r.planned),
                r.seen ? "the DS RRset it replaces may still be cached"
                       : "the parent's DS does not name its successor yet");
      r.held = true;
    }
    const std::time_t lag = now - r.planned;
    if (!r.seen && r.held && !r.alerted && lag >= std::time_t(p.parent_ds_alert_after)) {
      r.alerted = true;
      alert("parent-ds-lagging",
            fmt::format("the parent's DS (asked of {}) still does not name the successor of key "
                        "{}, {} s after its planned retirement ({}); key {} keeps signing. "
                        "Last answer: {}",
                        p.parent_ds_check, k.tag, lag, time_text(r.planned), k.tag,
                        ds ? ds->detail : last_detail_));
    }
    check_at_ = std::min(check_at_, h.check_at);
    still[k.tag] = r;
  }
  retiring_ = std::move(still);
  return wrote;
}

}  // namespace flatsign::slave
