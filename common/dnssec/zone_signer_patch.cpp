// ZoneSigner's incremental fast path: patch the previous signed zone (Zone::with_changes) at the
// names a Diff touched, the denial records around them and the SOA, instead of re-assembling
// every RRset. Same result as sign_full() on the new zone (RRsets, and RRSIGs per type and key).
#include <algorithm>
#include <chrono>
#include <ctime>
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

// Why a patch falls back to a full sign (SigningMode::Reuse), or null when it goes on.
using Fallback = const char*;

// What every step of one patch reads: the two zones and the signer's setup for this call.
struct PatchSetup {
  PatchSetup(const zone::Zone& prev_zone, const zone::Zone& next_zone,
             const std::vector<DnssecKey>& signer_keys, const SignerOptions& signer_options)
      : prev(prev_zone),
        next(next_zone),
        keys(signer_keys),
        options(signer_options),
        origin(next_zone.origin()),
        nsec3(signer_options.denial.mode == DenialMode::Nsec3),
        dtype(nsec3 ? RRType::NSEC3 : RRType::NSEC),
        dttl(denial_ttl(next_zone.soa())),
        roles(detail::key_roles(signer_keys)),
        extras(detail::apex_extras(next_zone, signer_keys, roles, signer_options)) {
    policy = options.timing;
    if (policy.now == 0) policy.now = std::time(nullptr);
    now32 = static_cast<uint32_t>(static_cast<uint64_t>(policy.now));
    const size_t limit =
        std::min(kMaxTouchedNames, next.nodes().size() * kMaxTouchedPerMille / 1000);
    max_names = std::max<size_t>(limit, 64);
  }
  bool ours(uint8_t algorithm, uint16_t tag) const {
    return std::any_of(keys.begin(), keys.end(), [&](const DnssecKey& k) {
      return k.tag == tag && uint8_t(k.algorithm) == algorithm;
    });
  }

  const zone::Zone& prev;
  const zone::Zone& next;
  const std::vector<DnssecKey>& keys;
  const SignerOptions& options;
  const Name& origin;
  const bool nsec3;
  const RRType dtype;   // NSEC or NSEC3
  const uint32_t dttl;  // their TTL (RFC 9077)
  const detail::KeyRoles roles;
  const detail::ApexExtras extras;
  SignaturePolicy policy;  // policy.now set
  uint32_t now32 = 0;
  size_t max_names = 0;  // touched plus expiring names above which the patch falls back
};

// What the previous zone's signatures say (Zone::block_summary, then the nodes of blocks with a
// signature due).
struct PreviousSignatures {
  std::set<Name> expiring;    // names with a signature due for refresh: re-signed too
  size_t signed_rrsets = 0;   // RRsets with signatures
  size_t denial_records = 0;  // NSEC or NSEC3 RRsets of this signer's mode
};

// RFC 4034 §3.1: expiration at octet 8, inception at 12, algorithm at 2, key tag at 16.
uint32_t rrsig_u32(dns::RdataRef sig, size_t at) {
  return (uint32_t{sig[at]} << 24) | (uint32_t{sig[at + 1]} << 16) | (uint32_t{sig[at + 2]} << 8) |
         sig[at + 3];
}

