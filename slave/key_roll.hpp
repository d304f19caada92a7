// Key rollover for a zone's key folder, by the double-signature method (RFC 6781 §4.1.2 for a
// KSK/CSK, RFC 7583 §3.3.2): a successor CSK is written with its timing (key_schedule.hpp) and
// the old key's end times are set, so the running slave walks through the roll by itself:
//   start   successor published and signing beside the old key (every RRset signed twice)
//   sync    CDS/CDNSKEY name the successor: the parent's DS is replaced
//   retire  the old key stops signing (the parent serves only the new DS by then)
//   remove  the old key leaves the DNSKEY RRset
// A KSK beside a ZSK is rolled the same way; a ZSK by pre-publication (published first, then
// signing as the old one stops, then the old one removed). `key roll` (roll_key) writes the
// files while the daemon runs; KeyUpkeep is the daemon's side: it re-reads the folder when it
// changes, makes the policy's successors, holds a retirement until the parent's DS names the
// successor (parent_ds_gate.hpp), and switches the zone to the keys of now at each key event.
// `key retire` moves a key's files away at once (for keys whose timing is not kept).
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dnssec/key.hpp"
#include "slave/key_schedule.hpp"
#include "slave/parent_ds_gate.hpp"
#include "slave/publisher.hpp"

namespace flatsign::slave {

// Writes a successor of keys[from] (a new key with s.flags, with `alg` or else the old key's
// algorithm, a key tag no key has) with s.successor's timing, then sets the old key's ends
// (SyncDelete, Inactive, Delete) from `s` (successor_timing() of a CSK, KSK or ZSK roll). The
// successor is written first: a crash in between leaves two keys without an end, which the
// policy reports rather than a zone without a signing key. Returns the successor.
// Throws std::system_error when a file cannot be written.
dnssec::DnssecKey write_successor(const std::string& dir,
                                  const std::vector<dnssec::DnssecKey>& keys, size_t from,
                                  const SuccessorTiming& s, std::optional<dnssec::Algorithm> alg,
                                  std::time_t now);

// Writes the algorithm roll `step` (plan_algorithm_roll): a successor of algorithm `alg` for each
// key of step.roll_from, with the roll's timing (successor_timing(step.timing, sep)), the
// KSK/CSK first. Returns the new keys. Throws what write_successor throws.
std::vector<dnssec::DnssecKey> write_algorithm_roll(const std::string& dir,
                                                    std::vector<dnssec::DnssecKey> keys,
                                                    const AlgorithmRollStep& step,
                                                    dnssec::Algorithm alg, std::time_t now);

// `key roll --algorithm A` with A not the keys' algorithm: the algorithm roll of
// plan_algorithm_roll() starting now (the policy's timing with A; its mode counts as csk-roll
// when manual), with the TTLs of the last signed zone in `dir`. Returns the new keys and sets
// `timing`. Throws std::runtime_error when `dir` has no keys for `zone`, the keys already have
// algorithm A, or the roll cannot start (the reason plan_algorithm_roll gives).
[[nodiscard]] std::vector<dnssec::DnssecKey> roll_algorithm(const std::string& dir,
                                                            const dns::Name& zone,
                                                            dnssec::Algorithm alg, std::time_t now,
                                                            KeyPolicy policy,
                                                            AlgorithmRollTiming& timing);

// `key roll`: rolls the zone's one signing SEP key without an Inactive time to a successor
// starting now, with `policy`'s timing and the TTLs of the last signed zone in `dir` (the
// policy's when there is none). Returns the successor and sets `timing` to the roll's steps.
// Throws std::runtime_error when `dir` has no keys for `zone` (start the slave once), when no
// key or more than one is open (a roll is under way), or a key file is corrupt.
[[nodiscard]] dnssec::DnssecKey roll_key(const std::string& dir, const dns::Name& zone,
                                         std::optional<dnssec::Algorithm> alg, std::time_t now,
                                         const KeyPolicy& policy, CskRollTiming& timing);

// `key import`: copies the BIND key files at `path` (either name, or the base; a .key alone is a
// public-only key) into `dir` as they are, timing included, after checking that the key is for
// `zone`, that no key there has its tag, that its timing is consistent and that the zone's keys
// with it can be served at `now` and at each later key event (schedule_problem; only at `now`
// when a later step was already broken without it). Returns the key. Throws std::runtime_error
// naming the reason; std::system_error when a file cannot be written.
dnssec::DnssecKey import_key(const std::string& dir, const dns::Name& zone, const std::string& path,
                             std::time_t now);

// Moves the key files of the key with `tag` into <dir>/retired/ (kept, not deleted). Returns
// the keys left. Throws std::runtime_error naming the reason when there is no such key, or
// when no SEP key would be left (the zone would lose its chain of trust).
std::vector<dnssec::DnssecKey> retire_key(const std::string& dir, const dns::Name& zone,
                                          uint16_t tag);

// The daemon's key lifecycle for one zone. On the zone's job strand only.
class KeyUpkeep {
 public:
  // For zone `zone` in `state_dir` (config.zone and config.state_dir are not read: settings may
  // be shared by zones). REQUIRES: config and zone outlive the upkeep (the zone's pipeline owns
  // all three).
  KeyUpkeep(const PublisherConfig& config, const dns::Name& zone, const std::string& state_dir);
  // Re-reads the key files when they changed (or `reread`), makes the policy's successor when
  // due, and hands the key set of `now` to `publisher` (which re-signs when it changed). A
  // problem (corrupt file, inconsistent timing, no active key) is alerted once while it lasts
  // and the zone keeps its current keys. Returns when to step again (kNever: only on a change).
  // `parent_ds`: the parent's DS RRset as asked when parent_ds_check_at() was due.
  // Reads the key files at start-up, after publisher.start_up(), so that the first step reads
  // them only when they changed since: at a start with thousands of zones these first steps
  // all run at once, and what they kept would lie scattered among what they freed.
  void preload(const Publisher& publisher);
  std::time_t step(Publisher& publisher, std::time_t now, bool reread = false,
                   const std::optional<ParentDs>& parent_ds = std::nullopt);
  // When the parent's DS RRset is to be asked before the next step (kNever: not needed).
  [[nodiscard]] std::time_t parent_ds_check_at() const {
    return gate_ ? gate_->check_at() : kNever;
  }

 private:
  void problem(Publisher& publisher, const std::string& reason, const std::string& detail);
  // Makes the policy's successors that are due (each role in turn); throws when a file cannot
  // be written. Sets next_roll_.
  void roll(Publisher& publisher, std::time_t now);
  // Made at the first step of a rolling policy: manual keys (most zones) never need one.
  std::unique_ptr<ParentDsGate> gate_;
  std::time_t next_roll_ = kNever;
  const PublisherConfig& config_;
  const dns::Name& zone_;
  KeyFolder folder_;  // its dir() is the zone's key folder
  std::vector<dnssec::DnssecKey> keys_;
  bool loaded_ = false;
  std::string problem_;  // the one alerted while it lasts
  std::string waiting_;  // the policy's last reason to wait (logged when it changes)
  // The served zone ttls_ was read from; weak, so that it does not keep a replaced snapshot
  // (a whole zone) alive until the next step.
  std::weak_ptr<const zone::Zone> ttls_of_;
  ZoneTtls ttls_;
};

}  // namespace flatsign::slave
