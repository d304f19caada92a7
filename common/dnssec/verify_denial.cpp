// verify_zone's denial-chain check, whole or incremental (RFC 4035 §2.3, RFC 5155 §7.1).
//
// Why the incremental check gives the full check's verdict. Let A(Z) map each owner to the
// NSEC/NSEC3 RRset a zone Z holds there and D(Z) to the one its recomputed chain has there; the
// full check reports exactly the owners where A(Z) and D(Z) differ. `before` passed, so
// A(before) == D(before) everywhere. A differs between the zones only at names of nodes that
// are not shared (a shared node is the same object). D(Z)[y] depends on y's own node (types,
// cut, occlusion, for NSEC3 also its subtree: empty non-terminals and opt-out), on the apex
// (extra types, TTL, parameters: the same or we fall back) and on the next member of the chain;
// with P the chain's members, the next member of y changes only when y is the predecessor in
// the new chain of a member that joined or left (if nothing joined between y and its old
// successor s, then s left, and y precedes s in the new chain). So outside W = {changed names,
// the apex, for NSEC3 the hashes of the changed names and their ancestors, the new-chain
// predecessors of members that joined or left} both A and D are those of `before`, and equal;
// inside W, D(zone) is computed with the same functions the full check uses and compared with
// A(zone) the same way. Membership in `before`'s chain is read from its records (A == D there).
#include "common/dnssec/verify_denial.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/dns/encoding.hpp"
#include "common/dns/rdata.hpp"

namespace flatsign::dnssec::detail {
namespace {

using dns::Name;
using dns::RRType;
using Kind = VerifyProblem::Kind;
constexpr size_t kNone = SIZE_MAX;

// One owner: `have` is the zone's record there, `want` the chain's (no RDATA: none expected).
void compare_record(const Name& owner, RRType dtype, const dns::RRset* have, const dns::RRset& want,
                    const ProblemSink& problem, std::vector<Name>& missing) {
  if (have == nullptr) {
    if (!want.rdatas.empty()) missing.push_back(owner);
    return;
  }
  if (want.rdatas.empty()) {
    problem(Kind::ExtraDenial, owner, dtype, "not part of the chain");
  } else if (have->rdatas != want.rdatas) {
    std::string got = have->rdatas.empty() ? "" : dns::rdata_to_text(dtype, have->rdatas[0]);
    problem(Kind::WrongDenial, owner, dtype,
            "have \"" + got + "\", expected \"" + dns::rdata_to_text(dtype, want.rdatas[0]) + "\"");
  } else if (have->ttl != want.ttl) {
    problem(Kind::WrongDenial, owner, dtype,
            "TTL " + std::to_string(have->ttl) + ", expected " + std::to_string(want.ttl) +
                " (RFC 9077)");
  }
}

size_t block_of(const zone::Zone& z, size_t i) {
  size_t lo = 0, hi = z.block_count();  // the last block whose first node is <= i
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    (z.block_first(mid) <= i ? lo : hi) = mid;
  }
  return lo;
}

// The first NSEC3 of `before`'s chain (per its records) that sorts after `y`, in the new chain,
// or the last before `c`: NSEC3 owner names sort like their hashes (one label of fixed length
// under the origin, base32hex keeps the order, RFC 5155 §3.3).
class OldChain {
 public:
  OldChain(const zone::Zone& z, const std::set<Name>& removed) : z_(z), removed_(removed) {}
  // Index of the first member at node index >= from, or kNone.
  size_t first_from(size_t from) const {
    if (from >= z_.nodes().size()) return kNone;
    for (size_t b = block_of(z_, from); b < z_.block_count(); ++b) {
      if (z_.block_summary(b).nsec3_names == 0) continue;
      const size_t end = z_.block_first(b) + z_.block_size(b);
      for (size_t k = std::max(from, z_.block_first(b)); k < end; ++k)
        if (member(k)) return k;
    }
    return kNone;
  }
  // Index of the last member at node index < until, or kNone.
  size_t last_before(size_t until) const {
    if (until == 0) return kNone;
    for (size_t b = block_of(z_, until - 1) + 1; b-- > 0;) {
      if (z_.block_summary(b).nsec3_names == 0) continue;
      const size_t first = z_.block_first(b);
      for (size_t k = std::min(until, first + z_.block_size(b)); k-- > first;)
        if (member(k)) return k;
    }
    return kNone;
  }

