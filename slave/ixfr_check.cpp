#include "slave/ixfr_check.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "common/dns/rdata.hpp"

namespace flatsign::slave {

using dns::RRType;

namespace {

// One RRset as the steps leave it, from the served RRset of the same owner and type.
struct Work {
  uint32_t ttl = 0;
  std::vector<dns::Rdata> rdatas;
  std::vector<dns::Rdata> served;  // as served, to tell a real change from steps that cancel
  uint32_t served_ttl = 0;
};

struct Key {
  dns::Name owner;
  RRType type;
  bool operator<(const Key& o) const {
    if (auto c = owner <=> o.owner; c != 0) return c < 0;
    return static_cast<uint16_t>(type) < static_cast<uint16_t>(o.type);
  }
};

std::string record_text(const dns::Rr& rr) {
  return fmt::format("{} {} {}", rr.owner.to_string(), dns::type_to_string(rr.type),
                     dns::rdata_to_text(rr.type, rr.rdata));
}

// The served zone's RRsets by (owner, type), copied on first use.
class Working {
 public:
  explicit Working(const zone::Zone& served) : served_(served) {}
  Work& at(const dns::Name& owner, RRType type) {
    auto [it, fresh] = map_.try_emplace(Key{owner, type});
    if (fresh) {
      if (const dns::RRset* rs = served_.find(owner, type)) {
        it->second.rdatas = rs->rdatas.to_vector();
        it->second.ttl = it->second.served_ttl = rs->ttl;
        it->second.served = it->second.rdatas;
      }
    }
    return it->second;
  }
  const std::map<Key, Work>& all() const { return map_; }

