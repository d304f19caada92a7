// ALIAS flattening: the TTL policy (ALIAS TTL, not upstream), wildcard owners, A-only and
// AAAA-only targets, the ignore policy, change detection and RFC 1982 serials; against an
// in-process resolver, the address cap and the per-zone refresh floor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "common/dns/message.hpp"
#include "common/net/address.hpp"
#include "common/net/listener.hpp"
#include "master/alias_expander.hpp"
#include "master/master_daemon.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;
using dns::RRType;
namespace asio = boost::asio;

namespace {
std::shared_ptr<const zone::Zone> source() {
  return testing::build({"@ 3600 SOA ns1 host 7 7200 3600 1209600 300", "@ 3600 NS ns1",
                         "ns1 3600 A 192.0.2.53", "@ 600 ALIAS t1.example.net.",
                         "*.sites 900 ALIAS t2.example.net.", "v6 60 ALIAS t3.example.net."});
}
dns::Rdata a(uint8_t last) {
  return {192, 0, 2, last};
}
}  // namespace

TEST_CASE("find_aliases lists owner, target and the ALIAS TTL", "[alias]") {
  auto aliases = master::find_aliases(*source());
  REQUIRE(aliases.size() == 3);
  CHECK(aliases[0].owner == Name::parse("example."));
  CHECK(aliases[0].ttl == 600);
  CHECK(aliases[1].owner == Name::parse("*.sites.example."));
  CHECK(aliases[1].target == Name::parse("t2.example.net."));
}

TEST_CASE("build_flattened: ALIAS TTL, wildcard owner kept, no ALIAS left, serial set", "[alias]") {
  auto src = source();
  master::Expansion ex;
  ex.aliases = master::find_aliases(*src);
  ex.aliases[0].a = {a(1), a(2)};
  ex.aliases[1].a = {a(3)};
  ex.aliases[1].aaaa = {dns::Rdata(16, 1)};
  ex.aliases[2].aaaa = {dns::Rdata(16, 2)};  // AAAA-only target: no A RRset
  auto flat = master::build_flattened(*src, ex, 42);
  CHECK(flat->serial() == 42);
  const dns::RRset* apex = flat->find(Name::parse("example."), RRType::A);
  REQUIRE(apex);
  CHECK(apex->ttl == 600);
  CHECK(apex->rdatas.size() == 2);
  CHECK(flat->find(Name::parse("*.sites.example."), RRType::AAAA)->ttl == 900);
  CHECK(flat->find(Name::parse("v6.example."), RRType::A) == nullptr);
  CHECK(flat->find(Name::parse("v6.example."), RRType::AAAA) != nullptr);
  for (const auto& n : flat->nodes()) CHECK(n.find(RRType::ALIAS) == nullptr);
}

TEST_CASE("build_flattened: ignore policy leaves the failing ALIAS out", "[alias]") {
  auto src = source();
  master::Expansion ex;
  ex.aliases = master::find_aliases(*src);
  ex.aliases[0].a = {a(1)};
  ex.aliases[1].left_out = true;
  ex.aliases[2].aaaa = {dns::Rdata(16, 2)};
  auto flat = master::build_flattened(*src, ex, 7);
  CHECK(flat->find(Name::parse("*.sites.example.")) == nullptr);
}

TEST_CASE("Expansion::same_content ignores upstream TTLs, sees address changes", "[alias]") {
  master::Expansion x, y;
  x.aliases = y.aliases = master::find_aliases(*source());
  x.aliases[0].a = y.aliases[0].a = {a(1)};
  CHECK(x.same_content(y));
  y.aliases[0].a = {a(9)};
  CHECK_FALSE(x.same_content(y));
}

TEST_CASE("serials follow RFC 1982", "[alias]") {
  CHECK(master::serial_gt(2, 1));
  CHECK(master::serial_gt(0, 0xFFFFFFFFu));  // wrapped
  CHECK_FALSE(master::serial_gt(1, 1));
  CHECK(master::next_serial(2024010101, 5) == 2024010101);    // file ahead: take it
  CHECK(master::next_serial(7, 7) == 8);                      // otherwise last served + 1
  CHECK(master::next_serial(5, 0xFFFFFFFFu) == 5);            // 5 is after 2^32-1 (wrapped)
  CHECK(master::next_serial(0xFFFFFFFFu, 0xFFFFFFFFu) == 1);  // wraps, skipping 0
}

