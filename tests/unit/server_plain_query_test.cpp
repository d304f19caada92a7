// The UDP hot path (common/server/plain_query): for every query it takes, the same bytes as the
// general path (respond_general(), the real one), with and without DO and EDNS, through
// truncation; and every query of another shape is left to the general path.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/dnssec/sign.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/server/answer.hpp"
#include "common/server/plain_query.hpp"
#include "common/server/responder.hpp"
#include "common/zone/zonefile.hpp"
#include "tests/unit/answer_zone.hpp"

using namespace flatsign;
using dns::Name;
using dns::RRType;

namespace {

constexpr std::time_t kNow = 1700000000;
const Name kOrigin = Name::parse("example.");

std::shared_ptr<const zone::Zone> make_zone(std::optional<dnssec::DenialMode> mode) {
  return flatsign::testing::answer_zone(mode, dnssec::Algorithm::ECDSAP256SHA256, kNow);
}

struct Dir : server::ZoneDirectory {
  std::shared_ptr<const server::ServedZone> served;
  std::shared_ptr<const server::ServedZone> find(const Name& q) const override {
    return q.is_subdomain_of(served->origin) ? served : nullptr;
  }
};

Dir directory(std::shared_ptr<const zone::Zone> z) {
  auto sz = std::make_shared<server::ServedZone>();
  sz->origin = kOrigin;
  sz->zone = z;
  sz->denial = std::make_shared<server::DenialIndex>(*z);
  Dir d;
  d.served = sz;
  return d;
}

// The general path's answer to `wire`: respond_general(), which respond() falls back to.
std::vector<uint8_t> general_answer(const Dir& d, std::span<const uint8_t> wire) {
  net::Responses out;
  auto outcome = server::respond_general(d, {}, net::Request{wire, {}, false}, out);
  REQUIRE(outcome == server::Outcome::Answered);
  REQUIRE(out.size() == 1);
  return out.front();
}

std::vector<uint8_t> query(const std::string& name, RRType t, std::optional<uint16_t> payload,
                           bool do_bit, bool option = false) {
  dns::Message m;
  m.id = 99;
  m.rd = true;
  m.cd = do_bit;
  m.questions.push_back({Name::parse(name), t, dns::RRClass::IN});
  if (payload) {
    m.edns = dns::Edns{};
    m.edns->udp_payload = *payload;
    m.edns->do_bit = do_bit;
    if (option) m.edns->options.push_back({65001, {1, 2, 3, 4, 5, 6, 7, 8}});  // RFC 6891 §9 local
  }
  return dns::write_message(m);
}

}  // namespace

TEST_CASE("plain query: the same bytes as the general path", "[answer]") {
  std::vector<std::string> names = {
      "example.",         "EXAMPLE.",          "www.example.",    "WwW.ExAmple.",
      "mail.example.",    "nx.example.",       "x.nx.example.",   "c.example.",
      "b.c.example.",     "a.b.c.example.",    "q.w.example.",    "Q.W.example.",
      "a.q.w.example.",   "w.example.",        "*.w.example.",    "alias.example.",
      "chain.example.",   "out.example.",      "loop1.example.",  "deleg.example.",
      "x.deleg.example.", "ns.deleg.example.", "sdeleg.example.", "a.sdeleg.example.",
      "big.example.",     "srv.example."};
  std::vector<RRType> types = {RRType::A,    RRType::AAAA,  RRType::TXT,       RRType::NS,
                               RRType::DS,   RRType::SOA,   RRType::MX,        RRType::RRSIG,
                               RRType::NSEC, RRType::CNAME, RRType::ANY,       RRType::DNSKEY,
                               RRType::SRV,  RRType::NSEC3, RRType::NSEC3PARAM};
  std::vector<std::optional<dnssec::DenialMode>> modes = {std::nullopt, dnssec::DenialMode::Nsec,
                                                          dnssec::DenialMode::Nsec3};
  for (auto mode : modes) {
    auto z = make_zone(mode);
    Dir d = directory(z);
    // NSEC3 owner names, answered as nonexistent (RFC 5155 §7.2.8), and a name below one.
    std::vector<std::string> asked = names;
    for (const zone::Node& n : z->nodes()) {
      if (!n.find(RRType::NSEC3) || asked.size() > names.size() + 2) continue;
      asked.push_back(n.name.to_string());
      asked.push_back("X." + n.name.to_string());
    }
    std::vector<uint8_t> lent;
    for (const auto& n : asked) {
      for (RRType t : types) {
        for (auto payload : {std::optional<uint16_t>(), std::optional<uint16_t>(512),
                             std::optional<uint16_t>(4096)}) {
          for (bool do_bit : {false, true}) {
            if (do_bit && !payload) continue;
            auto wire = query(n, t, payload, do_bit, payload == 4096);
            net::Responses out;
            net::Request req{wire, {}, false, &lent};
            INFO(n << " " << dns::type_to_string(t) << " payload " << payload.value_or(0) << " DO "
                   << do_bit);
            REQUIRE(server::answer_plain_query(d, {}, req, out));
            REQUIRE(out.size() == 1);
            CHECK(out.front() == general_answer(d, wire));
            lent = std::move(out.front());  // as the UDP threads lend the sent buffer back
            lent.clear();
          }
        }
      }
    }
  }
}

