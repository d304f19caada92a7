// The slave's NOTIFY answers: every verdict, the reply to a signed NOTIFY signed over the
// request's MAC (RFC 8945 §5.3), a bad key answered NOTAUTH + BADKEY (§5.3.2), and EDNS
// answered with EDNS (RFC 6891 §7) or BADVERS.
#include <catch2/catch.hpp>

#include <optional>

#include "common/dns/message.hpp"
#include "common/dns/tsig.hpp"
#include "slave/notify_answer.hpp"

using namespace flatsign;
using slave::NotifyVerdict;

namespace {
constexpr uint64_t kNow = 1'700'000'000;

dns::TsigKey key(const char* name) {
  return dns::parse_tsig_key(std::string(name) +
                             ":hmac-sha256:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
}

slave::NotifyPolicy policy(bool with_key) {
  slave::NotifyPolicy p;
  p.zone = dns::Name::parse("example.test.");
  p.masters.emplace_back(boost::asio::ip::make_address("127.0.0.1"), 5300);
  if (with_key) p.key = key("xfr-key");
  return p;
}

struct Sent {
  std::vector<uint8_t> wire;
  dns::Message msg;
  std::vector<uint8_t> mac;
};

Sent notify(const char* zone, const dns::TsigKey* k, std::optional<dns::Edns> edns = {}) {
  dns::Message q;
  q.id = 4711;
  q.opcode = dns::Opcode::NOTIFY;
  q.aa = true;
  q.questions.push_back({dns::Name::parse(zone), dns::RRType::SOA, dns::RRClass::IN});
  q.edns = std::move(edns);
  Sent s;
  s.wire = dns::write_message(q);
  if (k) s.mac = dns::tsig_sign(s.wire, *k, kNow);
  s.msg = dns::parse_message(s.wire);
  return s;
}

slave::NotifyAnswer answer(const Sent& s, const char* peer, const slave::NotifyPolicy& p) {
  return slave::answer_notify(s.wire, s.msg, boost::asio::ip::make_address(peer), false, p, kNow);
}
}  // namespace

TEST_CASE("notify: unsigned from a master is accepted with an unsigned NOERROR", "[slave]") {
  auto a = answer(notify("example.test.", nullptr), "127.0.0.1", policy(false));
  CHECK(a.verdict == NotifyVerdict::Accepted);
  auto r = dns::parse_message(a.reply);
  CHECK(r.qr);
  CHECK(r.aa);
  CHECK(r.id == 4711);
  CHECK(r.rcode_value() == dns::Rcode::NOERROR);
  CHECK_FALSE(r.tsig);
  CHECK_FALSE(r.edns);  // no OPT came, none goes back
}

TEST_CASE("notify: an OPT in the NOTIFY gets an OPT in every reply (RFC 6891 §7)", "[slave]") {
  dns::Edns e;
  e.udp_payload = 1232;
  e.do_bit = true;
  auto a = answer(notify("example.test.", nullptr, e), "127.0.0.1", policy(false));
  CHECK(a.verdict == NotifyVerdict::Accepted);
  auto r = dns::parse_message(a.reply);
  REQUIRE(r.edns);
  CHECK(r.edns->version == 0);
  CHECK(r.edns->do_bit);
  CHECK(r.rcode_value() == dns::Rcode::NOERROR);
  // Refusals too.
  auto refused = answer(notify("example.test.", nullptr, e), "127.0.0.9", policy(false));
  CHECK(refused.verdict == NotifyVerdict::NotAMaster);
  auto rr = dns::parse_message(refused.reply);
  CHECK(rr.rcode_value() == dns::Rcode::REFUSED);
  CHECK(rr.edns);
  auto other = dns::parse_message(
      answer(notify("other.test.", nullptr, e), "127.0.0.1", policy(false)).reply);
  CHECK(other.rcode_value() == dns::Rcode::NOTAUTH);
  CHECK(other.edns);
}

TEST_CASE("notify: signed with OPT: OPT before TSIG, the reply still verifies", "[slave]") {
  auto k = key("xfr-key");
  auto s = notify("example.test.", &k, dns::Edns{});
  auto a = answer(s, "127.0.0.1", policy(true));
  CHECK(a.verdict == NotifyVerdict::Accepted);
  auto r = dns::parse_message(a.reply);  // throws if the TSIG were not the last record
  REQUIRE(r.edns);
  REQUIRE(r.tsig);
  CHECK_NOTHROW(dns::tsig_verify(a.reply, r, k, kNow, s.mac));
  // A bad key: NOTAUTH with the OPT and the unsigned TSIG error record.
  auto other = key("other-key");
  auto bad = answer(notify("example.test.", &other, dns::Edns{}), "127.0.0.1", policy(true));
  CHECK(bad.verdict == NotifyVerdict::BadTsig);
  auto br = dns::parse_message(bad.reply);
  CHECK(br.edns);
  REQUIRE(br.tsig);
  CHECK(dns::tsig_record(br).error == static_cast<uint16_t>(dns::Rcode::BADKEY));
}

TEST_CASE("notify: EDNS version 1 is BADVERS and no poll (RFC 6891 §6.1.3)", "[slave]") {
  dns::Edns e;
  e.version = 1;
  auto a = answer(notify("example.test.", nullptr, e), "127.0.0.1", policy(false));
  CHECK(a.verdict == NotifyVerdict::BadVersion);
  auto r = dns::parse_message(a.reply);
  CHECK(r.rcode == static_cast<uint16_t>(dns::Rcode::BADVERS));
  REQUIRE(r.edns);
  CHECK(r.edns->version == 0);
}

TEST_CASE("notify: signed NOTIFY gets a reply signed over the request MAC", "[slave]") {
  auto k = key("xfr-key");
  auto s = notify("example.test.", &k);
  auto a = answer(s, "127.0.0.1", policy(true));
  CHECK(a.verdict == NotifyVerdict::Accepted);
  auto r = dns::parse_message(a.reply);
  REQUIRE(r.tsig);
  CHECK_NOTHROW(dns::tsig_verify(a.reply, r, k, kNow, s.mac));
  CHECK(r.rcode_value() == dns::Rcode::NOERROR);
}

TEST_CASE("notify: unknown key is NOTAUTH with BADKEY and no poll", "[slave]") {
  auto other = key("other-key");
  auto a = answer(notify("example.test.", &other), "127.0.0.1", policy(true));
  CHECK(a.verdict == NotifyVerdict::BadTsig);
  auto r = dns::parse_message(a.reply);
  CHECK(r.rcode_value() == dns::Rcode::NOTAUTH);
  REQUIRE(r.tsig);
  CHECK(dns::tsig_record(r).error == static_cast<uint16_t>(dns::Rcode::BADKEY));
}

TEST_CASE("notify: signed but no key configured is BADKEY", "[slave]") {
  auto k = key("xfr-key");
  auto a = answer(notify("example.test.", &k), "127.0.0.1", policy(false));
  CHECK(a.verdict == NotifyVerdict::BadTsig);
}

TEST_CASE("notify: other zone, other sender, missing TSIG when required", "[slave]") {
  auto zone = answer(notify("other.test.", nullptr), "127.0.0.1", policy(false));
  CHECK(zone.verdict == NotifyVerdict::NotOurZone);
  CHECK(dns::parse_message(zone.reply).rcode_value() == dns::Rcode::NOTAUTH);
  auto peer = answer(notify("example.test.", nullptr), "127.0.0.9", policy(false));
  CHECK(peer.verdict == NotifyVerdict::NotAMaster);
  CHECK(dns::parse_message(peer.reply).rcode_value() == dns::Rcode::REFUSED);
  auto p = policy(true);
  CHECK(answer(notify("example.test.", nullptr), "127.0.0.1", p).verdict ==
        NotifyVerdict::Accepted);
  p.tsig_required = true;
  CHECK(answer(notify("example.test.", nullptr), "127.0.0.1", p).verdict ==
        NotifyVerdict::TsigMissing);
}

TEST_CASE("notify: refused NOTIFYs log one line per interval with the count left out",
          "[slave][notify]") {
  slave::RefusalLogLimiter limiter;
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(limiter.admit(t0) == std::optional<size_t>(0));
  CHECK_FALSE(limiter.admit(t0 + std::chrono::seconds(1)).has_value());
  CHECK_FALSE(limiter.admit(t0 + std::chrono::seconds(9)).has_value());
  CHECK(limiter.admit(t0 + std::chrono::seconds(10)) == std::optional<size_t>(2));
  CHECK(slave::RefusalLogLimiter::suffix(2).find("2 more refused") != std::string::npos);
  CHECK(slave::RefusalLogLimiter::suffix(0).empty());
}
