// Metrics registry: the Prometheus text exposition (HELP/TYPE lines, label escaping, _total
// counters, value text) and the registration contract (bad names, duplicates, freeze).
#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>

#include "common/util/metrics.hpp"

using flatsign::util::MetricsRegistry;

TEST_CASE("metrics: counters and gauges render in the Prometheus text format", "[metrics]") {
  MetricsRegistry r;
  auto& noerror =
      r.counter("dns_queries_total", "Queries answered, by RCODE.", {{"rcode", "NOERROR"}});
  auto& refused =
      r.counter("dns_queries_total", "Queries answered, by RCODE.", {{"rcode", "REFUSED"}});
  auto& serial = r.gauge("zone_serial", "Served SOA serial.", {{"zone", "example.test."}});
  auto& plain = r.counter("reloads_total", "Reloads.");
  r.freeze();
  noerror.inc();
  noerror.inc(2);
  refused.inc();
  serial.set(2024010101);
  CHECK(plain.value() == 0);
  CHECK(r.render() ==
        "# HELP dns_queries_total Queries answered, by RCODE.\n"
        "# TYPE dns_queries_total counter\n"
        "dns_queries_total{rcode=\"NOERROR\"} 3\n"
        "dns_queries_total{rcode=\"REFUSED\"} 1\n"
        "# HELP zone_serial Served SOA serial.\n"
        "# TYPE zone_serial gauge\n"
        "zone_serial{zone=\"example.test.\"} 2024010101\n"
        "# HELP reloads_total Reloads.\n"
        "# TYPE reloads_total counter\n"
        "reloads_total 0\n");
}

TEST_CASE("metrics: label values and help text are escaped", "[metrics]") {
  MetricsRegistry r;
  r.gauge("g", "back\\slash and\nnewline", {{"a", "q\"uote\\back\nnl"}, {"b", "x"}}).set(1.5);
  CHECK(r.render() ==
        "# HELP g back\\\\slash and\\nnewline\n"
        "# TYPE g gauge\n"
        "g{a=\"q\\\"uote\\\\back\\nnl\",b=\"x\"} 1.5\n");
}

TEST_CASE("metrics: value text for special values", "[metrics]") {
  using flatsign::util::metric_value_text;
  CHECK(metric_value_text(0) == "0");
  CHECK(metric_value_text(-3) == "-3");
  CHECK(metric_value_text(0.25) == "0.25");
  CHECK(metric_value_text(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(metric_value_text(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(metric_value_text(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("metrics: registration contract", "[metrics]") {
  MetricsRegistry r;
  CHECK_THROWS_AS(r.counter("queries", "no suffix"), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("1bad", "h"), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("g", "h", {{"__reserved", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("g", "h", {{"bad-label", "x"}}), std::invalid_argument);
  r.counter("x_total", "h", {{"k", "1"}});
  CHECK_THROWS_AS(r.counter("x_total", "h", {{"k", "1"}}), std::invalid_argument);  // twice
  CHECK_THROWS_AS(r.counter("x_total", "h", {{"j", "1"}}), std::invalid_argument);  // labels
  CHECK_THROWS_AS(r.gauge("x_total", "h", {{"k", "2"}}), std::invalid_argument);    // type
  r.freeze();
  CHECK_THROWS_AS(r.counter("y_total", "h"), std::logic_error);
}

TEST_CASE("metrics: several registries render as one exposition, each family once", "[metrics]") {
  MetricsRegistry a, b;
  a.counter("polls_total", "Polls.", {{"zone", "a."}}).inc();
  a.gauge("serial", "Serial.", {{"zone", "a."}}).set(7);
  b.counter("polls_total", "Polls.", {{"zone", "b."}}).inc(2);
  b.counter("only_b_total", "Only b.").inc();
  a.freeze();
  b.freeze();
  const MetricsRegistry* both[] = {&a, &b};
  CHECK(MetricsRegistry::render_all(both) ==
        "# HELP polls_total Polls.\n"
        "# TYPE polls_total counter\n"
        "polls_total{zone=\"a.\"} 1\n"
        "polls_total{zone=\"b.\"} 2\n"
        "# HELP serial Serial.\n"
        "# TYPE serial gauge\n"
        "serial{zone=\"a.\"} 7\n"
        "# HELP only_b_total Only b.\n"
        "# TYPE only_b_total counter\n"
        "only_b_total 1\n");
}

TEST_CASE("metrics: sets of one spec render like one registry per instance", "[metrics]") {
  using flatsign::util::MetricSet;
  using flatsign::util::MetricSetSpec;
  MetricSetSpec spec("zone");
  const size_t polls = spec.counter("polls_total", "Polls.", {{"result", "ok"}});
  const size_t failed = spec.counter("polls_total", "Polls.", {{"result", "failed"}});
  const size_t serial = spec.gauge("serial", "Serial.");
  CHECK_THROWS_AS(spec.counter("polls_total", "Polls.", {{"result", "ok"}}), std::invalid_argument);
  CHECK_THROWS_AS(spec.counter("polls_total", "Other help."), std::invalid_argument);
  CHECK_THROWS_AS(spec.gauge("g", "h", {{"zone", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(spec.counter("no_suffix", "h"), std::invalid_argument);
  MetricSet a(spec, "a."), b(spec, "q\"b.");
  a.counter(polls).inc();
  b.counter(polls).inc(2);
  b.counter(failed).inc();
  a.gauge(serial).set(7);
  b.gauge(serial).set(0.5);
  const MetricSet* both[] = {&a, &b};
  CHECK(MetricSet::render_all(both) ==
        "# HELP polls_total Polls.\n"
        "# TYPE polls_total counter\n"
        "polls_total{zone=\"a.\",result=\"ok\"} 1\n"
        "polls_total{zone=\"a.\",result=\"failed\"} 0\n"
        "polls_total{zone=\"q\\\"b.\",result=\"ok\"} 2\n"
        "polls_total{zone=\"q\\\"b.\",result=\"failed\"} 1\n"
        "# HELP serial Serial.\n"
        "# TYPE serial gauge\n"
        "serial{zone=\"a.\"} 7\n"
        "serial{zone=\"q\\\"b.\"} 0.5\n");
  CHECK(MetricSet::render_all({}).empty());
}
