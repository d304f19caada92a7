// Offline key rollover for the slave's state directory, by the double-signature method
// (RFC 6781 §4.1.2 for a KSK/CSK, RFC 7583 §3.3.2 "Double-KSK"): `key roll` adds a new CSK that
// is published and signs beside the old one; `key retire TAG` removes the old one once the
// parent serves only the new DS. Not thread-safe; run while the daemon is stopped or restart it
// afterwards (it reads its keys at start-up).
//
// The procedure, with TTLs from the zone and the parent:
//   1. flatsign-slave key roll --state-dir D --zone Z   (prints the new key's DS)
//   2. restart the slave: DNSKEY RRset = old + new, every RRset signed by both keys.
//   3. wait the DNSKEY TTL plus the zone's maximum TTL, then put the new DS at the parent
//      (keep the old DS there too, or replace it: both keys sign everything).
//   4. wait until the parent serves only the new DS plus the DS TTL, then
//      flatsign-slave key retire --state-dir D --zone Z OLD_TAG and restart the slave.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dnssec/key.hpp"

namespace flatsign::slave {

// Generates a new CSK (flags 257) for `zone`, with `alg` or else the algorithm of the existing
// keys and a key tag none of them has, and stores it in `dir`. Returns it.
// Throws std::runtime_error when `dir` has no keys for `zone` (nothing to roll from: start the
// slave once) or a key file is corrupt; std::system_error when it cannot be written.
[[nodiscard]] dnssec::DnssecKey roll_key(const std::string& dir, const dns::Name& zone,
                                         std::optional<dnssec::Algorithm> alg, std::time_t now);

// Moves the key files of the key with `tag` into <dir>/retired/ (kept, not deleted). Returns
// the keys left. Throws std::runtime_error naming the reason when there is no such key, or
// when no SEP key would be left (the zone would lose its chain of trust).
std::vector<dnssec::DnssecKey> retire_key(const std::string& dir, const dns::Name& zone,
                                          uint16_t tag);

}  // namespace flatsign::slave
