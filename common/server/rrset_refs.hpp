// A response's RRsets as references into an immutable snapshot, so that an answer is built
// without copying records: the answer engine and the denial proofs fill sections of these, and
// the responder writes them straight into the packet (or copies them into a dns::Message for
// callers that want values). Plain values, valid while the snapshot and the QNAME buffer they
// point into live; a section belongs to one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/dns/message.hpp"
#include "common/dns/rrset.hpp"
#include "common/server/name_index.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::server {

struct RRsetRef {
  const dns::RRset* set = nullptr;  // in the snapshot
  // The node's RRSIG RRset, whose records covering set->type follow the set (RFC 4035 §3.1.1);
  // nullptr: the set goes unsigned.
  const dns::RRset* sigs = nullptr;
  WireName owner;    // set->owner, or QNAME for wildcard synthesis (RFC 4592 §3.3.1)
  uint32_t ttl = 0;  // of the records and of their RRSIGs (RFC 4034 §3)
  // Set when `set` is an RRSIG RRset answered as such (QTYPE RRSIG): only its records covering
  // this type, whose TTL is that of the RRset they cover (RFC 4034 §3). Unset: every record.
  std::optional<dns::RRType> covered;
};

// One section, RRset by RRset. Cleared between queries, it keeps its capacity: a serving
// thread's sections stop allocating after the first few answers.
using RefSection = std::vector<RRsetRef>;

// A whole answer: what answer_refs() computes.
struct AnswerRefs {
  RefSection answer, authority, additional;
  uint16_t rcode = 0;  // NOERROR or NXDOMAIN
  bool aa = false;
  void clear();
};

// Appends the RRset of `type` at `node` to `section`, owned by `owner` when not empty (wildcard
// synthesis, RFC 4592 §3.3.1) and with `ttl` when given (negative answers, RFC 2308 §3), and
// with `dnssec` its covering RRSIGs at the RRset's TTL (RFC 4034 §3). False when the node has
// no such RRset. Skips an RRset already in `section` (same owner and type).
// REQUIRES: `owner` outlives the section's use.
bool append_signed(RefSection& section, const zone::Node& node, dns::RRType type, bool dnssec,
                   WireName owner = {}, std::optional<uint32_t> ttl = std::nullopt);

// Appends the RRSIGs at `node` as answers to QTYPE RRSIG, owned by `owner` when not empty:
// one entry per covered type, each with the TTL of the RRset it covers (RFC 4034 §3; an RRSIG
// covering no RRset here keeps its own). False when the node has no RRSIG.
// REQUIRES: `owner` outlives the section's use.
bool append_rrsigs(RefSection& section, const zone::Node& node, WireName owner = {});

// Appends copies of the section's records to `out`: each RRset, then the RRSIGs covering it.
void copy_records(const RefSection& section, std::vector<dns::Rr>& out);

// Writes the section into `w` as write_message() would write its copies: each RRset whole or
// not at all, then its RRSIGs the same way (an entry of RRSIGs answered as such is one unit
// too). False when an RRset did not fit: for the answer and authority sections writing stops
// there (the caller sets TC, RFC 2181 §9); additional-section RRsets that do not fit are
// skipped and the result stays true.
[[nodiscard]] bool write_section(const RefSection& section, dns::Section where,
                                 dns::MessageWriter& w);

}  // namespace flatsign::server
