// RRSIG creation and verification for one RRset (RFC 4034 §3, canonical form §6.2/§6.3), and the
// signature timing policy (validity, backdated inception, deterministic per-RRset jitter).
// All functions are thread-safe given one Signer per thread; scratch buffers belong to the caller.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/dnssec/crypto.hpp"
#include "common/dnssec/key.hpp"

namespace flatsign::dnssec {

struct SignaturePolicy {
  std::time_t now = 0;
  uint32_t inception_backdate = 3600;  // inception = now - 1 h (clock skew)
  uint32_t validity = 14 * 86400;      // expiration = now + validity - jitter
  uint32_t jitter = 86400;             // spread expirations over one day, per RRset
};

// RRSIG Signature Inception and Expiration (RFC 4034 §3.1.5), seconds mod 2^32.
struct SignatureTimes {
  uint32_t inception = 0;
  uint32_t expiration = 0;
};

// The times for the RRset (owner, type): the jitter is a hash of the lowercased owner and the
// type, so the same RRset signed at the same `now` gets the same times (full == incremental).
[[nodiscard]] SignatureTimes signature_times(const SignaturePolicy& policy, const dns::Name& owner,
                                             dns::RRType type);

// The fixed fields of an RRSIG (RFC 4034 §3.1) and views of its signer's name and signature: a
// Name would cost an allocation per parse and, when signing, an atomic count shared by every
// signing thread.
struct RrsigFields {
  dns::RRType covered = dns::RRType::A;
  uint8_t algorithm = 0;
  uint8_t labels = 0;
  uint32_t original_ttl = 0;
  uint32_t expiration = 0;
  uint32_t inception = 0;
  uint16_t key_tag = 0;
  std::span<const uint8_t> signer;     // uncompressed wire form; valid while its source lives
  std::span<const uint8_t> signature;  // valid while the parsed RDATA lives
};
// Parses RRSIG RDATA; nullopt when malformed.
[[nodiscard]] std::optional<RrsigFields> parse_rrsig(std::span<const uint8_t> rdata);
// The type an RRSIG RDATA covers (first two octets). REQUIRES: rdata.size() >= 2.
inline dns::RRType rrsig_covered(std::span<const uint8_t> rdata) {
  return static_cast<dns::RRType>((rdata[0] << 8) | rdata[1]);
}

// RFC 4034 §3.1.3: labels in the owner, not counting the root or a leftmost '*'.
[[nodiscard]] uint8_t rrsig_labels(const dns::Name& owner);

// Appends the RFC 4034 §3.1.8.1 signing input: the RRSIG RDATA up to the signature (signer name
// lowercased, §6.2), then every RR in canonical form (owner lowercased, original TTL, canonical
// RDATA, §6.2) in §6.3 order with duplicates removed.
void append_signing_input(const dns::RRset& rrset, const RrsigFields& fields,
                          std::vector<uint8_t>& out);

// Signs `rrset` with `key` (whose private key made `signer`) on behalf of zone `signer_name`,
// returning the RRSIG RDATA. `scratch` is reused between calls to avoid allocation.
// REQUIRES: rrset normalized, rrset.type is not RRSIG, `signer` belongs to key.private_key.
dns::Rdata sign_rrset(const dns::RRset& rrset, const DnssecKey& key, Signer& signer,
                      const dns::Name& signer_name, const SignatureTimes& times,
                      std::vector<uint8_t>& scratch);

// Outcomes of checking one RRSIG against one RRset and one key.
enum class RrsigVerdict {
  Valid,
  Malformed,     // RDATA does not parse
  WrongRRset,    // covered type, labels or original TTL disagree with the RRset (§5.3.1)
  KeyMismatch,   // algorithm or key tag differ from the key
  NotYetValid,   // now is before inception (RFC 4034 §3.1.5 serial arithmetic)
  Expired,       // now is after expiration
  BadSignature,  // cryptographic check failed
};
const char* to_string(RrsigVerdict v);

// Checks `rrsig` over `rrset` at time `now` with the DNSKEY (`key_rdata`, parsed as `key`).
// The RRset's TTL may be lower than the original TTL (RFC 4035 §5.3.3), never higher.
[[nodiscard]] RrsigVerdict verify_rrsig(const dns::RRset& rrset, std::span<const uint8_t> rrsig,
                                        std::span<const uint8_t> key_rdata, const PublicKey& key,
                                        std::time_t now);
// The same with a thread's Verifier for `key_rdata`'s key and a scratch buffer for the signing
// input, reused from call to call (a zone's verification).
[[nodiscard]] RrsigVerdict verify_rrsig(const dns::RRset& rrset, std::span<const uint8_t> rrsig,
                                        std::span<const uint8_t> key_rdata, Verifier& key,
                                        std::time_t now, std::vector<uint8_t>& scratch);
// verify_rrsig without the cryptographic check: the fields against the RRset and the key, and
// the validity period at `now`. For a signature whose bytes were verified before over the same
// RRset; Valid here says nothing about the signature value.
[[nodiscard]] RrsigVerdict check_rrsig_fields(const dns::RRset& rrset,
                                              std::span<const uint8_t> rrsig,
                                              std::span<const uint8_t> key_rdata, std::time_t now);
// The same on fields parse_rrsig gave.
[[nodiscard]] RrsigVerdict check_rrsig_fields(const dns::RRset& rrset, const RrsigFields& fields,
                                              std::span<const uint8_t> key_rdata, std::time_t now);

}  // namespace flatsign::dnssec
