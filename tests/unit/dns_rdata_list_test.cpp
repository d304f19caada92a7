// RdataList, the packed RDATAs of one RRset: order and octets kept through every operation,
// one exact block after shrink_to_fit, in-place edits, and RRset::normalize on top of it giving
// what the vector form gave.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <vector>

#include "common/dns/rdata.hpp"
#include "common/dns/rrset.hpp"

using namespace flatsign;
using dns::Rdata;
using dns::RdataList;
using dns::RRType;

namespace {
std::vector<Rdata> as_vectors(const RdataList& list) {
  std::vector<Rdata> out;
  for (dns::RdataRef r : list) out.push_back(r.to_rdata());
  return out;
}
}  // namespace

TEST_CASE("rdata list: appended RDATAs read back in order, empty ones included", "[rdata_list]") {
  RdataList l;
  CHECK(l.empty());
  CHECK(l.begin() == l.end());
  CHECK(l.allocated_bytes() == 0);
  const std::vector<Rdata> in{{1, 2, 3, 4}, {}, {9}, Rdata(300, 0xab)};
  for (const auto& r : in) l.push_back(r);
  REQUIRE(l.size() == 4);
  CHECK(as_vectors(l) == in);
  CHECK(l.to_vector() == in);
  CHECK(l.front() == in.front());
  CHECK(l.back() == in.back());
  CHECK(l[1].empty());
  CHECK(l.payload_size() == 305);
  CHECK(l.end() - l.begin() == 4);
  CHECK(l.begin()[3] == in[3]);
  CHECK_THROWS_AS(l.at(4), std::out_of_range);
  CHECK(l.at(2) == Rdata{9});
}

TEST_CASE("rdata list: many RDATAs keep random access exact", "[rdata_list]") {
  std::mt19937 rng(7);
  std::vector<Rdata> in;
  RdataList l;
  for (int i = 0; i < 2000; ++i) {
    Rdata r(rng() % 40);
    for (auto& o : r) o = static_cast<uint8_t>(rng());
    l.push_back(r);
    in.push_back(std::move(r));
  }
  REQUIRE(l.size() == in.size());
  for (size_t i = 0; i < in.size(); i += 37) CHECK(l[i] == in[i]);
  CHECK(as_vectors(l) == in);
  const size_t before = l.allocated_bytes();
  l.shrink_to_fit();
  CHECK(l.allocated_bytes() <= before);
  CHECK(l.allocated_bytes() == 16 + 4 * l.size() + l.payload_size());
  CHECK(as_vectors(l) == in);
}

TEST_CASE("rdata list: copies, moves and equality are by value", "[rdata_list]") {
  RdataList a{{1, 2}, {3}};
  RdataList b = a;
  CHECK(a == b);
  b.mutable_at(1)[0] = 4;  // the copy has its own octets
  CHECK(a[1] == Rdata{3});
  CHECK(b[1] == Rdata{4});
  CHECK_FALSE(a == b);
  RdataList c = std::move(b);
  CHECK(b.empty());  // NOLINT: moved-from is empty
  CHECK(c[1] == Rdata{4});
  c = a;
  CHECK(c == a);
  CHECK_FALSE(RdataList{{1, 2}, {3}} == RdataList{{1}, {2, 3}});  // same octets, other split
  CHECK(RdataList{} == RdataList{});
  CHECK(RdataList(std::vector<Rdata>{{5}, {6}}) == RdataList{{5}, {6}});
}

TEST_CASE("rdata list: pop_back, clear, reserve and shrink_to_fit", "[rdata_list]") {
  RdataList l;
  l.reserve(3, 10);
  CHECK(l.empty());
  CHECK(l.allocated_bytes() == 16 + 12 + 10);
  l.push_back(Rdata{1, 2, 3});
  l.push_back(Rdata{4, 5});
  CHECK(l.allocated_bytes() == 16 + 12 + 10);  // within the reserve: no new block
  l.pop_back();
  CHECK(l.size() == 1);
  CHECK(l.payload_size() == 3);
  l.push_back(Rdata{6});
  CHECK(as_vectors(l) == std::vector<Rdata>{{1, 2, 3}, {6}});
  l.shrink_to_fit();
  CHECK(l.allocated_bytes() == 16 + 8 + 4);
  l.clear();
  CHECK(l.empty());
  CHECK(l.allocated_bytes() == 0);
  l.push_back(Rdata{7});
  CHECK(l.allocated_bytes() == 16 + 4 + 1);  // the first block is exact
}