 private:
  bool member(size_t k) const {
    const zone::Node& n = z_.nodes()[k];
    return n.find(RRType::NSEC3) != nullptr && removed_.count(n.name) == 0;
  }
  const zone::Zone& z_;
  const std::set<Name>& removed_;
};

// RFC 5155 §7.1 as build_denial_chain applies it: does `x` get an NSEC3 in `z`, and with
// which types? Its own when it is an authoritative name not opted out; an empty one when it is
// an empty non-terminal: not the apex, not itself an authoritative or occluded name, and above
// a name with its own NSEC3 with no authoritative or occluded name in between.
bool nsec3_member(const zone::Zone& z, const Name& x, const Nsec3Params& p,
                  std::span<const RRType> apex_extra, std::vector<RRType>& types) {
  const bool apex = x == z.origin();
  const zone::Node* n = z.find(x);
  if (n != nullptr && has_own_nsec3(*n, apex, p)) {
    types = signed_types(*n, apex, apex_extra, DenialMode::Nsec3);
    return true;
  }
  if (apex || (n != nullptr && (in_denial_chain(*n) || n->occluded))) return false;
  auto nodes = z.nodes();
  const Name* blocked = nullptr;  // an authoritative or occluded name below x: its subtree stops
  for (size_t j = z.predecessor(x) + 1; j < nodes.size() && nodes[j].name.is_subdomain_of(x); ++j) {
    const zone::Node& m = nodes[j];
    if (blocked != nullptr && m.name.is_subdomain_of(*blocked)) continue;
    blocked = nullptr;
    if (has_own_nsec3(m, false, p)) return true;
    if (in_denial_chain(m) || m.occluded) blocked = &m.name;
  }
  return false;
}

bool hash_of_owner(const Name& owner, Nsec3Hash& out) {
  std::vector<uint8_t> raw;
  if (!dns::base32hex_decode(owner.first_label(), raw) || raw.size() != out.size()) return false;
  std::copy(raw.begin(), raw.end(), out.begin());
  return true;
}

// The apex facts both zones' chains depend on are the same: origin, denial TTL, NSEC3PARAM.
bool same_denial_setup(const ZonePair& pair, const DenialSetup& setup) {
  const zone::Zone& z = pair.zone;
  const zone::Zone& old = pair.before;
  if (!(old.origin() == z.origin()) || denial_ttl(old.soa()) != setup.ttl) return false;
  const dns::RRset* param = z.nodes()[0].find(RRType::NSEC3PARAM);
  const dns::RRset* old_param = old.nodes()[0].find(RRType::NSEC3PARAM);
  return (param == nullptr) == (old_param == nullptr) && (!param || *param == *old_param);
}

// The apex and the names of the nodes that are not shared, on either side; nullopt beyond a
// few blocks' worth, where the whole check costs about the same.
std::optional<std::set<Name>> changed_names(const ZonePair& pair) {
  const zone::Zone& z = pair.zone;
  const zone::Zone& old = pair.before;
  size_t unshared = 0;
  for (size_t b = 0; b < z.block_count(); ++b)
    unshared += pair.zone_shared[b] ? 0 : z.block_size(b);
  for (size_t b = 0; b < old.block_count(); ++b)
    unshared += pair.before_shared[b] ? 0 : old.block_size(b);
  if (unshared > std::max<size_t>(4096, z.nodes().size() / 8)) return std::nullopt;
  std::set<Name> changed{z.origin()};
  auto collect = [&changed](const zone::Zone& from, const std::vector<char>& shared) {
    for (size_t b = 0; b < from.block_count(); ++b) {
      if (shared[b]) continue;
      for (size_t i = from.block_first(b); i < from.block_first(b) + from.block_size(b); ++i)
        changed.insert(from.nodes()[i].name);
    }
  };
  collect(z, pair.zone_shared);
  collect(old, pair.before_shared);
  return changed;
}

// RFC 4035 §2.3: members are the authoritative names; each points to the next. The expected
// NSEC at the changed names and at the new chain's predecessor of each name that joined or left.
std::map<Name, dns::RRset> expected_nsec(const ZonePair& pair, const std::set<Name>& changed,
                                         const DenialSetup& setup) {
  const zone::Zone& z = pair.zone;
  const Name& origin = z.origin();
  auto nodes = z.nodes();
  auto member = [](const zone::Zone& in, const Name& x) {
    const zone::Node* n = in.find(x);
    return n != nullptr && in_denial_chain(*n);
  };
  std::set<Name> owners = changed;
  for (const auto& x : changed) {
    if (x == origin || member(pair.before, x) == member(z, x)) continue;
    size_t i = z.predecessor(x);  // the new chain's member before x (the apex at worst)
    if (nodes[i].name == x && i > 0) --i;
    while (i > 0 && !in_denial_chain(nodes[i])) --i;
    owners.insert(nodes[i].name);
  }
  std::map<Name, dns::RRset> want;
  for (const auto& y : owners) {
    dns::RRset rs{y, RRType::NSEC, dns::RRClass::IN, setup.ttl, {}};
    const zone::Node* n = z.find(y);
    if (n != nullptr && in_denial_chain(*n)) {
      const size_t i = z.predecessor(y);
      size_t j = i + 1;
      while (j < nodes.size() && !in_denial_chain(nodes[j])) ++j;
      const Name& next = j < nodes.size() ? nodes[j].name : origin;
      rs.rdatas.push_back(
          make_nsec_rdata(next, signed_types(*n, i == 0, setup.apex_extra, DenialMode::Nsec)));
    }
    want.emplace(y, std::move(rs));
  }
  return want;
}

// Opt-Out, as the full check reads it: any NSEC3 with the flag. `before`'s records all carry its
// value, and so do the ones the shared blocks keep. nullopt when `before` has no NSEC3 or the
// value changed (every record's flag changes: the full check).
std::optional<bool> nsec3_opt_out(const ZonePair& pair) {
  const zone::Zone& z = pair.zone;
  const zone::Zone& old = pair.before;
  std::optional<bool> old_opt;
  for (size_t b = 0; b < old.block_count() && !old_opt; ++b) {
    if (old.block_summary(b).nsec3_names == 0) continue;
    for (size_t i = old.block_first(b); i < old.block_first(b) + old.block_size(b); ++i)
      if (const auto* n3 = old.nodes()[i].find(RRType::NSEC3)) {
        old_opt = n3->rdatas.at(0).size() > 1 && (n3->rdatas[0][1] & 1) != 0;
        break;
      }
  }
  if (!old_opt) return std::nullopt;
  bool opt = false;
  for (size_t b = 0; b < z.block_count(); ++b) {
    if (pair.zone_shared[b]) {
      opt |= *old_opt && z.block_summary(b).nsec3_names > 0;
      continue;
    }
    for (size_t i = z.block_first(b); i < z.block_first(b) + z.block_size(b); ++i)
      if (const auto* n3 = z.nodes()[i].find(RRType::NSEC3); n3 && n3->rdatas.at(0).size() > 1)
        opt |= (n3->rdatas[0][1] & 1) != 0;
  }
  if (opt != *old_opt) return std::nullopt;
  return opt;
}

// The new NSEC3 chain near the changed names: the names whose NSEC3 can change (the changed
// ones and their ancestors: empty non-terminals come and go with what is below them), by NSEC3
// owner, the owners joining or leaving, and each owner's neighbours in the new chain (from
// `before`'s records and the joined owners).
class NewNsec3Chain {
 public:
  struct Entry {
    Nsec3Hash hash;
    bool present;
    std::vector<RRType> types;
  };

