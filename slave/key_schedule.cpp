#include "slave/key_schedule.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace flatsign::slave {
namespace fs = std::filesystem;
using dnssec::DnssecKey;
using dnssec::KeyTiming;

KeyWindows key_windows(const KeyTiming& t) {
  KeyWindows w;
  if (t.publish != 0 || t.activate != 0) {
    // BIND: a key with timing but no Activate never signs; no Publish means it is published
    // when it activates.
    w.publish_from = t.publish ? t.publish : t.activate;
    w.active_from = t.activate ? t.activate : kNever;
  }
  if (t.remove) w.publish_until = t.remove;
  if (t.inactive) w.active_until = t.inactive;
  w.sync_from = t.sync_publish ? t.sync_publish : std::max(w.publish_from, w.active_from);
  w.sync_until = t.sync_delete ? t.sync_delete : std::min(w.active_until, w.publish_until);
  return w;
}

std::string timing_problem(const KeyTiming& t) {
  const KeyWindows w = key_windows(t);
  // Activate before Publish and Inactive after Delete are an algorithm roll's first and last
  // steps (RFC 6781 §4.1.4): key_set_at() allows them only for an algorithm the DNSKEY RRset
  // does not hold.
  if (t.inactive && t.activate && t.inactive <= t.activate) return "Inactive is not after Activate";
  if (t.remove && t.remove <= w.publish_from) return "Delete is not after Publish";
  if (t.remove && w.active_from != kNever && !t.inactive) return "Delete is set without Inactive";
  if (t.sync_publish && t.sync_publish < w.publish_from) return "SyncPublish is before Publish";
  if (t.sync_delete && t.sync_delete > w.publish_until) return "SyncDelete is after Delete";
  if (t.sync_publish && t.sync_delete && t.sync_delete <= t.sync_publish)
    return "SyncDelete is not after SyncPublish";
  return "";
}

namespace {
bool within(std::time_t t, std::time_t from, std::time_t until) {
  return from <= t && t < until;
}

std::string tags_text(const std::vector<dns::Rdata>& rdatas) {
  std::string out;
  for (const auto& rd : rdatas)
    out += fmt::format("{}{}", out.empty() ? "" : " ", dnssec::key_tag(rd));
  return out.empty() ? "none" : out;
}

std::string key_name(const DnssecKey& k) {
  return fmt::format("key {} ({})", k.tag, k.file_base());
}
}  // namespace

std::string key_state_text(const DnssecKey& k, std::time_t t) {
  const KeyWindows w = key_windows(k.timing);
  const bool pub = within(t, w.publish_from, w.publish_until);
  const bool act = within(t, w.active_from, w.active_until);
  const bool sync = k.is_sep() && pub && within(t, w.sync_from, w.sync_until);
  std::string s = act && !pub            ? "signing, not published"
                  : t < w.publish_from   ? "future"
                  : t >= w.publish_until ? "removed"
                  : act                  ? "active"
                  : t < w.active_from    ? "published"
                                         : "retired";
  if (sync) s += "+cds";
  if (!k.private_key) s += " (public only)";
  return s;
}

std::time_t next_key_event(const DnssecKey& k, std::time_t t) {
  const KeyWindows w = key_windows(k.timing);
  std::time_t next = kNever;
  for (std::time_t e :
       {w.publish_from, w.publish_until, w.active_from, w.active_until, w.sync_from, w.sync_until})
    if (e > t && e < next) next = e;
  return next;
}

bool KeySet::same_as(const KeySet& o) const {
  auto ids = [](const std::vector<DnssecKey>& keys) {
    std::vector<dns::Rdata> v;
    for (const auto& k : keys) v.push_back(k.dnskey_rdata());
    std::sort(v.begin(), v.end());
    return v;
  };
  return dnskeys == o.dnskeys && cds == o.cds && ids(signing) == ids(o.signing);
}

std::string KeySet::text() const {
  std::vector<dns::Rdata> sig;
  for (const auto& k : signing) sig.push_back(k.dnskey_rdata());
  return fmt::format("DNSKEY {}, signing {}, CDS {}", tags_text(dnskeys), tags_text(sig),
                     tags_text(cds));
}

