// ZoneBuilder checks (RFC 1034/1035/2181), zone cuts and occlusion, canonical node order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "common/dns/rdata.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zone_builder.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using flatsign::testing::build;
using flatsign::testing::with_apex;
using zone::ZoneError;

TEST_CASE("a valid zone is built in canonical order with counts", "[zone]") {
  auto z = build(with_apex({"b 60 A 192.0.2.2", "A 60 A 192.0.2.1", "a 60 A 192.0.2.1",
                            "*.b 60 TXT x", "a 60 AAAA 2001:db8::1"}));
  REQUIRE(z);
  std::vector<std::string> names;
  for (const auto& n : z->nodes()) names.push_back(n.name.to_string());
  CHECK(names == std::vector<std::string>{"example.", "A.example.", "b.example.", "*.b.example.",
                                          "ns1.example."});
  CHECK(z->serial() == 1);
  CHECK(z->rr_count() == 3 + 4);  // duplicate a/A A merged
  CHECK(z->find(dns::Name::parse("a.EXAMPLE."), dns::RRType::AAAA) != nullptr);
  CHECK(z->find(dns::Name::parse("nope.example.")) == nullptr);
  CHECK(z->nodes()[z->predecessor(dns::Name::parse("c.example."))].name.to_string() ==
        "*.b.example.");
  auto recs = z->records();
  CHECK(recs.front().type == dns::RRType::SOA);
  CHECK(recs.size() == z->rr_count());
}

TEST_CASE("builder orders shuffled input as RFC 4034 §6.1 does, whatever the owners share",
          "[zone]") {
  // Owners whose canonical keys agree on their first 8 octets and beyond (the builder compares
  // those as one integer first), 0x00/0x01 octets (escaped in its keys), the same name in
  // several cases and not next to itself, and one owner with more RRs than its insertion sort
  // takes, in alternating types.
  const auto origin = dns::Name::parse("example.");
  std::vector<std::string> owners = {"@",
                                     "a",
                                     "A.b",
                                     "a.B",
                                     "*.a",
                                     "\\000",
                                     "\\001",
                                     "a\\000",
                                     "a\\001b",
                                     "aaaaaaaa",
                                     "aaaaaaaab",
                                     "aaaaaaaa.aaaaaaaa",
                                     "aaaaaaab.aaaaaaaa",
                                     "x.y.z",
                                     "Z.y.x",
                                     "bbbbbbbbbbbbbbbbbbbb",
                                     "bbbbbbbbbbbbbbbbbbbc",
                                     "b",
                                     "many"};
  std::vector<dns::Rr> rrs;
  for (const auto& line : flatsign::testing::kApex) rrs.push_back(flatsign::testing::rr(line));
  std::map<std::pair<dns::Name, uint16_t>, std::vector<dns::Rdata>> want;
  int n = 0;
  for (int round = 0; round < 3; ++round) {
    for (const auto& o : owners) {
      for (const char* type : {"TXT", "A"}) {
        const int count = o == "many" ? 20 : 1;
        for (int k = 0; k < count; ++k, ++n) {
          std::string text = o + " 60 " + type + " ";
          text += type[0] == 'A'
                      ? "192.0." + std::to_string(n / 250) + "." + std::to_string(n % 250)
                      : "t" + std::to_string(n);
          // Another case of the owner each round: the builder must merge them.
          if (round == 1)
            std::transform(text.begin(), text.begin() + static_cast<long>(o.size()), text.begin(),
                           ::toupper);
          rrs.push_back(flatsign::testing::rr(text));
        }
      }
    }
  }
  std::mt19937 rng(7);
  std::shuffle(rrs.begin() + 3, rrs.end(), rng);
  zone::ZoneBuilder b(origin);
  for (const auto& r : rrs) {
    b.add(r);
    want[{r.owner.lowercased(), static_cast<uint16_t>(r.type)}].push_back(r.rdata);
  }
  auto z = std::move(b).build().zone;
  REQUIRE(z);
  // Nodes strictly ascending, types strictly ascending in each, every RRset complete.
  std::set<std::pair<dns::Name, uint16_t>> seen;
  for (size_t i = 0; i < z->nodes().size(); ++i) {
    const auto& node = z->nodes()[i];
    if (i > 0) CHECK(z->nodes()[i - 1].name < node.name);
    for (size_t t = 0; t < node.rrsets.size(); ++t) {
      const auto& rs = node.rrsets[t];
      if (t > 0)
        CHECK(static_cast<uint16_t>(node.rrsets[t - 1].type) < static_cast<uint16_t>(rs.type));
      auto key = std::make_pair(node.name.lowercased(), static_cast<uint16_t>(rs.type));
      REQUIRE(want.count(key) == 1);
      std::vector<dns::Rdata> got, expected = want[key];
      for (dns::RdataRef rd : rs.rdatas) got.push_back(rd.to_rdata());
      std::sort(got.begin(), got.end());
      std::sort(expected.begin(), expected.end());
      CHECK(got == expected);
      seen.insert(key);
    }
  }
  CHECK(seen.size() == want.size());
  CHECK(z->nodes().size() == owners.size() - 1 + 1);  // "A.b" and "a.B" are one; ns1 added
  // The same RRs in canonical order (as a transfer sends them) build the same zone.
  auto rows = [](const zone::Zone& zz) {
    std::vector<std::tuple<std::string, uint16_t, uint32_t, dns::Rdata>> out;
    for (const auto& r : zz.records())
      out.emplace_back(r.owner.to_string(), static_cast<uint16_t>(r.type), r.ttl, r.rdata);
    return out;
  };
  zone::ZoneBuilder again(origin);
  for (const auto& r : z->records()) again.add(r);
  CHECK(rows(*std::move(again).build().zone) == rows(*z));
}