// Reads the previous zone's signatures block by block: signatures by other keys mean a fall
// back; names with signatures due for refresh go to out.expiring. Only blocks whose summary
// shows a due signature (or too many keys to list) are read name by name.
Fallback scan_previous_signatures(const PatchSetup& s, PreviousSignatures& out) {
  const zone::Zone& prev = s.prev;
  const uint32_t due_before = s.now32 + s.options.refresh_within;
  for (size_t b = 0; b < prev.block_count(); ++b) {
    const zone::BlockSummary& sum = prev.block_summary(b);
    if (sum.malformed_rrsig) return "a malformed RRSIG in the previous zone";
    out.signed_rrsets += sum.signed_rrsets;
    out.denial_records += sum.nsec_names + (s.nsec3 ? sum.nsec3_names : 0);
    if (!sum.any_rrsig) continue;
    for (const auto& [algorithm, tag] : sum.keys)
      if (!s.ours(algorithm, tag)) return "signatures by keys other than this signer's";
    if (!sum.many_keys && !detail::serial_before(s.now32, sum.latest_inception) &&
        !detail::serial_before(sum.earliest_expiration, due_before))
      continue;
    const size_t end = prev.block_first(b) + prev.block_size(b);
    for (size_t i = prev.block_first(b); i < end; ++i) {
      const zone::Node& node = prev.nodes()[i];
      const dns::RRset* sigs = node.find(RRType::RRSIG);
      if (!sigs) continue;
      bool due = false;
      for (const auto& sig : sigs->rdatas) {
        if (!s.ours(sig[2], static_cast<uint16_t>((sig[16] << 8) | sig[17])))
          return "signatures by keys other than this signer's";
        due |= detail::serial_before(s.now32, rrsig_u32(sig, 12)) ||
               detail::serial_before(rrsig_u32(sig, 8), due_before);
      }
      if (due) out.expiring.insert(node.name);
    }
  }
  return nullptr;
}

// The names a diff touches: its owners and the apex (SOA), and every name below a changed zone
// cut or DNAME, whose occlusion (and so signing) may flip (RFC 4035 §2.2).
struct Touched {
  std::set<Name> names;
  std::set<std::pair<Name, RRType>> changed;  // the diff's RRsets: never signed alike
};

Touched touched_names(const PatchSetup& s, const zone::Diff& diff) {
  Touched t{{s.origin}, {}};
  for (const auto& c : diff.changes) {
    t.names.insert(c.owner);
    t.changed.emplace(c.owner, c.type);
    if (!(c.owner == s.origin) && (c.type == RRType::NS || c.type == RRType::DNAME)) {
      add_subtree(s.prev, c.owner, t.names);
      add_subtree(s.next, c.owner, t.names);
    }
  }
  return t;
}

// The denial records that change: `records` holds the new record (no RDATA: none) of every name
// whose record was recomputed; `outputs` the names whose signed content changes (the touched
// and expiring names, and the owners of changed denial records).
struct DenialChanges {
  std::map<Name, dns::RRset> records;
  std::set<Name> outputs;

  void note(const PatchSetup& s, const Name& owner, std::vector<dns::Rdata> rdatas) {
    dns::RRset rs{owner, s.dtype, dns::RRClass::IN, s.dttl, std::move(rdatas)};
    const dns::RRset* old = s.prev.find(owner, s.dtype);
    if (old ? !(*old == rs) : !rs.rdatas.empty()) outputs.insert(owner);
    records.insert_or_assign(owner, std::move(rs));
  }
};

// RFC 4035 §2.3: a touched name's own NSEC (types, or gone), and the NSEC of its predecessor in
// the new chain (its Next Domain Name changes when the touched name joins or leaves).
void nsec_changes(const PatchSetup& s, const std::set<Name>& touched, DenialChanges& out) {
  const zone::Zone& next = s.next;
  auto nodes = next.nodes();
  std::set<Name> redo;
  for (const auto& u : touched) {
    const zone::Node* n = next.find(u);
    if (n && in_denial_chain(*n)) {
      redo.insert(u);
    } else {
      out.note(s, u, {});
    }
    if (u == s.origin) continue;
    size_t i = next.predecessor(u);
    if (nodes[i].name == u) --i;
    while (!in_denial_chain(nodes[i])) --i;  // the apex is always in the chain
    redo.insert(nodes[i].name);
  }
  for (const auto& p : redo) {
    size_t i = next.predecessor(p);
    size_t j = i + 1;
    while (j < nodes.size() && !in_denial_chain(nodes[j])) ++j;
    const Name& following = j < nodes.size() ? nodes[j].name : s.origin;
    out.note(s, p,
             {make_nsec_rdata(following,
                              signed_types(nodes[i], i == 0, s.extras.types, DenialMode::Nsec))});
  }
}

