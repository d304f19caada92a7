// IXFR journal and IXFR out: the step between two zones (TTL changes re-added whole), condensing,
// the framed file (round trip, torn tail, chain check, limits) and the responder's IXFR forms
// (incremental, up to date, AXFR form, UDP, FORMERR) per RFC 1995.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "common/dns/message.hpp"
#include "common/dns/rdata.hpp"
#include "common/server/responder.hpp"
#include "common/xfr/ixfr.hpp"
#include "common/xfr/journal.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::Name;
using dns::RRType;
namespace fs = std::filesystem;

namespace {

std::string soa(int serial) {
  return "@ 3600 SOA ns1 host " + std::to_string(serial) + " 7200 3600 1209600 300";
}

// Version `serial` of a small zone: www changes address each version, v<n> appears at n.
std::shared_ptr<const zone::Zone> version(int serial, std::vector<std::string> more = {}) {
  std::vector<std::string> lines = {soa(serial), "@ 3600 NS ns1", "ns1 3600 A 192.0.2.53",
                                    "www 300 A 192.0.2." + std::to_string(serial)};
  for (int i = 2; i <= serial; ++i) lines.push_back("v" + std::to_string(i) + " 300 TXT x");
  lines.insert(lines.end(), more.begin(), more.end());
  return testing::build(lines);
}

bool has(const std::vector<dns::Rr>& rrs, const std::string& line) {
  auto want = testing::rr(line);
  return std::any_of(rrs.begin(), rrs.end(), [&](const dns::Rr& r) {
    return r.owner == want.owner && r.type == want.type && r.rdata == want.rdata &&
           r.ttl == want.ttl;
  });
}

using TempDir = flatsign::testing::TempDir;

std::vector<uint8_t> ixfr_query(int serial, bool with_soa = true) {
  dns::Message m;
  m.id = 77;
  m.questions.push_back({Name::parse("example."), RRType::IXFR, dns::RRClass::IN});
  if (with_soa) m.authority.push_back(testing::rr(soa(serial)));
  return dns::write_message(m);
}

// The answer RRs of all messages, in order.
std::vector<dns::Rr> answers(const net::Responses& out) {
  std::vector<dns::Rr> rrs;
  for (const auto& w : out) {
    auto m = dns::parse_message(w);
    CHECK(m.id == 77);
    rrs.insert(rrs.end(), m.answer.begin(), m.answer.end());
  }
  return rrs;
}

// The journal step between two versions, with no size limit.
xfr::JournalEntry step(const zone::Zone& from, const zone::Zone& to) {
  return xfr::make_journal_entry(from, to).value();
}

uint32_t serial_of(const dns::Rr& r) {
  return dns::soa_serial(r.rdata);
}

}  // namespace

TEST_CASE("journal: a step holds the changed RRs, a TTL change re-adds the RRset", "[journal]") {
  auto a = version(1, {"mail 300 A 192.0.2.25"});
  auto b = version(2, {"mail 600 A 192.0.2.25"});
  auto e = step(*a, *b);
  CHECK(e.from() == 1);
  CHECK(e.to() == 2);
  CHECK(has(e.removed, "www 300 A 192.0.2.1"));
  CHECK(has(e.added, "www 300 A 192.0.2.2"));
  CHECK(has(e.added, "v2 300 TXT x"));
  CHECK(has(e.removed, "mail 300 A 192.0.2.25"));  // TTL only: out with the old TTL,
  CHECK(has(e.added, "mail 600 A 192.0.2.25"));    // in with the new one
  for (const auto& r : e.removed) CHECK(r.type != RRType::SOA);
  for (const auto& r : e.added) CHECK(r.type != RRType::SOA);
  CHECK(e.rr_count() == e.removed.size() + e.added.size() + 2);
}

TEST_CASE("journal: condensing cancels RRs added then removed", "[journal]") {
  auto v1 = version(1), v2 = version(2, {"tmp 300 A 192.0.2.99"}), v3 = version(3);
  xfr::Journal j;
  j.entries.push_back(std::make_shared<const xfr::JournalEntry>(step(*v1, *v2)));
  j.entries.push_back(std::make_shared<const xfr::JournalEntry>(step(*v2, *v3)));
  auto c = j.condensed_since(1);
  REQUIRE(c);
  CHECK(c->from() == 1);
  CHECK(c->to() == 3);
  CHECK_FALSE(has(c->added, "tmp 300 A 192.0.2.99"));
  CHECK_FALSE(has(c->removed, "tmp 300 A 192.0.2.99"));
  CHECK_FALSE(has(c->added, "www 300 A 192.0.2.2"));  // the middle address never shows
  CHECK(has(c->removed, "www 300 A 192.0.2.1"));
  CHECK(has(c->added, "www 300 A 192.0.2.3"));
  CHECK(c->added.size() == 3);  // www, v2, v3
  CHECK(j.condensed_since(2)->to() == 3);
  CHECK_FALSE(j.condensed_since(3));  // current: nothing to send
  CHECK_FALSE(j.condensed_since(7));  // unknown
}

