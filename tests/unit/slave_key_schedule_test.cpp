// Key timing: BIND's timing metadata read from dnssec-keygen's files and written back the same
// way; what a zone serves at each time of its keys' timing (DNSKEY, signers, CDS), the errors
// for timing that cannot be served, and the csk-roll policy's timeline.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/dnssec/key.hpp"
#include "slave/key_roll.hpp"
#include "slave/key_schedule.hpp"
#include "tests/unit/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace flatsign;
using namespace flatsign::slave;
using dnssec::DnssecKey;

namespace {

// Produced by (BIND 9.18): dnssec-keygen -a 13 -f KSK -P now -A now+1h -I now+1d -D now+2d
//   -P sync now+2h -D sync now+1d example.test
const char* kBindKey =
    "; This is a key-signing key, keyid 54045, for example.test.\n"
    "; Created: 20261207034422 (Mon Dec  7 03:44:22 2026)\n"
    "; Publish: 20261207034422 (Mon Dec  7 03:44:22 2026)\n"
    "; Activate: 20261207044422 (Mon Dec  7 04:44:22 2026)\n"
    "; Inactive: 20261208034422 (Tue Dec  8 03:44:22 2026)\n"
    "; Delete: 20261209034422 (Wed Dec  9 03:44:22 2026)\n"
    "; SyncPublish: 20261207054422 (Mon Dec  7 05:44:22 2026)\n"
    "; SyncDelete: 20261208034422 (Tue Dec  8 03:44:22 2026)\n"
    "example.test. IN DNSKEY 257 3 13 2r7y2fYCviyKtx+CWTFdypXRtm15LzOOBQF2dbZuAwBZCgBQHLuYz28l "
    "dWwMDveoAAzlmiAGmD7Q0SM5T1Pltw==\n";
const char* kBindPrivate =
    "Private-key-format: v1.3\n"
    "Algorithm: 13 (ECDSAP256SHA256)\n"
    "PrivateKey: Rd9wr1Txmul/jl6fVWp1c21kYr6zTKLGXAz84Of9YK4=\n"
    "Created: 20261207034422\n"
    "Publish: 20261207034422\n"
    "Activate: 20261207044422\n"
    "Inactive: 20261208034422\n"
    "Delete: 20261209034422\n"
    "SyncPublish: 20261207054422\n"
    "SyncDelete: 20261208034422\n";
const char* kBindBase = "Kexample.test.+013+54045";

using TempDir = flatsign::testing::TempDir;

void put(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const dns::Name kZone = dns::Name::parse("example.test.");
constexpr std::time_t T0 = 1'800'000'000;

DnssecKey csk(dnssec::KeyTiming t = {}, dnssec::Algorithm alg = dnssec::Algorithm::ECDSAP256SHA256,
              uint16_t flags = dnssec::kFlagsKsk) {
  DnssecKey k = dnssec::generate_key(kZone, alg, flags, T0);
  k.timing = t;
  return k;
}

std::vector<uint16_t> tags(const std::vector<dns::Rdata>& v) {
  std::vector<uint16_t> out;
  for (const auto& rd : v) out.push_back(dnssec::key_tag(rd));
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<uint16_t> tags(const std::vector<DnssecKey>& v) {
  std::vector<uint16_t> out;
  for (const auto& k : v) out.push_back(k.tag);
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<uint16_t> sorted(std::vector<uint16_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The roll timing of these tests, in seconds: DNSKEY TTL 10, propagation 2, retire safety 1,
// parent DS TTL 5 and propagation 3.
void short_timing(KeyPolicy& p, std::time_t publish_safety) {
  p.dnskey_ttl = 10;
  p.propagation_delay = 2;
  p.publish_safety = publish_safety;
  p.retire_safety = 1;
  p.parent_ds_ttl = 5;
  p.parent_propagation_delay = 3;
}

}  // namespace

TEST_CASE("key timing: dnssec-keygen's seven times are read from .private and .key",
          "[key_schedule]") {
  TempDir dir("keytime");
  put(dir.path / (std::string(kBindBase) + ".key"), kBindKey);
  put(dir.path / (std::string(kBindBase) + ".private"), kBindPrivate);
  const auto ts = [](const char* s) { return dnssec::parse_key_timestamp(s); };
  DnssecKey k = dnssec::load_key((dir.path / kBindBase).string());
  CHECK(k.tag == 54045);
  CHECK(k.created == ts("20261207034422"));
  CHECK(k.timing.publish == ts("20261207034422"));
  CHECK(k.timing.activate == ts("20261207044422"));
  CHECK(k.timing.inactive == ts("20261208034422"));
  CHECK(k.timing.remove == ts("20261209034422"));
  CHECK(k.timing.sync_publish == ts("20261207054422"));
  CHECK(k.timing.sync_delete == ts("20261208034422"));
  CHECK(dnssec::key_timestamp(k.timing.activate) == "20261207044422");
  // The .key alone (a public-only key) carries the same times in its comments.
  fs::remove(dir.path / (std::string(kBindBase) + ".private"));
  DnssecKey pub = dnssec::load_key((dir.path / kBindBase).string(), false);
  CHECK(!pub.private_key);
  CHECK(pub.timing == k.timing);
  CHECK(pub.created == k.created);
  CHECK(dnssec::parse_key_timestamp("2026120703442") == 0);
  CHECK(dnssec::parse_key_timestamp("2026x207034422") == 0);
}

TEST_CASE("key timing: rewritten in place as BIND writes it, the key material kept",
          "[key_schedule]") {
  TempDir dir("keytime");
  put(dir.path / (std::string(kBindBase) + ".key"), kBindKey);
  put(dir.path / (std::string(kBindBase) + ".private"), kBindPrivate);
  DnssecKey k = dnssec::load_key((dir.path / kBindBase).string());
  k.timing.inactive = dnssec::parse_key_timestamp("20270101000000");
  k.timing.remove = dnssec::parse_key_timestamp("20270201000000");
  k.timing.sync_delete = 0;  // unset: its line goes
  dnssec::store_key_timing(dir.path.string(), k);
  const std::string key = slurp(dir.path / (std::string(kBindBase) + ".key"));
  const std::string priv = slurp(dir.path / (std::string(kBindBase) + ".private"));
  CHECK(key.find("; Inactive: 20270101000000 (Fri Jan  1 00:00:00 2027)\n") != std::string::npos);
  CHECK(key.find("SyncDelete") == std::string::npos);
  CHECK(key.find("; This is a key-signing key, keyid 54045") == 0);
  CHECK(priv.find("PrivateKey: Rd9wr1Txmul/jl6fVWp1c21kYr6zTKLGXAz84Of9YK4=\n") !=
        std::string::npos);
  CHECK(priv.find("Delete: 20270201000000\n") != std::string::npos);
  CHECK(priv.find("SyncDelete") == std::string::npos);
  DnssecKey back = dnssec::load_key((dir.path / kBindBase).string());
  CHECK(back.timing == k.timing);
  CHECK(back.created == k.created);
  CHECK(back.public_key == k.public_key);
}

TEST_CASE(
    "key timing: a stored key reads back with its timing; none set is Publish = Activate "
    "= Created",
    "[key_schedule]") {
  TempDir dir("keytime");
  DnssecKey k = csk({.publish = T0 + 10, .activate = T0 + 20, .sync_publish = T0 + 30});
  dnssec::store_key(k, dir.path.string());
  auto keys = dnssec::load_keys(dir.path.string(), kZone);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].timing == k.timing);
  DnssecKey plain = csk();
  dnssec::store_key(plain, dir.path.string());
  DnssecKey p = dnssec::load_key(dir.path.string() + "/" + plain.file_base());
  CHECK(p.timing.publish == T0);
  CHECK(p.timing.activate == T0);
  CHECK(p.timing.inactive == 0);
  // A .key without .private is listed only when public-only keys are asked for.
  fs::remove(dir.path / (plain.file_base() + ".private"));
  CHECK(dnssec::load_keys(dir.path.string(), kZone).size() == 1);
  CHECK(dnssec::load_keys(dir.path.string(), kZone, false).size() == 2);
}

TEST_CASE("key schedule: a key without timing is published and active forever", "[key_schedule]") {
  DnssecKey k = csk();
  KeySet s = key_set_at({k}, T0);
  CHECK(tags(s.dnskeys) == std::vector<uint16_t>{k.tag});
  CHECK(tags(s.signing) == std::vector<uint16_t>{k.tag});
  CHECK(tags(s.cds) == std::vector<uint16_t>{k.tag});
  CHECK(s.next_event == kNever);
  CHECK(key_state_text(k, T0) == "active+cds");
}

TEST_CASE("key schedule: each step of a double-signature CSK roll", "[key_schedule]") {
  KeyPolicy p;
  short_timing(p, 1);
  const CskRollTiming r = csk_roll_timing(T0 + 100, p, {.dnskey = 10, .max = 30});
  CHECK(r.start == T0 + 100);
  CHECK(r.sync == r.start + 10 + 2 + 1);
  CHECK(r.retire == r.sync + 5 + 3 + 1);
  CHECK(r.remove == r.retire + 30 + 2);
  DnssecKey old = csk({.publish = T0,
                       .activate = T0,
                       .inactive = r.retire,
                       .remove = r.remove,
                       .sync_delete = r.sync});
  DnssecKey neu = csk({.publish = r.start, .activate = r.start, .sync_publish = r.sync});
  const std::vector<DnssecKey> keys{old, neu};
  auto at = [&](std::time_t t) { return key_set_at(keys, t); };
  const std::vector<uint16_t> o{old.tag}, n{neu.tag}, both = sorted({old.tag, neu.tag});
  // before: the old key alone, the next event is the start
  CHECK(tags(at(r.start - 1).dnskeys) == o);
  CHECK(tags(at(r.start - 1).cds) == o);
  CHECK(at(r.start - 1).next_event == r.start);
  // double signature: both published and signing, the CDS still the old key
  CHECK(tags(at(r.start).dnskeys) == both);
  CHECK(tags(at(r.start).signing) == both);
  CHECK(tags(at(r.start).cds) == o);
  CHECK(at(r.start).next_event == r.sync);
  // the CDS switches to the new key
  CHECK(tags(at(r.sync).cds) == n);
  CHECK(tags(at(r.sync).signing) == both);
  // the old key stops signing, then leaves
  CHECK(tags(at(r.retire).signing) == n);
  CHECK(tags(at(r.retire).dnskeys) == both);
  CHECK(key_state_text(old, r.retire) == "retired");
  CHECK(tags(at(r.remove).dnskeys) == n);
  CHECK(at(r.remove).next_event == kNever);
  CHECK(key_state_text(old, r.remove) == "removed");
  CHECK(key_state_text(neu, r.start - 1) == "future");
}

TEST_CASE("key schedule: timing that cannot be served is an error naming the key",
          "[key_schedule]") {
  auto error_of = [](const std::vector<DnssecKey>& keys, std::time_t t) -> std::string {
    try {
      (void)key_set_at(keys, t);
    } catch (const KeyScheduleError& e) {
      return e.what();
    }
    return "";
  };
  // Activate before Publish and Inactive after Delete beside a published key of the same
  // algorithm (only an algorithm roll signs outside the DNSKEY RRset), Delete without Inactive
  CHECK_THAT(error_of({csk(), csk({.publish = T0 + 10, .activate = T0})}, T0 + 5),
             Catch::Contains("would sign while not in the DNSKEY RRset"));
  CHECK_THAT(
      error_of(
          {csk(), csk({.publish = T0, .activate = T0, .inactive = T0 + 20, .remove = T0 + 10})},
          T0 + 15),
      Catch::Contains("would sign while not in the DNSKEY RRset"));
  // a key signing before its publication with no published key at all
  CHECK_THAT(error_of({csk({.publish = T0 + 10, .activate = T0})}, T0 + 5),
             Catch::Contains("no key is active"));
  CHECK_THAT(error_of({csk({.publish = T0, .activate = T0, .remove = T0 + 10})}, T0 + 5),
             Catch::Contains("Delete is set without Inactive"));
  // no key active at t (the old retired, the successor not yet)
  CHECK_THAT(
      error_of({csk({.publish = T0, .activate = T0, .inactive = T0 + 10, .remove = T0 + 20})},
               T0 + 15),
      Catch::Contains("no key is active"));
  // an active key whose private half is missing, beside one that has it
  DnssecKey pub_only = csk();
  pub_only.private_key.reset();
  CHECK_THAT(error_of({csk(), pub_only}, T0), Catch::Contains("private key"));
  // a public-only key that is only published is fine
  DnssecKey pre = csk({.publish = T0, .activate = T0 + 100});
  pre.private_key.reset();
  CHECK(error_of({csk(), pre}, T0).empty());
  // a ZSK alone active while a KSK is published
  CHECK_THAT(error_of({csk({.publish = T0, .activate = T0 + 100}),
                       csk({}, dnssec::Algorithm::ECDSAP256SHA256, dnssec::kFlagsZsk)},
                      T0),
             Catch::Contains("no KSK/CSK is active"));
  // an algorithm published without a signing key of it (RFC 4035 §2.2)
  CHECK_THAT(
      error_of({csk(), csk({.publish = T0, .activate = T0 + 100}, dnssec::Algorithm::ED25519)}, T0),
      Catch::Contains("no key of it is active"));
}

TEST_CASE(
    "key policy: csk-roll makes the successor publish-safety ahead, the old key retiring "
    "at the end of its lifetime",
    "[key_schedule]") {
  KeyPolicy p;
  p.mode = KeyPolicy::Mode::CskRoll;
  p.csk_lifetime = 1000;
  short_timing(p, 5);
  const ZoneTtls ttls{.dnskey = 10, .max = 30};
  const std::vector<DnssecKey> keys{csk({.publish = T0, .activate = T0})};
  const CskRollTiming span = csk_roll_timing(0, p, ttls);
  const std::time_t start = T0 + 1000 - span.retire;
  PolicyStep early = plan_csk_roll(keys, T0 + 10, p, ttls);
  CHECK(!early.roll_from);
  CHECK(early.next == start - 5);
  PolicyStep due = plan_csk_roll(keys, start - 5, p, ttls);
  REQUIRE(due.roll_from);
  CHECK(due.timing.start == start);
  CHECK(due.timing.retire == T0 + 1000);
  // late (the slave was down): the roll starts now
  PolicyStep late = plan_csk_roll(keys, T0 + 2000, p, ttls);
  REQUIRE(late.roll_from);
  CHECK(late.timing.start == T0 + 2000);
  // one roll at a time: the last roll's old key, its retirement held by parent-ds-check, still
  // published at the planned start pushes the next roll after its Delete
  const std::vector<DnssecKey> held{csk({.publish = T0 - 900,
                                         .activate = T0 - 900,
                                         .inactive = start - 20,
                                         .remove = start + 100}),
                                    keys.front()};
  PolicyStep waits = plan_csk_roll(held, start - 5, p, ttls);
  CHECK(!waits.roll_from);
  CHECK(waits.next == start + 100 - 5);
  PolicyStep after = plan_csk_roll(held, start + 100 - 5, p, ttls);
  REQUIRE(after.roll_from);
  CHECK(held[*after.roll_from].tag == keys.front().tag);
  CHECK(after.timing.start == start + 100);
  // lifetime 0 or manual: nothing
  p.csk_lifetime = 0;
  CHECK(!plan_csk_roll(keys, T0 + 5000, p, ttls).roll_from);
  p.csk_lifetime = 1000;
  p.mode = KeyPolicy::Mode::Manual;
  CHECK(!plan_csk_roll(keys, T0 + 5000, p, ttls).roll_from);
  // a roll under way (every key has an end) waits, and says so
  p.mode = KeyPolicy::Mode::CskRoll;
  PolicyStep busy = plan_csk_roll(
      {csk({.publish = T0, .activate = T0, .inactive = T0 + 900, .remove = T0 + 990})}, T0 + 950, p,
      ttls);
  CHECK(!busy.roll_from);
  CHECK(!busy.waiting.empty());
}

TEST_CASE(
    "key roll: the successor and the old key's end times are written, and key_set_at "
    "serves each step",
    "[key_schedule]") {
  TempDir dir("keytime");
  DnssecKey first = csk();  // no timing: as the slave made keys before
  dnssec::store_key(first, dir.path.string());
  KeyPolicy p;
  CskRollTiming r;
  DnssecKey neu = roll_key(dir.path.string(), kZone, std::nullopt, T0 + 50, p, r);
  CHECK(r.start == T0 + 50);
  auto keys = dnssec::load_keys(dir.path.string(), kZone, false);
  REQUIRE(keys.size() == 2);
  CHECK(tags(key_set_at(keys, r.start).signing) == sorted({first.tag, neu.tag}));
  CHECK(tags(key_set_at(keys, r.sync).cds) == std::vector<uint16_t>{neu.tag});
  CHECK(tags(key_set_at(keys, r.remove).dnskeys) == std::vector<uint16_t>{neu.tag});
  // a second roll while this one runs is refused
  CHECK_THROWS_WITH(roll_key(dir.path.string(), kZone, std::nullopt, T0 + 60, p, r),
                    Catch::Contains("a roll is under way"));
}

TEST_CASE("key folder: a changed, added or removed K-file is seen", "[key_schedule]") {
  TempDir dir("keytime");
  KeyFolder f(dir.path.string(), kZone);
  CHECK(f.changed());
  f.mark();
  CHECK(!f.changed());
  DnssecKey k = csk();
  dnssec::store_key(k, dir.path.string());
  CHECK(f.changed());
  f.mark();
  CHECK(!f.changed());
  put(dir.path / "unrelated.txt", "x");
  CHECK(!f.changed());
  fs::remove(dir.path / (k.file_base() + ".key"));
  CHECK(f.changed());
}

TEST_CASE("key import: dnssec-keygen's files are copied with their timing after the checks",
          "[key_schedule]") {
  TempDir src, dir;
  put(src.path / (std::string(kBindBase) + ".key"), kBindKey);
  put(src.path / (std::string(kBindBase) + ".private"), kBindPrivate);
  DnssecKey current = csk();  // no timing: active whatever the time
  dnssec::store_key(current, dir.path.string());
  const std::string from = (src.path / (std::string(kBindBase) + ".key")).string();
  DnssecKey k = import_key(dir.path.string(), kZone, from, T0);
  CHECK(k.tag == 54045);
  CHECK(slurp(dir.path / (std::string(kBindBase) + ".private")) == kBindPrivate);
  CHECK(slurp(dir.path / (std::string(kBindBase) + ".key")) == kBindKey);
  CHECK(dnssec::load_keys(dir.path.string(), kZone).size() == 2);
  // the same tag again, another zone's key, inconsistent timing: refused, nothing written
  CHECK_THROWS_WITH(import_key(dir.path.string(), kZone, from, T0), Catch::Contains("already in"));
  CHECK_THROWS_WITH(import_key(dir.path.string(), dns::Name::parse("other.test."), from, T0),
                    Catch::Contains("not of other.test."));
  TempDir bad("keytime");
  DnssecKey odd = csk({.publish = T0 + 10, .activate = T0});
  dnssec::store_key(odd, bad.path.string());
  CHECK_THROWS_WITH(
      import_key(dir.path.string(), kZone, (bad.path / (odd.file_base() + ".key")).string(), T0),
      Catch::Contains("would sign while not in the DNSKEY RRset"));
  CHECK(!fs::exists(dir.path / (odd.file_base() + ".key")));
}

TEST_CASE("key schedule: KSK and ZSK roles, a ZSK pre-published before it signs",
          "[key_schedule]") {
  DnssecKey ksk = csk();
  DnssecKey zsk1 = csk({.publish = T0, .activate = T0, .inactive = T0 + 100, .remove = T0 + 200},
                       dnssec::Algorithm::ECDSAP256SHA256, dnssec::kFlagsZsk);
  DnssecKey zsk2 = csk({.publish = T0 + 50, .activate = T0 + 100},
                       dnssec::Algorithm::ECDSAP256SHA256, dnssec::kFlagsZsk);
  const std::vector<DnssecKey> keys{ksk, zsk1, zsk2};
  KeySet before = key_set_at(keys, T0 + 60);  // zsk2 published, not signing
  CHECK(tags(before.dnskeys) == sorted({ksk.tag, zsk1.tag, zsk2.tag}));
  CHECK(tags(before.signing) == sorted({ksk.tag, zsk1.tag}));
  CHECK(tags(before.cds) == std::vector<uint16_t>{ksk.tag});  // SEP keys only
  KeySet after = key_set_at(keys, T0 + 100);
  CHECK(tags(after.signing) == sorted({ksk.tag, zsk2.tag}));
  CHECK(tags(key_set_at(keys, T0 + 200).dnskeys) == sorted({ksk.tag, zsk2.tag}));
  // csk-roll does not roll a KSK/ZSK zone, and says why
  KeyPolicy p;
  p.mode = KeyPolicy::Mode::CskRoll;
  p.csk_lifetime = 1000;
  CHECK_THAT(plan_csk_roll(keys, T0 + 5000, p, {}).waiting, Catch::Contains("ZSK"));
}

namespace {
KeyPolicy ksk_zsk_policy() {
  KeyPolicy p;
  p.mode = KeyPolicy::Mode::KskZskRoll;
  p.ksk_lifetime = 5000;
  p.zsk_lifetime = 1000;
  short_timing(p, 5);
  return p;
}
DnssecKey zsk(dnssec::KeyTiming t = {}) {
  return csk(t, dnssec::Algorithm::ECDSAP256SHA256, dnssec::kFlagsZsk);
}
}  // namespace

TEST_CASE("key policy: ksk-zsk-roll pre-publishes the ZSK's successor, then swaps the signer",
          "[key_schedule]") {
  const KeyPolicy p = ksk_zsk_policy();
  const ZoneTtls ttls{.dnskey = 10, .max = 30};
  // RFC 7583 §3.2.1: DNSKEY TTL + propagation + safety before it signs; the old key's
  // signatures are gone from caches after the largest TTL + propagation + safety.
  const ZskRollTiming span = zsk_roll_timing(0, p, ttls);
  CHECK(span.activate == 10 + 2 + 5);
  CHECK(span.remove == span.activate + 30 + 2 + 1);
  CHECK(min_lifetime(KeyRole::Zsk, p) == zsk_roll_timing(0, p, {}).remove);
  const DnssecKey k = csk({.publish = T0, .activate = T0});
  const DnssecKey z = zsk({.publish = T0, .activate = T0});
  const std::vector<DnssecKey> keys{k, z};
  // the ZSK's Inactive falls at its Activate + zsk-lifetime; made publish-safety earlier
  const std::time_t start = T0 + 1000 - span.activate;
  PolicyStep early = plan_key_roll(keys, T0 + 10, p, ttls, KeyRole::Zsk);
  CHECK(!early.roll_from);
  CHECK(early.next == start - 5);
  PolicyStep due = plan_key_roll(keys, start - 5, p, ttls, KeyRole::Zsk);
  REQUIRE(due.roll_from);
  CHECK(keys[*due.roll_from].tag == z.tag);
  CHECK(due.zsk.start == start);
  CHECK(due.zsk.activate == T0 + 1000);
  // the KSK is not due for a long time
  CHECK(!plan_key_roll(keys, start - 5, p, ttls, KeyRole::Ksk).roll_from);
  // the written successor: published, then signing as the old ZSK stops, then the old removed
  TempDir dir("keytime");
  for (const auto& key : keys) dnssec::store_key(key, dir.path.string());
  const DnssecKey neu = write_successor(dir.path.string(), keys, *due.roll_from,
                                        successor_timing(due.zsk), std::nullopt, start - 5);
  CHECK(!neu.is_sep());
  const auto now_keys = dnssec::load_keys(dir.path.string(), kZone, false);
  REQUIRE(now_keys.size() == 3);
  const KeySet pre = key_set_at(now_keys, due.zsk.start);
  CHECK(tags(pre.dnskeys) == sorted({k.tag, z.tag, neu.tag}));
  CHECK(tags(pre.signing) == sorted({k.tag, z.tag}));
  CHECK(tags(pre.cds) == std::vector<uint16_t>{k.tag});
  CHECK(tags(key_set_at(now_keys, due.zsk.start - 1).dnskeys) == sorted({k.tag, z.tag}));
  const KeySet swapped = key_set_at(now_keys, due.zsk.activate);
  CHECK(tags(swapped.signing) == sorted({k.tag, neu.tag}));
  CHECK(tags(swapped.dnskeys) == sorted({k.tag, z.tag, neu.tag}));
  CHECK(tags(key_set_at(now_keys, due.zsk.remove).dnskeys) == sorted({k.tag, neu.tag}));
  // a roll under way: the successor is the one open ZSK, its lifetime from its Activate
  PolicyStep after = plan_key_roll(now_keys, due.zsk.activate + 1, p, ttls, KeyRole::Zsk);
  CHECK(!after.roll_from);
  CHECK(after.next == due.zsk.activate + 1000 - span.activate - 5);
}

TEST_CASE("key policy: ksk-zsk-roll rolls the KSK by double-KSK with its CDS switch",
          "[key_schedule]") {
  const KeyPolicy p = ksk_zsk_policy();
  const ZoneTtls ttls{.dnskey = 10, .max = 30};
  // A KSK signs only the DNSKEY RRset and CDS/CDNSKEY: its removal waits on the DNSKEY TTL,
  // not on the zone's largest TTL as a CSK's does.
  const CskRollTiming r = ksk_roll_timing(0, p, ttls);
  CHECK(r.sync == csk_roll_timing(0, p, ttls).sync);
  CHECK(r.retire == csk_roll_timing(0, p, ttls).retire);
  CHECK(r.remove == r.retire + 10 + 2);
  const DnssecKey k = csk({.publish = T0, .activate = T0});
  const DnssecKey z = zsk({.publish = T0, .activate = T0});
  const std::vector<DnssecKey> keys{k, z};
  const std::time_t start = T0 + 5000 - r.retire;
  PolicyStep due = plan_key_roll(keys, start - 5, p, ttls, KeyRole::Ksk);
  REQUIRE(due.roll_from);
  CHECK(keys[*due.roll_from].tag == k.tag);
  CHECK(due.timing.retire == T0 + 5000);
  TempDir dir("keytime");
  for (const auto& key : keys) dnssec::store_key(key, dir.path.string());
  const DnssecKey neu = write_successor(dir.path.string(), keys, *due.roll_from,
                                        successor_timing(due.timing), std::nullopt, start - 5);
  CHECK(neu.is_sep());
  const auto now_keys = dnssec::load_keys(dir.path.string(), kZone, false);
  const CskRollTiming& t = due.timing;
  // both KSKs sign (the DNSKEY RRset), the ZSK the rest; CDS on the old, then the new KSK
  const KeySet both = key_set_at(now_keys, t.start);
  CHECK(tags(both.signing) == sorted({k.tag, z.tag, neu.tag}));
  CHECK(tags(both.cds) == std::vector<uint16_t>{k.tag});
  CHECK(tags(key_set_at(now_keys, t.sync).cds) == std::vector<uint16_t>{neu.tag});
  CHECK(tags(key_set_at(now_keys, t.retire).signing) == sorted({z.tag, neu.tag}));
  CHECK(tags(key_set_at(now_keys, t.remove).dnskeys) == sorted({z.tag, neu.tag}));
  // the policy refuses a zone without its ZSK, and a CSK policy a zone with one
  PolicyStep lone = plan_key_roll({k}, start, p, ttls, KeyRole::Ksk);
  CHECK(!lone.roll_from);
  CHECK_THAT(lone.waiting, Catch::Contains("no ZSK"));
  // --check: both roles' timelines
  const auto lines = policy_timeline(keys, T0 + 10, p, ttls);
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  CHECK_THAT(all, Catch::Contains("ksk-zsk-roll of KSK " + std::to_string(k.tag)));
  CHECK_THAT(all, Catch::Contains("ksk-zsk-roll of ZSK " + std::to_string(z.tag)));
  CHECK_THAT(all, Catch::Contains("successor published (not signing)"));
  CHECK_THAT(all, Catch::Contains("CDS/CDNSKEY name the successor"));
}

TEST_CASE(
    "key schedule: each step of an algorithm roll, the new key signing before it is published",
    "[key_schedule]") {
  KeyPolicy p;
  p.mode = KeyPolicy::Mode::CskRoll;
  p.algorithm = dnssec::Algorithm::ECDSAP256SHA256;
  short_timing(p, 1);
  const AlgorithmRollTiming r = algorithm_roll_timing(T0 + 100, p, {.dnskey = 10, .max = 30});
  CHECK(r.publish == r.start + 30 + 2 + 1);
  CHECK(r.sync == r.publish + 10 + 2 + 1);
  CHECK(r.remove == r.sync + 5 + 3 + 1);
  CHECK(r.retire == r.remove + 10 + 2);
  const SuccessorTiming s = successor_timing(r, true);
  DnssecKey old = csk({.publish = T0,
                       .activate = T0,
                       .inactive = s.old_inactive,
                       .remove = s.old_remove,
                       .sync_delete = s.old_sync_delete},
                      dnssec::Algorithm::RSASHA256);
  DnssecKey neu = csk(s.successor);
  CHECK(timing_problem(old.timing).empty());
  CHECK(timing_problem(neu.timing).empty());
  const std::vector<DnssecKey> keys{old, neu};
  auto at = [&](std::time_t t) { return key_set_at(keys, t); };
  const std::vector<uint16_t> o{old.tag}, n{neu.tag}, both = sorted({old.tag, neu.tag});
  // (1) the new algorithm's signatures beside the old ones; the DNSKEY RRset unchanged
  CHECK(tags(at(r.start).dnskeys) == o);
  CHECK(tags(at(r.start).signing) == both);
  CHECK(tags(at(r.start).cds) == o);
  CHECK(key_state_text(neu, r.start) == "signing, not published");
  // (2) both published, (3) the CDS switch
  CHECK(tags(at(r.publish).dnskeys) == both);
  CHECK(tags(at(r.publish).cds) == o);
  CHECK(tags(at(r.sync).cds) == n);
  CHECK(tags(at(r.sync).signing) == both);
  // (4) the old key leaves the DNSKEY RRset and still signs, (5) then stops
  CHECK(tags(at(r.remove).dnskeys) == n);
  CHECK(tags(at(r.remove).signing) == both);
  CHECK(key_state_text(old, r.remove) == "signing, not published");
  CHECK(tags(at(r.retire).signing) == n);
  CHECK(at(r.retire).next_event == kNever);
}

TEST_CASE("key schedule: only a new algorithm signs outside the DNSKEY RRset", "[key_schedule]") {
  auto error_of = [](const std::vector<DnssecKey>& keys, std::time_t t) -> std::string {
    try {
      (void)key_set_at(keys, t);
    } catch (const KeyScheduleError& e) {
      return e.what();
    }
    return "";
  };
  const auto rsa = dnssec::Algorithm::RSASHA256;
  const DnssecKey published = csk({.publish = T0, .activate = T0}, rsa);
  // accepted: active, not yet published, an algorithm the DNSKEY RRset does not hold
  CHECK(error_of({published, csk({.publish = T0 + 100, .activate = T0})}, T0 + 10).empty());
  // refused: the new algorithm published before it signs (RFC 4035 §2.2)
  CHECK_THAT(error_of({published, csk({.publish = T0, .activate = T0 + 100})}, T0 + 10),
             Catch::Contains("no key of it is active"));
  // refused: active and unpublished beside a published key of its own algorithm
  CHECK_THAT(error_of({published, csk({.publish = T0 + 100, .activate = T0}, rsa)}, T0 + 10),
             Catch::Contains("would sign while not in the DNSKEY RRset"));
  // every later step checked at once: a key that will sign after its removal beside a key of
  // its algorithm is named with the time
  const std::vector<DnssecKey> late{
      published, csk({.publish = T0, .activate = T0, .inactive = T0 + 50, .remove = T0 + 20}, rsa)};
  CHECK(error_of(late, T0 + 10).empty());
  CHECK_THAT(schedule_problem(late, T0 + 10),
             Catch::Contains("at " + time_text(T0 + 20)) &&
                 Catch::Contains("would sign while not in the DNSKEY RRset"));
  CHECK(schedule_problem({published, csk({.publish = T0 + 100, .activate = T0})}, T0).empty());
  // refused: the unpublished new KSK as the only active one (the published KSK retired)
  CHECK_THAT(
      error_of({csk({.publish = T0, .activate = T0, .inactive = T0 + 5, .remove = T0 + 50}, rsa),
                csk({.publish = T0, .activate = T0}, rsa, dnssec::kFlagsZsk),
                csk({.publish = T0 + 100, .activate = T0})},
               T0 + 10),
      Catch::Contains("no KSK/CSK is active"));
}

TEST_CASE("key policy: a configured algorithm other than the keys' starts an algorithm roll",
          "[key_schedule]") {
  KeyPolicy p;
  p.mode = KeyPolicy::Mode::CskRoll;
  p.algorithm = dnssec::Algorithm::ECDSAP256SHA256;
  short_timing(p, 1);
  const DnssecKey old = csk({.publish = T0, .activate = T0}, dnssec::Algorithm::RSASHA256);
  const std::time_t now = T0 + 1000;
  // manual, or no algorithm asked: nothing
  KeyPolicy manual = p;
  manual.mode = KeyPolicy::Mode::Manual;
  CHECK(plan_algorithm_roll({old}, now, manual, {}).roll_from.empty());
  // the keys have the algorithm already: nothing
  CHECK(plan_algorithm_roll({csk({.publish = T0, .activate = T0})}, now, p, {}).roll_from.empty());
  // another roll under way: waits for its old key to leave
  const DnssecKey leaving =
      csk({.publish = T0, .activate = T0, .inactive = now + 10, .remove = now + 20},
          dnssec::Algorithm::RSASHA256);
  const AlgorithmRollStep wait = plan_algorithm_roll({old, leaving}, now, p, {});
  CHECK(wait.roll_from.empty());
  CHECK_THAT(wait.waiting, Catch::Contains("waits for the roll under way"));
  // due: written into the folder, then served step by step
  const AlgorithmRollStep due = plan_algorithm_roll({old}, now, p, {});
  REQUIRE(due.roll_from == std::vector<size_t>{0});
  CHECK(due.timing.start == now);
  TempDir dir("algroll");
  dnssec::store_key(old, dir.path.string());
  const auto made = write_algorithm_roll(dir.path.string(), {old}, due, *p.algorithm, now);
  REQUIRE(made.size() == 1);
  CHECK(made[0].algorithm == dnssec::Algorithm::ECDSAP256SHA256);
  const auto keys = dnssec::load_keys(dir.path.string(), kZone, false);
  REQUIRE(keys.size() == 2);
  const std::vector<uint16_t> o{old.tag}, n{made[0].tag}, both = sorted({old.tag, made[0].tag});
  CHECK(tags(key_set_at(keys, now).dnskeys) == o);
  CHECK(tags(key_set_at(keys, now).signing) == both);
  CHECK(tags(key_set_at(keys, due.timing.publish).dnskeys) == both);
  CHECK(tags(key_set_at(keys, due.timing.sync).cds) == n);
  CHECK(tags(key_set_at(keys, due.timing.remove).dnskeys) == n);
  CHECK(tags(key_set_at(keys, due.timing.retire).signing) == n);
  // under way: no second algorithm roll, and the timeline shows the keys' own steps
  CHECK(plan_algorithm_roll(keys, now + 1, p, {}).roll_from.empty());
  CHECK(plan_key_roll(keys, now + 1, p, {}, KeyRole::Csk).roll_from == std::nullopt);
}
