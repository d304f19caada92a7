#include "slave/serial.hpp"

namespace flatsign::slave {

std::optional<SerialPolicy> serial_policy_from_text(std::string_view text) {
  if (text == "increment") return SerialPolicy::Increment;
  if (text == "unixtime") return SerialPolicy::UnixTime;
  if (text == "dateserial") return SerialPolicy::DateSerial;
  return std::nullopt;
}

bool serial_gt(uint32_t a, uint32_t b) {
  return a != b && ((a > b && a - b < (1u << 31)) || (a < b && b - a > (1u << 31)));
}

uint32_t next_serial(SerialPolicy policy, std::optional<uint32_t> last, std::time_t now,
                     uint32_t first) {
  uint32_t wanted = 1;
  switch (policy) {
    case SerialPolicy::Increment:
      wanted = last ? *last + 1 : first;  // RFC 1982 §3.1 addition wraps mod 2^32
      break;
    case SerialPolicy::UnixTime:
      wanted = static_cast<uint32_t>(now);
      break;
    case SerialPolicy::DateSerial: {
      std::tm tm{};
      gmtime_r(&now, &tm);
      wanted = static_cast<uint32_t>((tm.tm_year + 1900) * 1000000u + (tm.tm_mon + 1) * 10000u +
                                     tm.tm_mday * 100u);
      break;
    }
  }
  if (last && !serial_gt(wanted, *last)) wanted = *last + 1;
  return wanted == 0 ? 1 : wanted;
}

}  // namespace flatsign::slave
