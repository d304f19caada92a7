#include "slave/notify_answer.hpp"

#include <utility>

#include <fmt/format.h>

namespace flatsign::slave {
using dns::Rcode;

const char* notify_verdict_text(NotifyVerdict v) {
  switch (v) {
    case NotifyVerdict::Accepted:
      return "accepted";
    case NotifyVerdict::NotOurZone:
      return "not-our-zone";
    case NotifyVerdict::NotAMaster:
      return "not-a-master";
    case NotifyVerdict::BadTsig:
      return "bad-tsig";
    case NotifyVerdict::TsigMissing:
      return "tsig-missing";
    case NotifyVerdict::BadVersion:
      return "bad-edns-version";
  }
  return "?";
}

NotifyAnswer answer_notify(std::span<const uint8_t> wire, const dns::Message& q,
                           const boost::asio::ip::address& peer, bool tcp,
                           const NotifyPolicy& policy, uint64_t now) {
  NotifyAnswer out;
  dns::Message r;
  r.id = q.id;
  r.qr = true;
  r.opcode = q.opcode;
  r.rd = q.rd;
  r.questions = q.questions;
  if (q.edns) {
    r.edns = dns::Edns{};             // RFC 6891 §7: EDNS is answered with EDNS
    r.edns->do_bit = q.edns->do_bit;  // RFC 3225 §3, as for queries
  }
  const size_t limit = tcp ? dns::kTcpLimit : dns::kUdpLimit;
  auto finish = [&](NotifyVerdict v, Rcode rcode, std::string detail) {
    out.verdict = v;
    out.detail = std::move(detail);
    r.rcode = static_cast<uint16_t>(rcode);
    r.aa = v == NotifyVerdict::Accepted;
  };

  // RFC 6891 §6.1.3: BADVERS (extended RCODE 16) with our highest version, 0, before anything
  // else, as the answer engine does for queries; the NOTIFY is ignored.
  if (q.edns && q.edns->version > 0) {
    finish(NotifyVerdict::BadVersion, Rcode::BADVERS,
           "EDNS version " + std::to_string(q.edns->version));
    out.reply = dns::write_message(r, limit);
    return out;
  }
  // RFC 8945 §5.2: verify before anything else; a failure is NOTAUTH with the TSIG error in an
  // unsigned TSIG RR (§5.3.2), and the NOTIFY is ignored.
  std::vector<uint8_t> mac;
  const bool signed_ok = q.tsig && policy.key;
  if (q.tsig) {
    try {
      if (!policy.key) throw dns::TsigError(Rcode::BADKEY, "no TSIG key configured");
      mac = dns::tsig_verify(wire, q, *policy.key, now);
    } catch (const dns::TsigError& e) {
      finish(NotifyVerdict::BadTsig, Rcode::NOTAUTH, std::string("TSIG: ") + e.what());
      out.reply = dns::write_message(r, limit - 300);
      dns::tsig_append_error(out.reply, dns::tsig_record(q), e.code(), now);
      return out;
    }
  }
  bool from_master = false;
  for (const auto& m : policy.masters) from_master |= m.address() == peer;
  if (q.questions.size() != 1 || q.questions[0].qname != policy.zone) {
    finish(NotifyVerdict::NotOurZone, Rcode::NOTAUTH, "not for our zone");
  } else if (!from_master) {
    // RFC 1996 §3.10: only a NOTIFY from one of our masters triggers a refresh.
    finish(NotifyVerdict::NotAMaster, Rcode::REFUSED, "not from a master");
  } else if (policy.key && policy.tsig_required && !q.tsig) {
    finish(NotifyVerdict::TsigMissing, Rcode::REFUSED, "not signed");
  } else {
    finish(NotifyVerdict::Accepted, Rcode::NOERROR, q.tsig ? "TSIG ok" : "unsigned");
  }
  // RFC 8945 §5.3: the reply to a signed request is signed with the same key, over the
  // request's MAC.
  out.reply = dns::write_message(r, signed_ok ? limit - dns::tsig_space(*policy.key) : limit);
  if (signed_ok) (void)dns::tsig_sign(out.reply, *policy.key, now, mac);
  return out;
}

std::optional<size_t> RefusalLogLimiter::admit(std::chrono::steady_clock::time_point now) {
  const int64_t t =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const int64_t interval = std::chrono::nanoseconds(kInterval).count();
  int64_t last = last_.load(std::memory_order_relaxed);
  for (;;) {
    if (last != kNever && t - last < interval) {
      unlogged_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    // One thread wins the line; the others see its time and count themselves unlogged.
    if (last_.compare_exchange_weak(last, t, std::memory_order_relaxed)) break;
  }
  return unlogged_.exchange(0, std::memory_order_relaxed);
}

std::string RefusalLogLimiter::suffix(size_t unlogged) {
  if (unlogged == 0) return {};
  return fmt::format(" ({} more refused since the last such line; at most one line per {} s)",
                     unlogged, kInterval.count());
}

}  // namespace flatsign::slave
