// OpenSSL 3 and Botan 2 implementations of the DNSSEC crypto interface (see crypto.hpp).
#include "common/dnssec/crypto.hpp"

#include "common/dnssec/ed25519_sodium.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <botan/auto_rng.h>
#include <botan/bigint.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/ed25519.h>
#include <botan/pubkey.h>
#include <botan/rsa.h>

#include <cctype>
#include <charconv>

namespace flatsign::dnssec {
namespace {

[[noreturn]] void fail(const std::string& what) {
  unsigned long e = ERR_get_error();
  std::string msg = "crypto: " + what;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += " (" + std::string(buf) + ")";
  }
  ERR_clear_error();
  throw CryptoError(msg);
}

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PctxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdctxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using GroupPtr = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>>;
using PointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;
using EcsigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

bool is_ecdsa(Algorithm a) {
  return a == Algorithm::ECDSAP256SHA256 || a == Algorithm::ECDSAP384SHA384;
}
bool is_rsa(Algorithm a) {
  return a == Algorithm::RSASHA256 || a == Algorithm::RSASHA512;
}
size_t ec_size(Algorithm a) {
  return a == Algorithm::ECDSAP384SHA384 ? 48 : 32;
}
const char* ec_group_name(Algorithm a) {
  return a == Algorithm::ECDSAP384SHA384 ? "secp384r1" : "prime256v1";
}
int ec_nid(Algorithm a) {
  return a == Algorithm::ECDSAP384SHA384 ? NID_secp384r1 : NID_X9_62_prime256v1;
}
// Explicitly fetched digests: OpenSSL 3's implicit fetch (EVP_sha256()) takes a global lock on
// every use, which serialises the signing threads.
const EVP_MD* fetched(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (!md) fail(std::string("EVP_MD_fetch ") + name);
  return md;
}
const EVP_MD* digest_of(Algorithm a) {
  static const EVP_MD* sha256 = fetched("SHA256");
  static const EVP_MD* sha384 = fetched("SHA384");
  static const EVP_MD* sha512 = fetched("SHA512");
  switch (a) {
    case Algorithm::RSASHA512:
      return sha512;
    case Algorithm::ECDSAP384SHA384:
      return sha384;
    case Algorithm::ED25519:
      return nullptr;  // RFC 8080: PureEdDSA, no pre-hash
    default:
      return sha256;
  }
}

BnPtr to_bn(std::span<const uint8_t> b) {
  BnPtr bn(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
  if (!bn) fail("BN_bin2bn");
  return bn;
}
std::vector<uint8_t> from_bn(const BIGNUM* bn, size_t pad = 0) {
  size_t n = pad ? pad : static_cast<size_t>(BN_num_bytes(bn));
  std::vector<uint8_t> out(n);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(n)) < 0) fail("BN_bn2binpad");
  return out;
}
std::vector<uint8_t> get_bn(const EVP_PKEY* k, const char* name, size_t pad = 0) {
  BIGNUM* raw = nullptr;
  if (!EVP_PKEY_get_bn_param(k, name, &raw)) fail(std::string("missing key parameter ") + name);
  BnPtr bn(raw);
  return from_bn(bn.get(), pad);
}

PkeyPtr from_params(const char* type, BldPtr& bld, int selection) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PctxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) <= 0)
    fail(std::string("cannot build ") + type + " key");
  return PkeyPtr(raw);
}

// Uncompressed EC point (0x04 || X || Y) for scalar `d`.
std::vector<uint8_t> ec_public_point(Algorithm a, std::span<const uint8_t> d) {
  GroupPtr group(EC_GROUP_new_by_curve_name(ec_nid(a)));
  PointPtr pub(group ? EC_POINT_new(group.get()) : nullptr);
  BnPtr bn = to_bn(d);
  if (!pub || BN_is_zero(bn.get()) || BN_cmp(bn.get(), EC_GROUP_get0_order(group.get())) >= 0 ||
      !EC_POINT_mul(group.get(), pub.get(), bn.get(), nullptr, nullptr, nullptr))
    fail("invalid ECDSA private key");
  std::vector<uint8_t> out(1 + 2 * ec_size(a));
  if (EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(),
                         out.size(), nullptr) != out.size())
    fail("EC_POINT_point2oct");
  return out;
}

