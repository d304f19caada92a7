#include "slave/key_roll.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/util/atomic_file.hpp"

#include "common/util/log.hpp"
#include "slave/state.hpp"

namespace flatsign::slave {
namespace fs = std::filesystem;
using util::LogLevel;

namespace {

std::vector<dnssec::DnssecKey> existing_keys(const std::string& dir, const dns::Name& zone) {
  try {
    return dnssec::load_keys(dir, zone, /*require_private=*/false);
  } catch (const dnssec::KeyFileError& e) {
    throw std::runtime_error(std::string("corrupt key file: ") + e.what());
  }
}

std::string tags_text(const std::vector<dnssec::DnssecKey>& keys,
                      const std::vector<size_t>& which = {}) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i)
    if (which.empty() || std::find(which.begin(), which.end(), i) != which.end())
      out += (out.empty() ? "" : " ") + std::to_string(keys[i].tag);
  return out;
}

// The keys of `keys` that `held` already has (same algorithm and public key, hence the same
// private key) take its private key: the folder's keys and the publisher's signing keys are
// then one object each, not two (an ECDSA key's library state is ~0.7 KB, paid per zone).
void share_private_keys(std::vector<dnssec::DnssecKey>& keys,
                        const std::vector<dnssec::DnssecKey>& held) {
  for (auto& k : keys) {
    if (!k.private_key) continue;
    for (const auto& h : held)
      if (h.private_key && h.algorithm == k.algorithm && h.public_key == k.public_key) {
        k.private_key = h.private_key;
        break;
      }
  }
}

}  // namespace

std::vector<dnssec::DnssecKey> write_algorithm_roll(const std::string& dir,
                                                    std::vector<dnssec::DnssecKey> keys,
                                                    const AlgorithmRollStep& step,
                                                    dnssec::Algorithm alg, std::time_t now) {
  std::vector<dnssec::DnssecKey> made;
  // The KSK/CSK first: interrupted before the ZSK, the roll goes on from the KSK's timing.
  std::vector<size_t> order = step.roll_from;
  std::stable_partition(order.begin(), order.end(), [&](size_t i) { return keys[i].is_sep(); });
  for (size_t i : order) {
    const SuccessorTiming s = successor_timing(step.timing, keys[i].is_sep());
    made.push_back(write_successor(dir, keys, i, s, alg, now));
    keys.push_back(made.back());  // its tag is taken
  }
  return made;
}

dnssec::DnssecKey write_successor(const std::string& dir,
                                  const std::vector<dnssec::DnssecKey>& keys, size_t from,
                                  const SuccessorTiming& s, std::optional<dnssec::Algorithm> alg,
                                  std::time_t now) {
  dnssec::DnssecKey old = keys.at(from);
  const dnssec::Algorithm a = alg.value_or(old.algorithm);
  // Key tags are 16-bit checksums (RFC 4034 App. B): collisions are rare but make validators
  // try both keys and operators retire the wrong one, so draw again.
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto key = dnssec::generate_key(old.zone, a, s.flags, now);
    const bool clash = std::any_of(keys.begin(), keys.end(),
                                   [&](const dnssec::DnssecKey& k) { return k.tag == key.tag; });
    if (clash) continue;
    key.timing = s.successor;
    dnssec::store_key(key, dir);
    // A key written before timing was kept has been published and active since its creation.
    if (old.timing.publish == 0 && old.timing.activate == 0 && old.created != 0)
      old.timing.publish = old.timing.activate = old.created;
    if (s.old_sync_delete) old.timing.sync_delete = s.old_sync_delete;
    if (s.old_inactive) old.timing.inactive = s.old_inactive;
    if (s.old_remove) old.timing.remove = s.old_remove;
    dnssec::store_key_timing(dir, old);
    return key;
  }
  throw std::runtime_error("no new key with an unused key tag after 16 tries");
}