 private:
  const zone::Zone& served_;
  std::map<Key, Work> map_;
};

auto find_rdata(std::vector<dns::Rdata>& rdatas, RRType type, const dns::Rdata& rdata) {
  return std::find_if(rdatas.begin(), rdatas.end(),
                      [&](const dns::Rdata& r) { return dns::rdata_compare(type, r, rdata) == 0; });
}

// RRSIG, NSEC, NSEC3, NSEC3PARAM: the signer-owned types Zone's block summaries count.
bool is_dnssec_type(RRType t) {
  return t == RRType::RRSIG || t == RRType::NSEC || t == RRType::NSEC3 || t == RRType::NSEC3PARAM;
}

// A zone's RRsets and RRs without the signer-owned ones, from the block summaries (the apex's
// key records, DNSKEY, CDS and CDNSKEY, read there).
struct Content {
  size_t rrsets = 0, rrs = 0;
};
Content content_counts(const zone::Zone& z) {
  Content c{z.rrset_count(), z.rr_count()};
  for (size_t b = 0; b < z.block_count(); ++b) {
    c.rrsets -= z.block_summary(b).dnssec_rrsets;
    c.rrs -= z.block_summary(b).dnssec_rrs;
  }
  for (const dns::RRset& rs : z.nodes().front().rrsets) {
    if (!is_signer_owned(rs.type) || is_dnssec_type(rs.type)) continue;
    c.rrsets -= 1;
    c.rrs -= rs.rdatas.size();
  }
  return c;
}

bool same_set(RRType type, std::vector<dns::Rdata> a, std::vector<dns::Rdata> b) {
  if (a.size() != b.size()) return false;
  auto less = [type](const dns::Rdata& x, const dns::Rdata& y) {
    return dns::rdata_compare(type, x, y) < 0;
  };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  for (size_t i = 0; i < a.size(); ++i)
    if (dns::rdata_compare(type, a[i], b[i]) != 0) return false;
  return true;
}

// RFC 1995 §4: each step deletes records of the version before it and adds records of the one
// after; applied in order to the served version, a deletion that finds nothing or an addition
// that finds its record already there means the difference is not for this version. Returns
// the refusal, if any; DNSSEC records from the master are counted in `dropped`.
std::optional<CheckResult> apply_steps(const std::vector<IxfrStep>& steps, Working& working,
                                       size_t& dropped) {
  for (const IxfrStep& step : steps) {
    const uint32_t from = dns::soa_serial(step.old_soa.rdata);
    const uint32_t to = dns::soa_serial(step.new_soa.rdata);
    for (int pass = 0; pass < 2; ++pass) {
      const bool adding = pass == 1;
      for (const dns::Rr& rr : adding ? step.added : step.removed) {
        // The slave is the zone's signer: DNSSEC records from the master are not its content.
        if (is_signer_owned(rr.type)) {
          ++dropped;
          continue;
        }
        if (rr.rclass != dns::RRClass::IN) {
          return CheckResult{
              Verdict::RefusedZoneErrors,
              fmt::format("step {} -> {}: {} is not of class IN", from, to, record_text(rr)),
              nullptr,
              {}};
        }
        Work& w = working.at(rr.owner, rr.type);
        auto it = find_rdata(w.rdatas, rr.type, rr.rdata);
        if (!adding && it == w.rdatas.end()) {
          return CheckResult{Verdict::RefusedIxfrDelta,
                             fmt::format("step {} -> {} deletes {}, which the zone does not hold",
                                         from, to, record_text(rr)),
                             nullptr,
                             {}};
        }
        if (adding && it != w.rdatas.end()) {
          return CheckResult{Verdict::RefusedIxfrDelta,
                             fmt::format("step {} -> {} adds {}, which the zone already holds",
                                         from, to, record_text(rr)),
                             nullptr,
                             {}};
        }
        if (adding && rr.type == RRType::ALIAS) return refuse_unflattened_alias(rr.owner, rr.rdata);
        if (adding) {
          w.rdatas.push_back(rr.rdata);
          // RFC 2181 §5.2: one TTL per RRset; the master's latest word on it wins.
          w.ttl = rr.ttl;
        } else {
          w.rdatas.erase(it);
        }
      }
    }
  }
  return std::nullopt;
}

// The RRsets the steps changed in the end, and the master's new SOA (its serial is the
// transferred zone's; the publisher sets the slave's own). Where `served` is signed, the
// records the signer added stay in it (the signer replaces them; they are no content: the diff
// and counts leave them out), but for the apex's key records: the signer takes those of the
// zone it signs as given ones, so they are emptied here.
std::vector<dns::RRset> changed_rrsets(const Working& working, const dns::Rr& soa,
                                       const zone::Zone& served) {
  std::vector<dns::RRset> replace;
  for (const auto& [key, w] : working.all()) {
    if (w.rdatas.empty() && w.served.empty()) continue;
    if (w.ttl == w.served_ttl && same_set(key.type, w.rdatas, w.served)) continue;
    dns::RRset rs{key.owner, key.type, dns::RRClass::IN, w.rdatas.empty() ? 0 : w.ttl, {}};
    for (const auto& r : w.rdatas) rs.rdatas.push_back(r);
    replace.push_back(std::move(rs));
  }
  replace.push_back(dns::RRset{soa.owner, RRType::SOA, dns::RRClass::IN, soa.ttl, {soa.rdata}});
  const zone::Node& apex = served.nodes().front();
  for (const dns::RRset& rs : apex.rrsets)
    if (is_signer_owned(rs.type) && !is_dnssec_type(rs.type))
      replace.push_back(dns::RRset{rs.owner, rs.type, dns::RRClass::IN, 0, {}});
  return replace;
}

// Shrink guard, as for an AXFR: RRsets of the served zone that vanish entirely.
std::optional<CheckResult> shrink_refusal(const zone::Diff& diff, size_t served_rrsets,
                                          const TransferLimits& limits) {
  size_t vanished = 0;
  for (const auto& c : diff.changes)
    vanished += c.new_ttl == 0 && c.added.empty() && c.old_ttl != 0;
  if (limits.force || served_rrsets == 0 ||
      static_cast<double>(vanished) <= limits.max_shrink * static_cast<double>(served_rrsets))
    return std::nullopt;
  return CheckResult{
      Verdict::RefusedShrink,
      fmt::format("{} of {} RRsets would disappear (limit {}%); force the transfer if this "
                  "is intended",
                  vanished, served_rrsets, static_cast<int>(limits.max_shrink * 100)),
      nullptr,
      {}};
}

}  // namespace

CheckResult check_ixfr(IxfrAssembler& ixfr, const zone::Zone& served,
                       const TransferLimits& limits) {
  const dns::Rr soa = ixfr.soa();
  const uint32_t serial = dns::soa_serial(soa.rdata);
  if (ixfr.form() == IxfrAssembler::Form::UpToDate)
    return {Verdict::Unchanged,
            fmt::format("IXFR: up to date at serial {}", serial),
            nullptr,
            {},
            serial};

  std::vector<IxfrStep> steps = ixfr.take_steps();
  Working working(served);
  size_t dropped = 0;
  if (auto refused = apply_steps(steps, working, dropped)) return std::move(*refused);

  // The new zone is the served one with the change applied, sharing every block the change
  // does not touch, so that this and each later step (diff, sign, verify, serving index) costs
  // what the change costs.
  std::shared_ptr<const zone::Zone> z;
  try {
    z = served.with_changes(changed_rrsets(working, soa, served));
  } catch (const zone::ZoneError& e) {
    return {Verdict::RefusedZoneErrors,
            fmt::format("{} zone errors after the IXFR to serial {}, first: {}", e.issues().size(),
                        serial, e.issues().front().what),
            nullptr,
            {}};
  }
  const Content before = content_counts(served), after = content_counts(*z);
  if (after.rrs > limits.max_records) {
    return {Verdict::RefusedTooLarge,
            fmt::format("the zone would hold {} records after the IXFR, more than {}", after.rrs,
                        limits.max_records),
            nullptr,
            {}};
  }
  const std::string note =
      dropped ? fmt::format("; ignored {} DNSSEC records from the master", dropped) : "";
  auto diff =
      zone::diff_zones(served, *z, {.ignore_soa_serial = true, .skip_type = is_signer_owned});
  if (diff.empty())
    return {Verdict::Unchanged,
            fmt::format("IXFR to serial {}: content unchanged{}", serial, note),
            z,
            {},
            serial};
  if (auto refused = shrink_refusal(diff, before.rrsets, limits)) return std::move(*refused);
  return {Verdict::Accepted,
          fmt::format("IXFR from serial {} to {} in {} steps: {} records added, {} removed{}",
                      ixfr.client_serial(), serial, steps.size(), diff.added_count(),
                      diff.removed_count(), note),
          z, std::move(diff), serial};
}

}  // namespace flatsign::slave