PkeyPtr ec_key(Algorithm a, std::span<const uint8_t> d, std::span<const uint8_t> point) {
  BldPtr bld(OSSL_PARAM_BLD_new());
  BnPtr priv = d.empty() ? nullptr : to_bn(d);
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, ec_group_name(a),
                                       0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size()) ||
      (priv && !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get())))
    fail("OSSL_PARAM_BLD");
  return from_params("EC", bld, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
}

PkeyPtr rsa_key(const KeyMaterial& m, bool with_private) {
  BldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) fail("OSSL_PARAM_BLD_new");
  std::vector<BnPtr> keep;
  auto push = [&](const char* name, const std::vector<uint8_t>& v) {
    if (v.empty()) fail(std::string("RSA key lacks ") + name);
    keep.push_back(to_bn(v));
    if (!OSSL_PARAM_BLD_push_BN(bld.get(), name, keep.back().get())) fail("OSSL_PARAM_BLD");
  };
  push(OSSL_PKEY_PARAM_RSA_N, m.modulus);
  push(OSSL_PKEY_PARAM_RSA_E, m.public_exponent);
  if (with_private) {
    push(OSSL_PKEY_PARAM_RSA_D, m.private_exponent);
    push(OSSL_PKEY_PARAM_RSA_FACTOR1, m.prime1);
    push(OSSL_PKEY_PARAM_RSA_FACTOR2, m.prime2);
    push(OSSL_PKEY_PARAM_RSA_EXPONENT1, m.exponent1);
    push(OSSL_PKEY_PARAM_RSA_EXPONENT2, m.exponent2);
    push(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, m.coefficient);
  }
  return from_params("RSA", bld, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
}

// RFC 3110 §2: exponent length (1 octet, or 0 then 2 octets), exponent, modulus.
std::vector<uint8_t> rsa_dnskey(const std::vector<uint8_t>& e, const std::vector<uint8_t>& n) {
  std::vector<uint8_t> out;
  if (e.size() <= 255) {
    out.push_back(static_cast<uint8_t>(e.size()));
  } else {
    out.push_back(0);
    out.push_back(static_cast<uint8_t>(e.size() >> 8));
    out.push_back(static_cast<uint8_t>(e.size()));
  }
  out.insert(out.end(), e.begin(), e.end());
  out.insert(out.end(), n.begin(), n.end());
  return out;
}

std::vector<uint8_t> strip_zeros(std::vector<uint8_t> v) {
  size_t i = 0;
  while (i + 1 < v.size() && v[i] == 0) ++i;
  v.erase(v.begin(), v.begin() + static_cast<long>(i));
  return v;
}

}  // namespace

struct PrivateKey::Impl {
  // OpenSSL key: Ed25519 and RSA. ECDSA keys are built per signer from the material (an OpenSSL
  // EC key holds ~2 KB, and a slave keeps one per zone for thousands of zones that sign rarely).
  PkeyPtr pkey;
};

struct PublicKey::Impl {
  PkeyPtr pkey;
};

bool can_sign(Algorithm a) {
  return a == Algorithm::RSASHA256 || a == Algorithm::ECDSAP256SHA256 || a == Algorithm::ED25519;
}
bool can_verify(uint8_t a) {
  return a == 8 || a == 10 || a == 13 || a == 14 || a == 15;
}

bool is_rsa_algorithm(Algorithm a) {
  return is_rsa(a);
}

std::string algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::RSASHA256:
      return "RSASHA256";
    case Algorithm::RSASHA512:
      return "RSASHA512";
    case Algorithm::ECDSAP256SHA256:
      return "ECDSAP256SHA256";
    case Algorithm::ECDSAP384SHA384:
      return "ECDSAP384SHA384";
    case Algorithm::ED25519:
      return "ED25519";
  }
  return std::to_string(static_cast<int>(a));
}

