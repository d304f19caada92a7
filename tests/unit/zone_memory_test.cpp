// The memory savings keep behaviour: a lazy AXFR image answers byte for byte like an eagerly
// packed one, compacted RDATA keeps its bytes, with_serial shares all but the apex block, and
// Name copies share one buffer.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "common/dns/rdata.hpp"
#include "common/xfr/axfr_image.hpp"
#include "common/zone/zone_builder.hpp"
#include "slave/state.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using dns::RRType;

namespace {
std::shared_ptr<const zone::Zone> big_zone(size_t names) {
  std::vector<std::string> lines{"@ 3600 SOA ns1 host 7 7200 3600 1209600 300", "@ 3600 NS ns1",
                                 "ns1 3600 A 192.0.2.53"};
  for (size_t i = 0; i < names; ++i) {
    lines.push_back("h" + std::to_string(i) + " 300 A 10.0." + std::to_string(i / 250) + "." +
                    std::to_string(i % 250 + 1));
    lines.push_back("h" + std::to_string(i) + " 300 TXT t" + std::to_string(i));
  }
  return testing::build(lines);
}
}  // namespace

TEST_CASE("memory: a lazy AXFR image packs per request, like an eager one, and keeps nothing",
          "[memory]") {
  auto z = big_zone(2000);
  auto eager = xfr::pack_axfr(*z, 40);
  auto lazy = xfr::lazy_axfr(z, 40);
  CHECK(lazy->messages.empty());  // nothing packed before a transfer asks
  CHECK(lazy->rr_count == eager->rr_count);
  for (uint16_t qtype : {uint16_t{252}, uint16_t{251}}) {
    auto a = xfr::axfr_for_request(*eager, 0x1234, qtype);
    auto b = xfr::axfr_for_request(*lazy, 0x1234, qtype);
    REQUIRE(a.size() > 1);
    CHECK(a == b);
  }
  CHECK(lazy->messages.empty());  // nothing kept between transfers
}

TEST_CASE("memory: a zone's RDATA blocks are compacted without changing them", "[memory]") {
  // The octets of one block of `count` RDATAs of `octets` octets in all, without slack.
  auto exact = [](size_t count, size_t octets) { return 16 + 4 * count + octets; };
  const auto origin = dns::Name::parse("example.");
  zone::ZoneBuilder b(origin);
  b.add(testing::rr("@ 3600 SOA ns1 host 1 7200 3600 1209600 300"));
  b.add(testing::rr("@ 3600 NS ns1"));
  for (const char* ip : {"192.0.2.53", "192.0.2.54", "192.0.2.55"})
    b.add(testing::rr(std::string("ns1 3600 A ") + ip));
  auto z = std::move(b).build().zone;
  const dns::RRset* set = z->find(dns::Name::parse("ns1.example."), RRType::A);
  REQUIRE(set != nullptr);
  REQUIRE(set->rdatas.size() == 3);
  CHECK(set->rdatas[2] == dns::Rdata{192, 0, 2, 55});
  CHECK(set->rdatas.allocated_bytes() == exact(3, 12));  // push_back's doubling gave 4 and 16
  dns::RRset grown{dns::Name::parse("ns1.example."), RRType::A, dns::RRClass::IN, 3600, {}};
  for (uint8_t last : {1, 2, 3}) grown.rdatas.push_back(dns::Rdata{10, 0, 0, last});
  REQUIRE(grown.rdatas.allocated_bytes() > exact(3, 12));
  auto changed = z->with_changes({grown});
  const dns::RRset* set2 = changed->find(dns::Name::parse("ns1.example."), RRType::A);
  REQUIRE(set2 != nullptr);
  CHECK(set2->rdatas == grown.rdatas);
  CHECK(set2->rdatas.allocated_bytes() == exact(3, 12));
}

TEST_CASE("memory: with_serial shares every node block but the apex's", "[memory]") {
  auto z = big_zone(1000);
  REQUIRE(z->block_count() > 2);
  auto s = slave::with_serial(*z, 99);
  CHECK(s->serial() == 99);
  CHECK(z->serial() == 7);
  CHECK(s->rr_count() == z->rr_count());
  REQUIRE(s->block_count() == z->block_count());
  for (size_t b = 1; b < z->block_count(); ++b)
    CHECK(&s->nodes()[s->block_first(b)] == &z->nodes()[z->block_first(b)]);
  CHECK(&s->nodes()[0] != &z->nodes()[0]);
}

TEST_CASE("memory: a node's name and its RRsets' owners share one buffer", "[memory]") {
  auto z = big_zone(300);
  size_t checked = 0;
  for (const auto& node : z->nodes()) {
    for (const auto& rs : node.rrsets) {
      CHECK(rs.owner.wire().data() == node.name.wire().data());
      ++checked;
    }
  }
  CHECK(checked == z->rrset_count());
  // Copies share, even across a moved-from Name (which becomes the root), and equal names made
  // apart compare equal; a lowercased copy is its own buffer.
  dns::Name a = dns::Name::parse("Host-With-A-Long-Label.example.");
  dns::Name b = a;
  CHECK(b.wire().data() == a.wire().data());
  dns::Name c = std::move(b);
  CHECK(c.wire().data() == a.wire().data());
  CHECK(b.is_root());  // NOLINT(bugprone-use-after-move): the documented moved-from state
  b = c;
  CHECK(b == a);
  CHECK(dns::Name::parse("host-with-a-long-label.EXAMPLE.") == a);
  CHECK(a.lowercased().wire().data() != a.wire().data());
  CHECK(a.lowercased().to_string() == "host-with-a-long-label.example.");
  dns::Name root;
  CHECK(root.is_root());
  CHECK(root.wire_size() == 1);
  root = a;
  a = dns::Name();
  CHECK(root.to_string() == "Host-With-A-Long-Label.example.");
  CHECK(a.is_root());
}

TEST_CASE("memory: Names shared across threads are counted safely", "[memory]") {
  const dns::Name shared = dns::Name::parse("shared.example.");
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared, &bad] {
      for (int i = 0; i < 20000; ++i) {
        dns::Name copy = shared;
        dns::Name other = copy;
        copy = dns::Name();
        bad += !(other == shared);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(bad == 0);
  CHECK(shared.to_string() == "shared.example.");
}
