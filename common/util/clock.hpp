// Wall-clock time as DNS uses it: seconds since the Unix epoch (TSIG time signed, RRSIG
// inception/expiration, serials). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace flatsign::util {

inline uint64_t unix_now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace flatsign::util
