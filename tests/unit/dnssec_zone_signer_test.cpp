// ZoneSigner: what gets signed (RFC 4035 §2.2), CSK vs KSK+ZSK, and the property that random
// diffs applied incrementally give the same RRsets as a full sign and verify; refresh.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "common/dnssec/verify.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using namespace flatsign::dnssec;
using dns::RRType;

namespace {

constexpr std::time_t kNow = 1700000000;
const dns::Name kOrigin = dns::Name::parse("example.");

std::shared_ptr<const zone::Zone> make_zone(std::string_view text) {
  return testing::zone_from_text(text, kOrigin);
}

const char* kHead =
    "$TTL 300\n@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ IN NS ns\n"
    "ns IN A 192.0.2.1\n";

// The records of one name of a random shape: wildcard, delegation with glue, ENT, CNAME, a
// signed delegation or a plain address.
std::string entry(std::mt19937& rng, const std::string& n) {
  switch (rng() % 6) {
    case 0:
      return n + " IN A 192.0.2." + std::to_string(rng() % 250) + "\n";
    case 1:
      return "*." + n + " IN TXT \"w" + std::to_string(rng() % 99) + "\"\n";
    case 2:
      return n + " IN NS ns." + n + "\nns." + n + " IN A 192.0.2.7\n";
    case 3:
      return "a.b." + n + " IN AAAA 2001:db8::" + std::to_string(rng() % 999) + "\n";
    case 4:
      return n + " IN CNAME ns\n";
    default:
      return n + " IN NS ns\n" + n +
             " IN DS 1 13 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
  }
}

std::string zone_text(std::mt19937& rng, int names) {
  std::string t = kHead;
  for (int i = 0; i < names; ++i) t += entry(rng, "n" + std::to_string(i));
  return t;
}

std::vector<DnssecKey> keys(Algorithm alg, bool split) {
  std::vector<DnssecKey> k{generate_key(kOrigin, alg, kFlagsKsk, kNow)};
  if (split) k.push_back(generate_key(kOrigin, alg, kFlagsZsk, kNow));
  return k;
}

SignerOptions options(DenialMode mode, bool opt_out = false) {
  SignerOptions o;
  o.timing.now = kNow;
  o.denial.mode = mode;
  o.denial.nsec3.opt_out = opt_out;
  o.threads = 2;
  return o;
}

}  // namespace

