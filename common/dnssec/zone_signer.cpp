// ZoneSigner: assemble the signed zone, decide per RRset whether an old signature can be kept,
// sign the rest on a worker pool.
#include "common/dnssec/zone_signer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace flatsign::dnssec {
namespace {

using dns::RRType;

enum class KeyUse : uint8_t { None, Zsk, Ksk };

struct Item {
  Item(const dns::RRset* r, KeyUse u) : rrset(r), use(u) {}
  const dns::RRset* rrset;
  KeyUse use;
  bool fresh = false;                  // needs new signatures
  std::vector<dns::Rdata> signatures;  // reused or new RRSIG RDATAs
};

struct ChangeKey {
  dns::Name owner;
  RRType type;
  bool operator==(const ChangeKey& o) const { return type == o.type && owner == o.owner; }
};
struct ChangeKeyHash {
  size_t operator()(const ChangeKey& k) const {
    return k.owner.hash() * 31 + static_cast<uint16_t>(k.type);
  }
};

bool serial_before(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}

}  // namespace

ZoneSigner::ZoneSigner(std::vector<DnssecKey> keys, SignerOptions options)
    : keys_(std::move(keys)), options_(std::move(options)) {
  if (keys_.empty()) throw std::invalid_argument("zone signer: no keys");
  for (const auto& k : keys_) {
    if (!k.private_key)
      throw std::invalid_argument("zone signer: key " + k.file_base() + " has no private key");
    if (!can_sign(k.algorithm))
      throw std::invalid_argument("zone signer: cannot sign with " + algorithm_name(k.algorithm));
  }
}

SignResult ZoneSigner::sign_full(const zone::Zone& unsigned_zone) const {
  return sign(unsigned_zone, nullptr, nullptr, true);
}

SignResult ZoneSigner::sign_incremental(const zone::Zone& previous_signed,
                                        const zone::Zone& new_unsigned,
                                        const zone::Diff& diff) const {
  // Fall back to a full sign when the denial mode or NSEC3 parameters changed: every denial
  // record would change anyway (RFC 5155 §7.3 requires one consistent chain).
  const dns::RRset* param = previous_signed.nodes().empty()
                                ? nullptr
                                : previous_signed.nodes()[0].find(RRType::NSEC3PARAM);
  bool nsec3 = options_.denial.mode == DenialMode::Nsec3;
  if ((param != nullptr) != nsec3 ||
      (param && param->rdatas.at(0) != make_nsec3param_rdata(options_.denial.nsec3)))
    return sign_full(new_unsigned);
  // Otherwise: the SOA always, the RRsets in the diff, and every other RRset (denial records
  // included) whose content or keys differ from the previous zone or whose signatures expire.
  return sign(new_unsigned, &previous_signed, &diff, true);
}

SignResult ZoneSigner::refresh(const zone::Zone& signed_zone) const {
  return sign(signed_zone, &signed_zone, nullptr, false);
}

