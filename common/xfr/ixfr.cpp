#include "common/xfr/ixfr.hpp"

#include "common/dns/rdata.hpp"

namespace flatsign::xfr {

const char* ixfr_form_text(IxfrForm f) {
  switch (f) {
    case IxfrForm::NoSoa:
      return "no SOA in the request";
    case IxfrForm::UpToDate:
      return "up to date";
    case IxfrForm::Incremental:
      return "incremental";
    case IxfrForm::Full:
      return "full (AXFR form)";
  }
  return "?";
}

IxfrPlan plan_ixfr(const dns::Name& origin, const zone::Zone& z, const Journal* journal,
                   const dns::Message& query) {
  IxfrPlan plan;
  const dns::Rr* soa = nullptr;
  for (const auto& rr : query.authority) {
    if (rr.type == dns::RRType::SOA && rr.owner == origin && rr.rdata.size() >= 22) {
      soa = &rr;
      break;
    }
  }
  if (soa == nullptr) {
    plan.form = IxfrForm::NoSoa;
    return plan;
  }
  plan.client_serial = dns::soa_serial(soa->rdata);
  const uint32_t current = z.serial();
  // RFC 1995 §2 with RFC 1982 arithmetic: a serial equal to or newer than ours needs nothing.
  const auto distance = static_cast<int32_t>(current - plan.client_serial);
  if (distance <= 0) {
    plan.form = IxfrForm::UpToDate;
    return plan;
  }
  if (journal == nullptr || journal->last_serial() != current) return plan;  // Full
  auto delta = journal->condensed_since(plan.client_serial);
  // RFC 1995 §4: a difference the size of the zone or more is better sent whole.
  if (!delta || delta->rr_count() >= z.rr_count()) return plan;
  plan.form = IxfrForm::Incremental;
  plan.delta = std::move(delta);
  return plan;
}

std::vector<std::vector<uint8_t>> pack_ixfr(const zone::Zone& zone, const JournalEntry& delta,
                                            const dns::Message& query, size_t limit,
                                            size_t reserve) {
  dns::AxfrPacker packer(query.id, query.questions.front(), limit, reserve);
  std::vector<std::vector<uint8_t>> out;
  auto push = [&](const dns::Rr& rr) {
    if (auto m = packer.add(rr)) out.push_back(std::move(*m));
  };
  const dns::RRset& s = zone.soa();
  const dns::Rr current{s.owner, s.type, s.rclass, s.ttl, s.rdatas.front().to_rdata()};
  push(current);
  push(delta.old_soa);
  for (const auto& rr : delta.removed) push(rr);
  push(current);
  for (const auto& rr : delta.added) push(rr);
  push(current);
  out.push_back(packer.finish());
  return out;
}

}  // namespace flatsign::xfr
