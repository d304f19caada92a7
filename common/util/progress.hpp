// Progress lines for long operations (the first full sign of a large zone), throttled to one
// every few seconds: "signing example.com.: 40% (400000/1000000 RRsets), 3.1 s".
// Thread rule: one ProgressLog per operation, called from one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "common/util/log.hpp"

namespace flatsign::util {

class ProgressLog {
 public:
  // `what` names the operation ("signing"), `unit` what is counted ("RRsets").
  ProgressLog(std::string subsystem, std::string zone, std::string what, std::string unit,
              double every_seconds = 2.0)
      : s_(std::make_shared<State>(State{std::move(subsystem), std::move(zone), std::move(what),
                                         std::move(unit), every_seconds})) {}

  // Reports `done` of `total` after `seconds`: a line every `every_seconds`, and one last line
  // at 100% when any was written. A `seconds` below the previous call's starts a new run (the
  // callback is shared by every run of a signer).
  void operator()(size_t done, size_t total, double seconds) const {
    State& s = *s_;
    if (seconds < s.previous) s = State{s.subsystem, s.zone, s.what, s.unit, s.every};  // new run
    s.previous = seconds;
    const bool finished = done >= total;
    if (s.finished || (seconds - s.last < s.every && !(finished && s.last > 0))) return;
    s.last = seconds;
    s.finished = finished;
    log(LogLevel::Info, s.subsystem, s.zone, "{}: {}% ({}/{} {}), {:.1f} s", s.what,
        total ? done * 100 / total : 100, done, total, s.unit, seconds);
  }

 private:
  struct State {
    std::string subsystem, zone, what, unit;
    double every = 2.0;
    double last = 0;        // seconds of the last line in this run; 0: none yet
    double previous = 0;    // seconds of the previous call
    bool finished = false;  // the 100% line of this run is written
  };
  std::shared_ptr<State> s_;  // shared: std::function copies its target
};

}  // namespace flatsign::util
