// The responder with its public-side protection (ResponderPolicy::rrl and ::cookies): COOKIE
// options answered on every path (FORMERR when malformed, §5.4 cookie queries, BADCOOKIE), a
// valid server cookie exempt from rate limiting, slips as TC=1 or BADCOOKIE, TCP never limited.
#include <catch2/catch.hpp>

#include "common/dns/message.hpp"
#include "common/server/cookies.hpp"
#include "common/server/responder.hpp"
#include "common/server/rrl.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;
using dns::Rcode;
using dns::RRType;
using server::Outcome;

namespace {

struct OneZone : server::ZoneDirectory {
  std::shared_ptr<const server::ServedZone> served;
  std::shared_ptr<const server::ServedZone> find(const Name& q) const override {
    return q.is_subdomain_of(served->origin) ? served : nullptr;
  }
};

OneZone directory() {
  auto sz = std::make_shared<server::ServedZone>();
  sz->origin = Name::parse("example.");
  sz->zone = testing::build({"@ 3600 SOA ns1 host 1 7200 3600 1209600 300", "@ 3600 NS ns1",
                             "ns1 3600 A 192.0.2.53", "www 300 A 192.0.2.1"});
  OneZone d;
  d.served = sz;
  return d;
}

std::vector<uint8_t> query(const std::string& name, std::optional<std::vector<uint8_t>> cookie,
                           bool edns = true) {
  dns::Message m;
  m.id = 7;
  if (!name.empty()) m.questions.push_back({Name::parse(name), RRType::A, dns::RRClass::IN});
  if (edns) {
    m.edns = dns::Edns{};
    if (cookie) m.edns->options.push_back({server::kCookieOption, *cookie});
  }
  return dns::write_message(m);
}

struct Fixture {
  OneZone zones = directory();
  server::ServerCookies cookies;
  server::RateLimiter rrl;
  server::ResponderPolicy policy;
  boost::asio::ip::udp::endpoint peer{boost::asio::ip::make_address("192.0.2.99"), 5353};

  explicit Fixture(uint32_t rate = 20, uint32_t slip = 2)
      : rrl([&] {
          server::RrlConfig c;
          c.rate = rate;
          c.slip = slip;
          c.burst_seconds = 1;
          c.buckets = 1 << 10;
          return c;
        }()) {
    policy.cookies = &cookies;
    policy.rrl = &rrl;
  }
  // Sends `wire`; the response parsed (nullopt when nothing is sent).
  std::optional<dns::Message> ask(const std::vector<uint8_t>& wire, Outcome* o = nullptr,
                                  bool tcp = false) {
    net::Responses out;
    Outcome got = server::respond(zones, policy, net::Request{wire, peer, tcp}, out);
    if (o) *o = got;
    if (out.empty()) return std::nullopt;
    return dns::parse_message(out.front());
  }
};

// The COOKIE option of a response, or empty.
std::vector<uint8_t> cookie_of(const dns::Message& m) {
  if (!m.edns) return {};
  for (const auto& o : m.edns->options)
    if (o.code == server::kCookieOption) return o.data;
  return {};
}

const std::vector<uint8_t> kClient = {1, 2, 3, 4, 5, 6, 7, 8};

}  // namespace

TEST_CASE("protection: a client cookie gets a server cookie back, on every RCODE", "[cookies]") {
  Fixture f;
  for (const char* name : {"www.example.", "nx.example.", "www.example.org."}) {
    auto r = f.ask(query(name, kClient));
    REQUIRE(r);
    auto c = cookie_of(*r);
    REQUIRE(c.size() == 24);
    CHECK(std::equal(kClient.begin(), kClient.end(), c.begin()));
  }
  auto r = f.ask(query("www.example.", std::nullopt));
  REQUIRE(r);
  CHECK(cookie_of(*r).empty());  // RFC 7873 §5.2.1: no COOKIE, none back
  REQUIRE(r->answer.size() == 1);
}

TEST_CASE("protection: malformed COOKIE options get FORMERR", "[cookies]") {
  Fixture f;
  for (size_t n : {1u, 7u, 9u, 15u, 41u}) {
    Outcome o;
    auto r = f.ask(query("www.example.", std::vector<uint8_t>(n, 1)), &o);
    REQUIRE(r);
    CHECK(o == Outcome::FormErr);
    CHECK(r->rcode == static_cast<uint16_t>(Rcode::FORMERR));  // RFC 7873 §5.2.2
    CHECK(r->answer.empty());
  }
}