std::optional<Algorithm> algorithm_from_string(std::string_view text) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && p == text.data() + text.size()) {
    if (v <= 255 && can_verify(static_cast<uint8_t>(v))) return static_cast<Algorithm>(v);
    return std::nullopt;
  }
  for (uint8_t a : {8, 10, 13, 14, 15}) {
    std::string name = algorithm_name(static_cast<Algorithm>(a));
    if (name.size() == text.size() &&
        std::equal(name.begin(), name.end(), text.begin(), [](char x, char y) {
          return std::toupper(static_cast<unsigned char>(x)) ==
                 std::toupper(static_cast<unsigned char>(y));
        }))
      return static_cast<Algorithm>(a);
  }
  return std::nullopt;
}

Backend preferred_backend(Algorithm a) {
  return a == Algorithm::ED25519 ? Backend::Sodium : Backend::OpenSSL;
}

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::OpenSSL:
      return "openssl";
    case Backend::Botan:
      return "botan";
    case Backend::Sodium:
      return "libsodium";
  }
  return "?";
}

bool has_backend(Algorithm alg, Backend b) {
  return can_sign(alg) && (b != Backend::Sodium || alg == Algorithm::ED25519);
}

PrivateKey::~PrivateKey() = default;
PublicKey::~PublicKey() = default;

std::shared_ptr<const PrivateKey> PrivateKey::generate(Algorithm alg) {
  if (!can_sign(alg)) throw CryptoError("crypto: cannot generate keys for " + algorithm_name(alg));
  EVP_PKEY* raw = nullptr;
  if (alg == Algorithm::ED25519)
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  else if (is_ecdsa(alg))
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", ec_group_name(alg));
  else
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  if (!raw) fail("key generation");
  PkeyPtr k(raw);
  KeyMaterial m;
  m.algorithm = alg;
  if (alg == Algorithm::ED25519) {
    size_t len = 32;
    m.private_key.resize(32);
    if (!EVP_PKEY_get_raw_private_key(k.get(), m.private_key.data(), &len) || len != 32)
      fail("Ed25519 private key export");
  } else if (is_ecdsa(alg)) {
    m.private_key = get_bn(k.get(), OSSL_PKEY_PARAM_PRIV_KEY, ec_size(alg));
  } else {
    m.modulus = get_bn(k.get(), OSSL_PKEY_PARAM_RSA_N);
    m.public_exponent = get_bn(k.get(), OSSL_PKEY_PARAM_RSA_E);
    m.private_exponent = get_bn(k.get(), OSSL_PKEY_PARAM_RSA_D);
    m.prime1 = get_bn(k.get(), OSSL_PKEY_PARAM_RSA_FACTOR1);
    m.prime2 = get_bn(k.get(), OSSL_PKEY_PARAM_RSA_FACTOR2);
    m.exponent1 = get_bn(k.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1);
    m.exponent2 = get_bn(k.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2);
    m.coefficient = get_bn(k.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
  }
  return from_material(std::move(m));
}

std::shared_ptr<const PrivateKey> PrivateKey::from_material(KeyMaterial m) {
  if (!can_sign(m.algorithm))
    throw CryptoError("crypto: cannot sign with algorithm " + algorithm_name(m.algorithm));
  std::shared_ptr<PrivateKey> key(new PrivateKey());
  key->impl_ = std::make_unique<Impl>();
  Impl& impl = *key->impl_;
  if (m.algorithm == Algorithm::ED25519) {
    if (m.private_key.size() != 32)
      throw CryptoError("crypto: Ed25519 private key is not 32 octets");
    impl.pkey.reset(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, m.private_key.data(), 32));
    if (!impl.pkey) fail("invalid Ed25519 private key");
    size_t len = 32;
    key->public_key_.resize(32);
    if (!EVP_PKEY_get_raw_public_key(impl.pkey.get(), key->public_key_.data(), &len))
      fail("Ed25519 public key");
  } else if (is_ecdsa(m.algorithm)) {
    if (m.private_key.size() != ec_size(m.algorithm))
      throw CryptoError("crypto: ECDSA private key has " + std::to_string(m.private_key.size()) +
                        " octets, expected " + std::to_string(ec_size(m.algorithm)));
    std::vector<uint8_t> point = ec_public_point(m.algorithm, m.private_key);
    key->public_key_.assign(point.begin() + 1, point.end());
  } else {
    for (auto* v : {&m.modulus, &m.public_exponent, &m.private_exponent, &m.prime1, &m.prime2,
                    &m.exponent1, &m.exponent2, &m.coefficient})
      *v = strip_zeros(std::move(*v));
    impl.pkey = rsa_key(m, true);
    PctxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, impl.pkey.get(), nullptr));
    if (!check || EVP_PKEY_pairwise_check(check.get()) <= 0) fail("inconsistent RSA private key");
    key->public_key_ = rsa_dnskey(m.public_exponent, m.modulus);
  }
  key->material_ = std::move(m);
  return key;
}

