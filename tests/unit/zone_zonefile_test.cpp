// Zone-file parser and printer: RFC 1035 §5 syntax, BIND extensions, $INCLUDE, exact error
// positions, and print -> parse round trips.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/dns/rdata.hpp"
#include "common/zone/zone.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"
#include "tests/unit/temp_dir.hpp"

namespace {

using flatsign::dns::Name;
using flatsign::dns::Rr;
using flatsign::dns::RRType;
using namespace flatsign::zone;

struct Parsed {
  std::vector<Rr> rrs;
  std::vector<Location> where;
  ZoneFileStats stats;
  // "owner TTL TYPE rdata" of record i, for compact comparisons.
  std::string line(size_t i) const {
    const Rr& rr = rrs.at(i);
    return rr.owner.to_string() + " " + std::to_string(rr.ttl) + " " +
           flatsign::dns::type_to_string(rr.type) + " " +
           flatsign::dns::rdata_to_text(rr.type, rr.rdata);
  }
};

Parsed parse(std::string_view text, const ZoneFileOptions& options = {},
             const std::string& origin = "example.com.") {
  Parsed p;
  p.stats = parse_zone_text(
      text, Name::parse(origin),
      [&](Rr&& rr, const Location& where) {
        p.rrs.push_back(std::move(rr));
        p.where.push_back(where);
      },
      options);
  return p;
}

// The full what() of the ZoneFileError `text` raises, or "" when it parses.
std::string error_of(std::string_view text, const std::string& file = "zones/x.zone") {
  ZoneFileOptions options;
  options.source_name = file;
  try {
    (void)parse(text, options);
  } catch (const ZoneFileError& e) {
    return e.what();
  }
  return "";
}

// A fresh directory under /tmp that files are written into, removed at scope exit.
struct TempDir : flatsign::testing::TempDir {
  TempDir() : flatsign::testing::TempDir("zonefile") {}
  std::string write(const std::string& rel, const std::string& text) const {
    auto p = path / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

const char* kSoa = "@ 3600 IN SOA ns1 host 1 7200 3600 1209600 300\n";

}  // namespace

TEST_CASE("zonefile: origin, relative names, omitted owner, TTL and class", "[zonefile]") {
  auto p = parse(
      "$TTL 1h30m\n"
      "@ IN SOA ns1 hostmaster 1 2 3 4 5\n"
      "  IN NS ns1\n"
      "www 300 IN A 192.0.2.1\n"
      "    IN 60 A 192.0.2.2\n"  // class before TTL
      "    AAAA 2001:db8::1\n"   // omitted TTL -> $TTL, omitted class -> IN
      "$ORIGIN sub.example.com.\n"
      "x CLASS1 TXT \"hi\"\n"
      "abs.example.org. 10 TYPE65534 \\# 0\n");
  REQUIRE(p.rrs.size() == 7);
  CHECK(p.line(0) == "example.com. 5400 SOA ns1.example.com. hostmaster.example.com. 1 2 3 4 5");
  CHECK(p.line(1) == "example.com. 5400 NS ns1.example.com.");
  CHECK(p.line(2) == "www.example.com. 300 A 192.0.2.1");
  CHECK(p.line(3) == "www.example.com. 60 A 192.0.2.2");
  CHECK(p.line(4) == "www.example.com. 5400 AAAA 2001:db8::1");
  CHECK(p.line(5) == "x.sub.example.com. 5400 TXT \"hi\"");
  CHECK(p.line(6) == "abs.example.org. 10 TYPE65534 \\# 0");
  CHECK(p.rrs[6].rdata.empty());
  CHECK(p.where[3].line == 5);
  CHECK(p.where[3].column == 5);
}

TEST_CASE("zonefile: RFC 1035 TTL semantics without $TTL", "[zonefile]") {
  auto p = parse("@ SOA ns1 host 1 2 3 4 600\n@ NS ns1\nwww 20 A 192.0.2.1\nw2 A 192.0.2.2\n");
  REQUIRE(p.rrs.size() == 4);
  CHECK(p.rrs[0].ttl == 600);  // SOA MINIMUM, as BIND does, with a warning
  REQUIRE(p.stats.warnings.size() == 1);
  CHECK(p.stats.warnings[0].what.find("SOA MINIMUM") != std::string::npos);
  CHECK(p.rrs[1].ttl == 600);  // the last TTL used
  CHECK(p.rrs[3].ttl == 20);   // the last explicit TTL
  CHECK(error_of("www A 192.0.2.1\n") ==
        "zones/x.zone:1:5: no TTL specified (no $TTL and no earlier TTL to reuse)");
}

TEST_CASE("zonefile: escapes in names and quoted strings", "[zonefile]") {
  auto p = parse(
      "$TTL 60\n"
      "a\\.b IN TXT \"semi;colon\" \"quote\\\"inside\" \\059bare ; comment\n"
      "\\065bc TXT \"(paren)\" \"back\\\\slash\"\n"
      "sp\\032ace TXT \"\"\n");
  REQUIRE(p.rrs.size() == 3);
  CHECK(p.rrs[0].owner.label_count() == 3);  // "a.b" is one label
  CHECK(p.rrs[0].owner.first_label() == "a.b");
  CHECK(p.rrs[0].rdata == std::vector<uint8_t>{10,  's', 'e', 'm', 'i', ';', 'c', 'o', 'l', 'o',
                                               'n', 12,  'q', 'u', 'o', 't', 'e', '"', 'i', 'n',
                                               's', 'i', 'd', 'e', 5,   ';', 'b', 'a', 'r', 'e'});
  CHECK(p.rrs[1].owner.first_label() == "Abc");
  CHECK(p.line(1) == "Abc.example.com. 60 TXT \"(paren)\" \"back\\\\slash\"");
  CHECK(p.rrs[2].owner.first_label() == "sp ace");
  CHECK(p.rrs[2].rdata == std::vector<uint8_t>{0});
}

TEST_CASE("zonefile: parentheses span lines with comments inside", "[zonefile]") {
  auto p = parse(
      "$TTL 60\n"
      "@ IN SOA ns1.example.com. ( ; opening\n"
      "     hostmaster ; rname\n"
      "     2024010101 ; serial ( not a paren )\n"
      "     7200 3600\n"
      "     1209600 300 )\n"
      "txt TXT ( \"one\"\n"
      "  \"two;\" )   ; done\n"
      "next A 192.0.2.9\n");
  REQUIRE(p.rrs.size() == 3);
  CHECK(p.line(0) ==
        "example.com. 60 SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 "
        "1209600 300");
  CHECK(p.line(1) == "txt.example.com. 60 TXT \"one\" \"two;\"");
  CHECK(p.where[2].line == 9);
}

TEST_CASE("zonefile: RFC 3597 generic types and rdata", "[zonefile]") {
  auto p =
      parse("$TTL 60\nx TYPE65534 \\# 4 0a000001\ny TYPE1 \\# 4 C0000201\nz A \\# 4 c0 00 02 02\n");
  REQUIRE(p.rrs.size() == 3);
  CHECK(p.rrs[0].rdata == std::vector<uint8_t>{10, 0, 0, 1});
  CHECK(p.line(1) == "y.example.com. 60 A 192.0.2.1");
  CHECK(p.line(2) == "z.example.com. 60 A 192.0.2.2");
}

TEST_CASE("zonefile: ALIAS, its ANAME synonym and its generic form are one type", "[zonefile]") {
  auto p = parse(
      "$TTL 60\n@ ALIAS lb.example.net.\nw ANAME lb.example.net.\n"
      "g TYPE65401 \\# 16 026c62076578616d706c65036e657400\n");
  REQUIRE(p.rrs.size() == 3);
  CHECK(p.line(0) == "example.com. 60 ALIAS lb.example.net.");
  CHECK(p.line(1) == "w.example.com. 60 ALIAS lb.example.net.");
  CHECK(p.line(2) == "g.example.com. 60 ALIAS lb.example.net.");
}

TEST_CASE("zonefile: 255-octet names pass, 256 fail", "[zonefile]") {
  std::string l63(63, 'a'), l61(61, 'b'), l62(62, 'b');
  std::string ok = l63 + "." + l63 + "." + l63 + "." + l61 + ".";
  auto p = parse("$TTL 60\n" + ok + " TXT x\n");
  REQUIRE(p.rrs.size() == 1);
  CHECK(p.rrs[0].owner.wire_size() == 255);
  std::string bad = l63 + "." + l63 + "." + l63 + "." + l62 + ".";
  CHECK_THAT(error_of("$TTL 60\n" + bad + " TXT x\n"),
             Catch::StartsWith("zones/x.zone:2:1: ") && Catch::Contains("255"));
  // Relative: 61 + 1 octets plus example.com. (13) fit only while the total stays <= 255.
  CHECK_THAT(error_of("$TTL 60\n" + l63 + "." + l63 + "." + l63 + "." + l61 + " TXT x\n"),
             Catch::Contains("255"));
  CHECK_THAT(error_of("$TTL 60\n" + std::string(64, 'c') + " TXT x\n"),
             Catch::StartsWith("zones/x.zone:2:1: ") && Catch::Contains("63"));
}

TEST_CASE("zonefile: errors name file:line:column and what was found", "[zonefile]") {
  CHECK(error_of("$TTL 60\n\nwww     INN A 192.0.2.1\n") ==
        "zones/x.zone:3:9: expected a TTL or class or type, found \"INN\"");
  CHECK(error_of("$TTL 60\nwww 60 60 A 192.0.2.1\n") ==
        "zones/x.zone:2:8: expected a class or type, found \"60\"");
  CHECK(error_of("$TTL 60\nwww IN IN A 192.0.2.1\n") ==
        "zones/x.zone:2:8: expected a TTL or type, found \"IN\"");
  CHECK(error_of("$TTL 60\nwww 60\n") ==
        "zones/x.zone:2:7: expected a class or type, found end of line");
  CHECK(error_of("www CH 60 TXT x\n") == "zones/x.zone:1:5: class CH is not supported (only IN)");
  CHECK(error_of("www 1x A 192.0.2.1\n") ==
        "zones/x.zone:1:5: bad TTL \"1x\" (expected seconds or units like 1h30m)");
  CHECK_THAT(error_of("$TTL 60\nwww A 192.0.2.300\n"),
             Catch::StartsWith("zones/x.zone:2:7: A rdata: "));
  CHECK_THAT(error_of("$TTL 60\nmx MX 10\n"),
             Catch::StartsWith("zones/x.zone:2:9: MX rdata: "));  // missing field: end of line
  CHECK_THAT(error_of("$TTL 60\nx SOA ( ns1 host\n 1 2 3 x 5 )\n"),
             Catch::StartsWith("zones/x.zone:3:8: SOA rdata: "));
  CHECK(error_of("$TTL 60\nx TXT ( \"a\"\n") ==
        "zones/x.zone:2:7: unbalanced '(': no matching ')' before the end of the file");
  CHECK(error_of("$TTL 60\nx TXT \"a\" )\n") == "zones/x.zone:2:11: unbalanced ')'");
  CHECK(error_of("$TTL 60\nx TXT \"abc\n") ==
        "zones/x.zone:2:7: unterminated quoted string (newline inside quotes)");
  CHECK(error_of("  A 192.0.2.1\n") ==
        "zones/x.zone:1:3: no owner name: the first record of a file must name its owner");
  CHECK(error_of("$FOO bar\n") ==
        "zones/x.zone:1:1: unknown directive \"$FOO\" (expected $ORIGIN, $TTL or $INCLUDE)");
  CHECK(error_of("$TTL\n") == "zones/x.zone:1:5: expected a TTL after $TTL");
  CHECK(error_of("$ORIGIN a. b.\n") == "zones/x.zone:1:12: unexpected \"b.\" after $ORIGIN a.");
  CHECK(error_of("$TTL 60\nx AXFR \\# 0\n") ==
        "zones/x.zone:2:3: type \"AXFR\" cannot appear in a zone");
  CHECK(error_of("$TTL 60\nx TYPE1 \\# 3 000000\n", "") != "");
  CHECK_THAT(error_of("$TTL 60\nx.. A 192.0.2.1\n"), Catch::StartsWith("zones/x.zone:2:1: "));
}

TEST_CASE("zonefile: $INCLUDE is relative to the including file, restores origin", "[zonefile]") {
  TempDir dir;
  std::string top = dir.write("top.zone",
                              "$TTL 60\n"
                              "@ SOA ns1 host 1 2 3 4 5\n"
                              "$INCLUDE sub/hosts.inc sub.example.com.\n"
                              "  TXT \"owner restored\"\n"
                              "back A 192.0.2.3\n");
  dir.write("sub/hosts.inc", "www A 192.0.2.1 ; relative to sub.example.com.\n$INCLUDE more.inc\n");
  dir.write("sub/more.inc", "deeper A 192.0.2.2\n");
  std::vector<Rr> rrs;
  std::vector<Location> where;
  auto stats = parse_zone_file(top, Name::parse("example.com."), [&](Rr&& rr, const Location& w) {
    rrs.push_back(std::move(rr));
    where.push_back(w);
  });
  CHECK(stats.files == 3);
  REQUIRE(rrs.size() == 5);
  CHECK(rrs[1].owner.to_string() == "www.sub.example.com.");
  CHECK(rrs[2].owner.to_string() == "deeper.sub.example.com.");
  CHECK(where[2].file == (dir.path / "sub/more.inc").string());
  CHECK(where[2].line == 1);
  CHECK(rrs[3].owner.to_string() == "example.com.");  // the parent's owner resumes
  CHECK(rrs[4].owner.to_string() == "back.example.com.");
  CHECK(where[4].file == top);
  CHECK(where[4].line == 5);
}

TEST_CASE("zonefile: $INCLUDE loops, depth limit and missing files", "[zonefile]") {
  TempDir dir;
  std::string a = dir.write("a.zone", "$TTL 60\nx A 192.0.2.1\n$INCLUDE b.inc\n");
  dir.write("b.inc", "\n$INCLUDE ./a.zone\n");
  auto sink = [](Rr&&, const Location&) {};
  try {
    (void)parse_zone_file(a, Name::parse("example.com."), sink);
    FAIL("loop not detected");
  } catch (const ZoneFileError& e) {
    CHECK(e.where().file == (dir.path / "b.inc").string());
    CHECK(e.where().line == 2);
    CHECK(e.where().column == 10);
    CHECK_THAT(e.reason(), Catch::StartsWith("$INCLUDE loop: "));
  }
  // A chain of 17 distinct files: 16 nested includes are fine, the 17th is too deep.
  for (int i = 0; i < 17; ++i) {
    std::string n = std::to_string(i), next = std::to_string(i + 1);
    std::string body = "n";
    body += n;
    body += " 60 A 192.0.2.1\n$INCLUDE c";
    body += next;
    body += ".zone\n";
    dir.write(std::string("c") += n += ".zone", body);
  }
  dir.write("c17.zone", "last 60 A 192.0.2.1\n");
  try {
    (void)parse_zone_file((dir.path / "c0.zone").string(), Name::parse("example.com."), sink);
    FAIL("depth not limited");
  } catch (const ZoneFileError& e) {
    CHECK(e.where().file == (dir.path / "c16.zone").string());
    CHECK(e.reason() == "$INCLUDE nested deeper than 16 levels");
  }
  ZoneFileOptions deeper;
  deeper.max_include_depth = 17;
  size_t n = 0;
  auto stats = parse_zone_file((dir.path / "c0.zone").string(), Name::parse("example.com."),
                               [&](Rr&&, const Location&) { ++n; }, deeper);
  CHECK(n == 18);
  CHECK(stats.files == 18);
  std::string missing = dir.write("m.zone", "$TTL 60\n$INCLUDE nope.inc\n");
  try {
    (void)parse_zone_file(missing, Name::parse("example.com."), sink);
    FAIL("missing include accepted");
  } catch (const ZoneFileError& e) {
    CHECK(e.where().line == 2);
    CHECK_THAT(e.reason(), Catch::StartsWith("cannot open \"") && Catch::Contains("No such file"));
  }
}

TEST_CASE("zonefile: print then parse gives the same zone, SOA first", "[zonefile]") {
  std::string text = std::string("$TTL 300\n") + kSoa +
                     "@ NS ns1\n@ MX 10 mail\nns1 A 192.0.2.53\nmail A 192.0.2.25\n"
                     "*.w TXT \"semi;\" \"q\\\"\" \"\\\\\"\nz TYPE65534 \\# 0\n"
                     "a\\.b AAAA 2001:db8::1\nsub NS ns.sub\nns.sub A 192.0.2.1\n"
                     "h HTTPS 1 . alpn=\"h2,h3\" port=8443\n";
  auto build = [](const Parsed& p) {
    ZoneBuilder b(Name::parse("example.com."));
    for (size_t i = 0; i < p.rrs.size(); ++i) b.add(Rr(p.rrs[i]), p.where[i]);
    return std::move(b).build();
  };
  auto first = build(parse(text));
  std::string printed = print_zone(*first.zone);
  CHECK_THAT(printed, Catch::StartsWith("example.com.\t3600\tIN\tSOA\tns1.example.com. "));
  auto second = build(parse(printed));
  CHECK(print_zone(*second.zone) == printed);
  CHECK(second.zone->rr_count() == first.zone->rr_count());
  CHECK(second.zone->rr_count() == 11);

  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  print_zone(*second.zone, f);
  std::string back(printed.size(), '\0');
  std::rewind(f);
  CHECK(std::fread(back.data(), 1, back.size(), f) == printed.size());
  std::fclose(f);
  CHECK(back == printed);
}

TEST_CASE("zonefile: private-use types are printed in RFC 3597 form for other tools",
          "[zonefile]") {
  const std::string text = std::string("$TTL 300\n") + kSoa +
                           "@ NS ns1\nns1 A 192.0.2.53\nw ALIAS lb.example.net.\n"
                           "w NSEC x.example.com. A TYPE65401 RRSIG NSEC\n"
                           "p TYPE65280 \\# 2 abcd\n";
  ZoneBuilder b(Name::parse("example.com."));
  auto p = parse(text);
  for (size_t i = 0; i < p.rrs.size(); ++i) b.add(Rr(p.rrs[i]), p.where[i]);
  auto z = std::move(b).build().zone;
  const std::string printed = print_zone(*z);
  // No mnemonic BIND, Knot or ldns would not know, in a record's type or in a bitmap.
  CHECK_THAT(printed, Catch::Contains("w.example.com.\t300\tIN\tTYPE65401\t\\# 16 "
                                      "026C62076578616D706C65036E657400\n"));
  CHECK_THAT(printed, Catch::Contains("\tNSEC\tx.example.com. A RRSIG NSEC TYPE65401\n"));
  CHECK_THAT(printed, Catch::Contains("p.example.com.\t300\tIN\tTYPE65280\t\\# 2 ABCD\n"));
  CHECK(printed.find("ALIAS") == std::string::npos);
  // Read back, it is the same data: ALIAS again.
  ZoneBuilder again(Name::parse("example.com."));
  auto q = parse(printed);
  for (size_t i = 0; i < q.rrs.size(); ++i) again.add(Rr(q.rrs[i]), q.where[i]);
  auto z2 = std::move(again).build().zone;
  CHECK(print_zone(*z2) == printed);
  CHECK(z2->find(Name::parse("w.example.com."), flatsign::dns::RRType::ALIAS) != nullptr);
  CHECK(flatsign::dns::type_to_portable_string(flatsign::dns::RRType::ALIAS) == "TYPE65401");
  CHECK(flatsign::dns::type_to_portable_string(flatsign::dns::RRType::CAA) == "CAA");
}
