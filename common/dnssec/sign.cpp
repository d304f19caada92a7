// RRSIG signing input, signing and verification (RFC 4034 §3.1.8.1, §6.2, §6.3; RFC 4035 §5.3).
#include "common/dnssec/sign.hpp"

#include <algorithm>
#include <cstring>

#include "common/dns/rdata.hpp"

namespace flatsign::dnssec {
namespace {

void put16(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, v >> 16);
  put16(out, v & 0xFFFF);
}
uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
// Appends a name's wire form in lowercase (RFC 4034 §6.2 item 2 and 3).
void put_lower_name(std::vector<uint8_t>& out, std::span<const uint8_t> wire) {
  const size_t at = out.size();
  out.resize(at + wire.size());
  for (size_t i = 0; i < wire.size(); ++i) out[at + i] = dns::dns_lower(wire[i]);
}

// The size of the uncompressed name at rdata[at] (RFC 4034 §3.1.7: the signer's name is never
// compressed); 0 when it is malformed or runs past the end.
size_t uncompressed_name_size(std::span<const uint8_t> rdata, size_t at) {
  size_t pos = at;
  while (pos < rdata.size()) {
    const uint8_t len = rdata[pos];
    if (len > 63) return 0;  // a pointer or an extended label type
    pos += size_t{1} + len;
    if (pos - at > dns::Name::kMaxWire) return 0;
    if (len == 0) return pos - at;
  }
  return 0;
}
// RFC 1982 serial-number "a is before b" on 32-bit times (RFC 4034 §3.1.5).
bool serial_before(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}

void append_rrsig_header(const RrsigFields& f, std::vector<uint8_t>& out) {
  put16(out, static_cast<uint16_t>(f.covered));
  out.push_back(f.algorithm);
  out.push_back(f.labels);
  put32(out, f.original_ttl);
  put32(out, f.expiration);
  put32(out, f.inception);
  put16(out, f.key_tag);
  put_lower_name(out, f.signer);
}

}  // namespace

SignatureTimes signature_times(const SignaturePolicy& p, const dns::Name& owner, dns::RRType type) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the lowercased owner and the type
  for (uint8_t c : owner.wire()) h = (h ^ dns::dns_lower(c)) * 0x100000001b3ULL;
  h = (h ^ static_cast<uint16_t>(type)) * 0x100000001b3ULL;
  h ^= h >> 29;
  uint32_t jitter = p.jitter == 0 ? 0 : static_cast<uint32_t>(h % (uint64_t{p.jitter} + 1));
  auto now = static_cast<uint32_t>(static_cast<uint64_t>(p.now));
  return {now - p.inception_backdate, now + p.validity - std::min(jitter, p.validity / 2)};
}

std::optional<RrsigFields> parse_rrsig(std::span<const uint8_t> rdata) {
  if (rdata.size() < 19) return std::nullopt;
  RrsigFields f;
  f.covered = rrsig_covered(rdata);
  f.algorithm = rdata[2];
  f.labels = rdata[3];
  f.original_ttl = get32(&rdata[4]);
  f.expiration = get32(&rdata[8]);
  f.inception = get32(&rdata[12]);
  f.key_tag = static_cast<uint16_t>((rdata[16] << 8) | rdata[17]);
  const size_t signer_size = uncompressed_name_size(rdata, 18);
  if (signer_size == 0) return std::nullopt;
  f.signer = rdata.subspan(18, signer_size);
  f.signature = rdata.subspan(18 + signer_size);
  return f;
}

uint8_t rrsig_labels(const dns::Name& owner) {
  size_t n = owner.label_count();
  return static_cast<uint8_t>(owner.is_wildcard() ? n - 1 : n);
}

void append_signing_input(const dns::RRset& rrset, const RrsigFields& f,
                          std::vector<uint8_t>& out) {
  append_rrsig_header(f, out);
  // RFC 4034 §3.1.8.1: RR(i) = owner | type | class | original TTL | RDATA length | RDATA. The
  // prefix up to the RDATA length is the same for every RR: written once, then copied from `out`.
  const size_t prefix_at = out.size();
  put_lower_name(out, rrset.owner.wire());
  put16(out, static_cast<uint16_t>(rrset.type));
  put16(out, static_cast<uint16_t>(rrset.rclass));
  put32(out, f.original_ttl);
  const size_t prefix_size = out.size() - prefix_at;
  if (rrset.rdatas.size() == 1) {  // most RRsets: no order to establish
    const auto& rd = rrset.rdatas[0];
    if (!dns::rdata_has_lowercased_names(rrset.type)) {  // canonical form == stored form
      put16(out, static_cast<uint16_t>(rd.size()));
      out.insert(out.end(), rd.begin(), rd.end());
      return;
    }
    const size_t length_at = out.size();
    put16(out, 0);
    dns::rdata_to_canonical(rrset.type, rd, out);
    const size_t length = out.size() - length_at - 2;
    out[length_at] = static_cast<uint8_t>(length >> 8);
    out[length_at + 1] = static_cast<uint8_t>(length);
    return;
  }
  // RFC 4034 §6.3: order by canonical RDATA as left-justified octet strings; drop duplicates.
  std::vector<std::vector<uint8_t>> canon(rrset.rdatas.size());
  for (size_t i = 0; i < rrset.rdatas.size(); ++i)
    dns::rdata_to_canonical(rrset.type, rrset.rdatas[i], canon[i]);
  auto less = [](const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    size_t n = std::min(a.size(), b.size());
    int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
    return c != 0 ? c < 0 : a.size() < b.size();
  };
  if (!std::is_sorted(canon.begin(), canon.end(), less))
    std::sort(canon.begin(), canon.end(), less);
  canon.erase(std::unique(canon.begin(), canon.end(),
                          [&](const auto& a, const auto& b) { return !less(a, b) && !less(b, a); }),
              canon.end());
  if (canon.empty()) out.resize(prefix_at);  // no RR, no prefix
  for (size_t i = 0; i < canon.size(); ++i) {
    const auto& rd = canon[i];
    if (i > 0) {
      const size_t at = out.size();
      out.resize(at + prefix_size);  // may move `out`: copy by index, not by iterator
      std::memcpy(out.data() + at, out.data() + prefix_at, prefix_size);
    }
    put16(out, static_cast<uint16_t>(rd.size()));
    out.insert(out.end(), rd.begin(), rd.end());
  }
}