dnssec::DnssecKey roll_key(const std::string& dir, const dns::Name& zone,
                           std::optional<dnssec::Algorithm> alg, std::time_t now,
                           const KeyPolicy& policy, CskRollTiming& timing) {
  const auto keys = existing_keys(dir, zone);
  if (keys.empty()) {
    throw std::runtime_error("no keys for " + zone.to_string() + " in " + dir +
                             ": nothing to roll (the slave makes the first key at its first run)");
  }
  std::vector<size_t> open;
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyWindows w = key_windows(keys[i].timing);
    if (keys[i].is_sep() && w.active_from != kNever && w.active_until == kNever &&
        w.publish_until == kNever)
      open.push_back(i);
  }
  if (open.size() != 1)
    throw std::runtime_error(
        open.empty() ? "every KSK/CSK already has an end (Inactive) set: a roll is under way "
                       "(key list shows it)"
                     : std::to_string(open.size()) +
                           " KSK/CSKs sign with no end set: retire all but one first (key retire)");
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyWindows w = key_windows(keys[i].timing);
    if (i != open.front() && w.publish_until != kNever && w.publish_until > now)
      throw std::runtime_error("a roll is under way: key " + std::to_string(keys[i].tag) +
                               " leaves the DNSKEY RRset at " + time_text(w.publish_until) +
                               " (key list shows the steps)");
  }
  ZoneTtls ttls;
  try {
    if (auto z = load_signed_zone(dir, zone)) ttls = zone_ttls(*z);
  } catch (const std::exception&) {
    // Unreadable: the policy's TTLs (at least dnskey-ttl) are used.
  }
  // A KSK beside a ZSK signs only the DNSKEY RRset: its old signatures go with the DNSKEY TTL.
  const bool has_zsk =
      std::any_of(keys.begin(), keys.end(), [](const auto& k) { return !k.is_sep(); });
  timing = has_zsk ? ksk_roll_timing(now, policy, ttls) : csk_roll_timing(now, policy, ttls);
  return write_successor(dir, keys, open.front(), successor_timing(timing), alg, now);
}

std::vector<dnssec::DnssecKey> roll_algorithm(const std::string& dir, const dns::Name& zone,
                                              dnssec::Algorithm alg, std::time_t now,
                                              KeyPolicy policy, AlgorithmRollTiming& timing) {
  const auto keys = existing_keys(dir, zone);
  if (keys.empty())
    throw std::runtime_error("no keys for " + zone.to_string() + " in " + dir +
                             ": nothing to roll (the slave makes the first key at its first run)");
  ZoneTtls ttls;
  try {
    if (auto z = load_signed_zone(dir, zone)) ttls = zone_ttls(*z);
  } catch (const std::exception&) {
    // Unreadable: the policy's TTLs (at least dnskey-ttl) are used.
  }
  if (policy.mode == KeyPolicy::Mode::Manual) policy.mode = KeyPolicy::Mode::CskRoll;
  policy.algorithm = alg;
  const AlgorithmRollStep step = plan_algorithm_roll(keys, now, policy, ttls);
  if (step.roll_from.empty())
    throw std::runtime_error(!step.waiting.empty()
                                 ? step.waiting
                                 : "no signing key without an end has another algorithm than " +
                                       dnssec::algorithm_name(alg) + ": nothing to roll");
  timing = step.timing;
  return write_algorithm_roll(dir, keys, step, alg, now);
}

