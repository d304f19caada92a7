// The DNSSEC crypto backend: key generation, signing and verification with signatures in DNSSEC
// wire format (RSA RFC 5702, ECDSA r||s RFC 6605 §4, Ed25519 RFC 8080 §4), behind one interface.
// PrivateKey and PublicKey are immutable and thread-safe; a Signer or Verifier belongs to one
// thread.
//
// Backend per algorithm, chosen by measurement: `flatsign-sign-tool crypto-bench` (run by
// bench/sign/run) and a throwaway micro-benchmark of each library's cheapest call, 120-octet
// messages, signatures per CPU second of one thread (CPU time, as the shared 2-core Debian 12 box
// ran at load ~9), median of 3, 2026-11-23:
//   ED25519 (15): libsodium 1.0.18 crypto_sign_detached ~58,000; nettle 3.8 ~34,000; OpenSSL
//     3.0.19 EVP_DigestSign ~31,000 (context reused; a fresh context or a re-init per signature
//     costs no more than noise here); Botan 2.19 PK_Signer ~30,000. libsodium: ~1.85x OpenSSL,
//     and all four give the same bytes (Ed25519 is deterministic; dnssec_crypto_test checks
//     RFC 8032 vectors on every backend).
//   ECDSAP256SHA256 (13): OpenSSL ~40,000-46,000 (EVP_PKEY_sign and the older ECDSA_do_sign
//     alike); Botan ~6x slower.
//   RSASHA256 (8): OpenSSL ~2x Botan (2048-bit).
// Verification, 120-octet messages, checks per CPU second of one thread (throwaway benchmark of
// each library's call, two runs, load ~8, 2026-12-07): ECDSAP256SHA256 OpenSSL EVP_PKEY_verify
// on a context kept for the key ~20,000-21,000, a fresh EVP_DigestVerifyInit per check
// ~18,500-20,500; ED25519 libsodium crypto_sign_verify_detached ~21,000-22,000, OpenSSL
// ~12,000. So: libsodium for Ed25519, OpenSSL for the others, a Verifier per key and thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace flatsign::dnssec {

// DNSSEC algorithm numbers (IANA registry, RFC 8624 §3.1 recommendations).
enum class Algorithm : uint8_t {
  RSASHA256 = 8,         // RFC 5702, sign + verify
  RSASHA512 = 10,        // RFC 5702, verify only
  ECDSAP256SHA256 = 13,  // RFC 6605, sign + verify
  ECDSAP384SHA384 = 14,  // RFC 6605, verify only
  ED25519 = 15,          // RFC 8080, sign + verify
};

// True for the algorithms flatsign generates keys for and signs with (8, 13, 15).
[[nodiscard]] bool can_sign(Algorithm alg);
// True for every algorithm above (verification).
[[nodiscard]] bool can_verify(uint8_t alg);
// RSASHA256 or RSASHA512 (RSA material and RFC 3110 public keys).
[[nodiscard]] bool is_rsa_algorithm(Algorithm alg);
// BIND's mnemonic ("ECDSAP256SHA256").
std::string algorithm_name(Algorithm alg);
// Accepts the mnemonic (case-insensitive) or the decimal number; nullopt when unsupported.
std::optional<Algorithm> algorithm_from_string(std::string_view text);

enum class Backend { OpenSSL, Botan, Sodium };
// The faster backend for signing with `alg` (see the table above).
Backend preferred_backend(Algorithm alg);
// "openssl", "botan", "libsodium".
const char* backend_name(Backend b);
// True when `b` can sign with `alg`: OpenSSL and Botan sign every can_sign() algorithm,
// libsodium only Ed25519.
[[nodiscard]] bool has_backend(Algorithm alg, Backend b);

class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Private key material as BIND's .private file holds it: big-endian unsigned integers.
struct KeyMaterial {
  Algorithm algorithm = Algorithm::ECDSAP256SHA256;
  // ECDSA: the scalar d (32 or 48 octets); Ed25519: the 32-octet seed (RFC 8032 §5.1.5).
  std::vector<uint8_t> private_key;
  // RSA (RFC 8017 §3.2 names in BIND's order).
  std::vector<uint8_t> modulus, public_exponent, private_exponent, prime1, prime2, exponent1,
      exponent2, coefficient;
};

// Produces signatures for one key. Not thread-safe: make one per thread (PrivateKey::make_signer).
class Signer {
 public:
  virtual ~Signer() = default;
  // Appends the DNSSEC wire-format signature over `data` (the RRSIG signing input) to `out`.
  // Throws CryptoError if the backend fails.
  virtual void sign(std::span<const uint8_t> data, std::vector<uint8_t>& out) = 0;
};

class PrivateKey {
 public:
  // A fresh key (RSA: 2048 bits, e = 65537). REQUIRES: can_sign(alg). Throws CryptoError.
  static std::shared_ptr<const PrivateKey> generate(Algorithm alg);
  // Checks and adopts material (e.g. from a .private file); derives the public key.
  // Throws CryptoError when the material is inconsistent or the algorithm cannot sign.
  static std::shared_ptr<const PrivateKey> from_material(KeyMaterial material);

  ~PrivateKey();
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  Algorithm algorithm() const { return material_.algorithm; }
  const KeyMaterial& material() const { return material_; }
  // The DNSKEY Public Key field (RFC 3110 §2 for RSA, RFC 6605 §4 Q.x||Q.y, RFC 8080 §3).
  const std::vector<uint8_t>& public_key() const { return public_key_; }
  // A new single-thread signer; `backend` defaults to preferred_backend(algorithm()).
  // Throws CryptoError when !has_backend(algorithm(), backend).
  std::unique_ptr<Signer> make_signer(std::optional<Backend> backend = std::nullopt) const;

  struct Impl;

 private:
  PrivateKey() = default;
  KeyMaterial material_;
  std::vector<uint8_t> public_key_;
  std::unique_ptr<Impl> impl_;
};

// Checks signatures made by one key. Not thread-safe: make one per thread
// (PublicKey::make_verifier); it keeps its library context from one signature to the next.
class Verifier {
 public:
  virtual ~Verifier() = default;
  // True when `sig` (DNSSEC wire format) is a valid signature over `data`.
  [[nodiscard]] virtual bool verify(std::span<const uint8_t> data,
                                    std::span<const uint8_t> sig) = 0;
};

// A parsed DNSKEY public key. Immutable; verify() may be called from many threads at once.
class PublicKey {
 public:
  // Throws CryptoError when `alg` is unsupported or the key field is malformed.
  static std::shared_ptr<const PublicKey> from_dnskey(uint8_t alg, std::span<const uint8_t> key);
  ~PublicKey();
  PublicKey(const PublicKey&) = delete;
  PublicKey& operator=(const PublicKey&) = delete;

  // True when `sig` (DNSSEC wire format) is a valid signature over `data`.
  // One-off: sets up a Verifier for this call. Many signatures: make_verifier().
  [[nodiscard]] bool verify(std::span<const uint8_t> data, std::span<const uint8_t> sig) const;
  // A single-thread verifier for this key (it must outlive the verifier). Throws CryptoError.
  std::unique_ptr<Verifier> make_verifier() const;

  struct Impl;

 private:
  PublicKey() = default;
  std::vector<uint8_t> raw_;  // the DNSKEY Public Key field (libsodium reads Ed25519 keys)
  uint8_t alg_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flatsign::dnssec