namespace {

class OpensslDigestSigner final : public Signer {  // ECDSA and RSA: hash, then EVP_PKEY_sign
 public:
  OpensslDigestSigner(Algorithm alg, EVP_PKEY* pkey) : alg_(alg), md_(digest_of(alg)) {
    ctx_.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!ctx_ || EVP_PKEY_sign_init(ctx_.get()) <= 0) fail("EVP_PKEY_sign_init");
    if (is_rsa(alg) && (EVP_PKEY_CTX_set_rsa_padding(ctx_.get(), RSA_PKCS1_PADDING) <= 0 ||
                        EVP_PKEY_CTX_set_signature_md(ctx_.get(), md_) <= 0))
      fail("RSA signature setup");
  }
  void sign(std::span<const uint8_t> data, std::vector<uint8_t>& out) override {
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!EVP_Digest(data.data(), data.size(), md, &mdlen, md_, nullptr)) fail("EVP_Digest");
    uint8_t sig[1024];
    size_t siglen = sizeof sig;
    if (EVP_PKEY_sign(ctx_.get(), sig, &siglen, md, mdlen) <= 0) fail("EVP_PKEY_sign");
    if (is_rsa(alg_)) {
      out.insert(out.end(), sig, sig + siglen);  // RFC 5702 §3: the PKCS #1 v1.5 signature
      return;
    }
    // RFC 6605 §4: r and s as fixed-size big-endian integers, concatenated.
    const uint8_t* p = sig;
    EcsigPtr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(siglen)));
    if (!es) fail("d2i_ECDSA_SIG");
    size_t n = ec_size(alg_);
    size_t at = out.size();
    out.resize(at + 2 * n);
    if (BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), out.data() + at, static_cast<int>(n)) < 0 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), out.data() + at + n, static_cast<int>(n)) < 0)
      fail("ECDSA signature encoding");
  }

 private:
  Algorithm alg_;
  const EVP_MD* md_;
  PctxPtr ctx_;
};

class OpensslEd25519Signer final : public Signer {
 public:
  explicit OpensslEd25519Signer(EVP_PKEY* pkey) : pkey_(pkey), ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestSignInit(ctx_.get(), nullptr, nullptr, nullptr, pkey_) <= 0)
      fail("Ed25519 sign setup");
  }
  void sign(std::span<const uint8_t> data, std::vector<uint8_t>& out) override {
    size_t at = out.size();
    out.resize(at + 64);
    size_t len = 64;
    // OpenSSL 3.0 lets one initialised context sign again (the init, an algorithm fetch and a
    // key copy, cost ~5% a signature); a library that refuses gets a fresh init and one retry.
    if (EVP_DigestSign(ctx_.get(), out.data() + at, &len, data.data(), data.size()) > 0) return;
    ERR_clear_error();
    len = 64;
    if (EVP_DigestSignInit(ctx_.get(), nullptr, nullptr, nullptr, pkey_) <= 0 ||
        EVP_DigestSign(ctx_.get(), out.data() + at, &len, data.data(), data.size()) <= 0)
      fail("Ed25519 sign");
  }

 private:
  EVP_PKEY* pkey_;
  MdctxPtr ctx_;
};

