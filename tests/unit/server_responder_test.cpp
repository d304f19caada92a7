// Answer engine and responder: RFC 1034 §4.3.2 outcomes over a small zone, and the request
// checks (FORMERR, NOTIMP, REFUSED, ACL, AXFR framing).
#include <catch2/catch.hpp>

#include "common/dns/message.hpp"
#include "common/server/answer.hpp"
#include "common/server/responder.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;
using dns::RRType;

namespace {

std::shared_ptr<const zone::Zone> test_zone() {
  return testing::build({"@ 3600 SOA ns1 host 1 7200 3600 1209600 300", "@ 3600 NS ns1",
                         "ns1 3600 A 192.0.2.53", "www 300 A 192.0.2.1", "alias 300 CNAME www",
                         "*.wild 300 A 192.0.2.9", "a.b.ent 300 TXT x", "sub 300 NS ns.sub",
                         "ns.sub 300 A 192.0.2.77"});
}

dns::Message ask(const zone::Zone& z, const std::string& name, RRType t) {
  dns::Message r;
  server::answer_from_zone(z, {Name::parse(name), t, dns::RRClass::IN}, r);
  return r;
}

struct OneZone : server::ZoneDirectory {
  std::shared_ptr<const server::ServedZone> served;
  std::shared_ptr<const server::ServedZone> find(const Name& q) const override {
    return q.is_subdomain_of(served->origin) ? served : nullptr;
  }
};

std::vector<uint8_t> query_wire(const std::string& name, RRType t,
                                dns::Opcode op = dns::Opcode::QUERY) {
  dns::Message m;
  m.id = 4242;
  m.opcode = op;
  m.questions.push_back({Name::parse(name), t, dns::RRClass::IN});
  return dns::write_message(m);
}

}  // namespace

TEST_CASE("answer: exact match is authoritative", "[server]") {
  auto z = test_zone();
  auto r = ask(*z, "www.example.", RRType::A);
  CHECK(r.aa);
  REQUIRE(r.answer.size() == 1);
  CHECK(r.rcode == 0);
}

TEST_CASE("answer: NXDOMAIN and NODATA carry the SOA with min(TTL, MINIMUM)", "[server]") {
  auto z = test_zone();
  auto nx = ask(*z, "nope.example.", RRType::A);
  CHECK(nx.rcode == static_cast<uint16_t>(dns::Rcode::NXDOMAIN));
  REQUIRE(nx.authority.size() == 1);
  CHECK(nx.authority[0].ttl == 300);
  auto nodata = ask(*z, "www.example.", RRType::AAAA);
  CHECK(nodata.rcode == 0);
  CHECK(nodata.answer.empty());
  CHECK(nodata.authority.size() == 1);
  auto ent = ask(*z, "b.ent.example.", RRType::A);  // empty non-terminal: NODATA
  CHECK(ent.rcode == 0);
}

TEST_CASE("answer: wildcard synthesizes at QNAME, CNAME is followed", "[server]") {
  auto z = test_zone();
  auto w = ask(*z, "x.y.wild.example.", RRType::A);
  REQUIRE(w.answer.size() == 1);
  CHECK(w.answer[0].owner == Name::parse("x.y.wild.example."));
  auto c = ask(*z, "alias.example.", RRType::A);
  REQUIRE(c.answer.size() == 2);
  CHECK(c.answer[0].type == RRType::CNAME);
  CHECK(c.answer[1].type == RRType::A);
}

TEST_CASE("answer: referral below a zone cut is not authoritative, with glue", "[server]") {
  auto z = test_zone();
  auto r = ask(*z, "host.sub.example.", RRType::A);
  CHECK_FALSE(r.aa);
  CHECK(r.answer.empty());
  REQUIRE(r.authority.size() == 1);
  CHECK(r.authority[0].type == RRType::NS);
  CHECK(r.additional.size() == 1);
}

TEST_CASE("responder: malformed, opcode, zone and ACL checks", "[server]") {
  OneZone dir;
  auto served = std::make_shared<server::ServedZone>();
  served->origin = Name::parse("example.");
  served->zone = test_zone();
  served->axfr = xfr::pack_axfr(*served->zone, 0);
  dir.served = served;
  server::ResponderPolicy policy;
  auto run = [&](const std::vector<uint8_t>& wire, bool tcp, const char* from = "127.0.0.1") {
    net::Responses out;
    net::Request req{wire, {boost::asio::ip::make_address(from), 5353}, tcp};
    auto o = server::respond(dir, policy, req, out);
    return std::pair{o, std::move(out)};
  };
  std::vector<uint8_t> bad{0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};  // promises a question
  auto [o1, r1] = run(bad, false);
  CHECK(o1 == server::Outcome::FormErr);
  REQUIRE(r1.size() == 1);
  CHECK((r1[0][3] & 0xF) == 1);
  CHECK(run({1, 2, 3}, false).first == server::Outcome::Dropped);
  CHECK(run(query_wire("example.", RRType::SOA, dns::Opcode::STATUS), false).first ==
        server::Outcome::NotImp);
  CHECK(run(query_wire("other.", RRType::SOA), false).first == server::Outcome::Refused);
  CHECK(run(query_wire("example.", RRType::AXFR), false).first == server::Outcome::NotImp);
  CHECK(run(query_wire("example.", RRType::AXFR), true, "192.0.2.1").first ==
        server::Outcome::Refused);
  auto [o2, r2] = run(query_wire("example.", RRType::AXFR), true);
  CHECK(o2 == server::Outcome::Transferred);
  REQUIRE(!r2.empty());
  auto first = dns::parse_message(r2.front());
  CHECK(first.id == 4242);
  CHECK(first.answer.front().type == RRType::SOA);
  auto last = dns::parse_message(r2.back());
  CHECK(last.answer.back().type == RRType::SOA);
  auto [o3, r3] = run(query_wire("www.example.", RRType::A), false);
  CHECK(o3 == server::Outcome::Answered);
  auto a = dns::parse_message(r3.front());
  CHECK(a.aa);
  CHECK_FALSE(a.ra);  // no recursion
  served->transfer_failure = "ALIAS x failed";
  CHECK(run(query_wire("example.", RRType::AXFR), true).first == server::Outcome::ServFail);
}
