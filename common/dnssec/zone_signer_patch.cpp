// ZoneSigner's incremental fast path: patch the previous signed zone (Zone::with_changes) at the
// names a Diff touched, the denial records around them and the SOA, instead of re-assembling
// every RRset. Same result as sign_full() on the new zone (RRsets, and RRSIGs per type and key).
#include <algorithm>
#include <chrono>
#include <map>
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

// The sorted NSEC3 chain of a signed zone, with the changes of this call applied lazily:
// removed and added hashes are few, so neighbours are found in the old chain by binary search.
class Nsec3Chain {
 public:
  std::vector<Nsec3Hash> old;             // sorted
  std::vector<Nsec3Hash> removed, added;  // sorted once filled

  bool in_old(const Nsec3Hash& h) const { return std::binary_search(old.begin(), old.end(), h); }
  // The next hash after `h` in the new chain, wrapping to the first.
  Nsec3Hash next(const Nsec3Hash& h) const {
    const Nsec3Hash* best = nullptr;
    for (auto it = std::upper_bound(old.begin(), old.end(), h); it != old.end(); ++it)
      if (!std::binary_search(removed.begin(), removed.end(), *it)) {
        best = &*it;
        break;
      }
    auto a = std::upper_bound(added.begin(), added.end(), h);
    if (a != added.end() && (!best || *a < *best)) best = &*a;
    return best ? *best : first();
  }
  // The hash before `h` in the new chain, wrapping to the last.
  Nsec3Hash prev(const Nsec3Hash& h) const {
    const Nsec3Hash* best = nullptr;
    for (auto it = std::lower_bound(old.begin(), old.end(), h); it != old.begin();) {
      --it;
      if (!std::binary_search(removed.begin(), removed.end(), *it)) {
        best = &*it;
        break;
      }
    }
    auto a = std::lower_bound(added.begin(), added.end(), h);
    if (a != added.begin() && (!best || *best < *std::prev(a))) best = &*std::prev(a);
    if (best) return *best;
    return last(h);
  }

 private:
  Nsec3Hash first() const {
    const Nsec3Hash* best = added.empty() ? nullptr : &added.front();
    for (const auto& h : old)
      if (!std::binary_search(removed.begin(), removed.end(), h)) {
        if (!best || h < *best) best = &h;
        break;
      }
    return *best;  // the apex's hash is always in the chain
  }
  Nsec3Hash last(const Nsec3Hash& fallback) const {
    const Nsec3Hash* best = added.empty() ? nullptr : &added.back();
    for (auto it = old.rbegin(); it != old.rend(); ++it)
      if (!std::binary_search(removed.begin(), removed.end(), *it)) {
        if (!best || *best < *it) best = &*it;
        break;
      }
    return best ? *best : fallback;
  }
};

// Replaces the Next Hashed Owner Name of NSEC3 RDATA `rd` (RFC 5155 §3.2).
dns::Rdata with_next_hash(dns::Rdata rd, const Nsec3Hash& next) {
  size_t at = 5 + rd.at(4) + 1;
  if (rd.size() < at + next.size() || rd[at - 1] != next.size())
    throw std::runtime_error("malformed NSEC3 RDATA in the previous signed zone");
  std::copy(next.begin(), next.end(), rd.begin() + static_cast<std::ptrdiff_t>(at));
  return rd;
}

}  // namespace

