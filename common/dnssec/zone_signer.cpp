// ZoneSigner: assemble the signed zone, decide per RRset whether an old signature can be kept,
// sign the rest on a worker pool.
#include "common/dnssec/zone_signer.hpp"

#include "common/dnssec/ordered_pool.hpp"
#include "common/dnssec/signer_parts.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace flatsign::dnssec {
namespace {

using dns::RRType;

using detail::KeyUse;

struct Item {
  Item(const dns::RRset* r, KeyUse u) : rrset(r), use(u) {}
  const dns::RRset* rrset;
  KeyUse use;
  bool fresh = false;                  // needs new signatures
  uint64_t kept = 0;                   // keys (bits over the roles' list) whose signature is kept
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

SignResult with_choice(SignResult r, SigningChoice choice) {
  r.stats.choice = choice;
  return r;
}

// Every RRset of the result and which keys sign it (RFC 4035 §2.2), in canonical order (owner,
// then type; RFC 4034 §6.1): the builder then finds its input sorted and skips its sort, and the
// signatures of one owner are added next to its data.
struct SignPlan {
  std::vector<Item> items;
  std::vector<size_t> owner_begin;  // items[owner_begin[i]..owner_begin[i+1]) share an owner
  std::vector<const zone::Node*> owner_node;  // the input node of each owner, or null

  size_t owners() const { return owner_begin.size() - 1; }
  void start_owner(const zone::Node* in) {
    owner_begin.push_back(items.size());
    owner_node.push_back(in);
  }
  void add_denial_owner(const dns::RRset& rs) {  // an NSEC3 owner: a name of its own
    start_owner(nullptr);
    items.emplace_back(&rs, KeyUse::Zsk);
  }
  void sort_last_owner() {  // data, extras and denial records of one owner, by type
    std::stable_sort(items.begin() + static_cast<long>(owner_begin.back()), items.end(),
                     [](const Item& a, const Item& b) { return a.rrset->type < b.rrset->type; });
  }
};

// The items of `input` signed with `apex` records and the `denial` chain; counts rrsets_in and
// denial_records.
SignPlan plan_items(const zone::Zone& input, const detail::ApexExtras& apex,
                    const std::vector<dns::RRset>& denial, const SignerOptions& options,
                    SignStats& stats) {
  SignPlan plan;
  plan.items.reserve(input.rrset_count() + denial.size() + apex.rrsets.size());
  plan.owner_begin.reserve(input.nodes().size() + denial.size() + 1);
  plan.owner_node.reserve(plan.owner_begin.capacity());
  const bool nsec3 = options.denial.mode == DenialMode::Nsec3;
  size_t next_denial = 0;  // NSEC: chain order = node order; NSEC3: sorted by hash = by owner
  for (size_t ni = 0; ni < input.nodes().size(); ++ni) {
    const zone::Node& node = input.nodes()[ni];
    const bool at_apex = ni == 0;
    if (nsec3)  // NSEC3 owners sorting before this name are names of their own
      for (; next_denial < denial.size() && denial[next_denial].owner < node.name; ++next_denial)
        plan.add_denial_owner(denial[next_denial]);
    plan.start_owner(&node);
    for (const auto& rs : node.rrsets) {
      if (detail::replaced_by_signer(at_apex, rs.type, options)) continue;
      ++stats.rrsets_in;
      plan.items.emplace_back(&rs, detail::data_key_use(node, at_apex, rs.type));
    }
    if (at_apex)
      for (const auto& rs : apex.rrsets)
        plan.items.emplace_back(&rs, detail::extra_key_use(rs.type));
    if (next_denial < denial.size() && denial[next_denial].owner == node.name)
      plan.items.emplace_back(&denial[next_denial++], KeyUse::Zsk);
    plan.sort_last_owner();
  }
  for (; next_denial < denial.size(); ++next_denial) plan.add_denial_owner(denial[next_denial]);
  plan.owner_begin.push_back(plan.items.size());
  if (apex.input_dnskey) ++stats.rrsets_in;
  stats.denial_records = denial.size();
  return plan;
}

// Whether the previous zone's signatures over an item can be kept: not for the SOA when it is
// re-signed, nor for an RRset in the diff; otherwise when the RRset is unchanged and
// detail::reusable_signatures() accepts its signatures.
class SignatureReuse {
 public:
  SignatureReuse(const zone::Zone* previous, const zone::Diff* diff, bool resign_soa,
                 const std::vector<DnssecKey>& keys, const detail::KeyRoles& roles, uint32_t now,
                 uint32_t refresh_within)
      : previous_(previous),
        resign_soa_(resign_soa),
        keys_(keys),
        roles_(roles),
        now_(now),
        refresh_within_(refresh_within) {
    if (!previous) return;
    prev_nodes_.reserve(previous->nodes().size());
    for (const auto& n : previous->nodes()) prev_nodes_.emplace(n.name, &n);
    if (diff)
      for (const auto& c : diff->changes) changed_.insert({c.owner, c.type});
  }