KeySet key_set_at(const std::vector<DnssecKey>& keys, std::time_t t) {
  KeySet set;
  bool sep_published = false, sep_active = false;
  std::set<dnssec::Algorithm> published_algs, active_algs;
  std::vector<const DnssecKey*> unpublished;  // signing while not in the DNSKEY RRset
  for (const auto& k : keys) {
    if (std::string p = timing_problem(k.timing); !p.empty())
      throw KeyScheduleError(fmt::format("{}: inconsistent timing: {}", key_name(k), p));
    const KeyWindows w = key_windows(k.timing);
    const bool pub = within(t, w.publish_from, w.publish_until);
    const bool act = within(t, w.active_from, w.active_until);
    set.next_event = std::min(set.next_event, next_key_event(k, t));
    if (act && !k.private_key)
      throw KeyScheduleError(fmt::format("{} is active but its private key ({}.private) is missing",
                                         key_name(k), k.file_base()));
    if (pub) {
      set.dnskeys.push_back(k.dnskey_rdata());
      published_algs.insert(k.algorithm);
      sep_published |= k.is_sep();
      if (k.is_sep() && within(t, w.sync_from, w.sync_until)) set.cds.push_back(k.dnskey_rdata());
    }
    if (act) {
      set.signing.push_back(k);
      if (!pub) {
        unpublished.push_back(&k);
        continue;
      }
      active_algs.insert(k.algorithm);
      sep_active |= k.is_sep();
    }
  }
  if (active_algs.empty()) throw KeyScheduleError("no key is active in the DNSKEY RRset");
  if (sep_published && !sep_active)
    throw KeyScheduleError(
        "no KSK/CSK is active: the DNSKEY RRset would have no signature "
        "from a key the parent's DS names");
  for (auto alg : published_algs)
    if (!active_algs.count(alg))
      throw KeyScheduleError(fmt::format(
          "algorithm {} is in the DNSKEY RRset but no key of it is active (RFC 4035 2.2)",
          dnssec::algorithm_name(alg)));
  // A key signs outside the DNSKEY RRset only in an algorithm roll (RFC 6781 §4.1.4): before its
  // publication (the new algorithm's signatures reach every cache first) and after its removal
  // (the old algorithm's signatures stay while caches hold the old DNSKEY RRset). Beside a
  // published key of its algorithm its signatures would only be dead weight, and the timing a
  // mistake.
  for (const DnssecKey* k : unpublished)
    if (published_algs.count(k->algorithm))
      throw KeyScheduleError(fmt::format(
          "{} would sign while not in the DNSKEY RRset, which holds keys of its algorithm {}: "
          "only an algorithm roll signs with unpublished keys (Activate before Publish, Inactive "
          "after Delete)",
          key_name(*k), dnssec::algorithm_name(k->algorithm)));
  std::sort(set.dnskeys.begin(), set.dnskeys.end());
  std::sort(set.cds.begin(), set.cds.end());
  return set;
}

std::string schedule_problem(const std::vector<DnssecKey>& keys, std::time_t t) {
  // Each key has at most six events: the loop ends.
  for (std::time_t at = t; at != kNever;) {
    try {
      at = key_set_at(keys, at).next_event;
    } catch (const KeyScheduleError& e) {
      return fmt::format("at {}: {}", time_text(at), e.what());
    }
  }
  return "";
}

ZoneTtls zone_ttls(const zone::Zone& z) {
  ZoneTtls t;
  for (const auto& node : z.nodes())
    for (const auto& rs : node.rrsets) t.max = std::max(t.max, rs.ttl);
  if (!z.nodes().empty())
    if (const dns::RRset* k = z.nodes().front().find(dns::RRType::DNSKEY)) t.dnskey = k->ttl;
  return t;
}

const char* key_role_name(KeyRole r) {
  switch (r) {
    case KeyRole::Csk:
      return "CSK";
    case KeyRole::Ksk:
      return "KSK";
    case KeyRole::Zsk:
      return "ZSK";
  }
  return "?";
}

std::vector<KeyRole> policy_roles(const KeyPolicy& p) {
  switch (p.mode) {
    case KeyPolicy::Mode::CskRoll:
      return {KeyRole::Csk};
    case KeyPolicy::Mode::KskZskRoll:
      return {KeyRole::Ksk, KeyRole::Zsk};
    case KeyPolicy::Mode::Manual:
      break;
  }
  return {};
}

