// The signature margin: a signature re-signed with signature-refresh left must outlive a
// secondary's copy served for the SOA expire plus the largest TTL; unset timing is derived.
#include <catch2/catch.hpp>

#include "slave/signature_margin.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using slave::SignatureTiming;
using slave::ZoneFigures;

namespace {
std::shared_ptr<const zone::Zone> zone_with(uint32_t expire, uint32_t ttl) {
  return testing::build({"@ 3600 SOA ns1 hostmaster 1 7200 3600 " + std::to_string(expire) + " 300",
                         "@ 3600 NS ns1", "ns1 3600 A 192.0.2.53",
                         "www " + std::to_string(ttl) + " A 192.0.2.1"});
}
}  // namespace

TEST_CASE("signature margin: the zone's SOA expire and largest TTL", "[slave][margin]") {
  const ZoneFigures f = slave::zone_figures(*zone_with(1209600, 86400));
  CHECK(f.expire == 1209600);
  CHECK(f.max_ttl == 86400);
  CHECK(f.needed() == 1209600 + 86400);
}

TEST_CASE("signature margin: refresh must cover expire plus the largest TTL", "[slave][margin]") {
  const ZoneFigures f{604800, 3600};  // one week, one hour
  CHECK(slave::margin_problem({14 * 86400, 7 * 86400 + 3600}, f).empty());
  const std::string p = slave::margin_problem({14 * 86400, 7 * 86400}, f);
  CHECK_THAT(p, Catch::Contains("signature-refresh 604800 s") &&
                    Catch::Contains("SOA expire 604800 s") && Catch::Contains("3600 s"));
}

TEST_CASE("signature margin: unset timing is derived from the zone", "[slave][margin]") {
  const SignatureTiming defaults{14 * 86400, 7 * 86400};
  // A one-day expire is covered by the defaults.
  CHECK(slave::derived_timing(defaults, {86400, 3600}) == defaults);
  // Two weeks (RFC 1912's suggestion and a common default) and a day's TTL: refresh = 15 days +
  // a day of slack, validity twice that.
  auto t = slave::derived_timing(defaults, {1209600, 86400});
  REQUIRE(t);
  CHECK(t->refresh == 1209600 + 86400 + 86400);
  CHECK(t->validity == 2 * t->refresh);
  CHECK(slave::margin_problem(*t, {1209600, 86400}).empty());
  // An expire near 2^31 leaves no timing within ten years.
  CHECK_FALSE(slave::derived_timing(defaults, {2147483647u, 300}));
}

TEST_CASE("signature margin: figures follow a diff, walking the zone only when needed",
          "[slave][margin]") {
  auto before = zone_with(1209600, 86400);
  const ZoneFigures f0 = slave::zone_figures(*before);
  // A higher TTL comes in the diff.
  auto higher = zone_with(1209600, 172800);
  auto d1 = zone::diff_zones(*before, *higher, {.ignore_soa_serial = true});
  CHECK(slave::zone_figures(*higher, f0, d1) == ZoneFigures{1209600, 172800});
  // The RRset of the largest TTL lowers it: the zone is walked (SOA and NS keep 3600).
  auto lower = zone_with(2419200, 60);
  auto d2 = zone::diff_zones(*before, *lower, {.ignore_soa_serial = true});
  CHECK(slave::zone_figures(*lower, f0, d2) == ZoneFigures{2419200, 3600});
}
