// choose_signing(): each rule that decides between a full sign, a full sign reusing signatures
// and a patch of the previous signed zone, and the mode sign_incremental() then reports.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "common/dnssec/verify.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"

using namespace flatsign;
using namespace flatsign::dnssec;

namespace {

constexpr std::time_t kNow = 1700000000;
const dns::Name kOrigin = dns::Name::parse("example.");

// A zone with `names` A records; `minimum` is the SOA MINIMUM (the denial TTL's bound, RFC 9077).
std::shared_ptr<const zone::Zone> make_zone(int names, int serial, int minimum = 600) {
  std::string text = "$TTL 300\n@ 3600 IN SOA ns.example. h.example. " + std::to_string(serial) +
                     " 2 3 4 " + std::to_string(minimum) + "\n@ IN NS ns\nns IN A 192.0.2.1\n";
  for (int i = 0; i < names; ++i) text += "h" + std::to_string(i) + " IN A 192.0.2.2\n";
  zone::ZoneBuilder b(kOrigin);
  (void)zone::parse_zone_text(text, kOrigin,
                              [&](dns::Rr&& rr, const zone::Location&) { b.add(std::move(rr)); });
  return std::move(b).build().zone;
}

SignerOptions options_at(std::time_t now) {
  SignerOptions opt;
  opt.timing.now = now;
  opt.threads = 1;
  return opt;
}

}  // namespace

TEST_CASE("choose_signing: each rule picks its mode, and sign_incremental reports it",
          "[dnssec][zone_signer][incremental]") {
  const SignerOptions opt = options_at(kNow);
  const std::vector<DnssecKey> keys{generate_key(kOrigin, Algorithm::ED25519, kFlagsKsk, kNow)};
  const ZoneSigner signer(keys, opt);
  auto a = make_zone(50, 1);
  auto sa = signer.sign_full(*a);
  auto b = make_zone(51, 2);  // one name added
  const zone::Diff diff = zone::diff_zones(*a, *b);
  auto mode = [&](const ZoneSigner& s, const zone::Zone* previous) {
    return s.choose(previous, *b).mode;
  };

  SECTION("no previous signed zone: full") {
    CHECK(mode(signer, nullptr) == SigningMode::Full);
  }
  SECTION("the same keys and options: patch") {
    CHECK(mode(signer, sa.zone.get()) == SigningMode::Patch);
    auto r = signer.sign_incremental(*sa.zone, *b, diff);
    CHECK(r.stats.choice.mode == SigningMode::Patch);
    CHECK(r.stats.patched);
    CHECK(verify_zone(*r.zone, {.now = kNow}).ok());
  }
  SECTION("the denial mode or the NSEC3 parameters changed: full") {
    SignerOptions nsec3 = opt;
    nsec3.denial.mode = DenialMode::Nsec3;
    const ZoneSigner to_nsec3(keys, nsec3);
    CHECK(mode(to_nsec3, sa.zone.get()) == SigningMode::Full);
    auto s3 = to_nsec3.sign_full(*a);
    nsec3.denial.nsec3.salt = {0xab};
    const ZoneSigner salted(keys, nsec3);
    CHECK(mode(salted, s3.zone.get()) == SigningMode::Full);
    CHECK(mode(signer, s3.zone.get()) == SigningMode::Full);  // NSEC3 back to NSEC
    auto r = salted.sign_incremental(*s3.zone, *b, diff);
    CHECK(r.stats.choice.mode == SigningMode::Full);
    CHECK(verify_zone(*r.zone, {.now = kNow}).ok());
  }
  SECTION("another key: reuse") {
    std::vector<DnssecKey> more = keys;
    more.push_back(generate_key(kOrigin, Algorithm::ED25519, kFlagsZsk, kNow));
    const ZoneSigner rolled(more, opt);
    CHECK(mode(rolled, sa.zone.get()) == SigningMode::Reuse);
    auto r = rolled.sign_incremental(*sa.zone, *b, diff);
    CHECK(r.stats.choice.mode == SigningMode::Reuse);
    CHECK_FALSE(r.stats.patched);
    CHECK(verify_zone(*r.zone, {.now = kNow}).ok());
  }
  SECTION("CDS and CDNSKEY published now: reuse") {
    SignerOptions cds = opt;
    cds.publish_cds = true;
    CHECK(mode(ZoneSigner(keys, cds), sa.zone.get()) == SigningMode::Reuse);
  }
  SECTION("the denial TTL changed: reuse") {
    auto c = make_zone(51, 2, 60);
    CHECK(signer.choose(sa.zone.get(), *c).mode == SigningMode::Reuse);
  }
  SECTION("the SOA signature is no longer current: reuse") {
    const ZoneSigner later(keys, options_at(kNow + 30 * 86400));  // past the 14-day validity
    CHECK(mode(later, sa.zone.get()) == SigningMode::Reuse);
    auto r = later.sign_incremental(*sa.zone, *b, diff);
    CHECK(r.stats.choice.mode == SigningMode::Reuse);
    CHECK(r.stats.rrsets_reused == 0);
  }
  SECTION("a patch that touches most of the zone falls back to reuse, saying why") {
    auto c = make_zone(300, 2);
    auto r = signer.sign_incremental(*sa.zone, *c, zone::diff_zones(*a, *c));
    CHECK(r.stats.choice.mode == SigningMode::Reuse);
    CHECK(std::string(r.stats.choice.reason).find("too many names") != std::string::npos);
    CHECK(same_signed_content(*r.zone, *signer.sign_full(*c).zone));
  }
}