// One name whose NSEC3 may change: its hash, whether it has an NSEC3 in the new zone, with
// which types.
struct Nsec3Entry {
  Nsec3Hash hash;
  bool present;
  std::vector<RRType> types;
};

// RFC 5155 §7.1: the touched names and their ancestors (empty non-terminals may appear or
// disappear), each hashed and looked up in the new zone; the hashes joining or leaving the chain
// go to chain.added and chain.removed (sorted).
std::vector<Nsec3Entry> nsec3_entries(const PatchSetup& s, const std::set<Name>& touched,
                                      Nsec3Chain& chain) {
  const Nsec3Params& p = s.options.denial.nsec3;
  auto produces = [&](const zone::Node& n) { return has_own_nsec3(n, n.name == s.origin, p); };
  auto nodes = s.next.nodes();
  std::set<Name> candidates;
  for (const auto& u : touched)
    for (Name up = u;; up = up.parent()) {
      if (!candidates.insert(up).second || up == s.origin) break;
    }
  std::vector<Nsec3Entry> entries;
  for (const auto& x : candidates) {
    Nsec3Entry e{nsec3_hash(x, p), false, {}};
    const zone::Node* n = s.next.find(x);
    if (n && (in_denial_chain(*n) || n->occluded)) {
      e.present = produces(*n);
      if (e.present) e.types = signed_types(*n, x == s.origin, s.extras.types, DenialMode::Nsec3);
    } else if (!(x == s.origin)) {  // an empty non-terminal iff something below has a hash
      size_t i = s.next.predecessor(x);
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
  return entries;
}

// RFC 5155 §7.1: hash only the touched names and their ancestors; a hash that joins or leaves
// changes its predecessor's Next Hashed Owner Name (RFC 5155 §3.2).
Fallback nsec3_changes(const PatchSetup& s, const std::set<Name>& touched, DenialChanges& out) {
  Nsec3Chain chain(s.prev);
  const std::vector<Nsec3Entry> entries = nsec3_entries(s, touched, chain);
  if (std::adjacent_find(chain.added.begin(), chain.added.end()) != chain.added.end())
    return "an NSEC3 hash collision";  // sign_full reports it
  if (chain.bad) return "an NSEC3 owner name in the previous zone that is not a hash";
  std::map<Nsec3Hash, std::vector<dns::Rdata>> records;
  for (const auto& e : entries) {
    if (e.present) {
      records[e.hash] = {make_nsec3_rdata(s.options.denial.nsec3, chain.next(e.hash), e.types)};
    } else if (chain.in_old(e.hash)) {
      records[e.hash] = {};
    }
  }
  for (const auto* changes : {&chain.added, &chain.removed})
    for (const auto& h : *changes) {
      Nsec3Hash before = chain.prev(h);
      if (records.count(before)) continue;
      const dns::RRset* old = s.prev.find(nsec3_owner(before, s.origin), RRType::NSEC3);
      if (!old || old->rdatas.size() != 1) return "a malformed NSEC3 RRset in the previous zone";
      records[before] = {with_next_hash(old->rdatas[0].to_rdata(), chain.next(before))};
    }
  if (chain.bad) return "an NSEC3 owner name in the previous zone that is not a hash";
  for (auto& [h, rdatas] : records) out.note(s, nsec3_owner(h, s.origin), std::move(rdatas));
  return nullptr;
}

// Every input RRset but signer types (counted per block) and the apex records the signer
// replaces, as sign_full() counts them.
size_t input_rrsets(const PatchSetup& s) {
  size_t n = s.next.rrset_count() + (s.extras.input_dnskey != nullptr);
  for (size_t b = 0; b < s.next.block_count(); ++b) n -= s.next.block_summary(b).dnssec_rrsets;
  for (const auto& rs : s.next.nodes()[0].rrsets)
    n -= detail::replaced_by_signer(true, rs.type, s.options) && !is_signer_type(rs.type);
  return n;
}

// One RRset of an output name, and whether it needs fresh signatures.
struct Item {
  dns::RRset rrset;
  KeyUse use;
  bool fresh = false;
};

// One name whose signed content changes: its node in the previous zone (or null), its new
// RRsets and their signatures (kept ones first, fresh ones once signed).
struct Output {
  Name name;
  const zone::Node* old;
  std::vector<Item> items;
  std::vector<dns::Rdata> sigs;
};

// The new RRsets at `name`: the new zone's for a touched name (with the signer's apex records),
// the previous zone's otherwise; then its denial record, recomputed or kept.
Output output_items(const PatchSetup& s, const Name& name, const std::set<Name>& touched,
                    const DenialChanges& denial) {
  Output out{name, s.prev.find(name), {}, {}};
  const bool apex = name == s.origin;
  if (touched.count(name)) {
    if (const zone::Node* n = s.next.find(name))
      for (const auto& rs : n->rrsets)
        if (!detail::replaced_by_signer(apex, rs.type, s.options))
          out.items.push_back({rs, detail::data_key_use(*n, apex, rs.type)});
    if (apex)
      for (const auto& rs : s.extras.rrsets)
        out.items.push_back({rs, detail::extra_key_use(rs.type)});
  } else if (out.old) {
    for (const auto& rs : out.old->rrsets)
      if (!is_signer_type(rs.type))
        out.items.push_back({rs, detail::data_key_use(*out.old, apex, rs.type)});
  }
  auto d = denial.records.find(name);
  if (d != denial.records.end()) {
    if (!d->second.rdatas.empty()) out.items.push_back({d->second, KeyUse::Zsk});
  } else if (const dns::RRset* old = out.old ? out.old->find(s.dtype) : nullptr) {
    out.items.push_back({*old, KeyUse::Zsk});
  }
  return out;
}

// Keeps the previous signatures of each unchanged RRset of `out` (never the SOA's or a diff
// RRset's) where they are still good, and marks the others fresh.
void keep_or_mark_fresh(const PatchSetup& s, const Touched& touched, Output& out,
                        SignStats& stats) {
  const dns::RRset* old_sigs = out.old ? out.old->find(RRType::RRSIG) : nullptr;
  for (auto& it : out.items) {
    if (it.rrset.type == s.dtype) ++stats.denial_records;
    if (it.use == KeyUse::None) continue;
    const dns::RRset* old = out.old ? out.old->find(it.rrset.type) : nullptr;
    const bool same = old && old->ttl == it.rrset.ttl && old->rdatas == it.rrset.rdatas;
    size_t mark = out.sigs.size();
    if (same && it.rrset.type != RRType::SOA && !touched.changed.count({out.name, it.rrset.type}) &&
        detail::reusable_signatures(it.rrset, old_sigs, s.keys, s.roles.of(it.use), s.now32,
                                    s.options.refresh_within, out.sigs)) {
      ++stats.rrsets_reused;
    } else {
      out.sigs.resize(mark);
      it.fresh = true;
    }
  }
}

// The output names' new content. The counts of stats cover the whole zone: what the previous
// zone had at names that are not output names stays as it was.
std::vector<Output> plan_outputs(const PatchSetup& s, const Touched& touched,
                                 const DenialChanges& denial, const PreviousSignatures& previous,
                                 SignStats& stats) {
  std::vector<Output> work;
  work.reserve(denial.outputs.size());
  size_t prev_covered_here = 0, prev_denial_here = 0;
  for (const auto& name : denial.outputs) {
    Output out = output_items(s, name, touched.names, denial);
    if (const dns::RRset* old_sigs = out.old ? out.old->find(RRType::RRSIG) : nullptr)
      for (size_t k = 0; k < old_sigs->rdatas.size(); ++k)  // RRSIGs sorted by type covered
        prev_covered_here +=
            k == 0 || rrsig_covered(old_sigs->rdatas[k]) != rrsig_covered(old_sigs->rdatas[k - 1]);
    if (out.old && out.old->find(s.dtype)) ++prev_denial_here;
    keep_or_mark_fresh(s, touched, out, stats);
    work.push_back(std::move(out));
  }
  stats.denial_records += previous.denial_records - prev_denial_here;
  stats.rrsets_reused += previous.signed_rrsets - prev_covered_here;
  return work;
}

// Signs the fresh RRsets on this thread: a few RRsets (one Signer per key, crypto.hpp).
void sign_fresh(const PatchSetup& s, std::vector<Output>& work, SignStats& stats) {
  std::vector<std::unique_ptr<Signer>> signers;
  for (const auto& k : s.keys) signers.push_back(k.private_key->make_signer());
  std::vector<uint8_t> scratch;
  for (auto& out : work)
    for (auto& it : out.items) {
      if (!it.fresh) continue;
      ++stats.rrsets_signed;
      auto times = signature_times(s.policy, it.rrset.owner, it.rrset.type);
      for (size_t k : s.roles.of(it.use)) {
        out.sigs.push_back(sign_rrset(it.rrset, s.keys[k], *signers[k], s.origin, times, scratch));
        ++stats.signatures;
      }
    }
}

// Appends the replacements of one output name to `replace`: its whole RRSIG RRset (the Zone
// keeps one per name, with the smallest TTL of the RRsets it covers, RFC 4034 §3), its removed
// types (empty RRsets) and its changed RRsets. Moves out of `out`.
void add_replacements(Output& out, std::vector<dns::RRset>& replace) {
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

SignResult fall_back(Fallback why) {
  SignResult r;
  r.stats.choice = {SigningMode::Reuse, why};
  return r;
}

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

SignResult ZoneSigner::patch(const zone::Zone& prev, const zone::Zone& next,
                             const zone::Diff& diff) const {
  const auto t0 = std::chrono::steady_clock::now();
  const PatchSetup s(prev, next, keys_, options_);
  // 1. The previous signatures: ours only; those due for refresh are re-signed too.
  PreviousSignatures previous;
  if (Fallback why = scan_previous_signatures(s, previous)) return fall_back(why);
  // 2. The names the diff touches; above a share of the zone a full sign is as cheap.
  const Touched touched = touched_names(s, diff);
  if (touched.names.size() + previous.expiring.size() > s.max_names)
    return fall_back("the change touches too many names");
  // 3. The denial records that change around them.
  DenialChanges denial{{}, touched.names};
  denial.outputs.insert(previous.expiring.begin(), previous.expiring.end());
  if (s.nsec3) {
    if (Fallback why = nsec3_changes(s, touched.names, denial)) return fall_back(why);
  } else {
    nsec_changes(s, touched.names, denial);
  }
  if (denial.outputs.size() > s.max_names * 2)
    return fall_back("the change's denial records touch too many names");
  // 4. Each output name's new content, signatures kept where the RRset is unchanged.
  SignStats stats;
  stats.patched = true;
  stats.rrsets_in = input_rrsets(s);
  std::vector<Output> work = plan_outputs(s, touched, denial, previous, stats);
  // 5. Sign what needs it.
  const auto t1 = std::chrono::steady_clock::now();
  sign_fresh(s, work, stats);
  const auto t2 = std::chrono::steady_clock::now();
  // 6. Patch the previous zone with the changed RRsets, removed types and RRSIG RRsets.
  std::vector<dns::RRset> replace;
  for (auto& out : work) add_replacements(out, replace);
  auto zone = prev.with_changes(std::move(replace));
  const auto t3 = std::chrono::steady_clock::now();
  stats.crypto_seconds = seconds_between(t1, t2);
  stats.build_seconds = seconds_between(t2, t3);
  stats.seconds = seconds_between(t0, t3);
  return SignResult{std::move(zone), stats};
}

}  // namespace flatsign::dnssec
