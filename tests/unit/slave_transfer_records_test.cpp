// The packed records of a transfer: every record reads back as it went in (owner case, TTL,
// RDATA), and consecutive owners that share labels cost only the labels they add.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "slave/transfer_records.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using slave::TransferRecords;
using testing::rr;

TEST_CASE("transfer records read back as they went in", "[transfer]") {
  const std::vector<dns::Rr> in = {
      rr("@ 3600 SOA ns1 hostmaster 7 7200 3600 1209600 300"),
      rr("@ 3600 NS ns1"),
      rr("@ 3600 NS ns2"),
      rr("WWW 60 A 192.0.2.1"),
      rr("www 60 A 192.0.2.2"),  // the same name in another case: kept as given
      rr("a.b.www 4000000000 TXT hello"),
      rr("c.b.www 0 AAAA 2001:db8::1"),
      rr("other.test. 5 A 192.0.2.3"),  // shares only the root
      rr(". 5 NS ns1"),
      rr("x 5 TYPE65534 \\# 0"),
  };
  TransferRecords records;
  for (const auto& r : in) records.push_back(r);
  REQUIRE(records.size() == in.size());
  CHECK(records.front().owner == in.front().owner);
  const auto out = records.to_vector();
  REQUIRE(out.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    INFO("record " << i);
    CHECK(out[i].owner.to_string() == in[i].owner.to_string());  // case-exact
    CHECK(out[i].type == in[i].type);
    CHECK(out[i].rclass == in[i].rclass);
    CHECK(out[i].ttl == in[i].ttl);
    CHECK(out[i].rdata == in[i].rdata);
  }
}

TEST_CASE("transfer records share owners and their suffixes", "[transfer]") {
  // 20,000 records on 250-octet owners that differ in their first label: the owners cost the
  // label they add, not 250 octets each.
  std::string suffix;
  while (suffix.size() < 220) suffix += "abcdefghijklmnopqrstuvwxyz0123456789.";
  suffix = suffix.substr(0, 220);
  if (suffix.back() == '.') suffix.pop_back();
  TransferRecords records;
  for (int i = 0; i < 20000; ++i)
    records.push_back(rr("h" + std::to_string(i / 4) + "." + suffix + " 60 A 192.0.2.1"));
  // 14 fixed octets, 4 of RDATA, and about 6 for the added label every fourth record.
  CHECK(records.memory() < 20000 * 20 + 64 * 1024);
  auto c = records.cursor();
  dns::Rr r;
  size_t n = 0;
  while (c.next(r)) {
    if (n == 19999) CHECK(r.owner.to_string() == "h4999." + suffix + ".example.");
    ++n;
  }
  CHECK(n == 20000);
}