namespace {

// The DNSKEY TTL a roll waits out (the policy's or the zone's, the larger) and the largest TTL
// of the zone's records, never below it.
std::pair<std::time_t, std::time_t> effective_ttls(const KeyPolicy& p, ZoneTtls ttls) {
  const std::time_t dnskey_ttl = std::max(p.dnskey_ttl, ttls.dnskey);
  return {dnskey_ttl, std::max<std::time_t>(ttls.max, dnskey_ttl)};
}

}  // namespace

CskRollTiming csk_roll_timing(std::time_t start, const KeyPolicy& p, ZoneTtls ttls) {
  const auto [dnskey_ttl, max_ttl] = effective_ttls(p, ttls);
  CskRollTiming r;
  r.start = start;
  r.sync = start + dnskey_ttl + p.propagation_delay + p.publish_safety;
  r.retire = r.sync + p.parent_ds_ttl + p.parent_propagation_delay + p.retire_safety;
  r.remove = r.retire + max_ttl + p.propagation_delay;
  return r;
}

CskRollTiming ksk_roll_timing(std::time_t start, const KeyPolicy& p, ZoneTtls ttls) {
  return csk_roll_timing(start, p, {.dnskey = ttls.dnskey, .max = 0});
}

ZskRollTiming zsk_roll_timing(std::time_t start, const KeyPolicy& p, ZoneTtls ttls) {
  const auto [dnskey_ttl, max_ttl] = effective_ttls(p, ttls);
  ZskRollTiming r;
  r.start = start;
  r.activate = start + dnskey_ttl + p.propagation_delay + p.publish_safety;
  r.remove = r.activate + max_ttl + p.propagation_delay + p.retire_safety;
  return r;
}

AlgorithmRollTiming algorithm_roll_timing(std::time_t start, const KeyPolicy& p, ZoneTtls ttls) {
  const auto [dnskey_ttl, max_ttl] = effective_ttls(p, ttls);
  AlgorithmRollTiming r;
  r.start = start;
  r.publish = start + max_ttl + p.propagation_delay + p.publish_safety;
  r.sync = r.publish + dnskey_ttl + p.propagation_delay + p.publish_safety;
  r.remove = r.sync + p.parent_ds_ttl + p.parent_propagation_delay + p.retire_safety;
  r.retire = r.remove + dnskey_ttl + p.propagation_delay;
  return r;
}

namespace {
uint32_t lifetime_of(KeyRole role, const KeyPolicy& p) {
  return role == KeyRole::Csk   ? p.csk_lifetime
         : role == KeyRole::Ksk ? p.ksk_lifetime
                                : p.zsk_lifetime;
}
// From the successor's Publish to the old key's Inactive: where the lifetime is measured to.
std::time_t until_retire(KeyRole role, const KeyPolicy& p, ZoneTtls ttls) {
  if (role == KeyRole::Zsk) return zsk_roll_timing(0, p, ttls).activate;
  return (role == KeyRole::Csk ? csk_roll_timing(0, p, ttls) : ksk_roll_timing(0, p, ttls)).retire;
}
bool has_role(const DnssecKey& k, KeyRole role) {
  return role == KeyRole::Zsk ? !k.is_sep() : k.is_sep();
}
}  // namespace

std::time_t min_lifetime(KeyRole role, const KeyPolicy& p) {
  // The next roll starts at the successor's Activate + lifetime - until_retire; the successor
  // of a CSK or KSK activates at the roll's start, a ZSK's at until_retire.
  if (role == KeyRole::Zsk) return zsk_roll_timing(0, p, {}).remove;
  const CskRollTiming span =
      role == KeyRole::Csk ? csk_roll_timing(0, p, {}) : ksk_roll_timing(0, p, {});
  return span.retire + span.remove;
}

SuccessorTiming successor_timing(const CskRollTiming& r) {
  SuccessorTiming s;
  s.flags = dnssec::kFlagsKsk;
  s.successor.publish = s.successor.activate = r.start;
  s.successor.sync_publish = r.sync;
  s.old_sync_delete = r.sync;
  s.old_inactive = r.retire;
  s.old_remove = r.remove;
  return s;
}

SuccessorTiming successor_timing(const ZskRollTiming& r) {
  SuccessorTiming s;
  s.flags = dnssec::kFlagsZsk;
  s.successor.publish = r.start;
  s.successor.activate = r.activate;
  s.old_inactive = r.activate;
  s.old_remove = r.remove;
  return s;
}

