#include "common/server/plain_query.hpp"

#include <array>

#include "common/dns/message.hpp"
#include "common/dns/wire.hpp"
#include "common/server/answer.hpp"

namespace flatsign::server {
namespace {

using dns::RRType;

// The fields of a plain query; the QNAME as received (RFC 4343: case is kept in the answer).
struct PlainQuery {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::array<uint8_t, dns::Name::kMaxWire> qname;
  size_t qname_size = 0;
  RRType qtype = RRType::A;
  dns::RRClass qclass = dns::RRClass::IN;
  std::optional<uint16_t> edns_payload;  // set when an OPT came
  bool do_bit = false;
};

// Reads `wire` through the bounds-checked cursor. False for any other shape, for anything
// malformed, and for EDNS versions above 0 (BADVERS): the general path answers those.
bool parse_plain(std::span<const uint8_t> wire, PlainQuery& q) {
  if (wire.size() < dns::kHeaderSize) return false;
  dns::WireReader r(wire);
  r.set_pointer_floor(dns::kHeaderSize);
  q.id = r.u16();
  q.flags = r.u16();
  uint16_t qd = r.u16(), an = r.u16(), ns = r.u16(), ar = r.u16();
  // QR clear and opcode QUERY (RFC 1035 §4.1.1), one question (RFC 9619), at most an OPT.
  if ((q.flags & 0xF800) != 0 || qd != 1 || an != 0 || ns != 0 || ar > 1) return false;
  q.qname_size = r.name_into(q.qname);
  q.qtype = static_cast<RRType>(r.u16());
  q.qclass = static_cast<dns::RRClass>(r.u16());
  if (!r.ok()) return false;
  if (ar == 1) {
    // RFC 6891 §6.1.2: root owner, TYPE OPT, CLASS the payload, TTL ext-RCODE, version, DO, Z;
    // RDATA {code, length, data}* filling RDLENGTH exactly.
    if (r.u8() != 0 || static_cast<RRType>(r.u16()) != RRType::OPT) return false;
    uint16_t payload = r.u16();
    uint32_t ttl = r.u32();
    uint16_t rdlen = r.u16();
    if (!r.ok() || rdlen > r.remaining() || (ttl >> 16 & 0xFF) != 0) return false;
    size_t end = r.offset() + rdlen;
    while (r.ok() && r.offset() < end) {
      (void)r.u16();
      r.skip(r.u16());
    }
    if (!r.ok() || r.offset() != end) return false;
    q.edns_payload = payload;
    q.do_bit = ttl & 0x8000;
  }
  return r.ok() && r.remaining() == 0;  // trailing octets: FORMERR from the general path
}

// Per thread, reused query after query so that the sections and the compression table keep
// their room.
struct Scratch {
  dns::MessageWriter writer;
  AnswerRefs refs;
};

}  // namespace

bool answer_plain_query(const ZoneDirectory& zones, const ResponderPolicy& policy,
                        const net::Request& request, net::Responses& out) {
  PlainQuery q;
  if (!parse_plain(request.wire, q)) return false;
  // Other classes are REFUSED, meta types other than ANY (AXFR, IXFR, OPT...) are transfers or
  // FORMERR (RFC 6895 §3.1): the general path's.
  if (q.qclass != dns::RRClass::IN) return false;
  if (dns::is_meta_type(q.qtype) && q.qtype != RRType::ANY) return false;
  WireName qname(q.qname.data(), q.qname_size);
  auto served = zones.find_answering(qname, q.qtype);
  if (!served || !served->zone) return false;  // REFUSED or SERVFAIL

  thread_local Scratch s;
  AnswerOptions opts{.dnssec = q.edns_payload && q.do_bit, .denial = served->denial.get()};
  answer_refs(*served->zone, qname, q.qtype, opts, s.refs);
  // As the general path's response header: RD and CD copied (RFC 1035 §4.1.1), RA clear, EDNS
  // answered with EDNS and DO copied (RFC 6891 §7, RFC 3225 §3).
  dns::Message h;  // header fields only: empty sections allocate nothing
  h.id = q.id;
  h.qr = true;
  h.opcode = dns::Opcode::QUERY;
  h.rd = q.flags & 0x0100;
  h.cd = q.flags & 0x0010;
  h.aa = s.refs.aa;
  h.rcode = s.refs.rcode;
  if (q.edns_payload) {
    h.edns = dns::Edns{};
    h.edns->do_bit = q.do_bit;
  }

  dns::MessageWriter& w = s.writer;
  w.set_limit(dns::response_size_limit(q.edns_payload, false, policy.udp_max_payload));
  // finish() handed the last buffer out with the response: write into the lent one, or a new.
  w.adopt(request.spare ? std::move(*request.spare) : std::vector<uint8_t>{});
  w.reset(h);
  // RFC 2181 §9: TC when answer or authority data did not fit; additional data is optional.
  if (!w.add_question(qname, q.qtype, q.qclass) ||
      !write_section(s.refs.answer, dns::Section::Answer, w) ||
      !write_section(s.refs.authority, dns::Section::Authority, w)) {
    w.set_tc();
  } else {
    (void)write_section(s.refs.additional, dns::Section::Additional, w);
  }
  out.push_back(w.finish());
  return true;
}

}  // namespace flatsign::server