SignResult ZoneSigner::sign(const zone::Zone& input, const zone::Zone* previous,
                            const zone::Diff* diff, bool resign_soa) const {
  auto t0 = std::chrono::steady_clock::now();
  SignaturePolicy policy = options_.timing;
  if (policy.now == 0) policy.now = std::time(nullptr);
  const dns::Name& origin = input.origin();
  for (const auto& k : keys_)
    if (!(k.zone == origin))
      throw std::invalid_argument("zone signer: key " + k.file_base() + " is not for zone " +
                                  origin.to_string());
  std::vector<size_t> ksk, zsk;
  for (size_t i = 0; i < keys_.size(); ++i) (keys_[i].is_sep() ? ksk : zsk).push_back(i);
  if (zsk.empty()) zsk = ksk;  // CSK
  if (ksk.empty()) ksk = zsk;  // ZSK-only: it signs the DNSKEY RRset too

  // Apex records the signer adds: DNSKEY (input keys kept), NSEC3PARAM, CDS/CDNSKEY.
  const zone::Node& apex_node = input.nodes()[0];
  std::vector<dns::RRset> extras;
  const dns::RRset* in_dnskey = apex_node.find(RRType::DNSKEY);
  dns::RRset dnskey{origin,
                    RRType::DNSKEY,
                    dns::RRClass::IN,
                    in_dnskey ? in_dnskey->ttl : options_.dnskey_ttl,
                    {}};
  if (in_dnskey) dnskey.rdatas = in_dnskey->rdatas;
  for (const auto& k : keys_) dnskey.rdatas.push_back(k.dnskey_rdata());
  dnskey.normalize();
  extras.push_back(std::move(dnskey));
  std::vector<RRType> apex_extra = {RRType::DNSKEY};
  if (options_.denial.mode == DenialMode::Nsec3) {
    extras.push_back(dns::RRset{origin,
                                RRType::NSEC3PARAM,
                                dns::RRClass::IN,
                                0,
                                {make_nsec3param_rdata(options_.denial.nsec3)}});
    apex_extra.push_back(RRType::NSEC3PARAM);
  }
  if (options_.publish_cds) {
    dns::RRset cds{origin, RRType::CDS, dns::RRClass::IN, extras[0].ttl, {}};
    dns::RRset cdnskey{origin, RRType::CDNSKEY, dns::RRClass::IN, extras[0].ttl, {}};
    for (size_t i : ksk) {
      cds.rdatas.push_back(keys_[i].ds_rdata(DigestType::SHA256));
      cdnskey.rdatas.push_back(keys_[i].dnskey_rdata());
    }
    cds.normalize();
    cdnskey.normalize();
    extras.push_back(std::move(cds));
    extras.push_back(std::move(cdnskey));
    apex_extra.push_back(RRType::CDS);
    apex_extra.push_back(RRType::CDNSKEY);
  }
  std::sort(apex_extra.begin(), apex_extra.end());
  std::vector<dns::RRset> denial = build_denial_chain(input, apex_extra, options_.denial);

  // Every RRset of the result and which keys sign it (RFC 4035 §2.2).
  std::vector<Item> items;
  items.reserve(input.rrset_count() + denial.size() + extras.size());
  SignStats stats;
  for (size_t ni = 0; ni < input.nodes().size(); ++ni) {
    const zone::Node& node = input.nodes()[ni];
    const bool apex = ni == 0;
    for (const auto& rs : node.rrsets) {
      if (is_signer_type(rs.type) || (apex && rs.type == RRType::DNSKEY)) continue;
      if (apex && (rs.type == RRType::CDS || rs.type == RRType::CDNSKEY) && options_.publish_cds)
        continue;
      ++stats.rrsets_in;
      KeyUse use = KeyUse::Zsk;
      if (node.occluded)
        use = KeyUse::None;  // glue and occluded data
      else if (node.delegation && !apex && rs.type != RRType::DS)
        use = KeyUse::None;  // NS at cut
      items.emplace_back(&rs, use);
    }
  }
  for (const auto& rs : extras)
    items.emplace_back(&rs, rs.type == RRType::NSEC3PARAM ? KeyUse::Zsk : KeyUse::Ksk);
  if (in_dnskey) ++stats.rrsets_in;
  for (const auto& rs : denial) items.emplace_back(&rs, KeyUse::Zsk);
  stats.denial_records = denial.size();

  // Decide per RRset: keep the previous signatures or sign afresh.
  std::unordered_map<dns::Name, const zone::Node*, dns::NameHash> prev_nodes;
  std::unordered_set<ChangeKey, ChangeKeyHash> changed;
  if (previous) {
    prev_nodes.reserve(previous->nodes().size());
    for (const auto& n : previous->nodes()) prev_nodes.emplace(n.name, &n);
    if (diff)
      for (const auto& c : diff->changes) changed.insert({c.owner, c.type});
  }
  const auto now32 = static_cast<uint32_t>(static_cast<uint64_t>(policy.now));
  auto try_reuse = [&](Item& it) {
    const dns::RRset& rs = *it.rrset;
    if (!previous || (resign_soa && rs.type == RRType::SOA) || changed.count({rs.owner, rs.type}))
      return false;
    auto pn = prev_nodes.find(rs.owner);
    if (pn == prev_nodes.end()) return false;
    const dns::RRset* old = pn->second->find(rs.type);
    const dns::RRset* sigs = pn->second->find(RRType::RRSIG);
    if (!old || !sigs || old->ttl != rs.ttl || old->rdatas != rs.rdatas) return false;
    const auto& use = it.use == KeyUse::Ksk ? ksk : zsk;
    std::vector<bool> have(use.size(), false);
    for (const auto& sig : sigs->rdatas) {
      if (sig.size() < 18 || rrsig_covered(sig) != rs.type) continue;
      auto f = parse_rrsig(sig);
      if (!f || f->original_ttl != rs.ttl || serial_before(now32, f->inception) ||
          serial_before(f->expiration, now32 + options_.refresh_within))
        return false;
      size_t k = 0;
      while (k < use.size() &&
             (keys_[use[k]].tag != f->key_tag || uint8_t(keys_[use[k]].algorithm) != f->algorithm))
        ++k;
      if (k == use.size() || have[k]) return false;  // a key we no longer use, or a duplicate
      have[k] = true;
      it.signatures.push_back(sig);
    }
    return std::all_of(have.begin(), have.end(), [](bool b) { return b; });
  };
  std::vector<size_t> todo;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].use == KeyUse::None) continue;
    if (try_reuse(items[i])) {
      ++stats.rrsets_reused;
    } else {
      items[i].signatures.clear();
      items[i].fresh = true;
      todo.push_back(i);
    }
  }

  // Sign on the pool: one Signer per key per thread (crypto.hpp's thread rule).
  unsigned threads = options_.threads ? options_.threads : std::thread::hardware_concurrency();
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(todo.size() / 64 + 1)));
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  auto work = [&] {
    try {
      std::vector<std::unique_ptr<Signer>> signers;
      for (const auto& k : keys_) signers.push_back(k.private_key->make_signer());
      std::vector<uint8_t> scratch;
      constexpr size_t kChunk = 128;
      for (size_t begin; !failed && (begin = next.fetch_add(kChunk)) < todo.size();) {
        for (size_t j = begin; j < std::min(begin + kChunk, todo.size()); ++j) {
          Item& it = items[todo[j]];
          auto times = signature_times(policy, it.rrset->owner, it.rrset->type);
          for (size_t k : it.use == KeyUse::Ksk ? ksk : zsk)
            it.signatures.push_back(
                sign_rrset(*it.rrset, keys_[k], *signers[k], origin, times, scratch));
        }
      }
    } catch (...) {
      if (!failed.exchange(true)) error = std::current_exception();
    }
  };
  auto t1 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  auto t2 = std::chrono::steady_clock::now();
  stats.crypto_seconds = std::chrono::duration<double>(t2 - t1).count();

  // Assemble. All RRSIGs at one owner form one RRset in the Zone model, so they carry the
  // smallest TTL of the RRsets they cover (never above an original TTL, RFC 4034 §3).
  zone::ZoneBuilder builder(origin);
  std::unordered_map<dns::Name, uint32_t, dns::NameHash> sig_ttl;
  for (const auto& it : items)
    if (!it.signatures.empty()) {
      auto [pos, inserted] = sig_ttl.emplace(it.rrset->owner, it.rrset->ttl);
      if (!inserted) pos->second = std::min(pos->second, it.rrset->ttl);
    }
  for (auto& it : items) {
    builder.add(*it.rrset);
    if (it.fresh) {
      ++stats.rrsets_signed;
      stats.signatures += it.signatures.size();
    }
    for (auto& sig : it.signatures)
      builder.add(dns::Rr{it.rrset->owner, RRType::RRSIG, dns::RRClass::IN,
                          sig_ttl[it.rrset->owner], std::move(sig)});
  }
  auto built = std::move(builder).build();
  stats.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {std::move(built.zone), stats};
}

bool same_signed_content(const zone::Zone& a, const zone::Zone& b) {
  if (!(a.origin() == b.origin()) || a.nodes().size() != b.nodes().size()) return false;
  auto sig_keys = [](const dns::RRset& rs) {
    std::vector<std::tuple<uint16_t, uint8_t, uint16_t, uint8_t, uint32_t>> v;
    for (const auto& sig : rs.rdatas)
      if (auto f = parse_rrsig(sig))
        v.emplace_back(uint16_t(f->covered), f->algorithm, f->key_tag, f->labels, f->original_ttl);
    std::sort(v.begin(), v.end());
    return v;
  };
  for (size_t i = 0; i < a.nodes().size(); ++i) {
    const auto& na = a.nodes()[i];
    const auto& nb = b.nodes()[i];
    if (!(na.name == nb.name) || na.rrsets.size() != nb.rrsets.size()) return false;
    for (size_t j = 0; j < na.rrsets.size(); ++j) {
      const auto& ra = na.rrsets[j];
      const auto& rb = nb.rrsets[j];
      if (ra.type == RRType::RRSIG) {
        if (rb.type != RRType::RRSIG || sig_keys(ra) != sig_keys(rb)) return false;
      } else if (!(ra == rb)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace flatsign::dnssec
