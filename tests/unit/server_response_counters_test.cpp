// ResponseCounters: each response counted once by its header RCODE, BADVERS from a FORMERR
// outcome with RCODE 0, nothing sent counted as dropped; counting from many threads at once.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "common/server/response_counters.hpp"

using flatsign::net::Responses;
using flatsign::server::Outcome;
using flatsign::server::ResponseCounters;

namespace {
Responses reply(unsigned rcode) {
  std::vector<uint8_t> m(12, 0);
  m[2] = 0x84;  // QR, AA
  m[3] = static_cast<uint8_t>(rcode);
  return {m};
}
}  // namespace

TEST_CASE("response counters: by RCODE, BADVERS, other and dropped", "[metrics]") {
  flatsign::util::MetricsRegistry r;
  ResponseCounters c(r, "test");
  r.freeze();
  c.count(Outcome::Answered, reply(0));
  c.count(Outcome::Answered, reply(3));
  c.count(Outcome::Refused, reply(5));
  c.count(Outcome::FormErr, reply(0));    // BADVERS: the extended RCODE lives in the OPT
  c.count(Outcome::Answered, reply(15));  // not one of the named ones
  c.count(Outcome::Dropped, {});
  c.count(Outcome::Answered, {std::vector<uint8_t>(5, 0)});  // shorter than a header
  CHECK(c.value(0) == 1);
  CHECK(c.value(3) == 1);
  CHECK(c.value(5) == 1);
  CHECK(std::string(ResponseCounters::series_name(11)) == "BADVERS");
  CHECK(c.value(11) == 1);
  CHECK(c.value(12) == 1);
  CHECK(c.dropped() == 2);
  const std::string text = r.render();
  CHECK(text.find("test_queries_total{rcode=\"NXDOMAIN\"} 1\n") != std::string::npos);
  CHECK(text.find("test_queries_dropped_total 2\n") != std::string::npos);
}

TEST_CASE("response counters: concurrent counting loses nothing", "[metrics]") {
  flatsign::util::MetricsRegistry r;
  ResponseCounters c(r, "test");
  r.freeze();
  const Responses ok = reply(0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.count(Outcome::Answered, ok);
    });
  for (auto& t : threads) t.join();
  CHECK(c.value(0) == 40000);
}
