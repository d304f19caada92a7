// Diff between zone snapshots: added/removed RRs per RRset, order and case insensitivity,
// the slave's serial-blind comparison, and the human summary.
#include <catch2/catch.hpp>

#include "common/zone/diff.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using flatsign::testing::build;
using flatsign::testing::with_apex;

TEST_CASE("identical content in another order and case is unchanged", "[diff]") {
  auto a =
      build(with_apex({"www 60 A 192.0.2.1", "www 60 A 192.0.2.2", "mx 60 MX 10 Mail.example."}));
  auto b =
      build(with_apex({"mx 60 MX 10 mail.EXAMPLE.", "WWW 60 A 192.0.2.2", "www 60 A 192.0.2.1"}));
  CHECK(zone::diff_zones(*a, *b).empty());
}

TEST_CASE("diff lists added and removed records per RRset", "[diff]") {
  auto a = build(with_apex({"www 60 A 192.0.2.1", "www 60 A 192.0.2.2", "old 60 TXT gone"}));
  auto b =
      build(with_apex({"www 60 A 192.0.2.2", "www 60 A 192.0.2.3", "new 60 AAAA 2001:db8::1"}));
  auto d = zone::diff_zones(*a, *b);
  CHECK(d.added_count() == 2);
  CHECK(d.removed_count() == 2);
  REQUIRE(d.changes.size() == 3);
  CHECK(d.changes[0].owner.to_string() == "new.example.");
  CHECK(d.changes[1].owner.to_string() == "old.example.");
  CHECK(d.changes[2].owner.to_string() == "www.example.");
  auto s = d.summary();
  CHECK_THAT(s, Catch::Contains("- www.example. 60 IN A 192.0.2.1"));
  CHECK_THAT(s, Catch::Contains("+ www.example. 60 IN A 192.0.2.3"));
  CHECK_THAT(d.summary(1), Catch::Contains("... 3 more"));
}

TEST_CASE("a TTL change is a change", "[diff]") {
  auto a = build(with_apex({"www 60 A 192.0.2.1"}));
  auto b = build(with_apex({"www 120 A 192.0.2.1"}));
  auto d = zone::diff_zones(*a, *b);
  REQUIRE(d.changes.size() == 1);
  CHECK(d.changes[0].old_ttl == 60);
  CHECK(d.changes[0].new_ttl == 120);
  CHECK_THAT(d.summary(), Catch::Contains("TTL 60 -> 120"));
}

TEST_CASE("the slave's comparison ignores only the SOA serial", "[diff]") {
  auto a = build({"@ 3600 SOA ns1 h 1 7200 3600 1209600 300", "@ 3600 NS ns1"});
  auto b = build({"@ 3600 SOA ns1 h 2 7200 3600 1209600 300", "@ 3600 NS ns1"});
  auto c = build({"@ 3600 SOA ns1 h 2 7200 3600 1209600 600", "@ 3600 NS ns1"});
  CHECK_FALSE(zone::diff_zones(*a, *b).empty());
  CHECK(zone::diff_zones(*a, *b, {.ignore_soa_serial = true}).empty());
  CHECK_FALSE(zone::diff_zones(*a, *c, {.ignore_soa_serial = true}).empty());
}

TEST_CASE("a diff counts its wire octets and stops past max_octets", "[diff]") {
  std::vector<std::string> a_lines, b_lines;
  for (int i = 0; i < 50; ++i) {
    a_lines.push_back("h" + std::to_string(i) + " 60 A 192.0.2.1");
    b_lines.push_back("h" + std::to_string(i) + " 60 A 192.0.2.2");
  }
  auto a = build(with_apex(a_lines)), b = build(with_apex(b_lines));
  auto whole = zone::diff_zones(*a, *b);
  REQUIRE(whole.changes.size() == 50);
  CHECK_FALSE(whole.cut_short);
  // Each change removes one A and adds one: owner hN.example. (12 or 13 octets), 10, RDATA 4.
  size_t octets = 0;
  for (const auto& c : whole.changes) octets += 2 * (c.owner.wire_size() + 10 + 4);
  CHECK(whole.wire_octets == octets);
  auto cut = zone::diff_zones(*a, *b, {.max_octets = octets / 2});
  CHECK(cut.cut_short);
  CHECK(cut.changes.size() < whole.changes.size());
  CHECK(cut.wire_octets > octets / 2);
  CHECK_FALSE(zone::diff_zones(*a, *b, {.max_octets = octets}).cut_short);
}
