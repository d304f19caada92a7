#include "common/util/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

namespace flatsign::util {

struct MetricsRegistry::Family {
  std::string name, help;
  bool is_counter = false;
  std::vector<std::string> label_names;
  struct Series {
    Labels labels;
    Counter counter;
    Gauge gauge;
  };
  // One allocation per series, so a returned Counter&/Gauge& never moves (a deque's 512-octet
  // blocks cost ~9 KB per zone on a slave with thousands of zones' registries).
  std::vector<std::unique_ptr<Series>> series;
};

namespace {

bool valid_name(std::string_view n, bool metric) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return metric || n.substr(0, 2) != "__";
}

// HELP text: backslash and newline escaped. Label values: also the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string metric_value_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 bool is_counter, const Labels& labels) {
  if (frozen_.load(std::memory_order_acquire)) {
    throw std::logic_error("metric \"" + std::string(name) + "\" registered after freeze()");
  }
  if (!valid_name(name, true)) {
    throw std::invalid_argument("bad metric name \"" + std::string(name) + "\"");
  }
  if (is_counter && (name.size() < 6 || name.substr(name.size() - 6) != "_total")) {
    throw std::invalid_argument("counter \"" + std::string(name) + "\" must end in _total");
  }
  std::vector<std::string> names;
  for (const auto& [k, v] : labels) {
    if (!valid_name(k, false)) {
      throw std::invalid_argument("metric \"" + std::string(name) + "\": bad label name \"" + k +
                                  "\"");
    }
    names.push_back(k);
  }
  for (Family& f : families_) {
    if (f.name != name) continue;
    if (f.is_counter != is_counter || f.help != help || f.label_names != names) {
      throw std::invalid_argument("metric \"" + std::string(name) +
                                  "\" registered again with another type, help or label names");
    }
    for (const auto& s : f.series) {
      if (s->labels == labels) {
        throw std::invalid_argument("metric \"" + std::string(name) +
                                    "\": series registered twice");
      }
    }
    return f;
  }
  Family& f = families_.emplace_back();
  f.name = name;
  f.help = help;
  f.is_counter = is_counter;
  f.label_names = std::move(names);
  return f;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, Labels labels) {
  Family& f = family(name, help, true, labels);
  auto& s = *f.series.emplace_back(std::make_unique<Family::Series>());
  s.labels = std::move(labels);
  return s.counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, Labels labels) {
  Family& f = family(name, help, false, labels);
  auto& s = *f.series.emplace_back(std::make_unique<Family::Series>());
  s.labels = std::move(labels);
  return s.gauge;
}

std::string MetricsRegistry::render() const {
  const MetricsRegistry* self = this;
  return render_all(std::span<const MetricsRegistry* const>(&self, 1));
}

std::string MetricsRegistry::render_all(std::span<const MetricsRegistry* const> registries) {
  std::string out;
  // Families by first appearance; the text format wants each family's series together.
  std::vector<const Family*> order;
  std::unordered_map<std::string_view, std::vector<const Family*>> by_name;
  for (const MetricsRegistry* r : registries) {
    for (const Family& f : r->families_) {
      auto& v = by_name[f.name];
      if (v.empty()) order.push_back(&f);
      v.push_back(&f);
    }
  }
  for (const Family* f : order) {
    out += "# HELP ";
    out += f->name;
    out += ' ';
    append_escaped(out, f->help, false);
    out += "\n# TYPE ";
    out += f->name;
    out += f->is_counter ? " counter\n" : " gauge\n";
    for (const Family* same : by_name[f->name]) render_series(out, *same);
  }
  return out;
}

