#include "slave/ixfr_reader.hpp"

#include <fmt/format.h>

#include "common/dns/rdata.hpp"
#include "slave/serial.hpp"

namespace flatsign::slave {

using dns::RRType;

namespace {

// An answer in AXFR form still carries the IXFR question; the AxfrAssembler checks questions
// against AXFR, and the rest of the message is an AXFR message.
dns::Message as_axfr(dns::Message msg) {
  for (auto& q : msg.questions)
    if (q.qtype == RRType::IXFR) q.qtype = RRType::AXFR;
  return msg;
}

const char* rcode_text(uint16_t rcode) {
  switch (rcode) {
    case 1:
      return " (FORMERR)";
    case 2:
      return " (SERVFAIL)";
    case 4:
      return " (NOTIMP)";
    case 5:
      return " (REFUSED)";
    case 9:
      return " (NOTAUTH)";
    default:
      return "";
  }
}

}  // namespace

IxfrAssembler::IxfrAssembler(dns::Name zone, uint16_t query_id, uint32_t client_serial,
                             AxfrAssembler& axfr, TransferLimits limits)
    : zone_(std::move(zone)),
      id_(query_id),
      client_serial_(client_serial),
      axfr_(axfr),
      limits_(limits) {}

IxfrAssembler::State IxfrAssembler::state() const {
  return form_ == Form::Axfr ? axfr_.state() : state_;
}

Verdict IxfrAssembler::verdict() const {
  return form_ == Form::Axfr ? axfr_.verdict() : verdict_;
}

const std::string& IxfrAssembler::detail() const {
  return form_ == Form::Axfr ? axfr_.detail() : detail_;
}

IxfrAssembler::State IxfrAssembler::fail(Verdict v, std::string detail) {
  if (form_ == Form::Axfr) return axfr_.fail(v, std::move(detail));
  state_ = State::Failed;
  verdict_ = v;
  detail_ = std::move(detail);
  return state_;
}

IxfrAssembler::State IxfrAssembler::end_of_stream(const std::string& why) {
  if (form_ == Form::Axfr) return axfr_.end_of_stream(why);
  if (state_ != State::NeedMore) return state_;
  return fail(Verdict::RefusedIncomplete,
              fmt::format("IXFR ended before its closing SOA after {} records in {} messages: {}",
                          records_, messages_, why));
}

IxfrAssembler::State IxfrAssembler::switch_to_axfr(dns::Message msg, size_t wire_octets) {
  form_ = Form::Axfr;
  State s = State::NeedMore;
  for (auto& [held, octets] : held_) {
    s = axfr_.feed(as_axfr(std::move(held)), octets);
    if (s != State::NeedMore) break;
  }
  held_.clear();
  return s == State::NeedMore ? axfr_.feed(as_axfr(std::move(msg)), wire_octets) : s;
}

IxfrAssembler::State IxfrAssembler::feed(dns::Message msg, size_t wire_octets) {
  if (form_ == Form::Axfr) {
    ++messages_;
    return axfr_.feed(as_axfr(std::move(msg)), wire_octets);
  }
  ++messages_;
  wire_octets_ += wire_octets;
  const std::string where = fmt::format("message {}", messages_);
  if (messages_ > limits_.max_messages)
    return fail(
        Verdict::RefusedTooLarge,
        fmt::format("IXFR: more than {} messages (max-transfer-messages)", limits_.max_messages));
  if (wire_octets_ > limits_.max_octets)
    return fail(Verdict::RefusedTooLarge,
                fmt::format("IXFR: more than {} octets (max-transfer-octets)", limits_.max_octets));
  // RFC 1995 §4 with RFC 5936 §2.2: every message carries the query's ID and question.
  if (msg.id != id_ || !msg.qr)
    return fail(Verdict::RefusedMalformed, where + ": not a response to our query");
  if (msg.rcode != 0) {
    // A master that does not serve IXFR (RFC 1995 §2 leaves it optional) says so at once: the
    // slave then asks by AXFR. Any other error is the master's answer about the zone.
    const bool declined = messages_ == 1 && (msg.rcode == 1 || msg.rcode == 4 || msg.rcode == 5);
    if (declined) form_ = Form::Declined;
    return fail(Verdict::RefusedRcode, fmt::format("{}: master answered the IXFR with rcode {}{}",
                                                   where, msg.rcode, rcode_text(msg.rcode)));
  }
  if (msg.tc) return fail(Verdict::RefusedMalformed, where + ": TC set on a TCP transfer");
  for (const auto& q : msg.questions) {
    if (!(q.qname == zone_) || (q.qtype != RRType::IXFR && q.qtype != RRType::AXFR)) {
      return fail(Verdict::RefusedMalformed, where + ": question " + q.qname.to_string() + " " +
                                                 dns::type_to_string(q.qtype) + " is not ours");
    }
  }
  if (form_ == Form::Incremental) return read_incremental(msg, where);

  // Undecided: the second record of the answer says which form it takes (RFC 1995 §4): a SOA
  // (our version's) for an incremental answer, anything else for the AXFR form.
  size_t start = 0;
  if (held_.empty()) {
    if (msg.answer.empty())
      return fail(Verdict::RefusedEmpty, "the first message holds no records");
    const dns::Rr& first = msg.answer.front();
    if (first.type != RRType::SOA || !(first.owner == zone_)) {
      return fail(Verdict::RefusedSoaMismatch,
                  fmt::format("{}: the answer opens with {} {}, not the SOA", where,
                              first.owner.to_string(), dns::type_to_string(first.type)));
    }
    soa_ = first;
    if (msg.answer.size() == 1) {
      // RFC 1995 §2: a lone SOA no newer than ours means nothing to transfer. A newer one may
      // open a longer answer whose next record is in the next message.
      if (!serial_gt(dns::soa_serial(soa_.rdata), client_serial_)) {
        form_ = Form::UpToDate;
        state_ = State::Complete;
        return state_;
      }
      held_.emplace_back(std::move(msg), wire_octets);
      return state_;
    }
    start = 1;
  } else if (msg.answer.empty()) {
    held_.emplace_back(std::move(msg), wire_octets);
    return state_;
  }
  // A SOA repeating the first one's serial is no version step (it would go nowhere): the AXFR
  // form of a zone holding only its SOA, which the AXFR checks refuse.
  const dns::Rr& second = msg.answer[start];
  if (second.type != RRType::SOA || !(second.owner == zone_) ||
      dns::soa_serial(second.rdata) == dns::soa_serial(soa_.rdata))
    return switch_to_axfr(std::move(msg), wire_octets);
  form_ = Form::Incremental;
  held_.clear();
  const uint32_t from = dns::soa_serial(second.rdata);
  if (from != client_serial_) {
    return fail(Verdict::RefusedSoaMismatch,
                fmt::format("{}: the difference starts at serial {}, the slave asked from {}",
                            where, from, client_serial_));
  }
  steps_.push_back(IxfrStep{std::move(msg.answer[start]), {}, {}, {}});
  phase_ = Phase::Removed;
  msg.answer.erase(msg.answer.begin(), msg.answer.begin() + static_cast<long>(start) + 1);
  return read_incremental(msg, where);
}

IxfrAssembler::State IxfrAssembler::read_incremental(dns::Message& msg, const std::string& where) {
  const uint32_t target = dns::soa_serial(soa_.rdata);
  for (size_t i = 0; i < msg.answer.size(); ++i) {
    dns::Rr& rr = msg.answer[i];
    if (!rr.owner.is_subdomain_of(zone_)) {
      return fail(Verdict::RefusedOutOfZone, where + ": " + rr.owner.to_string() + " " +
                                                 dns::type_to_string(rr.type) + " is outside " +
                                                 zone_.to_string());
    }
    IxfrStep& step = steps_.back();
    const bool soa = rr.type == RRType::SOA && rr.owner == zone_;
    if (!soa) {
      (phase_ == Phase::Removed ? step.removed : step.added).push_back(std::move(rr));
      if (++records_ > limits_.max_records) {
        return fail(Verdict::RefusedTooLarge,
                    fmt::format("the IXFR holds more than {} records", limits_.max_records));
      }
      continue;
    }
    const uint32_t serial = dns::soa_serial(rr.rdata);
    const uint32_t from = dns::soa_serial(step.old_soa.rdata);
    if (phase_ == Phase::Removed) {
      // RFC 1995 §4: the SOA between a step's deletions and additions is its new version.
      if (!serial_gt(serial, from)) {
        return fail(
            Verdict::RefusedSoaMismatch,
            fmt::format("{}: a step goes from serial {} to {}, not forward", where, from, serial));
      }
      step.new_soa = std::move(rr);
      phase_ = Phase::Added;
      continue;
    }
    const uint32_t to = dns::soa_serial(step.new_soa.rdata);
    if (serial == target) {
      // The closing SOA: the master's, after a step that ends at its serial, last in the answer.
      if (to != target) {
        return fail(Verdict::RefusedSoaMismatch,
                    fmt::format("{}: the steps end at serial {}, not at the master's {}", where, to,
                                target));
      }
      if (dns::rdata_compare(RRType::SOA, rr.rdata, soa_.rdata) != 0) {
        return fail(Verdict::RefusedSoaMismatch,
                    where + ": the closing SOA differs from the opening one");
      }
      if (i + 1 != msg.answer.size())
        return fail(Verdict::RefusedMalformed, where + ": records after the closing SOA");
      state_ = State::Complete;
      return state_;
    }
    // The next step's old version: the chain goes on where the last step ended.
    if (serial != to) {
      return fail(Verdict::RefusedSoaMismatch,
                  fmt::format("{}: a step starts at serial {}, the one before ended at {}", where,
                              serial, to));
    }
    steps_.push_back(IxfrStep{std::move(rr), {}, {}, {}});
    phase_ = Phase::Removed;
  }
  return state_;
}

}  // namespace flatsign::slave
