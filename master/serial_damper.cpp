#include "master/serial_damper.hpp"

namespace flatsign::master {

bool SerialDamper::may_publish(Clock::time_point now) {
  if (!last_published_ || now >= *last_published_ + min_interval_) return true;
  held_ = true;
  return false;
}

void SerialDamper::published(Clock::time_point now) {
  last_published_ = now;
  held_ = false;
}

std::optional<SerialDamper::Clock::time_point> SerialDamper::held_until() const {
  if (!held_) return std::nullopt;
  return *last_published_ + min_interval_;
}

}  // namespace flatsign::master