TEST_CASE("journal: records round-trip; a torn or corrupt record is rejected", "[journal]") {
  auto e = step(*version(1), *version(2));
  auto rec = xfr::encode_journal_record(e);
  size_t off = 0;
  auto back = xfr::decode_journal_record(rec, off);
  REQUIRE(back);
  CHECK(off == rec.size());
  CHECK(back->from() == 1);
  CHECK(back->to() == 2);
  CHECK(back->added.size() == e.added.size());
  CHECK(back->removed.size() == e.removed.size());
  for (size_t cut : {size_t{3}, size_t{12}, rec.size() - 1}) {
    std::vector<uint8_t> torn(rec.begin(), rec.begin() + static_cast<long>(cut));
    size_t o = 0;
    CHECK_FALSE(xfr::decode_journal_record(torn, o));
    CHECK(o == 0);
  }
  auto flipped = rec;
  flipped[rec.size() / 2] ^= 0x40;
  size_t o = 0;
  CHECK_FALSE(xfr::decode_journal_record(flipped, o));
}

TEST_CASE("journal file: append, reload, torn tail, chain check, limits", "[journal]") {
  TempDir dir("journal");
  const std::string path = dir.str() + "/example.journal";
  std::vector<std::shared_ptr<const zone::Zone>> v;
  for (int i = 1; i <= 6; ++i) v.push_back(version(i));
  {
    xfr::JournalFile f(path, {});
    CHECK(f.load(1)->empty());
    for (int i = 0; i < 3; ++i) f.append(step(*v[i], *v[i + 1]));
    CHECK(f.current()->entries.size() == 3);
    CHECK(f.current()->first_serial() == 1u);
    CHECK(f.current()->last_serial() == 4u);
  }
  {
    xfr::JournalFile f(path, {});
    auto j = f.load(4);
    CHECK(j->entries.size() == 3);
    CHECK(j->condensed_since(1)->to() == 4);
  }
  {  // a torn record at the tail (a crash mid-append) is dropped, the rest kept
    std::ofstream out(path, std::ios::app | std::ios::binary);
    auto rec = xfr::encode_journal_record(step(*v[3], *v[4]));
    out.write(reinterpret_cast<const char*>(rec.data()), static_cast<long>(rec.size() / 2));
  }
  {
    xfr::JournalFile f(path, {});
    CHECK(f.load(4)->entries.size() == 3);
    f.append(step(*v[3], *v[4]));  // lands after the repaired tail
  }
  {
    xfr::JournalFile f(path, {});
    CHECK(f.load(5)->entries.size() == 4);
  }
  {  // a journal that does not end at the served serial is never used
    xfr::JournalFile f(path, {});
    CHECK(f.load(6)->empty());
    CHECK(fs::file_size(path) == 0);
  }
  {  // a step that does not chain starts over; limits keep the newest steps
    xfr::JournalFile f(path, {.max_versions = 2});
    (void)f.load(std::nullopt);
    f.append(step(*v[0], *v[1]));
    auto j = f.append(step(*v[2], *v[3]));
    CHECK(j->entries.size() == 1);
    CHECK(j->first_serial() == 3u);
    f.append(step(*v[3], *v[4]));
    j = f.append(step(*v[4], *v[5]));
    CHECK(j->entries.size() == 2);
    CHECK(j->first_serial() == 4u);
    CHECK(j->last_serial() == 6u);
    xfr::JournalFile again(path, {.max_versions = 2});
    CHECK(again.load(6)->entries.size() == 2);
  }
}

