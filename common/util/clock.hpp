// Wall-clock time as DNS uses it: seconds since the Unix epoch (TSIG time signed, RRSIG
// inception/expiration, serials), and its text in status documents. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace flatsign::util {

inline uint64_t unix_now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// `t` as RFC 3339 UTC text with whole seconds, e.g. "2026-11-23T13:40:05Z".
[[nodiscard]] std::string utc_text(std::time_t t);
[[nodiscard]] inline std::string utc_text(std::chrono::system_clock::time_point t) {
  return utc_text(std::chrono::system_clock::to_time_t(t));
}

}  // namespace flatsign::util