std::optional<SignResult> ZoneSigner::patch(const zone::Zone& prev, const zone::Zone& next,
                                            const zone::Diff& diff) const {
  auto t0 = std::chrono::steady_clock::now();
  SignaturePolicy policy = options_.timing;
  if (policy.now == 0) policy.now = std::time(nullptr);
  const auto now32 = static_cast<uint32_t>(static_cast<uint64_t>(policy.now));
  const Name& origin = next.origin();
  const bool nsec3 = options_.denial.mode == DenialMode::Nsec3;
  if (!(prev.origin() == origin)) return std::nullopt;
  for (const auto& k : keys_)
    if (!(k.zone == origin)) return std::nullopt;  // sign_full reports it
  const detail::KeyRoles roles = detail::key_roles(keys_);
  const detail::ApexExtras extras = detail::apex_extras(next, keys_, roles, options_);

  // 1. Fall back when anything zone-wide changed: the apex key records (keys, DNSKEY TTL, CDS),
  // the keys that signed the SOA and DNSKEY, or the denial TTL (RFC 9077: every NSEC/NSEC3).
  const zone::Node& prev_apex = prev.nodes()[0];
  for (const auto& rs : extras.rrsets) {
    const dns::RRset* old = prev_apex.find(rs.type);
    if (!old || !(*old == rs)) return std::nullopt;
  }
  if (denial_ttl(prev.soa()) != denial_ttl(next.soa())) return std::nullopt;
  for (RRType t : {RRType::SOA, RRType::DNSKEY}) {  // every key of its role, no other
    std::vector<dns::Rdata> kept;
    const dns::RRset* rs = prev_apex.find(t);
    if (!rs || !detail::reusable_signatures(*rs, prev_apex.find(RRType::RRSIG), keys_,
                                            roles.of(t == RRType::SOA ? KeyUse::Zsk : KeyUse::Ksk),
                                            now32, 0, kept))
      return std::nullopt;
  }

  // 2. One pass over the previous zone: signatures by other keys (fall back), signatures due
  // for refresh (their names are re-signed too), the NSEC3 chain, and counts for the stats.
  std::set<Name> expiring;
  Nsec3Chain chain;
  size_t prev_signed = 0, prev_denial = 0;
  std::vector<uint8_t> raw;
  for (const auto& node : prev.nodes()) {
    if (const dns::RRset* sigs = node.find(RRType::RRSIG)) {
      RRType last = RRType::RRSIG;
      bool due = false;
      for (const auto& sig : sigs->rdatas) {
        if (sig.size() < 18) return std::nullopt;
        auto get32 = [&](size_t at) {
          return (uint32_t{sig[at]} << 24) | (uint32_t{sig[at + 1]} << 16) |
                 (uint32_t{sig[at + 2]} << 8) | sig[at + 3];
        };
        const uint16_t tag = static_cast<uint16_t>((sig[16] << 8) | sig[17]);
        if (std::none_of(keys_.begin(), keys_.end(), [&](const DnssecKey& k) {
              return k.tag == tag && uint8_t(k.algorithm) == sig[2];
            }))
          return std::nullopt;
        due |= detail::serial_before(now32, get32(12)) ||
               detail::serial_before(get32(8), now32 + options_.refresh_within);
        if (rrsig_covered(sig) != last) ++prev_signed;  // sorted: one run per covered type
        last = rrsig_covered(sig);
      }
      if (due) expiring.insert(node.name);
    }
    if (node.find(RRType::NSEC)) ++prev_denial;
    if (nsec3 && node.find(RRType::NSEC3)) {
      ++prev_denial;
      raw.clear();
      if (!dns::base32hex_decode(node.name.first_label(), raw) || raw.size() != 20)
        return std::nullopt;
      Nsec3Hash h;
      std::copy(raw.begin(), raw.end(), h.begin());
      chain.old.push_back(h);
    }
  }
  if (!std::is_sorted(chain.old.begin(), chain.old.end())) return std::nullopt;

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
  if (touched.size() + expiring.size() > std::max<size_t>(limit, 64)) return std::nullopt;

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
      return std::nullopt;  // a hash collision: sign_full reports it
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
        if (!old || old->rdatas.size() != 1) return std::nullopt;
        records[before] = {with_next_hash(old->rdatas[0], chain.next(before))};
      }
    for (auto& [h, rdatas] : records) note(nsec3_owner(h, origin), std::move(rdatas));
  }
  if (outputs.size() > std::max<size_t>(limit, 64) * 2) return std::nullopt;

  // 5. Each output name's new signed content, signatures kept where the RRset is unchanged.
  SignStats stats;
  stats.patched = true;
  for (size_t ni = 0; ni < nodes.size(); ++ni)
    for (const auto& rs : nodes[ni].rrsets)
      stats.rrsets_in += !detail::replaced_by_signer(ni == 0, rs.type, options_);
  stats.rrsets_in += extras.input_dnskey != nullptr;
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
