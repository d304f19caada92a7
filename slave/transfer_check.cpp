#include "slave/transfer_check.hpp"

#include <optional>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "common/dns/rdata.hpp"
#include "common/zone/zone_builder.hpp"

namespace flatsign::slave {

using dns::Rr;
using dns::RRType;

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Accepted:
      return "accepted";
    case Verdict::Unchanged:
      return "unchanged";
    case Verdict::RefusedRcode:
      return "refused-rcode";
    case Verdict::RefusedEmpty:
      return "refused-empty";
    case Verdict::RefusedSoaMismatch:
      return "refused-soa-mismatch";
    case Verdict::RefusedIncomplete:
      return "refused-incomplete";
    case Verdict::RefusedMalformed:
      return "refused-malformed";
    case Verdict::RefusedTsig:
      return "refused-tsig";
    case Verdict::RefusedOutOfZone:
      return "refused-out-of-zone";
    case Verdict::RefusedZoneErrors:
      return "refused-zone-errors";
    case Verdict::RefusedTooLarge:
      return "refused-too-large";
    case Verdict::RefusedShrink:
      return "refused-shrink";
    case Verdict::RefusedIxfrDelta:
      return "refused-ixfr-delta";
    case Verdict::RefusedUnflattenedAlias:
      return "refused-unflattened-alias";
  }
  return "unknown";
}

bool is_signer_owned(RRType t) {
  switch (t) {
    case RRType::RRSIG:
    case RRType::NSEC:
    case RRType::NSEC3:
    case RRType::NSEC3PARAM:
    case RRType::DNSKEY:
    case RRType::CDS:
    case RRType::CDNSKEY:
      return true;
    default:
      return false;
  }
}

AxfrAssembler::AxfrAssembler(dns::Name zone, uint16_t query_id, TransferLimits limits)
    : zone_(std::move(zone)), id_(query_id), limits_(limits) {}

AxfrAssembler::State AxfrAssembler::fail(Verdict v, std::string detail) {
  state_ = State::Failed;
  verdict_ = v;
  detail_ = std::move(detail);
  return state_;
}

AxfrAssembler::State AxfrAssembler::end_of_stream(const std::string& why) {
  if (state_ != State::NeedMore) return state_;
  return fail(Verdict::RefusedIncomplete, "transfer ended before the closing SOA after " +
                                              std::to_string(records_.size()) + " records in " +
                                              std::to_string(messages_) + " messages: " + why);
}

