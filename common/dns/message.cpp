#include "common/dns/message.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "common/dns/rdata.hpp"

namespace flatsign::dns {
namespace {

constexpr size_t kMinQuestion = 5;  // root name + QTYPE + QCLASS
constexpr size_t kMinRr = 11;       // root name + TYPE + CLASS + TTL + RDLENGTH

uint16_t header_flags(const Message& m) {
  uint16_t f = 0;
  if (m.qr) f |= 0x8000;
  f |= static_cast<uint16_t>((static_cast<uint16_t>(m.opcode) & 0xF) << 11);
  if (m.aa) f |= 0x0400;
  if (m.tc) f |= 0x0200;
  if (m.rd) f |= 0x0100;
  if (m.ra) f |= 0x0080;
  if (m.z) f |= 0x0040;
  if (m.ad) f |= 0x0020;
  if (m.cd) f |= 0x0010;
  f |= m.rcode & 0xF;
  return f;
}

void set_header_flags(Message& m, uint16_t f) {
  m.qr = f & 0x8000;
  m.opcode = static_cast<Opcode>((f >> 11) & 0xF);
  m.aa = f & 0x0400;
  m.tc = f & 0x0200;
  m.rd = f & 0x0100;
  m.ra = f & 0x0080;
  m.z = f & 0x0040;
  m.ad = f & 0x0020;
  m.cd = f & 0x0010;
  m.rcode = f & 0xF;
}

[[noreturn]] void fail_at(size_t offset, const std::string& why) {
  throw WireError(offset, why);
}

// OPT RDATA: {code, length, data}* (RFC 6891 §6.1.2).
Edns parse_opt(std::span<const uint8_t> wire, size_t rdstart, size_t rdlen, uint16_t rclass,
               uint32_t ttl) {
  Edns e;
  e.udp_payload = rclass;
  e.ext_rcode = static_cast<uint8_t>(ttl >> 24);
  e.version = static_cast<uint8_t>(ttl >> 16);
  e.do_bit = ttl & 0x8000;
  e.z = static_cast<uint16_t>(ttl & 0x7FFF);
  WireReader r(wire.first(rdstart + rdlen), rdstart);
  while (r.ok() && r.remaining() > 0) {
    EdnsOption opt;
    opt.code = r.u16();
    uint16_t len = r.u16();
    auto data = r.bytes(len);
    opt.data.assign(data.begin(), data.end());
    if (r.ok()) e.options.push_back(std::move(opt));
  }
  if (!r.ok()) r.rethrow();
  return e;
}

// TSIG RDATA (RFC 8945 §4.2): checked field by field, then kept as the uncompressed octets.
void check_tsig_rdata(std::span<const uint8_t> wire, size_t rdstart, size_t rdlen) {
  WireReader r(wire.first(rdstart + rdlen), rdstart);
  (void)r.name_uncompressed();  // algorithm name, never compressed (§4.2)
  r.skip(6 + 2);                // time signed, fudge
  r.skip(r.u16());              // MAC
  r.skip(2 + 2);                // original id, error
  r.skip(r.u16());              // other data
  if (r.ok() && r.remaining() != 0) r.fail(r.offset(), "octets after the TSIG other data");
  if (!r.ok()) r.rethrow();
}

}  // namespace

Message parse_message(std::span<const uint8_t> wire) {
  if (wire.size() < kHeaderSize) {
    fail_at(wire.size(), "message shorter than the 12-octet header (RFC 1035 §4.1.1)");
  }
  WireReader r(wire);
  r.set_pointer_floor(kHeaderSize);
  Message m;
  m.id = r.u16();
  set_header_flags(m, r.u16());
  uint16_t qd = r.u16();
  uint16_t counts[3] = {r.u16(), r.u16(), r.u16()};
  size_t minimum = qd * kMinQuestion + (size_t{counts[0]} + counts[1] + counts[2]) * kMinRr;
  if (minimum > r.remaining()) {
    fail_at(4, "section counts need at least " + std::to_string(minimum) + " octets but " +
                   std::to_string(r.remaining()) + " follow the header");
  }
  m.questions.reserve(qd);
  for (uint16_t i = 0; i < qd; ++i) {
    Question q;
    q.qname = r.name();
    q.qtype = static_cast<RRType>(r.u16());
    q.qclass = static_cast<RRClass>(r.u16());
    if (!r.ok()) r.rethrow();
    m.questions.push_back(std::move(q));
  }
  std::vector<Rr>* sections[3] = {&m.answer, &m.authority, &m.additional};
  for (int s = 0; s < 3; ++s) {
    sections[s]->reserve(counts[s]);
    for (uint16_t i = 0; i < counts[s]; ++i) {
      size_t rr_start = r.offset();
      Rr rr;
      rr.owner = r.name();
      rr.type = static_cast<RRType>(r.u16());
      rr.rclass = static_cast<RRClass>(r.u16());
      rr.ttl = r.u32();
      uint16_t rdlen = r.u16();
      if (!r.ok()) r.rethrow();
      size_t rdstart = r.offset();
      if (rdlen > r.remaining()) fail_at(rdstart - 2, "RDLENGTH runs past the end of the message");
      if (rr.type == RRType::OPT) {
        // RFC 6891 §6.1.1: one OPT at most, in the additional section, owned by the root.
        if (s != 2) fail_at(rr_start, "OPT RR outside the additional section");
        if (m.edns) fail_at(rr_start, "more than one OPT RR (RFC 6891 §6.1.1)");
        if (!rr.owner.is_root()) fail_at(rr_start, "OPT RR owner is not the root");
        m.edns = parse_opt(wire, rdstart, rdlen, static_cast<uint16_t>(rr.rclass), rr.ttl);
        r.skip(rdlen);
        continue;
      }
      if (rr.type == RRType::TSIG) {
        // RFC 8945 §5.1: TSIG is the last record of the additional section, class ANY, TTL 0.
        if (s != 2 || i + 1 != counts[2]) fail_at(rr_start, "TSIG RR is not the last record");
        if (rr.rclass != RRClass::ANY || rr.ttl != 0) {
          fail_at(rr_start, "TSIG RR class is not ANY or TTL is not 0 (RFC 8945 §4.2)");
        }
        check_tsig_rdata(wire, rdstart, rdlen);
        auto rd = r.bytes(rdlen);
        rr.rdata.assign(rd.begin(), rd.end());
        m.tsig = std::move(rr);
        m.tsig_offset = rr_start;
        continue;
      }
      if (rdlen == 0 && (rr.rclass == RRClass::NONE || rr.rclass == RRClass::ANY)) {
        // RFC 2136 §2.4/§2.5: UPDATE prerequisites and deletions carry no RDATA.
      } else if (!rdata_from_wire(rr.type, r, rdlen, rr.rdata)) {
        r.rethrow();
      }
      if (r.offset() != rdstart + rdlen) {
        fail_at(rdstart, "RDATA does not fill its RDLENGTH of " + std::to_string(rdlen));
      }
      sections[s]->push_back(std::move(rr));
    }
  }
  if (m.edns) m.rcode = static_cast<uint16_t>(m.rcode | m.edns->ext_rcode << 4);
  if (r.remaining() != 0) {
    fail_at(r.offset(), std::to_string(r.remaining()) + " octets after the last record");
  }
  return m;
}

size_t response_size_limit(const Message& query, bool tcp, size_t our_max) {
  return response_size_limit(
      query.edns ? std::optional<uint16_t>(query.edns->udp_payload) : std::nullopt, tcp, our_max);
}

size_t response_size_limit(std::optional<uint16_t> edns_payload, bool tcp, size_t our_max) {
  if (tcp) return kTcpLimit;
  if (!edns_payload) return kUdpLimit;  // RFC 1035 §4.2.1
  return std::clamp<size_t>(*edns_payload, kUdpLimit, std::max(our_max, kUdpLimit));
}

size_t opt_space(const Edns& edns) {
  size_t n = 1 + 2 + 2 + 4 + 2;
  for (const auto& o : edns.options) n += 4 + o.data.size();
  return n;
}

MessageWriter::MessageWriter(size_t limit)
    : w_(std::clamp(limit, kUdpLimit, kTcpLimit)),
      limit_(std::clamp(limit, kUdpLimit, kTcpLimit)) {}

void MessageWriter::set_limit(size_t limit) {
  limit_ = std::clamp(limit, kUdpLimit, kTcpLimit);
}

void MessageWriter::reset(const Message& header) {
  w_.clear();
  edns_ = header.edns;
  rcode_ = header.rcode;
  reserved_ = edns_ ? opt_space(*edns_) : 0;
  qdcount_ = 0;
  counts_[0] = counts_[1] = counts_[2] = 0;
  section_ = 0;
  w_.set_limit(limit_ > reserved_ ? limit_ - reserved_ : 0);
  w_.u16(header.id);
  w_.u16(header_flags(header));
  for (int i = 0; i < 4; ++i) w_.u16(0);
  if (w_.overflowed()) throw std::length_error("EDNS options leave no room for the header");
}

void MessageWriter::reserve(size_t octets) {
  reserved_ += octets;
  size_t cap = limit_ > reserved_ ? limit_ - reserved_ : 0;
  w_.set_limit(std::max(cap, w_.size()));
}

void MessageWriter::patch_count(size_t index, uint16_t value) {
  w_.patch_u16(4 + 2 * index, value);
}

void MessageWriter::set_tc(bool tc) {
  uint16_t f = static_cast<uint16_t>(w_.data()[2] << 8 | w_.data()[3]);
  f = tc ? (f | 0x0200) : (f & ~0x0200);
  w_.patch_u16(2, f);
}

bool MessageWriter::add_question(std::span<const uint8_t> qname, RRType qtype, RRClass qclass) {
  if (counts_[0] + counts_[1] + counts_[2] != 0) {
    throw std::logic_error("question added after resource records");
  }
  size_t mark = w_.size();
  w_.name(qname, true);
  w_.u16(static_cast<uint16_t>(qtype));
  w_.u16(static_cast<uint16_t>(qclass));
  if (w_.overflowed()) {
    w_.truncate(mark);
    return false;
  }
  patch_count(0, ++qdcount_);
  return true;
}

bool MessageWriter::add_rrs(Section section, std::span<const Rr> rrs) {
  int s = static_cast<int>(section);
  if (s < section_) throw std::logic_error("RRs added to a section already closed");
  section_ = s;
  if (size_t{counts_[s]} + rrs.size() > 0xFFFF) return false;
  size_t mark = w_.size();
  for (const Rr& rr : rrs) {
    w_.name(rr.owner, true);
    w_.u16(static_cast<uint16_t>(rr.type));
    w_.u16(static_cast<uint16_t>(rr.rclass));
    w_.u32(rr.ttl);
    size_t len_at = w_.size();
    w_.u16(0);
    if (w_.overflowed()) break;
    rdata_to_wire(rr.type, rr.rdata, w_);
    if (w_.overflowed()) break;
    w_.patch_u16(len_at, static_cast<uint16_t>(w_.size() - len_at - 2));
  }
  if (w_.overflowed()) {
    w_.truncate(mark);  // drop the whole set, keep the message valid (STYLE #7)
    return false;
  }
  counts_[s] = static_cast<uint16_t>(counts_[s] + rrs.size());
  patch_count(1 + s, counts_[s]);
  return true;
}

bool MessageWriter::add_rrset(Section section, const RRset& set) {
  std::vector<Rr> rrs;
  rrs.reserve(set.rdatas.size());
  for (RdataRef rd : set.rdatas)
    rrs.push_back({set.owner, set.type, set.rclass, set.ttl, rd.to_rdata()});
  return add_rrs(section, rrs);
}

bool MessageWriter::add_records(Section section, std::span<const uint8_t> owner, RRType type,
                                RRClass rclass, uint32_t ttl, const RdataList& rdatas,
                                std::optional<RRType> covered) {
  int s = static_cast<int>(section);
  if (s < section_) throw std::logic_error("RRs added to a section already closed");
  section_ = s;
  size_t mark = w_.size();
  size_t n = 0;
  for (RdataRef rd : rdatas) {
    // RFC 4034 §3.1: an RRSIG's first two octets are the type it covers.
    if (covered && (rd.size() < 2 || static_cast<RRType>(rd[0] << 8 | rd[1]) != *covered)) continue;
    w_.name(owner, true);
    w_.u16(static_cast<uint16_t>(type));
    w_.u16(static_cast<uint16_t>(rclass));
    w_.u32(ttl);
    size_t len_at = w_.size();
    w_.u16(0);
    if (w_.overflowed()) break;
    rdata_to_wire(type, rd, w_);
    if (w_.overflowed()) break;
    w_.patch_u16(len_at, static_cast<uint16_t>(w_.size() - len_at - 2));
    ++n;
  }
  if (w_.overflowed() || size_t{counts_[s]} + n > 0xFFFF) {
    w_.truncate(mark);  // drop the whole set, keep the message valid (STYLE #7)
    return false;
  }
  if (n == 0) return true;
  counts_[s] = static_cast<uint16_t>(counts_[s] + n);
  patch_count(1 + s, counts_[s]);
  return true;
}

std::vector<uint8_t> MessageWriter::finish() {
  w_.set_limit(limit_);
  if (edns_) {
    // RFC 6891 §6.1.2/§6.1.3: root owner, CLASS = payload, TTL = ext-RCODE, version, DO, Z.
    w_.u8(0);
    w_.u16(static_cast<uint16_t>(RRType::OPT));
    w_.u16(edns_->udp_payload);
    uint32_t ttl = static_cast<uint32_t>(rcode_ >> 4 & 0xFF) << 24 |
                   static_cast<uint32_t>(edns_->version) << 16 | (edns_->do_bit ? 0x8000u : 0u) |
                   (edns_->z & 0x7FFFu);
    w_.u32(ttl);
    size_t len_at = w_.size();
    w_.u16(0);
    for (const auto& o : edns_->options) {
      w_.u16(o.code);
      w_.u16(static_cast<uint16_t>(o.data.size()));
      w_.bytes(o.data);
    }
    w_.patch_u16(len_at, static_cast<uint16_t>(w_.size() - len_at - 2));
    patch_count(3, ++counts_[2]);
    edns_.reset();
  }
  return w_.take();
}

namespace {

// RFC 4034 §3.1: an RRSIG's first two RDATA octets are the type it covers.
uint16_t rrsig_covered_code(const Rr& rr) {
  return rr.rdata.size() >= 2 ? static_cast<uint16_t>(rr.rdata[0] << 8 | rr.rdata[1]) : 0;
}

bool same_set(const Rr& a, const Rr& b) {
  return a.type == b.type && a.rclass == b.rclass && a.owner == b.owner &&
         (a.type != RRType::RRSIG || rrsig_covered_code(a) == rrsig_covered_code(b));
}

}  // namespace

std::vector<uint8_t> write_message(const Message& msg, size_t limit) {
  MessageWriter w(limit);
  w.reset(msg);
  for (const auto& q : msg.questions) {
    if (!w.add_question(q)) {
      w.set_tc();
      return w.finish();
    }
  }
  const std::vector<Rr>* sections[3] = {&msg.answer, &msg.authority, &msg.additional};
  for (int s = 0; s < 3; ++s) {
    const auto& rrs = *sections[s];
    for (size_t i = 0; i < rrs.size();) {
      size_t j = i + 1;
      while (j < rrs.size() && same_set(rrs[i], rrs[j])) ++j;
      if (!w.add_rrs(static_cast<Section>(s), std::span(rrs).subspan(i, j - i)) && s < 2) {
        w.set_tc();  // RFC 2181 §9: answer/authority data was lost
        return w.finish();
      }
      i = j;
    }
  }
  return w.finish();
}

AxfrPacker::AxfrPacker(uint16_t id, const Question& q, size_t limit, size_t reserve)
    : q_(q), reserve_(reserve), writer_(limit) {
  header_.id = id;
  header_.qr = true;
  header_.aa = true;
  start();
}

void AxfrPacker::start() {
  writer_.reset(header_);
  writer_.reserve(reserve_);
  // RFC 5936 §2.2.1: the question goes in the first message; later ones may omit it.
  if (first_ && !writer_.add_question(q_)) throw std::length_error("AXFR question does not fit");
}

std::optional<std::vector<uint8_t>> AxfrPacker::add(const Rr& rr) {
  if (writer_.add_rr(Section::Answer, rr)) return std::nullopt;
  if (writer_.count(Section::Answer) == 0) {
    throw std::length_error("RR of " + rr.owner.to_string() + " does not fit in a message");
  }
  auto done = writer_.finish();
  first_ = false;
  start();
  if (!writer_.add_rr(Section::Answer, rr)) {
    throw std::length_error("RR of " + rr.owner.to_string() + " does not fit in a message");
  }
  return done;
}

std::vector<uint8_t> AxfrPacker::finish() {
  return writer_.finish();
}

}  // namespace flatsign::dns
