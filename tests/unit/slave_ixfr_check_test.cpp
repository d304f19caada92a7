// IXFR in: the reader tells the three answer forms apart and checks the framing (SOA bracketing,
// serial chain, zone, size); check_ixfr applies the steps to the served zone with the transfer
// checks and refuses a difference that is not for the version served.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "common/dnssec/key.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "slave/ixfr_check.hpp"
#include "slave/ixfr_client.hpp"
#include "slave/ixfr_reader.hpp"
#include "slave/state.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using slave::AxfrAssembler;
using slave::IxfrAssembler;
using slave::Verdict;
using testing::rr;

namespace {

const dns::Name kZone = dns::Name::parse("example.");
constexpr uint16_t kId = 777;

std::string soa(int serial) {
  return "@ 3600 SOA ns1 hostmaster " + std::to_string(serial) + " 7200 3600 1209600 300";
}

// The served zone: the master's version 7.
std::shared_ptr<const zone::Zone> served() {
  std::vector<std::string> lines = {soa(7),
                                    "@ 3600 NS ns1",
                                    "ns1 3600 A 192.0.2.53",
                                    "www 60 A 192.0.2.1",
                                    "www 60 A 192.0.2.2",
                                    "mail 60 A 192.0.2.25"};
  for (int i = 0; i < 20; ++i)
    lines.push_back("h" + std::to_string(i) + " 60 A 10.0.0." + std::to_string(i + 1));
  return testing::build(lines);
}

dns::Message response(const std::vector<std::string>& lines, bool question = true,
                      dns::RRType qtype = dns::RRType::IXFR) {
  dns::Message m;
  m.id = kId;
  m.qr = true;
  m.aa = true;
  if (question) m.questions.push_back({kZone, qtype, dns::RRClass::IN});
  for (const auto& l : lines) m.answer.push_back(rr(l));
  return m;
}

// Feeds `messages` to a reader asking from serial `from`, as fetch_axfr does.
struct Run {
  AxfrAssembler axfr{kZone, kId};
  IxfrAssembler ixfr;
  Run(const std::vector<std::vector<std::string>>& messages, uint32_t from = 7,
      slave::TransferLimits limits = {})
      : axfr(kZone, kId, limits), ixfr(kZone, kId, from, axfr, limits) {
    for (size_t i = 0; i < messages.size() && ixfr.state() == AxfrAssembler::State::NeedMore; ++i)
      ixfr.feed(response(messages[i], i == 0), 512);
  }
};

// One step 7 -> 8: www loses 192.0.2.2, gains 192.0.2.3; mail goes.
const std::vector<std::string> kStep = {
    soa(8), soa(7), "www 60 A 192.0.2.2", "mail 60 A 192.0.2.25", soa(8), "www 60 A 192.0.2.3",
    soa(8)};

}  // namespace

TEST_CASE("an incremental answer is applied to the served zone", "[ixfr]") {
  // Split anywhere, the SOA alone in the first message included.
  for (size_t cut = 1; cut < kStep.size(); ++cut) {
    Run r({std::vector<std::string>(kStep.begin(), kStep.begin() + static_cast<long>(cut)),
           std::vector<std::string>(kStep.begin() + static_cast<long>(cut), kStep.end())});
    REQUIRE(r.ixfr.state() == AxfrAssembler::State::Complete);
    REQUIRE(r.ixfr.form() == IxfrAssembler::Form::Incremental);
    auto z = served();
    auto result = slave::check_ixfr(r.ixfr, *z);
    REQUIRE(result.verdict == Verdict::Accepted);
    CHECK(result.serial == 8);
    CHECK(result.diff.added_count() == 1);
    CHECK(result.diff.removed_count() == 2);
    CHECK(result.zone->find(dns::Name::parse("mail.example."), dns::RRType::A) == nullptr);
    const dns::RRset* www = result.zone->find(dns::Name::parse("www.example."), dns::RRType::A);
    REQUIRE(www);
    CHECK(www->rdatas.size() == 2);
    CHECK(result.zone->serial() == 8);
    CHECK(result.zone->rr_count() == z->rr_count() - 1);
  }
}