  NewNsec3Chain(const ZonePair& pair, const std::set<Name>& changed, const Nsec3Params& p,
                const DenialSetup& setup)
      : old_(pair.before), chain_(pair.before, removed) {
    const Name& origin = pair.zone.origin();
    std::set<Name> candidates;
    for (const auto& x : changed)
      for (Name up = x;; up = up.parent())
        if (!candidates.insert(up).second || up == origin) break;
    for (const auto& x : candidates) {
      Entry e{nsec3_hash(x, p), false, {}};
      e.present = nsec3_member(pair.zone, x, p, setup.apex_extra, e.types);
      Name owner = nsec3_owner(e.hash, origin);
      const bool was = old_.find(owner, RRType::NSEC3) != nullptr;
      if (e.present && !was) added.insert(owner);
      if (!e.present && was) removed.insert(owner);
      entries.insert_or_assign(std::move(owner), std::move(e));
    }
  }
  NewNsec3Chain(const NewNsec3Chain&) = delete;  // chain_ refers to removed
  NewNsec3Chain& operator=(const NewNsec3Chain&) = delete;

  // The new chain's member after `y`, wrapping to the first.
  const Name* next_of(const Name& y) const {
    const Name* best = pick(chain_.first_from(old_.predecessor(y) + 1));
    if (auto a = added.upper_bound(y); a != added.end() && (!best || *a < *best)) best = &*a;
    if (best == nullptr) {
      best = pick(chain_.first_from(0));
      if (!added.empty() && (!best || *added.begin() < *best)) best = &*added.begin();
    }
    return best;  // never null: the apex's hash is in the chain
  }
  // The new chain's member before `c`, wrapping to the last.
  const Name* prev_of(const Name& c) const {
    const size_t i = old_.predecessor(c);
    const Name* best = pick(chain_.last_before(old_.nodes()[i].name == c ? i : i + 1));
    if (auto a = added.lower_bound(c); a != added.begin() && (!best || *best < *std::prev(a)))
      best = &*std::prev(a);
    if (best == nullptr) {
      best = pick(chain_.last_before(old_.nodes().size()));
      if (!added.empty() && (!best || *best < *added.rbegin())) best = &*added.rbegin();
    }
    return best;
  }
  // The hash of next_of(y); false when its owner name is not a hash.
  bool next_hash(const Name& y, Nsec3Hash& out) const {
    const Name* n = next_of(y);
    if (n == nullptr) return false;
    if (auto e = entries.find(*n); e != entries.end()) {
      out = e->second.hash;
      return true;
    }
    return hash_of_owner(*n, out);
  }

