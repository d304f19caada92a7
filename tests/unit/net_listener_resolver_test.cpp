// Net layer: endpoint/prefix parsing and ACLs; the stub resolver against an in-process server
// (CNAME chains, loops, NXDOMAIN, TC -> TCP, a silent resolver skipped after its timeout).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "common/dns/message.hpp"
#include "common/net/address.hpp"
#include "common/net/listener.hpp"
#include "common/net/resolver.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;
using dns::RRType;
namespace asio = boost::asio;

TEST_CASE("endpoints and prefixes parse; bad text is quoted", "[net]") {
  auto ep = net::parse_endpoint("127.0.0.1:5300");
  CHECK(ep.port() == 5300);
  CHECK(net::parse_endpoint("[::1]:53").address().is_v6());
  CHECK(net::parse_endpoint("192.0.2.1").port() == 53);
  CHECK_THROWS_WITH(net::parse_endpoint("1.2.3:99"), Catch::Contains("1.2.3:99"));
  CHECK_THROWS(net::parse_endpoint("127.0.0.1:70000"));
  CHECK_THROWS(net::parse_prefix("10.0.0.0/33"));
  net::Acl acl({net::parse_prefix("127.0.0.0/8"), net::parse_prefix("2001:db8::/32")});
  CHECK(acl.allows(asio::ip::make_address("127.1.2.3")));
  CHECK(acl.allows(asio::ip::make_address("::ffff:127.0.0.1")));  // v4-mapped
  CHECK(acl.allows(asio::ip::make_address("2001:db8::5")));
  CHECK_FALSE(acl.allows(asio::ip::make_address("128.0.0.1")));
  CHECK_FALSE(net::Acl().allows(asio::ip::make_address("127.0.0.1")));
}

TEST_CASE("resolv.conf nameservers are read", "[net]") {
  std::string path = "/tmp/flatsign-net-test-resolv.conf";
  std::ofstream(path) << "# c\nsearch x\nnameserver 192.0.2.1\nnameserver fe80::1%eth0\n"
                         "nameserver ::1\n";
  auto r = net::read_resolv_conf(path);
  std::remove(path.c_str());
  REQUIRE(r.size() == 2);
  CHECK(r[0].address().to_string() == "192.0.2.1");
}

namespace {

// A fake recursive resolver: answers from a fixed table, sets TC on UDP for "big." names.
void fake_resolver(const net::Request& req, net::Responses& out) {
  dns::Message q = dns::parse_message(req.wire);
  dns::Message r;
  r.id = q.id;
  r.qr = true;
  r.rd = true;
  r.ra = true;
  r.questions = q.questions;
  const auto& qu = q.questions.front();
  Name o = Name::parse("test.");
  std::string n = qu.qname.to_string();
  auto add = [&](const std::string& line) { r.answer.push_back(testing::rr(line, o)); };
  if (n == "chain.test.") {
    add("chain.test. 50 CNAME mid.test.");
    add("mid.test. 40 CNAME host.test.");
    if (qu.qtype == RRType::A) add("host.test. 30 A 192.0.2.1");
  } else if (n == "loop.test.") {
    add("loop.test. 50 CNAME loop2.test.");
    add("loop2.test. 50 CNAME loop.test.");
  } else if (n == "big.test." && !req.tcp) {
    r.tc = true;
  } else if (n == "big.test." && qu.qtype == RRType::A) {
    add("big.test. 60 A 192.0.2.2");
    add("big.test. 60 A 192.0.2.3");
  } else if (n == "big.test.") {
  } else {
    r.rcode = static_cast<uint16_t>(dns::Rcode::NXDOMAIN);
    r.authority.push_back(testing::rr("test. 100 SOA ns host 1 2 3 4 20", o));
  }
  out.push_back(dns::write_message(r, req.tcp ? 65535 : 512));
}

net::AddressLookup lookup(const std::string& name, bool with_dead_first = false) {
  asio::io_context io;
  net::DnsListener server(io, fake_resolver);
  server.listen(net::parse_endpoint("127.0.0.1:0"));
  asio::ip::udp::socket silent(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  net::ResolverOptions opts;
  if (with_dead_first) opts.servers.push_back(silent.local_endpoint());
  opts.servers.push_back(server.bound().front());
  opts.timeout = std::chrono::milliseconds(200);
  opts.rounds = 1;
  net::StubResolver resolver(io.get_executor(), opts);
  auto fut = asio::co_spawn(io, resolver.lookup_addresses(Name::parse(name)), asio::use_future);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
         std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(50));
  }
  server.stop();
  return fut.get();
}

}  // namespace

TEST_CASE("resolver follows CNAME chains; TTL is the chain's minimum", "[net]") {
  auto r = lookup("chain.test.");
  CHECK(r.status == net::LookupStatus::Ok);
  CHECK(r.a.size() == 1);
  CHECK(r.aaaa.empty());
  CHECK(r.ttl <= 30);  // the A chain's minimum, or less from the AAAA side
}

TEST_CASE("resolver detects CNAME loops and reports NXDOMAIN", "[net]") {
  CHECK(lookup("loop.test.").status == net::LookupStatus::CnameLoop);
  auto nx = lookup("missing.test.");
  CHECK(nx.status == net::LookupStatus::NxDomain);
  CHECK(nx.ttl == 20);  // RFC 2308 §5: SOA MINIMUM caps the negative TTL
}

TEST_CASE("resolver retries truncated answers over TCP", "[net]") {
  auto r = lookup("big.test.");
  CHECK(r.status == net::LookupStatus::Ok);
  CHECK(r.a.size() == 2);
}

TEST_CASE("resolver skips a silent server after the timeout", "[net]") {
  auto r = lookup("chain.test.", true);
  CHECK(r.status == net::LookupStatus::Ok);
}
