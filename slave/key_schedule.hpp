// What a zone's keys do at a given time, from their BIND timing metadata (common/dnssec/key.hpp):
// the DNSKEY RRset, the signing keys and the CDS/CDNSKEY keys, the next time that changes, and
// the successors and timing a policy asks for: `csk-roll` (RFC 7583 §3.3.2, double-signature
// CSK roll) or `ksk-zsk-roll` (a KSK rolled as the CSK is, double-KSK, RFC 7583 §3.3.2; a ZSK by
// pre-publication, §3.2.1). Pure functions over values, plus KeyFolder, a cheap change check of
// a key folder.
//
// At time t, for a key with windows as key_windows() gives them:
//   DNSKEY RRset  = keys with Publish <= t < Delete
//   signing keys  = keys with Activate <= t < Inactive (SEP keys sign the DNSKEY RRset; non-SEP
//                   keys the rest; with no active non-SEP key the SEP keys sign everything)
//   CDS/CDNSKEY   = SEP keys with SyncPublish <= t < SyncDelete
// A key may sign outside its published window only in an algorithm roll (RFC 6781 §4.1.4): its
// algorithm then is not in the DNSKEY RRset (key_set_at() refuses it otherwise).
// A key with no timing at all is published and active from always to never (every key the
// slave wrote before keeping timing). Unset SyncPublish/SyncDelete follow the key's active and
// published windows, so a key without them is in the CDS set while it signs.
#pragma once

#include <cstdint>
#include <ctime>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/dns/rrset.hpp"
#include "common/dnssec/key.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::slave {

// The timing cannot be served: inconsistent metadata, or a time without an active key for a
// role, or an active key without its private half. what() names the key and the rule.
class KeyScheduleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::time_t kNever = std::numeric_limits<std::time_t>::max();

// A key's half-open windows [from, until); kNever for an open end or a window never entered.
struct KeyWindows {
  std::time_t publish_from = 0, publish_until = kNever;
  std::time_t active_from = 0, active_until = kNever;
  std::time_t sync_from = 0, sync_until = kNever;  // only meaningful for SEP keys
};
[[nodiscard]] KeyWindows key_windows(const dnssec::KeyTiming& t);

// "" when the timing is consistent, else what is wrong (Activate before Publish, Inactive after
// Delete, ...).
[[nodiscard]] std::string timing_problem(const dnssec::KeyTiming& t);

// A key's state at t, for `key list` and the log.
[[nodiscard]] std::string key_state_text(const dnssec::DnssecKey& k, std::time_t t);
// The first window boundary of `k` after t; kNever when none.
[[nodiscard]] std::time_t next_key_event(const dnssec::DnssecKey& k, std::time_t t);

// What the zone serves at one time.
struct KeySet {
  std::vector<dnssec::DnssecKey> signing;  // active keys (with their private keys)
  std::vector<dns::Rdata> dnskeys;         // published DNSKEY RDATA, sorted
  std::vector<dns::Rdata> cds;             // DNSKEY RDATA of the keys in CDS/CDNSKEY, sorted
  std::time_t next_event = kNever;         // the next time any of it changes
  // The same zone content: published keys, signing keys and CDS keys.
  [[nodiscard]] bool same_as(const KeySet& o) const;
  // "DNSKEY 12345 54321, signing 12345, CDS 54321" for the log.
  [[nodiscard]] std::string text() const;
};

// The key set of `keys` (all of a zone's keys, public-only ones included) at t. `signing` may
// hold keys outside `dnskeys`: an algorithm roll's new keys before their publication and old
// keys after their removal. Throws KeyScheduleError when a key's timing is inconsistent, an
// active key lacks its private key, no published key is active, a published SEP key exists with
// no active published SEP key, an algorithm of the DNSKEY RRset has no active published key
// (RFC 4035 §2.2: every algorithm there signs every RRset), or a key signs while unpublished
// beside a published key of its own algorithm.
[[nodiscard]] KeySet key_set_at(const std::vector<dnssec::DnssecKey>& keys, std::time_t t);

// key_set_at() at `t` and at each later key event: "" when every step can be served, else the
// first step that cannot ("at 2026-12-07T03:44:22Z: " and why). Catches a timing mistake when
// the keys are written (key import) rather than when its step comes.
[[nodiscard]] std::string schedule_problem(const std::vector<dnssec::DnssecKey>& keys,
                                           std::time_t t);

// The TTLs the roll timing waits on, as served; 0 fields: unknown (the policy's value is used).
struct ZoneTtls {
  uint32_t dnskey = 0;
  uint32_t max = 0;  // the largest TTL of any RRset (NSEC/NSEC3 and signatures included)
};
[[nodiscard]] ZoneTtls zone_ttls(const zone::Zone& signed_zone);

