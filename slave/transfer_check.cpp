#include "slave/transfer_check.hpp"

#include <unordered_set>

#include "common/dns/rdata.hpp"

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

AxfrAssembler::State AxfrAssembler::feed(dns::Message msg) {
  ++messages_;
  const std::string where = "message " + std::to_string(messages_);
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
      records_.push_back(std::move(rr));
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
    records_.push_back(std::move(rr));
    if (records_.size() > limits_.max_records) {
      return fail(Verdict::RefusedTooLarge,
                  "more than " + std::to_string(limits_.max_records) + " records");
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

// True when `records` (opening SOA first), once signer-owned records are skipped, are exactly
// the records of `served` in the order Zone::records() lists them, the SOA serial aside. Then
// building and diffing would find no change, so an unchanged poll costs one pass and no
// allocation. Any other order, a duplicate or a differing TTL within an RRset makes it false,
// and the full check decides.
bool lists_served_records(const std::vector<Rr>& records, const zone::Zone& served) {
  size_t k = 0;
  auto next = [&]() -> const Rr* {
    while (k < records.size() && is_signer_owned(records[k].type)) ++k;
    return k < records.size() ? &records[k++] : nullptr;
  };
  const auto nodes = served.nodes();
  const dns::RRset& soa = served.soa();
  const Rr* first = next();
  if (first == nullptr || first->type != RRType::SOA || soa.rdatas.size() != 1 ||
      first->ttl != soa.ttl || !(first->owner == soa.owner) ||
      soa_without_serial(first->rdata) != soa_without_serial(soa.rdatas.front()))
    return false;
  for (const auto& node : nodes) {
    for (const auto& rs : node.rrsets) {
      if (&rs == &soa) continue;
      for (const auto& rd : rs.rdatas) {
        const Rr* rr = next();
        if (rr == nullptr || rr->type != rs.type || rr->rclass != rs.rclass ||
            rr->ttl != node.record_ttl(rs, rd) || rr->rdata != rd || !(rr->owner == rs.owner))
          return false;
      }
    }
  }
  return next() == nullptr;
}

}  // namespace

CheckResult check_transfer(AxfrAssembler& assembled, const zone::Zone* served,
                           const TransferLimits& limits) {
  auto records = assembled.take_records();
  if (records.size() <= 1)
    return {Verdict::RefusedEmpty, "the transfer holds only the SOA", nullptr, {}};
  const dns::Name& origin = records.front().owner;
  const uint32_t serial = dns::soa_serial(records.front().rdata);
  bool apex_ns = false;
  for (const auto& rr : records) apex_ns |= rr.type == RRType::NS && rr.owner == origin;
  if (!apex_ns)
    return {Verdict::RefusedEmpty, "the transfer has no NS records at the apex", nullptr, {}};
  if (served != nullptr && lists_served_records(records, *served))
    return {Verdict::Unchanged,
            "content unchanged (same records in the same order)",
            nullptr,
            {},
            serial};

  zone::ZoneBuilder builder(origin);
  builder.reserve(records.size());
  size_t index = 0, dropped = 0;
  for (auto& rr : records) {
    ++index;
    // The slave is the zone's signer: DNSSEC records from the master (a signed master, stale
    // keys) would stand beside its own and break validation. DS at delegations is child data.
    if (is_signer_owned(rr.type)) {
      ++dropped;
      continue;
    }
    builder.add(std::move(rr), zone::Location{"axfr", static_cast<uint32_t>(index), 0});
  }
  const std::string note =
      dropped ? "; ignored " + std::to_string(dropped) + " DNSSEC records from the master" : "";
  std::shared_ptr<const zone::Zone> z;
  try {
    z = std::move(builder).build().zone;
  } catch (const zone::ZoneError& e) {
    const auto& first = e.issues().front();
    return {Verdict::RefusedZoneErrors,
            std::to_string(e.issues().size()) + " zone errors, first: " + first.what,
            nullptr,
            {}};
  }
  if (served == nullptr) return {Verdict::Accepted, "first transfer" + note, z, {}, serial};

  auto diff = zone::diff_zones(*served, *z, {.ignore_soa_serial = true});
  if (diff.empty()) return {Verdict::Unchanged, "content unchanged" + note, z, {}, serial};

  // Shrink guard: RRsets of the served zone that vanish entirely.
  size_t vanished = 0;
  for (const auto& c : diff.changes)
    vanished += c.new_ttl == 0 && c.added.empty() && c.old_ttl != 0;
  const size_t before = served->rrset_count();
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
