// The slave's configuration: globals, [[zone]] tables over them, the command line over the
// file's globals, the one-zone flat form, and every refusal naming the file, line, zone and key.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "slave/config.hpp"

using namespace flatsign;
using slave::ConfigError;
using slave::ConfigSource;
using slave::load_slave_config;

namespace {
struct TempFile {
  std::string dir, path;
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/flatsign-config-test-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/slave.conf";
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove_all(dir); }
};

std::string refusal(const ConfigSource& src) {
  try {
    (void)load_slave_config(src);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("slave config: [[zone]] tables override the globals, zone by zone", "[slave]") {
  TempFile f(R"(
listen = ["127.0.0.1:5399"]
master = ["127.0.0.1:5300"]
state-dir = "/tmp/flatsign-state"
algorithm = "ecdsap256sha256"
poll-interval = "2m"

[[zone]]
name = "a.test"

[[zone]]
name = "b.test."
denial = "nsec3"
algorithm = "ed25519"
master = ["127.0.0.1:5301", "[::1]:5302"]
poll-interval = 5
allow-transfer = ["192.0.2.0/24"]
)");
  auto c = load_slave_config({f.path, {}, {}});
  REQUIRE(c.zones.size() == 2);
  const auto& a = c.zones[0];
  const auto& b = c.zones[1];
  CHECK(a.publisher.zone.to_string() == "a.test.");
  CHECK(a.publisher.state_dir == "/tmp/flatsign-state/a.test");
  CHECK(a.publisher.algorithm == dnssec::Algorithm::ECDSAP256SHA256);
  CHECK(a.publisher.denial.mode == dnssec::DenialMode::Nsec);
  CHECK(a.poll_interval == std::chrono::minutes(2));
  CHECK(a.masters.size() == 1);
  CHECK(b.publisher.algorithm == dnssec::Algorithm::ED25519);
  CHECK(b.publisher.denial.mode == dnssec::DenialMode::Nsec3);
  CHECK(b.poll_interval == std::chrono::seconds(5));
  CHECK(b.masters.size() == 2);
  CHECK(b.masters[1].address().is_v6());
  CHECK(b.allow_transfer.allows(boost::asio::ip::make_address("192.0.2.9")));
  CHECK_FALSE(b.allow_transfer.allows(boost::asio::ip::make_address("127.0.0.1")));
  CHECK(a.settings != b.settings);
  CHECK(c.listen.size() == 1);
  CHECK(c.listen[0].port() == 5399);
}

TEST_CASE("slave config: the command line overrides the file's globals", "[slave]") {
  TempFile f(
      "master = \"127.0.0.1:5300\"\nstate-dir = \"/tmp/s\"\nzone = [\"a.test\", \"b.test\"]\n"
      "denial = \"nsec3\"\n");
  ConfigSource src{f.path, {{"denial", {"nsec"}}}, {"c.test"}};
  auto c = load_slave_config(src);
  REQUIRE(c.zones.size() == 3);
  for (const auto& z : c.zones) CHECK(z.publisher.denial.mode == dnssec::DenialMode::Nsec);
  CHECK(c.zones[0].publisher.zone.to_string() == "c.test.");  // command-line zones first
}

TEST_CASE("slave config: the one-zone flat form of earlier configs still loads", "[slave]") {
  TempFile f(
      "listen = \"127.0.0.1:5302\"\nzone = \"example.test\"\nmaster = \"127.0.0.1:53\"\n"
      "state-dir = \"/tmp/s\"\npoll-interval = 1\nlog-level = \"debug\"\n");
  auto c = load_slave_config({f.path, {}, {}});
  REQUIRE(c.zones.size() == 1);
  CHECK(c.zones[0].poll_interval == std::chrono::seconds(1));
  CHECK(c.log_level == "debug");
}

TEST_CASE("slave config: refusals name the file, the line, the zone and the option", "[slave]") {
  SECTION("the same zone twice") {
    TempFile f(
        "master = [\"127.0.0.1:1\"]\nstate-dir = \"/s\"\n[[zone]]\nname = \"a.test\"\n"
        "[[zone]]\nname = \"A.test.\"\n");
    const std::string why = refusal({f.path, {}, {}});
    CHECK(why.find(f.path + ":5: zone A.test. is already configured at " + f.path + ":3") !=
          std::string::npos);
  }
  SECTION("an unknown option and a global one inside a zone") {
    TempFile f(
        "master = [\"127.0.0.1:1\"]\nstate-dir = \"/s\"\nfrobnicate = 1\n[[zone]]\n"
        "name = \"a.test\"\nlisten = [\"127.0.0.1:1\"]\n");
    const std::string why = refusal({f.path, {}, {}});
    CHECK(why.find(f.path + ":3: frobnicate: unknown option") != std::string::npos);
    CHECK(why.find("listen: is a global option") != std::string::npos);
  }
  SECTION("a bad value in one zone") {
    TempFile f(
        "master = [\"127.0.0.1:1\"]\nstate-dir = \"/s\"\n[[zone]]\nname = \"a.test\"\n"
        "[[zone]]\nname = \"b.test\"\nalgorithm = \"rot13\"\n");
    const std::string why = refusal({f.path, {}, {}});
    CHECK(why.find(f.path + ":7: zone b.test.: algorithm: \"rot13\" unsupported") !=
          std::string::npos);
  }
  SECTION("TOML syntax") {
    TempFile f("master = [\"127.0.0.1:1\"\n");
    CHECK(refusal({f.path, {}, {}}).find(f.path + ":") == 0);
  }
  SECTION("no zone, no master, no state directory") {
    TempFile f("log-level = \"info\"\n");
    CHECK(refusal({f.path, {}, {}}).find("no zone configured") != std::string::npos);
    const std::string why = refusal({"", {}, {"a.test"}});
    CHECK(why.find("zone a.test.: master: no master given") != std::string::npos);
    CHECK(why.find("state-dir: not set") != std::string::npos);
  }
}

TEST_CASE("slave config: each zone's TSIG key, by name when several are known", "[slave]") {
  TempFile keys(
      "key \"k1\" {\n algorithm hmac-sha256;\n secret \"c2VjcmV0MQ==\";\n};\n"
      "key \"k2\" {\n algorithm hmac-sha256;\n secret \"c2VjcmV0Mg==\";\n};\n");
  const std::string keyfile = keys.path;
  TempFile f("master = [\"127.0.0.1:1\"]\nstate-dir = \"/s\"\ntsig-file = \"" + keyfile +
             "\"\ntsig-key = \"k1\"\n[[zone]]\nname = \"a.test\"\n[[zone]]\nname = \"b.test\"\n"
             "tsig-key = \"k2\"\n");
  auto c = load_slave_config({f.path, {}, {}});
  CHECK(c.keys.size() == 2);
  CHECK(c.zones[0].transfer.key->name.to_string() == "k1.");
  CHECK(c.zones[1].transfer.key->name.to_string() == "k2.");
  TempFile g("master = [\"127.0.0.1:1\"]\nstate-dir = \"/s\"\ntsig-file = \"" + keyfile +
             "\"\nzone = \"a.test\"\n");
  CHECK(refusal({g.path, {}, {}}).find("2 TSIG keys are known: name the zone's key") !=
        std::string::npos);
}

TEST_CASE("slave config: secondaries' own transfer keys, and the key of each NOTIFY", "[slave]") {
  TempFile keys(
      "key \"master-key\" {\n algorithm hmac-sha256;\n secret \"c2VjcmV0MQ==\";\n};\n"
      "key \"sec-a\" {\n algorithm hmac-sha256;\n secret \"c2VjcmV0Mg==\";\n};\n"
      "key \"sec-b\" {\n algorithm hmac-sha256;\n secret \"c2VjcmV0Mw==\";\n};\n");
  const std::string head = "master = [\"127.0.0.1:1\"]\nstate-dir = \"/s\"\ntsig-file = \"" +
                           keys.path + "\"\ntsig-key = \"master-key\"\n";
  TempFile f(head +
             "[[zone]]\nname = \"a.test\"\ntransfer-key = [\"sec-a\", \"sec-b\"]\n"
             "notify = [\"127.0.0.1:5400 key sec-b\"]\n"
             "[[zone]]\nname = \"b.test\"\ntransfer-key = \"sec-a\"\nnotify = \"127.0.0.1:5401\"\n"
             "[[zone]]\nname = \"c.test\"\nnotify = \"127.0.0.1:5402\"\n");
  auto c = load_slave_config({f.path, {}, {}});
  REQUIRE(c.zones.size() == 3);
  const auto& a = c.zones[0];
  REQUIRE(a.transfer_keys.size() == 2);
  CHECK(a.transfer_keys[1].to_string() == "sec-b.");
  REQUIRE(a.notify.size() == 1);
  CHECK(a.notify[0].to.port() == 5400);
  CHECK(a.notify[0].key->name.to_string() == "sec-b.");
  // The zone's one secondary key signs its NOTIFYs; without any, the masters' key does.
  CHECK(c.zones[1].notify[0].key->name.to_string() == "sec-a.");
  CHECK(c.zones[2].transfer_keys.empty());
  CHECK(c.zones[2].notify[0].key->name.to_string() == "master-key.");

  TempFile same(head + "zone = \"a.test\"\ntransfer-key = \"master-key\"\n");
  CHECK(refusal({same.path, {}, {}}).find("is the key shared with the masters") !=
        std::string::npos);
  TempFile unknown(head + "zone = \"a.test\"\ntransfer-key = \"nobody\"\n");
  CHECK(refusal({unknown.path, {}, {}}).find("transfer-key: no key named \"nobody\"") !=
        std::string::npos);
  TempFile which(head +
                 "zone = \"a.test\"\ntransfer-key = [\"sec-a\", \"sec-b\"]\n"
                 "notify = \"127.0.0.1:5400\"\n");
  CHECK(refusal({which.path, {}, {}}).find("several transfer-keys: name this secondary's") !=
        std::string::npos);
  TempFile bad(head + "zone = \"a.test\"\nnotify = \"127.0.0.1:5400 sec-a\"\n");
  CHECK(refusal({bad.path, {}, {}}).find("expected ADDRESS[:PORT] [key NAME]") !=
        std::string::npos);
}

TEST_CASE("slave config: rate limiting and cookie options", "[slave]") {
  TempFile f(R"(
master = ["127.0.0.1:5300"]
state-dir = "/tmp/flatsign-state"
zone = "a.test"
rrl-rate = 50
rrl-exempt = ["10.0.0.0/8", "2001:db8::/32"]
cookie-secret-file = "/etc/flatsign/cookie.secret"
)");
  auto c = load_slave_config({f.path, {{"rrl-slip", {"3"}}}, {}});
  CHECK(c.rrl.rate == 50);
  CHECK(c.rrl.slip == 3);
  CHECK(c.rrl.ipv4_prefix == 24);  // defaults
  CHECK(c.rrl.ipv6_prefix == 56);
  REQUIRE(c.rrl.exempt.size() == 2);
  CHECK(c.rrl.exempt[1].length == 32);
  CHECK(c.cookie_secret_file == "/etc/flatsign/cookie.secret");
  auto d = load_slave_config({f.path, {{"rrl-rate", {"0"}}}, {}});
  CHECK(d.rrl.rate == 0);
  CHECK(d.zones[0].settings == c.zones[0].settings);  // not zone settings: no zone restarts
  CHECK_THAT(refusal({f.path, {{"rrl-ipv4-prefix", {"33"}}}, {}}),
             Catch::Contains("rrl-ipv4-prefix"));
  CHECK_THAT(refusal({f.path, {{"rrl-exempt", {"10.0.0.0/99"}}}, {}}),
             Catch::Contains("rrl-exempt"));
}

TEST_CASE("slave config: transfer caps and signature timing, per zone", "[slave]") {
  TempFile f(R"(
master = ["127.0.0.1:5300"]
state-dir = "/tmp/flatsign-state"
max-transfer-octets = 5000000

[[zone]]
name = "a.test"

[[zone]]
name = "b.test"
max-transfer-messages = 100
signature-validity = "2d"
signature-refresh = "1d"
)");
  auto c = load_slave_config({f.path, {}, {}});
  REQUIRE(c.zones.size() == 2);
  const auto& a = c.zones[0];
  const auto& b = c.zones[1];
  CHECK(a.transfer.limits.max_messages == 1'000'000);
  CHECK(a.transfer.limits.max_octets == 5'000'000);
  CHECK(a.publisher.signature_validity == 14 * 86400);
  CHECK(a.publisher.signature_refresh == 7 * 86400);
  CHECK(b.transfer.limits.max_messages == 100);
  CHECK(b.transfer.limits.max_octets == 5'000'000);
  CHECK(b.publisher.signature_validity == 2 * 86400);
  CHECK(b.publisher.signature_refresh == 86400);
  CHECK(a.settings != b.settings);
  // Unset, the slave derives the timing from the zone (signature_margin.hpp).
  CHECK_FALSE(a.signature_timing_set);
  CHECK(b.signature_timing_set);

  TempFile bad(
      "master = [\"127.0.0.1:1\"]\nstate-dir = \"/s\"\n[[zone]]\nname = \"a.test\"\n"
      "signature-validity = 100\nsignature-refresh = 60\n");
  CHECK(refusal({bad.path, {}, {}})
            .find("signature-refresh: must be from 1 s to half of "
                  "signature-validity") != std::string::npos);
}

TEST_CASE("slave config: the review hook, global and per zone", "[slave]") {
  TempFile f(R"(
master = ["127.0.0.1:5300"]
state-dir = "/tmp/flatsign-state"
review = "/usr/local/bin/review-zone"

[[zone]]
name = "a.test"

[[zone]]
name = "b.test"
review = ""

[[zone]]
name = "c.test"
review-timeout = "30s"
review-on-timeout = "publish"
)");
  auto c = load_slave_config({f.path, {}, {}});
  REQUIRE(c.zones.size() == 3);
  CHECK(c.zones[0].review.command == "/usr/local/bin/review-zone");
  CHECK(c.zones[0].review.timeout == std::chrono::seconds(10));
  CHECK_FALSE(c.zones[0].review.publish_on_timeout);
  CHECK(c.zones[1].review.command.empty());
  CHECK(c.zones[2].review.timeout == std::chrono::seconds(30));
  CHECK(c.zones[2].review.publish_on_timeout);

  TempFile bad(
      "master = [\"127.0.0.1:1\"]\nstate-dir = \"/s\"\n[[zone]]\nname = \"a.test\"\n"
      "review-on-timeout = \"maybe\"\n");
  CHECK(refusal({bad.path, {}, {}}).find("review-on-timeout") != std::string::npos);
}
