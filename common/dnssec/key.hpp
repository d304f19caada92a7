// DNSSEC keys: DNSKEY RDATA, key tags (RFC 4034 App. B), DS/CDS digests (RFC 4509, RFC 6605 §5)
// and BIND's K<zone>.+<alg>+<tag>.key/.private files, so BIND's and Knot's tools share our keys.
// DnssecKey is an immutable value once made (its PrivateKey is thread-safe); file I/O is not.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/dnssec/crypto.hpp"
#include "common/util/atomic_file.hpp"

namespace flatsign::dnssec {

// DNSKEY flags (RFC 4034 §2.1.1): Zone Key (bit 7) and Secure Entry Point (bit 15).
inline constexpr uint16_t kFlagZone = 0x0100;
inline constexpr uint16_t kFlagSep = 0x0001;
inline constexpr uint16_t kFlagsZsk = kFlagZone;             // 256
inline constexpr uint16_t kFlagsKsk = kFlagZone | kFlagSep;  // 257 (KSK or CSK)

// DS digest types (IANA): SHA-256 (RFC 4509), SHA-384 (RFC 6605 §5).
enum class DigestType : uint8_t { SHA256 = 2, SHA384 = 4 };

// Thrown when a key file is missing, unreadable or corrupt; what() names the file.
class KeyFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// RFC 4034 §2.2 DNSKEY RDATA: flags, protocol 3, algorithm, public key.
dns::Rdata make_dnskey_rdata(uint16_t flags, uint8_t algorithm, std::span<const uint8_t> key);
// RFC 4034 Appendix B key tag over DNSKEY RDATA (algorithm 1 is not supported by flatsign).
[[nodiscard]] uint16_t key_tag(std::span<const uint8_t> dnskey_rdata);
// RFC 4034 §5.1.4 DS RDATA: digest over canonical owner name || DNSKEY RDATA. Also the CDS RDATA
// (RFC 7344 §3.1). REQUIRES: dnskey_rdata is valid DNSKEY RDATA.
dns::Rdata make_ds_rdata(const dns::Name& owner, std::span<const uint8_t> dnskey_rdata,
                         DigestType digest = DigestType::SHA256);

// A key's timing metadata (BIND's Publish, Activate, Inactive, Delete, SyncPublish, SyncDelete;
// dnssec-keygen -P/-A/-I/-D, -P sync/-D sync): seconds since the epoch, 0 when unset. What they
// mean for the served zone is slave/key_schedule.hpp's business.
struct KeyTiming {
  std::time_t publish = 0;
  std::time_t activate = 0;
  std::time_t inactive = 0;
  std::time_t remove = 0;  // "Delete"
  std::time_t sync_publish = 0;
  std::time_t sync_delete = 0;
  bool empty() const { return *this == KeyTiming{}; }
  bool operator==(const KeyTiming&) const = default;
};

// BIND's timestamp form YYYYMMDDHHMMSS (UTC); parse gives 0 for anything else.
[[nodiscard]] std::string key_timestamp(std::time_t t);
[[nodiscard]] std::time_t parse_key_timestamp(std::string_view s);

struct DnssecKey {
  dns::Name zone;
  uint16_t flags = kFlagsKsk;
  Algorithm algorithm = Algorithm::ECDSAP256SHA256;
  std::vector<uint8_t> public_key;  // the DNSKEY Public Key field
  uint16_t tag = 0;
  // Null for a public-only key (read from a .key file without its .private).
  std::shared_ptr<const PrivateKey> private_key;
  // Timing metadata (seconds since the epoch) as BIND writes it; 0 when absent.
  std::time_t created = 0;
  KeyTiming timing;

  bool is_sep() const { return (flags & kFlagSep) != 0; }  // KSK or CSK: signs the DNSKEY RRset
  dns::Rdata dnskey_rdata() const {
    return make_dnskey_rdata(flags, uint8_t(algorithm), public_key);
  }
  // The DNSKEY RR at the zone apex with `ttl`.
  dns::Rr dnskey_rr(uint32_t ttl) const;
  // DS (or, identically, CDS) RDATA for this key.
  dns::Rdata ds_rdata(DigestType digest = DigestType::SHA256) const;
  // BIND's file base name "K<zone>.+<alg>+<tag>" (zone in lowercase presentation form).
  std::string file_base() const;
};

// A new key for `zone`. flags: kFlagsKsk for a CSK or KSK, kFlagsZsk for a ZSK.
// REQUIRES: can_sign(alg). Throws CryptoError.
DnssecKey generate_key(const dns::Name& zone, Algorithm alg, uint16_t flags, std::time_t now);

// Writes <dir>/<file_base()>.key (0644) and .private (0600), each atomically, or adds them to
// `batch` (in place at its commit()), with the timing set in key.timing (none set: Publish and
// Activate at `created`, as dnssec-keygen does). The .private goes first: load_keys() lists .key
// files, so a crash between the two leaves no key. Returns the path of the .private file.
// REQUIRES: key.private_key. Throws std::system_error naming the file.
std::string store_key(const DnssecKey& key, const std::string& dir,
                      util::AtomicFileBatch* batch = nullptr);

// Reads a key from either file name (or the base without extension): the .key file gives the
// DNSKEY, the .private file the private key, checked against each other. A missing .private
// gives a public-only key when `require_private` is false. Throws KeyFileError naming the file.
DnssecKey load_key(const std::string& path, bool require_private = true);

// Rewrites the timing of a stored key in place (both files, the .private only when present),
// keeping its key material as read. Throws KeyFileError / std::system_error naming the file.
void store_key_timing(const std::string& dir, const DnssecKey& key);

// Every K<zone>.+*.key key for `zone` in `dir`, sorted by (SEP first, tag); with
// `require_private` false a key without its .private is loaded public-only (its DNSKEY may be
// published, never signed with). Throws KeyFileError on a corrupt file; returns an empty
// vector when there is none.
std::vector<DnssecKey> load_keys(const std::string& dir, const dns::Name& zone,
                                 bool require_private = true);

}  // namespace flatsign::dnssec
