// verify_zone: the signatures and signed-RRset rules by parts of the zone, and the denial chain,
// on a worker pool.
#include "common/dnssec/verify.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <unordered_set>

#include "common/dns/rdata.hpp"
#include "common/dnssec/crypto.hpp"
#include "common/dnssec/denial.hpp"
#include "common/dnssec/key.hpp"
#include "common/dnssec/sign.hpp"
#include "common/dnssec/verify_denial.hpp"

namespace flatsign::dnssec {
namespace {

using dns::RRType;
using Kind = VerifyProblem::Kind;

struct ZoneKey {
  dns::Rdata rdata;
  std::shared_ptr<const PublicKey> key;
};

struct SigTask {
  const dns::RRset* rrset;
  dns::RdataRef sig;             // into the zone, which outlives the tasks
  bool verified_before = false;  // see VerifyOptions::verified_before
  bool sampled_out = false;      // VerifyMode::Sampled: fields only
  RrsigVerdict verdict = RrsigVerdict::Malformed;
  bool known_key = false;
};

// VerifyMode::Sampled's choice over the signatures of a zone verified without an earlier one:
// the first of each class (covered type, labels, algorithm, key tag, one RR or several) in each
// part of the zone checked on its own (check_part), and a random 1/one_in of the rest. A fault of
// the signer that hits a whole class (a type's canonical form, wildcard labels, the wrong key, RR
// ordering) shows in that class's first signature. With kinds shared between zones
// (CheckedKinds): each key's first signature in each part, and each kind's first in any zone.
class Sampler {
 public:
  Sampler(uint32_t one_in, uint64_t seed, CheckedKinds* shared)
      : one_in_(std::max<uint32_t>(one_in, 1)), state_(seed), shared_(shared) {
    // A fresh seed per zone from a generator seeded once per thread: opening a random_device
    // per zone showed in the profile of thousands of small zones' publications.
    thread_local std::mt19937_64 seeds{(uint64_t{std::random_device{}()} << 32) |
                                       std::random_device{}()};
    while (state_ == 0) state_ = seeds();
  }
  // True when `sig` over `covered` must be checked cryptographically.
  bool take(const dns::RRset& covered, dns::RdataRef sig) {
    if (sig.size() < 18) return true;  // malformed: verify_rrsig says so
    // RFC 4034 §3.1: type covered 0-1, algorithm 2, labels 3, key tag 16-17.
    const uint64_t multi = covered.rdatas.size() > 1 ? 1 : 0;
    if (shared_ == nullptr) {
      const uint64_t cls = (uint64_t{sig[0]} << 56) | (uint64_t{sig[1]} << 48) |
                           (uint64_t{sig[2]} << 40) | (uint64_t{sig[3]} << 32) |
                           (uint64_t{sig[16]} << 24) | (uint64_t{sig[17]} << 16) | multi;
      if (seen_.insert(cls).second) return true;
      return next() % one_in_ == 0;
    }
    // The two sets of classes apart by their top bit. Labels stand for "wildcard or not" only:
    // their number depends on the zone's depth.
    const uint64_t key =
        (uint64_t{1} << 63) | (uint64_t{sig[2]} << 16) | (uint64_t{sig[16]} << 8) | sig[17];
    const uint64_t wildcard = sig[3] < covered.owner.label_count() ? 2 : 0;
    const uint64_t kind = (uint64_t{sig[0]} << 32) | (uint64_t{sig[1]} << 24) |
                          (uint64_t{sig[2]} << 16) | wildcard | multi;
    const bool first_of_key = seen_.insert(key).second;
    // This part's set first: the shared one is locked once per kind a part meets.
    const bool first_of_kind = seen_.insert(kind).second && shared_->first(kind);
    return first_of_key || first_of_kind || next() % one_in_ == 0;
  }
  // A part's own draws and classes, the same for the same seed and part.
  void reseed(size_t part) {
    state_ ^= (part + 1) * 0xd1b54a32d192ed03ULL;
    seen_.clear();
  }

