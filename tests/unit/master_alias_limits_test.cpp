// The master's ALIAS policies that need no network: allowed suffixes and the chain rule
// (alias-allow, alias-chain each-hop, alias-max-hops), the load-time limits with file:line,
// HTTPS AliasMode in the flattened zone, and local targets answered from the master's zones.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <boost/asio/io_context.hpp>

#include "master/alias_expander.hpp"
#include "master/alias_limits.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;
using dns::RRType;

TEST_CASE("alias-allow and the chain rule: suffixes, hop numbering, hop budget", "[alias]") {
  const std::vector<Name> allow = {Name::parse("a.example.net.")};
  CHECK(master::name_allowed(Name::parse("a.example.net."), allow));
  CHECK(master::name_allowed(Name::parse("x.A.example.net."), allow));
  CHECK_FALSE(master::name_allowed(Name::parse("b.example.net."), allow));
  CHECK(master::name_allowed(Name::parse("anything."), {}));
  master::AliasZoneOptions o;
  o.allow = allow;
  const std::vector<Name> chain = {Name::parse("t2.a.example.net."),
                                   Name::parse("t3.b.example.net.")};
  CHECK(master::chain_problem(chain, o).empty());  // trust-chain
  o.each_hop = true;
  CHECK(master::chain_problem(chain, o) ==
        "CNAME hop 2 (t3.b.example.net.) is outside alias-allow (alias-chain each-hop)");
  o.each_hop = false;
  o.max_hops = 1;
  CHECK(master::chain_problem(chain, o) == "CNAME chain of 2 hops, more than alias-max-hops 1");
}

TEST_CASE("load-time limits name the record's file:line", "[alias]") {
  const auto path = std::filesystem::temp_directory_path() / "flatsign-alias-limits.zone";
  std::ofstream(path) << "$ORIGIN example.\n$TTL 60\n@ SOA ns1 host 1 7200 3600 1209600 300\n"
                         "@ NS ns1\nns1 A 192.0.2.53\nin ALIAS t.a.example.net.\n"
                         "out ALIAS t.b.example.net.\n";
  auto zone = testing::build({"@ 60 SOA ns1 host 1 7200 3600 1209600 300", "@ 60 NS ns1",
                              "ns1 60 A 192.0.2.53", "in 60 ALIAS t.a.example.net.",
                              "out 60 ALIAS t.b.example.net."});
  auto problems =
      master::check_alias_limits(*zone, path.string(), {Name::parse("a.example.net.")}, 10);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find(path.string() + ":7") == 0);
  CHECK(problems[0].find("out.example.") != std::string::npos);
  problems = master::check_alias_limits(*zone, path.string(), {}, 1);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("2 distinct ALIAS targets, more than alias-max-targets 1") !=
        std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("alias-https: AliasMode HTTPS beside the addresses, an owner's own HTTPS kept",
          "[alias]") {
  auto src = testing::build({"@ 3600 SOA ns1 host 7 7200 3600 1209600 300", "@ 3600 NS ns1",
                             "ns1 3600 A 192.0.2.53", "www 300 ALIAS t.example.net.",
                             "own 300 ALIAS u.example.net.", "own 300 HTTPS 1 . alpn=h2"});
  master::Expansion ex;
  ex.aliases = master::find_aliases(*src);
  for (auto& a : ex.aliases) a.a = {dns::Rdata{192, 0, 2, 9}};
  auto flat = master::build_flattened(*src, ex, 8, true);
  const dns::RRset* https = flat->find(Name::parse("www.example."), RRType::HTTPS);
  REQUIRE(https);
  CHECK(https->ttl == 300);
  CHECK(dns::rdata_to_text(RRType::HTTPS, https->rdatas[0]) == "0 t.example.net.");
  CHECK(dns::rdata_to_text(RRType::HTTPS,
                           flat->find(Name::parse("own.example."), RRType::HTTPS)->rdatas[0])
            .rfind("1 .", 0) == 0);
  CHECK(master::build_flattened(*src, ex, 8)->find(Name::parse("www.example."), RRType::HTTPS) ==
        nullptr);
}

TEST_CASE("local targets: ALIAS -> ALIAS, CNAME and another served zone, no resolver", "[alias]") {
  boost::asio::io_context io;
  net::StubResolver resolver(io.get_executor(), {});  // no server: any query would fail
  master::AliasExpander expander(resolver, {});
  auto example = testing::build(
      {"@ 60 SOA ns1 host 1 7200 3600 1209600 300", "@ 60 NS ns1", "ns1 60 A 192.0.2.53",
       "host 60 A 192.0.2.50", "one 60 ALIAS host.example.", "two 60 ALIAS one.example.",
       "cn 60 ALIAS c.example.", "c 60 CNAME host.example.", "o 60 ALIAS web.other.",
       "loop 60 ALIAS loop2.example.", "loop2 60 ALIAS loop.example."});
  auto other = testing::build({"@ 60 SOA ns1 host 1 7200 3600 1209600 300", "@ 60 NS ns1",
                               "ns1 60 A 192.0.2.53", "web 60 AAAA 2001:db8::60"},
                              "other.");
  expander.set_local_zones([&](const Name& n) -> std::shared_ptr<const zone::Zone> {
    if (n.is_subdomain_of(Name::parse("example."))) return example;
    if (n.is_subdomain_of(Name::parse("other."))) return other;
    return nullptr;
  });
  CHECK(expander.has_local_targets(*example));
  auto ex = expander.expand(*example, master::Clock::now());
  std::map<std::string, const master::AliasResult*> by;
  for (const auto& a : ex.aliases) by[a.owner.to_string()] = &a;
  for (const char* name : {"one.example.", "two.example.", "cn.example."}) {
    INFO(name);
    CHECK(by.at(name)->local);
    CHECK(by.at(name)->failure.empty());
    CHECK(by.at(name)->a == std::vector<dns::Rdata>{dns::Rdata{192, 0, 2, 50}});
  }
  CHECK(by.at("o.example.")->aaaa.size() == 1);
  CHECK(by.at("loop.example.")->failure.find("CNAME loop") == 0);
  CHECK(expander.next_refresh(*example, master::Clock::now()) >
        master::Clock::now() + std::chrono::seconds(60));  // nothing for the resolver
}
