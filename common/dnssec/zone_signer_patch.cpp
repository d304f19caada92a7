// ZoneSigner's incremental fast path: patch the previous signed zone (Zone::with_changes) at the
// names a Diff touched, the denial records around them and the SOA, instead of re-assembling
// every RRset. Same result as sign_full() on the new zone (RRsets, and RRSIGs per type and key).
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "common/dns/encoding.hpp"
#include "common/dnssec/signer_parts.hpp"
#include "common/dnssec/zone_signer.hpp"

namespace flatsign::dnssec {
namespace {

using detail::KeyUse;
using dns::Name;
using dns::RRType;

// Above this many touched names (or this share of the zone) a full sign is as cheap and simpler.
constexpr size_t kMaxTouchedNames = 5000;
constexpr size_t kMaxTouchedPerMille = 20;

// Adds to `out` every name of `zone` at or below `top` (they are contiguous in canonical order).
void add_subtree(const zone::Zone& zone, const Name& top, std::set<Name>& out) {
  auto nodes = zone.nodes();
  size_t i = zone.predecessor(top);
  if (!(nodes[i].name == top)) ++i;
  for (; i < nodes.size() && nodes[i].name.is_subdomain_of(top); ++i) out.insert(nodes[i].name);
}

// The NSEC3 chain of the previous signed zone with the changes of this call applied lazily:
// removed and added hashes are few, so neighbours are looked up in the zone itself (hash owner
// names sort like their hashes, RFC 5155 §3.3), skipping blocks without NSEC3 records.
class Nsec3Chain {
 public:
  explicit Nsec3Chain(const zone::Zone& zone) : zone_(zone) {}
  std::vector<Nsec3Hash> removed, added;  // sorted once filled
  mutable bool bad =
      false;  // an NSEC3 owner whose first label is not a hash: the caller falls back

  bool in_old(const Nsec3Hash& h) const {
    return zone_.find(nsec3_owner(h, zone_.origin()), RRType::NSEC3) != nullptr;
  }
  // The next hash after `h` in the new chain, wrapping to the first.
  Nsec3Hash next(const Nsec3Hash& h) const {
    auto best = old_from(zone_.predecessor(nsec3_owner(h, zone_.origin())) + 1);
    auto a = std::upper_bound(added.begin(), added.end(), h);
    if (a != added.end() && (!best || *a < *best)) best = *a;
    return best ? *best : first();
  }
  // The hash before `h` in the new chain, wrapping to the last.
  Nsec3Hash prev(const Nsec3Hash& h) const {
    const Name owner = nsec3_owner(h, zone_.origin());
    size_t at = zone_.predecessor(owner);
    if (!(zone_.nodes()[at].name == owner)) ++at;
    auto best = old_before(at);
    auto a = std::lower_bound(added.begin(), added.end(), h);
    if (a != added.begin() && (!best || *best < *std::prev(a))) best = *std::prev(a);
    if (best) return *best;
    return last(h);
  }

 private:
  size_t block_of(size_t i) const {
    size_t lo = 0, hi = zone_.block_count();  // the last block whose first node is <= i
    while (hi - lo > 1) {
      size_t mid = (lo + hi) / 2;
      (zone_.block_first(mid) <= i ? lo : hi) = mid;
    }
    return lo;
  }
  // The hash of node i when it is in the old chain and not removed.
  std::optional<Nsec3Hash> member(size_t i) const {
    const zone::Node& n = zone_.nodes()[i];
    if (!n.find(RRType::NSEC3)) return std::nullopt;
    raw_.clear();
    if (!dns::base32hex_decode(n.name.first_label(), raw_) || raw_.size() != 20) {
      bad = true;
      return std::nullopt;
    }
    Nsec3Hash h;
    std::copy(raw_.begin(), raw_.end(), h.begin());
    if (std::binary_search(removed.begin(), removed.end(), h)) return std::nullopt;
    return h;
  }
  // The first member at node index >= i.
  std::optional<Nsec3Hash> old_from(size_t i) const {
    const size_t n = zone_.nodes().size();
    for (size_t b = i < n ? block_of(i) : zone_.block_count(); b < zone_.block_count(); ++b) {
      if (zone_.block_summary(b).nsec3_names == 0) continue;
      const size_t end = zone_.block_first(b) + zone_.block_size(b);
      for (size_t k = std::max(i, zone_.block_first(b)); k < end; ++k)
        if (auto h = member(k)) return h;
    }
    return std::nullopt;
  }
  // The last member at node index < i.
  std::optional<Nsec3Hash> old_before(size_t i) const {
    if (i == 0) return std::nullopt;
    for (size_t b = block_of(i - 1) + 1; b-- > 0;) {
      if (zone_.block_summary(b).nsec3_names == 0) continue;
      const size_t first = zone_.block_first(b);
      for (size_t k = std::min(i, first + zone_.block_size(b)); k-- > first;)
        if (auto h = member(k)) return h;
    }
    return std::nullopt;
  }
  Nsec3Hash first() const {
    auto best = old_from(0);
    if (!added.empty() && (!best || added.front() < *best)) best = added.front();
    return best ? *best : Nsec3Hash{};  // the apex's hash is always in the chain
  }
  Nsec3Hash last(const Nsec3Hash& fallback) const {
    auto best = old_before(zone_.nodes().size());
    if (!added.empty() && (!best || *best < added.back())) best = added.back();
    return best ? *best : fallback;
  }

