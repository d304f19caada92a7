// Message parser and writer: compression pointers, truncated and miscounted packets, EDNS0,
// TC behaviour and AXFR splitting, mostly as table tests over hand-built packets.
#include "common/dns/message.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/dns/rdata.hpp"

using namespace flatsign::dns;

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void put_name(Bytes& b, const std::string& text) {
  Name n = Name::parse(text);
  auto w = n.wire();
  b.insert(b.end(), w.begin(), w.end());
}
Bytes header(uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar, uint16_t flags = 0x8400) {
  Bytes b;
  put16(b, 0x1234);
  put16(b, flags);
  put16(b, qd);
  put16(b, an);
  put16(b, ns);
  put16(b, ar);
  return b;
}
// Question "a.example. A IN" at offset 12: "a" label at 12, "example" at 14, root at 22.
Bytes with_question(uint16_t an, uint16_t ns = 0, uint16_t ar = 0) {
  Bytes b = header(1, an, ns, ar);
  put_name(b, "a.example.");
  put16(b, 1);
  put16(b, 1);
  return b;
}
void rr_fixed(Bytes& b, uint16_t type, uint16_t rclass, uint32_t ttl, uint16_t rdlen) {
  put16(b, type);
  put16(b, rclass);
  put32(b, ttl);
  put16(b, rdlen);
}
Rr make_rr(const std::string& owner, RRType type, const std::string& text, uint32_t ttl = 3600) {
  Rr rr{Name::parse(owner), type, RRClass::IN, ttl, {}};
  std::vector<std::string> words;
  std::vector<RdataToken> toks;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    words.push_back(text.substr(i, j - i));
    i = j;
  }
  for (const auto& w : words) toks.push_back({w, false});
  rdata_from_text(type, toks, Name(), rr.rdata);
  return rr;
}

}  // namespace

TEST_CASE("message round-trips header, question, sections and EDNS", "[message]") {
  Message m;
  m.id = 0xBEEF;
  m.qr = m.aa = m.rd = m.ad = true;
  m.opcode = Opcode::QUERY;
  m.rcode = static_cast<uint16_t>(Rcode::NXDOMAIN);
  m.questions.push_back({Name::parse("www.example.com."), RRType::A, RRClass::IN});
  m.answer.push_back(make_rr("www.example.com.", RRType::CNAME, "web.example.com."));
  m.answer.push_back(make_rr("web.example.com.", RRType::A, "192.0.2.1"));
  m.authority.push_back(make_rr("example.com.", RRType::SOA,
                                "ns1.example.com. host.example.com. 1 7200 3600 1209600 300"));
  m.additional.push_back(make_rr("ns1.example.com.", RRType::AAAA, "2001:db8::1"));
  m.edns = Edns{};
  m.edns->udp_payload = 1400;
  m.edns->do_bit = true;
  m.edns->options.push_back({10, {1, 2, 3, 4, 5, 6, 7, 8}});  // COOKIE
  m.edns->options.push_back({65001, {}});
  auto wire = write_message(m, 1400);
  Message p = parse_message(wire);
  CHECK(p.id == 0xBEEF);
  CHECK(p.qr);
  CHECK(p.aa);
  CHECK(p.rd);
  CHECK(p.ad);
  CHECK_FALSE(p.tc);
  CHECK_FALSE(p.ra);
  CHECK(p.rcode == 3);
  REQUIRE(p.questions.size() == 1);
  CHECK(p.questions[0] == m.questions[0]);
  REQUIRE(p.answer.size() == 2);
  CHECK(p.answer[0].rdata == m.answer[0].rdata);
  CHECK(p.answer[1].owner == m.answer[1].owner);
  REQUIRE(p.authority.size() == 1);
  CHECK(p.authority[0].rdata == m.authority[0].rdata);
  REQUIRE(p.additional.size() == 1);
  REQUIRE(p.edns);
  CHECK(p.edns->udp_payload == 1400);
  CHECK(p.edns->do_bit);
  CHECK(p.edns->version == 0);
  CHECK(p.edns->options == m.edns->options);
  // Names were compressed: "example.com." is written in full only once.
  std::string s(wire.begin(), wire.end());
  CHECK(s.find("\x07"
               "example\x03"
               "com") == s.rfind("\x07"
                                 "example\x03"
                                 "com"));
}