class BotanPkSigner final : public Signer {  // Botan's PK_Signer (all signing algorithms)
 public:
  explicit BotanPkSigner(const KeyMaterial& m) {
    auto bi = [](const std::vector<uint8_t>& v) { return Botan::BigInt(v.data(), v.size()); };
    if (m.algorithm == Algorithm::ED25519) {
      key_ = std::make_unique<Botan::Ed25519_PrivateKey>(
          Botan::secure_vector<uint8_t>(m.private_key.begin(), m.private_key.end()));
      signer_ = std::make_unique<Botan::PK_Signer>(*key_, rng_, "Pure");
    } else if (is_ecdsa(m.algorithm)) {
      key_ = std::make_unique<Botan::ECDSA_PrivateKey>(
          rng_,
          Botan::EC_Group(m.algorithm == Algorithm::ECDSAP384SHA384 ? "secp384r1" : "secp256r1"),
          bi(m.private_key));
      signer_ = std::make_unique<Botan::PK_Signer>(
          *key_, rng_,
          m.algorithm == Algorithm::ECDSAP384SHA384 ? "EMSA1(SHA-384)" : "EMSA1(SHA-256)",
          Botan::IEEE_1363);
    } else {
      key_ = std::make_unique<Botan::RSA_PrivateKey>(
          bi(m.prime1), bi(m.prime2), bi(m.public_exponent), bi(m.private_exponent), bi(m.modulus));
      signer_ = std::make_unique<Botan::PK_Signer>(*key_, rng_, "EMSA3(SHA-256)");
    }
  }
  void sign(std::span<const uint8_t> data, std::vector<uint8_t>& out) override {
    auto sig = signer_->sign_message(data.data(), data.size(), rng_);
    out.insert(out.end(), sig.begin(), sig.end());
  }

 private:
  Botan::AutoSeeded_RNG rng_;
  std::unique_ptr<Botan::Private_Key> key_;
  std::unique_ptr<Botan::PK_Signer> signer_;
};

}  // namespace

std::unique_ptr<Signer> PrivateKey::make_signer(std::optional<Backend> backend) const {
  Backend b = backend.value_or(preferred_backend(algorithm()));
  if (!has_backend(algorithm(), b))
    throw CryptoError(std::string("crypto: no ") + backend_name(b) + " signer for " +
                      algorithm_name(algorithm()));
  if (b == Backend::Sodium)
    return detail::make_sodium_ed25519_signer(material_.private_key, public_key_);
  if (b == Backend::Botan) return std::make_unique<BotanPkSigner>(material_);
  if (algorithm() == Algorithm::ED25519)
    return std::make_unique<OpensslEd25519Signer>(impl_->pkey.get());
  if (is_ecdsa(algorithm())) {
    std::vector<uint8_t> point{0x04};
    point.insert(point.end(), public_key_.begin(), public_key_.end());
    PkeyPtr pkey = ec_key(algorithm(), material_.private_key, point);
    // The signer's context holds its own reference to the key.
    return std::make_unique<OpensslDigestSigner>(algorithm(), pkey.get());
  }
  return std::make_unique<OpensslDigestSigner>(algorithm(), impl_->pkey.get());
}

std::shared_ptr<const PublicKey> PublicKey::from_dnskey(uint8_t alg_code,
                                                        std::span<const uint8_t> key) {
  if (!can_verify(alg_code))
    throw CryptoError("crypto: unsupported algorithm " + std::to_string(alg_code));
  auto alg = static_cast<Algorithm>(alg_code);
  std::shared_ptr<PublicKey> pk(new PublicKey());
  pk->alg_ = alg_code;
  pk->raw_.assign(key.begin(), key.end());
  pk->impl_ = std::make_unique<Impl>();
  if (alg == Algorithm::ED25519) {
    if (key.size() != 32) throw CryptoError("crypto: Ed25519 public key is not 32 octets");
    pk->impl_->pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), 32));
    if (!pk->impl_->pkey) fail("invalid Ed25519 public key");
  } else if (is_ecdsa(alg)) {
    if (key.size() != 2 * ec_size(alg)) throw CryptoError("crypto: ECDSA public key size");
    std::vector<uint8_t> point{0x04};
    point.insert(point.end(), key.begin(), key.end());
    pk->impl_->pkey = ec_key(alg, {}, point);
  } else {
    KeyMaterial m;
    size_t elen = key.empty() ? 0 : key[0], off = 1;
    if (!key.empty() && key[0] == 0) {
      if (key.size() < 3) throw CryptoError("crypto: truncated RSA public key");
      elen = (size_t{key[1]} << 8) | key[2];
      off = 3;
    }
    if (key.empty() || elen == 0 || off + elen >= key.size())
      throw CryptoError("crypto: malformed RSA public key");
    m.public_exponent.assign(key.begin() + static_cast<long>(off),
                             key.begin() + static_cast<long>(off + elen));
    m.modulus.assign(key.begin() + static_cast<long>(off + elen), key.end());
    pk->impl_->pkey = rsa_key(m, false);
  }
  return pk;
}