TEST_CASE("builder keeps every RDATA intact across its storage chunks, in one exact block",
          "[zone]") {
  // Large RDATAs (up to the 65535-octet maximum) overflow the builder's 1 MB RDATA chunks many
  // times, interleaved owners make it sort, and an empty RDATA takes no room.
  const auto origin = dns::Name::parse("example.");
  zone::ZoneBuilder b(origin);
  b.add(flatsign::testing::rr("@ 3600 SOA ns1 host 1 7200 3600 1209600 300"));
  b.add(flatsign::testing::rr("@ 3600 NS ns1"));
  const auto type = static_cast<dns::RRType>(65280);  // private use: opaque RDATA
  std::map<std::pair<int, size_t>, dns::Rdata> want;
  for (size_t i = 0; i < 60; ++i) {
    const int owner = static_cast<int>(i % 3);
    const size_t size = i == 7 ? 0 : (i == 8 ? 65535 : 20000 + 997 * i);
    dns::Rdata rd(size);
    for (size_t k = 0; k < size; ++k) rd[k] = static_cast<uint8_t>(i * 31 + k * 7);
    want[{owner, i}] = rd;
    b.add(dns::Rr{dns::Name::parse("o" + std::to_string(owner) + ".example."), type,
                  dns::RRClass::IN, 60, rd});
  }
  auto z = std::move(b).build().zone;
  for (int owner = 0; owner < 3; ++owner) {
    const dns::RRset* rs =
        z->find(dns::Name::parse("o" + std::to_string(owner) + ".example."), type);
    REQUIRE(rs != nullptr);
    std::vector<dns::Rdata> expected, got;
    size_t octets = 0;
    for (const auto& [key, rd] : want)
      if (key.first == owner) {
        expected.push_back(rd);
        octets += rd.size();
      }
    for (dns::RdataRef rd : rs->rdatas) got.push_back(rd.to_rdata());
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    CHECK(got == expected);
    CHECK(rs->rdatas.allocated_bytes() == 16 + 4 * expected.size() + octets);
  }
}

