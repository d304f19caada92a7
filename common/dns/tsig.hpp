// TSIG (RFC 8945): HMAC keys, signing and verifying single messages and multi-message streams
// (AXFR). Keys are immutable values, safe to share; signers and verifiers are per stream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/message.hpp"
#include "common/dns/name.hpp"

namespace flatsign::dns {

enum class TsigAlgorithm : uint8_t { HmacSha1, HmacSha256, HmacSha512 };

inline constexpr uint16_t kTsigDefaultFudge = 300;  // RFC 8945 §10 recommends 300 s
// RFC 8945 §5.3.1: at most 99 unsigned messages between two signed ones.
inline constexpr int kTsigMaxUnsigned = 99;

struct TsigKey {
  Name name;
  TsigAlgorithm algorithm = TsigAlgorithm::HmacSha256;
  std::vector<uint8_t> secret;
};

// "hmac-sha256" etc. (RFC 8945 §6 names, as BIND and dig write them).
[[nodiscard]] std::string_view tsig_algorithm_text(TsigAlgorithm alg);
[[nodiscard]] Name tsig_algorithm_name(TsigAlgorithm alg);  // "hmac-sha256."
// Accepts the names above case-insensitively, with or without the trailing dot.
[[nodiscard]] std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text);
[[nodiscard]] size_t tsig_mac_size(TsigAlgorithm alg);

// Parses "name:alg:base64" (also dig's "alg:name:base64" and "name:base64", hmac-sha256).
// Throws ParseError quoting the bad part (never the secret).
[[nodiscard]] TsigKey parse_tsig_key(std::string_view spec);
// Parses every `key "name" { algorithm alg; secret "base64"; };` clause of a BIND key file
// (comments `#`, `//`, `/* */` allowed). Throws ParseError with the line of the problem.
[[nodiscard]] std::vector<TsigKey> parse_tsig_key_file(std::string_view text);
// Reads and parses the file at `path`; throws ParseError (prefixed with the path) on failure.
[[nodiscard]] std::vector<TsigKey> load_tsig_key_file(const std::string& path);

// A TSIG failure, named by the RCODE a server returns for it (RFC 8945 §5.2): BADKEY (unknown
// key or algorithm), BADSIG (MAC mismatch, or no TSIG where one is required), BADTIME (outside
// the fudge), BADTRUNC (MAC shorter than the full digest), FORMERR (MAC longer than the digest).
// A response whose TSIG carries an error is reported with that error's code.
class TsigError : public std::runtime_error {
 public:
  TsigError(Rcode code, const std::string& why);
  [[nodiscard]] Rcode code() const { return code_; }

 private:
  Rcode code_;
};

// Octets a TSIG RR signed with `key` adds (room to hold back in a MessageWriter).
// `other_len` is 6 for a BADTIME response, 0 otherwise.
[[nodiscard]] size_t tsig_space(const TsigKey& key, size_t other_len = 6);

// The fields of a TSIG RR that callers act on.
struct TsigRecord {
  Name key_name;
  Name algorithm;
  uint64_t time_signed = 0;  // 48-bit seconds since the epoch
  uint16_t fudge = 0;
  std::vector<uint8_t> mac;
  uint16_t original_id = 0;
  uint16_t error = 0;
  std::vector<uint8_t> other;
};
// Decodes `msg.tsig`. REQUIRES: msg.tsig is set (parse_message validated its RDATA).
[[nodiscard]] TsigRecord tsig_record(const Message& msg);

// Signs the complete message `wire` in place: appends a TSIG RR and increments ARCOUNT.
// `request_mac` is empty for a request and the request's MAC for its response (§4.3.3).
// `error` and `other` fill the TSIG error fields (BADTIME responses put the server time in
// `other`, §5.2.3). Returns the MAC. REQUIRES: `wire` holds a whole message without TSIG.
std::vector<uint8_t> tsig_sign(std::vector<uint8_t>& wire, const TsigKey& key, uint64_t now,
                               std::span<const uint8_t> request_mac = {},
                               uint16_t fudge = kTsigDefaultFudge, Rcode error = Rcode::NOERROR,
                               std::span<const uint8_t> other = {});

// Verifies the TSIG of `wire` (a parsed message given as `msg`) with `key`: throws TsigError
// BADKEY when the key name or algorithm differ, BADSIG on a wrong MAC, BADTIME when `now` is
// more than the fudge away (checked after the MAC, §5.2.3), BADSIG when there is no TSIG; also
// throws when a response carries a non-zero TSIG error (§5.3.2). `request_mac` as for tsig_sign.
// Returns the MAC.
std::vector<uint8_t> tsig_verify(std::span<const uint8_t> wire, const Message& msg,
                                 const TsigKey& key, uint64_t now,
                                 std::span<const uint8_t> request_mac = {});
// Server side: finds the key named by `msg`'s TSIG among `keys` (BADKEY when none) and
// verifies as above. Returns the key used and the MAC through `mac`.
const TsigKey& tsig_verify_request(std::span<const uint8_t> wire, const Message& msg,
                                   std::span<const TsigKey> keys, uint64_t now,
                                   std::vector<uint8_t>& mac);

// Appends the unsigned TSIG RR a server sends with a BADKEY or BADSIG error (§5.3.2): the
// request's key and algorithm names, empty MAC, `error`. Increments ARCOUNT.
void tsig_append_error(std::vector<uint8_t>& wire, const TsigRecord& request, Rcode error,
                       uint64_t now);

// Signs a multi-message response (RFC 8945 §5.3.1): the first message with the request MAC
// and all TSIG variables, later ones with the prior MAC, any unsigned messages in between and
// the timers only. Signing every message is simplest; add_unsigned() allows gaps of up to 99.
class Hmac;
class TsigStreamSigner {
 public:
  // REQUIRES: `key` outlives the signer.
  TsigStreamSigner(const TsigKey& key, std::span<const uint8_t> request_mac,
                   uint16_t fudge = kTsigDefaultFudge);
  // Appends a TSIG RR to `wire` (a whole message) and increments its ARCOUNT.
  void sign(std::vector<uint8_t>& wire, uint64_t now);
  // Digests a message sent without TSIG. REQUIRES: the first message was signed, and fewer
  // than 100 unsigned messages in a row.
  void add_unsigned(std::span<const uint8_t> wire);

 private:
  const TsigKey& key_;
  std::vector<uint8_t> prior_mac_;
  std::shared_ptr<Hmac> chain_;
  uint16_t fudge_;
  bool first_ = true;
};

// Verifies a multi-message response (RFC 8945 §5.3.1): the first message must be signed;
// after that up to 99 unsigned messages may come between signed ones, and they are digested
// into the next signed message's MAC. Throws TsigError as tsig_verify does.
class TsigStreamVerifier {
 public:
  TsigStreamVerifier(const TsigKey& key, std::span<const uint8_t> request_mac);
  // Feeds the next message (`msg` parsed from `wire`). REQUIRES: `key` outlives the verifier.
  void next(std::span<const uint8_t> wire, const Message& msg, uint64_t now);
  // Call at the end of the stream: throws BADSIG when the last message was unsigned.
  void finish() const;

 private:
  const TsigKey& key_;
  std::vector<uint8_t> request_mac_;
  std::vector<uint8_t> prior_mac_;
  std::shared_ptr<Hmac> chain_;  // prior MAC + unsigned messages since the last signed one
  int unsigned_run_ = 0;
  bool first_ = true;
};

}  // namespace flatsign::dns
