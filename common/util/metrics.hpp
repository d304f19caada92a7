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

// The series every instance of one thing has (each zone of a slave with thousands), described
// once: families, help texts and fixed labels live here, shared by every MetricSet made from it.
// Built single-threaded before the first MetricSet, then read-only (shared across threads).
class MetricSetSpec {
 public:
  // `label`: the name of the label that tells instances apart (e.g. "zone"), rendered first.
  explicit MetricSetSpec(std::string label);

  // Adds one series of the counter (gauge) family `name` and returns its index for
  // MetricSet::counter() (gauge()). REQUIRES and throws as MetricsRegistry::counter() (gauge()),
  // `labels` naming neither `label` nor a label twice.
  size_t counter(std::string_view name, std::string_view help, Labels labels = {});
  size_t gauge(std::string_view name, std::string_view help, Labels labels = {});
  [[nodiscard]] size_t size() const { return series_.size(); }

 private:
  friend class MetricSet;
  struct Family {
    std::string name, help;
    bool is_counter = false;
    std::vector<std::string> label_names;
    std::vector<size_t> series;  // indexes into series_, in registration order
  };
  struct Series {
    size_t family = 0;
    std::string labels;  // rendered: ",k=\"v\"..." after the instance's label
    size_t slot = 0;     // index among the counters or among the gauges
  };
  size_t add(std::string_view name, std::string_view help, bool is_counter, const Labels& labels);

  std::string label_;
  std::vector<Family> families_;  // by first registration
  std::vector<Series> series_;
  size_t counters_ = 0, gauges_ = 0;
};

// One instance's values of a MetricSetSpec's series: its label value and 8 octets per series,
// nothing else (a MetricsRegistry per zone, with its own copy of every name and help text,
// cost ~10 KB a zone). Updates and render_all() are lock-free and safe from any thread.
class MetricSet {
 public:
  // REQUIRES: `spec` outlives this set and gets no series added after this.
  MetricSet(const MetricSetSpec& spec, std::string label_value);
  MetricSet(const MetricSet&) = delete;
  MetricSet& operator=(const MetricSet&) = delete;

  // REQUIRES: `series` was returned by spec.counter() (gauge()).
  [[nodiscard]] Counter& counter(size_t series) const;
  [[nodiscard]] Gauge& gauge(size_t series) const;

  // The exposition of `sets`' series (each family once, its series set by set), in the same
  // format as MetricsRegistry::render(), to be appended to a registry's.
  // REQUIRES: every set was made from the same spec.
  [[nodiscard]] static std::string render_all(std::span<const MetricSet* const> sets);

 private:
  const MetricSetSpec* spec_;
  std::string label_value_;
  std::unique_ptr<Counter[]> counters_;
  std::unique_ptr<Gauge[]> gauges_;
};

// The sample value as the text format writes it: integers without a fraction, "NaN", "+Inf",
// "-Inf", otherwise the shortest text that reads back as `v`.
[[nodiscard]] std::string metric_value_text(double v);

}  // namespace flatsign::util
