// Signs whole zones: a full sign on a worker pool, an incremental sign that re-signs only what a
// Diff touched (plus the denial records around it and the SOA), and a refresh of signatures that
// are about to expire. A ZoneSigner is immutable after construction: share it across threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/dnssec/denial.hpp"
#include "common/dnssec/key.hpp"
#include "common/dnssec/sign.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::dnssec {

struct SignerOptions {
  DenialConfig denial;
  // Timing of new signatures; timing.now is "now" for the whole run (0: the wall clock).
  SignaturePolicy timing;
  // Incremental sign and refresh re-sign an RRset whose signature expires within this many
  // seconds of now (must exceed the jitter, or freshly made signatures would be redone).
  uint32_t refresh_within = 7 * 86400;
  unsigned threads = 0;        // 0: std::thread::hardware_concurrency()
  uint32_t dnskey_ttl = 3600;  // DNSKEY, CDS, CDNSKEY (an input DNSKEY RRset's TTL wins)
  bool publish_cds = false;    // RFC 7344: CDS (SHA-256) and CDNSKEY for the SEP keys
  // With publish_cds: the RFC 8078 §4 delete form (CDS 0 0 0 00, CDNSKEY 0 3 0 AA==) instead,
  // asking the parent to remove the DS before the zone goes unsigned.
  bool cds_delete = false;
  // DNSKEYs published beside the signing keys' own (keys before their activation or after
  // their retirement, slave/key_schedule.hpp): DNSKEY RDATA.
  std::vector<dns::Rdata> extra_dnskeys;
  // Signing keys left out of the DNSKEY RRset (DNSKEY RDATA): an algorithm roll's new keys
  // before their publication, its old keys after their removal (RFC 6781 §4.1.4). They sign
  // as the others do.
  std::vector<dns::Rdata> unpublished_dnskeys;
  // With publish_cds (not cds_delete): the DNSKEY RDATA of the keys the CDS/CDNSKEY name. Unset:
  // the signing SEP keys.
  std::optional<std::vector<dns::Rdata>> cds_dnskeys;
  // Progress of the signing pool, for long signs: called with (RRsets signed so far, RRsets to
  // sign, seconds since the pool started) on the calling thread, each time the signed prefix
  // grows and once at the end. Must be cheap and must not throw. Empty:
  // not called.
  std::function<void(size_t done, size_t total, double seconds)> progress;
};

// How a new version of a zone is signed, cheapest last. STYLE 11: the reasons to fall back are
// stated once, in choose_signing().
enum class SigningMode : uint8_t {
  Full,   // every RRset signed afresh: no previous signed zone, or its denial chain is replaced
  Reuse,  // every RRset re-assembled; unchanged, unexpiring signatures of the previous zone kept
  Patch,  // the previous signed zone patched at the touched names (zone_signer_patch.cpp)
};
[[nodiscard]] const char* to_string(SigningMode mode);  // "full", "reuse", "patch"

struct SigningChoice {
  SigningMode mode = SigningMode::Full;
  const char* reason = "";  // why, for logs: static text
};

struct SignStats {
  size_t rrsets_in = 0;       // RRsets of the unsigned input, signer types excluded
  size_t rrsets_signed = 0;   // RRsets that got fresh signatures
  size_t rrsets_reused = 0;   // RRsets whose previous signatures were kept
  size_t signatures = 0;      // fresh RRSIG RRs made
  size_t denial_records = 0;  // NSEC or NSEC3 RRs in the result
  double seconds = 0;         // the whole call
  double crypto_seconds = 0;  // the signing pool (its workers assemble the nodes too)
  double build_seconds = 0;   // freezing the result (Zone::adopt, or the patch)
  bool patched = false;       // incremental fast path: the previous zone was patched in place
  SigningChoice choice;       // the mode this call signed in, and why
};

struct SignResult {
  std::shared_ptr<const zone::Zone> zone;
  SignStats stats;
};

