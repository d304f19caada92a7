// The signer's fast assembly (nodes made on the workers, Zone::adopt) gives the zone ZoneBuilder
// makes of the same records, and the piecewise parallel printer gives print_zone's text.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "common/dnssec/zone_signer.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using namespace flatsign::dnssec;

namespace {

constexpr std::time_t kNow = 1700000000;
const dns::Name kOrigin = dns::Name::parse("example.");

std::shared_ptr<const zone::Zone> make_zone(std::string_view text) {
  return testing::zone_from_text(text, kOrigin);
}

// Names of every shape the signer treats apart: delegations (signed or not) with glue, occluded
// data, wildcards, empty non-terminals, CNAMEs and multi-record RRsets with differing TTLs.
std::string zone_text(std::mt19937& rng, int names) {
  std::string t =
      "$TTL 300\n@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600\n@ IN NS ns\n"
      "ns IN A 192.0.2.1\n@ 60 IN MX 10 mx\n";
  for (int i = 0; i < names; ++i) {
    const std::string n = "n" + std::to_string(i);
    switch (rng() % 7) {
      case 0:
        t += n + " IN A 192.0.2.9\n" + n + " IN A 192.0.2." + std::to_string(rng() % 250) + "\n";
        break;
      case 1:
        t += "*." + n + " 120 IN TXT \"w" + std::to_string(rng() % 99) + "\"\n";
        break;
      case 2:
        t += n + " IN NS ns." + n + "\nns." + n + " IN A 192.0.2.7\nx.y." + n + " IN TXT \"o\"\n";
        break;
      case 3:
        t += "a.b." + n + " IN AAAA 2001:db8::" + std::to_string(rng() % 999) + "\n";
        break;
      case 4:
        t += n + " 30 IN CNAME ns\n";
        break;
      case 5:
        t += n + " IN NS ns\n" + n +
             " 90 IN DS 1 13 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
        break;
      default:
        t += n + " 40 IN TXT \"t\"\n" + n + " 50 IN A 192.0.2.3\n";
    }
  }
  return t;
}

// The zone ZoneBuilder makes of `z`'s records.
std::shared_ptr<const zone::Zone> rebuilt(const zone::Zone& z) {
  zone::ZoneBuilder b(z.origin());
  for (auto& rr : z.records()) b.add(std::move(rr));
  return std::move(b).build().zone;
}

}  // namespace

TEST_CASE("zone signer: the assembled signed zone is the builder's zone of its records",
          "[dnssec][zone_signer]") {
  std::mt19937 rng(7);
  auto input = make_zone(zone_text(rng, 900));  // several blocks and signing chunks
  for (auto alg : {Algorithm::ED25519, Algorithm::ECDSAP256SHA256}) {
    for (bool split : {false, true}) {
      for (int mode = 0; mode < 3; ++mode) {
        std::vector<DnssecKey> keys{generate_key(kOrigin, alg, kFlagsKsk, kNow)};
        if (split) keys.push_back(generate_key(kOrigin, alg, kFlagsZsk, kNow));
        SignerOptions o;
        o.timing.now = kNow;
        o.denial.mode = mode == 0 ? DenialMode::Nsec : DenialMode::Nsec3;
        o.denial.nsec3.opt_out = mode == 2;
        o.threads = 2;
        o.publish_cds = split;
        ZoneSigner signer(std::move(keys), o);
        INFO("algorithm " << int(alg) << " split " << split << " mode " << mode);
        auto s = signer.sign_full(*input).zone;
        auto b = rebuilt(*s);
        CHECK(zone::print_zone(*s) == zone::print_zone(*b));
        REQUIRE(s->nodes().size() == b->nodes().size());
        for (size_t i = 0; i < s->nodes().size(); ++i) {
          const auto& x = s->nodes()[i];
          const auto& y = b->nodes()[i];
          REQUIRE((x.name == y.name && x.delegation == y.delegation && x.occluded == y.occluded));
          REQUIRE(x.rrsets == y.rrsets);
        }
        CHECK(s->rr_count() == b->rr_count());
        CHECK(s->rrset_count() == b->rrset_count());
        REQUIRE(s->block_count() == b->block_count());
        for (size_t k = 0; k < s->block_count(); ++k) {
          const auto& p = s->block_summary(k);
          const auto& q = b->block_summary(k);
          CHECK(s->block_first(k) == b->block_first(k));
          CHECK((p.rrs == q.rrs && p.signed_rrsets == q.signed_rrsets &&
                 p.dnssec_rrsets == q.dnssec_rrsets && p.nsec_names == q.nsec_names &&
                 p.nsec3_names == q.nsec3_names && p.keys == q.keys &&
                 p.earliest_expiration == q.earliest_expiration &&
                 p.latest_inception == q.latest_inception));
        }
        CHECK(&s->soa() == s->find(kOrigin, dns::RRType::SOA));
      }
    }
  }
}

