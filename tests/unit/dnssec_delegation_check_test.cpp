// A parent and its child zone served together: the parent's DS at the cut against the child's
// DNSKEYs (RFC 4035 §5.2), and the slave's watch that alerts a conflict once and clears it.
#include <catch2/catch.hpp>

#include "common/dns/rdata.hpp"
#include "common/dnssec/delegation_check.hpp"
#include "common/dnssec/key.hpp"
#include "slave/delegation_watch.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;

namespace {
// RFC 6605 §6.1's KSK (algorithm 13, key tag 55648) and a second key made from other octets.
const std::string kKey1 =
    "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==";
const std::string kKey2 =
    "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DdSEktVwQQvXA==";

std::vector<std::string> apex() {
  return {"@ 3600 SOA ns1 host 1 7200 3600 1209600 300", "@ 3600 NS ns1", "ns1 3600 A 192.0.2.1"};
}

std::shared_ptr<const zone::Zone> child(const std::vector<std::string>& keys) {
  auto lines = apex();
  for (const auto& k : keys) lines.push_back("@ 3600 DNSKEY 257 3 13 " + k);
  return testing::build(lines, "child.example.");
}

// The DS text of `key` as the child's apex key.
std::string ds_of(const std::string& key) {
  auto z = child({key});
  const dns::RRset* k = z->find(z->origin(), dns::RRType::DNSKEY);
  auto ds = dnssec::make_ds_rdata(z->origin(), k->rdatas[0]);
  return dns::rdata_to_text(dns::RRType::DS, ds);
}

std::shared_ptr<const zone::Zone> parent(const std::vector<std::string>& ds) {
  auto lines = apex();
  lines.push_back("child 3600 NS ns1.child");
  lines.push_back("ns1.child 3600 A 192.0.2.2");
  for (const auto& d : ds) lines.push_back("child 3600 DS " + d);
  return testing::build(lines, "example.");
}
}  // namespace

TEST_CASE("delegation check: a DS matching a child key, or no DS, is consistent", "[dnssec]") {
  CHECK_FALSE(dnssec::check_delegation(*parent({ds_of(kKey1)}), *child({kKey1})));
  CHECK_FALSE(dnssec::check_delegation(*parent({ds_of(kKey1)}), *child({kKey1, kKey2})));
  // One DS of two matches (a key rollover in progress): consistent.
  CHECK_FALSE(dnssec::check_delegation(*parent({ds_of(kKey1), ds_of(kKey2)}), *child({kKey2})));
  CHECK_FALSE(dnssec::check_delegation(*parent({}), *child({})));  // insecure delegation
}

TEST_CASE("delegation check: a DS of another key, or an unsigned child, is named", "[dnssec]") {
  auto m = dnssec::check_delegation(*parent({ds_of(kKey2)}), *child({kKey1}));
  REQUIRE(m);
  CHECK(m->dnskey_tags == std::vector<uint16_t>{55648});
  REQUIRE(m->ds_tags.size() == 1);
  CHECK(m->ds_tags[0] != 55648);
  CHECK_THAT(m->detail, Catch::Contains("the DS of example. at child.example.") &&
                            Catch::Contains("(key tags 55648)"));
  // Same tag and algorithm but another digest: still no match.
  std::string forged = ds_of(kKey1);
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  CHECK(dnssec::check_delegation(*parent({forged}), *child({kKey1})));
  auto unsigned_child = dnssec::check_delegation(*parent({ds_of(kKey1)}), *child({}));
  REQUIRE(unsigned_child);
  CHECK(unsigned_child->dnskey_tags.empty());
  CHECK_THAT(unsigned_child->detail, Catch::Contains("child.example. is unsigned"));
}

TEST_CASE("delegation watch: a conflict is raised once, kept for status, then cleared", "[slave]") {
  slave::DelegationWatch w;
  const Name p = Name::parse("example."), c = Name::parse("child.example.");
  auto good = parent({ds_of(kKey1)}), bad = parent({ds_of(kKey2)});
  auto kid = child({kKey1});
  CHECK_FALSE(w.check(p, c, good.get(), kid.get()).raised);
  CHECK(w.check(p, c, bad.get(), kid.get()).raised);
  CHECK_FALSE(w.check(p, c, bad.get(), kid.get()).raised);  // known: no second alert
  CHECK(w.size() == 1);
  CHECK_THAT(w.status_json(), Catch::Contains("\"parent\":\"example.\",\"child\":"
                                              "\"child.example.\",\"ds_tags\":["));
  CHECK(w.check(p, c, good.get(), kid.get()).cleared);
  CHECK(w.size() == 0);
  CHECK(w.check(p, c, bad.get(), kid.get()).raised);
  CHECK(w.forget(p) == 1);
  CHECK(w.status_json() == "[]");
}

TEST_CASE("delegation watch: nearest parent and children among the zones served", "[slave]") {
  std::map<Name, int> zones{{Name::parse("example."), 1},
                            {Name::parse("a.example."), 2},
                            {Name::parse("b.a.example."), 3},
                            {Name::parse("c.example."), 4},
                            {Name::parse("other."), 5}};
  CHECK(slave::nearest_parent(zones, Name::parse("b.a.example."))->second == 2);
  CHECK(slave::nearest_parent(zones, Name::parse("x.c.example."))->second == 4);
  CHECK(slave::nearest_parent(zones, Name::parse("example.")) == nullptr);
  auto kids = slave::nearest_children(zones, Name::parse("example."));
  REQUIRE(kids.size() == 2);
  CHECK(kids[0]->second == 2);
  CHECK(kids[1]->second == 4);
}