AxfrAssembler::State AxfrAssembler::feed(dns::Message msg, size_t wire_octets) {
  ++messages_;
  wire_octets_ += wire_octets;
  const std::string where = "message " + std::to_string(messages_);
  if (messages_ > limits_.max_messages)
    return fail(Verdict::RefusedTooLarge,
                fmt::format("more than {} messages (max-transfer-messages) after {} records",
                            limits_.max_messages, records_.size()));
  if (wire_octets_ > limits_.max_octets)
    return fail(Verdict::RefusedTooLarge,
                fmt::format("more than {} octets on the wire (max-transfer-octets) in {} messages",
                            limits_.max_octets, messages_));
  // RFC 5936 §2.2: every message carries the query's ID; an error RCODE ends the transfer.
  if (msg.id != id_ || !msg.qr)
    return fail(Verdict::RefusedMalformed, where + ": not a response to our query");
  if (msg.rcode != 0) {
    return fail(Verdict::RefusedRcode, where + ": master answered rcode " +
                                           std::to_string(msg.rcode) +
                                           (msg.rcode == 2   ? " (SERVFAIL)"
                                            : msg.rcode == 5 ? " (REFUSED)"
                                            : msg.rcode == 9 ? " (NOTAUTH)"
                                                             : ""));
  }
  if (msg.tc) return fail(Verdict::RefusedMalformed, where + ": TC set on a TCP transfer");
  for (const auto& q : msg.questions) {
    if (!(q.qname == zone_) || q.qtype != RRType::AXFR) {
      return fail(Verdict::RefusedMalformed, where + ": question " + q.qname.to_string() + " " +
                                                 dns::type_to_string(q.qtype) + " is not ours");
    }
  }
  if (messages_ == 1 && msg.answer.empty()) {
    return fail(Verdict::RefusedEmpty, "the first message holds no records");
  }
  for (size_t i = 0; i < msg.answer.size(); ++i) {
    Rr& rr = msg.answer[i];
    if (!rr.owner.is_subdomain_of(zone_)) {
      return fail(Verdict::RefusedOutOfZone, where + ": " + rr.owner.to_string() + " " +
                                                 dns::type_to_string(rr.type) + " is outside " +
                                                 zone_.to_string());
    }
    if (records_.empty()) {
      // RFC 5936 §2.2: the first record is the zone's SOA.
      if (rr.type != RRType::SOA || !(rr.owner == zone_)) {
        return fail(Verdict::RefusedSoaMismatch,
                    where + ": the transfer opens with " + rr.owner.to_string() + " " +
                        dns::type_to_string(rr.type) + ", not the SOA");
      }
      records_.push_back(rr);
      continue;
    }
    if (rr.type == RRType::SOA && rr.owner == zone_) {
      // The closing SOA must repeat the opening one and end the stream.
      if (dns::rdata_compare(RRType::SOA, rr.rdata, records_.front().rdata) != 0) {
        return fail(Verdict::RefusedSoaMismatch,
                    where + ": SOA serial " + std::to_string(dns::soa_serial(rr.rdata)) +
                        " does not match the opening SOA serial " +
                        std::to_string(dns::soa_serial(records_.front().rdata)));
      }
      if (i + 1 != msg.answer.size()) {
        return fail(Verdict::RefusedMalformed, where + ": records after the closing SOA");
      }
      state_ = State::Complete;
      return state_;
    }
    // Consecutive records of one RRset, as a response would carry them (owner compressed).
    if (rr.type != run_type_ || !(rr.owner == run_owner_)) {
      run_owner_ = rr.owner;
      run_type_ = rr.type;
      run_octets_ = run_records_ = 0;
    }
    run_octets_ += 2 + 10 + rr.rdata.size();
    ++run_records_;
    if (run_octets_ > kMaxRRsetOctets) {
      return fail(Verdict::RefusedTooLarge,
                  fmt::format("{}: {} {} records in a row take more than {} octets: an RRset that "
                              "large fits in no DNS message",
                              where, run_records_, dns::type_to_string(rr.type), kMaxRRsetOctets));
    }
    apex_ns_ |= rr.type == RRType::NS && rr.owner == zone_;
    records_.push_back(rr);
    if (records_.size() > limits_.max_records) {
      return fail(Verdict::RefusedTooLarge,
                  "more than " + std::to_string(limits_.max_records) + " records (max-records)");
    }
    // However the master compressed its names, what the records hold stays near the octets
    // that carried them.
    if (records_.memory() > kIntakeExpansion * wire_octets_ + kIntakeSlack) {
      return fail(
          Verdict::RefusedTooLarge,
          fmt::format("{}: {} records take {} octets in memory for {} octets on the wire "
                      "(more than {}x): names expanded from compression pointers",
                      where, records_.size(), records_.memory(), wire_octets_, kIntakeExpansion));
    }
  }
  return state_;
}

namespace {

// The SOA RDATA with the serial zeroed: the master's serial is not content (the slave has its own).
dns::Rdata soa_without_serial(dns::Rdata rdata) {
  dns::set_soa_serial(rdata, 0);
  return rdata;
}

// The served RRsets in the order Zone::records() lists them after the SOA: canonical (owner,
// type) order with the apex SOA left out (the transfer opens with it).
class ServedCursor {
 public:
  explicit ServedCursor(const zone::Zone& served) : nodes_(served.nodes()), soa_(&served.soa()) {
    settle();
  }
  // Null at the end.
  const dns::RRset* rrset() const {
    return ni_ < nodes_.size() ? &nodes_[ni_].rrsets[ri_] : nullptr;
  }
  const zone::Node& node() const { return nodes_[ni_]; }
  void advance() {
    ++ri_;
    settle();
  }

