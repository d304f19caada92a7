// A DNS message as a plain value (header, question, three RR sections, EDNS0, TSIG) with a strict
// parser and a forward, section-by-section writer. Values are unsynchronized; writers per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/dns/types.hpp"
#include "common/dns/wire.hpp"

namespace flatsign::dns {

inline constexpr size_t kHeaderSize = 12;            // RFC 1035 §4.1.1
inline constexpr size_t kUdpLimit = 512;             // RFC 1035 §4.2.1, no EDNS
inline constexpr size_t kEdnsDefaultPayload = 1232;  // DNS flag day 2020
inline constexpr size_t kTcpLimit = 65535;           // RFC 1035 §4.2.2 length prefix
// Target size of one AXFR message: as much as fits in a TCP message (RFC 5936 §2.2).
inline constexpr size_t kAxfrMessageLimit = 65535;

enum class Opcode : uint8_t { QUERY = 0, IQUERY = 1, STATUS = 2, NOTIFY = 4, UPDATE = 5 };

// RCODE values (RFC 6895 §2.3). Codes above 15 need EDNS (BADVERS) or live in TSIG's error field.
enum class Rcode : uint16_t {
  NOERROR = 0,
  FORMERR = 1,
  SERVFAIL = 2,
  NXDOMAIN = 3,
  NOTIMP = 4,
  REFUSED = 5,
  YXDOMAIN = 6,
  YXRRSET = 7,
  NXRRSET = 8,
  NOTAUTH = 9,
  NOTZONE = 10,
  BADVERS = 16,  // in OPT (RFC 6891 §9)
  BADSIG = 16,   // the same code as a TSIG error (RFC 8945 §5.2.1)
  BADKEY = 17,
  BADTIME = 18,
  BADMODE = 19,
  BADNAME = 20,
  BADALG = 21,
  BADTRUNC = 22,
  BADCOOKIE = 23,
};

struct Question {
  Name qname;
  RRType qtype = RRType::A;
  RRClass qclass = RRClass::IN;
  bool operator==(const Question&) const = default;
};

struct EdnsOption {
  uint16_t code = 0;
  std::vector<uint8_t> data;
  bool operator==(const EdnsOption&) const = default;
};

// EDNS0 (RFC 6891 §6.1.3). Options are kept in wire order, unparsed.
struct Edns {
  uint16_t udp_payload = kEdnsDefaultPayload;  // values below 512 are treated as 512 (§6.2.5)
  // Upper 8 bits of the 12-bit RCODE as found on the wire. The writer ignores this field and
  // takes them from Message::rcode instead, so the two cannot disagree.
  uint8_t ext_rcode = 0;
  uint8_t version = 0;
  bool do_bit = false;  // DNSSEC OK (RFC 3225)
  uint16_t z = 0;       // the other 15 flag bits, preserved (must be zero when sending)
  std::vector<EdnsOption> options;
  bool operator==(const Edns&) const = default;
};

struct Message {
  uint16_t id = 0;
  bool qr = false;
  Opcode opcode = Opcode::QUERY;
  bool aa = false, tc = false, rd = false, ra = false, z = false, ad = false, cd = false;
  // The full 12-bit RCODE: header bits, plus OPT's extended bits << 4 (RFC 6891 §6.1.3).
  uint16_t rcode = 0;
  std::vector<Question> questions;
  std::vector<Rr> answer;
  std::vector<Rr> authority;
  std::vector<Rr> additional;  // without OPT and TSIG, which are below
  std::optional<Edns> edns;
  std::optional<Rr> tsig;  // RDATA uncompressed, as on the wire (RFC 8945 §4.2)
  // Octet offset of the TSIG RR in the parsed message (0 when there is none); TSIG verification
  // digests the octets before it.
  size_t tsig_offset = 0;

  [[nodiscard]] Rcode rcode_value() const { return static_cast<Rcode>(rcode); }
};

// Parses a whole DNS message. Throws WireError with the offset of the first problem when:
// the header is short; a count promises more than the data holds; octets follow the last
// record (trailing garbage is rejected: a message is exactly its records, RFC 1035 §4.1, and
// padding belongs in EDNS, RFC 7830); a name or RDATA is malformed (rdata_from_wire checks
// each field; compression pointers must point backwards and not into the header); an OPT RR
// is outside the additional section, repeated, or not owned by the root (RFC 6891 §6.1.1); a
// TSIG RR is not the last record of the additional section (RFC 8945 §5.1).
// RRs of class NONE/ANY with empty RDATA are accepted (UPDATE prerequisites, RFC 2136 §2.4).
[[nodiscard]] Message parse_message(std::span<const uint8_t> wire);

// Where add_rrset puts records. Sections must be filled in this order.
enum class Section : uint8_t { Answer = 0, Authority = 1, Additional = 2 };

// Builds one message forward: header, questions, then RRs section by section, compressing
// names (RFC 1035 §4.1.4). Room for OPT and TSIG is held back from the start (STYLE #7), so an
// RRset that does not fit is dropped whole and the message stays valid; the caller decides
// whether that means TC (RFC 2181 §9: not for the additional section). Counts in the header are
// patched as records go in. Not thread-safe; reuse with reset().
class MessageWriter {
 public:
  // `limit` is the message size the receiver accepts: 512 (no EDNS), its EDNS payload, or
  // 65535 for TCP/AXFR. Values below 512 are raised to 512, above 65535 lowered to 65535.
  explicit MessageWriter(size_t limit = kUdpLimit);
  // Changes the limit for the next reset() (clamped as by the constructor).
  void set_limit(size_t limit);
  // Writes the next message (from reset() on) into `buf`'s allocation, e.g. one a sent
  // response gave back, so a serving thread need not allocate per response.
  void adopt(std::vector<uint8_t>&& buf) { w_.adopt(std::move(buf)); }

