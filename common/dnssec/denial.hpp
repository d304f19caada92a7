// Authenticated denial of existence for a zone being signed: the NSEC chain (RFC 4034 §4,
// RFC 4035 §2.3) or the NSEC3 chain (RFC 5155 §7.1) with its type bitmaps, hashes and TTLs.
// Pure functions over immutable input; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::dnssec {

struct Nsec3Params {
  // RFC 9276 §3.1: iterations 0 and an empty salt.
  uint16_t iterations = 0;
  std::vector<uint8_t> salt;
  // RFC 5155 §6: unsigned delegations get no NSEC3 and the records carry the Opt-Out flag.
  bool opt_out = false;
};

enum class DenialMode { Nsec, Nsec3 };

struct DenialConfig {
  DenialMode mode = DenialMode::Nsec;
  Nsec3Params nsec3;
};

using Nsec3Hash = std::array<uint8_t, 20>;  // SHA-1 (hash algorithm 1)

// RFC 5155 §5: IH(salt, x, k) over the lowercased wire name.
[[nodiscard]] Nsec3Hash nsec3_hash(const dns::Name& name, const Nsec3Params& params);
// base32hex(hash) + "." + zone (RFC 5155 §3).
[[nodiscard]] dns::Name nsec3_owner(const Nsec3Hash& hash, const dns::Name& zone);

// RFC 4034 §4.1.2 windowed type bitmap. REQUIRES: `types` sorted ascending, no duplicates.
void append_type_bitmap(std::span<const dns::RRType> types, std::vector<uint8_t>& out);
// Decodes a type bitmap; false when malformed (bad window order or length).
[[nodiscard]] bool parse_type_bitmap(std::span<const uint8_t> bitmap,
                                     std::vector<dns::RRType>& types);

// RFC 5155 §4.2 NSEC3PARAM RDATA (hash algorithm 1, flags 0).
dns::Rdata make_nsec3param_rdata(const Nsec3Params& params);

// RFC 9077 §3.3: NSEC/NSEC3 TTL = min(SOA TTL, SOA MINIMUM).
[[nodiscard]] uint32_t denial_ttl(const dns::RRset& soa);

// True when types of this kind are produced by the signer and are dropped from input zones.
[[nodiscard]] bool is_signer_type(dns::RRType type);

// The types the signed zone will have at `node` (its data, minus signer types, plus RRSIG and
// NSEC as they will be added, plus `apex_extra` at the apex), as they appear in the bitmap.
// RFC 4035 §2.3: at a delegation only NS, DS, RRSIG and NSEC.
std::vector<dns::RRType> signed_types(const zone::Node& node, bool apex,
                                      std::span<const dns::RRType> apex_extra, DenialMode mode);

// True when `node` has a place in a denial chain: authoritative (not occluded) and holding data
// other than signer types (names with only denial records are NSEC3 owners, not chain members).
[[nodiscard]] bool in_denial_chain(const zone::Node& node);
// True when `node` gets its own NSEC3 (RFC 5155 §7.1): in the chain and not an unsigned
// delegation skipped by Opt-Out (§6).
[[nodiscard]] bool has_own_nsec3(const zone::Node& node, bool apex, const Nsec3Params& params);
// RFC 4034 §4.1 NSEC RDATA and RFC 5155 §3.2 NSEC3 RDATA (Opt-Out flag from params.opt_out).
// REQUIRES: `types` sorted ascending, no duplicates.
dns::Rdata make_nsec_rdata(const dns::Name& next, std::span<const dns::RRType> types);
dns::Rdata make_nsec3_rdata(const Nsec3Params& params, const Nsec3Hash& next,
                            std::span<const dns::RRType> types);

// The complete denial chain for `zone` (treated as unsigned: signer types are ignored), as
// RRsets with TTL denial_ttl(zone.soa()), in no particular order. Glue and occluded names are
// never in a chain; NSEC3 adds empty non-terminals and, with opt-out, skips unsigned delegations.
// `apex_extra` lists the types signing adds at the apex (DNSKEY, NSEC3PARAM, CDS, CDNSKEY).
std::vector<dns::RRset> build_denial_chain(const zone::Zone& zone,
                                           std::span<const dns::RRType> apex_extra,
                                           const DenialConfig& config);

}  // namespace flatsign::dnssec