TEST_CASE("builder takes an empty RDATA as its first record", "[zone]") {
  // Found by fuzz/targets/zonefile.cpp: with no RDATA kept yet there was no storage chunk, and
  // keeping an empty one read the last chunk of an empty list.
  const auto origin = dns::Name::parse("example.");
  zone::ZoneBuilder b(origin);
  b.add(flatsign::testing::rr("empty 60 TYPE65533 \\# 0"));
  for (const auto& line : flatsign::testing::kApex) b.add(flatsign::testing::rr(line));
  auto z = std::move(b).build().zone;
  const dns::RRset* rs =
      z->find(dns::Name::parse("empty.example."), static_cast<dns::RRType>(65533));
  REQUIRE(rs != nullptr);
  REQUIRE(rs->rdatas.size() == 1);
  CHECK(rs->rdatas.front().to_rdata().empty());
  CHECK(z->rr_count() == 4);
}

TEST_CASE("builder reports every error with its location", "[zone]") {
  auto expect_error = [](std::vector<std::string> lines, const std::string& what,
                         const std::string& where = "") {
    try {
      build(lines);
      FAIL("built a zone that should fail: " << what);
    } catch (const ZoneError& e) {
      INFO(e.what());
      CHECK_THAT(e.what(), Catch::Contains(what));
      if (!where.empty()) CHECK_THAT(e.what(), Catch::Contains(where));
    }
  };
  expect_error({"@ 3600 NS ns1"}, "no SOA");
  expect_error({"@ 3600 SOA ns1 h 1 2 3 4 5"}, "no NS records at the apex");
  expect_error(with_apex({"@ 3600 SOA ns2 h 2 2 3 4 5"}), "exactly one SOA");
  expect_error(with_apex({"www 60 SOA ns1 h 1 2 3 4 5"}), "only allowed at the apex",
               "test.zone:4");
  expect_error(with_apex({"www.other. 60 A 192.0.2.1"}), "outside the zone", "test.zone:4:1");
  expect_error(with_apex({"www 60 CNAME x", "www 60 TXT hello"}), "CNAME and other data");
  expect_error(with_apex({"www 60 CNAME x", "www 60 CNAME y"}), "more than one CNAME");
  expect_error(with_apex({"@ 60 CNAME x"}), "CNAME and other data");
  expect_error(with_apex({"www 60 ALIAS lb.cloud.test.", "www 60 A 192.0.2.1"}),
               "ALIAS and A/AAAA");
  expect_error(with_apex({"www 60 ALIAS lb.cloud.test.", "www 60 CNAME x"}),
               "CNAME and other data");
  expect_error(with_apex({"www 60 ALIAS a.test.", "www 60 ALIAS b.test."}), "more than one ALIAS");
  // Several errors are all reported, not just the first.
  try {
    build(with_apex({"x.other. 60 A 192.0.2.1", "y 60 CNAME a", "y 60 MX 1 b"}));
    FAIL("built");
  } catch (const ZoneError& e) {
    CHECK(e.issues().size() == 2);
  }
}

TEST_CASE("ALIAS may share a name with other types except A, AAAA and CNAME", "[zone]") {
  auto z = build(with_apex({"@ 60 ALIAS lb.cloud.test.", "@ 60 MX 10 mail", "@ 60 TXT v=spf1",
                            "*.sites 60 ALIAS lb.cloud.test."}));
  REQUIRE(z->find(z->origin(), dns::RRType::ALIAS));
}

