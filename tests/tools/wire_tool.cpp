// flatsign-wire-tool: decodes DNS messages to presentation format and encodes presentation RRs
// into a response message, so integration tests can cross-check the wire layer with other tools.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/dns/rdata.hpp"

namespace dns = flatsign::dns;

namespace {

std::vector<uint8_t> read_stdin() {
  std::vector<uint8_t> data;
  std::freopen(nullptr, "rb", stdin);
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) data.insert(data.end(), buf, buf + n);
  return data;
}

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Input that is only hex digits and white space is hex text; anything else is raw wire.
std::vector<uint8_t> maybe_unhex(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (uint8_t c : in) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    int v = hex_value(c);
    if (v < 0) return in;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return hi < 0 ? out : in;
}

std::string to_hex(std::span<const uint8_t> b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

std::string rr_line(const dns::Rr& rr) {
  std::string s = rr.owner.to_string() + " " + std::to_string(rr.ttl) + " " +
                  dns::class_to_string(rr.rclass) + " " + dns::type_to_string(rr.type);
  // RFC 2136 §2.5: UPDATE deletions (class NONE/ANY) carry no RDATA to print.
  bool update_empty =
      rr.rdata.empty() && (rr.rclass == dns::RRClass::NONE || rr.rclass == dns::RRClass::ANY);
  if (!update_empty) s += " " + dns::rdata_to_text(rr.type, rr.rdata);
  return s;
}

void print_message(const dns::Message& m, bool header) {
  if (header) {
    std::string flags;
    for (auto [on, name] : {std::pair{m.qr, "qr"},
                            {m.aa, "aa"},
                            {m.tc, "tc"},
                            {m.rd, "rd"},
                            {m.ra, "ra"},
                            {m.ad, "ad"},
                            {m.cd, "cd"}}) {
      if (on) flags += std::string(" ") + name;
    }
    std::cout << ";; id " << m.id << " opcode " << static_cast<int>(m.opcode) << " rcode "
              << m.rcode << " flags" << flags << "\n";
    if (m.edns) {
      std::cout << ";; edns version " << int(m.edns->version) << " payload " << m.edns->udp_payload
                << (m.edns->do_bit ? " do" : "") << "\n";
      for (const auto& o : m.edns->options) {
        std::cout << ";; option " << o.code << " " << to_hex(o.data) << "\n";
      }
    }
    for (const auto& q : m.questions) {
      std::cout << ";; question " << q.qname.to_string() << " " << dns::class_to_string(q.qclass)
                << " " << dns::type_to_string(q.qtype) << "\n";
    }
  }
  const char* names[] = {"answer", "authority", "additional"};
  const std::vector<dns::Rr>* sections[] = {&m.answer, &m.authority, &m.additional};
  for (int s = 0; s < 3; ++s) {
    if (header) std::cout << ";; " << names[s] << " " << sections[s]->size() << "\n";
    for (const auto& rr : *sections[s]) std::cout << rr_line(rr) << "\n";
  }
  if (header && m.tsig) std::cout << ";; tsig " << m.tsig->owner.to_string() << "\n";
}

// Splits one presentation line into tokens: white space separates, "..." keeps spaces (escapes
// stay undecoded for rdata_from_text), ';' outside quotes starts a comment.
std::vector<dns::RdataToken> tokenize(const std::string& line, std::vector<std::string>& store) {
  std::vector<std::pair<std::string, bool>> raw;
  size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == ';') {
      break;
    } else if (c == '"') {
      std::string t;
      ++i;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) t += line[i++];
        t += line[i++];
      }
      if (i >= line.size()) throw dns::ParseError("unterminated quoted string");
      ++i;
      raw.emplace_back(t, true);
    } else {
      std::string t;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
        if (line[i] == '\\' && i + 1 < line.size()) t += line[i++];
        t += line[i++];
      }
      raw.emplace_back(t, false);
    }
  }
  store.clear();
  store.reserve(raw.size());
  std::vector<dns::RdataToken> toks;
  for (auto& [text, quoted] : raw) {
    store.push_back(std::move(text));
    toks.push_back({store.back(), quoted});
  }
  return toks;
}

// "owner [ttl] [class] type rdata..." (ttl and class in either order).
std::optional<dns::Rr> parse_rr_line(const std::string& line, const dns::Name& origin) {
  std::vector<std::string> store;
  auto toks = tokenize(line, store);
  if (toks.empty()) return std::nullopt;
  dns::Rr rr;
  rr.owner = dns::Name::parse(toks[0].text, &origin);
  size_t i = 1;
  bool have_ttl = false, have_class = false;
  for (; i < toks.size(); ++i) {
    if (!have_ttl && !toks[i].text.empty() && toks[i].text[0] >= '0' && toks[i].text[0] <= '9') {
      auto ttl = dns::parse_ttl(toks[i].text);
      if (!ttl) throw dns::ParseError("bad TTL \"" + std::string(toks[i].text) + "\"");
      rr.ttl = *ttl;
      have_ttl = true;
    } else if (auto c = dns::class_from_string(toks[i].text); c && !have_class) {
      rr.rclass = *c;
      have_class = true;
    } else {
      break;
    }
  }
  if (i >= toks.size()) throw dns::ParseError("missing type");
  auto type = dns::type_from_string(toks[i].text);
  if (!type) throw dns::ParseError("unknown type \"" + std::string(toks[i].text) + "\"");
  rr.type = *type;
  dns::rdata_from_text(rr.type, std::span(toks).subspan(i + 1), origin, rr.rdata);
  return rr;
}

