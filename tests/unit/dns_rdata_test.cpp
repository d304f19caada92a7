// Table tests for the rdata codec: presentation text -> wire (expected bytes produced by
// dnspython 2.3, an independent implementation: tests/unit/README in the commit message), wire
// -> text -> wire round trips, canonical form and malformed input.
#include <catch2/catch.hpp>

#include <ctime>
#include <string>
#include <vector>

#include "common/dns/encoding.hpp"
#include "common/dns/error.hpp"
#include "common/dns/rdata.hpp"
#include "common/dns/rrset.hpp"

using namespace flatsign::dns;

namespace {

// Splits like the zone-file lexer: whitespace-separated, "quoted strings" as one token.
std::vector<std::string> split(const std::string& s, std::vector<bool>& quoted) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    std::string tok;
    bool q = s[i] == '"';
    if (q) {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) tok.push_back(s[i++]);
        tok.push_back(s[i++]);
      }
      ++i;
    } else {
      while (i < s.size() && s[i] != ' ') tok.push_back(s[i++]);
    }
    out.push_back(tok);
    quoted.push_back(q);
  }
  return out;
}

Rdata from_text(RRType type, const std::string& text,
                const Name& origin = Name::parse("example.")) {
  std::vector<bool> quoted;
  auto parts = split(text, quoted);
  std::vector<RdataToken> tokens;
  for (size_t i = 0; i < parts.size(); ++i) tokens.push_back({parts[i], quoted[i]});
  Rdata out;
  rdata_from_text(type, tokens, origin, out);
  return out;
}