dnssec::DnssecKey import_key(const std::string& dir, const dns::Name& zone, const std::string& path,
                             std::time_t now) {
  dnssec::DnssecKey key;
  try {
    key = dnssec::load_key(path, /*require_private=*/false);
  } catch (const dnssec::KeyFileError& e) {
    throw std::runtime_error(e.what());
  }
  if (!(key.zone == zone))
    throw std::runtime_error(path + " is a key of " + key.zone.to_string() + ", not of " +
                             zone.to_string());
  auto keys = existing_keys(dir, zone);
  for (const auto& k : keys)
    if (k.tag == key.tag)
      throw std::runtime_error("a key with tag " + std::to_string(key.tag) + " is already in " +
                               dir + " (" + k.file_base() + ")");
  if (std::string p = timing_problem(key.timing); !p.empty())
    throw std::runtime_error(path + ": inconsistent timing: " + p);
  // Every later step too, unless one was already broken without this key (not its doing).
  const bool later_checked = schedule_problem(keys, now).empty();
  keys.push_back(key);
  std::string problem;
  if (later_checked) {
    problem = schedule_problem(keys, now);
  } else {
    try {
      (void)key_set_at(keys, now);
    } catch (const KeyScheduleError& e) {
      problem = std::string("now: ") + e.what();
    }
  }
  if (!problem.empty())
    throw std::runtime_error("with this key the zone cannot be served " + problem);
  std::string base = path;
  for (const char* ext : {".key", ".private"})
    if (base.ends_with(ext)) base.resize(base.size() - std::strlen(ext));
  auto copy = [&](const std::string& ext, mode_t mode) {
    std::ifstream in(base + ext, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    util::write_file_atomically(dir + "/" + key.file_base() + ext, text.str(), mode);
  };
  // The .private first: the folder is read by its .key files.
  if (key.private_key) copy(".private", 0600);
  copy(".key", 0644);
  return key;
}

std::vector<dnssec::DnssecKey> retire_key(const std::string& dir, const dns::Name& zone,
                                          uint16_t tag) {
  auto keys = existing_keys(dir, zone);
  auto it = std::find_if(keys.begin(), keys.end(),
                         [&](const dnssec::DnssecKey& k) { return k.tag == tag; });
  if (it == keys.end()) {
    throw std::runtime_error("no key with tag " + std::to_string(tag) + " for " + zone.to_string() +
                             " in " + dir);
  }
  const dnssec::DnssecKey retired = *it;
  keys.erase(it);
  if (std::none_of(keys.begin(), keys.end(), [](const auto& k) { return k.is_sep(); })) {
    throw std::runtime_error("key " + std::to_string(tag) +
                             " is the last KSK/CSK: roll a new one first (key roll)");
  }
  const fs::path to = fs::path(dir) / "retired";
  fs::create_directories(to);
  // The .key last: the folder is read by its .key files, so a running slave never sees a key
  // half moved.
  for (const char* ext : {".key", ".private"}) {
    const fs::path from = fs::path(dir) / (retired.file_base() + ext);
    if (fs::exists(from)) fs::rename(from, to / from.filename());
  }
  return keys;
}

KeyUpkeep::KeyUpkeep(const PublisherConfig& config, const dns::Name& zone,
                     const std::string& state_dir)
    : config_(config), zone_(zone), folder_(config.keys_dir(state_dir), zone) {}

void KeyUpkeep::problem(Publisher& publisher, const std::string& reason,
                        const std::string& detail) {
  if (problem_ == detail) return;  // alerted already; the zone keeps its keys meanwhile
  problem_ = detail;
  publisher.key_alert(reason, detail + "; serving with the keys in use");
}

void KeyUpkeep::roll(Publisher& publisher, std::time_t now) {
  const std::string zname = zone_.to_string();
  const auto served = publisher.served_signed();
  if (served && served != ttls_of_.lock()) {
    ttls_ = zone_ttls(*served);  // one pass over the zone per publication, at most
    ttls_of_ = served;
  }
  const char* policy =
      config_.key_policy.mode == KeyPolicy::Mode::CskRoll ? "csk-roll" : "ksk-zsk-roll";
  std::string waiting;
  const AlgorithmRollStep alg_roll = plan_algorithm_roll(keys_, now, config_.key_policy, ttls_);
  if (!alg_roll.waiting.empty()) waiting = alg_roll.waiting;
  if (!alg_roll.roll_from.empty() && served) {
    const auto keys =
        write_algorithm_roll(folder_.dir(), keys_, alg_roll, *config_.key_policy.algorithm, now);
    const AlgorithmRollTiming& r = alg_roll.timing;
    util::log(LogLevel::Info, "slave", zname,
              "key-policy {}: algorithm roll {} -> {}: new key(s) {} sign from {} while not yet "
              "in the DNSKEY RRset, published at {}, CDS at {}; old key(s) {} leave the DNSKEY "
              "RRset at {} and stop signing at {}",
              policy, dnssec::algorithm_name(keys_[alg_roll.roll_from.front()].algorithm),
              dnssec::algorithm_name(*config_.key_policy.algorithm), tags_text(keys),
              time_text(r.start), time_text(r.publish), time_text(r.sync),
              tags_text(keys_, alg_roll.roll_from), time_text(r.remove), time_text(r.retire));
    folder_.mark();
    keys_ = dnssec::load_keys(folder_.dir(), zone_, false);
  }
  // The other rolls wait while the algorithm roll is due or waits for one of them.
  for (KeyRole role :
       alg_roll.roll_from.empty() ? policy_roles(config_.key_policy) : std::vector<KeyRole>{}) {
    const PolicyStep plan = plan_key_roll(keys_, now, config_.key_policy, ttls_, role);
    if (!plan.waiting.empty()) waiting += (waiting.empty() ? "" : "; ") + plan.waiting;
    next_roll_ = std::min(next_roll_, plan.next);
    if (!plan.roll_from || !served) continue;  // rolled once the zone is served (TTLs known)
    const SuccessorTiming s =
        role == KeyRole::Zsk ? successor_timing(plan.zsk) : successor_timing(plan.timing);
    const uint16_t old = keys_[*plan.roll_from].tag;
    auto key = write_successor(folder_.dir(), keys_, *plan.roll_from, s, std::nullopt, now);
    if (role == KeyRole::Zsk) {
      util::log(LogLevel::Info, "slave", zname,
                "key-policy {}: successor {} of ZSK {}: published at {}, signing at {} (the old "
                "key stops), old key removed at {}",
                policy, key.tag, old, time_text(plan.zsk.start), time_text(plan.zsk.activate),
                time_text(plan.zsk.remove));
    } else {
      util::log(LogLevel::Info, "slave", zname,
                "key-policy {}: successor {} of {} {}: published and signing at {}, CDS at {}, "
                "old key inactive at {}, removed at {}",
                policy, key.tag, key_role_name(role), old, time_text(plan.timing.start),
                time_text(plan.timing.sync), time_text(plan.timing.retire),
                time_text(plan.timing.remove));
    }
    folder_.mark();
    keys_ = dnssec::load_keys(folder_.dir(), zone_, false);
  }
  if (waiting != waiting_) {
    if (!waiting.empty())
      util::log(LogLevel::Info, "slave", zname, "key-policy {} waits: {}", policy, waiting);
    waiting_ = waiting;
  }
}

void KeyUpkeep::preload(const Publisher& publisher) {
  folder_.mark();
  try {
    keys_ = dnssec::load_keys(folder_.dir(), zone_, /*require_private=*/false);
  } catch (const dnssec::KeyFileError&) {
    keys_.clear();  // the first step reads them again and alerts
  }
  share_private_keys(keys_, publisher.key_set().signing);
  loaded_ = !keys_.empty();
}

std::time_t KeyUpkeep::step(Publisher& publisher, std::time_t now, bool reread,
                            const std::optional<ParentDs>& parent_ds) {
  constexpr std::time_t kRetry = 60;  // after a problem, while the files stay the same
  if (reread || !loaded_ || folder_.changed()) {
    folder_.mark();  // before reading: a change while we read is seen at the next step
    try {
      keys_ = dnssec::load_keys(folder_.dir(), zone_, /*require_private=*/false);
      share_private_keys(keys_, publisher.key_set().signing);
      loaded_ = true;
    } catch (const dnssec::KeyFileError& e) {
      problem(publisher, "key-files", e.what());
      return now + kRetry;
    }
    if (keys_.empty()) {
      problem(publisher, "key-files", "no key files for the zone in " + folder_.dir());
      return now + kRetry;
    }
  }
  next_roll_ = kNever;
  if (config_.key_policy.mode != KeyPolicy::Mode::Manual) {
    try {
      roll(publisher, now);
      const auto alert = [&](const std::string& reason, const std::string& detail) {
        publisher.key_alert(reason, detail);
      };
      if (!gate_) gate_ = std::make_unique<ParentDsGate>();
      if (gate_->step(folder_.dir(), keys_, now, config_.key_policy, parent_ds, alert)) {
        folder_.mark();
        keys_ = dnssec::load_keys(folder_.dir(), zone_, false);
        share_private_keys(keys_, publisher.key_set().signing);
      }
    } catch (const std::exception& e) {
      problem(publisher, "key-roll-failed", e.what());
      return now + kRetry;
    }
  }
  KeySet set;
  try {
    set = key_set_at(keys_, now);
  } catch (const KeyScheduleError& e) {
    problem(publisher, "key-schedule", e.what());
    return now + kRetry;
  }
  problem_.clear();
  const std::string diff = publisher.served_key_difference();
  if (!set.same_as(publisher.key_set()) || !diff.empty()) {
    const std::string reason = set.same_as(publisher.key_set())
                                   ? "key set changed since the last publication (" + diff + ")"
                                   : "key set changed";
    if (!publisher.rekey(set, reason) && publisher.served_signed())
      return now + kRetry;  // alerted by the publisher
  }
  return std::min({next_roll_, set.next_event, parent_ds_check_at()});
}

}  // namespace flatsign::slave
