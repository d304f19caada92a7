#include "slave/key_schedule.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

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
  if (t.activate && t.publish && t.activate < t.publish) return "Activate is before Publish";
  if (t.inactive && t.activate && t.inactive <= t.activate) return "Inactive is not after Activate";
  if (t.remove && t.remove <= w.publish_from) return "Delete is not after Publish";
  if (t.remove && w.active_from != kNever && w.active_until > t.remove)
    return t.inactive ? "Inactive is after Delete" : "Delete is set without Inactive";
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
  std::string s = t < w.publish_from     ? "future"
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
  for (const auto& k : keys) {
    if (std::string p = timing_problem(k.timing); !p.empty())
      throw KeyScheduleError(fmt::format("{}: inconsistent timing: {}", key_name(k), p));
    const KeyWindows w = key_windows(k.timing);
    const bool pub = within(t, w.publish_from, w.publish_until);
    const bool act = within(t, w.active_from, w.active_until);
    set.next_event = std::min(set.next_event, next_key_event(k, t));
    if (act && !pub)  // timing_problem() rules this out; kept as the invariant it is
      throw KeyScheduleError(fmt::format("{} would sign while not published", key_name(k)));
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
      active_algs.insert(k.algorithm);
      sep_active |= k.is_sep();
    }
  }
  if (set.signing.empty()) throw KeyScheduleError("no key is active");
  if (sep_published && !sep_active)
    throw KeyScheduleError(
        "no KSK/CSK is active: the DNSKEY RRset would have no signature "
        "from a key the parent's DS names");
  for (auto alg : published_algs)
    if (!active_algs.count(alg))
      throw KeyScheduleError(fmt::format(
          "algorithm {} is in the DNSKEY RRset but no key of it is active (RFC 4035 2.2)",
          dnssec::algorithm_name(alg)));
  std::sort(set.dnskeys.begin(), set.dnskeys.end());
  std::sort(set.cds.begin(), set.cds.end());
  return set;
}

ZoneTtls zone_ttls(const zone::Zone& z) {
  ZoneTtls t;
  for (const auto& node : z.nodes())
    for (const auto& rs : node.rrsets) t.max = std::max(t.max, rs.ttl);
  if (!z.nodes().empty())
    if (const dns::RRset* k = z.nodes().front().find(dns::RRType::DNSKEY)) t.dnskey = k->ttl;
  return t;
}

CskRollTiming csk_roll_timing(std::time_t start, const KeyPolicy& p, ZoneTtls ttls) {
  const std::time_t dnskey_ttl = std::max(p.dnskey_ttl, ttls.dnskey);
  const std::time_t max_ttl = std::max<std::time_t>(ttls.max, dnskey_ttl);
  CskRollTiming r;
  r.start = start;
  r.sync = start + dnskey_ttl + p.propagation_delay + p.publish_safety;
  r.retire = r.sync + p.parent_ds_ttl + p.parent_propagation_delay + p.retire_safety;
  r.remove = r.retire + max_ttl + p.propagation_delay;
  return r;
}

PolicyStep plan_csk_roll(const std::vector<DnssecKey>& keys, std::time_t t, const KeyPolicy& p,
                         ZoneTtls ttls) {
  PolicyStep step;
  if (p.mode != KeyPolicy::Mode::CskRoll || p.csk_lifetime == 0) return step;
  if (std::any_of(keys.begin(), keys.end(), [](const DnssecKey& k) { return !k.is_sep(); })) {
    step.waiting = "the zone has a ZSK: csk-roll rolls a single CSK only";
    return step;
  }
  // The key to roll: the one SEP key that signs with no end set. Keys with an end are being
  // rolled (or retired by hand); two without one are a roll only an operator can finish.
  std::vector<size_t> open;
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyWindows w = key_windows(keys[i].timing);
    if (w.active_from != kNever && w.active_until == kNever) open.push_back(i);
  }
  if (open.size() != 1) {
    step.waiting = open.empty() ? "no key without an Inactive time: a roll is under way"
                                : fmt::format(
                                      "{} keys sign with no Inactive time set: set one "
                                      "(key retire) for csk-roll to go on",
                                      open.size());
    return step;
  }
  const DnssecKey& cur = keys[open.front()];
  const KeyWindows w = key_windows(cur.timing);
  if (!cur.private_key) {
    step.waiting = fmt::format(
        "key {} has no private key here: its successor is made where "
        "it is",
        cur.tag);
    return step;
  }
  // Keys written before timing was kept count their lifetime from their creation.
  std::time_t since = w.active_from != 0 ? w.active_from : cur.created;
  if (since == 0) since = t;
  const CskRollTiming span = csk_roll_timing(0, p, ttls);
  std::time_t start = since + p.csk_lifetime - span.retire;
  const std::time_t make_at = start - p.publish_safety;
  if (t < make_at) {
    step.next = make_at;
    return step;
  }
  start = std::max(start, t);
  step.roll_from = open.front();
  step.timing = csk_roll_timing(start, p, ttls);
  return step;
}

std::vector<std::string> policy_timeline(const std::vector<DnssecKey>& keys, std::time_t t,
                                         const KeyPolicy& p, ZoneTtls ttls) {
  std::vector<std::string> out;
  for (const auto& k : keys) {
    const KeyTiming& kt = k.timing;
    out.push_back(
        fmt::format("key {} {}: publish {} activate {} sync {} - {} inactive {} "
                    "delete {}; next event {}",
                    k.tag, key_state_text(k, t), time_text(kt.publish), time_text(kt.activate),
                    time_text(kt.sync_publish), time_text(kt.sync_delete), time_text(kt.inactive),
                    time_text(kt.remove), time_text(next_key_event(k, t))));
  }
  if (p.mode != KeyPolicy::Mode::CskRoll) {
    out.push_back("key-policy manual: the keys' own timing only");
    return out;
  }
  if (p.csk_lifetime == 0) {
    out.push_back("key-policy csk-roll, csk-lifetime 0: never rolled");
    return out;
  }
  PolicyStep step = plan_csk_roll(keys, kNever / 2, p, ttls);  // as if due: the times it takes
  if (!step.roll_from) {
    out.push_back("csk-roll: " +
                  (step.waiting.empty() ? std::string("nothing planned") : step.waiting));
    return out;
  }
  const PolicyStep now = plan_csk_roll(keys, t, p, ttls);
  const std::time_t start =
      now.roll_from ? now.timing.start : std::max(t, now.next + std::time_t(p.publish_safety));
  const CskRollTiming r = csk_roll_timing(start, p, ttls);
  const uint16_t old = keys[*step.roll_from].tag;
  out.push_back(fmt::format("csk-roll of key {}: successor made {}", old,
                            time_text(start - p.publish_safety)));
  out.push_back(
      fmt::format("  {} successor published and signing beside {}", time_text(r.start), old));
  out.push_back(fmt::format("  {} CDS/CDNSKEY name the successor (+{} s): update the parent's DS",
                            time_text(r.sync), r.sync - r.start));
  out.push_back(fmt::format("  {} key {} stops signing (+{} s)", time_text(r.retire), old,
                            r.retire - r.start));
  out.push_back(fmt::format("  {} key {} leaves the DNSKEY RRset (+{} s)", time_text(r.remove), old,
                            r.remove - r.start));
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
  return !seen_ || *seen_ != fingerprint();
}

void KeyFolder::mark() {
  seen_ = fingerprint();
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
