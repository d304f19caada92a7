// The parent DS check: which DS RRsets name the successors, when a retirement is held and how
// far, and the gate rewriting the old KSK's timing in the key folder until the DS is seen.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

#include "common/dnssec/key.hpp"
#include "slave/parent_ds_gate.hpp"
#include "tests/unit/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace flatsign;
using namespace flatsign::slave;
using dnssec::DnssecKey;

namespace {
const dns::Name kZone = dns::Name::parse("example.test.");
constexpr std::time_t T0 = 1'800'000'000;

using TempDir = flatsign::testing::TempDir;

DnssecKey key(dnssec::KeyTiming t, uint16_t flags = dnssec::kFlagsKsk) {
  DnssecKey k = dnssec::generate_key(kZone, dnssec::Algorithm::ECDSAP256SHA256, flags, T0);
  k.timing = t;
  return k;
}

KeyPolicy policy() {
  KeyPolicy p;
  p.mode = KeyPolicy::Mode::CskRoll;
  p.parent_ds_check = "127.0.0.1:5353";
  p.parent_ds_check_interval = 10;
  p.parent_ds_alert_after = 100;
  p.parent_ds_ttl = 30;
  p.retire_safety = 5;
  return p;
}
}  // namespace

TEST_CASE("parent DS: a DS set names the keys when each has a DS of its digest",
          "[parent_ds_gate]") {
  const DnssecKey a = key({}), b = key({});
  const auto da = a.ds_rdata(), db384 = b.ds_rdata(dnssec::DigestType::SHA384);
  CHECK(ds_names_keys(kZone, {da}, {a.dnskey_rdata()}));
  CHECK(ds_names_keys(kZone, {da, db384}, {a.dnskey_rdata(), b.dnskey_rdata()}));
  CHECK(!ds_names_keys(kZone, {da}, {a.dnskey_rdata(), b.dnskey_rdata()}));
  CHECK(!ds_names_keys(kZone, {}, {a.dnskey_rdata()}));
  CHECK(!ds_names_keys(kZone, {da}, {}));
  // the same key under another owner is another DS (RFC 4034 §5.1.4)
  CHECK(!ds_names_keys(dns::Name::parse("other.test."), {da}, {a.dnskey_rdata()}));
}

TEST_CASE("parent DS: a retirement is held while the DS lags, then until caches drop the old DS",
          "[parent_ds_gate]") {
  const KeyPolicy p = policy();
  // not seen, far from the planned Inactive: nothing moves, ask again in an interval
  RetireHold far = hold_retirement(T0 + 100, std::nullopt, 0, T0, p);
  CHECK(far.inactive == T0 + 100);
  CHECK(far.check_at == T0 + 10);
  // not seen, due within an interval: two intervals from now
  RetireHold near = hold_retirement(T0 + 5, std::nullopt, 0, T0, p);
  CHECK(near.inactive == T0 + 20);
  CHECK(near.check_at == T0 + 10);
  // seen in time: as planned, no more asking
  RetireHold ok = hold_retirement(T0 + 100, T0, 30, T0, p);
  CHECK(ok.inactive == T0 + 100);
  CHECK(ok.check_at == kNever);
  // seen late: the older DS RRset may be cached for its TTL (the larger of answer and policy)
  CHECK(hold_retirement(T0 + 5, T0, 10, T0, p).inactive == T0 + 30 + 5);
  CHECK(hold_retirement(T0 + 5, T0, 60, T0, p).inactive == T0 + 60 + 5);
}