dns::Rdata sign_rrset(const dns::RRset& rrset, const DnssecKey& key, Signer& signer,
                      const dns::Name& signer_name, const SignatureTimes& times,
                      std::vector<uint8_t>& scratch) {
  RrsigFields f;
  f.covered = rrset.type;
  f.algorithm = static_cast<uint8_t>(key.algorithm);
  f.labels = rrsig_labels(rrset.owner);
  f.original_ttl = rrset.ttl;
  f.expiration = times.expiration;
  f.inception = times.inception;
  f.key_tag = key.tag;
  f.signer = signer_name.wire();
  scratch.clear();
  append_signing_input(rrset, f, scratch);
  dns::Rdata rrsig;
  // The signature's exact size where the algorithm fixes it (RFC 6605 §4, RFC 8080 §3), so that
  // the zone keeps no slack (Zone::compact would copy the RDATA again); RSA up to 2048 bits.
  const size_t sig_size =
      key.algorithm == Algorithm::ECDSAP256SHA256 || key.algorithm == Algorithm::ED25519 ? 64 : 256;
  rrsig.reserve(18 + signer_name.wire_size() + sig_size);
  append_rrsig_header(f, rrsig);  // the signer name is stored lowercased as well
  signer.sign(scratch, rrsig);
  return rrsig;
}

const char* to_string(RrsigVerdict v) {
  switch (v) {
    case RrsigVerdict::Valid:
      return "valid";
    case RrsigVerdict::Malformed:
      return "malformed RRSIG";
    case RrsigVerdict::WrongRRset:
      return "RRSIG fields do not match the RRset";
    case RrsigVerdict::KeyMismatch:
      return "RRSIG algorithm or key tag does not match the key";
    case RrsigVerdict::NotYetValid:
      return "signature not yet valid";
    case RrsigVerdict::Expired:
      return "signature expired";
    case RrsigVerdict::BadSignature:
      return "bad signature";
  }
  return "?";
}

RrsigVerdict check_rrsig_fields(const dns::RRset& rrset, const RrsigFields& f,
                                std::span<const uint8_t> key_rdata, std::time_t now) {
  // RFC 4035 §5.3.1: covered type, labels <= owner labels, TTL not above the original TTL.
  if (f.covered != rrset.type || f.labels > rrsig_labels(rrset.owner) || rrset.ttl > f.original_ttl)
    return RrsigVerdict::WrongRRset;
  if (key_rdata.size() < 4 || key_rdata[3] != f.algorithm || key_tag(key_rdata) != f.key_tag)
    return RrsigVerdict::KeyMismatch;
  auto t = static_cast<uint32_t>(static_cast<uint64_t>(now));
  if (serial_before(t, f.inception)) return RrsigVerdict::NotYetValid;
  if (serial_before(f.expiration, t)) return RrsigVerdict::Expired;
  return RrsigVerdict::Valid;
}

RrsigVerdict check_rrsig_fields(const dns::RRset& rrset, std::span<const uint8_t> rrsig,
                                std::span<const uint8_t> key_rdata, std::time_t now) {
  auto f = parse_rrsig(rrsig);
  return f ? check_rrsig_fields(rrset, *f, key_rdata, now) : RrsigVerdict::Malformed;
}

RrsigVerdict verify_rrsig(const dns::RRset& rrset, std::span<const uint8_t> rrsig,
                          std::span<const uint8_t> key_rdata, Verifier& key, std::time_t now,
                          std::vector<uint8_t>& scratch) {
  auto f = parse_rrsig(rrsig);
  if (!f) return RrsigVerdict::Malformed;
  if (auto v = check_rrsig_fields(rrset, *f, key_rdata, now); v != RrsigVerdict::Valid) return v;
  scratch.clear();
  if (f->labels < rrsig_labels(rrset.owner)) {
    // RFC 4035 §5.3.2: a wildcard expansion is verified with the owner "*." + the rightmost
    // labels.
    dns::RRset as_signed = rrset;
    as_signed.owner = rrset.owner.strip_left(rrset.owner.label_count() - f->labels).prepend("*");
    append_signing_input(as_signed, *f, scratch);
  } else {
    append_signing_input(rrset, *f, scratch);
  }
  return key.verify(scratch, f->signature) ? RrsigVerdict::Valid : RrsigVerdict::BadSignature;
}

RrsigVerdict verify_rrsig(const dns::RRset& rrset, std::span<const uint8_t> rrsig,
                          std::span<const uint8_t> key_rdata, const PublicKey& key,
                          std::time_t now) {
  std::vector<uint8_t> scratch;
  return verify_rrsig(rrset, rrsig, key_rdata, *key.make_verifier(), now, scratch);
}

}  // namespace flatsign::dnssec
