// ZoneSigner::sign_incremental's fast path (the previous signed zone patched in place): edits at
// the edges of the NSEC and NSEC3 chains give the same RRsets as a full sign, and verify.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

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

std::shared_ptr<const zone::Zone> make_zone(const std::set<std::string>& lines, int serial) {
  std::string text = "$TTL 300\n@ 3600 IN SOA ns.example. h.example. " + std::to_string(serial) +
                     " 2 3 4 600\n@ IN NS ns\nns IN A 192.0.2.1\n";
  for (const auto& l : lines) text += l + "\n";
  zone::ZoneBuilder b(kOrigin);
  (void)zone::parse_zone_text(text, kOrigin,
                              [&](dns::Rr&& rr, const zone::Location&) { b.add(std::move(rr)); });
  return std::move(b).build().zone;
}

struct Step {
  const char* what;
  std::vector<std::string> add;
  std::vector<std::string> remove;
};

const char* kDs = " IN DS 1 13 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// Each step starts from the zone the previous step left.
std::vector<Step> steps() {
  return {
      {"first name added", {"0 IN A 192.0.2.10"}, {}},
      {"last name added (its NSEC points to the apex)", {"zzz IN A 192.0.2.11"}, {}},
      {"first name removed", {}, {"0 IN A 192.0.2.10"}},
      {"last name removed", {}, {"zzz IN A 192.0.2.11"}},
      {"wildcard added under an empty non-terminal", {"*.w IN TXT \"wild\""}, {}},
      {"wildcard removed", {}, {"*.w IN TXT \"wild\""}},
      {"empty non-terminals appear", {"a.b.c IN A 192.0.2.12"}, {}},
      {"an empty non-terminal becomes a real name", {"c IN A 192.0.2.13"}, {}},
      {"empty non-terminals disappear", {}, {"a.b.c IN A 192.0.2.12", "c IN A 192.0.2.13"}},
      {"delegation added over existing names (they become glue/occluded)",
       {"sub IN NS ns.sub"},
       {}},
      {"delegation gets a DS (joins an opt-out chain)", {std::string("sub") + kDs}, {}},
      {"delegation removed (names below become authoritative again)",
       {},
       {"sub IN NS ns.sub", std::string("sub") + kDs}},
      {"type added at an existing name", {"m IN AAAA 2001:db8::1"}, {}},
      {"TTL-only change", {"b 60 IN A 192.0.2.2"}, {"b IN A 192.0.2.2"}},
  };
}

}  // namespace

TEST_CASE("incremental sign: patches at chain edges equal a full sign",
          "[dnssec][zone_signer][incremental]") {
  auto mode = GENERATE(DenialMode::Nsec, DenialMode::Nsec3);
  bool opt_out = GENERATE(false, true);
  // Filler names spread the zone over several storage blocks (Zone::block_count), with a long
  // run of names without NSEC3 under "deep" that chain lookups must step over.
  int filler = GENERATE(0, 600);
  if (mode == DenialMode::Nsec && opt_out) return;
  SignerOptions opt;
  opt.timing.now = kNow;
  opt.denial.mode = mode;
  opt.denial.nsec3.opt_out = opt_out;
  opt.threads = 1;
  ZoneSigner signer({generate_key(kOrigin, Algorithm::ED25519, kFlagsKsk, kNow)}, opt);
  std::set<std::string> lines = {"b IN A 192.0.2.2",     "m IN TXT \"m\"",
                                 "x.sub IN A 192.0.2.3", "ns.sub IN A 192.0.2.5",
                                 "y.sub IN TXT \"y\"",   "z IN A 192.0.2.4"};
  for (int i = 0; i < filler / 2; ++i) {
    lines.insert("t" + std::to_string(i) + " IN A 192.0.2.9");
    lines.insert("h" + std::to_string(i) + ".deep IN A 192.0.2.9");
  }
  int serial = 1;
  auto unsigned_zone = make_zone(lines, serial);
  auto signed_zone = signer.sign_full(*unsigned_zone).zone;
  for (const auto& step : steps()) {
    for (const auto& l : step.remove) REQUIRE(lines.erase(l) == 1);
    for (const auto& l : step.add) lines.insert(l);
    auto next = make_zone(lines, ++serial);
    auto diff = zone::diff_zones(*unsigned_zone, *next);
    auto incr = signer.sign_incremental(*signed_zone, *next, diff);
    auto full = signer.sign_full(*next);
    INFO(step.what << " (" << filler << " filler names)\n" << diff.summary(20));
    CHECK(incr.stats.patched);
    CHECK(same_signed_content(*incr.zone, *full.zone));
    CHECK(incr.stats.denial_records == full.stats.denial_records);
    CHECK(incr.stats.rrsets_in == full.stats.rrsets_in);
    auto verdict = verify_zone(*incr.zone, {.now = kNow});
    INFO(verdict.summary());
    CHECK(verdict.ok());
    unsigned_zone = next;
    signed_zone = incr.zone;
  }
}

TEST_CASE("incremental sign: falls back to a full sign when the patch would not pay",
          "[dnssec][zone_signer][incremental]") {
  SignerOptions opt;
  opt.timing.now = kNow;
  opt.threads = 1;
  ZoneSigner signer({generate_key(kOrigin, Algorithm::ED25519, kFlagsKsk, kNow)}, opt);
  std::set<std::string> lines;
  for (int i = 0; i < 50; ++i) lines.insert("h" + std::to_string(i) + " IN A 192.0.2.1");
  auto a = make_zone(lines, 1);
  auto sa = signer.sign_full(*a);
  // Most of the zone touched: a full sign (with reuse) is taken.
  std::set<std::string> many;
  for (int i = 0; i < 200; ++i) many.insert("n" + std::to_string(i) + " IN A 192.0.2.2");
  auto b = make_zone(many, 2);
  auto r = signer.sign_incremental(*sa.zone, *b, zone::diff_zones(*a, *b));
  CHECK_FALSE(r.stats.patched);
  CHECK(same_signed_content(*r.zone, *signer.sign_full(*b).zone));
  // Signatures near expiry are refreshed, whichever path is taken.
  opt.timing.now = kNow + 8 * 86400;  // 14-day validity, refresh within 7 days: all expire soon
  ZoneSigner later(signer.keys(), opt);
  auto c = make_zone(lines, 3);
  auto rc = later.sign_incremental(*sa.zone, *c, zone::diff_zones(*a, *c));
  CHECK(rc.stats.rrsets_reused == 0);
  CHECK(verify_zone(*rc.zone, {.now = kNow + 8 * 86400}).ok());
}