void MetricsRegistry::render_series(std::string& out, const Family& f) {
  for (const auto& sp : f.series) {
    const auto& s = *sp;
    out += f.name;
    if (!s.labels.empty()) {
      out += '{';
      for (size_t i = 0; i < s.labels.size(); ++i) {
        if (i) out += ',';
        out += s.labels[i].first;
        out += "=\"";
        append_escaped(out, s.labels[i].second, true);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    out += f.is_counter ? fmt::format("{}", s.counter.value()) : metric_value_text(s.gauge.value());
    out += '\n';
  }
}

}  // namespace flatsign::util

namespace flatsign::util {

MetricSetSpec::MetricSetSpec(std::string label) : label_(std::move(label)) {
  if (!valid_name(label_, false))
    throw std::invalid_argument("metric set: bad label name \"" + label_ + "\"");
}

size_t MetricSetSpec::counter(std::string_view name, std::string_view help, Labels labels) {
  return add(name, help, true, labels);
}

size_t MetricSetSpec::gauge(std::string_view name, std::string_view help, Labels labels) {
  return add(name, help, false, labels);
}

size_t MetricSetSpec::add(std::string_view name, std::string_view help, bool is_counter,
                          const Labels& labels) {
  const std::string quoted = "metric \"" + std::string(name) + "\"";
  if (!valid_name(name, true)) throw std::invalid_argument("bad " + quoted);
  if (is_counter && (name.size() < 6 || name.substr(name.size() - 6) != "_total"))
    throw std::invalid_argument("counter \"" + std::string(name) + "\" must end in _total");
  std::vector<std::string> names;
  std::string text;
  for (const auto& [k, v] : labels) {
    if (!valid_name(k, false) || k == label_ ||
        std::find(names.begin(), names.end(), k) != names.end())
      throw std::invalid_argument(quoted + ": bad label name \"" + k + "\"");
    names.push_back(k);
    text += ',' + k + "=\"";
    append_escaped(text, v, true);
    text += '"';
  }
  size_t fi = 0;
  while (fi < families_.size() && families_[fi].name != name) ++fi;
  if (fi == families_.size()) {
    families_.push_back({std::string(name), std::string(help), is_counter, std::move(names), {}});
  } else {
    const Family& f = families_[fi];
    if (f.is_counter != is_counter || f.help != help || f.label_names != names)
      throw std::invalid_argument(quoted + " registered again with another type, help or labels");
    for (size_t si : f.series)
      if (series_[si].labels == text)
        throw std::invalid_argument(quoted + ": series registered twice");
  }
  families_[fi].series.push_back(series_.size());
  series_.push_back({fi, std::move(text), is_counter ? counters_++ : gauges_++});
  return series_.size() - 1;
}

MetricSet::MetricSet(const MetricSetSpec& spec, std::string label_value)
    : spec_(&spec),
      label_value_(std::move(label_value)),
      counters_(std::make_unique<Counter[]>(spec.counters_)),
      gauges_(std::make_unique<Gauge[]>(spec.gauges_)) {}

Counter& MetricSet::counter(size_t series) const {
  return counters_[spec_->series_[series].slot];
}

Gauge& MetricSet::gauge(size_t series) const {
  return gauges_[spec_->series_[series].slot];
}

std::string MetricSet::render_all(std::span<const MetricSet* const> sets) {
  std::string out;
  if (sets.empty()) return out;
  const MetricSetSpec& spec = *sets.front()->spec_;
  std::vector<std::string> values;  // each set's label, escaped once
  values.reserve(sets.size());
  for (const MetricSet* s : sets) {
    std::string v;
    append_escaped(v, s->label_value_, true);
    values.push_back(std::move(v));
  }
  for (const auto& f : spec.families_) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    append_escaped(out, f.help, false);
    out += "\n# TYPE ";
    out += f.name;
    out += f.is_counter ? " counter\n" : " gauge\n";
    for (size_t i = 0; i < sets.size(); ++i) {
      for (size_t si : f.series) {
        const auto& s = spec.series_[si];
        out += f.name;
        out += '{';
        out += spec.label_;
        out += "=\"";
        out += values[i];
        out += '"';
        out += s.labels;
        out += "} ";
        out += f.is_counter ? fmt::format("{}", sets[i]->counters_[s.slot].value())
                            : metric_value_text(sets[i]->gauges_[s.slot].value());
        out += '\n';
      }
    }
  }
  return out;
}

}  // namespace flatsign::util
