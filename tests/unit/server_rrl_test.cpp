// Response rate limiting (common/server/rrl): the response classes and what each is counted
// under, the rate with its burst, slip, client prefixes (IPv4 /24, IPv6 /56, mapped IPv4),
// exempt prefixes and the off switch. Time is driven through check_at().
#include <catch2/catch.hpp>

#include "common/dns/message.hpp"
#include "common/server/rrl.hpp"

using namespace flatsign;
using boost::asio::ip::make_address;
using dns::Name;
using dns::Rcode;
using dns::RRType;
using server::RrlClass;
using server::RrlVerdict;

namespace {

constexpr uint64_t kSecond = 1000000;
constexpr uint64_t kStart = 10 * kSecond;

dns::Rr rr(const std::string& owner, RRType t, std::vector<uint8_t> rdata) {
  return {Name::parse(owner), t, dns::RRClass::IN, 300, std::move(rdata)};
}

// A response to `qname`/`qtype` with the given RCODE and sections, as the answer engine writes.
std::vector<uint8_t> response(const std::string& qname, RRType qtype, Rcode rc, bool aa,
                              std::vector<dns::Rr> answer, std::vector<dns::Rr> authority) {
  dns::Message m;
  m.qr = true;
  m.aa = aa;
  m.rcode = static_cast<uint16_t>(rc);
  m.questions.push_back({Name::parse(qname), qtype, dns::RRClass::IN});
  m.answer = std::move(answer);
  m.authority = std::move(authority);
  return dns::write_message(m);
}

const std::vector<uint8_t> kA = {192, 0, 2, 1};
std::vector<uint8_t> positive(const std::string& q) {
  return response(q, RRType::A, Rcode::NOERROR, true, {rr(q, RRType::A, kA)}, {});
}
std::vector<uint8_t> nxdomain(const std::string& q) {
  // The SOA's RDATA does not matter to the classifier: only its owner, the zone.
  return response(q, RRType::A, Rcode::NXDOMAIN, true, {},
                  {rr("Example.", RRType::SOA, std::vector<uint8_t>(22, 0))});
}

server::RrlConfig config(uint32_t rate, uint32_t slip, uint32_t burst_seconds = 1) {
  server::RrlConfig c;
  c.rate = rate;
  c.slip = slip;
  c.burst_seconds = burst_seconds;
  c.buckets = 1 << 12;
  return c;
}

// How many of `n` responses sent at `at` pass.
int passed(const server::RateLimiter& l, const std::string& addr, std::span<const uint8_t> resp,
           int n, uint64_t at) {
  int p = 0;
  for (int i = 0; i < n; ++i) p += l.check_at(make_address(addr), resp, at) == RrlVerdict::Pass;
  return p;
}

}  // namespace

TEST_CASE("rrl: responses are classed and keyed as BIND and Knot do", "[rrl]") {
  server::RrlKey k;
  REQUIRE(server::rrl_classify(positive("WWW.example."), k));
  CHECK(k.cls == RrlClass::Positive);
  CHECK(std::string(k.name.begin(), k.name.begin() + k.name_size) ==
        std::string("\3www\7example\0", 13));
  CHECK(k.qtype == 1);

  REQUIRE(server::rrl_classify(nxdomain("random1.example."), k));
  CHECK(k.cls == RrlClass::Nxdomain);  // under the zone: the SOA owner, lowercased
  CHECK(std::string(k.name.begin(), k.name.begin() + k.name_size) == std::string("\7example\0", 9));

  auto nodata = response("www.example.", RRType::AAAA, Rcode::NOERROR, true, {},
                         {rr("example.", RRType::SOA, std::vector<uint8_t>(22, 0))});
  REQUIRE(server::rrl_classify(nodata, k));
  CHECK(k.cls == RrlClass::Nodata);
  CHECK(k.name_size == 13);  // www.example.

  auto referral = response("a.sub.example.", RRType::A, Rcode::NOERROR, false, {},
                           {rr("sub.example.", RRType::NS, {2, 'n', 's', 0})});
  REQUIRE(server::rrl_classify(referral, k));
  CHECK(k.cls == RrlClass::Referral);
  CHECK(k.name_size == 13);  // sub.example., the delegation point

  auto refused = response("www.example.org.", RRType::A, Rcode::REFUSED, false, {}, {});
  REQUIRE(server::rrl_classify(refused, k));
  CHECK(k.cls == RrlClass::Error);
  CHECK(k.name_size == 0);

  std::vector<uint8_t> junk = {1, 2, 3};
  CHECK_FALSE(server::rrl_classify(junk, k));
}

