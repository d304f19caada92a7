// verify_zone: accepts our signed zones (NSEC and NSEC3) and names each kind of damage: a flipped
// signature byte, an expired signature, a broken NSEC/NSEC3 chain, an unsigned RRset, a signed
// glue.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "common/dnssec/verify.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"

using namespace flatsign;
using namespace flatsign::dnssec;
using dns::RRType;
using Kind = VerifyProblem::Kind;

namespace {

constexpr std::time_t kNow = 1700000000;
const dns::Name kOrigin = dns::Name::parse("example.");

std::shared_ptr<const zone::Zone> signed_zone(DenialMode mode) {
  zone::ZoneBuilder b(kOrigin);
  (void)zone::parse_zone_text(
      "$TTL 300\n@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ IN NS ns\n"
      "ns IN A 192.0.2.1\nwww IN A 192.0.2.2\nx.y IN TXT \"ent\"\n*.w IN A 192.0.2.3\n"
      "sub IN NS ns.sub\nns.sub IN A 192.0.2.4\n",
      kOrigin, [&](dns::Rr&& rr, const zone::Location&) { b.add(std::move(rr)); });
  SignerOptions o;
  o.timing.now = kNow;
  o.denial.mode = mode;
  ZoneSigner s({generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow)}, o);
  return s.sign_full(*std::move(b).build().zone).zone;
}

// Rebuilds `z` with `edit` applied to each RR (return false to drop it).
std::shared_ptr<const zone::Zone> edited(const zone::Zone& z,
                                         const std::function<bool(dns::Rr&)>& edit) {
  zone::ZoneBuilder b(z.origin());
  for (auto rr : z.records())
    if (edit(rr)) b.add(std::move(rr));
  return std::move(b).build().zone;
}

// `z` with the last byte of its first RRSIG over an A RRset flipped.
std::shared_ptr<const zone::Zone> with_flipped_a_signature(const zone::Zone& z) {
  bool done = false;
  return edited(z, [&](dns::Rr& rr) {
    if (!done && rr.type == RRType::RRSIG && rrsig_covered(rr.rdata) == RRType::A) {
      rr.rdata.back() ^= 1;
      done = true;
    }
    return true;
  });
}

bool has(const VerifyVerdict& v, Kind k) {
  for (const auto& p : v.problems)
    if (p.kind == k) return true;
  return false;
}

}  // namespace

TEST_CASE("verify: accepts signed zones, rejects damage by name", "[dnssec][verify]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  auto z = signed_zone(mode);
  auto ok = verify_zone(*z, {.now = kNow});
  INFO(ok.summary());
  REQUIRE(ok.ok());
  CHECK(ok.signatures_checked > 5);

  SECTION("flipped signature byte") {
    auto bad = with_flipped_a_signature(*z);
    auto v = verify_zone(*bad, {.now = kNow});
    CHECK(has(v, Kind::BadSignature));
    CHECK(v.summary().find("bad signature") != std::string::npos);
  }
  SECTION("expired signature") {
    auto v = verify_zone(*z, {.now = kNow + 30 * 86400});
    CHECK(has(v, Kind::Expired));
    CHECK(has(verify_zone(*z, {.now = kNow - 86400}), Kind::NotYetValid));
  }
  SECTION("broken chain: a denial record removed") {
    RRType dtype = mode == DenialMode::Nsec ? RRType::NSEC : RRType::NSEC3;
    bool done = false;
    auto bad = edited(*z, [&](dns::Rr& rr) {
      if (!done && rr.type == dtype && !(rr.owner == kOrigin)) {
        done = true;
        return false;
      }
      return true;
    });
    auto v = verify_zone(*bad, {.now = kNow});
    CHECK(has(v, Kind::MissingDenial));
  }
  SECTION("broken chain: wrong next name") {
    auto bad = edited(*z, [&](dns::Rr& rr) {
      if (rr.type == RRType::NSEC && rr.owner == kOrigin) {
        const dns::Name next = dns::Name::parse("zzz.example.");  // wire() views into it
        dns::Rdata rd(next.wire().begin(), next.wire().end());
        rd.insert(rd.end(), rr.rdata.begin() + dns::Name::parse("ns.example.").wire_size(),
                  rr.rdata.end());
        rr.rdata = rd;
      }
      if (rr.type == RRType::NSEC3) rr.rdata[6] ^= 0x10;  // next hashed owner
      return true;
    });
    auto v = verify_zone(*bad, {.now = kNow});
    CHECK(has(v, Kind::WrongDenial));
  }
  SECTION("unsigned RRset and signed glue") {
    dns::Rdata glue_sig;
    auto bad = edited(*z, [&](dns::Rr& rr) {
      if (rr.type == RRType::RRSIG && rrsig_covered(rr.rdata) == RRType::A &&
          rr.owner == dns::Name::parse("www.example.")) {
        glue_sig = rr.rdata;
        return false;
      }
      return true;
    });
    auto v = verify_zone(*bad, {.now = kNow});
    CHECK(has(v, Kind::Unsigned));
    zone::ZoneBuilder b(kOrigin);
    for (auto rr : z->records()) b.add(std::move(rr));
    b.add(dns::Rr{dns::Name::parse("ns.sub.example."), RRType::RRSIG, dns::RRClass::IN, 300,
                  glue_sig});
    auto v2 = verify_zone(*std::move(b).build().zone, {.now = kNow});
    CHECK(has(v2, Kind::UnexpectedSignature));
  }
}