TEST_CASE("extended RCODE travels in the OPT TTL", "[message]") {
  Message m;
  m.qr = true;
  m.rcode = static_cast<uint16_t>(Rcode::BADVERS);  // 16: header 0, OPT ext 1
  m.edns = Edns{};
  auto wire = write_message(m);
  CHECK((wire[3] & 0x0F) == 0);
  Message p = parse_message(wire);
  CHECK(p.rcode_value() == Rcode::BADVERS);
  CHECK(p.edns->ext_rcode == 1);
}

struct PointerCase {
  const char* what;
  Bytes target;  // the answer owner name as raw octets
  bool ok;
  const char* owner;
};

TEST_CASE("compression pointers at legal and illegal places", "[message][compression]") {
  // Answer RR starts at offset 27 (header 12 + question 15).
  const std::vector<PointerCase> cases = {
      {"back to the question name", {0xC0, 12}, true, "a.example."},
      {"back to a suffix", {0xC0, 14}, true, "example."},
      {"back to the root label", {0xC0, 22}, true, "."},
      {"label then pointer", {1, 'b', 0xC0, 12}, true, "b.a.example."},
      {"self pointer", {0xC0, 27}, false, ""},
      {"forward pointer", {0xC0, 40}, false, ""},
      {"pointer past the end", {0xFF, 0xFF}, false, ""},
      {"pointer into the header", {0xC0, 4}, false, ""},
      {"pointer to offset 0", {0xC0, 0}, false, ""},
      {"label then pointer to itself", {1, 'b', 0xC0, 27}, false, ""},
      {"reserved label type 0x40", {0x41, 'x', 0}, false, ""},
      {"reserved label type 0x80", {0x81, 'x', 0}, false, ""},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      Bytes b = with_question(1);
      REQUIRE(b.size() == 27);
      b.insert(b.end(), c.target.begin(), c.target.end());
      rr_fixed(b, 1, 1, 60, 4);
      b.insert(b.end(), {192, 0, 2, 1});
      if (c.ok) {
        Message m = parse_message(b);
        REQUIRE(m.answer.size() == 1);
        CHECK(m.answer[0].owner.to_string() == c.owner);
      } else {
        CHECK_THROWS_AS(parse_message(b), WireError);
      }
    }
  }
}

TEST_CASE("compression loops are rejected", "[message][compression]") {
  // RR 1 (owner at 27) carries opaque RDATA {C0 41} at 39; RR 2's owner at 41 points to 39,
  // which points back to 41: a loop, caught because the second jump does not go backwards.
  Bytes b = with_question(2);
  b.insert(b.end(), {0xC0, 12});
  rr_fixed(b, 65534, 1, 60, 2);
  REQUIRE(b.size() == 39);
  b.insert(b.end(), {0xC0, 41});
  b.insert(b.end(), {0xC0, 39});
  rr_fixed(b, 1, 1, 60, 4);
  b.insert(b.end(), {192, 0, 2, 2});
  CHECK_THROWS_AS(parse_message(b), WireError);
  // Same layout with the opaque RDATA pointing back to the question: a legal two-hop chain.
  b[40] = 12;
  Message m = parse_message(b);
  CHECK(m.answer[1].owner.to_string() == "a.example.");
}

