// The slave's serial policies (RFC 1982, never backwards) and its state directory: keys made
// once, never silently regenerated for a published zone, signatures stripped back to content.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "common/dnssec/zone_signer.hpp"
#include "slave/serial.hpp"
#include "slave/state.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using slave::next_serial;
using slave::SerialPolicy;

namespace {
using TempDir = flatsign::testing::TempDir;

}  // namespace

TEST_CASE("serial: increment starts at 1 and wraps past 0 (RFC 1982 §3.1)", "[slave]") {
  CHECK(next_serial(SerialPolicy::Increment, std::nullopt, 0) == 1);
  CHECK(next_serial(SerialPolicy::Increment, 41, 0) == 42);
  CHECK(next_serial(SerialPolicy::Increment, 0xffffffffu, 0) == 1);
}

TEST_CASE("serial: unixtime and dateserial never go backwards", "[slave]") {
  const std::time_t t = 1763900000;  // 2025-11-23
  CHECK(next_serial(SerialPolicy::UnixTime, 5, t) == uint32_t(t));
  CHECK(next_serial(SerialPolicy::UnixTime, uint32_t(t) + 10, t) == uint32_t(t) + 11);
  CHECK(next_serial(SerialPolicy::DateSerial, std::nullopt, t) == 2025112300u);
  CHECK(next_serial(SerialPolicy::DateSerial, 2025112300u, t) == 2025112301u);
  CHECK(next_serial(SerialPolicy::DateSerial, 2030010100u, t) == 2030010101u);
}

TEST_CASE("serial: RFC 1982 comparison", "[slave]") {
  CHECK(slave::serial_gt(2, 1));
  CHECK(slave::serial_gt(1, 0xffffffffu));
  CHECK_FALSE(slave::serial_gt(1, 2));
  CHECK_FALSE(slave::serial_gt(0x80000000u, 0));  // undefined pair
}

TEST_CASE("state: keys are generated once and missing keys of a published zone are an error",
          "[slave]") {
  TempDir dir("slave");
  const auto zone = dns::Name::parse("example.");
  auto keys = slave::load_or_create_keys(dir.path, zone, dnssec::Algorithm::ED25519);
  REQUIRE(keys.size() == 1);
  auto again = slave::load_or_create_keys(dir.path, zone, dnssec::Algorithm::ED25519);
  REQUIRE(again.size() == 1);
  CHECK(again[0].tag == keys[0].tag);

  slave::store_last_serial(dir.path, zone, 7);
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    if (e.path().filename().string().starts_with("K")) std::filesystem::remove(e.path());
  CHECK_THROWS_AS(slave::load_or_create_keys(dir.path, zone, dnssec::Algorithm::ED25519),
                  slave::StateError);
}

TEST_CASE("state: a corrupt key file is an error, never a new key", "[slave]") {
  TempDir dir("slave");
  const auto zone = dns::Name::parse("example.");
  auto keys = slave::load_or_create_keys(dir.path, zone, dnssec::Algorithm::ED25519);
  std::ofstream(dir.str() + "/" + keys[0].file_base() + ".private") << "garbage\n";
  CHECK_THROWS_AS(slave::load_or_create_keys(dir.path, zone, dnssec::Algorithm::ED25519),
                  slave::StateError);
}

TEST_CASE("state: serial file and signed zone, the larger serial wins", "[slave]") {
  TempDir dir("slave");
  const auto zone = dns::Name::parse("example.");
  CHECK_FALSE(slave::load_last_serial(dir.path, zone, nullptr));
  slave::store_last_serial(dir.path, zone, 12);
  CHECK(slave::load_last_serial(dir.path, zone, nullptr) == 12u);
  auto z = testing::build({"@ 300 SOA ns1 h 20 1 1 1 1", "@ 300 NS ns1", "ns1 300 A 192.0.2.1"});
  CHECK(slave::load_last_serial(dir.path, zone, z.get()) == 20u);
}

TEST_CASE("state: stripping a signed zone gives back its content", "[slave]") {
  TempDir dir("slave");
  const auto zone = dns::Name::parse("example.");
  auto keys = slave::load_or_create_keys(dir.path, zone, dnssec::Algorithm::ED25519);
  auto z = testing::build({"@ 300 SOA ns1 h 20 1 1 1 1", "@ 300 NS ns1", "ns1 300 A 192.0.2.1",
                           "www 300 AAAA 2001:db8::1"});
  dnssec::ZoneSigner signer(keys, {});
  auto signed_zone = signer.sign_full(*z).zone;
  auto back = slave::strip_signatures(*signed_zone);
  CHECK(zone::diff_zones(*z, *back).empty());
  auto bumped = slave::with_serial(*back, 21);
  CHECK(bumped->serial() == 21u);
}

