#include "common/server/responder.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "common/dns/error.hpp"
#include "common/server/answer.hpp"
#include "common/server/cookies.hpp"
#include "common/server/name_index.hpp"
#include "common/server/plain_query.hpp"
#include "common/server/rrl.hpp"
#include "common/util/clock.hpp"
#include "common/xfr/ixfr.hpp"

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

// The cookie side of one request, kept for the rate limiter.
struct CookieState {
  QueryCookie cookie;          // verdict after ServerCookies::check
  std::vector<uint8_t> reply;  // the COOKIE option data sent back; empty: none
};

Outcome answer_general(const ZoneDirectory& zones, const ResponderPolicy& policy,
                       const net::Request& request, net::Responses& out, std::string* detail,
                       CookieState& cs);

// Replaces a rate-limited response by its slip: the question alone with TC=1, so an honest
// client retries over TCP (RFC 7766 §5, where it is never limited); or, when the query had a
// client cookie, BADCOOKIE with a fresh server cookie (RFC 7873 §5.2.3 (2), as BIND slips): the
// client retries over UDP with it (§5.3) and is then exempt. Clears `out` when the query
// cannot be parsed (an error response: nothing to slip).
void slip(const net::Request& request, const ResponderPolicy& policy, const CookieState& cs,
          net::Responses& out) {
  Message q;
  try {
    q = dns::parse_message(request.wire);
  } catch (const dns::WireError&) {
    out.clear();
    return;
  }
  Message r = response_header(q);
  if (!cs.reply.empty() && r.edns) {
    r.edns->options.push_back(dns::EdnsOption{kCookieOption, cs.reply});
    r.rcode = static_cast<uint16_t>(Rcode::BADCOOKIE);
  } else {
    r.tc = true;
    r.rcode = out.front().size() > 3 ? (out.front()[3] & 0xF) : 0;
  }
  out.clear();
  out.push_back(dns::write_message(r, dns::response_size_limit(q, false, policy.udp_max_payload)));
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
    case Outcome::RateLimited:
      return "rate limited";
    case Outcome::BadCookie:
      return "BADCOOKIE";
  }
  return "?";
}

Outcome respond(const ZoneDirectory& zones, const ResponderPolicy& policy,
                const net::Request& request, net::Responses& out, std::string* detail) {
  CookieState cs;
  Outcome o = !request.tcp && answer_plain_query(zones, policy, request, out)
                  ? Outcome::Answered
                  : answer_general(zones, policy, request, out, detail, cs);
  // A valid server cookie proves the source address is not spoofed: such clients are not
  // limited (RFC 7873 §5.2.5; BIND and Knot exempt them too). TCP is never limited.
  if (request.tcp || !policy.rrl || out.empty() || cs.cookie.verdict == CookieVerdict::Valid)
    return o;
  RrlVerdict v = policy.rrl->check(request.peer.address(), out.front());
  if (v == RrlVerdict::Pass) return o;
  if (v == RrlVerdict::Drop)
    out.clear();
  else
    slip(request, policy, cs, out);
  if (detail)
    *detail = std::string(v == RrlVerdict::Drop ? "dropped" : "slipped") + " (was " +
              outcome_text(o) + ")";
  return Outcome::RateLimited;
}

Outcome respond_general(const ZoneDirectory& zones, const ResponderPolicy& policy,
                        const net::Request& request, net::Responses& out, std::string* detail) {
  CookieState cs;
  return answer_general(zones, policy, request, out, detail, cs);
}

namespace {

// One request being answered: the query, the response being built, where it goes and why.
struct Exchange {
  Exchange(const net::Request& req, net::Responses& o, std::string* d)
      : request(req), out(o), detail(d) {}

  const net::Request& request;
  net::Responses& out;
  std::string* detail;
  Message q;
  Message r;
  size_t limit = 0;
  const dns::TsigKey* key = nullptr;  // set once the request's TSIG verified
  std::vector<uint8_t> mac;