// The mode sign_incremental() signs `new_unsigned` in, from what is zone-wide (the apex of both
// zones and the signer's keys and options; cheap). Full: no previous signed zone, the origin or
// the keys' zone differs, the denial mode or NSEC3 parameters changed (RFC 5155 §7.3: one
// consistent chain, so every denial record changes). Reuse: the apex key records (DNSKEY, CDS,
// CDNSKEY, NSEC3PARAM) or their TTL changed, the denial TTL changed (RFC 9077: every NSEC/NSEC3),
// or the SOA or DNSKEY RRset is not signed by exactly this signer's keys (each signature current).
// Patch otherwise; a patch still falls back to Reuse for what only reading the zone shows
// (signatures by other keys, a malformed RRSIG, too large a change, an NSEC3 hash collision), with
// its own reason in SignStats::choice. `previous_signed` may be null.
[[nodiscard]] SigningChoice choose_signing(const zone::Zone* previous_signed,
                                           const zone::Zone& new_unsigned,
                                           const std::vector<DnssecKey>& keys,
                                           const SignerOptions& options);

class ZoneSigner {
 public:
  // `keys` must all be for the zones this signer signs and have private keys. SEP keys (257)
  // sign the DNSKEY RRset; non-SEP keys sign the rest; without any non-SEP key the SEP keys
  // sign everything (a CSK). Throws std::invalid_argument when keys is empty, a private key
  // is missing, or the algorithms cannot sign.
  ZoneSigner(std::vector<DnssecKey> keys, SignerOptions options);

  // Signs `unsigned_zone` (existing RRSIG/NSEC/NSEC3/NSEC3PARAM are dropped; input DNSKEYs are
  // kept alongside ours) into a new signed Zone. What gets signed (RFC 4035 §2.2): every
  // authoritative RRset; at a delegation only DS and NSEC; never NS at a cut, glue or occluded
  // data. Throws std::invalid_argument when the zone's origin differs from the keys' zone.
  [[nodiscard]] SignResult sign_full(const zone::Zone& unsigned_zone) const;

  // Signs `new_unsigned` reusing the signatures of `previous_signed` (made by this signer's
  // keys and options) for every RRset outside `diff` that is unchanged and not expiring; the
  // SOA, changed RRsets and changed denial records get fresh signatures. The result has the same
  // RRsets as sign_full(new_unsigned). In the mode choose_signing() picks: for a small diff the
  // result is previous_signed patched (Zone::with_changes) at the touched names and the denial
  // records around them; stats.choice says which mode signed, and why.
  // REQUIRES: diff == diff_zones(unsigned part of previous_signed, new_unsigned).
  [[nodiscard]] SignResult sign_incremental(const zone::Zone& previous_signed,
                                            const zone::Zone& new_unsigned,
                                            const zone::Diff& diff) const;

  // choose_signing() with this signer's keys and options.
  [[nodiscard]] SigningChoice choose(const zone::Zone* previous_signed,
                                     const zone::Zone& new_unsigned) const {
    return choose_signing(previous_signed, new_unsigned, keys_, options_);
  }

  // Re-signs the RRsets of `signed_zone` whose signatures expire within refresh_within (or are
  // missing or made by other keys); all other signatures are kept.
  [[nodiscard]] SignResult refresh(const zone::Zone& signed_zone) const;

  const std::vector<DnssecKey>& keys() const { return keys_; }
  const SignerOptions& options() const { return options_; }

 private:
  // sign_incremental's fast path (zone_signer_patch.cpp), once choose_signing() chose Patch. On
  // a fall back the result has no zone and stats.choice says why.
  SignResult patch(const zone::Zone& previous_signed, const zone::Zone& new_unsigned,
                   const zone::Diff& diff) const;
  SignResult sign(const zone::Zone& input, const zone::Zone* previous, const zone::Diff* diff,
                  bool resign_soa) const;
  std::vector<DnssecKey> keys_;
  SignerOptions options_;
};

// True when `a` and `b` hold the same RRsets, and their RRSIG RRsets cover the same types with
// the same keys (signature values and times may differ). Used to compare incremental with full.
[[nodiscard]] bool same_signed_content(const zone::Zone& a, const zone::Zone& b);

}  // namespace flatsign::dnssec
