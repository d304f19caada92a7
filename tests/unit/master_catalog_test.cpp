// The catalog producer (RFC 9432): the zone's content (SOA, NS invalid., version "2", one PTR
// per member, group and coo properties), stable member labels, and the catalog options' checks.
#include <catch2/catch.hpp>

#include "common/dns/rdata.hpp"
#include "master/catalog.hpp"
#include "master/config.hpp"

using namespace flatsign;
using dns::Name;
using dns::RRType;

namespace {
const Name kCat = Name::parse("catalog.invalid.");

std::string text(const dns::RRset& rrset, size_t i = 0) {
  return dns::rdata_to_text(rrset.type, rrset.rdatas[i]);
}

Name node(const std::string& zone) {
  return kCat.prepend("zones").prepend(master::catalog_member_id(Name::parse(zone)));
}

// Runs parse_master_config over `args` (after the program name); returns its exit code.
int parse(std::vector<std::string> args, master::MasterConfig& out) {
  args.insert(args.begin(), "flatsign-master");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  master::ConfigSource source;
  bool check = false;
  return master::parse_master_config(static_cast<int>(argv.size()), argv.data(), source, out,
                                     check);
}
}  // namespace

TEST_CASE("catalog: SOA, NS invalid., version 2 and one PTR per member", "[catalog]") {
  auto z = master::build_catalog(
      kCat, {{Name::parse("a.test."), {}, {}}, {Name::parse("B.test."), {}, {}}}, 1234);
  CHECK(z->serial() == 1234);
  CHECK(text(z->soa()).rfind("invalid. invalid. 1234 ", 0) == 0);
  const dns::RRset* ns = z->find(kCat, RRType::NS);
  REQUIRE(ns);
  CHECK(ns->rdatas.size() == 1);
  CHECK(text(*ns) == "invalid.");
  const dns::RRset* version = z->find(kCat.prepend("version"), RRType::TXT);
  REQUIRE(version);
  CHECK(version->rdatas.size() == 1);
  CHECK(text(*version) == "\"2\"");
  const dns::RRset* a = z->find(node("a.test."), RRType::PTR);
  const dns::RRset* b = z->find(node("b.test."), RRType::PTR);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(text(*a) == "a.test.");
  CHECK(text(*b) == "B.test.");  // the member's name as configured
  CHECK(a->ttl == 0);
  size_t ptrs = 0;
  for (const auto& n : z->nodes()) ptrs += n.find(RRType::PTR) ? 1 : 0;
  CHECK(ptrs == 2);
  CHECK(z->rr_count() == 5);
}

TEST_CASE("catalog: an empty catalog is still a valid version 2 zone", "[catalog]") {
  auto z = master::build_catalog(kCat, {}, 1);
  CHECK(z->rr_count() == 3);
  CHECK(z->find(kCat.prepend("version"), RRType::TXT));
}

TEST_CASE("catalog: member labels are stable, case-insensitive and distinct", "[catalog]") {
  std::string id = master::catalog_member_id(Name::parse("example.com."));
  CHECK(id.size() == 16);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(id == master::catalog_member_id(Name::parse("EXAMPLE.com.")));
  CHECK(id != master::catalog_member_id(Name::parse("example.net.")));
  // Fixed across versions: a changed label resets every consumer's state (RFC 9432 §5.4), so
  // the derivation must never change. SHA-256 of 07 "example" 03 "com" 00, first 8 octets.
  CHECK(id == "902e9c464fa43fca");
}

TEST_CASE("catalog: group and coo properties under the member node", "[catalog]") {
  auto z = master::build_catalog(kCat,
                                 {{Name::parse("a.test."), {"fast", "nsec3"}, {}},
                                  {Name::parse("b.test."), {}, Name::parse("other.invalid.")}},
                                 7);
  const dns::RRset* groups = z->find(node("a.test.").prepend("group"), RRType::TXT);
  REQUIRE(groups);
  REQUIRE(groups->rdatas.size() == 2);
  CHECK(text(*groups, 0) == "\"fast\"");
  CHECK(text(*groups, 1) == "\"nsec3\"");
  CHECK(z->find(node("a.test.").prepend("coo"), RRType::PTR) == nullptr);
  const dns::RRset* coo = z->find(node("b.test.").prepend("coo"), RRType::PTR);
  REQUIRE(coo);
  CHECK(coo->rdatas.size() == 1);
  CHECK(text(*coo) == "other.invalid.");
  CHECK(z->find(node("b.test.").prepend("group"), RRType::TXT) == nullptr);
}

TEST_CASE("catalog: a member listed twice or an empty group is refused", "[catalog]") {
  CHECK_THROWS_WITH(
      master::build_catalog(
          kCat, {{Name::parse("a.test."), {}, {}}, {Name::parse("A.TEST."), {}, {}}}, 1),
      Catch::Contains("A.TEST. listed twice"));
  CHECK_THROWS_WITH(master::build_catalog(kCat, {{Name::parse("a.test."), {""}, {}}}, 1),
                    Catch::Contains("must be 1 to 255 octets"));
}

TEST_CASE("catalog options: parsed for served zones, refused for others", "[catalog]") {
  master::MasterConfig c;
  REQUIRE(parse({"--zone", "a.test=/a", "--zone", "b.test=/b", "--resolver", "127.0.0.1",
                 "--catalog", "catalog.invalid", "--catalog-group", "a.test=fast",
                 "--catalog-group", "a.test=slow", "--catalog-coo", "b.test=new.invalid"},
                c) == 0);
  REQUIRE(c.catalog.name);
  CHECK(*c.catalog.name == kCat);
  CHECK(c.catalog.groups.at(Name::parse("a.test.")) == std::vector<std::string>{"fast", "slow"});
  CHECK(c.catalog.coo.at(Name::parse("b.test.")) == Name::parse("new.invalid."));

  master::MasterConfig bad;
  CHECK(parse({"--zone", "a.test=/a", "--resolver", "127.0.0.1", "--catalog", "catalog.invalid",
               "--catalog-group", "c.test=fast"},
              bad) == 2);
  master::MasterConfig bad_coo;
  CHECK(parse({"--zone", "a.test=/a", "--resolver", "127.0.0.1", "--catalog", "catalog.invalid",
               "--catalog-coo", "a.test=x.invalid", "--catalog-coo", "a.test=y.invalid"},
              bad_coo) == 2);
  master::MasterConfig no_catalog;
  CHECK(parse({"--zone", "a.test=/a", "--resolver", "127.0.0.1", "--catalog-group", "a.test=g"},
              no_catalog) == 2);
  master::MasterConfig clash;
  CHECK(parse({"--zone", "a.test=/a", "--resolver", "127.0.0.1", "--catalog", "a.test"}, clash) ==
        2);
}

TEST_CASE("catalog options: a reload's errors name the option and the zone", "[catalog]") {
  master::ConfigSource source;
  source.zones = {"a.test=/a"};
  source.command_line = {{"resolver", {"127.0.0.1"}},
                         {"catalog", {"catalog.invalid"}},
                         {"catalog-group", {"z.test=g"}}};
  try {
    (void)master::load_master_config(source);
    FAIL("accepted");
  } catch (const util::ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "command line: catalog-group: \"z.test=g\": z.test. is not a served zone (no zone for "
          "it)");
  }
}