  // Appends the signatures kept over `it` to it.signatures and returns the keys they cover
  // (kept_signatures()'s mask; 0 when none can be kept).
  uint64_t keep(Item& it) const {
    const dns::RRset& rs = *it.rrset;
    if (!previous_ || (resign_soa_ && rs.type == RRType::SOA) ||
        changed_.count({rs.owner, rs.type}))
      return 0;
    auto pn = prev_nodes_.find(rs.owner);
    if (pn == prev_nodes_.end()) return 0;
    const dns::RRset* old = pn->second->find(rs.type);
    if (!old || old->ttl != rs.ttl || old->rdatas != rs.rdatas) return 0;
    return detail::kept_signatures(rs, pn->second->find(RRType::RRSIG), keys_, roles_.of(it.use),
                                   now_, refresh_within_, it.signatures);
  }

  const detail::KeyRoles& roles() const { return roles_; }

 private:
  const zone::Zone* previous_;
  bool resign_soa_;
  const std::vector<DnssecKey>& keys_;
  const detail::KeyRoles& roles_;
  uint32_t now_, refresh_within_;
  std::unordered_map<dns::Name, const zone::Node*, dns::NameHash> prev_nodes_;
  std::unordered_set<ChangeKey, ChangeKeyHash> changed_;
};

// Keeps the previous signatures where `reuse` allows and marks every other signed item fresh,
// to be signed by the keys whose signature was not kept; returns the indices of the fresh items
// and counts the signatures to make.
std::vector<size_t> mark_fresh(std::vector<Item>& items, const SignatureReuse& reuse,
                               SignStats& stats) {
  std::vector<size_t> todo;
  for (size_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    if (it.use == KeyUse::None) continue;
    const size_t keys = reuse.roles().of(it.use).size();
    it.kept = reuse.keep(it);
    if (it.kept == detail::all_keys(keys)) {
      ++stats.rrsets_reused;
    } else {
      it.fresh = true;
      stats.signatures += keys - static_cast<size_t>(std::popcount(it.kept));
      todo.push_back(i);
    }
  }
  return todo;
}

// The RRsets and RDATA-list octets assemble_node() places for one owner's items: one exact list
// per RRset, and one for all of the owner's RRSIGs.
struct AssembledSize {
  size_t rrsets = 0, rdata = 0;
};
AssembledSize assembled_size(std::span<const Item> items) {
  AssembledSize size;
  size_t sigs = 0, sig_octets = 0;
  for (const Item& it : items) {
    size.rdata +=
        dns::RdataList::placed_bytes(it.rrset->rdatas.size(), it.rrset->rdatas.payload_size());
    sigs += it.signatures.size();
    for (const auto& sig : it.signatures) sig_octets += sig.size();
  }
  size.rrsets = items.size() + (sigs > 0);
  if (sigs > 0) size.rdata += dns::RdataList::placed_bytes(sigs, sig_octets);
  return size;
}

// The node ZoneBuilder::build() would make of one owner's items (zone::Zone::adopt then takes it
// as it is), added to `block` with its RRsets and RDATA lists (assembled_size() of them); the
// items' signatures are freed once copied. All RRSIGs at one owner form one RRset in the Zone
// model, so they carry the smallest TTL of the RRsets they cover (never above an original TTL,
// RFC 4034 §3); they go where type RRSIG sorts among the owner's types. The input's flags hold:
// signing adds no NS or DNAME, and an NSEC3 owner of its own is a child of the apex (RFC 5155
// §7.1), never at or below a cut.
void assemble_node(std::span<Item> items, const zone::Node* in, zone::Zone::BlockDraft& block,
                   std::vector<dns::RdataRef>& refs) {
  // A name buffer of its own, not shared with the input: the signed zone outlives the input
  // (an AXFR's records, the unsigned zone), and names shared from there pinned nearly every
  // page of it once freed (RSS 17 MB above a restart's at 100k names).
  const dns::Name name =
      dns::Name::from_wire_unchecked((in ? in->name : items.front().rrset->owner).wire());
  uint32_t sig_ttl = UINT32_MAX;
  for (const Item& it : items)
    if (!it.signatures.empty()) sig_ttl = std::min(sig_ttl, it.rrset->ttl);
  zone::Node& node = block.add_node(name, items.size() + (sig_ttl != UINT32_MAX),
                                    in ? in->delegation : false, in ? in->occluded : false);
  auto place = [&](RRType type) {
    // Canonical already but for RRSIGs and the signer's own records.
    dns::RRset::canonical_order(type, refs);
    return block.place(refs);
  };
  auto add_signatures = [&] {
    if (sig_ttl == UINT32_MAX) return;
    refs.clear();
    for (const Item& it : items)
      refs.insert(refs.end(), it.signatures.begin(), it.signatures.end());
    // RFC 4034 §6.3 order, as the builder's checks leave it.
    node.rrsets.push_back(
        dns::RRset{name, RRType::RRSIG, dns::RRClass::IN, sig_ttl, place(RRType::RRSIG)});
    for (Item& it : items) std::vector<dns::Rdata>().swap(it.signatures);  // copied: freed
    sig_ttl = UINT32_MAX;
  };
  for (const Item& it : items) {
    const dns::RRset& rs = *it.rrset;
    if (rs.type > RRType::RRSIG) add_signatures();
    refs.assign(rs.rdatas.begin(), rs.rdatas.end());
    node.rrsets.push_back(dns::RRset{name, rs.type, rs.rclass, rs.ttl, place(rs.type)});
  }
  add_signatures();
}

// One unit of the signing pool's work: a block of kBlockOwners owners.
constexpr size_t kBlockOwners = 128;
static_assert(kBlockOwners <= zone::Zone::kBlockNodes, "a unit's nodes fit one Zone block");

// Per block b, the fresh items in the blocks before it (todo_before[blocks] == todo.size()): the
// progress callback's count once blocks [0, b) are done.
std::vector<size_t> fresh_before_blocks(const SignPlan& plan, const std::vector<size_t>& todo,
                                        size_t blocks) {
  const size_t owners = plan.owners();
  std::vector<size_t> todo_before(blocks + 1, 0);
  for (size_t i = 0, blk = 0; i < todo.size(); ++i) {
    while (plan.owner_begin[std::min(owners, (blk + 1) * kBlockOwners)] <= todo[i]) ++blk;
    ++todo_before[blk + 1];
  }
  for (size_t blk = 0; blk < blocks; ++blk) todo_before[blk + 1] += todo_before[blk];
  return todo_before;
}

struct AssembledNodes {
  std::vector<zone::Zone::BlockDraft> blocks;  // for zone::Zone::adopt
  unsigned threads;                            // the pool's size, for adopt as well
};

// Signs the fresh items on the pool (one Signer per key per worker, crypto.hpp's thread rule), a
// block of kBlockOwners owners per unit of work: a worker signs the block's fresh RRsets, then
// assembles its nodes, so that the whole signed zone is made on every core. Reports progress as
// SignerOptions::progress says.
AssembledNodes sign_and_assemble(SignPlan& plan, const std::vector<size_t>& todo,
                                 const std::vector<DnssecKey>& keys, const detail::KeyRoles& roles,
                                 const SignaturePolicy& policy, const dns::Name& origin,
                                 const SignerOptions& options) {
  const size_t owners = plan.owners();
  const size_t blocks = (owners + kBlockOwners - 1) / kBlockOwners;
  AssembledNodes out{std::vector<zone::Zone::BlockDraft>(blocks), 0};
  const std::vector<size_t> todo_before = fresh_before_blocks(plan, todo, blocks);
  unsigned threads = options.threads ? options.threads : std::thread::hardware_concurrency();
  out.threads = static_cast<unsigned>(std::clamp<size_t>(threads, 1, blocks));
  const auto t1 = std::chrono::steady_clock::now();
  auto make_work = [&]() -> detail::ChunkWork {
    auto signers = std::make_shared<std::vector<std::unique_ptr<Signer>>>();
    for (const auto& k : keys) signers->push_back(k.private_key->make_signer());
    return [&, signers, scratch = std::vector<uint8_t>(), refs = std::vector<dns::RdataRef>()](
               size_t begin, size_t end) mutable {
      for (size_t blk = begin; blk < end; ++blk) {
        const size_t o_first = blk * kBlockOwners,
                     o_last = std::min(owners, o_first + kBlockOwners);
        for (size_t i = plan.owner_begin[o_first]; i < plan.owner_begin[o_last]; ++i) {
          Item& it = plan.items[i];
          if (!it.fresh) continue;
          auto times = signature_times(policy, it.rrset->owner, it.rrset->type);
          const auto& use = roles.of(it.use);
          for (size_t j = 0; j < use.size(); ++j)
            if (!(it.kept >> j & 1))
              it.signatures.push_back(
                  sign_rrset(*it.rrset, keys[use[j]], *(*signers)[use[j]], origin, times, scratch));
        }
        auto owner_items = [&plan](size_t o) {
          const size_t first = plan.owner_begin[o], last = plan.owner_begin[o + 1];
          return std::span<Item>(plan.items).subspan(first, last - first);
        };
        size_t nodes = 0;
        AssembledSize size;
        for (size_t o = o_first; o < o_last; ++o) {
          const AssembledSize of = assembled_size(owner_items(o));
          nodes += !owner_items(o).empty();
          size.rrsets += of.rrsets;
          size.rdata += of.rdata;
        }
        auto& block = out.blocks[blk] = zone::Zone::BlockDraft(nodes, size.rrsets, size.rdata);
        for (size_t o = o_first; o < o_last; ++o) {
          if (!owner_items(o).empty())  // an input name left with nothing is gone
            assemble_node(owner_items(o), plan.owner_node[o], block, refs);
        }
      }
    };
  };
  auto consume = [&](size_t ready) {
    if (options.progress && ready < blocks)
      options.progress(
          todo_before[ready], todo.size(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count());
  };
  detail::run_ordered(blocks, 1, out.threads, make_work, consume);
  return out;
}

}  // namespace

namespace detail {

KeyRoles key_roles(const std::vector<DnssecKey>& keys) {
  KeyRoles r;
  for (size_t i = 0; i < keys.size(); ++i) (keys[i].is_sep() ? r.ksk : r.zsk).push_back(i);
  if (r.zsk.empty()) r.zsk = r.ksk;  // CSK
  if (r.ksk.empty()) r.ksk = r.zsk;  // ZSK-only: it signs the DNSKEY RRset too
  return r;
}

ApexExtras apex_extras(const zone::Zone& input, const std::vector<DnssecKey>& keys,
                       const KeyRoles& roles, const SignerOptions& options) {
  ApexExtras x;
  const dns::Name& origin = input.origin();
  x.input_dnskey = input.nodes()[0].find(RRType::DNSKEY);
  dns::RRset dnskey{origin,
                    RRType::DNSKEY,
                    dns::RRClass::IN,
                    x.input_dnskey ? x.input_dnskey->ttl : options.dnskey_ttl,
                    {}};
  if (x.input_dnskey) dnskey.rdatas = x.input_dnskey->rdatas;
  for (const auto& k : keys)
    if (std::find(options.unpublished_dnskeys.begin(), options.unpublished_dnskeys.end(),
                  k.dnskey_rdata()) == options.unpublished_dnskeys.end())
      dnskey.rdatas.push_back(k.dnskey_rdata());
  for (const auto& rd : options.extra_dnskeys) dnskey.rdatas.push_back(rd);
  dnskey.normalize();
  const uint32_t key_ttl = dnskey.ttl;
  x.rrsets.push_back(std::move(dnskey));
  x.types.push_back(RRType::DNSKEY);
  if (options.denial.mode == DenialMode::Nsec3) {
    x.rrsets.push_back(dns::RRset{origin,
                                  RRType::NSEC3PARAM,
                                  dns::RRClass::IN,
                                  0,
                                  {make_nsec3param_rdata(options.denial.nsec3)}});
    x.types.push_back(RRType::NSEC3PARAM);
  }
  if (options.publish_cds) {
    dns::RRset cds{origin, RRType::CDS, dns::RRClass::IN, key_ttl, {}};
    dns::RRset cdnskey{origin, RRType::CDNSKEY, dns::RRClass::IN, key_ttl, {}};
    if (options.cds_delete) {
      cds.rdatas.push_back(dns::Rdata{0, 0, 0, 0, 0});  // tag 0, algorithm 0, digest type 0, 00
      cdnskey.rdatas.push_back(
          dns::Rdata{0, 0, 3, 0, 0});  // flags 0, protocol 3, algorithm 0, AA==
    } else if (options.cds_dnskeys) {
      for (const auto& rd : *options.cds_dnskeys) {
        cds.rdatas.push_back(make_ds_rdata(origin, rd, DigestType::SHA256));
        cdnskey.rdatas.push_back(rd);
      }
    } else {
      for (size_t i : roles.ksk) {
        cds.rdatas.push_back(keys[i].ds_rdata(DigestType::SHA256));
        cdnskey.rdatas.push_back(keys[i].dnskey_rdata());
      }
    }
    cds.normalize();
    cdnskey.normalize();
    if (!cds.rdatas.empty()) {  // no key in its sync window: no CDS at all
      x.rrsets.push_back(std::move(cds));
      x.rrsets.push_back(std::move(cdnskey));
      x.types.push_back(RRType::CDS);
      x.types.push_back(RRType::CDNSKEY);
    }
  }
  std::sort(x.types.begin(), x.types.end());
  return x;
}

KeyUse extra_key_use(RRType type) {
  return type == RRType::NSEC3PARAM ? KeyUse::Zsk : KeyUse::Ksk;
}

bool replaced_by_signer(bool apex, RRType type, const SignerOptions& options) {
  if (is_signer_type(type) || (apex && type == RRType::DNSKEY)) return true;
  return apex && (type == RRType::CDS || type == RRType::CDNSKEY) && options.publish_cds;
}

KeyUse data_key_use(const zone::Node& node, bool apex, RRType type) {
  if (node.occluded) return KeyUse::None;                                   // glue, occluded
  if (node.delegation && !apex && type != RRType::DS) return KeyUse::None;  // NS at a cut
  return KeyUse::Zsk;
}

uint64_t kept_signatures(const dns::RRset& rs, const dns::RRset* sigs,
                         const std::vector<DnssecKey>& keys, const std::vector<size_t>& use,
                         uint32_t now, uint32_t refresh_within, std::vector<dns::Rdata>& out) {
  if (!sigs || use.size() > 64) return 0;
  const size_t mark = out.size();
  uint64_t have = 0;
  for (const auto& sig : sigs->rdatas) {
    if (sig.size() < 18 || rrsig_covered(sig) != rs.type) continue;
    auto f = parse_rrsig(sig);
    if (!f) {
      out.resize(mark);
      return 0;
    }
    size_t k = 0;
    while (k < use.size() &&
           (keys[use[k]].tag != f->key_tag || uint8_t(keys[use[k]].algorithm) != f->algorithm))
      ++k;
    // A key that no longer signs (retired in a roll, or gone): its signature is dropped and the
    // others' are kept, so a retirement re-signs nothing.
    if (k == use.size()) continue;
    if (have >> k & 1) {
      out.resize(mark);
      return 0;
    }
    // Not current: this key signs again, the others' signatures stay (a key that starts
    // signing in a roll adds its signatures to the old key's).
    if (f->original_ttl != rs.ttl || serial_before(now, f->inception) ||
        serial_before(f->expiration, now + refresh_within))
      continue;
    have |= uint64_t{1} << k;
    out.push_back(sig.to_rdata());
  }
  return have;
}

}  // namespace detail

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
  return with_choice(sign(unsigned_zone, nullptr, nullptr, true),
                     {SigningMode::Full, "a full sign was asked for"});
}

const char* to_string(SigningMode mode) {
  switch (mode) {
    case SigningMode::Full:
      return "full";
    case SigningMode::Reuse:
      return "reuse";
    case SigningMode::Patch:
      return "patch";
  }
  return "?";
}

SigningChoice choose_signing(const zone::Zone* previous, const zone::Zone& next,
                             const std::vector<DnssecKey>& keys, const SignerOptions& options) {
  using enum SigningMode;
  if (previous == nullptr || previous->nodes().empty()) return {Full, "no previous signed zone"};
  const dns::Name& origin = next.origin();
  if (!(previous->origin() == origin)) return {Full, "the previous signed zone has another origin"};
  for (const auto& k : keys)
    if (!(k.zone == origin)) return {Full, "a key is for another zone"};  // sign() reports it
  const zone::Node& prev_apex = previous->nodes()[0];
  const dns::RRset* param = prev_apex.find(RRType::NSEC3PARAM);
  if ((param != nullptr) != (options.denial.mode == DenialMode::Nsec3))
    return {Full, "the denial mode changed"};
  if (param && param->rdatas.at(0) != make_nsec3param_rdata(options.denial.nsec3))
    return {Full, "the NSEC3 parameters changed"};
  const detail::KeyRoles roles = detail::key_roles(keys);
  for (const auto& rs : detail::apex_extras(next, keys, roles, options).rrsets)
    if (const dns::RRset* old = prev_apex.find(rs.type); !old || !(*old == rs))
      return {Reuse, "the apex key records changed"};
  if (denial_ttl(previous->soa()) != denial_ttl(next.soa()))
    return {Reuse, "the denial TTL changed (RFC 9077)"};
  const std::time_t now = options.timing.now ? options.timing.now : std::time(nullptr);
  const auto now32 = static_cast<uint32_t>(static_cast<uint64_t>(now));
  for (RRType t : {RRType::SOA, RRType::DNSKEY}) {  // every key of its role, no other
    std::vector<dns::Rdata> kept;
    const dns::RRset* rs = prev_apex.find(t);
    const auto& use = roles.of(t == RRType::SOA ? KeyUse::Zsk : KeyUse::Ksk);
    if (!rs ||
        !detail::reusable_signatures(*rs, prev_apex.find(RRType::RRSIG), keys, use, now32, 0, kept))
      return {Reuse, "the SOA or DNSKEY signatures are not current ones by this signer's keys"};
  }
  return {Patch, "the same keys and denial chain parameters"};
}

SignResult ZoneSigner::sign_incremental(const zone::Zone& previous_signed,
                                        const zone::Zone& new_unsigned,
                                        const zone::Diff& diff) const {
  SigningChoice choice = choose(&previous_signed, new_unsigned);
  if (choice.mode == SigningMode::Full) return with_choice(sign_full(new_unsigned), choice);
  if (choice.mode == SigningMode::Patch) {
    SignResult patched = patch(previous_signed, new_unsigned, diff);
    if (patched.zone) return with_choice(std::move(patched), choice);
    choice = patched.stats.choice;  // Reuse, for what the patch found
  }
  // Reuse: the SOA always, the RRsets in the diff, and every other RRset (denial records
  // included) whose content or keys differ from the previous zone or whose signatures expire.
  return with_choice(sign(new_unsigned, &previous_signed, &diff, true), choice);
}

SignResult ZoneSigner::refresh(const zone::Zone& signed_zone) const {
  return with_choice(sign(signed_zone, &signed_zone, nullptr, false),
                     {SigningMode::Reuse, "a refresh of expiring signatures"});
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
  const detail::KeyRoles roles = detail::key_roles(keys_);
  const detail::ApexExtras apex = detail::apex_extras(input, keys_, roles, options_);
  const std::vector<dns::RRset> denial = build_denial_chain(input, apex.types, options_.denial);

  SignStats stats;
  SignPlan plan = plan_items(input, apex, denial, options_, stats);
  const auto now32 = static_cast<uint32_t>(static_cast<uint64_t>(policy.now));
  const SignatureReuse reuse(previous, diff, resign_soa, keys_, roles, now32,
                             options_.refresh_within);
  const std::vector<size_t> todo = mark_fresh(plan.items, reuse, stats);
  stats.rrsets_signed = todo.size();

  const auto t1 = std::chrono::steady_clock::now();
  AssembledNodes nodes = sign_and_assemble(plan, todo, keys_, roles, policy, origin, options_);
  const auto t2 = std::chrono::steady_clock::now();
  stats.crypto_seconds = std::chrono::duration<double>(t2 - t1).count();
  if (options_.progress) options_.progress(todo.size(), todo.size(), stats.crypto_seconds);

  auto built = zone::Zone::adopt(origin, std::move(nodes.blocks), nodes.threads);
  stats.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {std::move(built), stats};
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