TEST_CASE("zone signer: a signed block's nodes, RRset vectors and RDATA share its storage",
          "[dnssec][zone_signer][memory]") {
  std::mt19937 rng(3);
  auto input = make_zone(zone_text(rng, 300));  // three blocks
  SignerOptions o;
  o.timing.now = kNow;
  o.threads = 2;
  ZoneSigner signer({generate_key(kOrigin, Algorithm::ED25519, kFlagsKsk, kNow)}, o);
  auto s = signer.sign_full(*input).zone;
  REQUIRE(s->block_count() >= 3);
  for (size_t b = 0; b < s->block_count(); ++b) {
    // The block's RRset vectors are carved in order from one arena, each right after the last
    // (no heap block each), and every RDATA lies past the arena, in the same storage.
    const auto* first = &s->nodes()[s->block_first(b)];
    const uint8_t* lo = reinterpret_cast<const uint8_t*>(first);
    const uint8_t* end_of_vectors = lo;
    const uint8_t* hi = lo;
    for (size_t i = s->block_first(b); i < s->block_first(b) + s->block_size(b); ++i) {
      const auto& node = s->nodes()[i];
      REQUIRE(node.rrsets.get_allocator().arena != nullptr);
      CHECK(node.rrsets.capacity() == node.rrsets.size());
      const auto* v = reinterpret_cast<const uint8_t*>(node.rrsets.data());
      CHECK(v >= lo);
      end_of_vectors = std::max(end_of_vectors, v + node.rrsets.size() * sizeof(dns::RRset));
      for (const auto& rs : node.rrsets)
        for (dns::RdataRef r : rs.rdatas) hi = std::max(hi, r.data() + r.size());
    }
    for (size_t i = s->block_first(b); i < s->block_first(b) + s->block_size(b); ++i)
      for (const auto& rs : s->nodes()[i].rrsets)
        for (dns::RdataRef r : rs.rdatas) CHECK((r.data() >= end_of_vectors && r.data() < hi));
  }
}

TEST_CASE("zonefile: the pieces of print_zone_pieces join to print_zone's text", "[zonefile]") {
  std::mt19937 rng(11);
  std::string text = "$TTL 300\n@ IN SOA ns.example. h.example. 1 2 3 4 600\n@ IN NS ns\n";
  for (int i = 0; i < 20000; ++i)  // ~40k RRs: three pieces of whole blocks
    text += "h" + std::to_string(rng()) + " IN A 192.0.2.1\n_ IN TXT \"x\"\n";
  auto z = make_zone(text);
  const std::string whole = zone::print_zone(*z);
  for (unsigned threads : {0u, 1u, 2u, 3u, 8u}) {
    std::string joined;
    size_t pieces = 0;
    zone::print_zone_pieces(*z, threads, [&](std::string_view p) {
      joined += p;
      ++pieces;
    });
    CHECK(pieces >= 2);
    CHECK(joined == whole);
  }
  std::string ranges;
  for (size_t n = 0; n < z->nodes().size(); n += 1000)
    zone::print_nodes(*z, n, std::min(z->nodes().size(), n + 1000), ranges);
  CHECK(ranges == whole);
  // A failing writer stops the printing; its exception reaches the caller.
  size_t calls = 0;
  CHECK_THROWS_AS(zone::print_zone_pieces(*z, 2,
                                          [&](std::string_view) {
                                            if (++calls == 2) throw std::runtime_error("disk full");
                                          }),
                  std::runtime_error);
  CHECK(calls == 2);
}