TEST_CASE("a chain of steps is applied in order", "[ixfr]") {
  // 7 -> 8 adds new, 8 -> 9 removes it again and changes h0: the net change is h0 only.
  Run r({{soa(9), soa(7), soa(8), "new 60 A 192.0.2.99", soa(8), "new 60 A 192.0.2.99",
          "h0 60 A 10.0.0.1", soa(9), "h0 60 A 10.9.9.9", soa(9)}});
  REQUIRE(r.ixfr.state() == AxfrAssembler::State::Complete);
  auto z = served();
  auto result = slave::check_ixfr(r.ixfr, *z);
  REQUIRE(result.verdict == Verdict::Accepted);
  CHECK(result.diff.changes.size() == 1);
  CHECK(result.zone->find(dns::Name::parse("new.example.")) == nullptr);

  // Steps that cancel out leave the content unchanged (the serial alone moved).
  Run back({{soa(9), soa(7), soa(8), "new 60 A 192.0.2.99", soa(8), "new 60 A 192.0.2.99", soa(9),
             soa(9)}});
  CHECK(slave::check_ixfr(back.ixfr, *z).verdict == Verdict::Unchanged);
}

TEST_CASE("the answer's form is told from its first two records", "[ixfr]") {
  SECTION("a lone SOA is up to date") {
    Run r({{soa(7)}});
    CHECK(r.ixfr.state() == AxfrAssembler::State::Complete);
    CHECK(r.ixfr.form() == IxfrAssembler::Form::UpToDate);
    auto result = slave::check_ixfr(r.ixfr, *served());
    CHECK(result.verdict == Verdict::Unchanged);
    CHECK(result.serial == 7);
  }
  SECTION("a lone older SOA is up to date too (fetch_transfer_any asks AXFR then)") {
    Run r({{soa(6)}});
    CHECK(r.ixfr.form() == IxfrAssembler::Form::UpToDate);
  }
  SECTION("anything but a SOA second is the AXFR form, read by the AXFR assembler") {
    Run r({{soa(8), "@ 3600 NS ns1", "ns1 3600 A 192.0.2.53"}, {"www 60 A 192.0.2.1", soa(8)}});
    CHECK(r.ixfr.form() == IxfrAssembler::Form::Axfr);
    REQUIRE(r.ixfr.state() == AxfrAssembler::State::Complete);
    CHECK(r.axfr.state() == AxfrAssembler::State::Complete);
    auto result = slave::check_transfer(r.axfr, nullptr);
    REQUIRE(result.verdict == Verdict::Accepted);
    CHECK(result.zone->rr_count() == 4);
  }
  SECTION("the SOA alone in the first message waits for the next") {
    Run r({{soa(8)}, {"@ 3600 NS ns1", "ns1 3600 A 192.0.2.53", soa(8)}});
    CHECK(r.ixfr.form() == IxfrAssembler::Form::Axfr);
    CHECK(r.ixfr.state() == AxfrAssembler::State::Complete);
  }
  SECTION("SOA, SOA of the same serial: an AXFR of the SOA alone, refused as such") {
    Run r({{soa(8), soa(8)}});
    CHECK(r.ixfr.form() == IxfrAssembler::Form::Axfr);
    REQUIRE(r.ixfr.state() == AxfrAssembler::State::Complete);
    CHECK(slave::check_transfer(r.axfr, served().get()).verdict == Verdict::RefusedEmpty);
  }
  SECTION("FORMERR, NOTIMP and REFUSED decline IXFR; SERVFAIL does not") {
    for (uint16_t rcode : {1, 4, 5, 2}) {
      AxfrAssembler axfr(kZone, kId);
      IxfrAssembler ixfr(kZone, kId, 7, axfr);
      auto m = response({});
      m.rcode = rcode;
      ixfr.feed(m, 512);
      CHECK(ixfr.state() == AxfrAssembler::State::Failed);
      CHECK(ixfr.verdict() == Verdict::RefusedRcode);
      CHECK((ixfr.form() == IxfrAssembler::Form::Declined) == (rcode != 2));
    }
  }
}

