// Damping of serial bumps for one zone: at most one new serial per min_interval, so an upstream
// that changes its answer every second (TTL 0, rotating addresses) cannot make every slave
// re-sign, re-transfer and e-mail on every change. A change that comes sooner is held, not lost:
// the zone's state at the end of the interval (every change so far) goes out under one serial
// and one round of NOTIFY. A change after a quiet interval goes at once. The daemon consults it
// for upstream-driven changes only (a zone file edit is published at once, see publish()).
// Thread rule: one per zone, used on the master's io_context thread only.
#pragma once

#include <chrono>
#include <optional>

namespace flatsign::master {

class SerialDamper {
 public:
  using Clock = std::chrono::steady_clock;
  // A zero interval turns damping off (every change is published at once).
  explicit SerialDamper(Clock::duration min_interval) : min_interval_(min_interval) {}

  // A change is waiting at `now`. True: publish it now (then call published()). False: it is
  // held until held_until().
  [[nodiscard]] bool may_publish(Clock::time_point now);
  // A new serial went out at `now`; any hold ends.
  void published(Clock::time_point now);
  // The content went back to what is served: nothing is waiting any more.
  void withdraw() { held_ = false; }
  // When the held change may go out; nullopt when nothing is held.
  [[nodiscard]] std::optional<Clock::time_point> held_until() const;
  void set_min_interval(Clock::duration d) { min_interval_ = d; }

 private:
  Clock::duration min_interval_;
  std::optional<Clock::time_point> last_published_;
  bool held_ = false;
};

}  // namespace flatsign::master