TEST_CASE("protection: a query for a server cookie (RFC 7873 §5.4)", "[cookies]") {
  Fixture f;
  Outcome o;
  auto r = f.ask(query("", kClient), &o);  // QDCOUNT 0, client cookie only: NOERROR
  REQUIRE(r);
  CHECK(o == Outcome::Answered);
  CHECK(r->rcode == 0);
  auto good = cookie_of(*r);
  REQUIRE(good.size() == 24);
  r = f.ask(query("", good), &o);  // a valid server cookie: NOERROR
  REQUIRE(r);
  CHECK(r->rcode == 0);
  auto bad = good;
  bad[20] ^= 0xFF;
  r = f.ask(query("", bad), &o);  // an invalid one: BADCOOKIE with a fresh cookie
  REQUIRE(r);
  CHECK(o == Outcome::BadCookie);
  CHECK(r->rcode == static_cast<uint16_t>(Rcode::BADCOOKIE));
  CHECK(cookie_of(*r).size() == 24);
  // Without a cookie, QDCOUNT 0 stays FORMERR (RFC 9619).
  r = f.ask(query("", std::nullopt), &o);
  REQUIRE(r);
  CHECK(r->rcode == static_cast<uint16_t>(Rcode::FORMERR));
}

TEST_CASE("protection: over the rate, drops and TC=1 slips; TCP is never limited", "[rrl]") {
  Fixture f(5, 2);
  auto q = query("www.example.", std::nullopt);
  int answered = 0, truncated = 0, dropped = 0;
  for (int i = 0; i < 25; ++i) {
    Outcome o;
    auto r = f.ask(q, &o);
    if (!r) {
      ++dropped;
      CHECK(o == Outcome::RateLimited);
    } else if (r->tc) {
      ++truncated;
      CHECK(o == Outcome::RateLimited);
      CHECK(r->answer.empty());
      CHECK(r->questions.size() == 1);  // the question alone: smaller than the query
    } else {
      ++answered;
    }
  }
  CHECK(answered == 5);
  CHECK(truncated == 10);
  CHECK(dropped == 10);
  auto r = f.ask(q, nullptr, true);  // the same over TCP
  REQUIRE(r);
  CHECK_FALSE(r->tc);
  CHECK(r->answer.size() == 1);
}

TEST_CASE("protection: a valid server cookie is exempt; a cookie client slips to BADCOOKIE",
          "[rrl][cookies]") {
  Fixture f(5, 1);
  auto first = f.ask(query("www.example.", kClient));
  REQUIRE(first);
  auto good = cookie_of(*first);
  REQUIRE(good.size() == 24);
  for (int i = 0; i < 50; ++i) {
    auto r = f.ask(query("www.example.", good));
    REQUIRE(r);
    CHECK(r->rcode == 0);
    CHECK(r->answer.size() == 1);
  }
  // The same client without its server cookie is counted: 4 more pass (1 s burst of 5), then
  // its slips are BADCOOKIE with a fresh server cookie (RFC 7873 §5.2.3), not TC=1.
  int ok = 0, badcookie = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = f.ask(query("www.example.", kClient));
    REQUIRE(r);
    if (r->rcode == static_cast<uint16_t>(Rcode::BADCOOKIE)) {
      ++badcookie;
      CHECK(r->answer.empty());
      CHECK_FALSE(r->tc);
      auto fresh = cookie_of(*r);
      REQUIRE(fresh.size() == 24);
      // ... and the retry with it is answered in full (§5.3), exempt.
      auto retry = f.ask(query("www.example.", fresh));
      REQUIRE(retry);
      CHECK(retry->answer.size() == 1);
    } else {
      ++ok;
    }
  }
  CHECK(ok == 4);
  CHECK(badcookie == 6);
  // An invalid server cookie counts as none at all.
  auto bad = good;
  bad[23] ^= 1;
  auto r = f.ask(query("www.example.", bad));
  REQUIRE(r);
  CHECK(r->rcode == static_cast<uint16_t>(Rcode::BADCOOKIE));
}
