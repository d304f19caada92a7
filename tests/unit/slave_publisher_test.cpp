// Publisher: what ends up on disk when a large zone's file is written after its publication.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "slave/publisher.hpp"
#include "slave/state.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using namespace flatsign::slave;

namespace {

using TempDir = flatsign::testing::TempDir;

// A zone above the size whose file is written after the swap, with `address` at www.
std::shared_ptr<const zone::Zone> large_zone(uint32_t master_serial, const std::string& address) {
  std::vector<std::string> lines = {
      "@ 3600 SOA ns1 hostmaster " + std::to_string(master_serial) + " 7200 3600 1209600 300",
      "@ 3600 NS ns1", "ns1 3600 A 192.0.2.53", "www 3600 A " + address};
  for (int i = 0; i < 2500; ++i)
    lines.push_back("h" + std::to_string(i) + " 3600 A 198.51.100." + std::to_string(i % 250));
  return testing::build(lines);
}

CheckResult accepted(std::shared_ptr<const zone::Zone> z) {
  const uint32_t serial = z->serial();
  return CheckResult{Verdict::Accepted, "", std::move(z), {}, serial};
}

}  // namespace

TEST_CASE("publisher: a large zone's file ends at the newest publication, written after the swap",
          "[slave]") {
  const bool shrink = GENERATE(false, true);
  TempDir dir("publisher");
  PublisherConfig config;
  config.zone = dns::Name::parse("example.");
  config.state_dir = dir.path;
  config.sign_threads = 1;
  std::optional<uint32_t> last;
  {
    Publisher p(config);
    p.start_up();
    if (shrink) {
      // Each background write waits a while: the small version below is published meanwhile.
      p.set_on_background_write(
          [] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); });
    }
    REQUIRE(p.handle(accepted(large_zone(1, "192.0.2.1")), "test"));
    // Later publications come faster than their files are written: the one waiting is replaced.
    for (int i = 2; i <= 5; ++i)
      REQUIRE(p.handle(accepted(large_zone(i, "192.0.2." + std::to_string(i))), "test"));
    if (shrink) {
      // Below the size written after the swap: its file is written at once, and no larger
      // version's file still on its way may land after it.
      REQUIRE(
          p.handle(accepted(testing::build(testing::with_apex({"www 3600 A 192.0.2.6"}))), "test"));
    }
    last = p.last_serial();
    REQUIRE(last);
    REQUIRE(p.served_signed()->serial() == *last);
  }  // the destructor waits for the writer
  auto on_disk = load_signed_zone(dir.path, config.zone);
  REQUIRE(on_disk);
  CHECK(on_disk->serial() == *last);
  CHECK(load_last_serial(dir.path, config.zone, on_disk.get()) == last);
  // No temporary file is left beside it.
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("publisher: a step with more new signatures than the journal holds is not journaled",
          "[slave][journal]") {
  TempDir dir("publisher");
  PublisherConfig config;
  config.zone = dns::Name::parse("example.");
  config.state_dir = dir.path;
  config.sign_threads = 1;
  config.journal.max_bytes = 20000;  // about 200 new signatures
  Publisher p(config);
  p.start_up();
  REQUIRE(p.handle(accepted(large_zone(1, "192.0.2.1")), "test"));
  REQUIRE(p.handle(accepted(large_zone(2, "192.0.2.2")), "test"));  // one RRset re-signed
  REQUIRE(p.served_journal()->entries.size() == 1);
  // Every host's address changes: 2,500 RRsets signed again, far over the limit.
  std::vector<std::string> lines = {"@ 3600 SOA ns1 hostmaster 3 7200 3600 1209600 300",
                                    "@ 3600 NS ns1", "ns1 3600 A 192.0.2.53",
                                    "www 3600 A 192.0.2.3"};
  for (int i = 0; i < 2500; ++i)
    lines.push_back("h" + std::to_string(i) + " 3600 A 203.0.113." + std::to_string(i % 250));
  REQUIRE(p.handle(accepted(testing::build(lines)), "test"));
  CHECK(p.served_journal()->empty());
  CHECK(std::filesystem::file_size(journal_path(dir.str(), config.zone)) == 0);
  // The next small step starts the journal again.
  lines[3] = "www 3600 A 192.0.2.4";
  lines[0] = "@ 3600 SOA ns1 hostmaster 4 7200 3600 1209600 300";
  REQUIRE(p.handle(accepted(testing::build(lines)), "test"));
  REQUIRE(p.served_journal()->entries.size() == 1);
  CHECK(p.served_journal()->last_serial() == p.last_serial());
}
