// verify_zone in VerifyMode::Sampled against injected signer faults: a signer that writes wrong
// signatures for one whole type, and one that signs with a private key other than the DNSKEY's,
// are caught on a full sign whatever the random draw; an incremental change is checked in full.
// With kinds shared between zones (CheckedKinds), a kind is checked in the first zone that has
// it and each zone's key in every zone.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/dnssec/verify.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"

using namespace flatsign;
using namespace flatsign::dnssec;
using dns::RRType;
using Kind = VerifyProblem::Kind;

namespace {

constexpr std::time_t kNow = 1700000000;
const dns::Name kOrigin = dns::Name::parse("example.");

// 400 names with A, AAAA (two RRs), MX and TXT, a wildcard and a delegation: enough signatures
// per class that 1 in 64 leaves most of them out.
std::shared_ptr<const zone::Zone> unsigned_zone(const std::string& extra = "") {
  std::string text =
      "$TTL 300\n@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ IN NS ns\n"
      "ns IN A 192.0.2.1\n*.w IN A 192.0.2.3\nsub IN NS ns.sub\nns.sub IN A 192.0.2.4\n" +
      extra;
  for (int i = 0; i < 400; ++i) {
    const std::string n = "h" + std::to_string(i);
    text += n + " IN A 192.0.2." + std::to_string(i % 250 + 1) + "\n";
    text += n + " IN AAAA 2001:db8::" + std::to_string(i) + "\n";
    text += n + " IN AAAA 2001:db8::1:" + std::to_string(i) + "\n";
    text += n + " IN MX 10 mail." + n + ".example.\n";
    text += n + " IN TXT \"t" + std::to_string(i) + "\"\n";
  }
  zone::ZoneBuilder b(kOrigin);
  (void)zone::parse_zone_text(text, kOrigin,
                              [&](dns::Rr&& rr, const zone::Location&) { b.add(std::move(rr)); });
  return std::move(b).build().zone;
}

SignerOptions options(DenialMode mode) {
  SignerOptions o;
  o.timing.now = kNow;
  o.denial.mode = mode;
  return o;
}

// The signatures of every RRSIG covering `type`, moved one RRSIG along: each is a valid
// signature by the right key, over another RRset (a signer that builds the wrong input).
std::shared_ptr<const zone::Zone> wrong_signatures_for(const zone::Zone& z, RRType type) {
  std::vector<dns::Rr> rrs = z.records();
  std::vector<size_t> at;
  for (size_t i = 0; i < rrs.size(); ++i)
    if (rrs[i].type == RRType::RRSIG && rrsig_covered(rrs[i].rdata) == type) at.push_back(i);
  REQUIRE(at.size() > 100);
  auto value = [&](size_t i) {
    auto f = parse_rrsig(rrs[i].rdata);
    return std::vector<uint8_t>(f->signature.begin(), f->signature.end());
  };
  const std::vector<uint8_t> first = value(at[0]);
  for (size_t k = 0; k < at.size(); ++k) {
    std::vector<uint8_t> v = k + 1 < at.size() ? value(at[k + 1]) : first;
    auto& rd = rrs[at[k]].rdata;
    std::copy(v.begin(), v.end(), rd.end() - static_cast<long>(v.size()));
  }
  zone::ZoneBuilder b(z.origin());
  for (auto& rr : rrs) b.add(std::move(rr));
  return std::move(b).build().zone;
}

// A key whose DNSKEY (and tag) is `published`'s but whose private key is another's.
DnssecKey wrong_private_key(const DnssecKey& published) {
  DnssecKey k = published;
  k.private_key = generate_key(kOrigin, published.algorithm, kFlagsKsk, kNow).private_key;
  return k;
}

bool has(const VerifyVerdict& v, Kind k, RRType type) {
  for (const auto& p : v.problems)
    if (p.kind == k && p.type == type) return true;
  return false;
}

}  // namespace

TEST_CASE("verify sampled: a good zone passes with most signatures left out",
          "[dnssec][verify][sampled]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  auto key = generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow);
  auto z = ZoneSigner({key}, options(mode)).sign_full(*unsigned_zone()).zone;
  auto v = verify_zone(*z, {.now = kNow, .mode = VerifyMode::Sampled, .sample_seed = 7});
  INFO(v.summary());
  CHECK(v.ok());
  CHECK(v.signatures_sampled_out > v.signatures_checked * 4);
  CHECK(v.summary().find("sampled out") != std::string::npos);
  auto full = verify_zone(*z, {.now = kNow});
  CHECK(full.signatures_sampled_out == 0);
  CHECK(full.signatures_checked == v.signatures_checked + v.signatures_sampled_out);
  // The structural checks run on every RRSIG in both modes: an expired zone fails sampled too.
  CHECK(!verify_zone(*z, {.now = kNow + 30 * 86400, .mode = VerifyMode::Sampled}).ok());
}

TEST_CASE("verify sampled: a signer writing wrong signatures for one whole type is caught",
          "[dnssec][verify][sampled]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  auto type = GENERATE(RRType::MX, RRType::TXT, RRType::AAAA);
  auto alg = GENERATE(Algorithm::ECDSAP256SHA256, Algorithm::ED25519);
  auto key = generate_key(kOrigin, alg, kFlagsKsk, kNow);
  auto z = ZoneSigner({key}, options(mode)).sign_full(*unsigned_zone()).zone;
  auto bad = wrong_signatures_for(*z, type);
  for (uint64_t seed : {1, 2, 3, 4, 5}) {  // the class rule catches it, not a lucky draw
    auto v = verify_zone(*bad, {.now = kNow, .mode = VerifyMode::Sampled, .sample_seed = seed});
    INFO(v.summary());
    CHECK(has(v, Kind::BadSignature, type));
    CHECK(v.signatures_sampled_out > 0);
  }
}

