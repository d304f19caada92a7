// Serial damping: the first change goes at once, changes within --min-serial-interval are held
// and go out together at its end (none lost), a change after a quiet interval goes at once.
#include <catch2/catch.hpp>

#include <vector>

#include "master/serial_damper.hpp"

using flatsign::master::SerialDamper;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {
// Drives a damper as MasterDaemon::zone_loop does: the upstream value changes at each time of
// `changes` (ms), the loop looks at each change and wakes at held_until(). Returns the
// publication times and the value each one served.
struct Run {
  std::vector<milliseconds> at;
  std::vector<int> value;
};
Run simulate(SerialDamper& d, const std::vector<int>& changes, milliseconds end) {
  SerialDamper::Clock::time_point t0{};
  Run run;
  int current = 0, served = -1;
  size_t next_change = 0;
  for (milliseconds now{0}; now <= end; now += milliseconds(10)) {
    while (next_change < changes.size() && milliseconds(changes[next_change]) <= now) {
      current = static_cast<int>(++next_change);
    }
    if (current == served) {
      d.withdraw();
      continue;
    }
    auto held = d.held_until();
    if (held && t0 + now < *held) continue;  // asleep until the hold ends
    if (d.may_publish(t0 + now)) {
      d.published(t0 + now);
      served = current;
      run.at.push_back(now);
      run.value.push_back(current);
    }
  }
  return run;
}
}  // namespace

TEST_CASE("SerialDamper: the first change and a change after a quiet interval go at once",
          "[damping]") {
  SerialDamper d(seconds(30));
  SerialDamper::Clock::time_point t{};
  CHECK(d.may_publish(t));
  d.published(t);
  CHECK_FALSE(d.held_until());
  CHECK(d.may_publish(t + seconds(31)));
}

TEST_CASE("SerialDamper: changes within the interval are held to its end, then published once",
          "[damping]") {
  SerialDamper d(seconds(30));
  SerialDamper::Clock::time_point t{};
  d.published(t);
  CHECK_FALSE(d.may_publish(t + seconds(1)));
  REQUIRE(d.held_until());
  CHECK(*d.held_until() == t + seconds(30));
  CHECK_FALSE(d.may_publish(t + seconds(29)));
  CHECK(*d.held_until() == t + seconds(30));  // a later change does not push the end back
  CHECK(d.may_publish(t + seconds(30)));
  d.published(t + seconds(30));
  CHECK_FALSE(d.held_until());
}

TEST_CASE("SerialDamper: a change undone within the interval is withdrawn", "[damping]") {
  SerialDamper d(seconds(30));
  SerialDamper::Clock::time_point t{};
  d.published(t);
  CHECK_FALSE(d.may_publish(t + seconds(2)));
  d.withdraw();
  CHECK_FALSE(d.held_until());
}

TEST_CASE(
    "SerialDamper: an upstream changing every 200 ms for 5 s gets one serial per interval, "
    "the last value included",
    "[damping]") {
  std::vector<int> changes;
  for (int ms = 0; ms < 5000; ms += 200) changes.push_back(ms);
  SerialDamper d(seconds(2));
  Run run = simulate(d, changes, milliseconds(8000));
  // At 0 s, 2 s, 4 s, then the changes after 4 s at 6 s: never two within 2 s.
  REQUIRE(run.at.size() == 4);
  for (size_t i = 1; i < run.at.size(); ++i) CHECK(run.at[i] - run.at[i - 1] >= seconds(2));
  CHECK(run.value.back() == static_cast<int>(changes.size()));  // nothing lost

  SerialDamper off(seconds(0));
  CHECK(simulate(off, changes, milliseconds(8000)).at.size() == changes.size());
}
