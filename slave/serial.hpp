// The slave's own SOA serial: chosen by policy (increment, unixtime, dateserial) and always
// moving forward in RFC 1982 serial arithmetic, across restarts. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string_view>

namespace flatsign::slave {

enum class SerialPolicy { Increment, UnixTime, DateSerial };

// "increment", "unixtime", "dateserial"; nullopt otherwise.
[[nodiscard]] std::optional<SerialPolicy> serial_policy_from_text(std::string_view text);

// RFC 1982 §3.2: true when `a` is greater than `b` (undefined pairs, 2^31 apart, are false).
[[nodiscard]] bool serial_gt(uint32_t a, uint32_t b);

// The serial to publish after `last` (nullopt before the first publication) at time `now`:
// the policy's value when it is greater than `last` (RFC 1982), else last + 1. Never 0.
// Increment starts from `first` (the master's serial) when there is no `last`.
[[nodiscard]] uint32_t next_serial(SerialPolicy policy, std::optional<uint32_t> last,
                                   std::time_t now, uint32_t first = 1);

}  // namespace flatsign::slave
