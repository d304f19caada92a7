#include "common/dns/tsig.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>

#include "common/dns/wire.hpp"

namespace flatsign::dns {

namespace {

// RFC 8945 §6 algorithm names with their OpenSSL digests and full MAC sizes.
struct AlgorithmInfo {
  TsigAlgorithm alg;
  std::string_view text;
  const char* digest;
  size_t mac_size;
};
constexpr AlgorithmInfo kAlgorithms[] = {
    {TsigAlgorithm::HmacSha1, "hmac-sha1", "SHA1", 20},
    {TsigAlgorithm::HmacSha256, "hmac-sha256", "SHA256", 32},
    {TsigAlgorithm::HmacSha512, "hmac-sha512", "SHA512", 64},
};

const AlgorithmInfo& alg_info(TsigAlgorithm alg) {
  for (const auto& a : kAlgorithms) {
    if (a.alg == alg) return a;
  }
  return kAlgorithms[1];
}

}  // namespace

// Incremental HMAC over OpenSSL 3's EVP_MAC.
class Hmac {
 public:
  Hmac(TsigAlgorithm alg, std::span<const uint8_t> secret) {
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx_ = mac_ ? EVP_MAC_CTX_new(mac_) : nullptr;
    const char* digest = alg_info(alg).digest;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
        OSSL_PARAM_construct_end()};
    static const uint8_t kEmpty = 0;
    if (!ctx_ ||
        !EVP_MAC_init(ctx_, secret.empty() ? &kEmpty : secret.data(), secret.size(), params)) {
      throw std::runtime_error("OpenSSL HMAC initialisation failed");
    }
  }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;
  ~Hmac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  void update(std::span<const uint8_t> data) {
    if (!data.empty()) EVP_MAC_update(ctx_, data.data(), data.size());
  }
  std::vector<uint8_t> final() {
    std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
    size_t len = 0;
    if (!EVP_MAC_final(ctx_, out.data(), &len, out.size())) {
      throw std::runtime_error("OpenSSL HMAC failed");
    }
    out.resize(len);
    return out;
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
};

namespace {

constexpr uint16_t kClassAny = 255;

void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

void put48(std::vector<uint8_t>& b, uint64_t v) {
  for (int s = 40; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

void put_name(std::vector<uint8_t>& b, const Name& n) {
  auto w = n.wire();
  b.insert(b.end(), w.begin(), w.end());
}

uint16_t get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

// Feeds `mac` preceded by its length (RFC 8945 §4.3.1, §4.3.3).
void digest_mac(Hmac& h, std::span<const uint8_t> mac) {
  std::vector<uint8_t> len;
  put16(len, static_cast<uint16_t>(mac.size()));
  h.update(len);
  h.update(mac);
}

// Feeds the message before its TSIG RR with the original ID and ARCOUNT less one (§4.3.3).
void digest_message(Hmac& h, std::span<const uint8_t> wire, size_t tsig_offset,
                    uint16_t original_id, bool had_tsig) {
  std::array<uint8_t, kHeaderSize> hdr;
  std::copy_n(wire.begin(), kHeaderSize, hdr.begin());
  hdr[0] = static_cast<uint8_t>(original_id >> 8);
  hdr[1] = static_cast<uint8_t>(original_id);
  if (had_tsig) {
    uint16_t ar = static_cast<uint16_t>(get16(hdr, 10) - 1);
    hdr[10] = static_cast<uint8_t>(ar >> 8);
    hdr[11] = static_cast<uint8_t>(ar);
  }
  h.update(hdr);
  h.update(wire.subspan(kHeaderSize, tsig_offset - kHeaderSize));
}

// TSIG variables (§4.3.3): names in canonical (lowercase) form, class ANY, TTL 0.
std::vector<uint8_t> tsig_variables(const Name& key, const Name& alg, uint64_t time, uint16_t fudge,
                                    uint16_t error, std::span<const uint8_t> other) {
  std::vector<uint8_t> v;
  put_name(v, key.lowercased());
  put16(v, kClassAny);
  v.insert(v.end(), 4, 0);
  put_name(v, alg.lowercased());
  put48(v, time);
  put16(v, fudge);
  put16(v, error);
  put16(v, static_cast<uint16_t>(other.size()));
  v.insert(v.end(), other.begin(), other.end());
  return v;
}

std::vector<uint8_t> timers(uint64_t time, uint16_t fudge) {
  std::vector<uint8_t> v;
  put48(v, time);
  put16(v, fudge);
  return v;
}

// Appends the TSIG RR and bumps ARCOUNT.
void append_tsig(std::vector<uint8_t>& wire, const Name& key, const Name& alg, uint64_t time,
                 uint16_t fudge, std::span<const uint8_t> mac, uint16_t error,
                 std::span<const uint8_t> other) {
  uint16_t id = get16(wire, 0);
  std::vector<uint8_t> rd;
  put_name(rd, alg.lowercased());
  put48(rd, time);
  put16(rd, fudge);
  put16(rd, static_cast<uint16_t>(mac.size()));
  rd.insert(rd.end(), mac.begin(), mac.end());
  put16(rd, id);
  put16(rd, error);
  put16(rd, static_cast<uint16_t>(other.size()));
  rd.insert(rd.end(), other.begin(), other.end());
  put_name(wire, key);  // never compressed (§4.2)
  put16(wire, static_cast<uint16_t>(RRType::TSIG));
  put16(wire, kClassAny);
  wire.insert(wire.end(), 4, 0);
  put16(wire, static_cast<uint16_t>(rd.size()));
  wire.insert(wire.end(), rd.begin(), rd.end());
  uint16_t ar = static_cast<uint16_t>(get16(wire, 10) + 1);
  wire[10] = static_cast<uint8_t>(ar >> 8);
  wire[11] = static_cast<uint8_t>(ar);
}

void require_header(std::span<const uint8_t> wire) {
  if (wire.size() < kHeaderSize) throw WireError(wire.size(), "message shorter than the header");
}

// Checks everything but the MAC value: key, algorithm, peer error, MAC length.
void check_record(const TsigRecord& rec, const TsigKey& key) {
  if (!(rec.key_name == key.name)) {
    throw TsigError(Rcode::BADKEY,
                    "TSIG key " + rec.key_name.to_string() + " is not " + key.name.to_string());
  }
  if (!(rec.algorithm == tsig_algorithm_name(key.algorithm))) {
    throw TsigError(Rcode::BADKEY, "TSIG algorithm " + rec.algorithm.to_string() +
                                       " does not match key " + key.name.to_string());
  }
  if (rec.error != 0) {
    throw TsigError(static_cast<Rcode>(rec.error),
                    "peer reported TSIG error " + std::to_string(rec.error));
  }
  size_t full = tsig_mac_size(key.algorithm);
  if (rec.mac.size() > full) throw TsigError(Rcode::FORMERR, "TSIG MAC longer than the digest");
  if (rec.mac.size() < full)
    throw TsigError(Rcode::BADTRUNC, "truncated TSIG MAC (RFC 8945 §5.2.2.1)");
}

void check_mac(const std::vector<uint8_t>& computed, const TsigRecord& rec) {
  if (computed.size() != rec.mac.size() ||
      CRYPTO_memcmp(computed.data(), rec.mac.data(), computed.size()) != 0) {
    throw TsigError(Rcode::BADSIG, "TSIG MAC does not verify with key " + rec.key_name.to_string());
  }
}

// RFC 8945 §5.2.3: checked after the MAC.
void check_time(const TsigRecord& rec, uint64_t now) {
  uint64_t skew = now > rec.time_signed ? now - rec.time_signed : rec.time_signed - now;
  if (skew > rec.fudge) {
    throw TsigError(Rcode::BADTIME, "TSIG time " + std::to_string(rec.time_signed) + " is " +
                                        std::to_string(skew) + " s from now, fudge " +
                                        std::to_string(rec.fudge));
  }
}

}  // namespace

TsigError::TsigError(Rcode code, const std::string& why) : std::runtime_error(why), code_(code) {}

std::string_view tsig_algorithm_text(TsigAlgorithm alg) {
  return alg_info(alg).text;
}

Name tsig_algorithm_name(TsigAlgorithm alg) {
  return Name::parse(std::string(tsig_algorithm_text(alg)) + ".");
}

std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(dns_lower(static_cast<uint8_t>(c)));
  for (const auto& a : kAlgorithms) {
    if (lower == a.text) return a.alg;
  }
  return std::nullopt;
}

size_t tsig_mac_size(TsigAlgorithm alg) {
  return alg_info(alg).mac_size;
}

size_t tsig_space(const TsigKey& key, size_t other_len) {
  // owner, TYPE, CLASS, TTL, RDLENGTH, algorithm, time, fudge, MAC size, MAC, id, error, len
  return key.name.wire_size() + 10 + tsig_algorithm_name(key.algorithm).wire_size() + 6 + 2 + 2 +
         tsig_mac_size(key.algorithm) + 2 + 2 + 2 + other_len;
}

TsigRecord tsig_record(const Message& msg) {
  const Rr& rr = *msg.tsig;
  TsigRecord t;
  t.key_name = rr.owner;
  WireReader r(rr.rdata);
  t.algorithm = r.name_uncompressed();
  uint64_t hi = r.u16();
  t.time_signed = hi << 32 | r.u32();
  t.fudge = r.u16();
  auto mac = r.bytes(r.u16());
  t.mac.assign(mac.begin(), mac.end());
  t.original_id = r.u16();
  t.error = r.u16();
  auto other = r.bytes(r.u16());
  t.other.assign(other.begin(), other.end());
  if (!r.ok()) r.rethrow();
  return t;
}

std::vector<uint8_t> tsig_sign(std::vector<uint8_t>& wire, const TsigKey& key, uint64_t now,
                               std::span<const uint8_t> request_mac, uint16_t fudge, Rcode error,
                               std::span<const uint8_t> other) {
  require_header(wire);
  Name alg = tsig_algorithm_name(key.algorithm);
  Hmac h(key.algorithm, key.secret);
  if (!request_mac.empty()) digest_mac(h, request_mac);
  h.update(wire);
  h.update(tsig_variables(key.name, alg, now, fudge, static_cast<uint16_t>(error), other));
  auto mac = h.final();
  append_tsig(wire, key.name, alg, now, fudge, mac, static_cast<uint16_t>(error), other);
  return mac;
}

void tsig_append_error(std::vector<uint8_t>& wire, const TsigRecord& request, Rcode error,
                       uint64_t now) {
  require_header(wire);
  append_tsig(wire, request.key_name, request.algorithm, now, request.fudge, {},
              static_cast<uint16_t>(error), {});
}

std::vector<uint8_t> tsig_verify(std::span<const uint8_t> wire, const Message& msg,
                                 const TsigKey& key, uint64_t now,
                                 std::span<const uint8_t> request_mac) {
  if (!msg.tsig) throw TsigError(Rcode::BADSIG, "message is not signed");
  require_header(wire);
  TsigRecord rec = tsig_record(msg);
  check_record(rec, key);
  Hmac h(key.algorithm, key.secret);
  if (!request_mac.empty()) digest_mac(h, request_mac);
  digest_message(h, wire, msg.tsig_offset, rec.original_id, true);
  h.update(tsig_variables(rec.key_name, rec.algorithm, rec.time_signed, rec.fudge, rec.error,
                          rec.other));
  check_mac(h.final(), rec);
  check_time(rec, now);
  return rec.mac;
}

const TsigKey& tsig_verify_request(std::span<const uint8_t> wire, const Message& msg,
                                   std::span<const TsigKey> keys, uint64_t now,
                                   std::vector<uint8_t>& mac) {
  if (!msg.tsig) throw TsigError(Rcode::BADSIG, "message is not signed");
  const Name& name = msg.tsig->owner;
  auto it =
      std::find_if(keys.begin(), keys.end(), [&](const TsigKey& k) { return k.name == name; });
  if (it == keys.end()) throw TsigError(Rcode::BADKEY, "unknown TSIG key " + name.to_string());
  mac = tsig_verify(wire, msg, *it, now);
  return *it;
}

TsigStreamSigner::TsigStreamSigner(const TsigKey& key, std::span<const uint8_t> request_mac,
                                   uint16_t fudge)
    : key_(key), prior_mac_(request_mac.begin(), request_mac.end()), fudge_(fudge) {}

void TsigStreamSigner::sign(std::vector<uint8_t>& wire, uint64_t now) {
  require_header(wire);
  if (first_) {
    prior_mac_ = tsig_sign(wire, key_, now, prior_mac_, fudge_);
    first_ = false;
    return;
  }
  // RFC 8945 §5.3.1: prior MAC, unsigned messages since, this message, timers only.
  if (!chain_) {
    chain_ = std::make_shared<Hmac>(key_.algorithm, key_.secret);
    digest_mac(*chain_, prior_mac_);
  }
  chain_->update(wire);
  chain_->update(timers(now, fudge_));
  prior_mac_ = chain_->final();
  chain_.reset();
  append_tsig(wire, key_.name, tsig_algorithm_name(key_.algorithm), now, fudge_, prior_mac_, 0, {});
}

void TsigStreamSigner::add_unsigned(std::span<const uint8_t> wire) {
  if (first_) throw std::logic_error("the first message of a TSIG stream must be signed");
  if (!chain_) {
    chain_ = std::make_shared<Hmac>(key_.algorithm, key_.secret);
    digest_mac(*chain_, prior_mac_);
  }
  chain_->update(wire);
}

TsigStreamVerifier::TsigStreamVerifier(const TsigKey& key, std::span<const uint8_t> request_mac)
    : key_(key), request_mac_(request_mac.begin(), request_mac.end()) {}

void TsigStreamVerifier::next(std::span<const uint8_t> wire, const Message& msg, uint64_t now) {
  require_header(wire);
  if (first_) {
    // The first message is signed like a single response (§5.3.1).
    prior_mac_ = tsig_verify(wire, msg, key_, now, request_mac_);
    first_ = false;
    return;
  }
  if (!chain_) {
    chain_ = std::make_shared<Hmac>(key_.algorithm, key_.secret);
    digest_mac(*chain_, prior_mac_);
  }
  if (!msg.tsig) {
    if (++unsigned_run_ > kTsigMaxUnsigned) {
      throw TsigError(Rcode::BADSIG, "more than 99 unsigned messages in a row (RFC 8945 §5.3.1)");
    }
    chain_->update(wire);
    return;
  }
  TsigRecord rec = tsig_record(msg);
  check_record(rec, key_);
  digest_message(*chain_, wire, msg.tsig_offset, rec.original_id, true);
  chain_->update(timers(rec.time_signed, rec.fudge));
  auto computed = chain_->final();
  chain_.reset();
  check_mac(computed, rec);
  check_time(rec, now);
  prior_mac_ = rec.mac;
  unsigned_run_ = 0;
}

void TsigStreamVerifier::finish() const {
  if (first_) throw TsigError(Rcode::BADSIG, "no signed message in the stream");
  if (unsigned_run_ > 0) {
    throw TsigError(Rcode::BADSIG, "stream ends with unsigned messages (RFC 8945 §5.3.1)");
  }
}

}  // namespace flatsign::dns
