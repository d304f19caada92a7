// Crypto backend: every signing algorithm and backend signs in DNSSEC wire format and verifies;
// tampered data and signatures fail; material round-trips; malformed keys are refused.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/dnssec/crypto.hpp"

using namespace flatsign::dnssec;

TEST_CASE("crypto: sign and verify with every backend", "[dnssec][crypto]") {
  auto alg = GENERATE(Algorithm::ECDSAP256SHA256, Algorithm::ED25519, Algorithm::RSASHA256);
  auto backend = GENERATE(Backend::OpenSSL, Backend::Botan, Backend::Sodium);
  auto key = PrivateKey::generate(alg);
  if (!has_backend(alg, backend)) {
    CHECK_THROWS_AS(key->make_signer(backend), CryptoError);
    return;
  }
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

namespace {
std::vector<uint8_t> unhex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}
}  // namespace

// Ed25519 is deterministic (RFC 8032 §5.1.6), so every backend must give the RFC's bytes; a
// backend that disagrees would publish signatures the others (and validators) reject.
TEST_CASE("crypto: Ed25519 backends match RFC 8032 §7.1 and each other", "[dnssec][crypto]") {
  struct Vector {
    const char *seed, *pub, *msg, *sig;
  };
  const Vector vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
       "f9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0"
       "f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (const auto& v : vectors) {
    KeyMaterial m;
    m.algorithm = Algorithm::ED25519;
    m.private_key = unhex(v.seed);
    auto key = PrivateKey::from_material(m);
    CHECK(key->public_key() == unhex(v.pub));
    auto pub = PublicKey::from_dnskey(15, key->public_key());
    for (auto backend : {Backend::OpenSSL, Backend::Botan, Backend::Sodium}) {
      INFO(backend_name(backend));
      auto signer = key->make_signer(backend);
      // Twice: a signer is reused for every RRset of a zone.
      for (int round = 0; round < 2; ++round) {
        std::vector<uint8_t> sig = {0xEE};  // sign() appends
        signer->sign(unhex(v.msg), sig);
        REQUIRE(sig.size() == 65);
        CHECK(sig[0] == 0xEE);
        sig.erase(sig.begin());
        CHECK(sig == unhex(v.sig));
        CHECK(pub->verify(unhex(v.msg), sig));
      }
    }
  }
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