TEST_CASE("compression pointers inside RDATA follow RFC 3597 §4", "[message][compression]") {
  SECTION("MX exchange may be compressed") {
    Bytes b = with_question(1);
    b.insert(b.end(), {0xC0, 12});
    rr_fixed(b, 15, 1, 60, 4);
    put16(b, 10);
    b.insert(b.end(), {0xC0, 14});
    Message m = parse_message(b);
    CHECK(rdata_to_text(RRType::MX, m.answer[0].rdata) == "10 example.");
  }
  SECTION("MX pointer into the header") {
    Bytes b = with_question(1);
    b.insert(b.end(), {0xC0, 12});
    rr_fixed(b, 15, 1, 60, 4);
    put16(b, 10);
    b.insert(b.end(), {0xC0, 2});
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
  SECTION("NSEC next name may not be compressed") {
    Bytes b = with_question(1);
    b.insert(b.end(), {0xC0, 12});
    rr_fixed(b, 47, 1, 60, 2 + 3);
    b.insert(b.end(), {0xC0, 14, 0, 1, 0x40});
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
}

TEST_CASE("every truncation of a valid packet is a WireError", "[message][truncation]") {
  Message m;
  m.id = 7;
  m.qr = true;
  m.questions.push_back({Name::parse("example.org."), RRType::ANY, RRClass::IN});
  m.answer.push_back(make_rr("example.org.", RRType::MX, "10 mail.example.org."));
  m.answer.push_back(make_rr("example.org.", RRType::TXT, "hello world"));
  m.answer.push_back(
      make_rr("example.org.", RRType::SOA, "ns.example.org. h.example.org. 5 1 2 3 4"));
  m.authority.push_back(make_rr("example.org.", RRType::NS, "ns.example.org."));
  m.additional.push_back(make_rr("ns.example.org.", RRType::A, "198.51.100.7"));
  m.edns = Edns{};
  m.edns->options.push_back({8, {0, 1, 24, 0, 192, 0, 2}});
  auto wire = write_message(m);
  REQUIRE_NOTHROW(parse_message(wire));
  for (size_t len = 0; len < wire.size(); ++len) {
    INFO("length " << len);
    CHECK_THROWS_AS(parse_message(std::span(wire).first(len)), WireError);
  }
}

TEST_CASE("counts that disagree with the data", "[message][counts]") {
  Bytes rr;  // "a.example. A 192.0.2.1" as a pointer to the question
  rr.insert(rr.end(), {0xC0, 12});
  rr_fixed(rr, 1, 1, 60, 4);
  rr.insert(rr.end(), {192, 0, 2, 1});
  struct Case {
    const char* what;
    uint16_t qd, an, ns, ar;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"exact", 1, 1, 0, 0, true},
      {"answer count one too high", 1, 2, 0, 0, false},
      {"answer count 65535", 1, 0xFFFF, 0, 0, false},
      {"question count too high", 2, 1, 0, 0, false},
      {"record counted in authority", 1, 0, 1, 0, true},
      {"additional count too high", 1, 1, 0, 1, false},
      {"answer count too low (trailing record)", 1, 0, 0, 0, false},
      {"question count zero (trailing octets)", 0, 1, 0, 0, false},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      Bytes b = header(c.qd, c.an, c.ns, c.ar);
      put_name(b, "a.example.");
      put16(b, 1);
      put16(b, 1);
      b.insert(b.end(), rr.begin(), rr.end());
      if (c.ok) {
        CHECK_NOTHROW(parse_message(b));
      } else {
        CHECK_THROWS_AS(parse_message(b), WireError);
      }
    }
  }
  SECTION("RDLENGTH past the end") {
    Bytes b = with_question(1);
    b.insert(b.end(), {0xC0, 12});
    rr_fixed(b, 1, 1, 60, 5);
    b.insert(b.end(), {192, 0, 2, 1});
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
  SECTION("A with RDLENGTH 3 followed by another RR") {
    Bytes b = with_question(2);
    b.insert(b.end(), {0xC0, 12});
    rr_fixed(b, 1, 1, 60, 3);
    b.insert(b.end(), {192, 0, 2});
    b.insert(b.end(), rr.begin(), rr.end());
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
  SECTION("short header") {
    Bytes b = header(0, 0, 0, 0);
    CHECK_NOTHROW(parse_message(b));
    b.pop_back();
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
  SECTION("trailing garbage after a complete message") {
    Bytes b = header(0, 0, 0, 0);
    b.push_back(0);
    try {
      (void)parse_message(b);
      FAIL("accepted trailing garbage");
    } catch (const WireError& e) {
      CHECK(e.offset() == 12);
    }
  }
}

namespace {

// An OPT RR: root owner, payload, ext rcode, version, DO, options.
void put_opt(Bytes& b, uint16_t payload, uint8_t ext, bool dobit, const Bytes& options,
             const std::string& owner = ".") {
  put_name(b, owner);
  put16(b, 41);
  put16(b, payload);
  put32(b, static_cast<uint32_t>(ext) << 24 | (dobit ? 0x8000u : 0u));
  put16(b, static_cast<uint16_t>(options.size()));
  b.insert(b.end(), options.begin(), options.end());
}

}  // namespace

TEST_CASE("EDNS0 OPT parsing", "[message][edns]") {
  SECTION("payload, DO, options preserved in order") {
    Bytes b = header(0, 0, 0, 1);
    put_opt(b, 4096, 0, true, {0, 10, 0, 2, 0xAA, 0xBB, 0, 3, 0, 0, 0xFF, 0xFF, 0, 1, 7});
    Message m = parse_message(b);
    REQUIRE(m.edns);
    CHECK(m.edns->udp_payload == 4096);
    CHECK(m.edns->do_bit);
    REQUIRE(m.edns->options.size() == 3);
    CHECK(m.edns->options[0] == EdnsOption{10, {0xAA, 0xBB}});
    CHECK(m.edns->options[1] == EdnsOption{3, {}});
    CHECK(m.edns->options[2] == EdnsOption{0xFFFF, {7}});
    CHECK(m.additional.empty());
    // Written back byte for byte.
    CHECK(write_message(m) == b);
  }
  SECTION("extended rcode combines with the header rcode") {
    Bytes b = header(0, 0, 0, 1, 0x8003);
    put_opt(b, 1232, 0x01, false, {});
    Message m = parse_message(b);
    CHECK(m.rcode == (1 << 4 | 3));
  }
  SECTION("option longer than the OPT RDATA") {
    Bytes b = header(0, 0, 0, 1);
    put_opt(b, 1232, 0, false, {0, 10, 0, 9, 1, 2});
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
  SECTION("half an option header") {
    Bytes b = header(0, 0, 0, 1);
    put_opt(b, 1232, 0, false, {0, 10, 0});
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
  SECTION("two OPT RRs") {
    Bytes b = header(0, 0, 0, 2);
    put_opt(b, 1232, 0, false, {});
    put_opt(b, 1232, 0, false, {});
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
  SECTION("OPT in the answer section") {
    Bytes b = header(0, 1, 0, 0);
    put_opt(b, 1232, 0, false, {});
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
  SECTION("OPT owner not the root") {
    Bytes b = header(0, 0, 0, 1);
    put_opt(b, 1232, 0, false, {}, "example.");
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
}

TEST_CASE("TSIG must be the last additional record", "[message][tsig]") {
  Bytes tsig;
  put_name(tsig, "key.");
  rr_fixed(tsig, 250, 255, 0, 0);
  Bytes tsig_rdata;
  put_name(tsig_rdata, "hmac-sha256.");
  tsig_rdata.insert(tsig_rdata.end(), {0, 0, 0, 0, 0, 1, 1, 44, 0, 0, 0x12, 0x34, 0, 0, 0, 0});
  tsig[tsig.size() - 1] = static_cast<uint8_t>(tsig_rdata.size());
  tsig.insert(tsig.end(), tsig_rdata.begin(), tsig_rdata.end());
  SECTION("last: accepted") {
    Bytes b = header(0, 0, 0, 2);
    put_opt(b, 1232, 0, false, {});
    b.insert(b.end(), tsig.begin(), tsig.end());
    Message m = parse_message(b);
    REQUIRE(m.tsig);
    CHECK(m.tsig_offset == 12 + 11);
    CHECK(m.additional.empty());
  }
  SECTION("followed by OPT: rejected") {
    Bytes b = header(0, 0, 0, 2);
    b.insert(b.end(), tsig.begin(), tsig.end());
    put_opt(b, 1232, 0, false, {});
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
  SECTION("in the answer section: rejected") {
    Bytes b = header(0, 1, 0, 0);
    b.insert(b.end(), tsig.begin(), tsig.end());
    CHECK_THROWS_AS(parse_message(b), WireError);
  }
}

TEST_CASE("UPDATE deletions with empty RDATA", "[message]") {
  Bytes b = header(0, 0, 1, 0, static_cast<uint16_t>(5 << 11));
  put_name(b, "host.example.");
  rr_fixed(b, 1, 255, 0, 0);  // delete an RRset: class ANY, RDLENGTH 0 (RFC 2136 §2.5.2)
  Message m = parse_message(b);
  CHECK(m.opcode == Opcode::UPDATE);
  REQUIRE(m.authority.size() == 1);
  CHECK(m.authority[0].rdata.empty());
  Bytes bad = header(0, 0, 1, 0);
  put_name(bad, "host.example.");
  rr_fixed(bad, 1, 1, 0, 0);  // class IN: an A needs 4 octets
  CHECK_THROWS_AS(parse_message(bad), WireError);
  // Found by fuzz/targets/message.cpp: an empty RDATA of a type whose RDATA holds names (NS,
  // MX, ...) was written by walking its fields, reading past the end.
  for (uint16_t type : {2, 5, 15, 6, 33, 39}) {  // NS, CNAME, MX, SOA, SRV, DNAME
    Bytes del = header(0, 0, 1, 0, static_cast<uint16_t>(5 << 11));
    put_name(del, "old.example.");
    rr_fixed(del, type, 255, 0, 0);
    Message d = parse_message(del);
    REQUIRE(d.authority.size() == 1);
    const Bytes written = write_message(d);
    CHECK(written == del);
    CHECK(parse_message(written).authority.at(0).rdata.empty());
  }
}

TEST_CASE("writer drops whole RRsets that do not fit and keeps room for OPT", "[message][tc]") {
  Message m;
  m.qr = true;
  m.questions.push_back({Name::parse("big.example."), RRType::TXT, RRClass::IN});
  std::string long_text(200, 'x');
  for (int set = 0; set < 4; ++set) {
    for (int i = 0; i < 2; ++i) {
      m.answer.push_back(make_rr("s" + std::to_string(set) + ".big.example.", RRType::TXT,
                                 long_text + std::to_string(i)));
    }
  }
  SECTION("512 without EDNS: one RRset fits, TC set") {
    auto wire = write_message(m, 512);
    CHECK(wire.size() <= 512);
    Message p = parse_message(wire);
    CHECK(p.tc);
    CHECK(p.answer.size() == 2);
    CHECK(p.answer[0].owner == p.answer[1].owner);
  }
  SECTION("EDNS 1232: OPT always present, two sets") {
    m.edns = Edns{};
    m.edns->options.push_back({12, Bytes(100, 0)});  // padding
    auto wire = write_message(m, 1232);
    CHECK(wire.size() <= 1232);
    Message p = parse_message(wire);
    CHECK(p.tc);
    CHECK(p.answer.size() % 2 == 0);
    CHECK(p.answer.size() >= 2);
    REQUIRE(p.edns);
    CHECK(p.edns->options.size() == 1);
  }
  SECTION("TCP: everything fits") {
    Message p = parse_message(write_message(m, 65535));
    CHECK_FALSE(p.tc);
    CHECK(p.answer.size() == 8);
  }
  SECTION("additional section overflow does not set TC (RFC 2181 §9)") {
    Message a;
    a.qr = true;
    a.answer.push_back(make_rr("x.example.", RRType::A, "192.0.2.1"));
    a.additional = m.answer;
    Message p = parse_message(write_message(a, 512));
    CHECK_FALSE(p.tc);
    CHECK(p.answer.size() == 1);
    CHECK(p.additional.size() == 2);
  }
  SECTION("MessageWriter reports a dropped set and stays valid") {
    MessageWriter w(512);
    w.reset(m);
    REQUIRE(w.add_question(m.questions[0]));
    w.reserve(20);
    REQUIRE(w.add_rrs(Section::Answer, std::span(m.answer).first(2)));
    size_t before = w.size();
    CHECK_FALSE(w.add_rrs(Section::Answer, std::span(m.answer).subspan(2, 2)));
    CHECK(w.size() == before);
    CHECK(w.count(Section::Answer) == 2);
    REQUIRE(w.add_rr(Section::Additional, make_rr("x.", RRType::A, "192.0.2.9")));
    w.set_tc();
    auto wire = w.finish();
    Message p = parse_message(wire);
    CHECK(p.tc);
    CHECK(p.answer.size() == 2);
    CHECK(p.additional.size() == 1);
    CHECK(wire.size() <= 512 - 20);
  }
}

TEST_CASE("AXFR packer splits a zone into messages under 64 KiB", "[message][axfr]") {
  Question q{Name::parse("example.net."), RRType::AXFR, RRClass::IN};
  std::vector<Rr> rrs;
  Rr soa = make_rr("example.net.", RRType::SOA, "ns.example.net. h.example.net. 9 1 2 3 4");
  rrs.push_back(soa);
  for (int i = 0; i < 6000; ++i) {
    rrs.push_back(make_rr("host" + std::to_string(i) + ".example.net.", RRType::TXT,
                          "some text to fill the message " + std::to_string(i)));
  }
  rrs.push_back(soa);
  const size_t reserve = 100;
  AxfrPacker packer(0x4242, q, kAxfrMessageLimit, reserve);
  std::vector<Bytes> messages;
  for (const auto& rr : rrs) {
    if (auto done = packer.add(rr)) messages.push_back(std::move(*done));
  }
  messages.push_back(packer.finish());
  REQUIRE(messages.size() >= 3);
  std::vector<Rr> got;
  for (size_t i = 0; i < messages.size(); ++i) {
    INFO("message " << i);
    CHECK(messages[i].size() <= kAxfrMessageLimit - reserve);
    Message p = parse_message(messages[i]);
    CHECK(p.id == 0x4242);
    CHECK(p.qr);
    CHECK(p.aa);
    CHECK(p.questions.size() == (i == 0 ? 1u : 0u));
    if (i + 1 < messages.size()) CHECK(messages[i].size() > 60000);
    got.insert(got.end(), p.answer.begin(), p.answer.end());
  }
  REQUIRE(got.size() == rrs.size());
  for (size_t i = 0; i < rrs.size(); ++i) {
    CHECK(got[i].owner == rrs[i].owner);
    CHECK(got[i].rdata == rrs[i].rdata);
  }
}

TEST_CASE("response size limits (RFC 6891 §6.2.5)", "[message]") {
  Message q;
  CHECK(response_size_limit(q, false) == 512);
  CHECK(response_size_limit(q, true) == 65535);
  q.edns = Edns{};
  q.edns->udp_payload = 100;
  CHECK(response_size_limit(q, false) == 512);
  q.edns->udp_payload = 4096;
  CHECK(response_size_limit(q, false) == 1232);
  CHECK(response_size_limit(q, false, 4000) == 4000);
}

TEST_CASE("mutated packets parse or fail with WireError, never worse", "[message][fuzz]") {
  Message m;
  m.id = 99;
  m.qr = true;
  m.questions.push_back({Name::parse("a.example.org."), RRType::A, RRClass::IN});
  m.answer.push_back(make_rr("a.example.org.", RRType::CNAME, "b.example.org."));
  m.answer.push_back(make_rr("b.example.org.", RRType::A, "192.0.2.1"));
  m.authority.push_back(
      make_rr("example.org.", RRType::SOA, "ns.example.org. h.example.org. 5 1 2 3 4"));
  m.authority.push_back(make_rr("example.org.", RRType::NSEC, "c.example.org. A NS SOA"));
  m.additional.push_back(make_rr("ns.example.org.", RRType::MX, "1 example.org."));
  m.edns = Edns{};
  m.edns->options.push_back({10, {1, 2, 3, 4, 5, 6, 7, 8}});
  const Bytes base = write_message(m);
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return seed >> 16;
  };
  size_t parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = base;
    int flips = 1 + static_cast<int>(next() % 4);
    for (int f = 0; f < flips; ++f) b[next() % b.size()] = static_cast<uint8_t>(next());
    try {
      Message p = parse_message(b);
      ++parsed;
      // Whatever parses writes back and parses again to the same records.
      Message again = parse_message(write_message(p));
      REQUIRE(again.answer.size() == p.answer.size());
      REQUIRE(again.authority.size() == p.authority.size());
      REQUIRE(again.additional.size() == p.additional.size());
    } catch (const WireError&) {
    }
  }
  CHECK(parsed > 0);
}
