// ZoneTable: the zone that answers is the most specific one served (a parent and its child on
// one server), names outside every zone find none, and zones come and go while lookups run.
#include <catch2/catch.hpp>

#include "common/server/zone_table.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;

namespace {
std::shared_ptr<server::SnapshotDirectory> served(const std::string& origin) {
  auto d = std::make_shared<server::SnapshotDirectory>(Name::parse(origin));
  d->refresh(testing::build(
      {"@ 3600 SOA ns1 host 1 7200 3600 1209600 300", "@ 3600 NS ns1", "ns1 3600 A 192.0.2.53"},
      origin));
  return d;
}

std::string origin_of(const server::ZoneTable& t, const std::string& qname) {
  auto z = t.find_wire(Name::parse(qname).wire());
  auto by_name = t.find(Name::parse(qname));
  REQUIRE(z == by_name);
  return z ? z->origin.to_string() : "-";
}
}  // namespace

TEST_CASE("zone table: the most specific zone answers (RFC 1034 §4.3.2 step 2)", "[server]") {
  server::ZoneTable t;
  CHECK(origin_of(t, "www.example.test.") == "-");
  t.set(served("example.test."));
  CHECK(origin_of(t, "www.example.test.") == "example.test.");
  CHECK(origin_of(t, "other.test.") == "-");
  t.set(served("child.example.test."));
  t.set(served("other.test."));
  CHECK(t.size() == 3);
  CHECK(origin_of(t, "example.test.") == "example.test.");
  CHECK(origin_of(t, "child.example.test.") == "child.example.test.");
  CHECK(origin_of(t, "WWW.Child.Example.TEST.") == "child.example.test.");
  CHECK(origin_of(t, "a.b.child.example.test.") == "child.example.test.");
  CHECK(origin_of(t, "xchild.example.test.") == "example.test.");
  CHECK(origin_of(t, "other.test.") == "other.test.");
  CHECK(origin_of(t, "test.") == "-");
  CHECK(origin_of(t, ".") == "-");
}

TEST_CASE("zone table: removing a child hands its names back to the parent", "[server]") {
  server::ZoneTable t;
  t.set(served("example.test."));
  t.set(served("child.example.test."));
  CHECK(origin_of(t, "www.child.example.test.") == "child.example.test.");
  CHECK(t.remove(Name::parse("child.example.test.")));
  CHECK_FALSE(t.remove(Name::parse("child.example.test.")));
  CHECK(origin_of(t, "www.child.example.test.") == "example.test.");
  // set() of a zone served already replaces it.
  auto again = served("example.test.");
  t.set(again);
  CHECK(t.size() == 1);
  CHECK(t.find(Name::parse("example.test."))->zone ==
        again->find(Name::parse("example.test."))->zone);
}

TEST_CASE("zone table: a root zone and many siblings", "[server]") {
  server::ZoneTable t;
  for (int i = 0; i < 300; ++i) t.set(served("z" + std::to_string(i) + ".test."));
  CHECK(origin_of(t, "www.z299.test.") == "z299.test.");
  CHECK(origin_of(t, "www.z3000.test.") == "-");
  t.set(served("."));
  CHECK(origin_of(t, "www.z3000.test.") == ".");
  CHECK(origin_of(t, "www.z7.test.") == "z7.test.");
}

TEST_CASE("zone table: DS at a child's apex comes from the parent (RFC 4035 §3.1.4.1)",
          "[server]") {
  server::ZoneTable t;
  t.set(served("child.example.test."));
  auto ds_at = [&](const std::string& q) {
    auto z = t.find_answering(Name::parse(q).wire(), dns::RRType::DS);
    return z ? z->origin.to_string() : "-";
  };
  CHECK(ds_at("child.example.test.") == "child.example.test.");  // no parent here: the child
  t.set(served("example.test."));
  CHECK(ds_at("child.example.test.") == "example.test.");
  CHECK(ds_at("Child.Example.Test.") == "example.test.");
  CHECK(ds_at("sub.child.example.test.") == "child.example.test.");
  CHECK(t.find_answering(Name::parse("child.example.test.").wire(), dns::RRType::SOA)->origin ==
        Name::parse("child.example.test."));
  CHECK(ds_at("example.test.") == "example.test.");  // no grandparent served
}

TEST_CASE("zone table: set_all adds and replaces many zones in one step", "[server]") {
  server::ZoneTable t;
  t.set(served("a.test."));
  std::vector<std::shared_ptr<const server::SnapshotDirectory>> many;
  for (int i = 0; i < 500; ++i) many.push_back(served("m" + std::to_string(i) + ".test."));
  auto again = served("a.test.");
  many.push_back(again);
  t.set_all(many);
  CHECK(t.size() == 501);
  CHECK(origin_of(t, "www.m499.test.") == "m499.test.");
  CHECK(t.find(Name::parse("a.test."))->zone == again->find(Name::parse("a.test."))->zone);
}