TEST_CASE("verify: signatures verified before are not checked again, new ones are",
          "[dnssec][verify]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  auto z = signed_zone(mode);
  REQUIRE(verify_zone(*z, {.now = kNow}).ok());

  // The same zone against itself: every signature is known, none needs the cryptography.
  auto same = verify_zone(*z, {.now = kNow, .verified_before = z.get()});
  INFO(same.summary());
  CHECK(same.ok());
  CHECK(same.signatures_checked == 0);
  CHECK(same.signatures_trusted > 5);
  // Known signatures still have their validity period checked.
  CHECK(
      has(verify_zone(*z, {.now = kNow + 30 * 86400, .verified_before = z.get()}), Kind::Expired));

  // A signature that is not in the earlier zone is checked: a flipped byte is caught.
  auto bad = with_flipped_a_signature(*z);
  auto v = verify_zone(*bad, {.now = kNow, .verified_before = z.get()});
  CHECK(has(v, Kind::BadSignature));
  CHECK(v.signatures_checked == 1);

  // The old signature over changed data is not trusted: a changed address fails its RRSIG.
  auto moved = edited(*z, [](dns::Rr& rr) {
    if (rr.type == RRType::A && rr.owner == dns::Name::parse("www.example.")) rr.rdata.back() ^= 1;
    return true;
  });
  CHECK(has(verify_zone(*moved, {.now = kNow, .verified_before = z.get()}), Kind::BadSignature));

  // Another key set: nothing is trusted.
  auto other = signed_zone(mode);  // a fresh key
  auto fresh = verify_zone(*other, {.now = kNow, .verified_before = z.get()});
  CHECK(fresh.ok());
  CHECK(fresh.signatures_trusted == 0);
}

TEST_CASE("verify: a foreign DNSKEY it cannot use is ignored, not a failure", "[dnssec][verify]") {
  // A zone carrying someone else's DNSKEYs at the apex (a key of an unknown algorithm,
  // a key whose public key does not parse) is valid when our keys sign everything; validators
  // ignore such keys (RFC 4035 §5.2, RFC 6840 §5.2).
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  zone::ZoneBuilder b(kOrigin);
  (void)zone::parse_zone_text(
      "@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ 3600 IN NS ns\n"
      "ns 300 IN A 192.0.2.1\n"
      "@ 3600 IN DNSKEY 257 3 200 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3\n"
      "@ 3600 IN DNSKEY 256 3 13 AAECAwQFBgcICQ==\n",
      kOrigin, [&](dns::Rr&& rr, const zone::Location&) { b.add(std::move(rr)); });
  SignerOptions o;
  o.timing.now = kNow;
  o.denial.mode = mode;
  ZoneSigner s({generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow)}, o);
  auto z = s.sign_full(*std::move(b).build().zone).zone;
  REQUIRE(z->find(kOrigin, RRType::DNSKEY)->rdatas.size() == 3);
  auto v = verify_zone(*z, {.now = kNow});
  INFO(v.summary());
  CHECK(v.ok());
  REQUIRE(v.warnings.size() == 2);
  CHECK_THAT(v.warnings[0] + v.warnings[1], Catch::Contains("algorithm 200"));
  CHECK_THAT(v.warnings[0] + v.warnings[1], Catch::Contains("algorithm 13"));

  // Without our key the foreign ones are all there is: no usable key.
  auto theirs = edited(*z, [&](dns::Rr& rr) {
    return !(rr.type == RRType::DNSKEY && rr.rdata.size() > 5 && rr.rdata[3] == 13 &&
             rr.rdata.size() > 20);
  });
  CHECK(has(verify_zone(*theirs, {.now = kNow}), Kind::NoKeys));
}

