// The answer engine's name index: exact lookups ignore case, empty non-terminals exist but own
// nothing, names outside the data do not exist, and predecessor() agrees with Zone's.
#include <catch2/catch.hpp>

#include "common/server/name_index.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;

TEST_CASE("name index: owners, empty non-terminals, predecessor", "[answer]") {
  auto z = testing::build({"@ 3600 SOA ns.example. h.example. 1 2 3 4 600", "@ 3600 NS ns",
                           "ns 300 A 192.0.2.1", "a.b.c 300 A 192.0.2.3", "*.w 300 TXT x",
                           "Mixed 300 A 192.0.2.9"});
  server::NameIndex idx(*z);
  auto find = [&](const char* n) { return idx.find(Name::parse(n).wire()); };
  auto exists = [&](const char* n) { return idx.exists(Name::parse(n).wire()); };
  REQUIRE(find("example.") == &z->nodes().front());
  REQUIRE(find("A.B.C.example.") != nullptr);
  CHECK(find("a.b.c.example.")->name == Name::parse("a.b.c.example."));
  CHECK(find("mixed.EXAMPLE.") != nullptr);
  CHECK(find("*.w.example.") != nullptr);
  // b.c and c are empty non-terminals (RFC 4592 §2.2.2), as is w.
  for (const char* ent : {"b.c.example.", "C.example.", "w.example."}) {
    CAPTURE(ent);
    CHECK(exists(ent));
    CHECK(find(ent) == nullptr);
  }
  for (const char* none : {"x.a.b.c.example.", "d.example.", "x.w.example.", "com."}) {
    CAPTURE(none);
    CHECK_FALSE(exists(none));
    CHECK(find(none) == nullptr);
  }
  for (const char* n : {"example.", "a.example.", "b.c.example.", "zz.example.", "NS.example.",
                        "a.ns.example.", "\\000.w.example.", "org."}) {
    CAPTURE(n);
    CHECK(idx.predecessor(Name::parse(n).wire()) == z->predecessor(Name::parse(n)));
  }
  // A deep name brings far more empty non-terminals (99) than there are nodes.
  std::string deep, half;
  for (int i = 0; i < 100; ++i) deep += "x.";
  for (int i = 0; i < 50; ++i) half += "x.";
  auto dz = testing::build({"@ 3600 SOA ns.example. h.example. 1 2 3 4 600", "@ 3600 NS ns",
                            deep + "example. 300 A 192.0.2.1"});
  server::NameIndex didx(*dz);
  CHECK(didx.find(Name::parse(deep + "example.").wire()) != nullptr);
  CHECK(didx.exists(Name::parse("X.example.").wire()));
  CHECK(didx.exists(Name::parse(half + "example.").wire()));
  CHECK(didx.find(Name::parse(half + "example.").wire()) == nullptr);
  CHECK_FALSE(didx.exists(Name::parse("y." + half + "example.").wire()));

  CHECK(server::wire_is_subdomain(Name::parse("A.b.Example.").wire(),
                                  Name::parse("example.").wire()));
  CHECK_FALSE(
      server::wire_is_subdomain(Name::parse("example.").wire(), Name::parse("b.example.").wire()));
}
