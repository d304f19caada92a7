// SVCB/HTTPS SvcParams (RFC 9460 §2.1-2.2, §7): presentation <-> wire for the parameter list
// that ends SVCB and HTTPS RDATA. Internal to the rdata codec. Stateless, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/dns/rdata.hpp"

namespace flatsign::dns::detail {

// Appends wire SvcParams for `tokens` (each "key=value", "key" or key="quoted value"), sorted by
// key as RFC 9460 §2.2 requires. Throws ParseError with the index (relative to `tokens`).
void svcparams_from_text(std::span<const RdataToken> tokens, std::vector<uint8_t>& out);
void svcparams_to_text(std::span<const uint8_t> wire, std::string& out);
// Keys strictly ascending, each value complete; false otherwise.
[[nodiscard]] bool svcparams_valid(std::span<const uint8_t> wire);

// Presentation <character-string> helpers shared with the rdata codec.
// Decodes \X and \DDD escapes; false on a malformed escape.
[[nodiscard]] bool unescape(std::string_view text, std::vector<uint8_t>& out);
// Appends `bytes` with '"' and '\\' escaped and non-printables as \DDD; `extra` lists further
// characters to escape (e.g. "," in SvcParam value lists).
void escape(std::span<const uint8_t> bytes, std::string& out, std::string_view extra = {});

}  // namespace flatsign::dns::detail