namespace {
// A recursive resolver that answers many.test. with 500 A (shuffled, TTL 0, TC over UDP, so the
// expander's resolver goes to TCP) and 3 AAAA.
void many_addresses(const net::Request& req, net::Responses& out) {
  dns::Message q = dns::parse_message(req.wire);
  dns::Message r;
  r.id = q.id;
  r.qr = r.rd = r.ra = true;
  r.questions = q.questions;
  const auto& qu = q.questions.front();
  Name o = Name::parse("test.");
  if (!req.tcp && qu.qtype == RRType::A) {
    r.tc = true;
  } else if (qu.qtype == RRType::A) {
    std::vector<std::string> lines;
    for (int i = 0; i < 500; ++i) {
      lines.push_back("many.test. 0 A 10.0." + std::to_string(i / 256) + "." +
                      std::to_string(i % 256));
    }
    std::shuffle(lines.begin(), lines.end(), std::mt19937(7));
    for (const auto& l : lines) r.answer.push_back(testing::rr(l, o));
  } else if (qu.qtype == RRType::AAAA) {
    for (const char* l : {"many.test. 0 AAAA 2001:db8::3", "many.test. 0 AAAA 2001:db8::1",
                          "many.test. 0 AAAA 2001:db8::2"}) {
      r.answer.push_back(testing::rr(l, o));
    }
  }
  out.push_back(dns::write_message(r, req.tcp ? 65535 : 512));
}

// The resolver above on a free loopback port. Port 0 picks a free UDP port whose TCP twin may be
// taken by a test running in parallel: then another port is tried.
std::unique_ptr<net::DnsListener> start_resolver(asio::io_context& io) {
  for (int attempt = 0;; ++attempt) {
    auto server = std::make_unique<net::DnsListener>(io, many_addresses);
    try {
      server->listen(net::parse_endpoint("127.0.0.1:0"));
      return server;
    } catch (const boost::system::system_error&) {
      if (attempt == 20) throw;
    }
  }
}

// Runs `refresh` of every zone in `zones` through an expander on `resolver`'s io_context.
void refresh_all(asio::io_context& io, master::AliasExpander& ex,
                 const std::vector<std::shared_ptr<const zone::Zone>>& zones) {
  for (const auto& z : zones) {
    auto fut = asio::co_spawn(io, ex.refresh(*z), asio::use_future);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline) {
      io.run_one_for(std::chrono::milliseconds(50));
    }
    fut.get();
  }
}
}  // namespace

TEST_CASE("ALIAS address cap: the first N in canonical order are kept, counts reported",
          "[alias]") {
  asio::io_context io;
  auto server = start_resolver(io);
  net::ResolverOptions ro;
  ro.servers.push_back(server->bound().front());
  ro.timeout = std::chrono::milliseconds(500);
  net::StubResolver resolver(io.get_executor(), ro);
  master::AliasExpanderOptions opts;
  opts.defaults.max_addresses = 64;
  master::AliasExpander expander(resolver, opts);
  auto src = testing::build({"@ 3600 SOA ns1 host 7 7200 3600 1209600 300", "@ 3600 NS ns1",
                             "ns1 3600 A 192.0.2.53", "www 300 ALIAS many.test."});
  refresh_all(io, expander, {src});
  master::Expansion ex = expander.expand(*src, master::Clock::now());
  server->stop();
  REQUIRE(ex.failure.empty());
  REQUIRE(ex.aliases.size() == 1);
  const master::AliasResult& r = ex.aliases[0];
  CHECK(r.capped());
  CHECK(r.a_upstream == 500);
  REQUIRE(r.a.size() == 64);
  // RFC 4034 §6.3: A RDATA in canonical order is byte order, so 10.0.0.0 .. 10.0.0.63.
  CHECK(r.a.front() == dns::Rdata{10, 0, 0, 0});
  CHECK(r.a.back() == dns::Rdata{10, 0, 0, 63});
  CHECK(r.aaaa_upstream == 3);
  CHECK(r.aaaa.size() == 3);  // under the cap: all kept
  auto flat = master::build_flattened(*src, ex, 8);
  CHECK(flat->find(Name::parse("www.example."), RRType::A)->rdatas.size() == 64);

  // The same upstream set gives the same subset: nothing changes, no new serial.
  master::Expansion again = expander.expand(*src, master::Clock::now());
  CHECK(again.same_content(ex));

  std::vector<dns::Rdata> few = {dns::Rdata{10, 0, 0, 1}};
  CHECK(master::cap_addresses(few, 64) == 1);
  CHECK(few.size() == 1);
}

