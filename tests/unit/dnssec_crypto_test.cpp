// Crypto backend: every signing algorithm and backend signs in DNSSEC wire format and verifies;
// tampered data and signatures fail; material round-trips; malformed keys are refused.
#include <catch2/catch.hpp>

#include "common/dnssec/crypto.hpp"

using namespace flatsign::dnssec;

TEST_CASE("crypto: sign and verify with every backend", "[dnssec][crypto]") {
  auto alg = GENERATE(Algorithm::ECDSAP256SHA256, Algorithm::ED25519, Algorithm::RSASHA256);
  auto backend = GENERATE(Backend::OpenSSL, Backend::Botan);
  auto key = PrivateKey::generate(alg);
  auto pub = PublicKey::from_dnskey(static_cast<uint8_t>(alg), key->public_key());
  std::vector<uint8_t> msg = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<uint8_t> sig;
  key->make_signer(backend)->sign(msg, sig);
  // RFC 6605 §4: 64 octets r||s; RFC 8080 §4: 64 octets; RFC 5702 §3: modulus size.
  CHECK(sig.size() == (alg == Algorithm::RSASHA256 ? 256u : 64u));
  CHECK(pub->verify(msg, sig));
  auto bad = sig;
  bad[10] ^= 0x01;
  CHECK_FALSE(pub->verify(msg, bad));
  msg[0] ^= 0x80;
  CHECK_FALSE(pub->verify(msg, sig));
}

TEST_CASE("crypto: material round-trips to the same public key", "[dnssec][crypto]") {
  auto alg = GENERATE(Algorithm::ECDSAP256SHA256, Algorithm::ED25519, Algorithm::RSASHA256);
  auto key = PrivateKey::generate(alg);
  auto again = PrivateKey::from_material(key->material());
  CHECK(again->public_key() == key->public_key());
  if (alg == Algorithm::ECDSAP256SHA256) CHECK(key->public_key().size() == 64);
  if (alg == Algorithm::ED25519) CHECK(key->public_key().size() == 32);
  if (alg == Algorithm::RSASHA256) {
    CHECK(key->public_key()[0] == 3);  // RFC 3110 §2: exponent length 3 (65537)
    CHECK(key->public_key().size() == 1 + 3 + 256);
  }
}

TEST_CASE("crypto: inconsistent material and bad public keys are refused", "[dnssec][crypto]") {
  KeyMaterial m;
  m.algorithm = Algorithm::ECDSAP256SHA256;
  m.private_key.assign(31, 1);
  CHECK_THROWS_AS(PrivateKey::from_material(m), CryptoError);
  m.private_key.assign(32, 0);
  CHECK_THROWS_AS(PrivateKey::from_material(m), CryptoError);  // d = 0
  auto rsa = PrivateKey::generate(Algorithm::RSASHA256)->material();
  rsa.prime1.back() ^= 2;
  CHECK_THROWS_AS(PrivateKey::from_material(rsa), CryptoError);
  m.algorithm = Algorithm::ECDSAP384SHA384;  // verify-only
  m.private_key.assign(48, 1);
  CHECK_THROWS_AS(PrivateKey::from_material(m), CryptoError);
  std::vector<uint8_t> junk(10, 7);
  CHECK_THROWS_AS(PublicKey::from_dnskey(13, junk), CryptoError);
  CHECK_THROWS_AS(PublicKey::from_dnskey(15, junk), CryptoError);
  CHECK_THROWS_AS(PublicKey::from_dnskey(7, junk), CryptoError);
  std::vector<uint8_t> zero_e = {0};
  CHECK_THROWS_AS(PublicKey::from_dnskey(8, zero_e), CryptoError);
}

TEST_CASE("crypto: algorithm names", "[dnssec][crypto]") {
  CHECK(algorithm_from_string("ecdsap256sha256") == Algorithm::ECDSAP256SHA256);
  CHECK(algorithm_from_string("15") == Algorithm::ED25519);
  CHECK(algorithm_from_string("RSASHA512") == Algorithm::RSASHA512);
  CHECK_FALSE(algorithm_from_string("5").has_value());
  CHECK_FALSE(algorithm_from_string("DSA").has_value());
  CHECK(can_sign(Algorithm::RSASHA256));
  CHECK_FALSE(can_sign(Algorithm::ECDSAP384SHA384));
}