SuccessorTiming successor_timing(const AlgorithmRollTiming& r, bool sep) {
  SuccessorTiming s;
  s.flags = sep ? dnssec::kFlagsKsk : dnssec::kFlagsZsk;
  s.successor.activate = r.start;
  s.successor.publish = r.publish;
  if (sep) {
    s.successor.sync_publish = r.sync;
    s.old_sync_delete = r.sync;
  }
  s.old_remove = r.remove;
  s.old_inactive = r.retire;
  return s;
}

AlgorithmRollStep plan_algorithm_roll(const std::vector<DnssecKey>& keys, std::time_t t,
                                      const KeyPolicy& p, ZoneTtls ttls) {
  AlgorithmRollStep step;
  if (p.mode == KeyPolicy::Mode::Manual || !p.algorithm || keys.empty()) return step;
  const dnssec::Algorithm alg = *p.algorithm;
  const std::string to = dnssec::algorithm_name(alg);
  std::vector<size_t> open, old;
  std::optional<std::time_t> resumed;  // the Activate of a new key of the roll under way
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyWindows w = key_windows(keys[i].timing);
    if (w.active_from == kNever || w.active_until != kNever) continue;
    open.push_back(i);
    if (keys[i].algorithm != alg)
      old.push_back(i);
    else if (keys[i].timing.activate && keys[i].timing.publish > keys[i].timing.activate)
      resumed = keys[i].timing.activate;
  }
  if (old.empty()) return step;
  // The roles the new algorithm's keys already fill: the keys of those are being replaced.
  auto filled = [&](bool sep) {
    return std::any_of(open.begin(), open.end(), [&](size_t i) {
      return keys[i].algorithm == alg && keys[i].is_sep() == sep;
    });
  };
  for (size_t i : old) {
    if (filled(keys[i].is_sep())) {
      step.waiting = fmt::format(
          "algorithm roll to {}: key {} and a key of {} in the same role both sign with no "
          "Inactive time set: set one (key retire) for the policy to go on",
          to, keys[i].tag, to);
      return step;
    }
    if (!keys[i].private_key) {
      step.waiting = fmt::format(
          "algorithm roll to {}: key {} has no private key here: its successor is made where it "
          "is",
          to, keys[i].tag);
      return step;
    }
  }
  if (!resumed) {
    // One roll at a time: a key with an end still in the DNSKEY RRset leaves first.
    for (const auto& k : keys) {
      const KeyWindows w = key_windows(k.timing);
      if (w.publish_until != kNever && w.publish_until > t) {
        step.waiting = fmt::format(
            "algorithm roll to {} waits for the roll under way: key {} leaves the DNSKEY RRset "
            "at {}",
            to, k.tag, time_text(w.publish_until));
        return step;
      }
    }
  }
  step.roll_from = old;
  step.timing = algorithm_roll_timing(resumed.value_or(t), p, ttls);
  return step;
}

