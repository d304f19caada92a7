// The slave's transfer intake on any TCP stream from a master (RFC 1035 §4.2.2 framing, RFC
// 5936 §2.2 SOA bracketing): messages parsed and fed to AxfrAssembler as fetch_axfr does, then
// check_transfer, once as a first transfer and once against a served signed zone. Nothing
// throws; a transfer refused as a first transfer is not accepted against the served zone; and
// when both keep a zone, it is the same zone, whether the served one was patched
// (Zone::with_changes) or the transfer built whole (names compared without case).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/dnssec/key.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/zone/zone.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"
#include "fuzz/check.hpp"
#include "slave/transfer_check.hpp"

using namespace flatsign;
using slave::Verdict;

namespace {

constexpr uint16_t kQueryId = 0x1234;  // fuzz/make-seeds writes its streams with this ID
// The zone the served one is signed from; fuzz/make-seeds writes its AXFR streams from the
// same text (kept in step by hand).
constexpr const char* kZone = R"($TTL 300
@ 3600 IN SOA ns.example. h.example. 1 7200 3600 1209600 600
@ IN NS ns
@ IN MX 10 mail
ns IN A 192.0.2.1
mail IN A 192.0.2.5
www IN A 192.0.2.2
www IN AAAA 2001:db8::2
*.w IN TXT "x"
alias IN CNAME www
deleg IN NS ns.deleg
ns.deleg IN A 192.0.2.4
)";

std::shared_ptr<const zone::Zone> served_zone() {
  const dns::Name origin = dns::Name::parse("example.");
  zone::ZoneBuilder b(origin);
  (void)zone::parse_zone_text(kZone, origin,
                              [&](dns::Rr&& rr, const zone::Location&) { b.add(rr); });
  dnssec::SignerOptions o;
  o.timing.now = 1700000000;
  o.threads = 1;
  std::vector<dnssec::DnssecKey> keys;
  keys.push_back(
      dnssec::generate_key(origin, dnssec::Algorithm::ED25519, dnssec::kFlagsKsk, 1700000000));
  return dnssec::ZoneSigner(std::move(keys), o).sign_full(*std::move(b).build().zone).zone;
}

// Owners compared without case (RFC 4343): a patch keeps the served spelling of a name whose
// records did not change, where a transfer that changed only its case is built with the new one.
using Rows = std::vector<std::tuple<std::string, uint16_t, uint32_t, dns::Rdata>>;
Rows rows(const zone::Zone& z) {
  Rows out;
  for (const auto& r : z.records())
    out.emplace_back(r.owner.lowercased().to_string(), static_cast<uint16_t>(r.type), r.ttl,
                     r.rdata);
  return out;
}

bool keeps_zone(Verdict v) {
  return v == Verdict::Accepted || v == Verdict::Unchanged;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const zone::Zone> served = served_zone();
  static const dns::Name origin = dns::Name::parse("example.");
  slave::AxfrAssembler assembler(origin, kQueryId);
  size_t at = 0;
  while (assembler.state() == slave::AxfrAssembler::State::NeedMore) {
    if (size - at < 2) {
      (void)assembler.end_of_stream("closed");
      break;
    }
    const size_t len = (size_t{data[at]} << 8) | data[at + 1];
    at += 2;
    if (size - at < len) {
      (void)assembler.end_of_stream("closed inside a message");
      break;
    }
    dns::Message msg;
    try {
      msg = dns::parse_message(std::span<const uint8_t>(data + at, len));
    } catch (const dns::WireError& e) {
      (void)assembler.fail(Verdict::RefusedMalformed, e.what());
      break;
    }
    at += len;
    (void)assembler.feed(std::move(msg), len + 2);
  }
  if (assembler.state() != slave::AxfrAssembler::State::Complete) return -1;

  slave::AxfrAssembler again = assembler;
  const slave::CheckResult first = slave::check_transfer(assembler, nullptr);
  const slave::CheckResult patched = slave::check_transfer(again, served.get());
  if (first.verdict != Verdict::Accepted) {
    FUZZ_CHECK(!keeps_zone(patched.verdict),
               "refused as a first transfer but kept against the served zone");
    return 0;
  }
  FUZZ_CHECK(first.zone != nullptr && first.zone->origin() == origin, "accepted without a zone");
  FUZZ_CHECK(
      patched.verdict != Verdict::RefusedZoneErrors && patched.verdict != Verdict::RefusedEmpty,
      "accepted as a first transfer but refused against the served zone");
  if (patched.zone != nullptr) {
    FUZZ_CHECK(rows(*patched.zone) == rows(*first.zone),
               "the patched zone differs from the transfer built whole");
  }
  return 0;
}
