// The libsodium Ed25519 signer and verifier (RFC 8080), the fastest Ed25519 backend measured
// (crypto.hpp). Internal to common/dnssec; each Signer or Verifier belongs to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "common/dnssec/crypto.hpp"

namespace flatsign::dnssec::detail {

// A signer for the Ed25519 key with this 32-octet seed (RFC 8032 §5.1.5). Throws CryptoError
// when libsodium cannot start or derives a public key other than `public_key` (so a backend
// disagreement shows at key load, not as bad signatures in a published zone).
std::unique_ptr<Signer> make_sodium_ed25519_signer(std::span<const uint8_t> seed,
                                                   std::span<const uint8_t> public_key);

// A verifier for the Ed25519 public key `public_key` (32 octets; RFC 8080 §3). libsodium
// rejects small-order keys and non-canonical S values, as RFC 8032 §5.1.7 allows.
// Throws CryptoError when libsodium cannot start or the key is not 32 octets.
std::unique_ptr<Verifier> make_sodium_ed25519_verifier(std::span<const uint8_t> public_key);

}  // namespace flatsign::dnssec::detail