PolicyStep plan_key_roll(const std::vector<DnssecKey>& keys, std::time_t t, const KeyPolicy& p,
                         ZoneTtls ttls, KeyRole role) {
  PolicyStep step;
  step.role = role;
  const auto roles = policy_roles(p);
  const uint32_t lifetime = lifetime_of(role, p);
  if (std::find(roles.begin(), roles.end(), role) == roles.end() || lifetime == 0) return step;
  const bool any_zsk =
      std::any_of(keys.begin(), keys.end(), [](const DnssecKey& k) { return !k.is_sep(); });
  const bool any_sep =
      std::any_of(keys.begin(), keys.end(), [](const DnssecKey& k) { return k.is_sep(); });
  if (role == KeyRole::Csk && any_zsk) {
    step.waiting = "the zone has a ZSK: csk-roll rolls a single CSK only (ksk-zsk-roll rolls both)";
    return step;
  }
  if (role != KeyRole::Csk && !(any_zsk && any_sep)) {
    step.waiting = fmt::format(
        "the zone has no {}: ksk-zsk-roll rolls a KSK and a ZSK (add the missing key, e.g. "
        "with dnssec-keygen and key import)",
        any_sep ? "ZSK" : "KSK");
    return step;
  }
  // The key to roll: the one key of the role that signs with no end set. Keys with an end are
  // being rolled (or retired by hand); two without one are a roll only an operator can finish.
  std::vector<size_t> open;
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyWindows w = key_windows(keys[i].timing);
    if (has_role(keys[i], role) && w.active_from != kNever && w.active_until == kNever)
      open.push_back(i);
  }
  const char* name = key_role_name(role);
  if (open.size() != 1) {
    step.waiting = open.empty()
                       ? fmt::format("no {} without an Inactive time: a roll is under way", name)
                       : fmt::format(
                             "{} {}s sign with no Inactive time set: set one (key retire) for the "
                             "policy to go on",
                             open.size(), name);
    return step;
  }
  const DnssecKey& cur = keys[open.front()];
  const KeyWindows w = key_windows(cur.timing);
  if (!cur.private_key) {
    step.waiting =
        fmt::format("key {} has no private key here: its successor is made where it is", cur.tag);
    return step;
  }
  // Keys written before timing was kept count their lifetime from their creation.
  std::time_t since = w.active_from != 0 ? w.active_from : cur.created;
  if (since == 0) since = t;
  std::time_t start = since + lifetime - until_retire(role, p, ttls);
  // One roll at a time: the last one's old key leaves first. It leaves later than planned when
  // parent-ds-check held its retirement (the lifetime covers two rolls only as planned).
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyWindows o = key_windows(keys[i].timing);
    if (i != open.front() && has_role(keys[i], role) && o.publish_until != kNever &&
        o.publish_until > t)
      start = std::max(start, o.publish_until);
  }
  const std::time_t make_at = start - p.publish_safety;
  if (t < make_at) {
    step.next = make_at;
    return step;
  }
  start = std::max(start, t);
  step.roll_from = open.front();
  if (role == KeyRole::Zsk)
    step.zsk = zsk_roll_timing(start, p, ttls);
  else
    step.timing =
        role == KeyRole::Csk ? csk_roll_timing(start, p, ttls) : ksk_roll_timing(start, p, ttls);
  return step;
}

PolicyStep plan_csk_roll(const std::vector<DnssecKey>& keys, std::time_t t, const KeyPolicy& p,
                         ZoneTtls ttls) {
  return plan_key_roll(keys, t, p, ttls, KeyRole::Csk);
}

namespace {
// The lines of one role's next roll.
void roll_timeline(const std::vector<DnssecKey>& keys, std::time_t t, const KeyPolicy& p,
                   ZoneTtls ttls, KeyRole role, std::vector<std::string>& out) {
  const char* policy = role == KeyRole::Csk ? "csk-roll" : "ksk-zsk-roll";
  const char* name = key_role_name(role);
  if (lifetime_of(role, p) == 0) {
    out.push_back(fmt::format("{} {}: lifetime 0, never rolled", policy, name));
    return;
  }
  PolicyStep step = plan_key_roll(keys, kNever / 2, p, ttls, role);  // as if due: the times
  if (!step.roll_from) {
    out.push_back(fmt::format("{} {}: {}", policy, name,
                              step.waiting.empty() ? "nothing planned" : step.waiting));
    return;
  }
  const PolicyStep now = plan_key_roll(keys, t, p, ttls, role);
  const std::time_t start = now.roll_from
                                ? (role == KeyRole::Zsk ? now.zsk.start : now.timing.start)
                                : std::max(t, now.next + std::time_t(p.publish_safety));
  const uint16_t old = keys[*step.roll_from].tag;
  out.push_back(fmt::format("{} of {} {}: successor made {}", policy, name, old,
                            time_text(start - p.publish_safety)));
  if (role == KeyRole::Zsk) {
    const ZskRollTiming r = zsk_roll_timing(start, p, ttls);
    out.push_back(
        fmt::format("  {} successor published (not signing) beside {}", time_text(r.start), old));
    out.push_back(fmt::format("  {} successor signs, key {} stops signing (+{} s)",
                              time_text(r.activate), old, r.activate - r.start));
    out.push_back(fmt::format("  {} key {} leaves the DNSKEY RRset (+{} s)", time_text(r.remove),
                              old, r.remove - r.start));
    return;
  }
  const CskRollTiming r =
      role == KeyRole::Csk ? csk_roll_timing(start, p, ttls) : ksk_roll_timing(start, p, ttls);
  out.push_back(fmt::format("  {} successor published and signing beside {}{}", time_text(r.start),
                            old, role == KeyRole::Ksk ? " (the DNSKEY RRset)" : ""));
  out.push_back(fmt::format("  {} CDS/CDNSKEY name the successor (+{} s): update the parent's DS",
                            time_text(r.sync), r.sync - r.start));
  out.push_back(fmt::format(
      "  {} key {} stops signing (+{} s){}", time_text(r.retire), old, r.retire - r.start,
      p.parent_ds_check.empty() ? "" : ", or later until the parent's DS names the successor"));
  out.push_back(fmt::format("  {} key {} leaves the DNSKEY RRset (+{} s)", time_text(r.remove), old,
                            r.remove - r.start));
}
}  // namespace

