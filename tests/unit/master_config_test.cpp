// The master's configuration: globals, [[zone]] tables over them, the command line over the
// file's globals, the ORIGIN=PATH and ZONE=VALUE forms, and every refusal naming the file, line,
// zone and option.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "master/config.hpp"

using namespace flatsign;
using dns::Name;
using master::ConfigSource;
using master::load_master_config;

namespace {
struct TempFile {
  std::string dir, path;
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/flatsign-master-config-test-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/master.toml";
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove_all(dir); }
};

std::string refusal(const ConfigSource& src) {
  try {
    (void)load_master_config(src);
  } catch (const util::ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* kKey = "xfr-key:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";
const char* kKey2 = "other-key:hmac-sha256:b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXI=";
}  // namespace

TEST_CASE("master config: [[zone]] tables override the globals, zone by zone", "[master]") {
  TempFile f(std::string(R"(
listen = ["127.0.0.1:5399"]
resolver = ["127.0.0.1:5301"]
alias-failure = "stale"
min-serial-interval = 30
notify = ["127.0.0.1:5400"]
allow-transfer = ["10.0.0.0/8"]
tsig = [")") +
             kKey + "\", \"" + kKey2 + R"("]
catalog = "catalog.invalid"

[[zone]]
name = "a.test"
file = "/zones/a.test.zone"

[[zone]]
name = "b.test."
file = "/zones/b.test.zone"
alias-failure = "ignore"
alias-max-addresses = 8
min-refresh = "2m"
min-serial-interval = 0
notify = ["127.0.0.1:5401", "127.0.0.1:5402"]
allow-transfer = ["192.0.2.0/24"]
tsig-key = "other-key"
catalog-group = ["fast", "nsec3"]
catalog-coo = "new.invalid"
)");
  auto c = load_master_config({f.path, {}, {}});
  REQUIRE(c.zones.size() == 2);
  const auto& a = c.zones[0];
  const auto& b = c.zones[1];
  CHECK(a.origin == Name::parse("a.test."));
  CHECK(a.path == "/zones/a.test.zone");
  CHECK(a.min_serial_interval == std::chrono::seconds(30));
  CHECK(a.notify.size() == 1);
  CHECK(a.access->acl.allows(boost::asio::ip::make_address("10.1.2.3")));
  CHECK(a.access->requires_tsig);
  CHECK(a.access->keys.empty());  // no tsig-key: any key known may transfer
  CHECK(a.key->name == Name::parse("xfr-key."));
  CHECK(c.alias.of(a.origin).policy == master::AliasFailurePolicy::Stale);
  CHECK(c.alias.of(a.origin).max_addresses == 64);

  CHECK(b.min_serial_interval == std::chrono::seconds(0));
  CHECK(b.notify.size() == 2);
  CHECK(b.access->acl.allows(boost::asio::ip::make_address("192.0.2.9")));
  CHECK_FALSE(b.access->acl.allows(boost::asio::ip::make_address("10.1.2.3")));
  REQUIRE(b.access->keys.size() == 1);
  CHECK(b.access->keys[0] == Name::parse("other-key."));
  CHECK(b.key->name == Name::parse("other-key."));
  CHECK(c.alias.of(b.origin).policy == master::AliasFailurePolicy::Ignore);
  CHECK(c.alias.of(b.origin).max_addresses == 8);
  CHECK(c.alias.of(b.origin).min_refresh == std::chrono::minutes(2));
  CHECK(c.catalog.groups.at(b.origin) == std::vector<std::string>{"fast", "nsec3"});
  CHECK(c.catalog.coo.at(b.origin) == Name::parse("new.invalid."));
  CHECK(c.catalog.groups.count(a.origin) == 0);

  // The globals stay the defaults and the catalog's own settings.
  CHECK(c.alias.defaults.policy == master::AliasFailurePolicy::Stale);
  CHECK(c.notify.size() == 1);
  CHECK(c.listen.at(0).port() == 5399);
}

TEST_CASE("master config: the earlier forms keep working", "[master]") {
  // zone = ["ORIGIN=PATH"] and ZONE=VALUE lists, in the file and on the command line.
  TempFile f(R"(
zone = ["a.test=/zones/a", "b.test=/zones/b"]
resolver = ["127.0.0.1:5301"]
zone-min-refresh = ["a.test=30"]
catalog = "catalog.invalid"
catalog-group = ["a.test=fast"]
)");
  ConfigSource src{f.path, {}, {"c.test=/zones/c"}};
  src.command_line["catalog-group"] = {"c.test=slow", "a.test=second"};
  src.command_line["min-refresh"] = {"3"};
  auto c = load_master_config(src);
  REQUIRE(c.zones.size() == 3);
  CHECK(c.zones[0].origin == Name::parse("c.test."));  // the command line's come first
  CHECK(c.zones[0].path == "/zones/c");
  CHECK(c.zones[2].path == "/zones/b");
  CHECK(c.alias.of(Name::parse("a.test.")).min_refresh == std::chrono::seconds(30));
  CHECK(c.alias.of(Name::parse("b.test.")).min_refresh == std::chrono::seconds(3));
  CHECK(c.catalog.groups.at(Name::parse("a.test.")) == std::vector<std::string>{"fast", "second"});
  CHECK(c.catalog.groups.at(Name::parse("c.test.")) == std::vector<std::string>{"slow"});
}

TEST_CASE("master config: the command line overrides the file's globals, not zone tables",
          "[master]") {
  TempFile f(R"(
resolver = "127.0.0.1:5301"
alias-failure = "stale"

[[zone]]
name = "a.test"
file = "/a"

[[zone]]
name = "b.test"
file = "/b"
alias-failure = "strict"
)");
  ConfigSource src{f.path, {{"alias-failure", {"ignore"}}}, {}};
  auto c = load_master_config(src);
  CHECK(c.alias.of(Name::parse("a.test.")).policy == master::AliasFailurePolicy::Ignore);
  CHECK(c.alias.of(Name::parse("b.test.")).policy == master::AliasFailurePolicy::Strict);
}

TEST_CASE("master config: refusals name the file, line, zone and option", "[master]") {
  TempFile f(std::string(R"(resolver = ["127.0.0.1:5301"]
tsig = [")") +
             kKey + R"("]
alias-failure = "sometimes"
bogus = 1

[[zone]]
name = "a.test"
file = "/a"
alias-max-addresses = 0
tsig-key = "nope"
listen = ["127.0.0.1:1"]

[[zone]]
name = "a.test."
file = "/a2"

[[zone]]
name = "b.test"
min-serial-interval = "soon"
allow-transfer = ["10.0.0.0/40"]
catalog-group = "g"
)");
  const std::string path = f.path;
  std::string e = refusal({path, {}, {}});
  CHECK_THAT(e, Catch::Contains(path + ":3: alias-failure: \"sometimes\": expected strict, "
                                       "ignore or stale"));
  CHECK_THAT(e, Catch::Contains(path + ":4: bogus: unknown option"));
  CHECK_THAT(e, Catch::Contains(path + ":9: zone a.test.: alias-max-addresses: \"0\" is not a "
                                       "number from 1 to 100000"));
  CHECK_THAT(e, Catch::Contains(path + ":10: zone a.test.: tsig-key: no key named \"nope\""));
  CHECK_THAT(e, Catch::Contains(path + ":11: [[zone]] " + path +
                                ":6: listen: is a global option: set it outside the [[zone]] "
                                "tables"));
  CHECK_THAT(e,
             Catch::Contains(path + ":13: zone a.test. is already configured at " + path + ":6"));
  CHECK_THAT(e, Catch::Contains("default: zone b.test.: file: not set"));
  CHECK_THAT(e, Catch::Contains(path + ":19: zone b.test.: min-serial-interval: \"soon\" is not "
                                       "a duration"));
  CHECK_THAT(e, Catch::Contains(path + ":20: zone b.test.: allow-transfer: \"10.0.0.0/40\""));
  CHECK_THAT(e, Catch::Contains(path + ":21: zone b.test.: catalog-group: needs catalog"));
  // A bad global is reported once, not once more per zone that inherits it.
  CHECK(e.find("zone a.test.: alias-failure") == std::string::npos);
}

TEST_CASE("master config: a file that is not TOML, and zones missing", "[master]") {
  TempFile f("listen = 127.0.0.1:5300\n");  // the INI form CLI11 accepted: unquoted values
  CHECK_THAT(refusal({f.path, {}, {}}), Catch::StartsWith(f.path + ":1:"));
  TempFile empty("resolver = \"127.0.0.1\"\n");
  CHECK_THAT(refusal({empty.path, {}, {}}), Catch::Contains("no zone configured"));
  TempFile global_file("resolver = \"127.0.0.1\"\nfile = \"/a\"\nzone = \"a.test=/a\"\n");
  CHECK_THAT(refusal({global_file.path, {}, {}}),
             Catch::Contains(global_file.path + ":2: file: a zone's file"));
  TempFile catalog_clash(
      "resolver = \"127.0.0.1\"\ncatalog = \"a.test\"\n[[zone]]\nname = \"a.test\"\nfile = "
      "\"/a\"\n");
  CHECK_THAT(refusal({catalog_clash.path, {}, {}}),
             Catch::Contains("catalog: a.test.: also configured as a zone"));
}