TEST_CASE("verify: an algorithm roll's key signs outside the DNSKEY RRset only for a new algorithm",
          "[verify][signer]") {
  zone::ZoneBuilder b(kOrigin);
  (void)zone::parse_zone_text(
      "$TTL 300\n@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ IN NS ns\n"
      "ns IN A 192.0.2.1\nwww IN A 192.0.2.2\n",
      kOrigin, [&](dns::Rr&& rr, const zone::Location&) { b.add(std::move(rr)); });
  auto unsigned_zone = std::move(b).build().zone;
  const DnssecKey old = generate_key(kOrigin, Algorithm::ED25519, kFlagsKsk, kNow);
  const DnssecKey neu = generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow);
  SignerOptions o;
  o.timing.now = kNow;
  o.unpublished_dnskeys = {neu.dnskey_rdata()};
  auto z = ZoneSigner({old, neu}, o).sign_full(*unsigned_zone).zone;
  // The DNSKEY RRset holds the old key alone; both keys sign every RRset.
  const dns::RRset* dnskey = z->nodes()[0].find(RRType::DNSKEY);
  REQUIRE(dnskey != nullptr);
  CHECK(dnskey->rdatas.size() == 1);
  size_t by_new = 0, rrsigs = 0;
  for (const auto& rr : z->records())
    if (rr.type == RRType::RRSIG) {
      ++rrsigs;
      by_new += ((rr.rdata[16] << 8) | rr.rdata[17]) == neu.tag;
    }
  CHECK(by_new * 2 == rrsigs);
  // Told of the unpublished key, the verifier checks its signatures; not told, they are bad.
  const auto told = verify_zone(*z, {.now = kNow, .unpublished_dnskeys = {neu.dnskey_rdata()}});
  CHECK(told.ok());
  CHECK(told.signatures_checked == rrsigs);
  CHECK(has(verify_zone(*z, {.now = kNow}), Kind::BadSignature));
  // A key of the published algorithm never signs unpublished.
  const DnssecKey same = generate_key(kOrigin, Algorithm::ED25519, kFlagsKsk, kNow);
  o.unpublished_dnskeys = {same.dnskey_rdata()};
  auto z2 = ZoneSigner({old, same}, o).sign_full(*unsigned_zone).zone;
  const auto v2 = verify_zone(*z2, {.now = kNow, .unpublished_dnskeys = {same.dnskey_rdata()}});
  CHECK(!v2.ok());
  CHECK_THAT(v2.summary(), Catch::Contains("holds keys of its algorithm"));
}

TEST_CASE("verify: a large zone checked by parts on several threads gives the one-thread verdict",
          "[dnssec][verify]") {
  // Over the size verified on one thread: the signatures and the signed-RRset rules are checked
  // by parts of blocks and merged in zone order, the denial chain as a task of its own.
  std::string text =
      "$TTL 300\n@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ IN NS ns\n"
      "ns IN A 192.0.2.1\n";
  for (int i = 0; i < 6000; ++i) text += "h" + std::to_string(i) + " IN A 192.0.2.9\n";
  zone::ZoneBuilder b(kOrigin);
  (void)zone::parse_zone_text(text, kOrigin,
                              [&](dns::Rr&& rr, const zone::Location&) { b.add(std::move(rr)); });
  SignerOptions o;
  o.timing.now = kNow;
  ZoneSigner s({generate_key(kOrigin, Algorithm::ED25519, kFlagsKsk, kNow)}, o);
  auto z = s.sign_full(*std::move(b).build().zone).zone;
  REQUIRE(z->nodes().size() > 6000);
  REQUIRE(z->block_count() > 8);

  const auto ok = verify_zone(*z, {.now = kNow, .threads = 2});
  INFO(ok.summary());
  CHECK(ok.ok());
  CHECK(ok.signatures_checked == verify_zone(*z, {.now = kNow, .threads = 1}).signatures_checked);

  // Damage in three places far apart: the first and last signature over an A RRset flipped, one
  // NSEC in the middle dropped, one A RRSIG removed (unsigned RRset).
  size_t a_sigs = 0;
  for (const auto& rr : z->records())
    if (rr.type == RRType::RRSIG && rrsig_covered(rr.rdata) == RRType::A) ++a_sigs;
  size_t seen_a = 0, seen_nsec = 0;
  auto bad = edited(*z, [&](dns::Rr& rr) {
    if (rr.type == RRType::RRSIG && rrsig_covered(rr.rdata) == RRType::A) {
      ++seen_a;
      if (seen_a == 1 || seen_a == a_sigs) rr.rdata.back() ^= 1;
      if (seen_a == a_sigs / 3) return false;
    }
    if (rr.type == RRType::NSEC && ++seen_nsec == 3000) return false;
    return true;
  });
  const auto one = verify_zone(*bad, {.now = kNow, .threads = 1});
  const auto two = verify_zone(*bad, {.now = kNow, .threads = 2});
  INFO(two.summary(20));
  CHECK(has(two, Kind::BadSignature));
  CHECK(has(two, Kind::Unsigned));
  CHECK(has(two, Kind::MissingDenial));
  CHECK(two.problem_count == one.problem_count);
  CHECK(two.signatures_checked == one.signatures_checked);
  CHECK(two.rrsets_checked == one.rrsets_checked);
  std::vector<std::string> p1, p2;
  for (const auto& p : one.problems) p1.push_back(p.to_string());
  for (const auto& p : two.problems) p2.push_back(p.to_string());
  std::sort(p1.begin(), p1.end());
  std::sort(p2.begin(), p2.end());
  CHECK(p1 == p2);
}