  std::map<Name, Entry> entries;  // by NSEC3 owner
  std::set<Name> added, removed;  // NSEC3 owners joining or leaving the chain

 private:
  const Name* pick(size_t k) const { return k == kNone ? nullptr : &old_.nodes()[k].name; }
  const zone::Zone& old_;
  const OldChain chain_;
};

// A member whose name and types did not change: its record in `before`, which was right, with
// the new chain's next hash (RFC 5155 §3.2 field layout). False when that record is malformed.
bool with_new_next_hash(const dns::RRset& old, const NewNsec3Chain& chain, const Name& y,
                        dns::Rdata& out) {
  if (old.rdatas.size() != 1 || old.rdatas[0].size() < 5) return false;
  out = old.rdatas[0].to_rdata();
  Nsec3Hash next{};
  const size_t at = size_t{5} + out[4] + 1;
  if (out.size() < at + next.size() || out[at - 1] != next.size() || !chain.next_hash(y, next))
    return false;
  std::copy(next.begin(), next.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
  return true;
}

// RFC 5155 §7.1: the expected NSEC3 at the changed names, the NSEC3 owners of the changed names
// and their ancestors, and the new chain's predecessor of each owner that joined or left. False
// when it cannot tell (a malformed record in `before`).
bool expected_nsec3(const ZonePair& pair, const std::set<Name>& changed, const DenialSetup& setup,
                    bool opt_out, std::map<Name, dns::RRset>& want) {
  Nsec3Params p = setup.config.nsec3;
  p.opt_out = opt_out;
  const NewNsec3Chain chain(pair, changed, p, setup);
  std::set<Name> owners = changed;
  for (const auto& [owner, e] : chain.entries) owners.insert(owner);
  for (const auto* joined_or_left : {&chain.added, &chain.removed})
    for (const auto& c : *joined_or_left)
      if (const Name* before_c = chain.prev_of(c)) owners.insert(*before_c);
  for (const auto& y : owners) {
    dns::RRset rs{y, RRType::NSEC3, dns::RRClass::IN, setup.ttl, {}};
    if (auto e = chain.entries.find(y); e != chain.entries.end()) {
      if (e->second.present) {
        Nsec3Hash next{};
        if (!chain.next_hash(y, next)) return false;
        rs.rdatas.push_back(make_nsec3_rdata(p, next, e->second.types));
      }
    } else if (const dns::RRset* o = pair.before.find(y, RRType::NSEC3)) {
      dns::Rdata rd;
      if (!with_new_next_hash(*o, chain, y, rd)) return false;
      rs.rdatas.push_back(std::move(rd));
    }
    want.emplace(y, std::move(rs));
  }
  return true;
}

}  // namespace

ZonePair pair_zones(const zone::Zone& zone, const zone::Zone& before) {
  ZonePair p{zone, before, std::vector<char>(zone.block_count()),
             std::vector<char>(before.block_count())};
  // A block's node storage belongs to that block alone: equal first-node addresses are the
  // same block, hence the same nodes.
  auto firsts = [](const zone::Zone& z) {
    std::unordered_set<const zone::Node*> s;
    s.reserve(z.block_count());
    for (size_t b = 0; b < z.block_count(); ++b)
      if (z.block_size(b) > 0) s.insert(&z.nodes()[z.block_first(b)]);
    return s;
  };
  const auto in_before = firsts(before);
  const auto in_zone = firsts(zone);
  for (size_t b = 0; b < zone.block_count(); ++b)
    p.zone_shared[b] =
        zone.block_size(b) > 0 && in_before.count(&zone.nodes()[zone.block_first(b)]) > 0;
  for (size_t b = 0; b < before.block_count(); ++b)
    p.before_shared[b] =
        before.block_size(b) > 0 && in_zone.count(&before.nodes()[before.block_first(b)]) > 0;
  return p;
}

void check_denial_full(const zone::Zone& zone, DenialSetup setup, const ProblemSink& problem) {
  if (setup.config.mode == DenialMode::Nsec3)
    for (const auto& node : zone.nodes())
      if (const auto* n3 = node.find(RRType::NSEC3); n3 && n3->rdatas.at(0).size() > 1)
        setup.config.nsec3.opt_out |= (n3->rdatas[0][1] & 1) != 0;
  // Hashed, not ordered: one lookup per node of a large zone.
  struct NameRefHash {
    size_t operator()(const Name& n) const { return n.hash(); }
  };
  std::unordered_map<std::reference_wrapper<const Name>, const dns::RRset*, NameRefHash,
                     std::equal_to<Name>>
      expected;
  auto chain = build_denial_chain(zone, setup.apex_extra, setup.config);
  expected.reserve(chain.size());
  for (const auto& rs : chain) expected.emplace(std::cref(rs.owner), &rs);
  std::vector<Name> ignored;  // every name with a record is in `expected` or extra
  for (const auto& node : zone.nodes()) {
    const auto* have = node.find(setup.dtype);
    if (!have) continue;
    auto it = expected.find(node.name);
    static const dns::RRset kNoRecord;
    compare_record(node.name, setup.dtype, have, it == expected.end() ? kNoRecord : *it->second,
                   problem, ignored);
    if (it != expected.end()) expected.erase(it);
  }
  std::vector<const Name*> missing;
  for (const auto& [name, rs] : expected) missing.push_back(&name.get());
  std::sort(missing.begin(), missing.end(), [](auto* a, auto* b) { return *a < *b; });
  for (const auto* name : missing)
    problem(Kind::MissingDenial, *name, setup.dtype, "chain lacks this name");
}

bool check_denial_incremental(const ZonePair& pair, const DenialSetup& setup,
                              const ProblemSink& problem) {
  if (!same_denial_setup(pair, setup)) return false;
  const std::optional<std::set<Name>> changed = changed_names(pair);
  if (!changed) return false;
  // Expected record per owner to compare (no RDATA: none expected). Filled completely before
  // anything is reported, so a fall back reports nothing.
  std::map<Name, dns::RRset> want;
  if (setup.config.mode == DenialMode::Nsec) {
    want = expected_nsec(pair, *changed, setup);
  } else {
    const std::optional<bool> opt_out = nsec3_opt_out(pair);
    if (!opt_out || !expected_nsec3(pair, *changed, setup, *opt_out, want)) return false;
  }
  std::vector<Name> missing;
  for (const auto& [owner, rs] : want) {
    const zone::Node* n = pair.zone.find(owner);
    compare_record(owner, setup.dtype, n ? n->find(setup.dtype) : nullptr, rs, problem, missing);
  }
  for (const auto& name : missing)
    problem(Kind::MissingDenial, name, setup.dtype, "chain lacks this name");
  return true;
}

}  // namespace flatsign::dnssec::detail