TEST_CASE("a broken incremental answer is refused with its verdict", "[ixfr]") {
  struct Case {
    const char* name;
    std::vector<std::vector<std::string>> messages;
    Verdict expect;
  };
  const std::vector<Case> cases = {
      {"starts from another serial",
       {{soa(8), soa(6), soa(8), soa(8)}},
       Verdict::RefusedSoaMismatch},
      {"a step that does not go forward",
       {{soa(9), soa(7), soa(7), "x 60 A 192.0.2.9", soa(9)}},
       Verdict::RefusedSoaMismatch},
      {"a broken chain",
       {{soa(9), soa(7), soa(8), soa(8), soa(10), soa(9), soa(9)}},
       Verdict::RefusedSoaMismatch},
      {"steps ending short of the master's serial",
       {{soa(9), soa(7), soa(8), "x 60 A 192.0.2.9", soa(9)}},
       Verdict::RefusedSoaMismatch},
      {"a closing SOA other than the opening one",
       {{soa(8), soa(7), soa(8), "@ 3600 SOA ns2 hostmaster 8 7200 3600 1209600 300"}},
       Verdict::RefusedSoaMismatch},
      {"records after the closing SOA",
       {{soa(8), soa(7), soa(8), soa(8), "x 60 A 192.0.2.9"}},
       Verdict::RefusedMalformed},
      {"a record outside the zone",
       {{soa(8), soa(7), soa(8), "www.example.org. 60 A 192.0.2.9", soa(8)}},
       Verdict::RefusedOutOfZone},
      {"a first record that is not the SOA",
       {{"www 60 A 192.0.2.1", soa(7)}},
       Verdict::RefusedSoaMismatch},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    Run r(c.messages);
    CHECK(r.ixfr.state() == AxfrAssembler::State::Failed);
    CHECK(r.ixfr.verdict() == c.expect);
  }

  SECTION("truncated: the stream ends before the closing SOA") {
    Run r({std::vector<std::string>(kStep.begin(), kStep.end() - 1)});
    REQUIRE(r.ixfr.state() == AxfrAssembler::State::NeedMore);
    r.ixfr.end_of_stream("connection closed by the master");
    CHECK(r.ixfr.verdict() == Verdict::RefusedIncomplete);
  }
  SECTION("more records than max-records") {
    slave::TransferLimits limits;
    limits.max_records = 2;
    Run r({kStep}, 7, limits);
    CHECK(r.ixfr.verdict() == Verdict::RefusedTooLarge);
  }
  SECTION("not a response to our query") {
    AxfrAssembler axfr(kZone, kId);
    IxfrAssembler ixfr(kZone, kId, 7, axfr);
    auto m = response(kStep);
    m.id = kId + 1;
    ixfr.feed(m, 512);
    CHECK(ixfr.verdict() == Verdict::RefusedMalformed);
  }
}

TEST_CASE("a difference not for the served version is refused", "[ixfr]") {
  auto z = served();
  auto check = [&](std::vector<std::string> step, slave::TransferLimits limits = {}) {
    std::vector<std::string> all = {soa(8), soa(7)};
    all.insert(all.end(), step.begin(), step.end());
    all.push_back(soa(8));
    Run r({all});
    REQUIRE(r.ixfr.state() == AxfrAssembler::State::Complete);
    return slave::check_ixfr(r.ixfr, *z, limits);
  };
  SECTION("deleting a record the zone does not hold") {
    auto r = check({"www 60 A 192.0.2.77", soa(8)});
    CHECK(r.verdict == Verdict::RefusedIxfrDelta);
    CHECK(r.detail.find("www.example. A 192.0.2.77") != std::string::npos);
    CHECK(r.zone == nullptr);
  }
  SECTION("deleting at a name the zone does not have") {
    CHECK(check({"nowhere 60 A 192.0.2.1", soa(8)}).verdict == Verdict::RefusedIxfrDelta);
  }
  SECTION("adding a record the zone holds") {
    CHECK(check({soa(8), "www 60 A 192.0.2.1"}).verdict == Verdict::RefusedIxfrDelta);
  }
  SECTION("deleting the same record twice") {
    CHECK(check({"www 60 A 192.0.2.1", "www 60 A 192.0.2.1", soa(8)}).verdict ==
          Verdict::RefusedIxfrDelta);
  }
  SECTION("adding an ALIAS: the master did not flatten it") {
    auto r = check({soa(8), "alias 60 ALIAS target.example.net."});
    CHECK(r.verdict == Verdict::RefusedUnflattenedAlias);
    CHECK_THAT(r.detail, Catch::Contains("alias.example."));
  }
  SECTION("a result that breaks the zone's rules") {
    CHECK(check({soa(8), "www 60 CNAME mail"}).verdict == Verdict::RefusedZoneErrors);
    CHECK(check({"@ 3600 NS ns1", soa(8)}).verdict == Verdict::RefusedZoneErrors);
  }
  SECTION("the shrink guard on the resulting zone, and its override") {
    std::vector<std::string> gone;
    for (int i = 0; i < 20; ++i)
      gone.push_back("h" + std::to_string(i) + " 60 A 10.0.0." + std::to_string(i + 1));
    gone.push_back(soa(8));
    CHECK(check(gone).verdict == Verdict::RefusedShrink);
    slave::TransferLimits forced;
    forced.force = true;
    CHECK(check(gone, forced).verdict == Verdict::Accepted);
  }
  SECTION("max-records on the resulting zone") {
    slave::TransferLimits limits;
    limits.max_records = 26;
    CHECK(check({soa(8), "new 60 A 192.0.2.1"}, limits).verdict == Verdict::RefusedTooLarge);
    CHECK(check({soa(8)}, limits).verdict == Verdict::Unchanged);
  }
}

