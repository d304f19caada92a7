// verify_zone after a verified zone (VerifyOptions::verified_before) gives the full check's
// verdict: random legitimate changes (incremental signs) and random damage on top of them (broken
// chains, wrong bitmaps, missing NSEC3 for a new name, extra records, Opt-Out flips), NSEC,
// NSEC3 and NSEC3 with Opt-Out, each compared problem for problem with the full check.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <tuple>

#include "common/dnssec/verify.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using namespace flatsign::dnssec;
using dns::Name;
using dns::RRType;
using testing::rr;

namespace {

constexpr std::time_t kNow = 1700000000;
const Name kOrigin = Name::parse("example.");

dns::RRset rrset(const std::string& line) {
  dns::Rr r = rr(line);
  return dns::RRset{r.owner, r.type, r.rclass, r.ttl, {r.rdata}};
}
dns::RRset none(const Name& owner, RRType type) {
  return dns::RRset{owner, type, dns::RRClass::IN, 0, {}};
}

// About 900 names over many blocks (so that most of the chain is in shared blocks): hosts, empty
// non-terminals, signed and unsigned delegations with glue, a wildcard.
std::shared_ptr<const zone::Zone> base_zone() {
  std::vector<std::string> lines = testing::kApex;
  for (int i = 0; i < 800; ++i) lines.push_back("h" + std::to_string(i) + " 300 A 192.0.2.1");
  for (int i = 0; i < 30; ++i) lines.push_back("a.e" + std::to_string(i) + " 300 TXT x");
  for (int i = 0; i < 30; ++i) {
    const std::string d = "d" + std::to_string(i);
    lines.push_back(d + " 300 NS ns." + d);
    lines.push_back("ns." + d + " 300 A 192.0.2.9");
    if (i % 3 == 0) lines.push_back(d + " 300 DS 1 13 2 " + std::string(64, 'a'));
  }
  lines.push_back("*.w 300 A 192.0.2.3");
  return testing::build(lines);
}

struct Case {
  const char* name;
  DenialConfig denial;
};

std::vector<std::tuple<int, Name, RRType>> problems(const VerifyVerdict& v) {
  std::vector<std::tuple<int, Name, RRType>> out;
  for (const auto& p : v.problems) out.emplace_back(int(p.kind), p.owner, p.type);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("verify: the incremental denial check gives the full check's verdict",
          "[dnssec][verify]") {
  DenialConfig nsec, nsec3, optout;
  nsec3.mode = optout.mode = DenialMode::Nsec3;
  optout.nsec3.opt_out = true;
  nsec3.nsec3.salt = {0xab, 0xcd};
  auto c = GENERATE_COPY(Case{"NSEC", nsec}, Case{"NSEC3", nsec3}, Case{"NSEC3 opt-out", optout});
  INFO(c.name);
  SignerOptions o;
  o.timing.now = kNow;
  o.denial = c.denial;
  ZoneSigner signer({generate_key(kOrigin, Algorithm::ED25519, kFlagsKsk, kNow)}, o);
  auto unsigned0 = base_zone();
  auto signed0 = signer.sign_full(*unsigned0).zone;
  REQUIRE(verify_zone(*signed0, {.now = kNow}).ok());
  REQUIRE(signed0->block_count() > 6);
  const RRType dtype = c.denial.mode == DenialMode::Nsec ? RRType::NSEC : RRType::NSEC3;

  std::mt19937 rng(20261123);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  // A random name of `z` holding `type`.
  auto random_node = [&](const zone::Zone& z, RRType type) -> const zone::Node* {
    for (int tries = 0; tries < 1000; ++tries) {
      const zone::Node& n = z.nodes()[pick(z.nodes().size())];
      if (n.find(type)) return &n;
    }
    return nullptr;
  };
  size_t incremental = 0, damaged = 0, rounds = 36;
  for (size_t round = 0; round < rounds; ++round) {
    // 1. A legitimate change, signed incrementally from the verified zone.
    std::vector<dns::RRset> edits;
    const std::string k = std::to_string(round);
    switch (round % 6) {
      case 0:
        edits.push_back(rrset("new" + k + " 300 A 192.0.2.77"));
        break;
      case 1:
        for (const auto& rs : unsigned0->nodes()[1 + pick(800)].rrsets)
          edits.push_back(none(rs.owner, rs.type));
        break;
      case 2:
        edits.push_back(rrset("x.y.ent" + k + " 300 TXT deep"));
        break;
      case 3:
        edits.push_back(
            none(Name::parse("a.e" + std::to_string(round % 30) + ".example."), RRType::TXT));
        break;
      case 4:
        edits.push_back(rrset("del" + k + " 300 NS ns.del" + k));
        edits.push_back(rrset("ns.del" + k + " 300 A 192.0.2.8"));
        break;
      default:
        edits.push_back(rrset("h" + std::to_string(pick(800)) + " 300 A 198.51.100." + k));
    }
    auto unsigned1 = unsigned0->with_changes(edits);
    auto signed1 =
        signer.sign_incremental(*signed0, *unsigned1, zone::diff_zones(*unsigned0, *unsigned1))
            .zone;

    // 2. Half the time, damage on top of it (as the zone's own data, bypassing the signer).
    std::vector<dns::RRset> damage;
    const zone::Node* target = random_node(*signed1, dtype);
    REQUIRE(target != nullptr);
    const dns::RRset& rec = *target->find(dtype);
    switch (round % 3 ? pick(10) : 99) {
      case 0:  // a denial record removed: the chain is broken
        damage.push_back(none(rec.owner, dtype));
        break;
      case 1: {  // wrong next name or next hash
        dns::RRset bad = rec;
        if (dtype == RRType::NSEC) {
          const Name next = signed1->nodes()[pick(signed1->nodes().size())].name;
          dns::Rdata rd(next.wire().begin(), next.wire().end());
          size_t end = 0;  // past the old next name: its labels, then the root's 0
          while (rec.rdatas[0][end] != 0) end += rec.rdatas[0][end] + 1u;
          rd.insert(rd.end(), rec.rdatas[0].begin() + static_cast<std::ptrdiff_t>(end + 1),
                    rec.rdatas[0].end());
          bad.rdatas = {rd};
        } else {
          bad.rdatas.mutable_at(0)[5 + bad.rdatas[0][4] + 1 + pick(20)] ^= 0x40;
        }
        damage.push_back(bad);
        break;
      }
      case 2: {  // a wrong type bitmap
        dns::RRset bad = rec;
        bad.rdatas.mutable_at(0).back() ^= 0x02;
        damage.push_back(bad);
        break;
      }
      case 3: {  // a wrong TTL
        dns::RRset bad = rec;
        bad.ttl += 1;
        damage.push_back(bad);
        break;
      }
      case 4:  // a new name without its NSEC/NSEC3 (nor signature)
        damage.push_back(rrset("bare" + k + " 300 A 192.0.2.5"));
        break;
      case 5: {  // a name removed with its data, its denial record left behind
        const zone::Node* n = random_node(*signed1, RRType::A);
        for (const auto& rs : n->rrsets)
          if (rs.type != dtype) damage.push_back(none(rs.owner, rs.type));
        break;
      }
      case 6:  // an extra denial record at a name that must not have one (glue)
        damage.push_back(dns::RRset{Name::parse("ns.d1.example."), dtype, dns::RRClass::IN, rec.ttl,
                                    rec.rdatas});
        break;
      case 7:  // the Opt-Out flag flipped on one NSEC3 (the data for NSEC: another bitmap bit)
        if (dtype == RRType::NSEC3) {
          dns::RRset bad = rec;
          bad.rdatas.mutable_at(0)[1] ^= 1;
          damage.push_back(bad);
        } else {
          damage.push_back(rrset("h3 300 TXT new-type"));
        }
        break;
      case 8:  // a new unsigned delegation (no NSEC3 needed under Opt-Out) without any record
        damage.push_back(rrset("nd" + k + " 300 NS ns.elsewhere."));
        break;
      case 9: {  // the first name of a block removed: its chain predecessor is in another block
        const size_t b = 1 + pick(signed1->block_count() - 1);
        for (const auto& rs : signed1->nodes()[signed1->block_first(b)].rrsets)
          damage.push_back(none(rs.owner, rs.type));
        break;
      }
      default:
        break;
    }
    auto zone1 = damage.empty() ? signed1 : signed1->with_changes(damage);
    damaged += !damage.empty();

    auto full = verify_zone(*zone1, {.now = kNow, .max_problems = 100000});
    auto inc = verify_zone(*zone1,
                           {.now = kNow, .max_problems = 100000, .verified_before = signed0.get()});
    INFO("round " << round << ": full " << full.summary(5) << "\nincremental " << inc.summary(5));
    CHECK(full.ok() == inc.ok());
    CHECK(full.problem_count == inc.problem_count);
    CHECK(problems(full) == problems(inc));
    if (damage.empty()) CHECK(inc.ok());
    incremental += inc.denial_incremental;

    // The next round starts from the verified zone, as the publisher does.
    if (damage.empty()) {
      signed0 = signed1;
      unsigned0 = unsigned1;
    }
  }
  CHECK(damaged > 15);
  CHECK(incremental > rounds / 2);  // the fall back (Opt-Out flips, ...) is the exception
}