TEST_CASE("parent DS gate: the old key's timing is moved while the DS lags, and alerted once",
          "[parent_ds_gate]") {
  TempDir dir("dsgate");
  const std::string d = dir.path.string();
  const KeyPolicy p = policy();
  // a CSK roll at its CDS switch: O signs until T0+50, N is in the CDS since T0
  DnssecKey o = key({.publish = T0 - 100,
                     .activate = T0 - 100,
                     .inactive = T0 + 50,
                     .remove = T0 + 80,
                     .sync_delete = T0});
  DnssecKey n = key({.publish = T0 - 50, .activate = T0 - 50, .sync_publish = T0});
  dnssec::store_key(o, d);
  dnssec::store_key(n, d);
  auto load = [&] { return dnssec::load_keys(d, kZone, false); };
  std::vector<std::string> alerts;
  auto alert = [&](const std::string& r, const std::string&) { alerts.push_back(r); };
  ParentDsGate gate;
  ParentDs old_ds{.at = T0, .answered = true, .ds = {o.ds_rdata()}, .ttl = 30, .detail = "old"};
  // early: nothing written, asked every interval
  CHECK(!gate.step(d, load(), T0 + 1, p, old_ds, alert));
  CHECK(gate.check_at() == T0 + 11);
  // the planned Inactive is an interval away and the DS still names O: held
  old_ds.at = T0 + 45;
  CHECK(gate.step(d, load(), T0 + 45, p, old_ds, alert));
  auto keys = load();
  auto find = [&](uint16_t tag) {
    return *std::find_if(keys.begin(), keys.end(),
                         [&](const DnssecKey& k) { return k.tag == tag; });
  };
  CHECK(find(o.tag).timing.inactive == T0 + 65);
  CHECK(find(o.tag).timing.remove == T0 + 95);  // moved by the same span
  CHECK(alerts.empty());
  // still lagging past parent-ds-alert-after: alerted once
  for (std::time_t t = T0 + 55; t <= T0 + 175; t += 10) {
    old_ds.at = t;
    (void)gate.step(d, load(), t, p, old_ds, alert);
  }
  CHECK(alerts == std::vector<std::string>{"parent-ds-lagging"});
  keys = load();
  CHECK(find(o.tag).timing.inactive == T0 + 195);
  CHECK(key_state_text(find(o.tag), T0 + 180).starts_with("active"));
  // the parent's DS names N: O retires once the older DS RRset has left the caches
  ParentDs new_ds{
      .at = T0 + 185, .answered = true, .ds = {n.ds_rdata()}, .ttl = 30, .detail = "new"};
  CHECK(gate.step(d, load(), T0 + 185, p, new_ds, alert));
  keys = load();
  CHECK(find(o.tag).timing.inactive == T0 + 185 + 30 + 5);
  CHECK(gate.check_at() == kNever);
  // a failed query changes nothing and keeps what was seen
  ParentDs none{.at = T0 + 190, .answered = false, .ds = {}, .ttl = 0, .detail = "timeout"};
  CHECK(!gate.step(d, load(), T0 + 190, p, none, alert));
  // manual policy or no resolver: no gate at all
  KeyPolicy off = p;
  off.parent_ds_check.clear();
  ParentDsGate idle;
  CHECK(!idle.step(d, load(), T0 + 200, off, old_ds, alert));
  CHECK(idle.check_at() == kNever);
}

TEST_CASE("parent DS gate: in an algorithm roll the old keys' removal waits, the old ZSK's too",
          "[parent_ds_gate]") {
  TempDir dir("dsgate-alg");
  const std::string d = dir.path.string();
  const KeyPolicy p = policy();
  const auto rsa = dnssec::Algorithm::RSASHA256;
  auto old_key = [&](uint16_t flags) {
    DnssecKey k = dnssec::generate_key(kZone, rsa, flags, T0);
    // Delete before Inactive: its signatures outlast its DNSKEY
    k.timing = {.publish = T0 - 100, .activate = T0 - 100, .inactive = T0 + 80, .remove = T0 + 50};
    if (k.is_sep()) k.timing.sync_delete = T0;
    return k;
  };
  const DnssecKey ok = old_key(dnssec::kFlagsKsk), oz = old_key(dnssec::kFlagsZsk);
  const DnssecKey nk = key({.publish = T0 - 50, .activate = T0 - 70, .sync_publish = T0});
  const DnssecKey nz = key({.publish = T0 - 50, .activate = T0 - 70}, dnssec::kFlagsZsk);
  for (const auto& k : {ok, oz, nk, nz}) dnssec::store_key(k, d);
  auto load = [&] { return dnssec::load_keys(d, kZone, false); };
  auto alert = [](const std::string&, const std::string&) {};
  ParentDsGate gate;
  ParentDs old_ds{
      .at = T0 + 45, .answered = true, .ds = {ok.ds_rdata()}, .ttl = 30, .detail = "old"};
  // the old keys' Delete is an interval away and the DS still names the old KSK: both held
  CHECK(gate.step(d, load(), T0 + 45, p, old_ds, alert));
  const auto keys = load();
  auto find = [&](uint16_t tag) {
    return *std::find_if(keys.begin(), keys.end(),
                         [&](const DnssecKey& k) { return k.tag == tag; });
  };
  for (uint16_t tag : {ok.tag, oz.tag}) {
    CHECK(find(tag).timing.remove == T0 + 65);
    CHECK(find(tag).timing.inactive == T0 + 95);  // moved by the same span
  }
  CHECK(find(nz.tag).timing.inactive == 0);
  CHECK(key_set_at(keys, T0 + 60).dnskeys.size() == 4);
}