  const zone::Zone& zone_;
  mutable std::vector<uint8_t> raw_;
};

// Replaces the Next Hashed Owner Name of NSEC3 RDATA `rd` (RFC 5155 §3.2).
dns::Rdata with_next_hash(dns::Rdata rd, const Nsec3Hash& next) {
  size_t at = 5 + rd.at(4) + 1;
  if (rd.size() < at + next.size() || rd[at - 1] != next.size())
    throw std::runtime_error("malformed NSEC3 RDATA in the previous signed zone");
  std::copy(next.begin(), next.end(), rd.begin() + static_cast<std::ptrdiff_t>(at));
  return rd;
}

SignResult fall_back(const char* why) {
  SignResult r;
  r.stats.choice = {SigningMode::Reuse, why};
  return r;
}

}  // namespace

SignResult ZoneSigner::patch(const zone::Zone& prev, const zone::Zone& next,
                             const zone::Diff& diff) const {
  auto t0 = std::chrono::steady_clock::now();
  SignaturePolicy policy = options_.timing;
  if (policy.now == 0) policy.now = std::time(nullptr);
  const auto now32 = static_cast<uint32_t>(static_cast<uint64_t>(policy.now));
  const Name& origin = next.origin();
  const bool nsec3 = options_.denial.mode == DenialMode::Nsec3;
  const detail::KeyRoles roles = detail::key_roles(keys_);
  const detail::ApexExtras extras = detail::apex_extras(next, keys_, roles, options_);

  // 1. What is zone-wide (keys, apex key records, denial TTL) choose_signing() checked.
  // 2. The previous zone's signatures, block by block (Zone::block_summary): signatures by
  // other keys mean a fall back; names with signatures due for refresh are re-signed too. Only
  // blocks whose summary shows a due signature (or too many keys to list) are read name by name.
  std::set<Name> expiring;
  Nsec3Chain chain(prev);
  size_t prev_signed = 0, prev_denial = 0;
  auto ours = [&](uint8_t algorithm, uint16_t tag) {
    return std::any_of(keys_.begin(), keys_.end(), [&](const DnssecKey& k) {
      return k.tag == tag && uint8_t(k.algorithm) == algorithm;
    });
  };
  const uint32_t due_before = now32 + options_.refresh_within;
  for (size_t b = 0; b < prev.block_count(); ++b) {
    const zone::BlockSummary& s = prev.block_summary(b);
    if (s.malformed_rrsig) return fall_back("a malformed RRSIG in the previous zone");
    prev_signed += s.signed_rrsets;
    prev_denial += s.nsec_names + (nsec3 ? s.nsec3_names : 0);
    if (!s.any_rrsig) continue;
    for (const auto& [algorithm, tag] : s.keys)
      if (!ours(algorithm, tag)) return fall_back("signatures by keys other than this signer's");
    if (!s.many_keys && !detail::serial_before(now32, s.latest_inception) &&
        !detail::serial_before(s.earliest_expiration, due_before))
      continue;
    const size_t end = prev.block_first(b) + prev.block_size(b);
    for (size_t i = prev.block_first(b); i < end; ++i) {
      const zone::Node& node = prev.nodes()[i];
      const dns::RRset* sigs = node.find(RRType::RRSIG);
      if (!sigs) continue;
      bool due = false;
      for (const auto& sig : sigs->rdatas) {
        auto get32 = [&](size_t at) {
          return (uint32_t{sig[at]} << 24) | (uint32_t{sig[at + 1]} << 16) |
                 (uint32_t{sig[at + 2]} << 8) | sig[at + 3];
        };
        if (!ours(sig[2], static_cast<uint16_t>((sig[16] << 8) | sig[17])))
          return fall_back("signatures by keys other than this signer's");
        due |=
            detail::serial_before(now32, get32(12)) || detail::serial_before(get32(8), due_before);
      }
      if (due) expiring.insert(node.name);
    }
  }

  // 3. The touched names: the diff's owners and the apex (SOA), and every name below a changed
  // zone cut or DNAME, whose occlusion (and so signing) may flip (RFC 4035 §2.2).
  std::set<Name> touched{origin};
  std::set<std::pair<Name, RRType>> changed;
  for (const auto& c : diff.changes) {
    touched.insert(c.owner);
    changed.emplace(c.owner, c.type);
    if (!(c.owner == origin) && (c.type == RRType::NS || c.type == RRType::DNAME)) {
      add_subtree(prev, c.owner, touched);
      add_subtree(next, c.owner, touched);
    }
  }
  const size_t limit = std::min(kMaxTouchedNames, next.nodes().size() * kMaxTouchedPerMille / 1000);
  if (touched.size() + expiring.size() > std::max<size_t>(limit, 64))
    return fall_back("the change touches too many names");

  // 4. The denial records that change. `denial` holds the new record (no RDATA: none) of every
  // name whose record was recomputed; `outputs` the names whose signed content changes.
  const uint32_t dttl = denial_ttl(next.soa());
  const RRType dtype = nsec3 ? RRType::NSEC3 : RRType::NSEC;
  std::map<Name, dns::RRset> denial;
  std::set<Name> outputs = touched;
  outputs.insert(expiring.begin(), expiring.end());
  auto note = [&](const Name& owner, std::vector<dns::Rdata> rdatas) {
    dns::RRset rs{owner, dtype, dns::RRClass::IN, dttl, std::move(rdatas)};
    const dns::RRset* old = prev.find(owner, dtype);
    if (old ? !(*old == rs) : !rs.rdatas.empty()) outputs.insert(owner);
    denial.insert_or_assign(owner, std::move(rs));
  };
  auto nodes = next.nodes();
  if (!nsec3) {
    // RFC 4035 §2.3: a touched name's own NSEC (types, or gone), and the NSEC of its predecessor
    // in the new chain (its Next Domain Name changes when the touched name joins or leaves).
    std::set<Name> redo;
    for (const auto& u : touched) {
      const zone::Node* n = next.find(u);
      if (n && in_denial_chain(*n)) {
        redo.insert(u);
      } else {
        note(u, {});
      }
      if (u == origin) continue;
      size_t i = next.predecessor(u);
      if (nodes[i].name == u) --i;
      while (!in_denial_chain(nodes[i])) --i;  // the apex is always in the chain
      redo.insert(nodes[i].name);
    }
    for (const auto& p : redo) {
      size_t i = next.predecessor(p);
      size_t j = i + 1;
      while (j < nodes.size() && !in_denial_chain(nodes[j])) ++j;
      const Name& following = j < nodes.size() ? nodes[j].name : origin;
      note(p, {make_nsec_rdata(following,
                               signed_types(nodes[i], i == 0, extras.types, DenialMode::Nsec))});
    }
  } else {
    // RFC 5155 §7.1: hash only the touched names and their ancestors (empty non-terminals may
    // appear or disappear); a hash that joins or leaves changes its predecessor's Next Hashed
    // Owner Name.
    const Nsec3Params& p = options_.denial.nsec3;
    auto produces = [&](const zone::Node& n) { return has_own_nsec3(n, n.name == origin, p); };
    std::set<Name> candidates;
    for (const auto& u : touched)
      for (Name up = u;; up = up.parent()) {
        if (!candidates.insert(up).second || up == origin) break;
      }
    struct Entry {
      Nsec3Hash hash;
      bool present;
      std::vector<RRType> types;
    };
    std::vector<Entry> entries;
    for (const auto& x : candidates) {
      Entry e{nsec3_hash(x, p), false, {}};
      const zone::Node* n = next.find(x);
      if (n && (in_denial_chain(*n) || n->occluded)) {
        e.present = produces(*n);
        if (e.present) e.types = signed_types(*n, x == origin, extras.types, DenialMode::Nsec3);
      } else if (!(x == origin)) {  // an empty non-terminal iff something below has a hash
        size_t i = next.predecessor(x);
        for (++i; i < nodes.size() && nodes[i].name.is_subdomain_of(x) && !e.present; ++i)
          e.present = produces(nodes[i]);
      }
      const bool was = chain.in_old(e.hash);
      if (e.present && !was) chain.added.push_back(e.hash);
      if (!e.present && was) chain.removed.push_back(e.hash);
      entries.push_back(std::move(e));
    }
    std::sort(chain.added.begin(), chain.added.end());
    std::sort(chain.removed.begin(), chain.removed.end());
    if (std::adjacent_find(chain.added.begin(), chain.added.end()) != chain.added.end())
      return fall_back("an NSEC3 hash collision");  // sign_full reports it
    if (chain.bad) return fall_back("an NSEC3 owner name in the previous zone that is not a hash");
    std::map<Nsec3Hash, std::vector<dns::Rdata>> records;
    for (const auto& e : entries) {
      if (e.present) {
        records[e.hash] = {make_nsec3_rdata(p, chain.next(e.hash), e.types)};
      } else if (chain.in_old(e.hash)) {
        records[e.hash] = {};
      }
    }
    for (const auto* changes : {&chain.added, &chain.removed})
      for (const auto& h : *changes) {
        Nsec3Hash before = chain.prev(h);
        if (records.count(before)) continue;
        const dns::RRset* old = prev.find(nsec3_owner(before, origin), RRType::NSEC3);
        if (!old || old->rdatas.size() != 1)
          return fall_back("a malformed NSEC3 RRset in the previous zone");
        records[before] = {with_next_hash(old->rdatas[0].to_rdata(), chain.next(before))};
      }
    if (chain.bad) return fall_back("an NSEC3 owner name in the previous zone that is not a hash");
    for (auto& [h, rdatas] : records) note(nsec3_owner(h, origin), std::move(rdatas));
  }
  if (outputs.size() > std::max<size_t>(limit, 64) * 2)
    return fall_back("the change's denial records touch too many names");

  // 5. Each output name's new signed content, signatures kept where the RRset is unchanged.
  SignStats stats;
  stats.patched = true;
  // Every input RRset but signer types (counted per block) and the apex records the signer
  // replaces, as sign_full() counts them.
  stats.rrsets_in = next.rrset_count() + (extras.input_dnskey != nullptr);
  for (size_t b = 0; b < next.block_count(); ++b)
    stats.rrsets_in -= next.block_summary(b).dnssec_rrsets;
  for (const auto& rs : nodes[0].rrsets)
    stats.rrsets_in -=
        detail::replaced_by_signer(true, rs.type, options_) && !is_signer_type(rs.type);
  struct Item {
    dns::RRset rrset;
    KeyUse use;
    bool fresh = false;
  };
  struct Output {
    Name name;
    const zone::Node* old;
    std::vector<Item> items;
    std::vector<dns::Rdata> sigs;
  };
  std::vector<Output> work;
  work.reserve(outputs.size());
  size_t prev_covered_here = 0, prev_denial_here = 0;
  for (const auto& name : outputs) {
    Output out{name, prev.find(name), {}, {}};
    const bool apex = name == origin;
    if (touched.count(name)) {
      if (const zone::Node* n = next.find(name))
        for (const auto& rs : n->rrsets)
          if (!detail::replaced_by_signer(apex, rs.type, options_))
            out.items.push_back({rs, detail::data_key_use(*n, apex, rs.type)});
      if (apex)
        for (const auto& rs : extras.rrsets)
          out.items.push_back({rs, detail::extra_key_use(rs.type)});
    } else if (out.old) {
      for (const auto& rs : out.old->rrsets)
        if (!is_signer_type(rs.type))
          out.items.push_back({rs, detail::data_key_use(*out.old, apex, rs.type)});
    }
    auto d = denial.find(name);
    if (d != denial.end()) {
      if (!d->second.rdatas.empty()) out.items.push_back({d->second, KeyUse::Zsk});
    } else if (const dns::RRset* old = out.old ? out.old->find(dtype) : nullptr) {
      out.items.push_back({*old, KeyUse::Zsk});
    }
    const dns::RRset* old_sigs = out.old ? out.old->find(RRType::RRSIG) : nullptr;
    if (old_sigs)
      for (size_t k = 0; k < old_sigs->rdatas.size(); ++k)
        prev_covered_here +=
            k == 0 || rrsig_covered(old_sigs->rdatas[k]) != rrsig_covered(old_sigs->rdatas[k - 1]);
    if (out.old && out.old->find(dtype)) ++prev_denial_here;
    for (auto& it : out.items) {
      if (it.rrset.type == dtype) ++stats.denial_records;
      if (it.use == KeyUse::None) continue;
      const dns::RRset* old = out.old ? out.old->find(it.rrset.type) : nullptr;
      const bool same = old && old->ttl == it.rrset.ttl && old->rdatas == it.rrset.rdatas;
      size_t mark = out.sigs.size();
      if (same && it.rrset.type != RRType::SOA && !changed.count({name, it.rrset.type}) &&
          detail::reusable_signatures(it.rrset, old_sigs, keys_, roles.of(it.use), now32,
                                      options_.refresh_within, out.sigs)) {
        ++stats.rrsets_reused;
      } else {
        out.sigs.resize(mark);
        it.fresh = true;
      }
    }
    work.push_back(std::move(out));
  }
  stats.denial_records += prev_denial - prev_denial_here;
  stats.rrsets_reused += prev_signed - prev_covered_here;

  // Sign what needs it, on this thread: a few RRsets (one Signer per key, crypto.hpp).
  auto t1 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Signer>> signers;
  for (const auto& k : keys_) signers.push_back(k.private_key->make_signer());
  std::vector<uint8_t> scratch;
  for (auto& out : work)
    for (auto& it : out.items) {
      if (!it.fresh) continue;
      ++stats.rrsets_signed;
      auto times = signature_times(policy, it.rrset.owner, it.rrset.type);
      for (size_t k : roles.of(it.use)) {
        out.sigs.push_back(sign_rrset(it.rrset, keys_[k], *signers[k], origin, times, scratch));
        ++stats.signatures;
      }
    }
  auto t2 = std::chrono::steady_clock::now();
  stats.crypto_seconds = std::chrono::duration<double>(t2 - t1).count();

  // 6. The replacements: changed RRsets, removed types, and each name's whole RRSIG RRset
  // (the Zone keeps one per name, with the smallest TTL of the RRsets it covers, RFC 4034 §3).
  std::vector<dns::RRset> replace;
  for (auto& out : work) {
    dns::RRset sigs{out.name, RRType::RRSIG, dns::RRClass::IN, UINT32_MAX, std::move(out.sigs)};
    for (const auto& it : out.items)
      if (it.use != KeyUse::None) sigs.ttl = std::min(sigs.ttl, it.rrset.ttl);
    sigs.normalize();
    if (sigs.rdatas.empty()) sigs.ttl = 0;
    const dns::RRset* old_sigs = out.old ? out.old->find(RRType::RRSIG) : nullptr;
    if (old_sigs ? !(*old_sigs == sigs) : !sigs.rdatas.empty()) replace.push_back(std::move(sigs));
    if (out.old)
      for (const auto& rs : out.old->rrsets)
        if (rs.type != RRType::RRSIG &&
            std::none_of(out.items.begin(), out.items.end(),
                         [&](const Item& it) { return it.rrset.type == rs.type; }))
          replace.push_back(dns::RRset{rs.owner, rs.type, rs.rclass, 0, {}});
    for (auto& it : out.items) {
      const dns::RRset* old = out.old ? out.old->find(it.rrset.type) : nullptr;
      if (!old || !(*old == it.rrset)) replace.push_back(std::move(it.rrset));
    }
  }
  auto zone = prev.with_changes(std::move(replace));
  auto t3 = std::chrono::steady_clock::now();
  stats.build_seconds = std::chrono::duration<double>(t3 - t2).count();
  stats.seconds = std::chrono::duration<double>(t3 - t0).count();
  return SignResult{std::move(zone), stats};
}

}  // namespace flatsign::dnssec