TEST_CASE("per-zone refresh floor: a shared target is due by each zone's own floor", "[alias]") {
  asio::io_context io;
  auto server = start_resolver(io);
  net::ResolverOptions ro;
  ro.servers.push_back(server->bound().front());
  ro.timeout = std::chrono::milliseconds(500);
  net::StubResolver resolver(io.get_executor(), ro);
  master::AliasExpanderOptions opts;
  opts.defaults.min_refresh = std::chrono::seconds(2);
  opts.zones[Name::parse("slow.")].min_refresh = std::chrono::seconds(120);
  master::AliasExpander expander(resolver, opts);
  std::vector<std::string> lines = {"@ 3600 SOA ns1 host 7 7200 3600 1209600 300", "@ 3600 NS ns1",
                                    "ns1 3600 A 192.0.2.53", "www 300 ALIAS many.test."};
  auto fast = testing::build(lines, "fast.");
  auto slow = testing::build(lines, "slow.");
  auto before = master::Clock::now();
  refresh_all(io, expander, {fast, slow});
  auto after = master::Clock::now();
  server->stop();
  // The upstream TTL is 0: each zone's floor decides.
  CHECK(expander.next_refresh(*fast, after) <= after + std::chrono::seconds(2));
  CHECK(expander.next_refresh(*fast, after) >= before + std::chrono::seconds(2));
  CHECK(expander.next_refresh(*slow, after) >= before + std::chrono::seconds(120));
  CHECK(opts.of(Name::parse("other.")).min_refresh == std::chrono::seconds(2));
}

TEST_CASE("per-zone ALIAS settings: one target, each zone's own cap and policy", "[alias]") {
  asio::io_context io;
  auto server = start_resolver(io);
  net::ResolverOptions ro;
  ro.servers.push_back(server->bound().front());
  ro.timeout = std::chrono::milliseconds(500);
  net::StubResolver resolver(io.get_executor(), ro);
  master::AliasExpanderOptions opts;
  opts.zones[Name::parse("small.")].max_addresses = 2;
  opts.zones[Name::parse("lenient.")].policy = master::AliasFailurePolicy::Ignore;
  master::AliasExpander expander(resolver, opts);
  std::vector<std::string> lines = {"@ 3600 SOA ns1 host 7 7200 3600 1209600 300", "@ 3600 NS ns1",
                                    "ns1 3600 A 192.0.2.53", "www 300 ALIAS many.test."};
  auto big = testing::build(lines, "big.");
  auto small = testing::build(lines, "small.");
  refresh_all(io, expander, {big, small});
  CHECK(expander.expand(*big, master::Clock::now()).aliases.at(0).a.size() == 64);
  CHECK(expander.expand(*small, master::Clock::now()).aliases.at(0).a.size() == 2);
  // A target the resolver cannot answer: strict (the default) fails the zone, ignore leaves the
  // ALIAS out of its own zone only.
  lines.back() = "www 300 ALIAS nowhere.invalid.";
  auto strict = testing::build(lines, "strict.");
  auto lenient = testing::build(lines, "lenient.");
  refresh_all(io, expander, {strict, lenient});
  server->stop();
  CHECK_FALSE(expander.expand(*strict, master::Clock::now()).failure.empty());
  auto ex = expander.expand(*lenient, master::Clock::now());
  CHECK(ex.failure.empty());
  CHECK(ex.aliases.at(0).left_out);
}
