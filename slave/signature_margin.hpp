// Whether a zone's signatures outlive the copies its secondaries may still serve: a secondary
// that loses the slave keeps answering from its last copy until the SOA expire, and resolvers
// keep those answers for their TTL; the slave re-signs a signature once signature-refresh of its
// validity is left. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/zone/diff.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::slave {

// The figures of a zone that bound how long a copy of it is served.
struct ZoneFigures {
  uint32_t expire = 0;   // SOA EXPIRE (RFC 1035 §3.3.13)
  uint32_t max_ttl = 0;  // the largest TTL of any record
  // How long a signature must still be valid when the slave replaces it: expire + max_ttl.
  [[nodiscard]] uint64_t needed() const { return uint64_t{expire} + max_ttl; }
  bool operator==(const ZoneFigures&) const = default;
};

struct SignatureTiming {
  uint32_t validity = 0;
  uint32_t refresh = 0;
  bool operator==(const SignatureTiming&) const = default;
};

// The longest validity derived timing uses: 10 years, as for the signature-validity option.
inline constexpr uint32_t kMaxSignatureValidity = 10u * 365 * 86400;

[[nodiscard]] ZoneFigures zone_figures(const zone::Zone& z);
// The same for `z` made from a zone of figures `before` by `diff` (that zone's content to z's):
// read from the diff, unless an RRset of the largest TTL went or lowered its TTL (then z is
// walked whole).
[[nodiscard]] ZoneFigures zone_figures(const zone::Zone& z, const ZoneFigures& before,
                                       const zone::Diff& diff);

// "" when `t` is safe for `f`: a signature re-signed with `t.refresh` left outlives a copy
// served for SOA expire plus the largest TTL. Otherwise one line naming the figures.
[[nodiscard]] std::string margin_problem(const SignatureTiming& t, const ZoneFigures& f);

// The timing to use when the operator set neither signature-validity nor signature-refresh:
// `defaults` when safe for `f`, else a refresh of expire + largest TTL + a day and a validity of
// twice that (as the options require), or nullopt when that passes kMaxSignatureValidity.
[[nodiscard]] std::optional<SignatureTiming> derived_timing(const SignatureTiming& defaults,
                                                            const ZoneFigures& f);

}  // namespace flatsign::slave
