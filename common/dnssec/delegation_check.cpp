#include "common/dnssec/delegation_check.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/dnssec/key.hpp"

namespace flatsign::dnssec {
namespace {

std::string tag_list(const std::vector<uint16_t>& tags) {
  return tags.empty() ? std::string("none") : fmt::format("{}", fmt::join(tags, ", "));
}

}  // namespace

std::optional<DelegationMismatch> check_delegation(const zone::Zone& parent,
                                                   const zone::Zone& child) {
  const dns::Name& cut = child.origin();
  const dns::RRset* ds = parent.find(cut, dns::RRType::DS);
  if (!ds || ds->rdatas.empty()) return std::nullopt;
  const dns::RRset* dnskey = child.find(cut, dns::RRType::DNSKEY);
  DelegationMismatch m;
  bool matched = false;
  for (dns::RdataRef d : ds->rdatas) {
    if (d.size() < 4) continue;  // not DS RDATA (RFC 4034 §5.1): matches nothing
    const uint16_t tag = static_cast<uint16_t>(d[0] << 8 | d[1]);
    const uint8_t alg = d[2], digest_type = d[3];
    m.ds_tags.push_back(tag);
    if (!dnskey) continue;
    for (dns::RdataRef k : dnskey->rdatas) {
      // DNSKEY RDATA (RFC 4034 §2.1): flags (2), protocol (1), algorithm (1), key. Only zone
      // keys may be pointed at by a DS (§5.2).
      if (k.size() < 4 || !((k[0] << 8) & kFlagZone) || k[3] != alg || key_tag(k) != tag) continue;
      if (digest_type != static_cast<uint8_t>(DigestType::SHA256) &&
          digest_type != static_cast<uint8_t>(DigestType::SHA384)) {
        matched = true;
        continue;
      }
      const dns::Rdata want = make_ds_rdata(cut, k, static_cast<DigestType>(digest_type));
      if (std::equal(want.begin(), want.end(), d.begin(), d.end())) matched = true;
    }
  }
  if (matched) return std::nullopt;
  if (dnskey)
    for (dns::RdataRef k : dnskey->rdatas)
      if (k.size() >= 4 && ((k[0] << 8) & kFlagZone)) m.dnskey_tags.push_back(key_tag(k));
  for (auto* v : {&m.ds_tags, &m.dnskey_tags}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  m.detail = m.dnskey_tags.empty()
                 ? fmt::format(
                       "{} has a DS for {} (key tags {}) but {} is unsigned (no DNSKEY): "
                       "validators will fail every answer of {}",
                       parent.origin().to_string(), cut.to_string(), tag_list(m.ds_tags),
                       cut.to_string(), cut.to_string())
                 : fmt::format(
                       "the DS of {} at {} (key tags {}) matches none of the DNSKEYs of "
                       "{} (key tags {}): validators will fail every answer of {}",
                       parent.origin().to_string(), cut.to_string(), tag_list(m.ds_tags),
                       cut.to_string(), tag_list(m.dnskey_tags), cut.to_string());
  return m;
}

}  // namespace flatsign::dnssec
