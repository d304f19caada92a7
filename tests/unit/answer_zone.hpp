// The zone the answer-engine tests and fuzz/targets/respond.cpp serve: every kind of answer in
// few names (CNAME chains and loops, wildcard, delegations signed and unsigned, an RRset too big
// for 512 octets).
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/dnssec/key.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/zone/zone.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"

namespace flatsign::testing {

inline std::string answer_zone_text() {
  std::string z = R"($TTL 300
@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600
@ IN NS ns
@ IN MX 10 mail
ns IN A 192.0.2.1
mail IN A 192.0.2.5
mail IN AAAA 2001:db8::5
www IN A 192.0.2.2
www IN AAAA 2001:db8::2
a.b.c IN A 192.0.2.3
*.w IN TXT "x"
alias IN CNAME www
chain IN CNAME alias
out IN CNAME www.example.org.
loop1 IN CNAME loop2
loop2 IN CNAME loop1
deleg IN NS ns.deleg
deleg IN NS ns2.deleg
ns.deleg IN A 192.0.2.4
ns2.deleg IN AAAA 2001:db8::4
sdeleg IN NS ns
sdeleg IN DS 1 13 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
srv IN SRV 0 0 53 ns
)";
  // An RRset too big for 512 octets: truncation (RFC 2181 §9).
  for (int i = 0; i < 24; ++i)
    z += "big IN TXT \"record " + std::to_string(i) + " of a set that does not fit in 512\"\n";
  return z;
}

// `text` (origin example.) built, and signed at `now` with one new CSK of `alg` when `mode` is
// given.
inline std::shared_ptr<const zone::Zone> answer_zone(std::optional<dnssec::DenialMode> mode,
                                                     dnssec::Algorithm alg, std::time_t now,
                                                     const std::string& text = answer_zone_text()) {
  const dns::Name origin = dns::Name::parse("example.");
  zone::ZoneBuilder b(origin);
  (void)zone::parse_zone_text(text, origin,
                              [&](dns::Rr&& rr, const zone::Location&) { b.add(rr); });
  std::shared_ptr<const zone::Zone> plain = std::move(b).build().zone;
  if (!mode) return plain;
  dnssec::SignerOptions o;
  o.timing.now = now;
  o.denial.mode = *mode;
  o.threads = 1;
  std::vector<dnssec::DnssecKey> keys;
  keys.push_back(dnssec::generate_key(origin, alg, dnssec::kFlagsKsk, now));
  return dnssec::ZoneSigner(std::move(keys), o).sign_full(*plain).zone;
}

}  // namespace flatsign::testing
