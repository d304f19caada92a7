#include "slave/signature_margin.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace flatsign::slave {

namespace {
uint32_t soa_expire(const zone::Zone& z) {
  const dns::RdataRef soa = z.soa().rdatas.front();
  // SOA RDATA ends with REFRESH, RETRY, EXPIRE, MINIMUM (RFC 1035 §3.3.13).
  if (soa.size() < 8) return 0;
  const uint8_t* p = soa.data() + soa.size() - 8;
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
}  // namespace

ZoneFigures zone_figures(const zone::Zone& z, const ZoneFigures& before, const zone::Diff& diff) {
  ZoneFigures f{soa_expire(z), before.max_ttl};
  for (const auto& c : diff.changes) {
    if (c.old_ttl == before.max_ttl && c.new_ttl < c.old_ttl) return zone_figures(z);
    f.max_ttl = std::max(f.max_ttl, c.new_ttl);
  }
  // The SOA's own TTL is in the diff when it changed (the serial aside).
  f.max_ttl = std::max(f.max_ttl, z.soa().ttl);
  return f;
}

ZoneFigures zone_figures(const zone::Zone& z) {
  ZoneFigures f{soa_expire(z), 0};
  for (const auto& node : z.nodes())
    for (const auto& rs : node.rrsets)
      for (dns::RdataRef rd : rs.rdatas) f.max_ttl = std::max(f.max_ttl, node.record_ttl(rs, rd));
  return f;
}

std::string margin_problem(const SignatureTiming& t, const ZoneFigures& f) {
  if (t.refresh >= f.needed()) return "";
  return fmt::format(
      "signature-refresh {} s is shorter than SOA expire {} s + largest TTL {} s = {} s: a "
      "secondary that loses the slave could serve expired signatures (set signature-refresh to "
      "at least {} s and signature-validity to at least twice that, or lower the SOA expire)",
      t.refresh, f.expire, f.max_ttl, f.needed(), f.needed());
}

std::optional<SignatureTiming> derived_timing(const SignatureTiming& defaults,
                                              const ZoneFigures& f) {
  if (margin_problem(defaults, f).empty()) return defaults;
  const uint64_t refresh = f.needed() + 86400;
  const uint64_t validity = std::max<uint64_t>(defaults.validity, 2 * refresh);
  if (validity > kMaxSignatureValidity) return std::nullopt;
  return SignatureTiming{static_cast<uint32_t>(validity), static_cast<uint32_t>(refresh)};
}

}  // namespace flatsign::slave
