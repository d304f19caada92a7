// Message IDs for the queries the daemons send (transfers, SOA probes, NOTIFY, the resolver):
// unpredictable, so an off-path attacker cannot forge an answer by guessing (RFC 5452 §4.3).
// Thread-safe.
#pragma once

#include <cstdint>

namespace flatsign::net {

// 16 bits from the kernel's CSPRNG (getrandom). Never fails: a CSPRNG that cannot be read
// (no entropy source at all) aborts, as no safe ID is left to use.
[[nodiscard]] uint16_t random_query_id();

}  // namespace flatsign::net
