// The slave's transfer check: every refusal has its verdict, the served zone decides between
// accepted and unchanged, and the shrink guard can be forced.
#include <catch2/catch.hpp>

#include <functional>

#include "common/dnssec/key.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "slave/transfer_check.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using slave::AxfrAssembler;
using slave::Verdict;
using testing::rr;

namespace {

const dns::Name kZone = dns::Name::parse("example.");
constexpr uint16_t kId = 4242;

dns::Message response(std::vector<std::string> lines, bool first = true) {
  dns::Message m;
  m.id = kId;
  m.qr = true;
  m.aa = true;
  if (first) m.questions.push_back({kZone, dns::RRType::AXFR, dns::RRClass::IN});
  for (auto& l : lines) m.answer.push_back(rr(l));
  return m;
}

// Feeds `m` with its size on the wire, as the AXFR client does.
AxfrAssembler::State feed(AxfrAssembler& a, dns::Message m) {
  const size_t octets = dns::write_message(m).size() + 2;
  return a.feed(std::move(m), octets);
}

const std::string kSoa = "@ 3600 SOA ns1 hostmaster 7 7200 3600 1209600 300";

std::vector<std::string> body(int hosts) {
  std::vector<std::string> b = {"@ 3600 NS ns1", "ns1 3600 A 192.0.2.53"};
  for (int i = 0; i < hosts; ++i)
    b.push_back("h" + std::to_string(i) + " 60 A 192.0.2." + std::to_string(i + 1));
  return b;
}

// Runs a whole stream split into messages; returns the assembler.
AxfrAssembler run(const std::vector<std::vector<std::string>>& messages) {
  AxfrAssembler a(kZone, kId);
  for (size_t i = 0; i < messages.size() && a.state() == AxfrAssembler::State::NeedMore; ++i) {
    feed(a, response(messages[i], i == 0));
  }
  return a;
}

std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("a complete multi-message transfer is accepted, then unchanged", "[transfer]") {
  auto all = cat(cat({kSoa}, body(10)), {kSoa});
  auto a = run({{all.begin(), all.begin() + 5}, {all.begin() + 5, all.end()}});
  REQUIRE(a.state() == AxfrAssembler::State::Complete);
  auto first = slave::check_transfer(a, nullptr);
  CHECK(first.verdict == Verdict::Accepted);
  REQUIRE(first.zone);
  CHECK(first.zone->rr_count() == 13);

  // The same content with another serial: unchanged (the slave compares content, not serials).
  auto soa8 = "@ 3600 SOA ns1 hostmaster 8 7200 3600 1209600 300";
  auto b = run({cat(cat({soa8}, body(10)), {soa8})});
  auto second = slave::check_transfer(b, first.zone.get());
  CHECK(second.verdict == Verdict::Unchanged);

  // One address changed: accepted with a diff of one removal and one addition.
  auto changed = body(10);
  changed.back() = "h9 60 A 198.51.100.1";
  auto c = run({cat(cat({kSoa}, changed), {kSoa})});
  auto third = slave::check_transfer(c, first.zone.get());
  CHECK(third.verdict == Verdict::Accepted);
  CHECK(third.diff.added_count() == 1);
  CHECK(third.diff.removed_count() == 1);
}

TEST_CASE("every malformed stream has its verdict", "[transfer]") {
  struct Case {
    const char* name;
    std::function<AxfrAssembler()> make;
    Verdict expect;
  };
  std::vector<Case> cases = {
      {"SERVFAIL from a strict master",
       [] {
         AxfrAssembler a(kZone, kId);
         auto m = response({});
         m.rcode = 2;
         feed(a, m);
         return a;
       },
       Verdict::RefusedRcode},
      {"no records at all", [] { return run({{}}); }, Verdict::RefusedEmpty},
      {"closed after the first message",
       [] {
         auto a = run({cat({kSoa}, body(3))});
         a.end_of_stream("connection closed by peer");
         return a;
       },
       Verdict::RefusedIncomplete},
      {"does not open with the SOA", [] { return run({cat(body(1), {kSoa})}); },
       Verdict::RefusedSoaMismatch},
      {"closing SOA differs",
       [] {
         return run(
             {cat(cat({kSoa}, body(1)), {"@ 3600 SOA ns1 hostmaster 9 7200 3600 1209600 300"})});
       },
       Verdict::RefusedSoaMismatch},
      {"record outside the zone",
       [] {
         return run({cat(cat({kSoa}, body(1)), {"www.other. 60 A 192.0.2.1", kSoa})});
       },
       Verdict::RefusedOutOfZone},
      {"records after the closing SOA",
       [] {
         return run({cat(cat({kSoa}, body(1)), {kSoa, "late 60 A 192.0.2.1"})});
       },
       Verdict::RefusedMalformed},
      {"wrong query id",
       [] {
         AxfrAssembler a(kZone, kId + 1);
         feed(a, response(cat(cat({kSoa}, body(1)), {kSoa})));
         return a;
       },
       Verdict::RefusedMalformed},
      {"TC on a TCP transfer",
       [] {
         AxfrAssembler a(kZone, kId);
         auto m = response({kSoa});
         m.tc = true;
         feed(a, m);
         return a;
       },
       Verdict::RefusedMalformed},
      {"too many records",
       [] {
         AxfrAssembler a(kZone, kId, {.max_records = 5});
         feed(a, response(cat(cat({kSoa}, body(10)), {kSoa})));
         return a;
       },
       Verdict::RefusedTooLarge},
  };
  for (auto& c : cases) {
    INFO(c.name);
    auto a = c.make();
    REQUIRE(a.state() == AxfrAssembler::State::Failed);
    CHECK(a.verdict() == c.expect);
    CHECK_FALSE(a.detail().empty());
  }
}

TEST_CASE("complete but unusable zones are refused", "[transfer]") {
  auto soa_only = run({{kSoa, kSoa}});
  CHECK(slave::check_transfer(soa_only, nullptr).verdict == Verdict::RefusedEmpty);
  auto no_ns = run({{kSoa, "www 60 A 192.0.2.1", kSoa}});
  auto r = slave::check_transfer(no_ns, nullptr);
  CHECK(r.verdict == Verdict::RefusedEmpty);
  CHECK_THAT(r.detail, Catch::Contains("no NS"));
  auto cname = run({cat(cat({kSoa}, body(1)), {"www 60 CNAME x", "www 60 TXT y", kSoa})});
  auto r2 = slave::check_transfer(cname, nullptr);
  CHECK(r2.verdict == Verdict::RefusedZoneErrors);
  CHECK_THAT(r2.detail, Catch::Contains("CNAME and other data"));
}

TEST_CASE("an unflattened ALIAS is refused, naming its owner", "[transfer]") {
  const std::string alias = "www 60 ALIAS target.example.net.";
  SECTION("in a first transfer (built whole)") {
    auto a = run({cat(cat({kSoa}, body(3)), {alias, kSoa})});
    auto r = slave::check_transfer(a, nullptr);
    CHECK(r.verdict == Verdict::RefusedUnflattenedAlias);
    CHECK(slave::verdict_name(r.verdict) == "refused-unflattened-alias");
    CHECK_THAT(r.detail, Catch::Contains("www.example.") && Catch::Contains("target.example.net."));
    CHECK(r.zone == nullptr);
  }
  SECTION("in a changed transfer patched onto the served zone") {
    auto first = run({cat(cat({kSoa}, body(3)), {kSoa})});
    auto served = slave::check_transfer(first, nullptr).zone;
    REQUIRE(served);
    // h1 A becomes an ALIAS, in served order.
    auto lines = cat({kSoa}, body(3));
    lines[4] = "h1 60 ALIAS target.example.net.";
    auto a = run({cat(lines, {kSoa})});
    auto r = slave::check_transfer(a, served.get());
    CHECK(r.verdict == Verdict::RefusedUnflattenedAlias);
    CHECK_THAT(r.detail, Catch::Contains("h1.example."));
  }
}

TEST_CASE("the shrink guard refuses mass deletions unless forced", "[transfer]") {
  auto big = run({cat(cat({kSoa}, body(20)), {kSoa})});
  auto served = slave::check_transfer(big, nullptr).zone;
  REQUIRE(served);
  auto small = cat(cat({kSoa}, body(2)), {kSoa});
  auto a = run({small});
  auto r = slave::check_transfer(a, served.get());
  CHECK(r.verdict == Verdict::RefusedShrink);
  CHECK_THAT(r.detail, Catch::Contains("18 of 23 RRsets"));
  auto b = run({small});
  CHECK(slave::check_transfer(b, served.get(), {.force = true}).verdict == Verdict::Accepted);
  // Losing a few RRsets is a normal change.
  auto c = run({cat(cat({kSoa}, body(15)), {kSoa})});
  CHECK(slave::check_transfer(c, served.get()).verdict == Verdict::Accepted);
}

TEST_CASE("verdict names are stable", "[transfer]") {
  CHECK(slave::verdict_name(Verdict::RefusedShrink) == "refused-shrink");
  CHECK(slave::verdict_name(Verdict::Unchanged) == "unchanged");
  CHECK(slave::is_refusal(Verdict::RefusedRcode));
  CHECK_FALSE(slave::is_refusal(Verdict::Unchanged));
}

TEST_CASE("DNSSEC records from the master are dropped: the slave signs", "[transfer]") {
  auto a = run({cat(
      cat({kSoa}, body(2)),
      {"@ 3600 DNSKEY 257 3 13 AAAA", "@ 3600 CDS 1 13 2 AABB",
       "@ 3600 RRSIG SOA 13 1 3600 20300101000000 20200101000000 1 example. AA==",
       "h0 60 NSEC h1.example. A RRSIG NSEC", "sub 60 NS ns.sub", "sub 60 DS 1 13 2 AABB", kSoa})});
  auto r = slave::check_transfer(a, nullptr);
  REQUIRE(r.verdict == Verdict::Accepted);
  CHECK_THAT(r.detail, Catch::Contains("ignored 4 DNSSEC records"));
  CHECK(r.zone->find(kZone, dns::RRType::DNSKEY) == nullptr);
  CHECK(r.zone->find(kZone, dns::RRType::RRSIG) == nullptr);
  CHECK(r.zone->find(dns::Name::parse("sub.example."), dns::RRType::DS) != nullptr);  // child data
  CHECK(slave::is_signer_owned(dns::RRType::NSEC3PARAM));
  CHECK_FALSE(slave::is_signer_owned(dns::RRType::DS));
}

TEST_CASE("a transfer listing the served records in their order is unchanged without a build",
          "[transfer]") {
  auto a = run({cat(cat({kSoa}, body(10)), {kSoa})});
  auto first = slave::check_transfer(a, nullptr);
  REQUIRE(first.verdict == Verdict::Accepted);
  CHECK(first.serial == 7);
  const zone::Zone& served = *first.zone;

  // The served zone's own records, as flatsign-master sends them (canonical order), under a new
  // master serial and with a signed master's RRSIG mixed in.
  auto canonical = [&](std::function<void(std::vector<dns::Rr>&)> edit) {
    std::vector<dns::Rr> rrs = served.records();
    dns::set_soa_serial(rrs.front().rdata, 9);
    edit(rrs);
    dns::Message m = response({});
    m.answer = rrs;
    m.answer.push_back(rrs.front());  // closing SOA
    AxfrAssembler s(kZone, kId);
    feed(s, std::move(m));
    REQUIRE(s.state() == AxfrAssembler::State::Complete);
    return slave::check_transfer(s, &served);
  };
  auto same = canonical([](auto& rrs) {
    rrs.insert(rrs.begin() + 2, rr("@ 3600 RRSIG NS 13 1 3600 20300101000000 20200101000000 "
                                   "1234 example. AAAA"));
  });
  CHECK(same.verdict == Verdict::Unchanged);
  CHECK(same.zone == nullptr);  // decided by the ordered comparison, nothing was built
  CHECK(same.serial == 9);

  // The same content in another order: still unchanged, found by building and diffing.
  auto b = run({cat(cat({kSoa}, body(10)), {kSoa})});
  auto reordered = slave::check_transfer(b, &served);
  CHECK(reordered.verdict == Verdict::Unchanged);
  CHECK(reordered.zone != nullptr);

  // A duplicate record is not a change (an RRset is a set) but needs the full check.
  auto dup = canonical([](auto& rrs) { rrs.push_back(rrs.back()); });
  CHECK(dup.verdict == Verdict::Unchanged);
  CHECK(dup.zone != nullptr);

  // A TTL, an address or a SOA field other than the serial: accepted with the change.
  auto ttl = canonical([](auto& rrs) { rrs.back().ttl += 1; });
  CHECK(ttl.verdict == Verdict::Accepted);
  auto addr = canonical([](auto& rrs) { rrs.back().rdata.back() ^= 1; });
  CHECK(addr.verdict == Verdict::Accepted);
  CHECK(addr.diff.added_count() == 1);
  auto minimum = canonical([](auto& rrs) { rrs.front().rdata.back() ^= 1; });
  CHECK(minimum.verdict == Verdict::Accepted);
  auto fewer = canonical([](auto& rrs) { rrs.pop_back(); });
  CHECK(fewer.verdict == Verdict::Accepted);
  CHECK(fewer.diff.removed_count() == 1);
}

TEST_CASE("a changed transfer in served order patches the served zone", "[transfer]") {
  // Over several blocks of nodes, so that untouched ones are seen shared with the served zone.
  auto stream = [](const std::vector<dns::Rr>& rrs) {
    dns::Message m = response({});
    m.answer = rrs;
    m.answer.push_back(rrs.front());
    AxfrAssembler s(kZone, kId);
    feed(s, std::move(m));
    REQUIRE(s.state() == AxfrAssembler::State::Complete);
    return s;
  };
  std::vector<std::string> hosts = body(0);
  for (int i = 0; i < 600; ++i)
    hosts.push_back("h" + std::to_string(i) + " 60 A 10.0." + std::to_string(i / 200) + "." +
                    std::to_string(i % 200 + 1));
  auto a = run({cat(cat({kSoa}, hosts), {kSoa})});
  auto first = slave::check_transfer(a, nullptr);
  REQUIRE(first.verdict == Verdict::Accepted);
  const zone::Zone& served = *first.zone;
  REQUIRE(served.block_count() > 2);

  // `edit` applied to the served records in their order (a new master serial), checked against
  // the served zone and, for comparison, built whole as a first transfer.
  auto check = [&](std::function<void(std::vector<dns::Rr>&)> edit, bool patched = true) {
    std::vector<dns::Rr> rrs = served.records();
    dns::set_soa_serial(rrs.front().rdata, 9);
    edit(rrs);
    auto s = stream(rrs);
    auto r = slave::check_transfer(s, &served);
    auto w = stream(rrs);
    auto whole = slave::check_transfer(w, nullptr);
    if (r.verdict == Verdict::Accepted) {
      REQUIRE(whole.zone);
      CHECK(zone::diff_zones(*r.zone, *whole.zone).empty());
      CHECK(r.zone->serial() == 9);
      for (size_t i = 0; i < r.zone->nodes().size(); ++i) {
        CHECK(r.zone->nodes()[i].delegation == whole.zone->nodes()[i].delegation);
        CHECK(r.zone->nodes()[i].occluded == whole.zone->nodes()[i].occluded);
      }
      // Built from the served zone: the untouched last node is the served one itself.
      CHECK((&r.zone->nodes().back() == &served.nodes().back()) == patched);
    }
    return r;
  };
  auto find = [](std::vector<dns::Rr>& rrs, const std::string& owner) {
    const auto name = dns::Name::parse(owner, &kZone);
    return std::find_if(rrs.begin(), rrs.end(), [&](const dns::Rr& r) { return r.owner == name; });
  };

  SECTION("a changed RRset") {
    auto r = check([&](auto& rrs) { find(rrs, "h42")->rdata.back() ^= 1; });
    CHECK(r.verdict == Verdict::Accepted);
    CHECK(r.diff.added_count() == 1);
    CHECK(r.diff.removed_count() == 1);
  }
  SECTION("an added name, and DNSSEC records from the master dropped") {
    auto r = check([&](auto& rrs) {
      auto at = find(rrs, "h42");
      at = rrs.insert(at + 1, rr("h42-x 60 A 192.0.2.200"));  // before h420 (canonical)
      rrs.insert(at + 1,
                 rr("h42-x 60 RRSIG A 13 2 60 20300101000000 20200101000000 1 example. AA=="));
    });
    CHECK(r.verdict == Verdict::Accepted);
    CHECK(r.diff.added_count() == 1);
    CHECK(r.diff.removed_count() == 0);
    CHECK_THAT(r.detail, Catch::Contains("ignored 1 DNSSEC records"));
  }
  SECTION("a removed name") {
    auto r = check([&](auto& rrs) { rrs.erase(find(rrs, "h42")); });
    CHECK(r.verdict == Verdict::Accepted);
    CHECK(r.diff.added_count() == 0);
    CHECK(r.diff.removed_count() == 1);
  }
  SECTION("a new delegation occludes the names below it") {
    auto r = check([&](auto& rrs) {
      auto at = find(rrs, "h42");
      at = rrs.insert(at + 1, rr("h42 60 NS ns.h42"));  // after A (type 1)
      rrs.insert(at + 1, rr("ns.h42 60 A 192.0.2.9"));  // right below h42
    });
    CHECK(r.verdict == Verdict::Accepted);
    CHECK(r.zone->find(dns::Name::parse("h42.example."))->delegation);
    CHECK(r.zone->find(dns::Name::parse("ns.h42.example."))->occluded);
  }
  SECTION("a CNAME beside other data is refused, named as by the full build") {
    auto r = check([&](auto& rrs) {
      auto at = find(rrs, "h42");
      rrs.insert(at + 1, rr("h42 60 CNAME elsewhere.example."));
    });
    CHECK(r.verdict == Verdict::RefusedZoneErrors);
    CHECK_THAT(r.detail, Catch::Contains("CNAME and other data"));
  }
  SECTION("the same change out of order is built whole, same result") {
    auto r = check(
        [&](auto& rrs) {
          find(rrs, "h42")->rdata.back() ^= 1;
          std::swap(*find(rrs, "h100"), *find(rrs, "h200"));
        },
        false);
    CHECK(r.verdict == Verdict::Accepted);
  }
  SECTION("a mass deletion in served order still meets the shrink guard") {
    auto r = check([&](auto& rrs) { rrs.resize(rrs.size() / 4); });
    CHECK(r.verdict == Verdict::RefusedShrink);
  }
}

TEST_CASE("a transfer is compared with the content of the signed zone being served", "[transfer]") {
  // The slave keeps no unsigned copy: check_transfer reads the signed zone, skipping what the
  // signer added (RRSIG, NSEC or NSEC3 and their names, DNSKEY, NSEC3PARAM, CDS, CDNSKEY).
  auto mode = GENERATE(dnssec::DenialMode::Nsec, dnssec::DenialMode::Nsec3);
  std::vector<std::string> hosts = body(0);
  hosts.push_back("sub 60 NS ns.sub");
  hosts.push_back("sub 60 DS 1 13 2 AABB");
  hosts.push_back("ns.sub 60 A 192.0.2.7");
  for (int i = 0; i < 300; ++i)
    hosts.push_back("h" + std::to_string(i) + " 60 A 10.0." + std::to_string(i / 200) + "." +
                    std::to_string(i % 200 + 1));
  auto a = run({cat(cat({kSoa}, hosts), {kSoa})});
  auto first = slave::check_transfer(a, nullptr);
  REQUIRE(first.verdict == Verdict::Accepted);
  const zone::Zone& content = *first.zone;
  dnssec::SignerOptions opt;
  opt.denial.mode = mode;
  opt.threads = 1;
  dnssec::ZoneSigner signer(
      {dnssec::generate_key(kZone, dnssec::Algorithm::ED25519, dnssec::kFlagsKsk, 1700000000)},
      opt);
  auto signed_zone = signer.sign_full(content).zone;
  REQUIRE(signed_zone->rrset_count() > 2 * content.rrset_count());

  // Zone::without_types and the diff's skip_type both give back the content.
  auto stripped = signed_zone->without_types(slave::is_signer_owned);
  CHECK(zone::diff_zones(content, *stripped).empty());
  CHECK(stripped->rrset_count() == content.rrset_count());
  CHECK(stripped->rr_count() == content.rr_count());
  CHECK(stripped->nodes().size() == content.nodes().size());
  for (size_t i = 0; i < content.nodes().size(); ++i) {
    CHECK(stripped->nodes()[i].name == content.nodes()[i].name);
    CHECK(stripped->nodes()[i].delegation == content.nodes()[i].delegation);
    CHECK(stripped->nodes()[i].occluded == content.nodes()[i].occluded);
  }
  CHECK(zone::diff_zones(*signed_zone, content, {.skip_type = slave::is_signer_owned}).empty());
  CHECK(zone::diff_zones(content, *signed_zone, {.skip_type = slave::is_signer_owned}).empty());

  auto stream = [](const std::vector<dns::Rr>& rrs) {
    dns::Message m = response({});
    m.answer = rrs;
    m.answer.push_back(rrs.front());
    AxfrAssembler s(kZone, kId);
    feed(s, std::move(m));
    REQUIRE(s.state() == AxfrAssembler::State::Complete);
    return s;
  };
  // Each transfer checked against the signed zone and against its content: the same verdict,
  // zone and diff.
  auto check = [&](std::function<void(std::vector<dns::Rr>&)> edit) {
    std::vector<dns::Rr> rrs = content.records();
    dns::set_soa_serial(rrs.front().rdata, 9);
    edit(rrs);
    auto s1 = stream(rrs);
    auto r = slave::check_transfer(s1, signed_zone.get());
    auto s2 = stream(rrs);
    auto expected = slave::check_transfer(s2, &content);
    CHECK(r.verdict == expected.verdict);
    CHECK(r.diff.summary() == expected.diff.summary());
    CHECK((r.zone == nullptr) == (expected.zone == nullptr));
    if (r.zone && expected.zone) {
      CHECK(zone::diff_zones(*r.zone, *expected.zone).empty());
      CHECK(r.zone->rrset_count() == expected.zone->rrset_count());
      CHECK(r.zone->find(kZone, dns::RRType::RRSIG) == nullptr);
      CHECK(r.zone->find(kZone, dns::RRType::DNSKEY) == nullptr);
    }
    return r;
  };
  auto find = [](std::vector<dns::Rr>& rrs, const std::string& owner) {
    const auto name = dns::Name::parse(owner, &kZone);
    return std::find_if(rrs.begin(), rrs.end(), [&](const dns::Rr& r) { return r.owner == name; });
  };

  auto same = check([](auto&) {});
  CHECK(same.verdict == Verdict::Unchanged);
  CHECK(same.zone == nullptr);  // the ordered comparison, on the signed zone
  auto reordered = check([](auto& rrs) { std::swap(rrs[3], rrs[4]); });
  CHECK(reordered.verdict == Verdict::Unchanged);
  auto changed = check([&](auto& rrs) { find(rrs, "h42")->rdata.back() ^= 1; });
  CHECK(changed.verdict == Verdict::Accepted);
  CHECK(changed.diff.added_count() == 1);
  CHECK(changed.diff.removed_count() == 1);
  auto removed = check([&](auto& rrs) { rrs.erase(find(rrs, "h42")); });
  CHECK(removed.verdict == Verdict::Accepted);
  CHECK(removed.diff.removed_count() == 1);
  auto rebuilt = check([&](auto& rrs) {
    rrs.erase(find(rrs, "h42"));
    rrs.push_back(rr("h42 60 A 192.0.2.99"));  // out of order: built whole
  });
  CHECK(rebuilt.verdict == Verdict::Accepted);
  // The shrink guard counts the content's RRsets, not the signatures.
  auto shrink = check([&](auto& rrs) { rrs.resize(rrs.size() / 3); });
  CHECK(shrink.verdict == Verdict::RefusedShrink);
}

namespace {

// A name of about 220 octets below the zone whose labels all start with `tag` (two such names
// share no label but the zone's).
dns::Name long_name(const std::string& tag) {
  std::string text = tag;
  while (text.size() < 200) text += "." + tag + "-label-of-twenty";
  return dns::Name::parse(text, &kZone);
}

// A message of `n` A records on `owners` in turn, as a master compresses it, with its size.
std::pair<dns::Message, size_t> a_records(const std::vector<dns::Name>& owners, size_t n,
                                          bool first, size_t start = 0) {
  dns::Message m =
      response(first ? std::vector<std::string>{kSoa} : std::vector<std::string>{}, first);
  for (size_t i = 0; i < n; ++i)
    m.answer.push_back(
        {owners[i % owners.size()],
         dns::RRType::A,
         dns::RRClass::IN,
         60,
         {10, uint8_t((start + i) >> 16), uint8_t((start + i) >> 8), uint8_t(start + i)}});
  const size_t octets = dns::write_message(m).size() + 2;
  return {std::move(m), octets};
}

}  // namespace

TEST_CASE("transfer caps: messages and octets", "[transfer]") {
  SECTION("messages") {
    AxfrAssembler a(kZone, kId, {.max_messages = 3});
    feed(a, response({kSoa}));
    for (int i = 0; i < 3 && a.state() == AxfrAssembler::State::NeedMore; ++i)
      feed(a, response({}, false));
    CHECK(a.state() == AxfrAssembler::State::Failed);
    CHECK(a.verdict() == Verdict::RefusedTooLarge);
    CHECK(a.detail().find("more than 3 messages") != std::string::npos);
  }
  SECTION("octets") {
    AxfrAssembler a(kZone, kId, {.max_octets = 1000});
    feed(a, response({kSoa}));
    for (int i = 0; i < 100 && a.state() == AxfrAssembler::State::NeedMore; ++i)
      feed(a, response(body(3), false));
    CHECK(a.verdict() == Verdict::RefusedTooLarge);
    CHECK(a.detail().find("more than 1000 octets") != std::string::npos);
    CHECK(a.wire_octets() > 1000);
    CHECK(a.wire_octets() < 1200);
  }
  SECTION("within the caps") {
    AxfrAssembler a(kZone, kId, {.max_messages = 3, .max_octets = 2000});
    feed(a, response({kSoa}));
    feed(a, response(body(3), false));
    feed(a, response({kSoa}, false));
    CHECK(a.state() == AxfrAssembler::State::Complete);
  }
}

TEST_CASE("a compression bomb is refused before it fills memory", "[transfer]") {
  // Two long owners in turn: each record is 16 octets on the wire (its owner a pointer) but
  // would hold a 220-octet name; refused once the records take 3x their wire octets (+1 MiB).
  const std::vector<dns::Name> owners = {long_name("a"), long_name("b")};
  AxfrAssembler a(kZone, kId);
  size_t wire = 0;
  for (int i = 0; i < 100 && a.state() == AxfrAssembler::State::NeedMore; ++i) {
    auto [m, octets] = a_records(owners, 3000, i == 0);
    CHECK(octets < 3000 * 17 + 512);
    wire += octets;
    a.feed(std::move(m), octets);
  }
  REQUIRE(a.state() == AxfrAssembler::State::Failed);
  CHECK(a.verdict() == Verdict::RefusedTooLarge);
  CHECK(a.detail().find("names expanded from compression pointers") != std::string::npos);
  CHECK(a.records().memory() <= slave::kIntakeExpansion * wire + slave::kIntakeSlack + 65536);
  CHECK(wire < 2 * 1024 * 1024);  // refused within the first few messages

  // One long owner for every record: the owner is shared, but an RRset grows past any message.
  AxfrAssembler one(kZone, kId);
  for (int i = 0; i < 10 && one.state() == AxfrAssembler::State::NeedMore; ++i) {
    auto [m, octets] = a_records({owners[0]}, 3000, i == 0);
    one.feed(std::move(m), octets);
  }
  REQUIRE(one.state() == AxfrAssembler::State::Failed);
  CHECK(one.verdict() == Verdict::RefusedTooLarge);
  CHECK(one.detail().find("fits in no DNS message") != std::string::npos);
  CHECK(one.records().size() < 6000);
}

TEST_CASE("a large honest transfer is within the memory bound", "[transfer]") {
  // 30,000 hosts under a deep name, each with an A and a TXT record, as a master packs them.
  const dns::Name base = dns::Name::parse("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", &kZone);
  AxfrAssembler a(kZone, kId);
  dns::Message m = response({kSoa, "@ 3600 NS ns1", "ns1 3600 A 192.0.2.53"});
  auto flush = [&] {
    const size_t octets = dns::write_message(m).size() + 2;
    a.feed(std::move(m), octets);
    m = response({}, false);
  };
  for (int i = 0; i < 30000; ++i) {
    const dns::Name owner = base.prepend("host" + std::to_string(i));
    m.answer.push_back({owner,
                        dns::RRType::A,
                        dns::RRClass::IN,
                        60,
                        {10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)}});
    m.answer.push_back({owner, dns::RRType::TXT, dns::RRClass::IN, 60, {2, 'o', 'k'}});
    if (m.answer.size() >= 2000) flush();
  }
  m.answer.push_back(rr(kSoa));
  flush();
  REQUIRE(a.state() == AxfrAssembler::State::Complete);
  CHECK(a.records().memory() < 2 * a.wire_octets());
  auto result = slave::check_transfer(a, nullptr);
  CHECK(result.verdict == Verdict::Accepted);
  CHECK(result.zone->rr_count() == 60003);
}