// A zone's key policy (`key-policy` and its timing options; durations in seconds).
struct KeyPolicy {
  enum class Mode : uint8_t { Manual, CskRoll, KskZskRoll } mode = Mode::Manual;
  uint32_t csk_lifetime = 0;  // 0: never rolled
  uint32_t ksk_lifetime = 0;  // ksk-zsk-roll; 0: never rolled
  uint32_t zsk_lifetime = 0;  // ksk-zsk-roll; 0: never rolled
  uint32_t dnskey_ttl = 3600;
  uint32_t propagation_delay = 3600;  // from a publication here to every secondary serving it
  uint32_t publish_safety = 3600;
  uint32_t retire_safety = 3600;
  uint32_t parent_ds_ttl = 86400;
  // From the CDS change to the parent serving the new DS (its scan or its operator).
  uint32_t parent_propagation_delay = 3600;
  // The submission check: a resolver ("address[:port]") asked for the parent's DS RRset before
  // an old KSK/CSK retires; "" for none (the timing alone decides). parent_ds_gate.hpp.
  std::string parent_ds_check;
  // The algorithm the zone's keys are to have (the zone's `algorithm`): keys of another one are
  // replaced by an algorithm roll. Unset: never (manual policy, `key list`).
  std::optional<dnssec::Algorithm> algorithm;
  uint32_t parent_ds_check_interval = 60;
  uint32_t parent_ds_alert_after = 86400;  // alert once the retirement is held this long
  bool operator==(const KeyPolicy&) const = default;
};

// A key's part in a roll: a CSK signs everything, a KSK (SEP flag beside a ZSK) the DNSKEY
// RRset and CDS/CDNSKEY, a ZSK the rest.
enum class KeyRole : uint8_t { Csk, Ksk, Zsk };
[[nodiscard]] const char* key_role_name(KeyRole r);
// The roles a policy rolls: {Csk} for csk-roll, {Ksk, Zsk} for ksk-zsk-roll, none for manual.
[[nodiscard]] std::vector<KeyRole> policy_roles(const KeyPolicy& p);

// The steps of one double-signature CSK roll that publishes the new key at `start`.
struct CskRollTiming {
  std::time_t start = 0;   // new key: Publish and Activate (both keys sign everything)
  std::time_t sync = 0;    // new SyncPublish, old SyncDelete: the CDS names the new key
  std::time_t retire = 0;  // old Inactive: the parent serves only the new DS everywhere
  std::time_t remove = 0;  // old Delete: no cache holds anything signed by the old key alone
};
// RFC 7583 §3.3.2 with the served TTLs (each at least the policy's dnskey-ttl):
//   sync   = start + DNSKEY TTL + propagation-delay + publish-safety
//   retire = sync + parent-ds-ttl + parent-propagation-delay + retire-safety
//   remove = retire + max(max zone TTL, DNSKEY TTL) + propagation-delay
[[nodiscard]] CskRollTiming csk_roll_timing(std::time_t start, const KeyPolicy& p, ZoneTtls ttls);
// A KSK beside a ZSK signs only the DNSKEY, CDS and CDNSKEY RRsets (all with the DNSKEY TTL):
// the same steps, with remove = retire + DNSKEY TTL + propagation-delay.
[[nodiscard]] CskRollTiming ksk_roll_timing(std::time_t start, const KeyPolicy& p, ZoneTtls ttls);

// The steps of one ZSK pre-publication roll (RFC 7583 §3.2.1) that publishes the new key at
// `start`:
//   activate = start + DNSKEY TTL + propagation-delay + publish-safety
//              (every cache has the new DNSKEY: it signs, the old key stops)
//   remove   = activate + max(max zone TTL, DNSKEY TTL) + propagation-delay + retire-safety
//              (no cache holds an RRSIG of the old key)
struct ZskRollTiming {
  std::time_t start = 0;     // new key: Publish
  std::time_t activate = 0;  // new Activate, old Inactive
  std::time_t remove = 0;    // old Delete
};
[[nodiscard]] ZskRollTiming zsk_roll_timing(std::time_t start, const KeyPolicy& p, ZoneTtls ttls);

// The shortest lifetime of a role's keys with these timing options: one roll must be over (the
// old key removed) before the next begins.
[[nodiscard]] std::time_t min_lifetime(KeyRole role, const KeyPolicy& p);

// The steps of one algorithm roll (RFC 6781 §4.1.4, conservative) that starts at `start`:
//   start   the new keys sign beside the old ones, not yet in the DNSKEY RRset
//   publish = start + max(max zone TTL, DNSKEY TTL) + propagation-delay + publish-safety
//             (every cache holds the new algorithm's signatures): the new keys published
//   sync    = publish + DNSKEY TTL + propagation-delay + publish-safety (every cache holds the
//             DNSKEY RRset with both algorithms): CDS/CDNSKEY name the new KSK/CSK
//   remove  = sync + parent-ds-ttl + parent-propagation-delay + retire-safety (the parent serves
//             only the new DS everywhere; parent-ds-check holds it longer): the old keys leave
//             the DNSKEY RRset
//   retire  = remove + DNSKEY TTL + propagation-delay (no cache holds the old DNSKEY RRset): the
//             old keys stop signing
struct AlgorithmRollTiming {
  std::time_t start = 0, publish = 0, sync = 0, remove = 0, retire = 0;
};
[[nodiscard]] AlgorithmRollTiming algorithm_roll_timing(std::time_t start, const KeyPolicy& p,
                                                        ZoneTtls ttls);

