// The rules ZoneSigner's full and incremental paths share: which keys sign which RRset, the
// records the signer adds at the apex, and when a previous signature may be kept. Internal to
// common/dnssec. Pure functions over immutable input; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "common/dnssec/key.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::dnssec::detail {

enum class KeyUse : uint8_t { None, Zsk, Ksk };

// Indices into the key list: SEP keys sign DNSKEY, the others the rest; a CSK (or a ZSK alone)
// does both.
struct KeyRoles {
  std::vector<size_t> ksk;
  std::vector<size_t> zsk;
  const std::vector<size_t>& of(KeyUse use) const { return use == KeyUse::Ksk ? ksk : zsk; }
};
[[nodiscard]] KeyRoles key_roles(const std::vector<DnssecKey>& keys);

// Apex records the signer adds to `input`: DNSKEY (input keys kept), NSEC3PARAM, CDS/CDNSKEY,
// and their types sorted (the `apex_extra` of signed_types()).
struct ApexExtras {
  std::vector<dns::RRset> rrsets;
  std::vector<dns::RRType> types;
  const dns::RRset* input_dnskey = nullptr;  // into input, or null
};
[[nodiscard]] ApexExtras apex_extras(const zone::Zone& input, const std::vector<DnssecKey>& keys,
                                     const KeyRoles& roles, const SignerOptions& options);
[[nodiscard]] KeyUse extra_key_use(dns::RRType type);

// True when input RRset `type` at `node` is dropped: signer types, and at the apex the types
// apex_extras() makes (DNSKEY always, CDS/CDNSKEY when publishing them).
[[nodiscard]] bool replaced_by_signer(bool apex, dns::RRType type, const SignerOptions& options);

// RFC 4035 §2.2: glue, occluded data and NS at a cut are not signed; everything else by ZSKs.
[[nodiscard]] KeyUse data_key_use(const zone::Node& node, bool apex, dns::RRType type);

// Appends to `out` the signatures of `sigs` (an RRSIG RRset, may be null) over `rs` that can be
// kept, and returns which keys of `use` they cover (bit k for use[k]): a signature is kept when
// its TTL matches and it is current (expiration after now + refresh_within, inception not in the
// future). Signatures by keys outside `use` are left out (a key that stopped signing). An RRSIG
// that does not parse, or two by one key, keep nothing: 0, and `out` as it was.
[[nodiscard]] uint64_t kept_signatures(const dns::RRset& rs, const dns::RRset* sigs,
                                       const std::vector<DnssecKey>& keys,
                                       const std::vector<size_t>& use, uint32_t now,
                                       uint32_t refresh_within, std::vector<dns::Rdata>& out);

// The mask of kept_signatures() when every key of `use` is covered.
[[nodiscard]] inline uint64_t all_keys(size_t use) {
  return use >= 64 ? ~uint64_t{0} : (uint64_t{1} << use) - 1;
}

// True when kept_signatures() covers every key of `use`; on false `out` is unspecified.
[[nodiscard]] inline bool reusable_signatures(const dns::RRset& rs, const dns::RRset* sigs,
                                              const std::vector<DnssecKey>& keys,
                                              const std::vector<size_t>& use, uint32_t now,
                                              uint32_t refresh_within,
                                              std::vector<dns::Rdata>& out) {
  return kept_signatures(rs, sigs, keys, use, now, refresh_within, out) == all_keys(use.size());
}

// RFC 1982 serial-number "a is before b" on 32-bit times (RFC 4034 §3.1.5).
inline bool serial_before(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}

}  // namespace flatsign::dnssec::detail