namespace {

// RFC 6605 §4 r||s as the DER ECDSA-Sig-Value OpenSSL reads (RFC 3279 §2.2.3): two minimal
// positive INTEGERs in a SEQUENCE, written by hand (no BIGNUM per signature). At most 2 * 51
// content octets for P-384, so every length fits in one octet. False when sig has the wrong size.
bool ecdsa_der(std::span<const uint8_t> sig, size_t n, std::vector<uint8_t>& der) {
  if (sig.size() != 2 * n) return false;
  der.assign({0x30, 0});
  for (size_t half = 0; half < 2; ++half) {
    std::span<const uint8_t> v = sig.subspan(half * n, n);
    size_t skip = 0;
    while (skip + 1 < v.size() && v[skip] == 0) ++skip;
    v = v.subspan(skip);
    const bool pad = v[0] & 0x80;  // keep the INTEGER positive
    der.push_back(0x02);
    der.push_back(static_cast<uint8_t>(v.size() + pad));
    if (pad) der.push_back(0);
    der.insert(der.end(), v.begin(), v.end());
  }
  der[1] = static_cast<uint8_t>(der.size() - 2);
  return true;
}

// ECDSA and RSA: the digest, then EVP_PKEY_verify on a context initialised once for the key.
class OpensslDigestVerifier final : public Verifier {
 public:
  OpensslDigestVerifier(Algorithm alg, EVP_PKEY* pkey) : alg_(alg), md_(digest_of(alg)) {
    ctx_.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!ctx_ || EVP_PKEY_verify_init(ctx_.get()) <= 0) fail("EVP_PKEY_verify_init");
    if (is_rsa(alg) && (EVP_PKEY_CTX_set_rsa_padding(ctx_.get(), RSA_PKCS1_PADDING) <= 0 ||
                        EVP_PKEY_CTX_set_signature_md(ctx_.get(), md_) <= 0))
      fail("RSA verification setup");
  }
  bool verify(std::span<const uint8_t> data, std::span<const uint8_t> sig) override {
    std::span<const uint8_t> s = sig;
    if (is_ecdsa(alg_)) {
      if (!ecdsa_der(sig, ec_size(alg_), der_)) return false;
      s = der_;
    }
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!EVP_Digest(data.data(), data.size(), md, &mdlen, md_, nullptr)) fail("EVP_Digest");
    const int rc = EVP_PKEY_verify(ctx_.get(), s.data(), s.size(), md, mdlen);
    if (rc != 1) ERR_clear_error();
    return rc == 1;
  }

 private:
  Algorithm alg_;
  const EVP_MD* md_;
  PctxPtr ctx_;
  std::vector<uint8_t> der_;
};

}  // namespace

std::unique_ptr<Verifier> PublicKey::make_verifier() const {
  auto alg = static_cast<Algorithm>(alg_);
  if (alg == Algorithm::ED25519) return detail::make_sodium_ed25519_verifier(raw_);
  return std::make_unique<OpensslDigestVerifier>(alg, impl_->pkey.get());
}

bool PublicKey::verify(std::span<const uint8_t> data, std::span<const uint8_t> sig) const {
  return make_verifier()->verify(data, sig);
}

}  // namespace flatsign::dnssec
