// libsodium Ed25519: crypto_sign_detached on the expanded secret key, crypto_sign_verify_detached
// on the raw public key; no per-call setup.
#include "common/dnssec/ed25519_sodium.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace flatsign::dnssec::detail {
namespace {

class SodiumEd25519Signer final : public Signer {
 public:
  explicit SodiumEd25519Signer(std::span<const uint8_t> seed) {
    if (crypto_sign_seed_keypair(public_key_.data(), secret_key_.data(), seed.data()) != 0)
      throw CryptoError("crypto: libsodium Ed25519 key expansion failed");
  }
  ~SodiumEd25519Signer() override { sodium_memzero(secret_key_.data(), secret_key_.size()); }
  SodiumEd25519Signer(const SodiumEd25519Signer&) = delete;
  SodiumEd25519Signer& operator=(const SodiumEd25519Signer&) = delete;

  const std::array<uint8_t, crypto_sign_PUBLICKEYBYTES>& public_key() const { return public_key_; }

  void sign(std::span<const uint8_t> data, std::vector<uint8_t>& out) override {
    const size_t at = out.size();
    out.resize(at + crypto_sign_BYTES);  // RFC 8080 §4: R || S, 64 octets
    if (crypto_sign_detached(out.data() + at, nullptr, data.data(), data.size(),
                             secret_key_.data()) != 0)
      throw CryptoError("crypto: libsodium Ed25519 sign failed");
  }

 private:
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> public_key_{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret_key_{};  // seed || public key
};

class SodiumEd25519Verifier final : public Verifier {
 public:
  explicit SodiumEd25519Verifier(std::span<const uint8_t> public_key) {
    std::copy(public_key.begin(), public_key.end(), public_key_.begin());
  }
  bool verify(std::span<const uint8_t> data, std::span<const uint8_t> sig) override {
    return sig.size() == crypto_sign_BYTES &&
           crypto_sign_verify_detached(sig.data(), data.data(), data.size(), public_key_.data()) ==
               0;
  }

 private:
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> public_key_{};
};

}  // namespace

std::unique_ptr<Verifier> make_sodium_ed25519_verifier(std::span<const uint8_t> public_key) {
  if (sodium_init() < 0) throw CryptoError("crypto: libsodium cannot initialise");
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES)
    throw CryptoError("crypto: Ed25519 public key is not 32 octets");
  return std::make_unique<SodiumEd25519Verifier>(public_key);
}

std::unique_ptr<Signer> make_sodium_ed25519_signer(std::span<const uint8_t> seed,
                                                   std::span<const uint8_t> public_key) {
  // sodium_init() is thread-safe and idempotent; it returns 1 when already initialised.
  if (sodium_init() < 0) throw CryptoError("crypto: libsodium cannot initialise");
  if (seed.size() != crypto_sign_SEEDBYTES)
    throw CryptoError("crypto: Ed25519 private key is not 32 octets");
  auto signer = std::make_unique<SodiumEd25519Signer>(seed);
  if (!std::equal(public_key.begin(), public_key.end(), signer->public_key().begin(),
                  signer->public_key().end()))
    throw CryptoError("crypto: libsodium and OpenSSL derive different Ed25519 public keys");
  return signer;
}

}  // namespace flatsign::dnssec::detail
