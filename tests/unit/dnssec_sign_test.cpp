// RRSIG over one RRset: RFC 8080 §6.1 known answer (Ed25519 is deterministic), labels for
// wildcards, canonical form (case, order), timing and jitter, and each verification verdict.
#include <catch2/catch.hpp>

#include "common/dns/encoding.hpp"
#include "common/dns/rdata.hpp"
#include "common/dnssec/sign.hpp"

using namespace flatsign;
using namespace flatsign::dnssec;

namespace {

dns::Rdata rd(dns::RRType type, std::initializer_list<std::string_view> text) {
  std::vector<dns::RdataToken> tokens;
  for (auto t : text) tokens.push_back({t, false});
  dns::Rdata out;
  dns::rdata_from_text(type, tokens, dns::Name(), out);
  return out;
}

dns::RRset rrset(const char* owner, dns::RRType type, uint32_t ttl, std::vector<dns::Rdata> rds) {
  dns::RRset s{dns::Name::parse(owner), type, dns::RRClass::IN, ttl, std::move(rds)};
  s.normalize();
  return s;
}

DnssecKey make_key(Algorithm alg, const char* zone = "example.com.") {
  return generate_key(dns::Name::parse(zone), alg, kFlagsKsk, 0);
}

}  // namespace

TEST_CASE("sign: RFC 8080 §6.1 Ed25519 example signature", "[dnssec][sign]") {
  KeyMaterial m;
  m.algorithm = Algorithm::ED25519;
  REQUIRE(dns::base64_decode("ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=", m.private_key));
  DnssecKey key;
  key.zone = dns::Name::parse("example.com.");
  key.flags = 257;
  key.algorithm = Algorithm::ED25519;
  key.private_key = PrivateKey::from_material(m);
  key.public_key = key.private_key->public_key();
  key.tag = key_tag(key.dnskey_rdata());
  std::string pub;
  dns::base64_encode(key.public_key, pub);
  CHECK(pub == "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=");
  CHECK(key.tag == 3613);
  auto mx = rrset("example.com.", dns::RRType::MX, 3600,
                  {rd(dns::RRType::MX, {"10", "mail.example.com."})});
  std::vector<uint8_t> scratch;
  auto signer = key.private_key->make_signer();
  auto sig = sign_rrset(mx, key, *signer, key.zone, {1438207200, 1440021600}, scratch);
  auto f = parse_rrsig(sig);
  REQUIRE(f);
  std::string b64;
  dns::base64_encode(f->signature, b64);
  CHECK(b64 ==
        "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==");
  CHECK(f->labels == 2);
  CHECK(f->original_ttl == 3600);
  auto pk = PublicKey::from_dnskey(15, key.public_key);
  CHECK(verify_rrsig(mx, sig, key.dnskey_rdata(), *pk, 1439000000) == RrsigVerdict::Valid);
}

TEST_CASE("sign: verdicts for each way an RRSIG can be wrong", "[dnssec][sign]") {
  auto alg = GENERATE(Algorithm::ECDSAP256SHA256, Algorithm::ED25519, Algorithm::RSASHA256);
  DnssecKey key = make_key(alg);
  auto pk = PublicKey::from_dnskey(uint8_t(alg), key.public_key);
  auto a = rrset("WWW.Example.com.", dns::RRType::A, 300,
                 {rd(dns::RRType::A, {"192.0.2.1"}), rd(dns::RRType::A, {"192.0.2.2"})});
  SignaturePolicy policy{.now = 1700000000};
  auto times = signature_times(policy, a.owner, a.type);
  std::vector<uint8_t> scratch;
  auto sig = sign_rrset(a, key, *key.private_key->make_signer(), key.zone, times, scratch);
  auto dnskey = key.dnskey_rdata();
  CHECK(verify_rrsig(a, sig, dnskey, *pk, policy.now) == RrsigVerdict::Valid);
  // Owner case and a lower TTL do not matter (RFC 4034 §6.2, RFC 4035 §5.3.3).
  auto lower = a;
  lower.owner = a.owner.lowercased();
  lower.ttl = 60;
  CHECK(verify_rrsig(lower, sig, dnskey, *pk, policy.now) == RrsigVerdict::Valid);
  auto higher = a;
  higher.ttl = 301;
  CHECK(verify_rrsig(higher, sig, dnskey, *pk, policy.now) == RrsigVerdict::WrongRRset);
  CHECK(verify_rrsig(a, sig, dnskey, *pk, policy.now - 7200) == RrsigVerdict::NotYetValid);
  CHECK(verify_rrsig(a, sig, dnskey, *pk, policy.now + 15 * 86400) == RrsigVerdict::Expired);
  auto flipped = sig;
  flipped.back() ^= 0x40;
  CHECK(verify_rrsig(a, flipped, dnskey, *pk, policy.now) == RrsigVerdict::BadSignature);
  auto changed = a;
  changed.rdatas.pop_back();
  CHECK(verify_rrsig(changed, sig, dnskey, *pk, policy.now) == RrsigVerdict::BadSignature);
  DnssecKey other = make_key(alg);
  CHECK(verify_rrsig(a, sig, other.dnskey_rdata(), *pk, policy.now) == RrsigVerdict::KeyMismatch);
  CHECK(verify_rrsig(a, std::vector<uint8_t>(5), dnskey, *pk, policy.now) ==
        RrsigVerdict::Malformed);
}