TEST_CASE("state: each zone has its own folder; the one-folder layout is moved into it",
          "[slave]") {
  TempDir d("slave");
  const auto zone = dns::Name::parse("Example.TEST.");
  const std::string root = d.str() + "/state";  // missing: created
  // The one-folder layout of a single-zone slave: the zone's files beside other zones' files.
  std::filesystem::create_directories(root);
  for (const char* f : {"example.test.signed", "example.test.serial", "example.test.journal",
                        "Kexample.test.+013+12345.key", "Kexample.test.+013+12345.private",
                        "other.test.signed", "Kother.test.+013+11111.key"})
    std::ofstream(root + "/" + f) << "x";
  const std::string dir = slave::prepare_zone_state_dir(root, zone);
  CHECK(dir == root + "/example.test");
  for (const char* f : {"example.test.signed", "example.test.serial", "example.test.journal",
                        "Kexample.test.+013+12345.key", "Kexample.test.+013+12345.private"}) {
    CHECK(std::filesystem::exists(dir + "/" + f));
    CHECK_FALSE(std::filesystem::exists(root + "/" + f));
  }
  CHECK(std::filesystem::exists(root + "/other.test.signed"));
  CHECK(std::filesystem::exists(root + "/Kother.test.+013+11111.key"));
  CHECK((std::filesystem::status(dir).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms::owner_all);
  // Again: nothing left to move, nothing changes.
  CHECK(slave::prepare_zone_state_dir(root, zone) == dir);
  // A file in both places is the operator's call, not ours.
  std::ofstream(root + "/example.test.serial") << "y";
  CHECK_THROWS_AS(slave::prepare_zone_state_dir(root, zone), slave::StateError);
}

TEST_CASE("state: a fresh zone folder gets a key instead of a misleading key error", "[slave]") {
  TempDir d("slave");
  const auto zone = dns::Name::parse("new.test.");
  bool created = false;
  const std::string dir = slave::prepare_zone_state_dir(d.str() + "/a/b", zone, nullptr, &created);
  CHECK(created);
  auto keys = slave::load_or_create_keys(dir, zone, dnssec::Algorithm::ECDSAP256SHA256, nullptr, "",
                                         false, created);
  CHECK(keys.size() == 1);
  // The next start finds the folder and the key it holds.
  CHECK(slave::prepare_zone_state_dir(d.str() + "/a/b", zone, nullptr, &created) == dir);
  CHECK_FALSE(created);
  auto again = slave::load_or_create_keys(dir, zone, dnssec::Algorithm::ECDSAP256SHA256, nullptr,
                                          "", false, created);
  REQUIRE(again.size() == 1);
  CHECK(again[0].tag == keys[0].tag);
}

TEST_CASE("state: keys copied to the top of a new slave's state directory are moved in",
          "[slave]") {
  TempDir d("slave");
  const auto zone = dns::Name::parse("copied.test.");
  // An operator copied another slave's key before the first start (no .signed, no folder yet).
  std::ofstream(d.str() + "/Kcopied.test.+013+4242.key") << "x";
  std::ofstream(d.str() + "/Kcopied.test.+013+4242.private") << "x";
  const auto listing = slave::list_state_root(d.path);
  const std::string dir = slave::prepare_zone_state_dir(d.path, zone, &listing);
  CHECK(std::filesystem::exists(dir + "/Kcopied.test.+013+4242.key"));
  CHECK(std::filesystem::exists(dir + "/Kcopied.test.+013+4242.private"));
  CHECK_FALSE(std::filesystem::exists(d.str() + "/Kcopied.test.+013+4242.key"));
  // Made now but not empty: its keys are read, none generated.
  bool created = true;
  const auto zone2 = dns::Name::parse("copied2.test.");
  std::ofstream(d.str() + "/Kcopied2.test.+013+4243.key") << "x";
  const auto listing2 = slave::list_state_root(d.path);
  (void)slave::prepare_zone_state_dir(d.path, zone2, &listing2, &created);
  CHECK_FALSE(created);
}