TEST_CASE("rdata list: an RRset normalizes as the vector form did", "[rdata_list][rrset]") {
  auto a = [](uint8_t x) { return Rdata{192, 0, 2, x}; };
  dns::RRset rs{dns::Name::parse("a.example."),
                RRType::A,
                dns::RRClass::IN,
                300,
                {a(9), a(1), a(5), a(1), a(9)}};
  rs.normalize();
  CHECK(as_vectors(rs.rdatas) == std::vector<Rdata>{a(1), a(5), a(9)});
  dns::RRset same{rs.owner, RRType::A, dns::RRClass::IN, 300, {a(1), a(5), a(9)}};
  CHECK(rs == same);
  // Names compare in canonical (lowercased) form (RFC 4034 §6.2): the first of two RDATAs that
  // differ only in case is kept, as std::sort + std::unique kept it for vectors.
  auto ns = [](const char* name) {
    Rdata r;
    const auto n = dns::Name::parse(name);
    r.assign(n.wire().begin(), n.wire().end());
    return r;
  };
  dns::RRset set{dns::Name::parse("example."),
                 RRType::NS,
                 dns::RRClass::IN,
                 300,
                 {ns("B.example."), ns("a.example."), ns("b.example.")}};
  std::vector<Rdata> v{ns("B.example."), ns("a.example."), ns("b.example.")};
  auto less = [](const Rdata& x, const Rdata& y) {
    return dns::rdata_compare(RRType::NS, x, y) < 0;
  };
  std::sort(v.begin(), v.end(), less);
  v.erase(std::unique(v.begin(), v.end(),
                      [](const Rdata& x, const Rdata& y) {
                        return dns::rdata_compare(RRType::NS, x, y) == 0;
                      }),
          v.end());
  const dns::RRset unsorted = set;
  set.normalize();
  CHECK(as_vectors(set.rdatas) == v);
  // canonical_order, for callers that place the list themselves (the signer): the same RDATAs,
  // the same one of the case-different pair kept.
  std::vector<dns::RdataRef> refs(unsorted.rdatas.begin(), unsorted.rdatas.end());
  dns::RRset::canonical_order(RRType::NS, refs);
  CHECK(std::vector<Rdata>(refs.begin(), refs.end()) == v);
}

TEST_CASE("rdata list: an SOA serial is changed in place", "[rdata_list]") {
  const auto origin = dns::Name::parse("example.");
  std::vector<uint8_t> soa;
  std::vector<dns::RdataToken> tokens;
  for (const char* t : {"ns1", "host", "7", "7200", "3600", "1209600", "300"})
    tokens.push_back({t, false});
  dns::rdata_from_text(RRType::SOA, tokens, origin, soa);
  RdataList l{soa};
  dns::set_soa_serial(l.mutable_at(0), 2026120501);
  CHECK(dns::soa_serial(l[0]) == 2026120501u);
  CHECK(dns::soa_minimum(l[0]) == 300u);
  CHECK(l[0].size() == soa.size());
}

TEST_CASE("rdata list: a placed list lives in the caller's storage and leaves it on growth",
          "[rdata_list]") {
  const Rdata a{1, 2, 3}, b{4, 5}, c{6};
  std::vector<uint8_t> storage(RdataList::placed_bytes(2, 5) + RdataList::placed_bytes(1, 1));
  CHECK(storage.size() % 4 == 0);
  RdataList first, second;
  first.place(storage.data(), 2, 5);
  second.place(storage.data() + RdataList::placed_bytes(2, 5), 1, 1);
  first.push_back(a);
  first.push_back(b);
  second.push_back(c);
  CHECK(first[0].data() >= storage.data());
  CHECK(first[1].data() + first[1].size() <= storage.data() + storage.size());
  CHECK(as_vectors(first) == std::vector<Rdata>{a, b});
  CHECK(as_vectors(second) == std::vector<Rdata>{c});
  first.shrink_to_fit();  // already exact: stays placed
  CHECK(first[0].data() >= storage.data());
  CHECK(first[0].data() < storage.data() + storage.size());

  RdataList copy(first);  // a copy owns its block
  CHECK(copy[0].data() != first[0].data());
  CHECK(copy == first);

  second.push_back(a);  // past the room: moved to a block of its own, the storage untouched
  CHECK((second[0].data() < storage.data() || second[0].data() >= storage.data() + storage.size()));
  CHECK(as_vectors(second) == std::vector<Rdata>{c, a});
  CHECK(as_vectors(first) == std::vector<Rdata>{a, b});
  first.clear();  // gives nothing back to the heap (ASan would report a bad free)
  CHECK(first.empty());
}