TEST_CASE("journal file: a step over max_bytes is not kept and empties the journal", "[journal]") {
  TempDir dir("journal");
  const std::string path = dir.str() + "/example.journal";
  std::vector<std::string> many;
  for (int i = 0; i < 200; ++i) many.push_back("m" + std::to_string(i) + " 300 TXT big");
  auto v1 = version(1), v2 = version(2), v3 = version(3, many), v4 = version(4, many);
  const auto small = step(*v1, *v2);
  const auto large = step(*v2, *v3);
  REQUIRE(large.wire_size() > 4 * small.wire_size());
  // Not built when it cannot fit, found before it is copied whole.
  CHECK_FALSE(xfr::make_journal_entry(*v2, *v3, 2 * small.wire_size()));
  CHECK(xfr::make_journal_entry(*v2, *v3, large.wire_size()));
  xfr::JournalFile f(path, {.max_bytes = 2 * small.wire_size()});
  (void)f.load(std::nullopt);
  CHECK(f.append(small)->entries.size() == 1);
  REQUIRE(fs::file_size(path) > 0);
  CHECK(f.append(large)->empty());
  CHECK(fs::file_size(path) == 0);
  auto j = f.append(step(*v3, *v4));  // starts over at the large step's end
  CHECK(j->entries.size() == 1);
  CHECK(j->first_serial() == 3u);
  xfr::JournalFile again(path, {.max_bytes = 2 * small.wire_size()});
  CHECK(again.load(4)->entries.size() == 1);
}

TEST_CASE("ixfr: incremental, up to date, AXFR form, UDP and FORMERR", "[journal][server]") {
  auto v1 = version(1), v2 = version(2), v3 = version(3);
  auto j = std::make_shared<xfr::Journal>();
  j->entries.push_back(std::make_shared<const xfr::JournalEntry>(step(*v1, *v2)));
  j->entries.push_back(std::make_shared<const xfr::JournalEntry>(step(*v2, *v3)));
  // A bigger zone than the difference, so the difference is worth sending.
  std::vector<std::string> filler;
  for (int i = 0; i < 40; ++i) filler.push_back("f" + std::to_string(i) + " 300 TXT x");
  auto big = version(3, filler);
  auto j3 = std::make_shared<xfr::Journal>(*j);  // ends at 3 like `big`
  struct Dir : server::ZoneDirectory {
    std::shared_ptr<const server::ServedZone> served;
    std::shared_ptr<const server::ServedZone> find(const Name&) const override { return served; }
  } dir;
  auto served = std::make_shared<server::ServedZone>();
  served->origin = Name::parse("example.");
  served->zone = big;
  served->axfr = xfr::pack_axfr(*big, 0);
  served->journal = j3;
  dir.served = served;
  server::ResponderPolicy policy;
  auto run = [&](const std::vector<uint8_t>& wire, bool tcp) {
    net::Responses out;
    net::Request req{wire, {boost::asio::ip::make_address("127.0.0.1"), 5353}, tcp};
    std::string why;
    auto o = server::respond(dir, policy, req, out, &why);
    return std::tuple{o, answers(out), why};
  };

  auto [o1, rrs, why] = run(ixfr_query(1), true);
  CHECK(o1 == server::Outcome::Transferred);
  CHECK(why == "IXFR from serial 1 to 3: incremental");
  REQUIRE(rrs.size() >= 4);
  // RFC 1995 §4: current SOA, old SOA, deletions, current SOA, additions, current SOA.
  CHECK(serial_of(rrs.front()) == 3);
  CHECK(serial_of(rrs[1]) == 1);
  CHECK(has(rrs, "www 300 A 192.0.2.1"));
  CHECK(has(rrs, "www 300 A 192.0.2.3"));
  CHECK(rrs.back().type == RRType::SOA);
  CHECK(std::count_if(rrs.begin(), rrs.end(), [](auto& r) { return r.type == RRType::SOA; }) == 4);
  CHECK(rrs.size() < big->rr_count());

  auto [o2, up, w2] = run(ixfr_query(3), true);
  CHECK(o2 == server::Outcome::Answered);
  REQUIRE(up.size() == 1);
  CHECK(serial_of(up[0]) == 3);

  auto [o3, full, w3] = run(ixfr_query(0), true);  // not in the journal
  CHECK(o3 == server::Outcome::Transferred);
  CHECK(full.size() == big->rr_count() + 1);
  CHECK(full[1].type != RRType::SOA);

  auto [o4, udp, w4] = run(ixfr_query(2), false);  // fits one 512-octet datagram
  CHECK(o4 == server::Outcome::Transferred);
  CHECK(serial_of(udp[1]) == 2);

  CHECK(std::get<0>(run(ixfr_query(1, false), true)) == server::Outcome::FormErr);

  // A journal that does not end at the served serial (swapped at another moment): AXFR form.
  auto stale = std::make_shared<server::ServedZone>(*served);
  auto j2 = std::make_shared<xfr::Journal>();
  j2->entries.push_back(j->entries.front());
  stale->journal = j2;
  dir.served = stale;
  auto [o5, f5, w5] = run(ixfr_query(1), true);
  CHECK(f5.size() == big->rr_count() + 1);
}