TEST_CASE("zone signer: signs authoritative data only", "[dnssec][zone_signer]") {
  auto z = make_zone(
      "@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ 3600 IN NS ns\nns 300 IN A 192.0.2.1\n"
      "sub 300 IN NS ns.sub\nns.sub 300 IN A 192.0.2.2\n"
      "sec 300 IN NS ns\nsec 300 IN DS 1 13 2 "
      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
  ZoneSigner signer(keys(Algorithm::ED25519, true), options(DenialMode::Nsec));
  auto r = signer.sign_full(*z);
  const auto& s = *r.zone;
  auto covered = [&](const char* name) {
    std::vector<RRType> v;
    if (const auto* sigs = s.find(dns::Name::parse(name), RRType::RRSIG))
      for (const auto& rd : sigs->rdatas) v.push_back(rrsig_covered(rd));
    std::sort(v.begin(), v.end());
    return v;
  };
  CHECK(covered("example.") ==
        std::vector<RRType>{RRType::NS, RRType::SOA, RRType::NSEC, RRType::DNSKEY});
  CHECK(covered("sub.example.") == std::vector<RRType>{RRType::NSEC});
  CHECK(covered("ns.sub.example.").empty());
  CHECK(covered("sec.example.") == std::vector<RRType>{RRType::DS, RRType::NSEC});
  CHECK(s.find(dns::Name::parse("ns.sub.example."), RRType::NSEC) == nullptr);
  // KSK signs DNSKEY, ZSK the rest.
  const auto& k = signer.keys();
  for (const auto& rd : s.find(kOrigin, RRType::RRSIG)->rdatas) {
    auto f = parse_rrsig(rd);
    CHECK(f->key_tag == (f->covered == RRType::DNSKEY ? k[0].tag : k[1].tag));
  }
  CHECK(s.find(kOrigin, RRType::DNSKEY)->rdatas.size() == 2);
  auto verdict = verify_zone(s, {.now = kNow});
  CHECK(verdict.summary() == "ok: " + std::to_string(verdict.signatures_checked) + " signatures");
}

TEST_CASE("zone signer: random diffs signed incrementally equal a full sign",
          "[dnssec][zone_signer][property]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  bool opt_out = GENERATE(false, true);
  if (mode == DenialMode::Nsec && opt_out) return;
  std::mt19937 rng(mode == DenialMode::Nsec ? 7 : 11);
  ZoneSigner signer(keys(Algorithm::ED25519, false), options(mode, opt_out));
  std::map<std::string, std::string> entries;  // name -> its records
  for (int i = 0; i < 60; ++i)
    entries["n" + std::to_string(i)] = entry(rng, "n" + std::to_string(i));
  auto text_of = [&] {
    std::string t = kHead;
    for (const auto& [name, rrs] : entries) t += rrs;
    return t;
  };
  auto unsigned_zone = make_zone(text_of());
  auto signed_zone = signer.sign_full(*unsigned_zone).zone;
  int fresh = 1000;
  for (int round = 0; round < 12; ++round) {
    // Mutate: drop names, reshape names, add names, and now and then a TTL-only change.
    for (int d = 0; d < 2 && !entries.empty(); ++d) {
      auto it = entries.begin();
      std::advance(it, rng() % entries.size());
      entries.erase(it);
    }
    auto it = entries.begin();
    std::advance(it, rng() % entries.size());
    it->second = entry(rng, it->first);
    for (int a = 0; a < 2; ++a) {
      std::string n = "r" + std::to_string(fresh++);
      entries[n] = entry(rng, n);
    }
    if (round % 3 == 0) entries["t0"] = "t0 " + std::to_string(60 + round) + " IN A 192.0.2.77\n";
    std::string text = text_of();
    auto next = make_zone(text);
    auto diff = zone::diff_zones(*unsigned_zone, *next);
    auto incr = signer.sign_incremental(*signed_zone, *next, diff);
    auto full = signer.sign_full(*next);
    INFO("round " << round << " diff:\n" << diff.summary(20));
    CHECK(same_signed_content(*incr.zone, *full.zone));
    auto verdict = verify_zone(*incr.zone, {.now = kNow});
    INFO(verdict.summary());
    CHECK(verdict.ok());
    CHECK(incr.stats.patched);  // the fast path (zone_signer_patch.cpp)
    CHECK(incr.stats.rrsets_reused > 0);
    CHECK(incr.stats.rrsets_signed < full.stats.rrsets_signed);
    unsigned_zone = next;
    signed_zone = incr.zone;
  }
}

TEST_CASE("zone signer: one changed RRset re-signs it, its neighbours and the SOA",
          "[dnssec][zone_signer]") {
  auto a = make_zone(
      "@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ 3600 IN NS ns\n"
      "ns 300 IN A 192.0.2.1\nm 300 IN A 192.0.2.5\nz 300 IN A 192.0.2.6\n");
  auto b = make_zone(
      "@ 3600 IN SOA ns.example. h.example. 2 2 3 4 600\n@ 3600 IN NS ns\n"
      "ns 300 IN A 192.0.2.1\nm 300 IN A 192.0.2.9\nz 300 IN A 192.0.2.6\n");
  ZoneSigner signer(keys(Algorithm::ECDSAP256SHA256, false), options(DenialMode::Nsec));
  auto sa = signer.sign_full(*a);
  auto r = signer.sign_incremental(*sa.zone, *b, zone::diff_zones(*a, *b));
  CHECK(r.stats.rrsets_signed == 2);  // SOA and m/A (NSEC records unchanged)
  CHECK(verify_zone(*r.zone, {.now = kNow}).ok());
  // Keys changed: everything is re-signed.
  ZoneSigner other(keys(Algorithm::ECDSAP256SHA256, false), options(DenialMode::Nsec));
  auto r2 = other.sign_incremental(*sa.zone, *b, zone::diff_zones(*a, *b));
  CHECK(r2.stats.rrsets_reused == 0);
  // Denial mode changed: full sign.
  ZoneSigner n3(signer.keys(), options(DenialMode::Nsec3));
  auto r3 = n3.sign_incremental(*sa.zone, *b, zone::diff_zones(*a, *b));
  CHECK(r3.stats.rrsets_reused == 0);
  CHECK(verify_zone(*r3.zone, {.now = kNow}).ok());
}

namespace {

// Two CSKs of one algorithm, as in a CSK roll's double-signature step.
std::vector<DnssecKey> two_csks() {
  return {generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow),
          generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow)};
}

// The RRSIG RDATAs of `z`, each with its key tag.
std::vector<std::pair<uint16_t, dns::Rdata>> signatures_of(const zone::Zone& z) {
  std::vector<std::pair<uint16_t, dns::Rdata>> out;
  for (const auto& n : z.nodes())
    if (const auto* sigs = n.find(RRType::RRSIG))
      for (const auto& sig : sigs->rdatas) {
        const auto f = parse_rrsig(sig.to_rdata());
        REQUIRE(f);
        out.emplace_back(f->key_tag, sig.to_rdata());
      }
  return out;
}

}  // namespace