TEST_CASE("plain query: other shapes go to the general path", "[answer]") {
  Dir d = directory(make_zone(dnssec::DenialMode::Nsec));
  auto refused = [&](std::vector<uint8_t> wire) {
    net::Responses out;
    bool taken = server::answer_plain_query(d, {}, net::Request{wire, {}, false}, out);
    CHECK(out.size() == (taken ? 1u : 0u));  // nothing written when left to the general path
    return !taken;
  };
  auto base = query("www.example.", RRType::A, 1232, false);
  CHECK_FALSE(refused(base));
  auto response = base;
  response[2] |= 0x80;  // QR
  CHECK(refused(response));
  auto notify = base;
  notify[2] |= 4 << 3;  // opcode NOTIFY
  CHECK(refused(notify));
  auto trailing = base;
  trailing.push_back(0);
  CHECK(refused(trailing));
  CHECK(refused(std::vector<uint8_t>(base.begin(), base.end() - 1)));
  CHECK(refused(std::vector<uint8_t>(base.begin(), base.begin() + 11)));
  CHECK(refused(query("www.example.", RRType::AXFR, std::nullopt, false)));
  CHECK(refused(query("www.example.", RRType::IXFR, std::nullopt, false)));
  CHECK(refused(query("www.example.", static_cast<RRType>(41), std::nullopt, false)));
  CHECK(refused(query("www.example.org.", RRType::A, std::nullopt, false)));
  dns::Message m;
  m.questions.push_back({Name::parse("www.example."), RRType::A, dns::RRClass::CH});
  CHECK(refused(dns::write_message(m)));
  m.questions.front().qclass = dns::RRClass::IN;
  m.questions.push_back(m.questions.front());
  CHECK(refused(dns::write_message(m)));  // QDCOUNT 2
  m.questions.pop_back();
  m.edns = dns::Edns{};
  m.edns->version = 1;
  CHECK(refused(dns::write_message(m)));  // BADVERS
  m.edns->version = 0;
  m.additional.push_back(
      {Name::parse("x.example."), RRType::A, dns::RRClass::IN, 1, {192, 0, 2, 1}});
  CHECK(refused(dns::write_message(m)));  // a record besides the OPT
  // An OPT option running past RDLENGTH.
  auto bad_opt = query("www.example.", RRType::A, 1232, false, true);
  bad_opt[bad_opt.size() - 9] = 20;
  CHECK(refused(bad_opt));
  // A COOKIE option (RFC 7873): the general path answers it with our server cookie.
  dns::Message c;
  c.questions.push_back({Name::parse("www.example."), RRType::A, dns::RRClass::IN});
  c.edns = dns::Edns{};
  c.edns->options.push_back({10, {1, 2, 3, 4, 5, 6, 7, 8}});
  CHECK(refused(dns::write_message(c)));
  // Unloaded zone: SERVFAIL is the general path's.
  auto sz = std::make_shared<server::ServedZone>();
  sz->origin = kOrigin;
  Dir empty;
  empty.served = sz;
  net::Responses out;
  CHECK_FALSE(server::answer_plain_query(empty, {}, net::Request{base, {}, false}, out));
}