 private:
  void settle() {
    while (ni_ < nodes_.size()) {
      const zone::Node& n = nodes_[ni_];
      if (ri_ >= n.rrsets.size()) {
        ++ni_;
        ri_ = 0;
      } else if (&n.rrsets[ri_] == soa_ || is_signer_owned(n.rrsets[ri_].type)) {
        ++ri_;
      } else {
        return;
      }
    }
  }
  zone::NodeRange nodes_;
  const dns::RRset* soa_;
  size_t ni_ = 0, ri_ = 0;
};

// (owner, type) in canonical order; owners compare by bytes first, the usual case.
int compare_key(const dns::Name& a, RRType ta, const dns::Name& b, RRType tb) {
  if (!(a == b)) return (a <=> b) < 0 ? -1 : 1;
  const auto x = static_cast<uint16_t>(ta), y = static_cast<uint16_t>(tb);
  return x < y ? -1 : x > y ? 1 : 0;
}

// What the served zone holds besides the records its signer added.
struct ServedContent {
  size_t rrsets = 0;          // RRsets that are not signer-owned
  bool signer_owned = false;  // some are
};

ServedContent served_content(const zone::Zone& served) {
  ServedContent c;
  for (const auto& node : served.nodes()) {
    for (const auto& rs : node.rrsets) {
      const bool ours = is_signer_owned(rs.type);
      c.rrsets += !ours;
      c.signer_owned |= ours;
    }
  }
  return c;
}

// The one-pass comparison of a transfer with the served zone.
struct Comparison {
  enum class Outcome {
    Same,     // the served records in their order, the SOA serial aside: nothing to build
    Changes,  // in served order but for `replace`: the new zone is the served one with them
    Rebuild,  // another order, a class other than IN, or too many changes: build it whole
  };
  Outcome outcome = Outcome::Same;
  // Changes: RRsets to put in place of the served ones (no RDATA: removed), the SOA included.
  std::vector<dns::RRset> replace;
  size_t dropped = 0;  // signer-owned records skipped
};

// Walks `records` (opening SOA first) beside the served RRsets, one run of same-owner,
// same-type records at a time (signer-owned records skipped). A run equal record for record to
// its served RRset is unchanged; any other run replaces it (an RRset built from the run as
// ZoneBuilder would: duplicates dropped, the first TTL kept, RFC 2181 §5); served RRsets the
// transfer skips are removed. Runs must come in canonical order for the result to be the
// transfer's zone, so a run out of order means Rebuild. Costs one pass and no allocation per
// record when nothing changed (an unchanged flatsign or BIND master lists the served order).
Comparison compare_with_served(const TransferRecords& records, const zone::Zone& served,
                               size_t max_changes) {
  Comparison out;
  const dns::RRset& soa = served.soa();
  const Rr& first = records.front();
  if (first.rclass != dns::RRClass::IN) return {Comparison::Outcome::Rebuild, {}, 0};
  const bool soa_same =
      soa.rdatas.size() == 1 && first.ttl == soa.ttl && first.owner == soa.owner &&
      soa_without_serial(first.rdata) == soa_without_serial(soa.rdatas.front().to_rdata());
  ServedCursor cur(served);
  // run[0, n) is the current run, run[n] the record read after it; the records are reused, so
  // their RDATA buffers are too.
  std::vector<Rr> run(1);
  size_t n = 0;
  std::optional<std::pair<dns::Name, RRType>> last;  // the previous run's owner and type
  auto make_rrset = [&] {
    dns::RRset rs{run[0].owner, run[0].type, dns::RRClass::IN, run[0].ttl, {}};
    for (size_t i = 0; i < n; ++i) rs.rdatas.push_back(run[i].rdata);
    rs.normalize();
    return rs;
  };
  TransferRecords::Cursor in = records.cursor();
  // Reads the next record that is not signer-owned into run[at]; false at the end.
  auto next = [&](size_t at) {
    if (run.size() <= at) run.resize(at + 1);
    while (in.next(run[at])) {
      if (!is_signer_owned(run[at].type)) return true;
      ++out.dropped;
    }
    return false;
  };
  Rr opening;
  (void)in.next(opening);  // `first`
  bool more = next(0);
  while (more) {
    n = 1;
    while ((more = next(n)) && run[n].type == run[0].type && run[n].owner == run[0].owner) ++n;
    const Rr& head = run[0];
    for (size_t i = 0; i < n; ++i)
      if (run[i].rclass != dns::RRClass::IN) return {Comparison::Outcome::Rebuild, {}, 0};
    int c = 1;
    while (cur.rrset() != nullptr &&
           (c = compare_key(cur.rrset()->owner, cur.rrset()->type, head.owner, head.type)) < 0) {
      const dns::RRset& gone = *cur.rrset();
      out.replace.push_back(dns::RRset{gone.owner, gone.type, gone.rclass, 0, {}});
      cur.advance();
    }
    if (cur.rrset() != nullptr && c == 0) {
      const dns::RRset& have = *cur.rrset();
      bool same = n == have.rdatas.size();
      for (size_t i = 0; same && i < n; ++i)
        same = run[i].ttl == cur.node().record_ttl(have, have.rdatas[i]) &&
               run[i].rdata == have.rdatas[i];
      if (!same) out.replace.push_back(make_rrset());
      cur.advance();
    } else {
      // Not in the served zone: it must still come after the previous run (a matched run
      // always does, being after every served RRset consumed so far).
      if (last && compare_key(last->first, last->second, head.owner, head.type) >= 0)
        return {Comparison::Outcome::Rebuild, {}, 0};
      out.replace.push_back(make_rrset());
    }
    last.emplace(head.owner, head.type);
    if (out.replace.size() > max_changes) return {Comparison::Outcome::Rebuild, {}, 0};
    if (more) std::swap(run[0], run[n]);
  }
  for (; cur.rrset() != nullptr; cur.advance()) {
    const dns::RRset& gone = *cur.rrset();
    out.replace.push_back(dns::RRset{gone.owner, gone.type, gone.rclass, 0, {}});
    if (out.replace.size() > max_changes) return {Comparison::Outcome::Rebuild, {}, 0};
  }
  if (out.replace.empty() && soa_same) return out;
  // The master's SOA always: its serial is the transferred zone's (the publisher sets ours).
  out.replace.push_back(
      dns::RRset{first.owner, RRType::SOA, dns::RRClass::IN, first.ttl, {first.rdata}});
  out.outcome = Comparison::Outcome::Changes;
  return out;
}

// An RRset whose records take more than a DNS message (RFC 1035 §4.2.2) could never be
// answered whole, and signing it costs its full canonical size, owner repeated per record: its
// records came apart in the transfer (AxfrAssembler only sees consecutive ones).
bool too_large(const dns::RRset& rs) {
  return rs.rdatas.size() * (2 + 10) + rs.rdatas.payload_size() > kMaxRRsetOctets;
}

CheckResult refuse_too_large(const dns::RRset& rs) {
  return {Verdict::RefusedTooLarge,
          fmt::format("{} {}: {} records take more than {} octets: an RRset that large fits in "
                      "no DNS message",
                      rs.owner.to_string(), dns::type_to_string(rs.type), rs.rdatas.size(),
                      kMaxRRsetOctets),
          nullptr,
          {}};
}

}  // namespace