TEST_CASE("an RRset larger than a message is refused however its records are spread",
          "[transfer]") {
  // Two owners in turn, sharing their labels: the records pass the intake bounds (runs of one,
  // little memory), but each owner's A RRset gathers 6,000 records (96,000 octets).
  const std::vector<dns::Name> owners = {dns::Name::parse("x1", &kZone),
                                         dns::Name::parse("x2", &kZone)};
  auto stream = [&] {
    AxfrAssembler a(kZone, kId);
    auto [m, octets] = a_records(owners, 3000, true);
    for (const auto& r : {rr("@ 3600 NS ns1"), rr("ns1 3600 A 192.0.2.53")})
      m.answer.insert(m.answer.begin() + 1, r);
    a.feed(std::move(m), octets);
    for (int i = 0; i < 3; ++i) {
      auto [more, n] = a_records(owners, 3000, false, 3000 * (i + 1));
      a.feed(std::move(more), n);
    }
    feed(a, response({kSoa}, false));
    REQUIRE(a.state() == AxfrAssembler::State::Complete);
    return a;
  };
  auto first = stream();
  auto refused = slave::check_transfer(first, nullptr);
  CHECK(refused.verdict == Verdict::RefusedTooLarge);
  CHECK(refused.detail.find("fits in no DNS message") != std::string::npos);
  auto small = run({cat(cat({kSoa}, body(3)), {kSoa})});
  auto served = slave::check_transfer(small, nullptr);
  REQUIRE(served.zone);
  auto again = stream();
  CHECK(slave::check_transfer(again, served.zone.get()).verdict == Verdict::RefusedTooLarge);
}