TEST_CASE("zone signer: a key that stops signing leaves the other key's signatures in place",
          "[dnssec][zone_signer]") {
  std::mt19937 rng(5);
  auto z = make_zone(zone_text(rng, 40));
  // Double signature, as in a CSK roll; then the old key retires.
  const auto both = two_csks();
  ZoneSigner double_signer(both, options(DenialMode::Nsec));
  auto doubled = double_signer.sign_full(*z);
  ZoneSigner new_only({both[1]}, options(DenialMode::Nsec));
  auto r = new_only.sign_incremental(*doubled.zone, *z, zone::diff_zones(*z, *z));
  // Only the DNSKEY RRset (one key less) and the SOA are signed again.
  CHECK(r.stats.rrsets_signed <= 2);
  CHECK(r.stats.rrsets_reused + r.stats.rrsets_signed == doubled.stats.rrsets_signed);
  size_t by_old = 0, by_new = 0;
  for (const auto& [tag, sig] : signatures_of(*r.zone)) {
    by_old += tag == both[0].tag;
    by_new += tag == both[1].tag;
  }
  CHECK(by_old == 0);
  CHECK(by_new > 0);
  CHECK(verify_zone(*r.zone, {.now = kNow}).ok());
}

TEST_CASE("zone signer: a key that starts signing adds its signatures to the old key's",
          "[dnssec][zone_signer]") {
  std::mt19937 rng(6);
  auto z = make_zone(zone_text(rng, 40));
  // The double-signature step of a CSK roll: the new key signs beside the old one.
  const auto both = two_csks();
  ZoneSigner old_only({both[0]}, options(DenialMode::Nsec));
  auto before = old_only.sign_full(*z);
  ZoneSigner double_signer(both, options(DenialMode::Nsec));
  auto r = double_signer.sign_incremental(*before.zone, *z, zone::diff_zones(*z, *z));
  // Every RRset gets the new key's signature; only the SOA and the DNSKEY RRset (one key more)
  // lose the old key's and get both again.
  CHECK(r.stats.rrsets_signed == before.stats.rrsets_signed);
  CHECK(r.stats.signatures == r.stats.rrsets_signed + 2);
  std::set<dns::Rdata> old_sigs;
  for (const auto& [tag, sig] : signatures_of(*before.zone)) old_sigs.insert(sig);
  size_t by_old = 0, by_new = 0, old_kept = 0;
  for (const auto& [tag, sig] : signatures_of(*r.zone)) {
    by_old += tag == both[0].tag;
    by_new += tag == both[1].tag;
    old_kept += old_sigs.count(sig);
  }
  CHECK(by_old == by_new);
  CHECK(old_kept == by_old - 2);
  CHECK(verify_zone(*r.zone, {.now = kNow}).ok());
}

TEST_CASE("zone signer: refresh re-signs only expiring signatures", "[dnssec][zone_signer]") {
  std::mt19937 rng(3);
  auto z = make_zone(zone_text(rng, 30));
  auto opt = options(DenialMode::Nsec);
  ZoneSigner signer(keys(Algorithm::ED25519, false), opt);
  auto s = signer.sign_full(*z);
  auto same = signer.refresh(*s.zone);
  CHECK(same.stats.rrsets_signed == 0);
  opt.timing.now = kNow + 8 * 86400;  // 14-day validity, refresh within 7 days: all expire soon
  ZoneSigner later(signer.keys(), opt);
  auto r = later.refresh(*s.zone);
  CHECK(r.stats.rrsets_reused == 0);
  CHECK(verify_zone(*r.zone, {.now = kNow + 8 * 86400}).ok());
  CHECK(same_signed_content(*r.zone, *s.zone));
}

TEST_CASE("zone signer: refuses keys of another zone or without private keys",
          "[dnssec][zone_signer]") {
  auto z = make_zone("@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ 3600 IN NS ns\n");
  std::vector<DnssecKey> k{generate_key(dns::Name::parse("other."), Algorithm::ED25519, 257, 0)};
  ZoneSigner signer(k, options(DenialMode::Nsec));
  CHECK_THROWS_AS(signer.sign_full(*z), std::invalid_argument);
  k[0].private_key = nullptr;
  CHECK_THROWS_AS(ZoneSigner(k, options(DenialMode::Nsec)), std::invalid_argument);
  CHECK_THROWS_AS(ZoneSigner({}, options(DenialMode::Nsec)), std::invalid_argument);
}

TEST_CASE("zone signer: the signed zone's names are buffers of their own, not the input's",
          "[dnssec][zone_signer][memory]") {
  // The slave frees the transfer and the unsigned zone after signing; a name shared with them
  // would keep their pages resident (see make_node).
  auto z = make_zone(std::string(kHead) + "a 300 IN A 192.0.2.9\nb.c 300 IN TXT x\n");
  ZoneSigner signer(keys(Algorithm::ED25519, false), options(DenialMode::Nsec));
  auto r = signer.sign_full(*z);
  size_t checked = 0;
  for (const auto& node : r.zone->nodes()) {
    for (const auto& rs : node.rrsets) CHECK(rs.owner.wire().data() == node.name.wire().data());
    if (const zone::Node* in = z->find(node.name)) {
      CHECK(in->name.wire().data() != node.name.wire().data());
      ++checked;
    }
  }
  CHECK(checked == z->nodes().size());
}
