// Name: parsing with escapes and limits, printing, RFC 4034 §6.1 canonical order, subdomains.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "common/dns/error.hpp"
#include "common/dns/name.hpp"

using flatsign::dns::Name;
using flatsign::dns::ParseError;

TEST_CASE("names parse and print with escapes", "[name]") {
  CHECK(Name::parse(".").is_root());
  CHECK(Name::parse("example.").to_string() == "example.");
  CHECK(Name::parse("a\\.b.example.").label_count() == 2);
  CHECK(Name::parse("a\\.b.example.").to_string() == "a\\.b.example.");
  CHECK(Name::parse("\\065bc.").to_string() == "Abc.");
  CHECK(Name::parse("\\000.").to_string() == "\\000.");
  CHECK(Name::parse("sp\\ ace.").to_string() == "sp\\032ace.");
  CHECK(Name::parse("semi\\;colon.").to_string() == "semi\\;colon.");
  Name origin = Name::parse("example.com.");
  CHECK(Name::parse("www", &origin).to_string() == "www.example.com.");
  CHECK(Name::parse("*.sites", &origin).is_wildcard());
  CHECK(Name::parse("WWW.Example.COM.").to_string() == "WWW.Example.COM.");  // case kept
}

TEST_CASE("names enforce RFC 1035 limits and quote the bad text", "[name]") {
  std::string label63(63, 'a');
  CHECK_NOTHROW(Name::parse(label63 + "."));
  CHECK_THROWS_WITH(Name::parse(std::string(64, 'a') + "."), Catch::Contains("longer than 63"));
  // 255 octets on the wire: 4 labels of 62 + 1 of 1 ... build exactly 255 and 256.
  std::string n255 = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                     std::string(63, 'c') + "." + std::string(61, 'd') + ".";
  CHECK(Name::parse(n255).wire_size() == 255);
  std::string n256 = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                     std::string(63, 'c') + "." + std::string(62, 'd') + ".";
  CHECK_THROWS_WITH(Name::parse(n256), Catch::Contains("longer than 255"));
  CHECK_THROWS_WITH(Name::parse("a..b."),
                    Catch::Contains("empty label") && Catch::Contains("a..b."));
  CHECK_THROWS_WITH(Name::parse("relative"), Catch::Contains("no origin"));
  CHECK_THROWS_WITH(Name::parse("bad\\25"), Catch::Contains("three digits"));
  CHECK_THROWS_WITH(Name::parse("bad\\256."), Catch::Contains("above 255"));
  CHECK_THROWS_AS(Name::parse(""), ParseError);
  // A relative name that only overflows once the origin is appended.
  Name origin = Name::parse(std::string(63, 'o') + "." + std::string(63, 'p') + "." +
                            std::string(63, 'q') + ".");
  CHECK_THROWS_WITH(Name::parse(std::string(63, 'x'), &origin), Catch::Contains("255"));
}

TEST_CASE("canonical order follows RFC 4034 §6.1", "[name][canonical]") {
  // The example list from RFC 4034 §6.1, in order.
  std::vector<std::string> expected = {"example.",         "a.example.",      "yljkjljk.a.example.",
                                       "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
                                       "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
  std::vector<Name> names;
  for (auto it = expected.rbegin(); it != expected.rend(); ++it) names.push_back(Name::parse(*it));
  std::sort(names.begin(), names.end());
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(names[i] == Name::parse(expected[i]));
  }
  CHECK(Name::parse("EXAMPLE.") == Name::parse("example."));
  CHECK(std::is_eq(Name::parse("EXAMPLE.") <=> Name::parse("example.")));
  CHECK(Name::parse("EXAMPLE.").hash() == Name::parse("example.").hash());
}

TEST_CASE("subdomain tests respect label boundaries", "[name]") {
  Name zone = Name::parse("example.com.");
  CHECK(Name::parse("www.example.com.").is_subdomain_of(zone));
  CHECK(Name::parse("WWW.EXAMPLE.com.").is_subdomain_of(zone));
  CHECK(zone.is_subdomain_of(zone));
  CHECK_FALSE(Name::parse("badexample.com.").is_subdomain_of(zone));
  CHECK_FALSE(Name::parse("com.").is_subdomain_of(zone));
  CHECK(Name::parse("a.b.example.com.").strip_left(2) == zone);
  CHECK(Name::parse("a.example.com.").parent() == zone);
  CHECK(zone.prepend("*").is_wildcard());
  CHECK(Name::parse("*.x.example.").label_count() == 3);
  CHECK_THROWS_WITH(zone.prepend(std::string(64, 'a')), Catch::Contains("63"));
}
