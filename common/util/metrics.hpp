// Process metrics for the daemons: counters and gauges with fixed label values, registered once
// at start-up and rendered in the Prometheus text exposition format (version 0.0.4).
// Thread rule: registration (counter(), gauge()) is single-threaded and ends with freeze();
// after that, Counter/Gauge updates and render() are safe from any thread, lock-free, and
// never allocate on the update path.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flatsign::util {

// A monotonically increasing count. Lives as long as its Registry.
class Counter {
 public:
  void inc(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (a serial, a queue length, the last latency in seconds).
class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// (label name, label value) pairs, in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers one series of the counter family `name` and returns it; the reference stays valid
  // for the registry's lifetime.
  // REQUIRES: not frozen; `name` matches [a-zA-Z_:][a-zA-Z0-9_:]* and ends in "_total";
  //   label names match [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__"; a family keeps
  //   one type, one help text and one set of label names; no two series share label values.
  // Throws std::invalid_argument (the text quotes the bad name) or std::logic_error (frozen).
  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  // As counter(), for a gauge family (no "_total" suffix required).
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  // Ends registration; later counter()/gauge() calls throw std::logic_error.
  void freeze() noexcept { frozen_.store(true, std::memory_order_release); }

  // The text exposition: per family "# HELP", "# TYPE", then one line per series, families in
  // registration order. Label values and help text are escaped as the format requires.
  [[nodiscard]] std::string render() const;
  // The exposition of several registries as one (a daemon with a registry per zone): each family
  // once, with the series of every registry that has it, in the order families first appear.
  // REQUIRES: a family has the same type and help text in every registry that registers it.
  [[nodiscard]] static std::string render_all(std::span<const MetricsRegistry* const> registries);

 private:
  struct Family;
  // Appends the series lines of `f` (no HELP/TYPE).
  static void render_series(std::string& out, const Family& f);
  Family& family(std::string_view name, std::string_view help, bool is_counter,
                 const Labels& labels);

  std::atomic<bool> frozen_{false};
  std::deque<Family> families_;  // deque: references stay valid as families are added
};

// The sample value as the text format writes it: integers without a fraction, "NaN", "+Inf",
// "-Inf", otherwise the shortest text that reads back as `v`.
[[nodiscard]] std::string metric_value_text(double v);

}  // namespace flatsign::util