  // Starts a new message with `header`'s header fields (its sections are ignored). When
  // `header.edns` is set, room for the OPT RR with its options is held back and the OPT is
  // emitted by finish(). The RCODE's upper bits need EDNS; without it they are dropped.
  // Throws std::length_error when the OPT RR alone leaves no room for the header.
  void reset(const Message& header);
  // Holds back `octets` more (e.g. tsig_space(key) for a TSIG appended after finish()).
  void reserve(size_t octets);

  // REQUIRES: no RR added yet. False (nothing written) when the question does not fit.
  [[nodiscard]] bool add_question(const Question& q) {
    return add_question(q.qname.wire(), q.qtype, q.qclass);
  }
  // The same from a well-formed uncompressed wire QNAME, written in the case given.
  [[nodiscard]] bool add_question(std::span<const uint8_t> qname, RRType qtype, RRClass qclass);
  // Adds all of `rrs` or none of them; false when they do not fit in the limit minus the held
  // back room. REQUIRES: `section` is not before the last section used.
  [[nodiscard]] bool add_rrs(Section section, std::span<const Rr> rrs);
  [[nodiscard]] bool add_rr(Section section, const Rr& rr) { return add_rrs(section, {&rr, 1}); }
  [[nodiscard]] bool add_rrset(Section section, const RRset& set);
  // Adds one RRset given by parts, all or none, as add_rrs() would add its copies: every RDATA
  // of `rdatas` owned by `owner` (well-formed uncompressed wire) with `type`, `rclass` and `ttl`;
  // with `covered` (for type RRSIG) only the signatures covering that type (RFC 4034 §3.1).
  // True when they fit, also when none was selected (then nothing is written).
  [[nodiscard]] bool add_records(Section section, std::span<const uint8_t> owner, RRType type,
                                 RRClass rclass, uint32_t ttl, const RdataList& rdatas,
                                 std::optional<RRType> covered = std::nullopt);
  void set_tc(bool tc = true);

  // Number of RRs added to `section` so far.
  [[nodiscard]] uint16_t count(Section section) const { return counts_[static_cast<int>(section)]; }
  // Octets written so far (without the held-back room).
  [[nodiscard]] size_t size() const { return w_.size(); }
  // Appends the OPT RR (if any) and returns the message. The writer must be reset() to reuse.
  [[nodiscard]] std::vector<uint8_t> finish();

 private:
  void patch_count(size_t index, uint16_t value);
  WireWriter w_;
  size_t limit_;
  size_t reserved_ = 0;
  std::optional<Edns> edns_;
  uint16_t rcode_ = 0;
  uint16_t qdcount_ = 0;
  uint16_t counts_[3] = {0, 0, 0};
  int section_ = 0;
};

// The largest response to `query`: 65535 over TCP; over UDP 512 without EDNS, else the
// requester's payload clamped to [512, `our_max`] (RFC 6891 §6.2.3, §6.2.5).
[[nodiscard]] size_t response_size_limit(const Message& query, bool tcp,
                                         size_t our_max = kEdnsDefaultPayload);
// The same from the requester's EDNS payload (nullopt: the query had no OPT).
[[nodiscard]] size_t response_size_limit(std::optional<uint16_t> edns_payload, bool tcp,
                                         size_t our_max = kEdnsDefaultPayload);

// Octets the OPT RR for `edns` takes (RFC 6891 §6.1.2: root owner, fixed fields, options).
[[nodiscard]] size_t opt_space(const Edns& edns);

// Writes `msg` whole in one message of at most `limit` octets. When an RRset of the answer or
// authority section does not fit, it and everything after it are left out and TC is set
// (RFC 2181 §9); additional-section RRsets that do not fit are just left out. RRs are grouped
// into RRsets by consecutive owner/type/class, RRSIGs also by the type they cover (RFC 4034
// §3.1: each such run has its own TTL). The TSIG field is not written.
[[nodiscard]] std::vector<uint8_t> write_message(const Message& msg, size_t limit = kTcpLimit);

// Packs a zone transfer into consecutive messages (RFC 5936 §2.2): as many RRs as fit in
// `limit` octets, the question only in the first message, all with `query`'s id and QR, AA set.
// `reserve` octets are held back in each message for a TSIG the caller appends. Not shared.
class AxfrPacker {
 public:
  AxfrPacker(uint16_t id, const Question& q, size_t limit = kAxfrMessageLimit, size_t reserve = 0);
  // Adds `rr`. When it does not fit in the current message, that message is returned finished
  // and `rr` starts the next one. Throws std::length_error if `rr` alone exceeds an empty message.
  [[nodiscard]] std::optional<std::vector<uint8_t>> add(const Rr& rr);
  // The last message (possibly holding only the question when no RR was added).
  [[nodiscard]] std::vector<uint8_t> finish();

 private:
  void start();
  Message header_;
  Question q_;
  size_t reserve_;
  bool first_ = true;
  MessageWriter writer_;
};

}  // namespace flatsign::dns
