// Denial: NSEC3 hashes against ldns-nsec3-hash and RFC 5155 Appendix A, type bitmaps
// (RFC 4034 §4.1.2), chain shape for ENTs, delegations, glue and opt-out, RFC 9077 TTL.
#include <catch2/catch.hpp>

#include <set>

#include "common/dns/encoding.hpp"
#include "common/dns/rdata.hpp"
#include "common/dnssec/denial.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using namespace flatsign::dnssec;
using dns::RRType;

namespace {

std::string b32(const Nsec3Hash& h) {
  std::string s;
  dns::base32hex_encode(h, s);
  return s;
}

std::shared_ptr<const zone::Zone> make_zone(std::string_view text) {
  return testing::zone_from_text(text, dns::Name::parse("example."));
}

const char* kZone = R"($TTL 300
@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600
@ IN NS ns.example.
ns IN A 192.0.2.1
a.b.c IN A 192.0.2.2
deleg IN NS ns.deleg.example.
ns.deleg IN A 192.0.2.3
signed IN NS ns.example.
signed IN DS 1 13 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
*.w IN TXT "x"
)";

}  // namespace

TEST_CASE("denial: NSEC3 hashes match ldns-nsec3-hash", "[dnssec][denial]") {
  // `ldns-nsec3-hash -t 0 example.com.`            -> onib9mgub9h0rml3cdf5bgrj59dkjhvk
  // `ldns-nsec3-hash -t 3 -s abcd a.b.c.ent.example.com.` -> mjji8klmfnrnacb0oqv4isimchpfg3a2
  // `ldns-nsec3-hash -t 0 '*.wild.example.com.'`   -> nvec78au1hpuma9eebeji5n06eq33gbk
  // `ldns-nsec3-hash -t 12 -s aabbccdd example.`   -> 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom (RFC 5155
  // App. A) `ldns-nsec3-hash -t 12 -s aabbccdd a.example.` -> 35mthgpgcu1qg68fab165klnsnk3dpvl
  Nsec3Params none;
  Nsec3Params p3{.iterations = 3, .salt = {0xab, 0xcd}};
  Nsec3Params rfc{.iterations = 12, .salt = {0xaa, 0xbb, 0xcc, 0xdd}};
  CHECK(b32(nsec3_hash(dns::Name::parse("example.com."), none)) ==
        "onib9mgub9h0rml3cdf5bgrj59dkjhvk");
  CHECK(b32(nsec3_hash(dns::Name::parse("A.B.c.ent.Example.com."), p3)) ==
        "mjji8klmfnrnacb0oqv4isimchpfg3a2");
  CHECK(b32(nsec3_hash(dns::Name::parse("*.wild.example.com."), none)) ==
        "nvec78au1hpuma9eebeji5n06eq33gbk");
  CHECK(b32(nsec3_hash(dns::Name::parse("example."), rfc)) == "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
  CHECK(b32(nsec3_hash(dns::Name::parse("a.example."), rfc)) == "35mthgpgcu1qg68fab165klnsnk3dpvl");
  CHECK(nsec3_owner(nsec3_hash(dns::Name::parse("example."), rfc), dns::Name::parse("example."))
            .to_string() == "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.");
}

TEST_CASE("denial: type bitmaps (RFC 4034 §4.1.2)", "[dnssec][denial]") {
  // RFC 4034 §4.3 example: A MX RRSIG NSEC TYPE1234.
  std::vector<RRType> types = {RRType::A, RRType::MX, RRType::RRSIG, RRType::NSEC,
                               static_cast<RRType>(1234)};
  std::vector<uint8_t> bitmap;
  append_type_bitmap(types, bitmap);
  std::vector<uint8_t> want = {0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b};
  want.resize(want.size() + 26, 0x00);  // window 4: 26 empty octets, then types 208-215
  want.push_back(0x20);
  CHECK(bitmap == want);
  std::vector<RRType> back;
  REQUIRE(parse_type_bitmap(bitmap, back));
  CHECK(back == types);
  std::vector<uint8_t> bad = {0x00, 0x00};
  CHECK_FALSE(parse_type_bitmap(bad, back));
}

TEST_CASE("denial: NSEC chain skips glue and covers delegations", "[dnssec][denial]") {
  auto z = make_zone(kZone);
  auto chain = build_denial_chain(*z, std::vector<RRType>{RRType::DNSKEY}, {});
  std::vector<std::string> owners;
  for (const auto& rs : chain) {
    owners.push_back(rs.owner.to_string());
    CHECK(rs.ttl == 600);  // RFC 9077: min(SOA TTL 3600, MINIMUM 600)
  }
  CHECK(owners == std::vector<std::string>{"example.", "a.b.c.example.", "deleg.example.",
                                           "ns.example.", "signed.example.", "*.w.example."});
  CHECK(dns::rdata_to_text(RRType::NSEC, chain[0].rdatas[0]) ==
        "a.b.c.example. NS SOA RRSIG NSEC DNSKEY");
  CHECK(dns::rdata_to_text(RRType::NSEC, chain[2].rdatas[0]) == "ns.example. NS RRSIG NSEC");
  CHECK(dns::rdata_to_text(RRType::NSEC, chain[4].rdatas[0]) == "*.w.example. NS DS RRSIG NSEC");
  CHECK(dns::rdata_to_text(RRType::NSEC, chain[5].rdatas[0]) == "example. TXT RRSIG NSEC");
}

TEST_CASE("denial: NSEC3 chain adds ENTs, opt-out drops unsigned delegations", "[dnssec][denial]") {
  auto z = make_zone(kZone);
  std::vector<RRType> extra = {RRType::DNSKEY, RRType::NSEC3PARAM};
  DenialConfig cfg;
  cfg.mode = DenialMode::Nsec3;
  auto chain = build_denial_chain(*z, extra, cfg);
  // example, a.b.c, b.c (ENT), c (ENT), deleg, ns, signed, *.w, w (ENT) = 9
  CHECK(chain.size() == 9);
  auto ent = nsec3_owner(nsec3_hash(dns::Name::parse("b.c.example."), {}), z->origin());
  bool found = false;
  for (const auto& rs : chain) {
    if (rs.owner == ent) {
      found = true;
      CHECK(rs.rdatas[0].size() == 1 + 1 + 2 + 1 + 1 + 20);  // empty bitmap
    }
  }
  CHECK(found);
  cfg.nsec3.opt_out = true;
  auto opted = build_denial_chain(*z, extra, cfg);
  CHECK(opted.size() == 8);  // "deleg" has no DS
  for (const auto& rs : opted) CHECK((rs.rdatas[0][1] & 1) == 1);
  // The chain is a ring: every next hash is some owner's hash.
  std::set<std::string> owners;
  for (const auto& rs : chain) owners.insert(std::string(rs.owner.first_label()));
  for (const auto& rs : chain) {
    Nsec3Hash next;
    std::copy_n(rs.rdatas[0].begin() + 6, 20, next.begin());
    CHECK(owners.count(b32(next)));
  }
}