TEST_CASE("zone cuts mark delegations and occlude data below them", "[zone]") {
  zone::ZoneBuilder b(dns::Name::parse("example."));
  for (const auto& l : with_apex({"sub 60 NS ns.sub", "sub 60 DS 1 13 2 AABB",
                                  "ns.sub 60 A 192.0.2.9", "deep.ns.sub 60 TXT occluded",
                                  "dn 60 DNAME other.test.", "x.dn 60 A 192.0.2.1"})) {
    b.add(flatsign::testing::rr(l));
  }
  auto result = std::move(b).build();
  const auto& z = *result.zone;
  CHECK(z.find(dns::Name::parse("sub.example."))->delegation);
  CHECK_FALSE(z.find(dns::Name::parse("sub.example."))->occluded);
  CHECK(z.find(dns::Name::parse("ns.sub.example."))->occluded);
  CHECK(z.find(dns::Name::parse("deep.ns.sub.example."))->occluded);
  CHECK(z.find(dns::Name::parse("x.dn.example."))->occluded);
  CHECK_FALSE(z.find(dns::Name::parse("dn.example."))->occluded);
  CHECK_FALSE(z.find(dns::Name::parse("example."))->delegation);
  // Non-address data below a cut is kept but warned about.
  bool warned = false;
  for (const auto& w : result.warnings)
    warned |= w.what.find("deep.ns.sub.example. TXT") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("TTL differences inside an RRset are normalised with a warning", "[zone]") {
  zone::ZoneBuilder b(dns::Name::parse("example."));
  for (const auto& l : with_apex({"www 300 A 192.0.2.1", "www 600 A 192.0.2.2"})) {
    b.add(flatsign::testing::rr(l), zone::Location{"z", 7, 1});
  }
  auto result = std::move(b).build();
  CHECK(result.zone->find(dns::Name::parse("www.example."), dns::RRType::A)->ttl == 300);
  REQUIRE(result.warnings.size() == 1);
  CHECK_THAT(result.warnings[0].to_string(), Catch::Contains("RFC 2181") && Catch::Contains("z:7"));
}

TEST_CASE("each RRSIG is emitted with the TTL of the RRset it covers (RFC 4034 §3)", "[zone]") {
  zone::ZoneBuilder b(dns::Name::parse("example."));
  for (const auto& l :
       with_apex({"www 300 A 192.0.2.1", "www 3600 TXT hello",
                  "www 3600 RRSIG TXT 13 2 3600 20300101000000 20200101000000 1 example. AA==",
                  "www 300 RRSIG A 13 2 300 20300101000000 20200101000000 1 example. AA=="})) {
    b.add(flatsign::testing::rr(l));
  }
  auto result = std::move(b).build();
  CHECK(result.warnings.empty());  // differing RRSIG TTLs are not an RRset TTL conflict
  size_t sigs = 0;
  for (const auto& r : result.zone->records()) {
    if (r.type != dns::RRType::RRSIG) continue;
    ++sigs;
    auto covered = static_cast<dns::RRType>(r.rdata[0] << 8 | r.rdata[1]);
    CHECK(r.ttl == (covered == dns::RRType::A ? 300u : 3600u));
  }
  CHECK(sigs == 2);
}

TEST_CASE("with_changes replaces, adds and removes RRsets and re-checks touched names", "[zone]") {
  auto base = build(with_apex({"www 60 A 192.0.2.1", "mail 60 A 192.0.2.25", "old 60 TXT gone"}));
  auto rrset = [](const std::string& line) {
    auto r = flatsign::testing::rr(line);
    return dns::RRset{r.owner, r.type, r.rclass, r.ttl, {r.rdata}};
  };
  auto removal = [](const std::string& owner, dns::RRType t) {
    return dns::RRset{dns::Name::parse(owner), t, dns::RRClass::IN, 0, {}};
  };
  auto z = base->with_changes({rrset("www 60 A 198.51.100.7"), rrset("new 60 AAAA 2001:db8::1"),
                               removal("old.example.", dns::RRType::TXT), rrset("sub 60 NS ns.sub"),
                               rrset("x.sub 60 TXT below")});
  // The same content built from scratch: equal node for node.
  auto fresh =
      build(with_apex({"www 60 A 198.51.100.7", "mail 60 A 192.0.2.25", "new 60 AAAA 2001:db8::1",
                       "sub 60 NS ns.sub", "x.sub 60 TXT below"}));
  CHECK(zone::diff_zones(*fresh, *z).empty());
  REQUIRE(z->nodes().size() == fresh->nodes().size());
  for (size_t i = 0; i < z->nodes().size(); ++i) {
    CHECK(z->nodes()[i].name == fresh->nodes()[i].name);
    CHECK(z->nodes()[i].delegation == fresh->nodes()[i].delegation);
    CHECK(z->nodes()[i].occluded == fresh->nodes()[i].occluded);
  }
  CHECK(z->find(dns::Name::parse("old.example.")) == nullptr);  // a name left empty is gone
  CHECK(z->rr_count() == fresh->rr_count());
  CHECK(z->serial() == 1);
  CHECK(base->find(dns::Name::parse("old.example.")) != nullptr);  // the base is untouched

  // A change that breaks a rule is refused like a build would.
  CHECK_THROWS_WITH(base->with_changes({rrset("www 60 CNAME elsewhere.test.")}),
                    Catch::Contains("CNAME and other data"));
  CHECK_THROWS_WITH(base->with_changes({removal("example.", dns::RRType::NS)}),
                    Catch::Contains("no NS records at the apex"));
  CHECK_THROWS_WITH(base->with_changes({rrset("www.other. 60 A 192.0.2.1")}),
                    Catch::Contains("outside the zone"));
  // And so are the RRs build() refuses one by one (found by fuzz/targets/axfr.cpp: a transfer
  // in served order with a meta-type record was patched in, where a build refuses it).
  CHECK_THROWS_WITH(base->with_changes({rrset("www 60 TYPE202 \\# 1 00")}),
                    Catch::Contains("meta type TYPE202"));
  auto chaos = rrset("www 60 TXT x");
  chaos.rclass = dns::RRClass::CH;
  CHECK_THROWS_WITH(base->with_changes({chaos}), Catch::Contains("is not IN"));
}

// A random walk of changes over a zone of many storage blocks, each step compared with the same
// content built from scratch: names, flags, counts, and the blocks left unchanged are shared.
TEST_CASE("with_changes over many blocks equals a fresh build and shares untouched blocks",
          "[zone]") {
  const dns::Name origin = dns::Name::parse("example.");
  std::map<std::pair<std::string, std::string>, std::string> model;  // (owner, type) -> line
  auto put = [&](const std::string& line) {
    auto r = flatsign::testing::rr(line);
    model[{r.owner.to_string(), dns::type_to_string(r.type)}] = line;
  };
  for (const auto& l : flatsign::testing::kApex) put(l);
  for (int i = 0; i < 1500; ++i) put("n" + std::to_string(i) + " 60 A 192.0.2.1");
  for (int i = 0; i < 400; ++i) put("h" + std::to_string(i) + ".deep 60 A 192.0.2.2");
  put("deep 60 TXT top");
  auto z = [&] {
    std::vector<std::string> lines;
    for (const auto& [k, l] : model) lines.push_back(l);
    return build(lines);
  }();
  REQUIRE(z->block_count() > 10);
  auto rrset = [](const std::string& line) {
    auto r = flatsign::testing::rr(line);
    return dns::RRset{r.owner, r.type, r.rclass, r.ttl, {r.rdata}};
  };
  auto removal = [&](const std::string& owner, const std::string& type) {
    return dns::RRset{
        dns::Name::parse(owner, &origin), *dns::type_from_string(type), dns::RRClass::IN, 0, {}};
  };
  std::mt19937 rng(7);
  for (int step = 0; step < 40; ++step) {
    std::vector<dns::RRset> changes;
    std::vector<std::pair<std::string, std::string>> gone;
    std::vector<std::string> added;
    switch (step % 5) {
      case 0:  // a burst of new names in one spot: the block holding them splits
        for (int i = 0; i < 300; ++i)
          added.push_back("n" + std::to_string(rng() % 1500) + "x" + std::to_string(i) + "." +
                          std::to_string(step) + " 60 A 192.0.2.3");
        break;
      case 1:  // a delegation over a subtree spanning blocks occludes it (and is lifted again)
        if (model.count({"deep.example.", "NS"})) {
          gone.push_back({"deep.example.", "NS"});
        } else {
          added.push_back("deep 60 NS ns.deep");
        }
        break;
      case 2:  // names removed here and there
        for (int i = 0; i < 20; ++i) {
          auto it = model.begin();
          std::advance(it, static_cast<long>(rng() % model.size()));
          if (it->first.first != "example." && it->first.first != "ns1.example.")
            gone.push_back(it->first);
        }
        break;
      case 3:  // replacements of existing RRsets
        for (int i = 0; i < 10; ++i)
          added.push_back("n" + std::to_string(rng() % 1500) + " 60 A 198.51.100." +
                          std::to_string(i));
        break;
      default:  // a DNAME at the apex's child occludes what is below it, then goes
        if (model.count({"deep.example.", "DNAME"})) {
          gone.push_back({"deep.example.", "DNAME"});
        } else {
          added.push_back("deep 60 DNAME elsewhere.test.");
        }
    }
    std::sort(gone.begin(), gone.end());
    gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
    for (const auto& g : gone) {
      model.erase(g);
      changes.push_back(removal(g.first, g.second));
    }
    for (const auto& l : added) {
      put(l);
      changes.push_back(rrset(l));
    }
    auto next = z->with_changes(changes);
    std::vector<std::string> lines;
    for (const auto& [k, l] : model) lines.push_back(l);
    auto fresh = build(lines);
    INFO("step " << step);
    CHECK(zone::diff_zones(*fresh, *next).empty());
    REQUIRE(next->nodes().size() == fresh->nodes().size());
    for (size_t i = 0; i < next->nodes().size(); ++i) {
      CHECK(next->nodes()[i].name == fresh->nodes()[i].name);
      CHECK(next->nodes()[i].delegation == fresh->nodes()[i].delegation);
      CHECK(next->nodes()[i].occluded == fresh->nodes()[i].occluded);
      CHECK(next->predecessor(next->nodes()[i].name) == i);
    }
    CHECK(next->rr_count() == fresh->rr_count());
    CHECK(next->rrset_count() == fresh->rrset_count());
    CHECK(next->soa().rdatas == fresh->soa().rdatas);
    // Blocks cover the nodes in order, and most of them are the previous snapshot's.
    size_t covered = 0, shared = 0;
    for (size_t b = 0; b < next->block_count(); ++b) {
      CHECK(next->block_first(b) == covered);
      covered += next->block_size(b);
      for (size_t p = 0; p < z->block_count(); ++p)
        shared += &next->block_summary(b) == &z->block_summary(p);
    }
    CHECK(covered == next->nodes().size());
    if (step % 5 == 3) CHECK(shared + 10 >= z->block_count());
    z = next;
  }
}

TEST_CASE("block summaries count DNSSEC records and find the earliest expiration", "[zone]") {
  auto z =
      build(with_apex({"www 300 A 192.0.2.1", "www 300 NSEC x.example. A RRSIG NSEC",
                       "www 300 RRSIG A 13 2 300 20300101000000 20200101000000 7 example. AA==",
                       "www 300 RRSIG NSEC 13 2 300 20290101000000 20210101000000 9 example. AA==",
                       "x 300 A 192.0.2.2"}));
  REQUIRE(z->block_count() == 1);
  const auto& s = z->block_summary(0);
  CHECK(s.any_rrsig);
  CHECK(s.signed_rrsets == 2);
  CHECK(s.nsec_names == 1);
  CHECK(s.dnssec_rrsets == 2);                  // the NSEC and the RRSIG RRsets
  CHECK(s.earliest_expiration == 1861920000u);  // 2029-01-01
  CHECK(s.latest_inception == 1609459200u);     // 2021-01-01
  CHECK(s.keys.size() == 2);
  CHECK_FALSE(s.many_keys);
  CHECK(s.rrs == z->rr_count());
}
