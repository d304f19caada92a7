// The slave's state directory: one folder per zone (<state-dir>/<zone>/) holding its DNSSEC keys
// (BIND K-files), the last published signed zone (<zone>.signed), the last published serial
// (<zone>.serial) and the IXFR journal. Functions do file I/O and are safe to call from one
// thread per zone.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dnssec/crypto.hpp"
#include "common/dnssec/key.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::slave {

// The state directory cannot be used as it is (missing keys for a published zone, corrupt
// files). Never papered over by regenerating anything: the operator must look.
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "<root>/<zone without trailing dot, lowercase>": the zone's own folder ("<root>/root." for the
// root zone).
[[nodiscard]] std::string zone_state_dir(const std::string& root, const dns::Name& zone);
// Makes zone_state_dir(root, zone) ready and returns it: creates it (mode 0700, with `root` when
// missing) and moves into it the zone's files of the one-folder layout (<root>/<zone>.signed,
// .serial, .journal and the K<zone>.+* key files), one rename each, so an interrupted move is
// finished by the next call. `top` lists the file names at <root>, taken once for every zone of
// a daemon (a listing per zone cost minutes with 10,000 zones); null: listed here. Nothing is
// looked for when the zone's folder exists and no .signed or .serial of it is at the top.
// Throws StateError naming the path and the system's reason. `*created`, when given, is set to
// whether the folder was made now with nothing moved into it: a new zone, nothing to load.
std::string prepare_zone_state_dir(const std::string& root, const dns::Name& zone,
                                   const std::vector<std::string>* top = nullptr,
                                   bool* created = nullptr);
// The names of the files at `root` (none when it does not exist), for prepare_zone_state_dir().
[[nodiscard]] std::vector<std::string> list_state_root(const std::string& root);

// "<dir>/<zone without trailing dot, lowercase>.signed" / ".serial".
[[nodiscard]] std::string signed_zone_path(const std::string& dir, const dns::Name& zone);
[[nodiscard]] std::string serial_path(const std::string& dir, const dns::Name& zone);
// "<dir>/<zone>.journal": the IXFR journal (common/xfr/journal.hpp).
[[nodiscard]] std::string journal_path(const std::string& dir, const dns::Name& zone);

// The zone's keys from `dir` (public-only ones included: their timing may publish them). When
// there are none and the zone was never published here (no
// .signed and no .serial file), generates one CSK with `alg` and stores it (into `batch` when
// given: the caller commits it before the zone publishes). Throws StateError when keys are
// missing for a published zone or a key file is corrupt.
// With `key_dir` set the keys are read from (and a first key made in) that folder instead, while
// `dir` still tells whether the zone was published. With `ksk_and_zsk` the first keys are a
// KSK and a ZSK instead of one CSK. `dir_is_new`: `dir` was made empty just now
// (prepare_zone_state_dir's `created`), so with no `key_dir` nothing is looked for.
[[nodiscard]] std::vector<dnssec::DnssecKey> load_or_create_keys(
    const std::string& dir, const dns::Name& zone, dnssec::Algorithm alg,
    util::AtomicFileBatch* batch = nullptr, const std::string& key_dir = "",
    bool ksk_and_zsk = false, bool dir_is_new = false);

// The last published signed zone, or null when there is none. Throws StateError when the file
// exists but does not load.
[[nodiscard]] std::shared_ptr<const zone::Zone> load_signed_zone(const std::string& dir,
                                                                 const dns::Name& zone);

// The last published serial: the larger (RFC 1982) of the .serial file and `signed_zone`'s SOA.
[[nodiscard]] std::optional<uint32_t> load_last_serial(const std::string& dir,
                                                       const dns::Name& zone,
                                                       const zone::Zone* signed_zone);
// Writes the .serial file atomically. Throws std::system_error.
void store_last_serial(const std::string& dir, const dns::Name& zone, uint32_t serial);

// The master's serial the served content was transferred at, and the slave's serial that zone
// was served under when this was stored (<dir>/<zone>.master-serial). After a restart the slave
// asks IXFR from `master` only when the zone it loaded still has serial `served`: anything else
// (a crash between the zone file and this file, a re-sign at start) leaves the content's master
// serial unknown, and the next transfer is an AXFR.
struct AppliedSerial {
  uint32_t master = 0;
  uint32_t served = 0;
  bool operator==(const AppliedSerial&) const = default;
};
[[nodiscard]] std::string applied_serial_path(const std::string& dir, const dns::Name& zone);
// nullopt when the file is missing or unreadable.
[[nodiscard]] std::optional<AppliedSerial> load_applied_serial(const std::string& dir,
                                                               const dns::Name& zone);
// Writes the file atomically. Throws std::system_error.
void store_applied_serial(const std::string& dir, const dns::Name& zone, AppliedSerial a);

// The unsigned content of a signed zone, as a transfer brings it: the zone without the types
// the signer owns (is_signer_owned: RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY, CDS, CDNSKEY). A
// copy made in one pass; nothing is kept shared with `signed_zone`.
[[nodiscard]] std::shared_ptr<const zone::Zone> strip_signatures(const zone::Zone& signed_zone);

// `z` with its SOA carrying `serial`; shares every node block but the apex's with `z`.
[[nodiscard]] std::shared_ptr<const zone::Zone> with_serial(const zone::Zone& z, uint32_t serial);

}  // namespace flatsign::slave