 private:
  uint64_t next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t one_in_;
  uint64_t state_;
  CheckedKinds* shared_;
  std::unordered_set<uint64_t> seen_;
};

// RFC 1982 "a is before b" on RRSIG times (RFC 4034 §3.1.5), as check_rrsig_fields compares.
bool serial_before(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}

// True when `before` holds `sig` at `node`'s name over an RRset equal to `covered`.
bool signed_alike(const zone::Node* before, const dns::RRset& covered, dns::RdataRef sig) {
  if (before == nullptr) return false;
  const auto* rs = before->find(covered.type);
  const auto* sigs = before->find(RRType::RRSIG);
  return rs && sigs && *rs == covered &&
         std::find(sigs->rdatas.begin(), sigs->rdatas.end(), sig) != sigs->rdatas.end();
}

// Collects problems into a verdict: the first max_problems listed, every one counted.
class ProblemList {
 public:
  ProblemList(VerifyVerdict& v, size_t max_problems) : v_(v), max_(max_problems) {}
  void operator()(Kind k, const dns::Name& owner, RRType type, std::string what) const {
    if (v_.problems.size() < max_) v_.problems.push_back({k, owner, type, std::move(what)});
    ++v_.problem_count;
  }

 private:
  VerifyVerdict& v_;
  size_t max_;
};

using ZoneKeys = std::multimap<uint16_t, ZoneKey>;  // by key tag

// Zone keys (RFC 4034 §2.1.1: the Zone Key flag must be set). A key this verifier cannot use
// (unknown algorithm, public key that does not parse) is ignored with a warning, as a validator
// does (RFC 4035 §5.2, RFC 6840 §5.2): the zone must then be signed by the others.
ZoneKeys usable_zone_keys(const zone::Node& apex, std::vector<std::string>& warnings) {
  ZoneKeys keys;
  const auto* dnskey = apex.find(RRType::DNSKEY);
  if (dnskey == nullptr) return keys;
  for (const auto& rd : dnskey->rdatas) {
    if (rd.size() < 5 || !(rd[0] & 1) || rd[2] != 3) continue;
    const std::string which = "DNSKEY with key tag " + std::to_string(key_tag(rd)) +
                              ", algorithm " + std::to_string(rd[3]);
    if (!can_verify(rd[3])) {
      warnings.push_back("ignored " + which + ": algorithm not supported");
      continue;
    }
    try {
      keys.emplace(key_tag(rd),
                   ZoneKey{rd.to_rdata(), PublicKey::from_dnskey(rd[3], rd.subspan(4))});
    } catch (const CryptoError& e) {
      warnings.push_back("ignored " + which + ": " + e.what());
    }
  }
  return keys;
}

// Adds the keys that sign outside the DNSKEY RRset (VerifyOptions::unpublished_dnskeys); one
// of an algorithm the RRset holds is a problem (only an algorithm roll signs that way).
void add_unpublished_keys(ZoneKeys& keys, const std::vector<dns::Rdata>& unpublished,
                          const zone::Node& apex, const ProblemList& problem) {
  const auto* dnskey = apex.find(RRType::DNSKEY);
  for (const auto& rd : unpublished) {
    const std::string which = "DNSKEY with key tag " + std::to_string(key_tag(rd));
    if (rd.size() < 5) continue;
    const bool alg_published =
        dnskey && std::any_of(dnskey->rdatas.begin(), dnskey->rdatas.end(),
                              [&](const auto& p) { return p.size() >= 4 && p[3] == rd[3]; });
    if (alg_published) {
      problem(Kind::BadSignature, apex.name, RRType::DNSKEY,
              which + " signs while not in the DNSKEY RRset, which holds keys of its algorithm " +
                  std::to_string(rd[3]));
      continue;
    }
    try {
      keys.emplace(key_tag(rd), ZoneKey{rd, PublicKey::from_dnskey(
                                                rd[3], std::span<const uint8_t>(rd).subspan(4))});
    } catch (const CryptoError& e) {
      problem(Kind::BadSignature, apex.name, RRType::DNSKEY,
              which + " (not in the DNSKEY RRset): " + e.what());
    }
  }
}

// The previous verified zone counts only if it has the same origin and apex DNSKEY RRset.
const zone::Zone* usable_verified_before(const zone::Zone& zone, const zone::Zone* before) {
  if (before == nullptr) return nullptr;
  const auto* now_keys = zone.nodes()[0].find(RRType::DNSKEY);
  const auto* old_keys = before->nodes()[0].find(RRType::DNSKEY);
  if (!(before->origin() == zone.origin()) || !now_keys || !old_keys || !(*now_keys == *old_keys))
    return nullptr;
  return before;
}

// True when every RRSIG of block b lies within its validity period at time t (its summary says
// so): a shared block then needs no node read at all, and the publication of a small change
// costs what it changes.
bool block_current(const zone::BlockSummary& summary, uint32_t t) {
  return !summary.malformed_rrsig &&
         (!summary.any_rrsig || (!serial_before(t, summary.latest_inception) &&
                                 !serial_before(summary.earliest_expiration, t)));
}

// A zone of fewer nodes is verified on the calling thread.
constexpr size_t kParallelNodes = 4096;

// Every RRSIG to check with the RRset it covers, and the nodes the signed-RRset rules run on.
struct SignatureWork {
  std::vector<SigTask> tasks;
  std::vector<const zone::Node*> checked_nodes;
};

// A node of a block shared with the verified zone is that zone's node: its signatures were
// checked then with the same keys and the signed-RRset rules depend on the node alone, so only
// the validity periods are read; a signature no longer within its period is checked again.
void collect_shared_node(const zone::Node& node, uint32_t t, SignatureWork& work,
                         VerifyVerdict& v) {
  const auto* sigs = node.find(RRType::RRSIG);
  v.rrsets_checked += node.rrsets.size() - (sigs != nullptr);
  if (!sigs) return;
  for (const auto& sig : sigs->rdatas) {
    // RFC 4034 §3.1: expiration at octet 8, inception at 12 (the RDATA parsed then).
    auto get32 = [&sig](size_t at) {
      return (uint32_t{sig[at]} << 24) | (uint32_t{sig[at + 1]} << 16) |
             (uint32_t{sig[at + 2]} << 8) | sig[at + 3];
    };
    if (sig.size() >= 18 && !serial_before(t, get32(12)) && !serial_before(get32(8), t)) {
      ++v.signatures_trusted;
      continue;
    }
    const dns::RRset* covered = node.find(rrsig_covered(sig));  // there then: never null
    if (covered == nullptr) {
      ++v.signatures_trusted;
      continue;
    }
    work.tasks.push_back({covered, sig, true});  // counted with the tasks
  }
}

// A node of its own: every RRSIG is a task (fields only when `old_node` had it over an equal
// RRset, or when the sampler leaves it out); one over an absent type is a problem.
void collect_node(const zone::Node& node, const zone::Node* old_node, Sampler* sampler,
                  SignatureWork& work, const ProblemList& problem) {
  work.checked_nodes.push_back(&node);
  const auto* sigs = node.find(RRType::RRSIG);
  if (!sigs) return;
  for (const auto& sig : sigs->rdatas) {
    const dns::RRset* covered = sig.size() >= 2 ? node.find(rrsig_covered(sig)) : nullptr;
    if (!covered) {
      problem(Kind::BadSignature, node.name, sig.size() >= 2 ? rrsig_covered(sig) : RRType::RRSIG,
              "RRSIG covers a type absent at this name");
      continue;
    }
    const bool alike = signed_alike(old_node, *covered, sig);
    work.tasks.push_back({covered, sig, alike, !alike && sampler && !sampler->take(*covered, sig)});
  }
}

// What every part of the signature check reads.
struct SignatureCheck {
  const zone::Zone& zone;
  const zone::Zone* before;
  const detail::ZonePair* pair;
  const ZoneKeys& keys;
  std::time_t now;
  uint32_t t;
  std::optional<Sampler> sampler;  // copied into each part, reseeded there
  size_t max_problems;
};

// One thread's library contexts (one Verifier per key) and signing-input buffer.
struct VerifierCache {
  std::map<const ZoneKey*, std::unique_ptr<Verifier>> verifiers;
  std::vector<uint8_t> scratch;
};

void collect_signatures(const SignatureCheck& c, size_t first_block, size_t end_block,
                        Sampler* sampler, SignatureWork& work, VerifyVerdict& v,
                        const ProblemList& problem) {
  const zone::Zone& zone = c.zone;
  for (size_t b = first_block; b < end_block; ++b) {
    const bool shared = c.pair && c.pair->zone_shared[b];
    const zone::BlockSummary& summary = zone.block_summary(b);
    if (shared && block_current(summary, c.t)) {
      v.rrsets_checked += summary.rrsets - summary.rrsig_rrsets;
      v.signatures_trusted += summary.rrsigs;
      continue;
    }
    for (size_t ni = zone.block_first(b); ni < zone.block_first(b) + zone.block_size(b); ++ni) {
      const auto& node = zone.nodes()[ni];
      if (shared) {
        collect_shared_node(node, c.t, work, v);
      } else {
        collect_node(node, c.before ? c.before->find(node.name) : nullptr, sampler, work, problem);
      }
    }
  }
}

// Sets each task's verdict: the signature value checked cryptographically, or only the fields
// for a task verified before or sampled out.
void check_signatures(std::vector<SigTask>& tasks, const ZoneKeys& keys, std::time_t now,
                      VerifierCache& cache) {
  for (SigTask& t : tasks) {
    auto f = parse_rrsig(t.sig);
    if (!f) continue;
    auto [lo, hi] = keys.equal_range(f->key_tag);
    for (auto it = lo; it != hi; ++it) {
      t.known_key = true;
      if (t.verified_before || t.sampled_out) {
        t.verdict = check_rrsig_fields(*t.rrset, *f, it->second.rdata, now);
      } else {
        auto& verifier = cache.verifiers[&it->second];
        if (!verifier) verifier = it->second.key->make_verifier();
        t.verdict = verify_rrsig(*t.rrset, t.sig, it->second.rdata, *verifier, now, cache.scratch);
      }
      if (t.verdict == RrsigVerdict::Valid) break;
    }
  }
}

// Counts the tasks in the verdict and reports each signature that is not valid.
void report_signatures(const std::vector<SigTask>& tasks, VerifyVerdict& v,
                       const ProblemList& problem) {
  for (const auto& t : tasks) {
    ++(t.verified_before ? v.signatures_trusted
       : t.sampled_out   ? v.signatures_sampled_out
                         : v.signatures_checked);
    if (t.verdict == RrsigVerdict::Valid) continue;
    Kind k = t.verdict == RrsigVerdict::Expired       ? Kind::Expired
             : t.verdict == RrsigVerdict::NotYetValid ? Kind::NotYetValid
                                                      : Kind::BadSignature;
    auto f = parse_rrsig(t.sig);
    std::string what = !t.known_key ? "no DNSKEY with this key tag" : to_string(t.verdict);
    if (f) what += " (key tag " + std::to_string(f->key_tag) + ")";
    problem(k, t.rrset->owner, t.rrset->type, what);
  }
}

// RFC 4035 §2.2: authoritative RRsets are signed; glue, occluded data and NS at a cut are not.
// An RRset of a checked node has a signature when an RRSIG of its node covers its type: each
// such RRSIG was a task (collect_node), whatever its verdict.
void check_signed_rrsets(const std::vector<const zone::Node*>& nodes, const zone::Node& apex,
                         VerifyVerdict& v, const ProblemList& problem) {
  std::vector<RRType> covered;
  for (const zone::Node* np : nodes) {
    const auto& node = *np;
    covered.clear();
    if (const auto* sigs = node.find(RRType::RRSIG))
      for (const auto& sig : sigs->rdatas)
        if (sig.size() >= 2) covered.push_back(rrsig_covered(sig));
    bool cut = node.delegation && np != &apex;
    for (const auto& rs : node.rrsets) {
      if (rs.type == RRType::RRSIG) continue;
      ++v.rrsets_checked;
      bool should = !node.occluded && (!cut || rs.type == RRType::DS || rs.type == RRType::NSEC);
      bool has = std::find(covered.begin(), covered.end(), rs.type) != covered.end();
      if (should && !has) problem(Kind::Unsigned, node.name, rs.type, "no RRSIG");
      if (!should && has)
        problem(Kind::UnexpectedSignature, node.name, rs.type,
                node.occluded ? "glue or occluded data is not signed" : "NS at a zone cut");
    }
  }
}

// The signatures and signed-RRset rules of blocks [first_block, end_block), into `v`.
void check_part(const SignatureCheck& c, size_t part, size_t first_block, size_t end_block,
                VerifierCache& cache, VerifyVerdict& v) {
  const ProblemList problem(v, c.max_problems);
  std::optional<Sampler> sampler = c.sampler;
  if (sampler) sampler->reseed(part);
  SignatureWork work;
  collect_signatures(c, first_block, end_block, sampler ? &*sampler : nullptr, work, v, problem);
  check_signatures(work.tasks, c.keys, c.now, cache);
  report_signatures(work.tasks, v, problem);
  check_signed_rrsets(work.checked_nodes, c.zone.nodes()[0], v, problem);
}

// Adds a part's verdict to the whole's, in zone order: the first max_problems stay listed.
void merge_verdict(VerifyVerdict& into, VerifyVerdict&& part, size_t max_problems) {
  into.signatures_checked += part.signatures_checked;
  into.signatures_trusted += part.signatures_trusted;
  into.signatures_sampled_out += part.signatures_sampled_out;
  into.rrsets_checked += part.rrsets_checked;
  into.problem_count += part.problem_count;
  for (auto& p : part.problems) {
    if (into.problems.size() >= max_problems) break;
    into.problems.push_back(std::move(p));
  }
}

// What the apex says about the denial chain: NSEC3 with NSEC3PARAM's parameters, or NSEC; nullopt
// (reported) when it says neither or NSEC3PARAM is malformed.
std::optional<detail::DenialSetup> denial_setup(const zone::Zone& zone,
                                                const ProblemList& problem) {
  const zone::Node& apex = zone.nodes()[0];
  detail::DenialSetup setup;
  if (const auto* param = apex.find(RRType::NSEC3PARAM)) {
    const auto& p = param->rdatas.at(0);
    setup.config.mode = DenialMode::Nsec3;
    if (p.size() < 5 || p.size() < size_t{5} + p[4]) {
      problem(Kind::WrongDenial, zone.origin(), RRType::NSEC3PARAM, "malformed NSEC3PARAM");
      return std::nullopt;
    }
    setup.config.nsec3.iterations = static_cast<uint16_t>((p[2] << 8) | p[3]);
    setup.config.nsec3.salt.assign(p.begin() + 5, p.begin() + 5 + p[4]);
    setup.apex_extra.push_back(RRType::NSEC3PARAM);
    setup.dtype = RRType::NSEC3;
  } else if (!apex.find(RRType::NSEC)) {
    problem(Kind::NoDenial, zone.origin(), RRType::NSEC, "neither NSEC nor NSEC3PARAM at the apex");
    return std::nullopt;
  }
  setup.ttl = denial_ttl(zone.soa());
  return setup;
}

}  // namespace

const char* to_string(VerifyMode mode) {
  return mode == VerifyMode::Full ? "full" : "sampled";
}

std::optional<VerifyMode> verify_mode_from_string(std::string_view text) {
  if (text == "full") return VerifyMode::Full;
  if (text == "sampled") return VerifyMode::Sampled;
  return std::nullopt;
}

const char* to_string(Kind k) {
  switch (k) {
    case Kind::NoKeys:
      return "no keys";
    case Kind::BadSignature:
      return "bad signature";
    case Kind::Expired:
      return "expired signature";
    case Kind::NotYetValid:
      return "signature not yet valid";
    case Kind::Unsigned:
      return "unsigned RRset";
    case Kind::UnexpectedSignature:
      return "unexpected signature";
    case Kind::NoDenial:
      return "no NSEC or NSEC3 chain";
    case Kind::MissingDenial:
      return "missing denial record";
    case Kind::WrongDenial:
      return "wrong denial record";
    case Kind::ExtraDenial:
      return "extra denial record";
  }
  return "?";
}

std::string VerifyProblem::to_string() const {
  return std::string(dnssec::to_string(kind)) + ": " + owner.to_string() + " " +
         dns::type_to_string(type) + (what.empty() ? "" : ": " + what);
}

std::string VerifyVerdict::summary(size_t max_lines) const {
  if (ok())
    return "ok: " + std::to_string(signatures_checked) + " signatures" +
           (signatures_trusted ? " (+" + std::to_string(signatures_trusted) + " verified before)"
                               : "") +
           (signatures_sampled_out
                ? " (+" + std::to_string(signatures_sampled_out) + " sampled out: fields only)"
                : "");
  std::string s = std::to_string(problem_count) + " problems";
  for (size_t i = 0; i < problems.size() && i < max_lines; ++i) s += "\n" + problems[i].to_string();
  return s;
}

VerifyVerdict verify_zone(const zone::Zone& zone, const VerifyOptions& options) {
  VerifyVerdict v;
  const ProblemList problem(v, options.max_problems);
  const std::time_t now = options.now ? options.now : std::time(nullptr);
  const zone::Node& apex = zone.nodes()[0];
  ZoneKeys keys = usable_zone_keys(apex, v.warnings);
  if (keys.empty()) {
    problem(Kind::NoKeys, zone.origin(), RRType::DNSKEY, "no usable DNSKEY at the apex");
    return v;
  }
  add_unpublished_keys(keys, options.unpublished_dnskeys, apex, problem);
  const zone::Zone* before = usable_verified_before(zone, options.verified_before);
  std::optional<detail::ZonePair> pair;
  if (before != nullptr) pair.emplace(detail::pair_zones(zone, *before));
  SignatureCheck check{zone,
                       before,
                       pair ? &*pair : nullptr,
                       keys,
                       now,
                       static_cast<uint32_t>(static_cast<uint64_t>(now)),
                       std::nullopt,
                       options.max_problems};
  // Sampling applies to a zone with no verified predecessor only: an incremental change is
  // checked signature by signature.
  if (options.mode == VerifyMode::Sampled && before == nullptr)
    check.sampler.emplace(options.sample_one_in, options.sample_seed, options.checked_kinds);

  // Signatures and the signed-RRset rules (RFC 4035 §2.2) by parts of blocks, and the denial
  // chain (RFC 4035 §2.3, RFC 5155 §7.1) recomputed from the zone's data and compared (after a
  // verified zone, only where the two chains can differ: verify_denial.cpp): all on a pool, the
  // chain as one more task, so that a large zone's checks share the cores. Each part reports
  // into its own verdict, merged in zone order.
  std::optional<detail::DenialSetup> setup = denial_setup(zone, problem);
  VerifyVerdict denial_verdict;
  auto check_denial = [&] {
    if (!setup) return;
    const ProblemList denial_problem(denial_verdict, options.max_problems);
    denial_verdict.denial_incremental =
        pair && detail::check_denial_incremental(*pair, *setup, denial_problem);
    if (!denial_verdict.denial_incremental)
      detail::check_denial_full(zone, std::move(*setup), denial_problem);
  };
  unsigned threads = options.threads ? options.threads : std::thread::hardware_concurrency();
  // A small zone is checked on the calling thread: starting threads would cost more.
  if (zone.nodes().size() < kParallelNodes) threads = 1;
  const size_t blocks = zone.block_count();
  const size_t parts = threads == 1 ? 1 : std::min<size_t>(blocks, size_t{threads} * 16);
  std::vector<VerifyVerdict> part_verdicts(parts);
  std::atomic<size_t> next{0};
  auto work = [&] {
    VerifierCache cache;
    for (size_t i; (i = next.fetch_add(1)) <= parts;) {
      if (i == 0) {
        check_denial();  // first: the longest single task
        continue;
      }
      const size_t part = i - 1;
      check_part(check, part, blocks * part / parts, blocks * (part + 1) / parts, cache,
                 part_verdicts[part]);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (auto& pv : part_verdicts) merge_verdict(v, std::move(pv), options.max_problems);
  v.denial_incremental = denial_verdict.denial_incremental;
  merge_verdict(v, std::move(denial_verdict), options.max_problems);
  return v;
}

}  // namespace flatsign::dnssec
