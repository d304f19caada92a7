// RDATA codecs driven by one descriptor table (rdata_table.cpp): each known type lists its
// fields once, and generic code converts presentation text, wire form (with compression) and
// RFC 4034 §6.2 canonical form. Unknown types use RFC 3597 (`\# len hex`). Stateless, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/types.hpp"
#include "common/dns/wire.hpp"

namespace flatsign::dns {

// One presentation-format token of RDATA, as the zone-file lexer split it. `quoted` tokens came
// from "..." and may contain spaces; escapes (\X, \DDD) are still in `text`, undecoded.
struct RdataToken {
  std::string_view text;
  bool quoted = false;
};

// Appends the wire RDATA for `tokens` to `out`. Relative names are completed with `origin`.
// Accepts RFC 3597 `\# len hex` for every type (validated against the type's fields).
// Throws ParseError naming the field and the token index that failed.
void rdata_from_text(RRType type, std::span<const RdataToken> tokens, const Name& origin,
                     std::vector<uint8_t>& out);
// Appends the presentation form (names absolute). REQUIRES: `rdata` is valid for `type`.
void rdata_to_text(RRType type, std::span<const uint8_t> rdata, std::string& out);
std::string rdata_to_text(RRType type, std::span<const uint8_t> rdata);
// Appends the RFC 3597 §5 generic form, `\# <length> <hex>`, which fits any type.
void rdata_to_generic_text(std::span<const uint8_t> rdata, std::string& out);

// Reads `rdlength` octets of RDATA at the reader's position, decompressing names where
// RFC 3597 §4 allows, checking every field, and appends the uncompressed form to `out`.
// On failure the reader holds the error (with its offset) and false is returned.
bool rdata_from_wire(RRType type, WireReader& reader, uint16_t rdlength, std::vector<uint8_t>& out);
// Validates uncompressed RDATA (e.g. from the generic text form). Throws ParseError.
void rdata_validate(RRType type, std::span<const uint8_t> rdata);
// Writes RDATA, compressing only names RFC 3597 §4 allows (NS, CNAME, SOA, PTR, MX).
void rdata_to_wire(RRType type, std::span<const uint8_t> rdata, WireWriter& writer);

// RFC 4034 §6.2 canonical form (embedded names lowercased for the listed types, NSEC excepted
// per RFC 6840 §5.1). Appends to `out`.
void rdata_to_canonical(RRType type, std::span<const uint8_t> rdata, std::vector<uint8_t>& out);
// True when the canonical form differs from the stored form only for names with uppercase.
bool rdata_has_lowercased_names(RRType type);
// RFC 4034 §6.3 ordering of two RDATAs of the same type (canonical forms compared as octets).
int rdata_compare(RRType type, std::span<const uint8_t> a, std::span<const uint8_t> b);

// The first domain name in the RDATA (NS/CNAME/DNAME/PTR/ALIAS target, MX/SRV exchange,
// SOA MNAME), or nullopt for types without one. REQUIRES: `rdata` is valid for `type`.
std::optional<Name> rdata_target(RRType type, std::span<const uint8_t> rdata);

// TTL text: decimal seconds or BIND units ("1h30m", "2w", case-insensitive), at most 2^31-1
// per RFC 2181 §8. nullopt when malformed.
std::optional<uint32_t> parse_ttl(std::string_view text);

// SOA field access on valid SOA RDATA.
uint32_t soa_serial(std::span<const uint8_t> rdata);
uint32_t soa_retry(std::span<const uint8_t> rdata);
uint32_t soa_minimum(std::span<const uint8_t> rdata);
void set_soa_serial(std::span<uint8_t> rdata, uint32_t serial);

}  // namespace flatsign::dns