TEST_CASE("verify sampled: a signer signing with the wrong private key is caught",
          "[dnssec][verify][sampled]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  auto alg = GENERATE(Algorithm::ECDSAP256SHA256, Algorithm::ED25519);
  auto key = generate_key(kOrigin, alg, kFlagsKsk, kNow);
  auto z = ZoneSigner({wrong_private_key(key)}, options(mode)).sign_full(*unsigned_zone()).zone;
  for (uint64_t seed : {1, 2, 3}) {
    auto v = verify_zone(*z, {.now = kNow, .mode = VerifyMode::Sampled, .sample_seed = seed});
    INFO(v.summary());
    CHECK(!v.ok());
    CHECK(has(v, Kind::BadSignature, RRType::SOA));
    CHECK(has(v, Kind::BadSignature, mode == DenialMode::Nsec ? RRType::NSEC : RRType::NSEC3));
  }
}

TEST_CASE("verify sampled: every signature of an incremental change is checked",
          "[dnssec][verify][sampled]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  auto key = generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow);
  auto before_unsigned = unsigned_zone();
  auto before = ZoneSigner({key}, options(mode)).sign_full(*before_unsigned).zone;
  REQUIRE(verify_zone(*before, {.now = kNow, .mode = VerifyMode::Sampled}).ok());
  // Ten new names, signed incrementally by a signer holding the wrong private key: each new
  // signature is bad, and each one is checked.
  std::string extra;
  for (int i = 0; i < 10; ++i) extra += "new" + std::to_string(i) + " IN A 198.51.100.1\n";
  auto after_unsigned = unsigned_zone(extra);
  auto diff = zone::diff_zones(*before_unsigned, *after_unsigned);
  auto after = ZoneSigner({wrong_private_key(key)}, options(mode))
                   .sign_incremental(*before, *after_unsigned, diff)
                   .zone;
  auto v = verify_zone(*after,
                       {.now = kNow, .verified_before = before.get(), .mode = VerifyMode::Sampled});
  INFO(v.summary());
  CHECK(v.signatures_sampled_out == 0);
  CHECK(v.signatures_trusted > 1000);
  size_t bad_a = 0;
  for (const auto& p : v.problems) bad_a += p.kind == Kind::BadSignature && p.type == RRType::A;
  CHECK(bad_a == 10);
}

TEST_CASE(
    "verify sampled with kinds shared between zones: a later zone checks its key, not "
    "every kind again",
    "[dnssec][verify][sampled]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  CheckedKinds kinds;
  auto key1 = generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow);
  auto key2 = generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow);
  auto z1 = ZoneSigner({key1}, options(mode)).sign_full(*unsigned_zone()).zone;
  auto z2 = ZoneSigner({key2}, options(mode)).sign_full(*unsigned_zone()).zone;
  const VerifyOptions opts{.now = kNow,
                           .threads = 1,
                           .mode = VerifyMode::Sampled,
                           .sample_one_in = 1u << 30,
                           .sample_seed = 3,
                           .checked_kinds = &kinds};
  auto alone = verify_zone(*z2, {.now = kNow,
                                 .threads = 1,
                                 .mode = VerifyMode::Sampled,
                                 .sample_one_in = 1u << 30,
                                 .sample_seed = 3});
  auto v1 = verify_zone(*z1, opts);
  auto v2 = verify_zone(*z2, opts);
  INFO(v1.summary() << "\n" << v2.summary() << "\n" << alone.summary());
  CHECK(v1.ok());
  CHECK(v2.ok());
  // Without the draw (1 in 2^30): the first zone checks each of its kinds, the second only its
  // key's first signature.
  CHECK(v1.signatures_checked > 5);
  CHECK(v2.signatures_checked == 1);
  // Alone, the second zone checks every class of its own.
  CHECK(alone.signatures_checked > 5);
}

TEST_CASE(
    "verify sampled with kinds shared between zones: a wrong key in a later zone and a "
    "wrong type in the first are caught",
    "[dnssec][verify][sampled]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  auto key = generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow);
  auto good = ZoneSigner({key}, options(mode)).sign_full(*unsigned_zone()).zone;
  for (uint64_t seed : {1, 2, 3}) {
    CheckedKinds kinds;
    const VerifyOptions opts{
        .now = kNow, .mode = VerifyMode::Sampled, .sample_seed = seed, .checked_kinds = &kinds};
    // The first zone with MX signatures: its wrong MX signatures are checked and refused.
    auto bad_mx = wrong_signatures_for(*good, RRType::MX);
    auto v1 = verify_zone(*bad_mx, opts);
    CHECK(has(v1, Kind::BadSignature, RRType::MX));
    // A later zone, every kind already checked, signed with a private key other than its
    // DNSKEY's: its key's first signature is checked and refused.
    auto other = generate_key(kOrigin, Algorithm::ECDSAP256SHA256, kFlagsKsk, kNow);
    auto wrong = ZoneSigner({wrong_private_key(other)}, options(mode)).sign_full(*unsigned_zone());
    auto v2 = verify_zone(*wrong.zone, opts);
    INFO(v2.summary());
    CHECK(!v2.ok());
    CHECK(v2.problem_count >= 1);
  }
}