// What a roll writes into the key files: the successor's flags and timing, the old key's ends.
struct SuccessorTiming {
  uint16_t flags = dnssec::kFlagsKsk;
  dnssec::KeyTiming successor;  // Publish, Activate, SyncPublish (0: unset)
  std::time_t old_sync_delete = 0, old_inactive = 0, old_remove = 0;  // 0: left as they are
};
[[nodiscard]] SuccessorTiming successor_timing(const CskRollTiming& r);  // CSK or KSK
[[nodiscard]] SuccessorTiming successor_timing(const ZskRollTiming& r);
// The successor of a KSK/CSK (`sep`) or of a ZSK in an algorithm roll.
[[nodiscard]] SuccessorTiming successor_timing(const AlgorithmRollTiming& r, bool sep);

// What a policy asks at t for the keys of one role.
struct PolicyStep {
  KeyRole role = KeyRole::Csk;
  // The key to roll from (an index into the keys given), when its successor is due now.
  std::optional<size_t> roll_from;
  CskRollTiming timing;       // with roll_from, a CSK or KSK roll
  ZskRollTiming zsk;          // with roll_from, a ZSK roll
  std::time_t next = kNever;  // when to look again (the next successor's creation)
  std::string waiting;        // why nothing is planned (log), "" when all is fine
};
// The successor is made `publish-safety` before its Publish time, so every slave sharing the
// key folder reads it before it is served; the roll starts so that the old key's Inactive
// falls at its Activate + the role's lifetime (at once when that is too late), and not before
// the last roll's old key has left the DNSKEY RRset (later than planned when parent-ds-check
// held its retirement). Only keys of the role count (SEP keys for a CSK or KSK, the others for
// a ZSK); a CSK roll waits while the zone has a ZSK, a KSK or ZSK roll while it has no key of
// the other role.
[[nodiscard]] PolicyStep plan_key_roll(const std::vector<dnssec::DnssecKey>& keys, std::time_t t,
                                       const KeyPolicy& p, ZoneTtls ttls, KeyRole role);
[[nodiscard]] PolicyStep plan_csk_roll(const std::vector<dnssec::DnssecKey>& keys, std::time_t t,
                                       const KeyPolicy& p, ZoneTtls ttls);

// What a policy asks at t when the keys' algorithm differs from p.algorithm.
struct AlgorithmRollStep {
  std::vector<size_t> roll_from;  // the keys to replace now (indices into the keys given)
  AlgorithmRollTiming timing;     // with roll_from
  std::string waiting;            // why the roll cannot start yet (log), "" when all is fine
};
// Every signing key without an end (the CSK; or the KSK and the ZSK) whose algorithm is not
// p.algorithm is replaced at once by a key of p.algorithm with algorithm_roll_timing(t), unless
// another roll is under way (a key with an end still in the DNSKEY RRset: the algorithm roll
// waits for it), or a key to replace lacks its private key. When some open keys already have
// p.algorithm (an algorithm roll interrupted between two keys' files), the others are replaced
// with the timing of the roll under way (from the new key's Activate). Nothing under a manual
// policy or without p.algorithm.
[[nodiscard]] AlgorithmRollStep plan_algorithm_roll(const std::vector<dnssec::DnssecKey>& keys,
                                                    std::time_t t, const KeyPolicy& p,
                                                    ZoneTtls ttls);

// The timeline of a policy's next roll from `keys` (for --check and `key list`), one line per
// step; the keys' own timing when a roll is under way.
[[nodiscard]] std::vector<std::string> policy_timeline(const std::vector<dnssec::DnssecKey>& keys,
                                                       std::time_t t, const KeyPolicy& p,
                                                       ZoneTtls ttls);

// A zone's K-files in a folder, checked for changes by their names, sizes and modification
// times (one directory listing, no file read). One thread.
class KeyFolder {
 public:
  KeyFolder(std::string dir, const dns::Name& zone);
  // True when the K-files differ from those of the last mark() (always before the first).
  [[nodiscard]] bool changed() const;
  // Remembers the K-files as they are now.
  void mark();
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  [[nodiscard]] std::string fingerprint() const;
  std::string dir_;
  std::string prefix_;  // "k<zone>.+": file names are compared in lowercase
  // A hash of the last mark()'s fingerprint (kept for every zone: the text is ~100 octets).
  std::optional<size_t> seen_;
};

// UTC text of a unix time ("2026-12-07T03:44:22Z"); "never" for kNever, "-" for 0.
[[nodiscard]] std::string time_text(std::time_t t);

}  // namespace flatsign::slave
