// Reads the answer to an IXFR request (RFC 1995 over TCP): "up to date" (the SOA alone), an
// incremental answer (a chain of version steps), or the whole zone in AXFR form, which it hands
// to an AxfrAssembler. Checks the answer's framing (SOA bracketing, serial chain, zone, size);
// whether the steps apply to the served zone is ixfr_check's. One instance per transfer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/dns/message.hpp"
#include "slave/transfer_check.hpp"

namespace flatsign::slave {

// What the slave asks from: the master's serial the served zone was made from, and the SOA
// RDATA it sends in the request's authority section (RFC 1995 §3).
struct IxfrRequest {
  uint32_t serial = 0;
  dns::Rdata soa;  // REQUIRES: a SOA RDATA carrying `serial`
  // The master may change the content without its serial (poll-mode axfr: PowerDNS expanding
  // ALIAS keeps its serial): "up to date" then proves nothing, and the zone is asked by AXFR.
  bool axfr_when_up_to_date = false;
};

// One version step of an incremental answer (RFC 1995 §4): delete `removed`, add `added`, and
// the SOA goes from `old_soa` to `new_soa`. SOA records are never in `removed` or `added`.
struct IxfrStep {
  dns::Rr old_soa;
  dns::Rr new_soa;
  std::vector<dns::Rr> removed;
  std::vector<dns::Rr> added;
};

class IxfrAssembler {
 public:
  using State = AxfrAssembler::State;
  enum class Form {
    Undecided,    // not enough records seen yet
    UpToDate,     // the SOA alone (RFC 1995 §2): the master has nothing newer for us
    Incremental,  // version steps from our serial to the master's (RFC 1995 §4)
    Axfr,         // the whole zone, as an AXFR: read by the AxfrAssembler
    Declined,     // FORMERR, NOTIMP or REFUSED to the IXFR: ask again by AXFR
  };

  // `axfr` reads an answer in AXFR form; REQUIRES: it outlives this and is fresh (NeedMore).
  IxfrAssembler(dns::Name zone, uint16_t query_id, uint32_t client_serial, AxfrAssembler& axfr,
                TransferLimits limits = {});

  // As AxfrAssembler's, for whichever form the answer takes (the incremental form counts
  // against the same message and octet caps). REQUIRES: state() == NeedMore.
  State feed(dns::Message msg, size_t wire_octets);
  State end_of_stream(const std::string& why);
  State fail(Verdict v, std::string detail);

  // In AXFR form these are the AxfrAssembler's.
  State state() const;
  Verdict verdict() const;
  const std::string& detail() const;
  size_t messages() const { return messages_; }

  Form form() const { return form_; }
  uint32_t client_serial() const { return client_serial_; }
  // The master's SOA (first record). REQUIRES: form() is UpToDate or Incremental.
  const dns::Rr& soa() const { return soa_; }
  // REQUIRES: form() == Incremental and state() == Complete.
  std::vector<IxfrStep> take_steps() { return std::move(steps_); }
  // Records in the steps (SOAs excluded).
  size_t records() const { return records_; }

 private:
  enum class Phase { OldSoa, Removed, Added };
  // Reads the records of `msg` once the form is known to be incremental.
  State read_incremental(dns::Message& msg, const std::string& where);
  // Hands the messages kept so far and `msg` to the AxfrAssembler.
  State switch_to_axfr(dns::Message msg, size_t wire_octets);

  dns::Name zone_;
  uint16_t id_;
  uint32_t client_serial_;
  AxfrAssembler& axfr_;
  TransferLimits limits_;
  State state_ = State::NeedMore;
  Form form_ = Form::Undecided;
  Verdict verdict_ = Verdict::Accepted;
  std::string detail_;
  size_t messages_ = 0;
  // The first message while it holds the SOA alone and the serial is newer than ours (the next
  // message decides the form).
  std::vector<std::pair<dns::Message, size_t>> held_;  // with their wire octets
  uint64_t wire_octets_ = 0;
  dns::Rr soa_;
  Phase phase_ = Phase::OldSoa;
  std::vector<IxfrStep> steps_;
  size_t records_ = 0;
};

}  // namespace flatsign::slave