int run_decode(bool header, bool tcp) {
  auto data = maybe_unhex(read_stdin());
  if (!tcp) {
    print_message(dns::parse_message(data), header);
    return 0;
  }
  // A TCP stream: each message preceded by its 2-octet length (RFC 1035 §4.2.2).
  for (size_t pos = 0; pos < data.size();) {
    if (data.size() - pos < 2) throw dns::WireError(pos, "stream ends inside a length prefix");
    size_t len = static_cast<size_t>(data[pos] << 8 | data[pos + 1]);
    if (data.size() - pos - 2 < len) throw dns::WireError(pos, "stream ends inside a message");
    print_message(dns::parse_message(std::span(data).subspan(pos + 2, len)), header);
    pos += 2 + len;
  }
  return 0;
}

struct EncodeOptions {
  bool hex = false;
  int id = 0;
  std::string qname, qtype = "A", origin = ".";
  size_t limit = dns::kTcpLimit;
  int edns = -1;
  bool axfr = false;
};

int run_encode(const EncodeOptions& o) {
  dns::Name origin = dns::Name::parse(o.origin);
  std::vector<dns::Rr> rrs;
  std::string line;
  size_t lineno = 0;
  while (std::getline(std::cin, line)) {
    ++lineno;
    try {
      if (auto rr = parse_rr_line(line, origin)) rrs.push_back(std::move(*rr));
    } catch (const dns::ParseError& e) {
      std::cerr << "stdin:" << lineno << ": " << e.what() << "\n";
      return 1;
    }
  }
  std::optional<dns::Question> q;
  if (!o.qname.empty()) {
    auto t = dns::type_from_string(o.qtype);
    if (!t) throw dns::ParseError("unknown qtype " + o.qtype);
    q = dns::Question{dns::Name::parse(o.qname, &origin), *t, dns::RRClass::IN};
  }
  std::vector<std::vector<uint8_t>> out;
  if (o.axfr) {
    if (!q) throw dns::ParseError("--axfr needs --qname");
    dns::AxfrPacker packer(static_cast<uint16_t>(o.id), *q, o.limit);
    for (const auto& rr : rrs) {
      if (auto m = packer.add(rr)) out.push_back(std::move(*m));
    }
    out.push_back(packer.finish());
  } else {
    dns::Message m;
    m.id = static_cast<uint16_t>(o.id);
    m.qr = m.aa = true;
    if (q) m.questions.push_back(*q);
    m.answer = std::move(rrs);
    if (o.edns >= 0) {
      m.edns = dns::Edns{};
      m.edns->udp_payload = static_cast<uint16_t>(o.edns);
    }
    out.push_back(dns::write_message(m, o.limit));
  }
  for (const auto& msg : out) {
    if (o.hex) {
      std::cout << to_hex(msg) << "\n";
    } else {
      if (o.axfr) {
        char len[2] = {static_cast<char>(msg.size() >> 8), static_cast<char>(msg.size())};
        std::cout.write(len, 2);
      }
      std::cout.write(reinterpret_cast<const char*>(msg.data()),
                      static_cast<std::streamsize>(msg.size()));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flatsign wire tool: DNS message decode/encode for tests"};
  app.require_subcommand(1);
  bool header = false, tcp = false;
  auto* dec = app.add_subcommand("decode", "DNS message (hex or binary) on stdin -> RRs");
  dec->add_flag("--header", header, "also print header, EDNS and question as ;; comments");
  dec->add_flag("--tcp", tcp, "stdin is a TCP stream of length-prefixed messages");
  EncodeOptions eo;
  auto* enc = app.add_subcommand("encode", "presentation RRs on stdin -> DNS response message");
  enc->add_flag("--hex", eo.hex, "write hex text instead of binary");
  enc->add_option("--id", eo.id, "message ID")->check(CLI::Range(0, 65535));
  enc->add_option("--qname", eo.qname, "question name");
  enc->add_option("--qtype", eo.qtype, "question type");
  enc->add_option("--origin", eo.origin, "origin for relative names");
  enc->add_option("--limit", eo.limit, "maximum message size (TC when exceeded)");
  enc->add_option("--edns", eo.edns, "add an OPT RR with this UDP payload size");
  enc->add_flag("--axfr", eo.axfr, "split into AXFR messages (binary output is length-prefixed)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (dec->parsed()) return run_decode(header, tcp);
    return run_encode(eo);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
