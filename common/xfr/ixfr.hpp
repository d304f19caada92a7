// IXFR out (RFC 1995): decides how to answer an incremental transfer request from the served
// zone and its journal, and packs the incremental reply. Pure functions of immutable inputs;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/message.hpp"
#include "common/xfr/journal.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::xfr {

// How an IXFR request is answered.
enum class IxfrForm {
  NoSoa,        // the authority section has no SOA of the zone: FORMERR (RFC 1995 §3)
  UpToDate,     // the client's serial is the current one or newer: the SOA alone (RFC 1995 §2)
  Incremental,  // the journal covers the client's serial: the condensed difference (§4)
  Full,         // not covered (or the difference is larger than the zone): AXFR form (§4)
};
[[nodiscard]] const char* ixfr_form_text(IxfrForm f);

struct IxfrPlan {
  IxfrForm form = IxfrForm::Full;
  uint32_t client_serial = 0;
  std::optional<JournalEntry> delta;  // set for Incremental: client serial -> current
};

// Plans the answer to `query`, an IXFR for `origin`, served as `zone` with `journal` (nullptr:
// none). The journal is used only when it ends at the zone's serial (a journal and a zone
// swapped at different moments never mix).
[[nodiscard]] IxfrPlan plan_ixfr(const dns::Name& origin, const zone::Zone& zone,
                                 const Journal* journal, const dns::Message& query);

// The incremental reply (RFC 1995 §4): current SOA, then old SOA, deletions, current SOA,
// additions, then the current SOA again; in as many messages of at most `limit` octets (with
// `reserve` held back in each for TSIG) as it takes, each with `query`'s ID and question.
[[nodiscard]] std::vector<std::vector<uint8_t>> pack_ixfr(const zone::Zone& zone,
                                                          const JournalEntry& delta,
                                                          const dns::Message& query, size_t limit,
                                                          size_t reserve);

}  // namespace flatsign::xfr
