#include "common/server/response_counters.hpp"

#include "common/dns/message.hpp"

namespace flatsign::server {
namespace {

constexpr const char* kNames[ResponseCounters::kSeries] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN",
    "YXRRSET", "NXRRSET", "NOTAUTH",  "NOTZONE",  "BADVERS", "other"};
constexpr size_t kBadvers = 11;
constexpr size_t kOther = 12;

}  // namespace

const char* ResponseCounters::series_name(size_t i) {
  return kNames[i];
}

ResponseCounters::ResponseCounters(util::MetricsRegistry& r, const std::string& prefix) {
  const std::string name = prefix + "_queries_total";
  constexpr const char* kHelp = "DNS requests answered, by response RCODE.";
  for (size_t i = 0; i < kSeries; ++i) series_[i] = &r.counter(name, kHelp, {{"rcode", kNames[i]}});
  dropped_ = &r.counter(prefix + "_queries_dropped_total",
                        "Requests not answered at all (too short, or a response).");
}

void ResponseCounters::count(Outcome outcome, const net::Responses& out) noexcept {
  if (out.empty() || out.front().size() < dns::kHeaderSize) {
    dropped_->inc();
    return;
  }
  unsigned rcode = out.front()[3] & 0x0F;  // RFC 1035 §4.1.1 header RCODE (our own response)
  if (outcome == Outcome::FormErr && rcode == 0) {
    series_[kBadvers]->inc();  // RFC 6891 §6.1.3: BADVERS lives in the OPT's extended RCODE
  } else if (rcode < kBadvers) {
    series_[rcode]->inc();
  } else {
    series_[kOther]->inc();
  }
}

}  // namespace flatsign::server