TEST_CASE("an IXFR applies to the signed zone being served, DNSSEC records ignored", "[ixfr]") {
  auto content = served();
  dnssec::SignerOptions opt;
  opt.threads = 1;
  opt.denial.mode = GENERATE(dnssec::DenialMode::Nsec, dnssec::DenialMode::Nsec3);
  dnssec::ZoneSigner signer(
      {dnssec::generate_key(kZone, dnssec::Algorithm::ED25519, dnssec::kFlagsKsk, 1700000000)},
      opt);
  auto signed_zone = signer.sign_full(*content).zone;
  // A signed master's step carries its RRSIGs: they are not the slave's content.
  Run r({{soa(8), soa(7), "www 60 A 192.0.2.2", soa(8), "www 60 A 192.0.2.3",
          "www 60 RRSIG A 13 2 60 20300101000000 20200101000000 1 example. AAAA", soa(8)}});
  REQUIRE(r.ixfr.state() == AxfrAssembler::State::Complete);
  auto result = slave::check_ixfr(r.ixfr, *signed_zone);
  REQUIRE(result.verdict == Verdict::Accepted);
  CHECK(result.detail.find("ignored 1 DNSSEC records") != std::string::npos);
  // The served zone with the change: its content is the AXFR's, with the diff the AXFR of the
  // same version gives, and signing it gives what signing that content gives.
  auto axfr_content = content->with_changes({dns::RRset{
      dns::Name::parse("www.example."),
      dns::RRType::A,
      dns::RRClass::IN,
      60,
      {testing::rr("www 60 A 192.0.2.1").rdata, testing::rr("www 60 A 192.0.2.3").rdata}}});
  auto strip = [](const zone::Zone& z) { return z.without_types(slave::is_signer_owned); };
  CHECK(zone::diff_zones(*strip(*result.zone), *axfr_content, {.ignore_soa_serial = true}).empty());
  CHECK(result.diff.added_count() == 1);
  CHECK(result.diff.removed_count() == 1);
  CHECK(result.zone->find(kZone, dns::RRType::DNSKEY) == nullptr);
  CHECK(result.zone->block_count() == signed_zone->block_count());
  auto d = zone::diff_zones(*signed_zone, *result.zone, {.skip_type = slave::is_signer_owned});
  auto incremental = signer.sign_incremental(*signed_zone, *result.zone, d).zone;
  auto full = signer.sign_full(*strip(*result.zone)).zone;
  CHECK(dnssec::same_signed_content(*incremental, *full));
  // Records removed by the steps: the name goes from the signed result too.
  Run gone({{soa(9), soa(8), "www 60 A 192.0.2.1", "www 60 A 192.0.2.3", soa(9), soa(9)}}, 8);
  REQUIRE(gone.ixfr.state() == AxfrAssembler::State::Complete);
  auto removed = slave::check_ixfr(gone.ixfr, *incremental);
  REQUIRE(removed.verdict == Verdict::Accepted);
  auto d2 = zone::diff_zones(*incremental, *removed.zone, {.skip_type = slave::is_signer_owned});
  auto resigned = signer.sign_incremental(*incremental, *removed.zone, d2).zone;
  CHECK(resigned->find(dns::Name::parse("www.example.")) == nullptr);
  CHECK(dnssec::same_signed_content(*resigned, *signer.sign_full(*strip(*removed.zone)).zone));
}

TEST_CASE("the IXFR request carries the served SOA with the master's serial", "[ixfr]") {
  auto z = testing::build({"@ 3600 SOA ns1 hostmaster 2000 7200 3600 1209600 300", "@ 3600 NS ns1",
                           "ns1 3600 A 192.0.2.53"});
  auto req = slave::ixfr_request(*z, 7);
  CHECK(req.serial == 7);
  CHECK(dns::soa_serial(req.soa) == 7);
  auto expect = z->soa().rdatas.front().to_rdata();
  dns::set_soa_serial(expect, 7);
  CHECK(req.soa == expect);
}

TEST_CASE("the master's serial of the served content survives a restart", "[ixfr]") {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("flatsign-ixfr-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  CHECK_FALSE(slave::load_applied_serial(dir, kZone).has_value());
  slave::store_applied_serial(dir, kZone, {2024010102, 17});
  auto a = slave::load_applied_serial(dir, kZone);
  REQUIRE(a.has_value());
  CHECK(a->master == 2024010102);
  CHECK(a->served == 17);
  { std::ofstream(slave::applied_serial_path(dir, kZone)) << "garbage\n"; }
  CHECK_FALSE(slave::load_applied_serial(dir, kZone).has_value());
  std::filesystem::remove_all(dir);
}