  void why(std::string text) const {
    if (detail) *detail = std::move(text);
  }
  // The response with `rc` and nothing else, TSIG-signed when the request was.
  Outcome fail(Rcode rc, Outcome o, std::string text) {
    r.rcode = static_cast<uint16_t>(rc);
    emit(r, limit, key, mac, out);
    why(std::move(text));
    return o;
  }
  // A transfer's messages, each signed when the request was (RFC 8945 §5.3.1).
  Outcome transfer(net::Responses messages) {
    out = std::move(messages);
    if (key) {
      dns::TsigStreamSigner signer(*key, mac);
      const uint64_t now = util::unix_now();
      for (auto& m : out) signer.sign(m, now);
    }
    return Outcome::Transferred;
  }
};

// The checks that need no zone: EDNS version, cookies, opcode, a cookie-only query, QDCOUNT.
// Returns the outcome when the request is answered here.
std::optional<Outcome> check_query(Exchange& x, const ResponderPolicy& policy, CookieState& cs) {
  const Message& q = x.q;
  if (q.edns && q.edns->version > 0)  // RFC 6891 §6.1.3: BADVERS with our highest version, 0
    return x.fail(Rcode::BADVERS, Outcome::FormErr,
                  "EDNS version " + std::to_string(q.edns->version));
  if (policy.cookies && q.edns) {
    cs.cookie = read_cookie(q.edns);
    if (cs.cookie.verdict == CookieVerdict::Malformed)  // RFC 7873 §5.2.2
      return x.fail(Rcode::FORMERR, Outcome::FormErr, "malformed COOKIE option");
    if (cs.cookie.verdict != CookieVerdict::Absent) {
      // RFC 7873 §5.2.3-§5.2.5: every response to a query with a client cookie carries it
      // back with a server cookie of ours, whatever the RCODE.
      uint32_t now = static_cast<uint32_t>(util::unix_now());
      cs.cookie.verdict = policy.cookies->check(cs.cookie, x.request.peer.address(), now);
      cs.reply = policy.cookies->reply_option(cs.cookie, x.request.peer.address(), now);
      x.r.edns->options.push_back(dns::EdnsOption{kCookieOption, cs.reply});
    }
  }
  if (q.opcode != dns::Opcode::QUERY) {
    // RFC 1035 §4.1.1 NOTIMP for opcodes we do not do; a primary has no use for NOTIFY
    // (RFC 1996 §3.10 lets it refuse), so NOTIFY is REFUSED.
    if (q.opcode == dns::Opcode::NOTIFY)
      return x.fail(Rcode::REFUSED, Outcome::Refused, "NOTIFY to a primary");
    return x.fail(Rcode::NOTIMP, Outcome::NotImp,
                  "opcode " + std::to_string(static_cast<int>(q.opcode)));
  }
  if (q.questions.empty() && !cs.reply.empty()) {
    // RFC 7873 §5.4: a query for a server cookie alone. NOERROR when it had none or a valid
    // one, BADCOOKIE when the one it had is invalid; the fresh cookie goes back either way.
    const bool bad = cs.cookie.verdict == CookieVerdict::Invalid;
    return x.fail(
        bad ? Rcode::BADCOOKIE : Rcode::NOERROR, bad ? Outcome::BadCookie : Outcome::Answered,
        std::string("cookie query, server cookie ") + cookie_verdict_text(cs.cookie.verdict));
  }
  if (q.questions.size() != 1) {  // RFC 9619: QDCOUNT must be 1
    x.r.questions.clear();
    return x.fail(Rcode::FORMERR, Outcome::FormErr,
                  "QDCOUNT " + std::to_string(q.questions.size()));
  }
  return std::nullopt;
}

// Why a transfer of `served` may not go to this client, or nothing when it may: the address
// ACL, then TSIG (RFC 5936 §6 lets each zone have its own access rules).
std::optional<std::string> transfer_refusal(const ServedZone& served, const ResponderPolicy& policy,
                                            const Exchange& x) {
  const net::Acl& acl = served.access ? served.access->acl : policy.transfer_acl;
  const bool requires_tsig =
      served.access ? served.access->requires_tsig : policy.transfer_requires_tsig;
  if (!acl.allows(x.request.peer.address()))
    return "transfer not allowed from " + x.request.peer.address().to_string();
  if (requires_tsig && !x.key) return std::string("transfer without TSIG");
  if (x.key && served.access && !served.access->keys.empty() &&
      std::find(served.access->keys.begin(), served.access->keys.end(), x.key->name) ==
          served.access->keys.end())
    return "TSIG key " + x.key->name.to_string() + " may not transfer this zone";
  return std::nullopt;
}

// IXFR (RFC 1995): the journal's difference, or the current SOA alone when the client is up to
// date (or over UDP when the difference does not fit), or nothing when the whole zone must go
// in AXFR form (the caller sends it).
std::optional<Outcome> answer_ixfr(Exchange& x, const ServedZone& served) {
  const zone::Zone& z = *served.zone;
  xfr::IxfrPlan plan = xfr::plan_ixfr(served.origin, z, served.journal.get(), x.q);
  if (plan.form == xfr::IxfrForm::NoSoa)  // RFC 1995 §3: the client's SOA is due
    return x.fail(Rcode::FORMERR, Outcome::FormErr, "IXFR without the client's SOA");
  x.why(fmt::format("IXFR from serial {} to {}: {}", plan.client_serial, z.serial(),
                    xfr::ixfr_form_text(plan.form)));
  if (plan.form == xfr::IxfrForm::Incremental) {
    net::Responses messages =
        xfr::pack_ixfr(z, *plan.delta, x.q, x.request.tcp ? dns::kAxfrMessageLimit : x.limit,
                       x.key ? dns::tsig_space(*x.key) : 0);
    if (x.request.tcp || messages.size() == 1) return x.transfer(std::move(messages));
  }
  if (!x.request.tcp || plan.form == xfr::IxfrForm::UpToDate) {
    // RFC 1995 §2: the current SOA alone says "up to date", or over UDP "use TCP" when the
    // difference does not fit in one datagram.
    x.r.aa = true;
    const dns::RRset& soa = z.soa();
    x.r.answer.push_back(
        dns::Rr{soa.owner, RRType::SOA, soa.rclass, soa.ttl, soa.rdatas.front().to_rdata()});
    emit(x.r, x.limit, x.key, x.mac, x.out);
    return Outcome::Answered;
  }
  return std::nullopt;
}

Outcome answer_general(const ZoneDirectory& zones, const ResponderPolicy& policy,
                       const net::Request& request, net::Responses& out, std::string* detail,
                       CookieState& cs) {
  std::span<const uint8_t> wire = request.wire;
  Exchange x(request, out, detail);
  // Too short for a header, or a response (QR set): never answer (RFC 1035 §4.1.1; answering
  // responses invites loops).
  if (wire.size() < dns::kHeaderSize || (wire[2] & 0x80)) return Outcome::Dropped;
  try {
    x.q = dns::parse_message(wire);
  } catch (const dns::WireError& e) {
    x.why(e.what());
    out.push_back(header_only_formerr(wire));
    return Outcome::FormErr;
  }
  x.limit = dns::response_size_limit(x.q, request.tcp, policy.udp_max_payload);
  x.r = response_header(x.q);
  if (auto o = check_query(x, policy, cs)) return *o;
  const dns::Question& qu = x.q.questions.front();

  // RFC 8945 §5.2: verify before anything else; failures get NOTAUTH + the TSIG error.
  if (x.q.tsig) {
    try {
      x.key = &dns::tsig_verify_request(wire, x.q, policy.keys, util::unix_now(), x.mac);
    } catch (const dns::TsigError& e) {
      x.r.rcode = static_cast<uint16_t>(Rcode::NOTAUTH);
      std::vector<uint8_t> w = dns::write_message(x.r, x.limit - 300);
      dns::tsig_append_error(w, dns::tsig_record(x.q), e.code(), util::unix_now());
      out.push_back(std::move(w));
      x.why(std::string("TSIG: ") + e.what());
      return Outcome::NotAuth;
    }
  }
  if (qu.qclass != dns::RRClass::IN)
    return x.fail(Rcode::REFUSED, Outcome::Refused,
                  "class " + std::to_string(static_cast<int>(qu.qclass)));
  auto served = zones.find_answering(qu.qname.wire(), qu.qtype);
  if (!served)  // not authoritative for it and no recursion: REFUSED
    return x.fail(Rcode::REFUSED, Outcome::Refused, "not a served zone");
  const bool xfr = qu.qtype == RRType::AXFR || qu.qtype == RRType::IXFR;
  if (xfr) {
    if (qu.qname != served->origin)  // RFC 5936 §2.2.1: not a zone apex
      return x.fail(Rcode::NOTAUTH, Outcome::NotAuth, "transfer of a name that is not a zone");
    if (auto why = transfer_refusal(*served, policy, x))
      return x.fail(Rcode::REFUSED, Outcome::Refused, std::move(*why));
  }
  if (!served->zone || (xfr && !served->transfer_failure.empty()))
    return x.fail(Rcode::SERVFAIL, Outcome::ServFail,
                  served->zone ? served->transfer_failure : "zone not loaded");
  if (qu.qtype == RRType::AXFR && !request.tcp)  // RFC 5936 §4.2: AXFR is TCP only
    return x.fail(Rcode::NOTIMP, Outcome::NotImp, "AXFR over UDP");
  if (qu.qtype == RRType::IXFR) {
    if (auto o = answer_ixfr(x, *served)) return *o;
  }
  if (xfr)  // AXFR, or IXFR the journal does not cover: the whole zone in AXFR form (RFC 1995 §4)
    return x.transfer(
        xfr::axfr_for_request(*served->axfr, x.q.id, static_cast<uint16_t>(qu.qtype)));
  if (dns::is_meta_type(qu.qtype) && qu.qtype != RRType::ANY)  // RFC 6895 §3.1: not queries
    return x.fail(Rcode::FORMERR, Outcome::FormErr, "meta type " + dns::type_to_string(qu.qtype));
  AnswerOptions opts{.dnssec = x.q.edns && x.q.edns->do_bit, .denial = served->denial.get()};
  answer_from_zone(*served->zone, qu, x.r, opts);
  emit(x.r, x.limit, x.key, x.mac, out);
  return Outcome::Answered;
}

}  // namespace

}  // namespace flatsign::server