TEST_CASE("rrl: a burst of rate x burst_seconds, then the rate", "[rrl]") {
  server::RateLimiter l(config(20, 0, 4));
  auto r = positive("www.example.");
  CHECK(passed(l, "198.51.100.7", r, 200, kStart) == 80);  // Knot-like capacity: 4 s of rate
  // A second later, one second's worth more: 20.
  CHECK(passed(l, "198.51.100.7", r, 200, kStart + kSecond) == 20);
  // A steady flood of 1000/s for 3 s from a quiet client: the burst, then 20/s.
  int p = 0;
  for (uint64_t ms = 0; ms < 3000; ++ms) p += passed(l, "203.0.113.7", r, 1, kStart + ms * 1000);
  CHECK(p >= 80 + 59);
  CHECK(p <= 80 + 61);
  CHECK(l.dropped() > 0);
}

TEST_CASE("rrl: slip sends every Nth limited response truncated", "[rrl]") {
  auto r = positive("www.example.");
  for (uint32_t slip : {0u, 1u, 2u, 3u}) {
    server::RateLimiter l(config(5, slip));
    REQUIRE(passed(l, "192.0.2.1", r, 5, kStart) == 5);
    int dropped = 0, truncated = 0;
    for (int i = 0; i < 30; ++i) {
      auto v = l.check_at(make_address("192.0.2.1"), r, kStart);
      dropped += v == RrlVerdict::Drop;
      truncated += v == RrlVerdict::Truncate;
    }
    INFO("slip " << slip);
    CHECK(truncated == (slip ? 30 / static_cast<int>(slip) : 0));
    CHECK(dropped + truncated == 30);
    CHECK(l.truncated() == static_cast<uint64_t>(truncated));
  }
}

TEST_CASE("rrl: clients are counted per prefix", "[rrl]") {
  auto r = positive("www.example.");
  server::RateLimiter l(config(10, 0));
  REQUIRE(passed(l, "192.0.2.1", r, 10, kStart) == 10);
  CHECK(passed(l, "192.0.2.250", r, 1, kStart) == 0);       // the same /24
  CHECK(passed(l, "::ffff:192.0.2.9", r, 1, kStart) == 0);  // mapped IPv4 is IPv4
  CHECK(passed(l, "192.0.3.1", r, 1, kStart) == 1);         // another /24

  REQUIRE(passed(l, "2001:db8:0:ff::1", r, 10, kStart) == 10);
  CHECK(passed(l, "2001:db8:0:1::53", r, 1, kStart) == 0);   // the same /56
  CHECK(passed(l, "2001:db8:0:100::1", r, 1, kStart) == 1);  // another /56

  server::RrlConfig c = config(10, 0);
  c.ipv4_prefix = 32;
  server::RateLimiter hosts(c);
  REQUIRE(passed(hosts, "192.0.2.1", r, 10, kStart) == 10);
  CHECK(passed(hosts, "192.0.2.2", r, 1, kStart) == 1);
}

TEST_CASE("rrl: names and classes have their own buckets; NXDOMAIN counts per zone", "[rrl]") {
  server::RateLimiter l(config(10, 0));
  REQUIRE(passed(l, "192.0.2.1", positive("www.example."), 10, kStart) == 10);
  CHECK(passed(l, "192.0.2.1", positive("mail.example."), 1, kStart) == 1);
  CHECK(passed(l, "192.0.2.1", positive("WWW.EXAMPLE."), 1, kStart) == 0);  // case-blind
  // Random names under one zone: one bucket, so a random-subdomain flood is limited.
  int p = 0;
  for (int i = 0; i < 50; ++i)
    p += passed(l, "192.0.2.1", nxdomain("r" + std::to_string(i) + ".example."), 1, kStart);
  CHECK(p == 10);
}

TEST_CASE("rrl: exempt prefixes and rate 0 are never limited", "[rrl]") {
  auto r = positive("www.example.");
  server::RrlConfig c = config(1, 0);
  c.exempt = {net::parse_prefix("10.0.0.0/8"), net::parse_prefix("2001:db8::/32")};
  server::RateLimiter l(c);
  CHECK(passed(l, "10.1.2.3", r, 100, kStart) == 100);
  CHECK(passed(l, "2001:db8::1", r, 100, kStart) == 100);
  CHECK(passed(l, "192.0.2.1", r, 100, kStart) == 1);
  server::RateLimiter off(config(0, 2));
  CHECK_FALSE(off.enabled());
  CHECK(passed(off, "192.0.2.1", r, 1000, kStart) == 1000);
}