TEST_CASE("sign: wildcard labels and expansion (RFC 4034 §3.1.3, RFC 4035 §5.3.2)",
          "[dnssec][sign]") {
  DnssecKey key = make_key(Algorithm::ED25519);
  auto pk = PublicKey::from_dnskey(15, key.public_key);
  auto wild = rrset("*.w.example.com.", dns::RRType::TXT, 60, {rd(dns::RRType::TXT, {"hi"})});
  CHECK(rrsig_labels(wild.owner) == 3);
  CHECK(rrsig_labels(dns::Name::parse("example.com.")) == 2);
  CHECK(rrsig_labels(dns::Name()) == 0);
  std::vector<uint8_t> scratch;
  SignaturePolicy policy{.now = 1700000000};
  auto sig = sign_rrset(wild, key, *key.private_key->make_signer(), key.zone,
                        signature_times(policy, wild.owner, wild.type), scratch);
  CHECK(verify_rrsig(wild, sig, key.dnskey_rdata(), *pk, policy.now) == RrsigVerdict::Valid);
  auto expanded = wild;
  expanded.owner = dns::Name::parse("a.b.w.example.com.");
  CHECK(verify_rrsig(expanded, sig, key.dnskey_rdata(), *pk, policy.now) == RrsigVerdict::Valid);
}

TEST_CASE("sign: embedded names are lowercased in the signing input (RFC 4034 §6.2)",
          "[dnssec][sign]") {
  DnssecKey key = make_key(Algorithm::ED25519);
  auto pk = PublicKey::from_dnskey(15, key.public_key);
  auto upper = rrset("example.com.", dns::RRType::NS, 60,
                     {rd(dns::RRType::NS, {"NS1.Example.COM."}), rd(dns::RRType::NS, {"a.b."})});
  auto lower = rrset("example.com.", dns::RRType::NS, 60,
                     {rd(dns::RRType::NS, {"a.b."}), rd(dns::RRType::NS, {"ns1.example.com."})});
  std::vector<uint8_t> scratch;
  auto sig =
      sign_rrset(upper, key, *key.private_key->make_signer(), key.zone, {1, 2000000000}, scratch);
  CHECK(verify_rrsig(lower, sig, key.dnskey_rdata(), *pk, 1000) == RrsigVerdict::Valid);
}

TEST_CASE("sign: timing is deterministic per RRset and within bounds", "[dnssec][sign]") {
  SignaturePolicy p{.now = 1700000000};
  auto a = dns::Name::parse("a.example.");
  auto t1 = signature_times(p, a, dns::RRType::A);
  auto t2 = signature_times(p, dns::Name::parse("A.EXAMPLE."), dns::RRType::A);
  CHECK(t1.inception == t2.inception);
  CHECK(t1.expiration == t2.expiration);
  CHECK(t1.inception == 1700000000u - 3600);
  CHECK(t1.expiration <= 1700000000u + 14 * 86400);
  CHECK(t1.expiration >= 1700000000u + 13 * 86400);
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    auto t =
        signature_times(p, dns::Name::parse("n" + std::to_string(i) + ".example."), dns::RRType::A);
    differs |= t.expiration != t1.expiration;
  }
  CHECK(differs);
}
