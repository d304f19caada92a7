// The answer engine's name index: exact lookups ignore case, empty non-terminals exist but own
// nothing, names outside the data do not exist, and predecessor() agrees with Zone's.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "common/dns/encoding.hpp"
#include "common/server/name_index.hpp"
#include "common/server/nsec_proofs.hpp"
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

namespace {

// Lookups of `derived` and of an index built from scratch agree for every name of `z`, each
// ancestor of one, names below them and random names; so do the NSEC3 searches.
void require_same_index(const zone::Zone& z, const server::DenialIndex& derived,
                        std::mt19937& rng) {
  server::DenialIndex fresh(z);
  REQUIRE(derived.kind() == fresh.kind());
  std::vector<Name> probes{Name::parse("zz.example."), Name::parse("example."),
                           Name::parse("org.")};
  for (const auto& n : z.nodes()) {
    for (Name up = n.name; up.label_count() > 0; up = up.parent()) probes.push_back(up);
    probes.push_back(Name::parse("q", &n.name));
  }
  for (const auto& p : probes) {
    CAPTURE(p.to_string());
    REQUIRE(derived.names().find(p.wire()) == fresh.names().find(p.wire()));
    REQUIRE(derived.names().exists(p.wire()) == fresh.names().exists(p.wire()));
  }
  for (int i = 0; i < 200; ++i) {
    dnssec::Nsec3Hash h;
    for (auto& b : h) b = static_cast<uint8_t>(rng());
    REQUIRE(derived.nsec3_covering(h) == fresh.nsec3_covering(h));
  }
  for (const auto& n : z.nodes()) {
    std::vector<uint8_t> raw;
    if (!n.find(dns::RRType::NSEC3) || !dns::base32hex_decode(n.name.first_label(), raw)) continue;
    dnssec::Nsec3Hash h;
    std::copy(raw.begin(), raw.end(), h.begin());
    REQUIRE(derived.nsec3_matching(h) == &n);
    REQUIRE(fresh.nsec3_matching(h) == &n);
  }
}

}  // namespace

TEST_CASE("name index: derived from the previous snapshot's, as built anew", "[answer]") {
  std::mt19937 rng(GENERATE(1u, 2u, 3u));
  const Name origin = Name::parse("example.");
  auto label = [&] { return std::string(1, "abcdefgh"[rng() % 8]); };
  auto random_name = [&] {
    std::string n;
    for (size_t i = 0, depth = 1 + rng() % 4; i < depth; ++i) n += label() + ".";
    return n + "example.";
  };
  auto hashed_name = [&] {
    std::string n;
    for (int i = 0; i < 32; ++i) n += "0123456789abcdefghijklmnopqrstuv"[rng() % 32];
    return n + ".example.";
  };
  std::vector<std::string> lines = {"@ 3600 SOA ns.example. h.example. 1 2 3 4 600", "@ 3600 NS ns",
                                    "ns 300 A 192.0.2.1", "@ 0 NSEC3PARAM 1 0 0 -"};
  const std::string nsec3_rdata = " 300 NSEC3 1 0 0 - 0123456789abcdefghijklmnopqrstuv A";
  for (int i = 0; i < 1500; ++i) lines.push_back(random_name() + " 300 A 192.0.2.2");
  for (int i = 0; i < 300; ++i) lines.push_back(hashed_name() + nsec3_rdata);
  std::shared_ptr<const zone::Zone> z = testing::build(lines);
  REQUIRE(z);
  auto idx = std::make_shared<const server::DenialIndex>(*z);
  for (int round = 0; round < 30; ++round) {
    CAPTURE(round);
    std::vector<dns::RRset> change;
    const size_t n = round % 10 == 9 ? 200 : 1 + rng() % 6;
    for (size_t i = 0; i < n; ++i) {
      const auto& nodes = z->nodes();
      const zone::Node& pick = nodes[1 + rng() % (nodes.size() - 1)];
      switch (rng() % 4) {
        case 0: {  // a new name, often below an empty non-terminal or an existing name
          auto rr = testing::rr(random_name() + " 300 A 192.0.2.3");
          change.push_back({rr.owner, rr.type, rr.rclass, rr.ttl, {rr.rdata}});
          break;
        }
        case 1: {  // a name goes (every RRset removed)
          if (pick.name == Name::parse("ns.example.")) break;
          for (const auto& rs : pick.rrsets)
            change.push_back({pick.name, rs.type, dns::RRClass::IN, 0, {}});
          break;
        }
        case 2: {  // an NSEC3 owner comes
          auto rr = testing::rr(hashed_name() + nsec3_rdata);
          change.push_back({rr.owner, rr.type, rr.rclass, rr.ttl, {rr.rdata}});
          break;
        }
        default: {  // a name below an existing one (possibly below an NSEC3 owner)
          auto rr = testing::rr(label() + "." + pick.name.to_string() + " 300 TXT x");
          change.push_back({rr.owner, rr.type, rr.rclass, rr.ttl, {rr.rdata}});
        }
      }
    }
    // One RRset per (owner, type) in a change.
    std::sort(change.begin(), change.end(), [](const dns::RRset& a, const dns::RRset& b) {
      if (auto c = a.owner <=> b.owner; c != 0) return c < 0;
      return a.type < b.type;
    });
    change.erase(std::unique(change.begin(), change.end(),
                             [](const dns::RRset& a, const dns::RRset& b) {
                               return a.owner == b.owner && a.type == b.type;
                             }),
                 change.end());
    auto next = z->with_changes(change);
    auto derived = std::make_shared<const server::DenialIndex>(*next, *idx);
    require_same_index(*next, *derived, rng);
    idx = derived;  // the previous zone and index go: what is shared must survive them
    z = next;
  }
}