CheckResult refuse_unflattened_alias(const dns::Name& owner, const dns::Rdata& target) {
  return {Verdict::RefusedUnflattenedAlias,
          fmt::format("ALIAS at {} (to {}) reached the slave unflattened: signed and served, no "
                      "resolver could follow it; the master must expand ALIAS records "
                      "(PowerDNS: outgoing-axfr-expand-alias=yes)",
                      owner.to_string(), dns::rdata_to_text(RRType::ALIAS, target)),
          nullptr,
          {}};
}

CheckResult check_transfer(AxfrAssembler& assembled, const zone::Zone* served,
                           const TransferLimits& limits) {
  const TransferRecords records = assembled.take_packed();
  if (records.size() <= 1)
    return {Verdict::RefusedEmpty, "the transfer holds only the SOA", nullptr, {}};
  const dns::Name& origin = records.front().owner;
  const uint32_t serial = dns::soa_serial(records.front().rdata);
  if (!assembled.has_apex_ns())
    return {Verdict::RefusedEmpty, "the transfer has no NS records at the apex", nullptr, {}};
  // A changed transfer in served order but for a few RRsets (the usual NOTIFY) becomes the
  // served zone with those RRsets replaced: Zone::with_changes checks the touched names with
  // the builder's rules and shares everything else. Anything else, or a change that breaks a
  // rule (the full build then names it with its place in the transfer), is built whole.
  std::shared_ptr<const zone::Zone> z;
  // The served zone's content when it had to be made (a signed zone patched): the transferred
  // zone shares its blocks, so the diff below reads only what changed.
  std::shared_ptr<const zone::Zone> base;
  size_t dropped = 0;
  const ServedContent content = served != nullptr ? served_content(*served) : ServedContent{};
  if (served != nullptr) {
    const size_t max_changes = content.rrsets / 8 + 1000;
    Comparison cmp = compare_with_served(records, *served, max_changes);
    if (cmp.outcome == Comparison::Outcome::Same)
      return {Verdict::Unchanged,
              "content unchanged (same records in the same order)",
              nullptr,
              {},
              serial};
    if (cmp.outcome == Comparison::Outcome::Changes) {
      for (const auto& rs : cmp.replace) {
        if (too_large(rs)) return refuse_too_large(rs);
        if (rs.type == RRType::ALIAS && !rs.rdatas.empty())
          return refuse_unflattened_alias(rs.owner, rs.rdatas.front().to_rdata());
      }
      try {
        base = content.signer_owned ? served->without_types(is_signer_owned) : nullptr;
        z = (base ? *base : *served).with_changes(std::move(cmp.replace));
        dropped = cmp.dropped;
      } catch (const zone::ZoneError&) {
        z = nullptr;
      }
    }
  }

  if (z == nullptr) {
    zone::ZoneBuilder builder(origin);
    builder.reserve(records.size());
    size_t index = 0;
    Rr rr;
    for (auto in = records.cursor(); in.next(rr);) {
      ++index;
      // The slave is the zone's signer: DNSSEC records from the master (a signed master, stale
      // keys) would stand beside its own and break validation. DS at delegations is child data.
      if (is_signer_owned(rr.type)) {
        ++dropped;
        continue;
      }
      if (rr.type == RRType::ALIAS) return refuse_unflattened_alias(rr.owner, rr.rdata);
      builder.add(std::move(rr), zone::Location{"axfr", static_cast<uint32_t>(index), 0});
    }
    try {
      z = std::move(builder).build().zone;
    } catch (const zone::ZoneError& e) {
      const auto& first = e.issues().front();
      return {Verdict::RefusedZoneErrors,
              std::to_string(e.issues().size()) + " zone errors, first: " + first.what,
              nullptr,
              {}};
    }
    for (const auto& node : z->nodes())
      for (const auto& rs : node.rrsets)
        if (too_large(rs)) return refuse_too_large(rs);
  }
  const std::string note =
      dropped ? "; ignored " + std::to_string(dropped) + " DNSSEC records from the master" : "";
  if (served == nullptr) return {Verdict::Accepted, "first transfer" + note, z, {}, serial};

  auto diff = zone::diff_zones(base ? *base : *served, *z,
                               {.ignore_soa_serial = true, .skip_type = is_signer_owned});
  if (diff.empty()) return {Verdict::Unchanged, "content unchanged" + note, z, {}, serial};

  // Shrink guard: RRsets of the served zone that vanish entirely.
  size_t vanished = 0;
  for (const auto& c : diff.changes)
    vanished += c.new_ttl == 0 && c.added.empty() && c.old_ttl != 0;
  const size_t before = content.rrsets;
  if (!limits.force && before > 0 &&
      static_cast<double>(vanished) > limits.max_shrink * static_cast<double>(before)) {
    return {Verdict::RefusedShrink,
            std::to_string(vanished) + " of " + std::to_string(before) +
                " RRsets would disappear (limit " +
                std::to_string(static_cast<int>(limits.max_shrink * 100)) +
                "%); force the transfer if this is intended",
            nullptr,
            {}};
  }
  return {Verdict::Accepted,
          std::to_string(diff.added_count()) + " records added, " +
              std::to_string(diff.removed_count()) + " removed" + note,
          z, std::move(diff), serial};
}

}  // namespace flatsign::slave