std::string hex(const Rdata& r) {
  std::string s;
  hex_encode(r, s);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Row {
  const char* type;
  const char* text;
  const char* wire;
};

// Generated with dnspython: dns.rdata.from_text(IN, type, text, origin=example.,
// relativize=False).to_wire()
const Row kRows[] = {
    {"A", R"(192.0.2.1)", "c0000201"},
    {"AAAA", R"(2001:db8::1)", "20010db8000000000000000000000001"},
    {"NS", R"(ns1.example.)", "036e7331076578616d706c6500"},
    {"CNAME", R"(Target.Example.net.)", "06546172676574074578616d706c65036e657400"},
    {"DNAME", R"(other.example.)", "056f74686572076578616d706c6500"},
    {"SOA", R"(ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300)",
     "036e7331076578616d706c65000a686f73746d6173746572076578616d706c650078a3f17500001c2000000e10001"
     "275000000012c"},
    {"PTR", R"(host.example.)", "04686f7374076578616d706c6500"},
    {"MX", R"(10 mail.example.)", "000a046d61696c076578616d706c6500"},
    {"TXT", R"("v=spf1 -all" "second; string" "quote\"d")",
     "0b763d73706631202d616c6c0e7365636f6e643b20737472696e670771756f74652264"},
    {"SPF", R"("v=spf1 ~all")", "0b763d73706631207e616c6c"},
    {"HINFO", R"("PC" "Linux")", "025043054c696e7578"},
    {"SRV", R"(0 5 5060 sip.example.)", "0000000513c403736970076578616d706c6500"},
    {"NAPTR", R"(100 10 "S" "SIP+D2U" "" _sip._udp.example.)",
     "0064000a0153075349502b44325500045f736970045f756470076578616d706c6500"},
    {"CAA", R"(0 issue "letsencrypt.org")", "000569737375656c657473656e63727970742e6f7267"},
    {"TLSA", R"(3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF)",
     "0301010123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
    {"SSHFP", R"(1 1 DEADBEEFDEADBEEFDEADBEEFDEADBEEFDEADBEEF)",
     "0101deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"},
    {"DS", R"(12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF)",
     "30390d020123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
    {"CDS", R"(12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF)",
     "30390d020123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
    {"DNSKEY",
     R"(257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==)",
     "0101030d99db2cc14cabdc33d6d77da63a2f15f71112584f234e8d1dc428e39e8a4a97e1aa271a555dc90701e17e2"
     "a4c4b6f120b7c32d44f4ac02bd894cf2d4be7778a19"},
    {"CDNSKEY",
     R"(257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==)",
     "0101030d99db2cc14cabdc33d6d77da63a2f15f71112584f234e8d1dc428e39e8a4a97e1aa271a555dc90701e17e2"
     "a4c4b6f120b7c32d44f4ac02bd894cf2d4be7778a19"},
    {"RRSIG",
     R"(A 13 2 3600 20250101000000 20241201000000 12345 example. mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==)",
     "00010d0200000e1067748580674ba7003039076578616d706c650099db2cc14cabdc33d6d77da63a2f15f71112584"
     "f234e8d1dc428e39e8a4a97e1aa271a555dc90701e17e2a4c4b6f120b7c32d44f4ac02bd894cf2d4be7778a19"},
    {"NSEC", R"(b.example. A MX RRSIG NSEC TYPE1234)",
     "0162076578616d706c65000006400100000003041b000000000000000000000000000000000000000000000000000"
     "020"},
    {"NSEC3", R"(1 1 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG)",
     "010100000014174eb2409fe28bcb4887a1836f957f0a8425e27b0006400000000002"},
    {"NSEC3PARAM", R"(1 0 0 -)", "0100000000"},
    {"NSEC3PARAM", R"(1 0 10 AABBCCDD)", "0100000a04aabbccdd"},
    {"SVCB", R"(1 . alpn="h2,h3" port=8443 ipv4hint=192.0.2.1,192.0.2.2)",
     "000100000100060268320268330003000220fb00040008c0000201c0000202"},
    {"HTTPS", R"(1 . alpn="h3" ipv6hint=2001:db8::1)",
     "000100000100030268330006001020010db8000000000000000000000001"},
    {"HTTPS", R"(0 svc.example.)", "000003737663076578616d706c6500"},
    {"ALIAS", R"(lb-123.eu-west-1.elb.amazonaws.com.)",
     "066c622d3132330965752d776573742d3103656c6209616d617a6f6e61777303636f6d00"},
    {"TYPE65534", R"(\# 4 0a000001)", "0a000001"},
    {"TYPE65534", R"(\# 0)", ""},
    {"A", R"(\# 4 c0000201)", "c0000201"},
};

}  // namespace

TEST_CASE("rdata text to wire matches dnspython for every type", "[rdata]") {
  for (const auto& row : kRows) {
    INFO(row.type << " " << row.text);
    auto type = type_from_string(row.type);
    REQUIRE(type);
    auto wire = from_text(*type, row.text);
    CHECK(hex(wire) == row.wire);
    // Print and parse back: the same wire (the printer's text is the codec's own dialect).
    auto text = rdata_to_text(*type, wire);
    INFO("printed: " << text);
    CHECK(hex(from_text(*type, text)) == row.wire);
    // Wire validation accepts it.
    CHECK_NOTHROW(rdata_validate(*type, wire));
  }
}

TEST_CASE("rdata printing uses canonical presentation", "[rdata]") {
  CHECK(rdata_to_text(RRType::A, from_text(RRType::A, "192.0.2.1")) == "192.0.2.1");
  CHECK(rdata_to_text(RRType::MX, from_text(RRType::MX, "10 mail")) == "10 mail.example.");
  CHECK(rdata_to_text(RRType::TXT, from_text(RRType::TXT, R"("a\"b" "c\\d" "\007")")) ==
        R"("a\"b" "c\\d" "\007")");
  CHECK(rdata_to_text(RRType::TXT, from_text(RRType::TXT, R"("semi;colon")")) == R"("semi;colon")");
  CHECK(rdata_to_text(RRType::NSEC3PARAM, from_text(RRType::NSEC3PARAM, "1 0 0 -")) == "1 0 0 -");
  CHECK(rdata_to_text(RRType::NSEC, from_text(RRType::NSEC, "b.example.")) == "b.example.");
  CHECK(rdata_to_text(static_cast<RRType>(65534),
                      from_text(static_cast<RRType>(65534), R"(\# 0)")) == R"(\# 0)");
  CHECK(rdata_to_text(RRType::SOA, from_text(RRType::SOA, "ns1 host 1 1h 30m 1w 5m")) ==
        "ns1.example. host.example. 1 3600 1800 604800 300");
  CHECK(rdata_to_text(RRType::RRSIG,
                      from_text(RRType::RRSIG,
                                "A 13 2 3600 20250101000000 20241201000000 1 example. AAAA")) ==
        "A 13 2 3600 20250101000000 20241201000000 1 example. AAAA");
}

TEST_CASE("a type bitmap takes its types in any order, once each, up to the last window",
          "[rdata]") {
  // RFC 4034 §4.1.2: window 0 (A), window 1 (type 256), window 255 (type 65535: the last octet
  // of a 32-octet window).
  const std::string expected =
      std::string("017800") + "000140" + "010180" + "ff20" + std::string(62, '0') + "01";
  CHECK(hex(from_text(RRType::NSEC, "x. TYPE65535 A TYPE256 A")) == expected);
}

TEST_CASE("RRSIG times print as gmtime and strftime print them, over the whole 32-bit range",
          "[rdata]") {
  // Reference: the C library's calendar. Leap days, century years, both ends of the range.
  auto reference = [](uint32_t v) {
    std::time_t t = static_cast<std::time_t>(v);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return std::string(buf);
  };
  std::vector<uint32_t> times = {0,          59,         86399,     86400,     68169599,
                                 68169600,   951782399,  951782400, 951868800, 4102444799,
                                 4102444800, 0xFFFFFFFE, 0xFFFFFFFF};
  for (uint64_t v = 12345; v <= 0xFFFFFFFFULL; v += 7919 * 3607) times.push_back(uint32_t(v));
  for (uint32_t v : times) {
    const std::string when = reference(v);
    const std::string text = "A 13 2 3600 " + when + " " + when + " 1 example. AAAA";
    CHECK(rdata_to_text(RRType::RRSIG, from_text(RRType::RRSIG, text)) == text);
  }
}

TEST_CASE("rdata rejects malformed text with the failing token", "[rdata]") {
  auto fails_at = [](RRType t, const std::string& text, size_t token) {
    try {
      from_text(t, text);
      FAIL("accepted: " << text);
    } catch (const ParseError& e) {
      INFO(e.what());
      CHECK(e.token() == token);
    }
  };
  fails_at(RRType::A, "192.0.2", 0);
  fails_at(RRType::A, "192.0.2.1 extra", 1);
  fails_at(RRType::AAAA, "192.0.2.1", 0);
  fails_at(RRType::MX, "70000 mail", 0);
  fails_at(RRType::MX, "10", 1);
  fails_at(RRType::SOA, "ns host 1 2 3 4 5x", 6);
  fails_at(RRType::TXT, std::string("\"") + std::string(256, 'a') + "\"", 0);
  fails_at(RRType::DS, "1 13 2 XYZ", 3);
  fails_at(RRType::NSEC, "next. A BOGUS", 2);
  fails_at(static_cast<RRType>(65534), "0a000001", 0);
  fails_at(static_cast<RRType>(65534), R"(\# 3 0a000001)", 1);
  fails_at(RRType::A, R"(\# 3 0a0000)", ParseError::kNoToken);  // validated: A needs 4 octets
  fails_at(RRType::CAA, R"(0 is-sue "x")", 1);
  fails_at(RRType::SVCB, R"(1 . bogus=1)", 2);
}

TEST_CASE("rdata from wire decompresses allowed names and checks every field", "[rdata][wire]") {
  // A message with "example." at offset 12, then an MX RDATA whose exchange is a pointer to it.
  std::vector<uint8_t> msg(12, 0);
  const uint8_t name[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
  msg.insert(msg.end(), name, name + sizeof name);
  size_t rd = msg.size();
  const uint8_t mx[] = {0, 10, 4, 'm', 'a', 'i', 'l', 0xC0, 12};
  msg.insert(msg.end(), mx, mx + sizeof mx);
  WireReader r(msg, rd);
  Rdata out;
  REQUIRE(rdata_from_wire(RRType::MX, r, sizeof mx, out));
  CHECK(rdata_to_text(RRType::MX, out) == "10 mail.example.");

  // RFC 3597 §4: no pointers in RRSIG's signer name.
  std::vector<uint8_t> sig(msg.begin(), msg.begin() + static_cast<long>(rd));
  const uint8_t rrsig[] = {0, 1, 13, 2, 0, 0, 14, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0xC0, 12, 0xAA};
  sig.insert(sig.end(), rrsig, rrsig + sizeof rrsig);
  WireReader r2(sig, rd);
  Rdata out2;
  CHECK_FALSE(rdata_from_wire(RRType::RRSIG, r2, sizeof rrsig, out2));
  REQUIRE(r2.error());
  CHECK(r2.error()->offset() == rd + 18);

  // Every truncation of a valid A/SOA/TXT RDATA is rejected without reading past it.
  for (auto [type, text] :
       {std::pair{RRType::SOA, "ns1 host 1 2 3 4 5"}, std::pair{RRType::TXT, R"("abc" "de")"},
        std::pair{RRType::NSEC3, "1 1 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A"}}) {
    auto full = from_text(type, text);
    for (size_t n = 0; n < full.size(); ++n) {
      INFO(type_to_string(type) << " truncated to " << n);
      std::vector<uint8_t> part(full.begin(), full.begin() + static_cast<long>(n));
      WireReader rr(part);
      Rdata o;
      bool ok = rdata_from_wire(type, rr, static_cast<uint16_t>(n), o);
      // The only valid prefixes: "abc" alone (TXT), and NSEC3 without its bitmap (an ENT).
      bool valid_prefix =
          (type == RRType::TXT && n == 4) || (type == RRType::NSEC3 && n == full.size() - 3);
      CHECK(ok == valid_prefix);
      if (!ok) CHECK(rr.error().has_value());
    }
  }
}

TEST_CASE("canonical form lowercases exactly the RFC 4034 §6.2 names", "[rdata][canonical]") {
  auto canon = [](RRType t, const std::string& text) {
    auto w = from_text(t, text);
    Rdata c;
    rdata_to_canonical(t, w, c);
    return rdata_to_text(t, c);
  };
  CHECK(canon(RRType::CNAME, "WWW.Example.") == "www.example.");
  CHECK(canon(RRType::MX, "10 MAIL.Example.") == "10 mail.example.");
  CHECK(canon(RRType::SRV, "0 0 1 SIP.Example.") == "0 0 1 sip.example.");
  CHECK(canon(RRType::RRSIG, "A 13 2 1 20250101000000 20241201000000 1 EXAMPLE. AA==") ==
        "A 13 2 1 20250101000000 20241201000000 1 example. AA==");
  // RFC 6840 §5.1: not the NSEC next name.
  CHECK(canon(RRType::NSEC, "B.Example. A") == "B.Example. A");
  // RFC 9460: SVCB TargetName is not in the list.
  CHECK(canon(RRType::SVCB, "1 SVC.Example.") == "1 SVC.Example.");
  // Ordering compares canonical forms (RFC 4034 §6.3).
  CHECK(rdata_compare(RRType::NS, from_text(RRType::NS, "A.example."),
                      from_text(RRType::NS, "a.example.")) == 0);
  CHECK(rdata_compare(RRType::A, from_text(RRType::A, "10.0.0.1"),
                      from_text(RRType::A, "9.0.0.1")) > 0);
}

TEST_CASE("TTL text accepts BIND units", "[rdata][ttl]") {
  CHECK(parse_ttl("3600") == 3600u);
  CHECK(parse_ttl("1h30m") == 5400u);
  CHECK(parse_ttl("1W") == 604800u);
  CHECK(parse_ttl("2d1s") == 172801u);
  CHECK_FALSE(parse_ttl("1h30"));
  CHECK_FALSE(parse_ttl("h"));
  CHECK_FALSE(parse_ttl(""));
  CHECK_FALSE(parse_ttl("2147483648"));
  CHECK(parse_ttl("2147483647") == 2147483647u);
}

TEST_CASE("SOA accessors read and write the serial", "[rdata]") {
  auto soa = from_text(RRType::SOA, "ns1 host 2024010101 2 3 4 300");
  CHECK(soa_serial(soa) == 2024010101u);
  CHECK(soa_minimum(soa) == 300u);
  set_soa_serial(soa, 7);
  CHECK(rdata_to_text(RRType::SOA, soa) == "ns1.example. host.example. 7 2 3 4 300");
  CHECK(rdata_target(RRType::MX, from_text(RRType::MX, "1 mx"))->to_string() == "mx.example.");
  CHECK_FALSE(rdata_target(RRType::A, from_text(RRType::A, "1.2.3.4")));
}
