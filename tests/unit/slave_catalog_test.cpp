// Reading a catalog zone as a consumer (RFC 9432): members with their IDs, groups and coo;
// every schema break refuses the whole catalog with the record named; unknown records ignored.
#include <catch2/catch.hpp>

#include "slave/catalog.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;
using slave::CatalogError;
using slave::parse_catalog;

namespace {
const std::string kCat = "catalog.invalid.";

std::vector<std::string> base() {
  return {"@ 0 SOA invalid. invalid. 1 3600 600 2419200 0", "@ 0 NS invalid.",
          "version 0 TXT \"2\""};
}

std::string refusal(std::vector<std::string> lines) {
  try {
    (void)parse_catalog(*testing::build(lines, kCat));
  } catch (const CatalogError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("catalog: members with their IDs, groups and coo (RFC 9432 §4.2, §4.4)", "[slave]") {
  auto lines = base();
  lines.insert(lines.end(),
               {"m1.zones 0 PTR a.test.", "m2.zones 0 PTR B.Test.", "group.m2.zones 0 TXT gold",
                "coo.m2.zones 0 PTR other.invalid.", "ext.m1.zones 0 TXT ignored",
                "group.m9.zones 0 TXT orphan", "unrelated 0 TXT ignored"});
  auto m = parse_catalog(*testing::build(lines, kCat));
  REQUIRE(m.size() == 2);
  const auto& a = m.at(Name::parse("a.test."));
  CHECK(a.id == "m1");
  CHECK(a.groups.empty());
  CHECK_FALSE(a.coo);
  const auto& b = m.at(Name::parse("b.test."));
  CHECK(b.id == "m2");
  CHECK(b.groups == std::vector<std::string>{"gold"});
  CHECK(b.coo == Name::parse("other.invalid."));
  // No members at all is a valid (empty) catalog.
  CHECK(parse_catalog(*testing::build(base(), kCat)).empty());
}

TEST_CASE("catalog: a broken schema is refused whole, naming the record", "[slave]") {
  auto without_version = base();
  without_version.pop_back();
  CHECK(refusal(without_version).find("version.catalog.invalid.: 0 TXT RRs") == 0);
  auto v1 = base();
  v1.back() = "version 0 TXT \"1\"";
  CHECK(refusal(v1).find("schema version \"1\"") != std::string::npos);
  auto two_ptr = base();
  two_ptr.insert(two_ptr.end(), {"m1.zones 0 PTR a.test.", "m1.zones 0 PTR b.test."});
  CHECK(refusal(two_ptr).find("m1.zones.catalog.invalid.: 2 PTR RRs") == 0);
  auto twice = base();
  twice.insert(twice.end(), {"m1.zones 0 PTR a.test.", "m2.zones 0 PTR A.test."});
  CHECK(refusal(twice).find("is listed twice (m1 and m2)") != std::string::npos);
  auto self = base();
  self.push_back("m1.zones 0 PTR catalog.invalid.");
  CHECK(refusal(self).find("lists itself") != std::string::npos);
  auto coo2 = base();
  coo2.insert(coo2.end(), {"m1.zones 0 PTR a.test.", "coo.m1.zones 0 PTR x.invalid.",
                           "coo.m1.zones 0 PTR y.invalid."});
  CHECK(refusal(coo2).find("coo has exactly one") != std::string::npos);
}
