// Our own check of a finished signed zone, run before publishing: every RRSIG valid and current,
// every authoritative RRset signed, the NSEC or NSEC3 chain complete and correct.
// verify_zone() is thread-safe and uses its own worker threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/dns/types.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::dnssec {

struct VerifyProblem {
  enum class Kind {
    NoKeys,               // no usable DNSKEY at the apex
    BadSignature,         // an RRSIG fails (crypto, fields, unknown key); see `what`
    Expired,              // an RRSIG is past its expiration
    NotYetValid,          // an RRSIG's inception is in the future
    Unsigned,             // an authoritative RRset has no valid RRSIG (RFC 4035 §2.2)
    UnexpectedSignature,  // an RRSIG over glue, occluded data or NS at a cut
    NoDenial,             // neither NSEC nor NSEC3PARAM at the apex
    MissingDenial,        // a name lacks its NSEC/NSEC3 record
    WrongDenial,          // an NSEC/NSEC3 record has the wrong next name, bitmap, flags or TTL
    ExtraDenial,          // an NSEC/NSEC3 record the chain should not have
  };
  Kind kind;
  dns::Name owner;
  dns::RRType type;
  std::string what;
  std::string to_string() const;
};

// How many signature values verify_zone checks cryptographically. Every other check (every
// RRSIG's fields, key tag and validity period, every authoritative RRset signed, nothing else
// signed, the whole denial chain) runs in both modes.
enum class VerifyMode {
  Full,  // every signature not covered by VerifyOptions::verified_before
  // Every signature not found in VerifyOptions::verified_before too (an incremental change is
  // checked in full). Without a usable verified_before (a full sign, a key change): the first
  // signature of each combination of covered type, label count, algorithm, key tag and RRset
  // size (one RR or several), plus each other signature with probability 1/sample_one_in.
  // With VerifyOptions::checked_kinds: the first signature of each key, the first of each kind
  // not checked in an earlier zone, and the same random share.
  Sampled,
};

// Kinds of signature (covered type, algorithm, wildcard or not, one RR or several) checked
// cryptographically in earlier zones, shared by every zone one signer code signs (a daemon's):
// a fault of the signer that hits a whole kind shows in the first zone that has it, so the
// others need not check it again, while each zone's own key is still checked in each zone
// (a 20-record zone has about fifteen kinds: checking them all costs more than signing it).
// Thread-safe.
class CheckedKinds {
 public:
  // True the first time `kind` is offered.
  bool first(uint64_t kind) {
    std::lock_guard lock(mutex_);
    return kinds_.insert(kind).second;
  }

 private:
  std::mutex mutex_;
  std::unordered_set<uint64_t> kinds_;
};
[[nodiscard]] const char* to_string(VerifyMode mode);  // "full", "sampled"
// "full" or "sampled"; nullopt otherwise.
[[nodiscard]] std::optional<VerifyMode> verify_mode_from_string(std::string_view text);

struct VerifyOptions {
  std::time_t now = 0;        // 0: the wall clock
  unsigned threads = 0;       // 0: hardware concurrency
  size_t max_problems = 100;  // later problems are counted, not listed
  // A zone that passed verify_zone before (the previous publication), or null. An RRSIG found
  // there byte for byte, at the same name, over an equal RRset, with the same apex DNSKEY
  // RRset, had its signature value checked then: only its fields and validity period are
  // checked again; in a block of nodes the two zones share (Zone::with_changes) only the
  // validity periods are read. The denial chain is compared only where it can differ from the
  // earlier zone's (verify_denial.cpp says why that is the full check's verdict). After an
  // incremental sign, verifying costs what the change costs, not what the zone costs.
  const zone::Zone* verified_before = nullptr;
  VerifyMode mode = VerifyMode::Full;
  // DNSKEY RDATA of keys that sign while not in the apex DNSKEY RRset: an algorithm roll's new
  // keys before their publication and old keys after their removal (RFC 6781 §4.1.4). Their
  // signatures are checked with them; one whose algorithm the DNSKEY RRset holds is a problem.
  std::vector<dns::Rdata> unpublished_dnskeys{};
  uint32_t sample_one_in = 64;  // Sampled: the random share of the other signatures (>= 1)
  uint64_t sample_seed = 0;     // Sampled: 0 draws a fresh seed per call (tests fix one)
  CheckedKinds* checked_kinds = nullptr;  // Sampled: kinds checked in earlier zones, or null
};

struct VerifyVerdict {
  std::vector<VerifyProblem> problems;
  size_t problem_count = 0;           // including those beyond max_problems
  size_t signatures_checked = 0;      // cryptographically
  size_t signatures_trusted = 0;      // found in VerifyOptions::verified_before: fields only
  size_t signatures_sampled_out = 0;  // VerifyMode::Sampled left them out: fields only
  size_t rrsets_checked = 0;
  // The denial chain was compared only where it can differ from VerifyOptions::verified_before.
  bool denial_incremental = false;
  // DNSKEYs at the apex that were ignored (algorithm not supported, key that does not parse),
  // one line each: validators ignore them too (RFC 4035 §5.2, RFC 6840 §5.2).
  std::vector<std::string> warnings;
  bool ok() const { return problem_count == 0; }
  // "ok: N signatures" or the first problems, one per line.
  std::string summary(size_t max_lines = 10) const;
};

const char* to_string(VerifyProblem::Kind kind);

// Checks `zone` as a signed zone. The denial chain is recomputed from the zone's data and
// compared record by record with the one present (NSEC3 parameters from NSEC3PARAM).
[[nodiscard]] VerifyVerdict verify_zone(const zone::Zone& zone, const VerifyOptions& options = {});

}  // namespace flatsign::dnssec
