// Test helpers: RRs from one-line presentation text without the zone-file parser (so the zone
// and diff tests do not depend on it), and a zone from zone-file text (through the parser).
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/rdata.hpp"
#include "common/dns/rrset.hpp"
#include "common/zone/zone.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"

namespace flatsign::testing {

// "owner ttl TYPE rdata..." with absolute or origin-relative names; rdata tokens split on
// spaces (no quoted spaces).
inline dns::Rr rr(const std::string& line, const dns::Name& origin = dns::Name::parse("example.")) {
  std::istringstream in(line);
  std::string owner, ttl, type;
  in >> owner >> ttl >> type;
  std::vector<std::string> parts;
  for (std::string t; in >> t;) parts.push_back(t);
  std::vector<dns::RdataToken> tokens;
  for (auto& p : parts) {
    bool quoted = p.size() >= 2 && p.front() == '"' && p.back() == '"';
    tokens.push_back(
        {quoted ? std::string_view(p).substr(1, p.size() - 2) : std::string_view(p), quoted});
  }
  dns::Rr r{owner == "@" ? origin : dns::Name::parse(owner, &origin),
            *dns::type_from_string(type),
            dns::RRClass::IN,
            static_cast<uint32_t>(std::stoul(ttl)),
            {}};
  dns::rdata_from_text(r.type, tokens, origin, r.rdata);
  return r;
}

inline std::shared_ptr<const zone::Zone> build(const std::vector<std::string>& lines,
                                               const std::string& origin = "example.") {
  auto o = dns::Name::parse(origin);
  zone::ZoneBuilder b(o);
  uint32_t line_no = 0;
  for (const auto& l : lines) b.add(rr(l, o), zone::Location{"test.zone", ++line_no, 1});
  return std::move(b).build().zone;
}

// A zone from zone-file text; warnings are dropped, errors throw ZoneError.
inline std::shared_ptr<const zone::Zone> zone_from_text(std::string_view text,
                                                        const dns::Name& origin) {
  zone::ZoneBuilder b(origin);
  (void)zone::parse_zone_text(text, origin,
                              [&](dns::Rr&& r, const zone::Location&) { b.add(std::move(r)); });
  return std::move(b).build().zone;
}

inline const std::vector<std::string> kApex = {
    "@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300",
    "@ 3600 NS ns1",
    "ns1 3600 A 192.0.2.53",
};

inline std::vector<std::string> with_apex(std::vector<std::string> more) {
  auto all = kApex;
  all.insert(all.end(), more.begin(), more.end());
  return all;
}

}  // namespace flatsign::testing
