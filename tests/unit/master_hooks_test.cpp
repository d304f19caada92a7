// The master's hooks and kept serials: one alert per ALIAS state change (pending is quiet, a
// recovery only follows an alert), the alert document's fields, and the serial file's round
// trip with a digest that ignores the SOA serial but sees the content.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "master/master_hooks.hpp"
#include "master/serial_store.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;

namespace {
master::Expansion one(master::AliasResult a) {
  a.owner = Name::parse("www.example.");
  a.target = Name::parse("t.example.net.");
  master::Expansion ex;
  ex.aliases.push_back(std::move(a));
  return ex;
}
master::AliasResult ok() {
  master::AliasResult a;
  a.a = {dns::Rdata{192, 0, 2, 1}};
  return a;
}
master::AliasResult failing(bool stale, bool expiring = false) {
  master::AliasResult a = ok();
  a.failure = "SERVFAIL: t.example.net. A: SERVFAIL";
  a.stale = stale;
  a.stale_expiring = expiring;
  if (!stale) a.a.clear();
  return a;
}
master::AliasResult negative(unsigned checks, unsigned after) {
  master::AliasResult a = ok();
  a.failure = "NXDOMAIN: t.example.net. A: NXDOMAIN";
  a.stale = true;
  a.negative_checks = checks;
  a.dangling = checks >= after;
  a.dangling_pending = !a.dangling;
  return a;
}
std::vector<std::string> verdicts(const std::vector<master::AliasAlert>& v) {
  std::vector<std::string> out;
  for (const auto& a : v) out.push_back(a.verdict);
  return out;
}
}  // namespace

TEST_CASE("master alerts: one per state change, stale to expiring to failed to recovered",
          "[master]") {
  master::AliasAlertTracker t;
  CHECK(t.update(one(ok())).empty());
  CHECK(verdicts(t.update(one(failing(true)))) == std::vector<std::string>{"alias-stale"});
  CHECK(t.update(one(failing(true))).empty());  // the same state again: nothing
  CHECK(verdicts(t.update(one(failing(true, true)))) ==
        std::vector<std::string>{"alias-stale-expiring"});
  CHECK(verdicts(t.update(one(failing(false)))) == std::vector<std::string>{"alias-failed"});
  CHECK(verdicts(t.update(one(ok()))) == std::vector<std::string>{"alias-recovered"});
  CHECK(t.update(one(ok())).empty());
}

TEST_CASE("master alerts: NXDOMAIN is quiet until dangling, then one alert and one recovery",
          "[master]") {
  master::AliasAlertTracker t;
  CHECK(t.update(one(ok())).empty());
  CHECK(t.update(one(negative(1, 3))).empty());
  CHECK(t.update(one(negative(2, 3))).empty());
  CHECK(t.update(one(ok())).empty());  // back before it dangled: nothing was told
  CHECK(t.update(one(negative(1, 3))).empty());
  CHECK(t.update(one(negative(2, 3))).empty());
  auto alerts = t.update(one(negative(3, 3)));
  REQUIRE(verdicts(alerts) == std::vector<std::string>{"alias-dangling"});
  CHECK(t.update(one(negative(4, 3))).empty());
  const std::string doc =
      master::alert_json(Name::parse("example."), alerts[0], master::AliasFailurePolicy::Strict, 7);
  for (const char* want :
       {"\"verdict\":\"alias-dangling\"", "\"alias\":\"www.example.\"",
        "\"target\":\"t.example.net.\"", "\"policy\":\"strict\"", "\"checks\":3", "\"serial\":7",
        "\"daemon\":\"flatsign-master\"", "last good addresses kept"})
    CHECK(doc.find(want) != std::string::npos);
  CHECK(verdicts(t.update(one(ok()))) == std::vector<std::string>{"alias-recovered"});
}

TEST_CASE("kept serial: round trip, digest ignores the SOA serial only, bad file refused",
          "[master]") {
  const auto dir = std::filesystem::temp_directory_path() / "flatsign-serial-store-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const Name origin = Name::parse("Example.");
  CHECK_FALSE(master::read_stored_serial(dir.string(), origin));
  auto z1 = testing::build(
      {"@ 3600 SOA ns1 host 7 7200 3600 1209600 300", "@ 3600 NS ns1", "www 600 A 192.0.2.1"});
  auto z2 = testing::build(
      {"@ 3600 SOA ns1 host 8 7200 3600 1209600 300", "@ 3600 NS ns1", "www 600 A 192.0.2.1"});
  auto z3 = testing::build(
      {"@ 3600 SOA ns1 host 7 7200 3600 1209600 300", "@ 3600 NS ns1", "www 600 A 192.0.2.2"});
  CHECK(master::content_digest(*z1) == master::content_digest(*z2));
  CHECK(master::content_digest(*z1) != master::content_digest(*z3));
  master::write_stored_serial(dir.string(), origin, {4000000000u, master::content_digest(*z1)});
  CHECK(master::serial_path(dir.string(), origin) == (dir / "example.serial").string());
  auto back = master::read_stored_serial(dir.string(), origin);
  REQUIRE(back);
  CHECK(back->serial == 4000000000u);
  CHECK(back->digest == master::content_digest(*z1));
  std::ofstream(dir / "example.serial") << "serial x\n";
  CHECK_THROWS_WITH(master::read_stored_serial(dir.string(), origin),
                    Catch::Contains("example.serial"));
  std::filesystem::remove_all(dir);
}