std::vector<std::string> policy_timeline(const std::vector<DnssecKey>& keys, std::time_t t,
                                         const KeyPolicy& p, ZoneTtls ttls) {
  std::vector<std::string> out;
  const bool any_zsk =
      std::any_of(keys.begin(), keys.end(), [](const DnssecKey& k) { return !k.is_sep(); });
  for (const auto& k : keys) {
    const KeyTiming& kt = k.timing;
    out.push_back(
        fmt::format("key {} {} {}: publish {} activate {} sync {} - {} inactive {} "
                    "delete {}; next event {}",
                    k.tag,
                    !k.is_sep() ? "ZSK"
                    : any_zsk   ? "KSK"
                                : "CSK",
                    key_state_text(k, t), time_text(kt.publish), time_text(kt.activate),
                    time_text(kt.sync_publish), time_text(kt.sync_delete), time_text(kt.inactive),
                    time_text(kt.remove), time_text(next_key_event(k, t))));
  }
  const auto roles = policy_roles(p);
  if (roles.empty()) out.push_back("key-policy manual: the keys' own timing only");
  const AlgorithmRollStep alg = plan_algorithm_roll(keys, t, p, ttls);
  if (!alg.waiting.empty()) out.push_back(alg.waiting);
  if (!alg.roll_from.empty()) {
    const AlgorithmRollTiming& r = alg.timing;
    std::string old;
    for (size_t i : alg.roll_from) old += fmt::format(" {}", keys[i].tag);
    const std::string name = dnssec::algorithm_name(keys[alg.roll_from.front()].algorithm);
    out.push_back(fmt::format("algorithm roll {} -> {} of key(s){}: new keys made {}", name,
                              dnssec::algorithm_name(*p.algorithm), old, time_text(r.start)));
    out.push_back(fmt::format(
        "  {} new keys sign every RRset beside the old ones, not yet in the DNSKEY RRset",
        time_text(r.start)));
    out.push_back(
        fmt::format("  {} new keys published: the DNSKEY RRset holds both algorithms (+{} s)",
                    time_text(r.publish), r.publish - r.start));
    out.push_back(
        fmt::format("  {} CDS/CDNSKEY name the new KSK/CSK (+{} s): update the parent's DS",
                    time_text(r.sync), r.sync - r.start));
    out.push_back(fmt::format(
        "  {} key(s){} leave the DNSKEY RRset (+{} s){}", time_text(r.remove), old,
        r.remove - r.start,
        p.parent_ds_check.empty() ? "" : ", or later until the parent's DS names the new key"));
    out.push_back(fmt::format("  {} key(s){} stop signing: only {} signs (+{} s)",
                              time_text(r.retire), old, dnssec::algorithm_name(*p.algorithm),
                              r.retire - r.start));
    return out;  // the other rolls wait for it
  }
  for (KeyRole role : roles) roll_timeline(keys, t, p, ttls, role, out);
  return out;
}

KeyFolder::KeyFolder(std::string dir, const dns::Name& zone)
    : dir_(std::move(dir)), prefix_("k" + zone.lowercased().to_string() + "+") {}

std::string KeyFolder::fingerprint() const {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.rfind(prefix_, 0) != 0) continue;
    std::error_code e2;
    const auto size = e.file_size(e2);
    const auto mtime = e.last_write_time(e2).time_since_epoch().count();
    files[name] = fmt::format("{}:{}", size, mtime);
  }
  std::string out = ec ? "unlistable:" + ec.message() : "";
  for (const auto& [name, st] : files) out += name + "=" + st + ";";
  return out;
}

bool KeyFolder::changed() const {
  return !seen_ || *seen_ != std::hash<std::string>{}(fingerprint());
}

void KeyFolder::mark() {
  seen_ = std::hash<std::string>{}(fingerprint());
}

std::string time_text(std::time_t t) {
  if (t == kNever) return "never";
  if (t == 0) return "-";
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace flatsign::slave
