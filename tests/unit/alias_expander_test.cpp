// ALIAS flattening: the TTL policy (ALIAS TTL, not upstream), wildcard owners, A-only and
// AAAA-only targets, the ignore policy, change detection and RFC 1982 serials.
#include <catch2/catch.hpp>

#include "master/alias_expander.hpp"
#include "master/master_daemon.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;
using dns::RRType;

namespace {
std::shared_ptr<const zone::Zone> source() {
  return testing::build({"@ 3600 SOA ns1 host 7 7200 3600 1209600 300", "@ 3600 NS ns1",
                         "ns1 3600 A 192.0.2.53", "@ 600 ALIAS t1.example.net.",
                         "*.sites 900 ALIAS t2.example.net.", "v6 60 ALIAS t3.example.net."});
}
dns::Rdata a(uint8_t last) {
  return {192, 0, 2, last};
}
}  // namespace

TEST_CASE("find_aliases lists owner, target and the ALIAS TTL", "[alias]") {
  auto aliases = master::find_aliases(*source());
  REQUIRE(aliases.size() == 3);
  CHECK(aliases[0].owner == Name::parse("example."));
  CHECK(aliases[0].ttl == 600);
  CHECK(aliases[1].owner == Name::parse("*.sites.example."));
  CHECK(aliases[1].target == Name::parse("t2.example.net."));
}

TEST_CASE("build_flattened: ALIAS TTL, wildcard owner kept, no ALIAS left, serial set", "[alias]") {
  auto src = source();
  master::Expansion ex;
  ex.aliases = master::find_aliases(*src);
  ex.aliases[0].a = {a(1), a(2)};
  ex.aliases[1].a = {a(3)};
  ex.aliases[1].aaaa = {dns::Rdata(16, 1)};
  ex.aliases[2].aaaa = {dns::Rdata(16, 2)};  // AAAA-only target: no A RRset
  auto flat = master::build_flattened(*src, ex, 42);
  CHECK(flat->serial() == 42);
  const dns::RRset* apex = flat->find(Name::parse("example."), RRType::A);
  REQUIRE(apex);
  CHECK(apex->ttl == 600);
  CHECK(apex->rdatas.size() == 2);
  CHECK(flat->find(Name::parse("*.sites.example."), RRType::AAAA)->ttl == 900);
  CHECK(flat->find(Name::parse("v6.example."), RRType::A) == nullptr);
  CHECK(flat->find(Name::parse("v6.example."), RRType::AAAA) != nullptr);
  for (const auto& n : flat->nodes()) CHECK(n.find(RRType::ALIAS) == nullptr);
}

TEST_CASE("build_flattened: ignore policy leaves the failing ALIAS out", "[alias]") {
  auto src = source();
  master::Expansion ex;
  ex.aliases = master::find_aliases(*src);
  ex.aliases[0].a = {a(1)};
  ex.aliases[1].left_out = true;
  ex.aliases[2].aaaa = {dns::Rdata(16, 2)};
  auto flat = master::build_flattened(*src, ex, 7);
  CHECK(flat->find(Name::parse("*.sites.example.")) == nullptr);
}

TEST_CASE("Expansion::same_content ignores upstream TTLs, sees address changes", "[alias]") {
  master::Expansion x, y;
  x.aliases = y.aliases = master::find_aliases(*source());
  x.aliases[0].a = y.aliases[0].a = {a(1)};
  CHECK(x.same_content(y));
  y.aliases[0].a = {a(9)};
  CHECK_FALSE(x.same_content(y));
}

TEST_CASE("serials follow RFC 1982", "[alias]") {
  CHECK(master::serial_gt(2, 1));
  CHECK(master::serial_gt(0, 0xFFFFFFFFu));  // wrapped
  CHECK_FALSE(master::serial_gt(1, 1));
  CHECK(master::next_serial(2024010101, 5) == 2024010101);    // file ahead: take it
  CHECK(master::next_serial(7, 7) == 8);                      // otherwise last served + 1
  CHECK(master::next_serial(5, 0xFFFFFFFFu) == 5);            // 5 is after 2^32-1 (wrapped)
  CHECK(master::next_serial(0xFFFFFFFFu, 0xFFFFFFFFu) == 1);  // wraps, skipping 0
}
