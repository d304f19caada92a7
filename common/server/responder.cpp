#include "common/server/responder.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/dns/error.hpp"
#include "common/server/answer.hpp"
#include "common/server/ixfr.hpp"
#include "common/server/name_index.hpp"
#include "common/server/plain_query.hpp"
#include "common/util/clock.hpp"

namespace flatsign::server {

std::shared_ptr<const ServedZone> ZoneDirectory::find_answering(std::span<const uint8_t> qname,
                                                                dns::RRType qtype) const {
  auto served = find_wire(qname);
  if (qtype != dns::RRType::DS || !served || !wire_equal(qname, served->origin.wire()) ||
      served->origin.is_root())
    return served;
  auto parent = find_wire(wire_suffix(qname, 1));
  return parent ? parent : served;
}

namespace {

using dns::Message;
using dns::Rcode;
using dns::RRType;

// A header-only FORMERR for a message we could not parse: its ID and opcode, nothing else.
std::vector<uint8_t> header_only_formerr(std::span<const uint8_t> wire) {
  std::vector<uint8_t> out(dns::kHeaderSize, 0);
  out[0] = wire[0];
  out[1] = wire[1];
  out[2] = static_cast<uint8_t>(0x80 | (wire[2] & 0x78));  // QR + the request's opcode
  out[3] = static_cast<uint8_t>(Rcode::FORMERR);
  return out;
}

Message response_header(const Message& q) {
  Message r;
  r.id = q.id;
  r.qr = true;
  r.opcode = q.opcode;
  r.rd = q.rd;  // RFC 1035 §4.1.1: RD is copied; RA stays 0, we do not recurse
  r.cd = q.cd;
  r.questions = q.questions;
  if (q.edns) {
    r.edns = dns::Edns{};             // RFC 6891 §7: answer EDNS with EDNS
    r.edns->do_bit = q.edns->do_bit;  // RFC 3225 §3: DO is copied into the response
  }
  return r;
}

// Finishes a single-message response: TSIG-signs it when the request was signed.
void emit(Message& r, size_t limit, const dns::TsigKey* key, std::span<const uint8_t> mac,
          net::Responses& out) {
  size_t reserve = key ? dns::tsig_space(*key) : 0;
  std::vector<uint8_t> wire = dns::write_message(r, limit - reserve);
  if (key) (void)dns::tsig_sign(wire, *key, util::unix_now(), mac);
  out.push_back(std::move(wire));
}

}  // namespace

const char* outcome_text(Outcome o) {
  switch (o) {
    case Outcome::Answered:
      return "answered";
    case Outcome::Transferred:
      return "transferred";
    case Outcome::Dropped:
      return "dropped";
    case Outcome::FormErr:
      return "FORMERR";
    case Outcome::NotImp:
      return "NOTIMP";
    case Outcome::Refused:
      return "REFUSED";
    case Outcome::NotAuth:
      return "NOTAUTH";
    case Outcome::ServFail:
      return "SERVFAIL";
  }
  return "?";
}

Outcome respond(const ZoneDirectory& zones, const ResponderPolicy& policy,
                const net::Request& request, net::Responses& out, std::string* detail) {
  if (!request.tcp && answer_plain_query(zones, policy, request, out)) return Outcome::Answered;
  return respond_general(zones, policy, request, out, detail);
}

Outcome respond_general(const ZoneDirectory& zones, const ResponderPolicy& policy,
                        const net::Request& request, net::Responses& out, std::string* detail) {
  std::span<const uint8_t> wire = request.wire;
  auto why = [&](std::string text) {
    if (detail) *detail = std::move(text);
  };
  // Too short for a header, or a response (QR set): never answer (RFC 1035 §4.1.1; answering
  // responses invites loops).
  if (wire.size() < dns::kHeaderSize || (wire[2] & 0x80)) return Outcome::Dropped;
  Message q;
  try {
    q = dns::parse_message(wire);
  } catch (const dns::WireError& e) {
    why(e.what());
    out.push_back(header_only_formerr(wire));
    return Outcome::FormErr;
  }
  size_t limit = dns::response_size_limit(q, request.tcp, policy.udp_max_payload);
  Message r = response_header(q);
  auto fail = [&](Rcode rc) {
    r.rcode = static_cast<uint16_t>(rc);
    emit(r, limit, nullptr, {}, out);
  };
  if (q.edns && q.edns->version > 0) {
    // RFC 6891 §6.1.3: BADVERS (extended RCODE 16) with our highest version, 0.
    fail(Rcode::BADVERS);
    why("EDNS version " + std::to_string(q.edns->version));
    return Outcome::FormErr;
  }
  if (q.opcode != dns::Opcode::QUERY) {
    // RFC 1035 §4.1.1 NOTIMP for opcodes we do not do; a primary has no use for NOTIFY
    // (RFC 1996 §3.10 lets it refuse), so NOTIFY is REFUSED.
    bool notify = q.opcode == dns::Opcode::NOTIFY;
    fail(notify ? Rcode::REFUSED : Rcode::NOTIMP);
    why(notify ? "NOTIFY to a primary" : "opcode " + std::to_string(static_cast<int>(q.opcode)));
    return notify ? Outcome::Refused : Outcome::NotImp;
  }
  if (q.questions.size() != 1) {  // RFC 9619: QDCOUNT must be 1
    r.questions.clear();
    fail(Rcode::FORMERR);
    why("QDCOUNT " + std::to_string(q.questions.size()));
    return Outcome::FormErr;
  }
  const dns::Question& qu = q.questions.front();

  // RFC 8945 §5.2: verify before anything else; failures get NOTAUTH + the TSIG error.
  const dns::TsigKey* key = nullptr;
  std::vector<uint8_t> mac;
  if (q.tsig) {
    try {
      key = &dns::tsig_verify_request(wire, q, policy.keys, util::unix_now(), mac);
    } catch (const dns::TsigError& e) {
      r.rcode = static_cast<uint16_t>(Rcode::NOTAUTH);
      std::vector<uint8_t> w = dns::write_message(r, limit - 300);
      dns::tsig_append_error(w, dns::tsig_record(q), e.code(), util::unix_now());
      out.push_back(std::move(w));
      why(std::string("TSIG: ") + e.what());
      return Outcome::NotAuth;
    }
  }
  if (qu.qclass != dns::RRClass::IN) {
    fail(Rcode::REFUSED);
    why("class " + std::to_string(static_cast<int>(qu.qclass)));
    return Outcome::Refused;
  }
  auto served = zones.find_answering(qu.qname.wire(), qu.qtype);
  if (!served) {  // not authoritative for it and no recursion: REFUSED
    r.rcode = static_cast<uint16_t>(Rcode::REFUSED);
    emit(r, limit, key, mac, out);
    why("not a served zone");
    return Outcome::Refused;
  }
  bool xfr = qu.qtype == RRType::AXFR || qu.qtype == RRType::IXFR;
  if (xfr) {
    if (qu.qname != served->origin) {
      r.rcode = static_cast<uint16_t>(Rcode::NOTAUTH);  // RFC 5936 §2.2.1: not a zone apex
      emit(r, limit, key, mac, out);
      why("transfer of a name that is not a zone");
      return Outcome::NotAuth;
    }
    const net::Acl& acl = served->access ? served->access->acl : policy.transfer_acl;
    const bool requires_tsig =
        served->access ? served->access->requires_tsig : policy.transfer_requires_tsig;
    if (!acl.allows(request.peer.address())) {
      r.rcode = static_cast<uint16_t>(Rcode::REFUSED);  // RFC 5936 §6 access control
      emit(r, limit, key, mac, out);
      why("transfer not allowed from " + request.peer.address().to_string());
      return Outcome::Refused;
    }
    if (requires_tsig && !key) {
      r.rcode = static_cast<uint16_t>(Rcode::REFUSED);
      emit(r, limit, key, mac, out);
      why("transfer without TSIG");
      return Outcome::Refused;
    }
    if (key && served->access && !served->access->keys.empty() &&
        std::find(served->access->keys.begin(), served->access->keys.end(), key->name) ==
            served->access->keys.end()) {
      // A valid key of another zone: RFC 5936 §6 lets each zone have its own access rules.
      r.rcode = static_cast<uint16_t>(Rcode::REFUSED);
      emit(r, limit, key, mac, out);
      why("TSIG key " + key->name.to_string() + " may not transfer this zone");
      return Outcome::Refused;
    }
  }
  if (!served->zone || (xfr && !served->transfer_failure.empty())) {
    r.rcode = static_cast<uint16_t>(Rcode::SERVFAIL);
    emit(r, limit, key, mac, out);
    why(served->zone ? served->transfer_failure : "zone not loaded");
    return Outcome::ServFail;
  }
  const zone::Zone& z = *served->zone;
  if (qu.qtype == RRType::AXFR && !request.tcp) {
    // RFC 5936 §4.2: AXFR is TCP only.
    r.rcode = static_cast<uint16_t>(Rcode::NOTIMP);
    emit(r, limit, key, mac, out);  // signed when the request was (RFC 8945 §5.3)
    why("AXFR over UDP");
    return Outcome::NotImp;
  }
  if (qu.qtype == RRType::IXFR) {
    IxfrPlan plan = plan_ixfr(*served, q);
    if (plan.form == IxfrForm::NoSoa) {
      r.rcode = static_cast<uint16_t>(Rcode::FORMERR);  // RFC 1995 §3: the client's SOA is due
      emit(r, limit, key, mac, out);
      why("IXFR without the client's SOA");
      return Outcome::FormErr;
    }
    why(fmt::format("IXFR from serial {} to {}: {}", plan.client_serial, z.serial(),
                    ixfr_form_text(plan.form)));
    if (plan.form == IxfrForm::Incremental) {
      out = pack_ixfr(z, *plan.delta, q, request.tcp ? dns::kAxfrMessageLimit : limit,
                      key ? dns::tsig_space(*key) : 0);
      if (request.tcp || out.size() == 1) {
        if (key) {
          dns::TsigStreamSigner signer(*key, mac);
          uint64_t now = util::unix_now();
          for (auto& m : out) signer.sign(m, now);  // RFC 8945 §5.3.1: every message signed
        }
        return Outcome::Transferred;
      }
      out.clear();
    }
    if (!request.tcp || plan.form == IxfrForm::UpToDate) {
      // RFC 1995 §2: the current SOA alone says "up to date", or over UDP "use TCP" when the
      // difference does not fit in one datagram.
      r.aa = true;
      const dns::RRset& soa = z.soa();
      r.answer.push_back(
          dns::Rr{soa.owner, RRType::SOA, soa.rclass, soa.ttl, soa.rdatas.front().to_rdata()});
      emit(r, limit, key, mac, out);
      return Outcome::Answered;
    }
  }
  if (xfr) {
    // AXFR, or IXFR the journal does not cover: the whole zone in AXFR form (RFC 1995 §4).
    out = axfr_for_request(*served->axfr, q.id, static_cast<uint16_t>(qu.qtype));
    if (key) {
      dns::TsigStreamSigner signer(*key, mac);
      uint64_t now = util::unix_now();
      for (auto& m : out) signer.sign(m, now);  // RFC 8945 §5.3.1: every message signed
    }
    return Outcome::Transferred;
  }
  if (dns::is_meta_type(qu.qtype) && qu.qtype != RRType::ANY) {
    fail(Rcode::FORMERR);  // RFC 6895 §3.1: other meta types are not queries
    why("meta type " + dns::type_to_string(qu.qtype));
    return Outcome::FormErr;
  }
  AnswerOptions opts{.dnssec = q.edns && q.edns->do_bit, .denial = served->denial.get()};
  answer_from_zone(z, qu, r, opts);
  emit(r, limit, key, mac, out);
  return Outcome::Answered;
}

}  // namespace flatsign::server
