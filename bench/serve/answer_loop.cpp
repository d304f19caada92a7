// flatsign-bench-answer: the serving path without the network, for A/B runs of answer-engine
// changes on a busy machine. Loads a signed zone file, wraps it as flatsign-slave does
// (SnapshotDirectory), and answers the queries of a bench/serve query file ("name TYPE" lines)
// through respond() with a lent response buffer, as the UDP threads do: --rounds rounds of
// --seconds per DO setting. Prints ns per query per round, then the median and the minimum
// (thread CPU time, so time stolen by other processes does not count; for an A/B on a shared
// machine run both builds at once on the same core). Single-threaded. --rrl-rate N runs every
// response through a RateLimiter (common/server/rrl) too: 1000000 limits none, so the figure is
// the limiter's cost alone.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "common/dns/message.hpp"
#include "common/server/responder.hpp"
#include "common/server/rrl.hpp"
#include "common/server/snapshot_directory.hpp"
#include "common/zone/zonefile.hpp"

using namespace flatsign;

namespace {

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// dnsperf's queries: RD clear, EDNS with a 4096-octet payload when DO is asked (-D).
std::vector<std::vector<uint8_t>> read_queries(const std::string& path, bool dnssec) {
  std::vector<std::vector<uint8_t>> out;
  std::ifstream in(path);
  std::string name, type;
  uint16_t id = 0;
  while (in >> name >> type) {
    dns::Message m;
    m.id = ++id;
    auto t = dns::type_from_string(type);
    if (!t) throw std::runtime_error("unknown type " + type);
    m.questions.push_back({dns::Name::parse(name), *t, dns::RRClass::IN});
    if (dnssec) {
      m.edns = dns::Edns{};
      m.edns->udp_payload = 4096;
      m.edns->do_bit = true;
    }
    out.push_back(dns::write_message(m));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flatsign-bench-answer: respond() in a loop over a bench/serve query file"};
  std::string zone_path, origin_text, queries_path;
  double seconds = 1;
  int rounds = 5;
  app.add_option("zone", zone_path, "signed zone file")->required();
  app.add_option("origin", origin_text, "zone origin")->required();
  app.add_option("queries", queries_path, "query file, \"name TYPE\" a line")->required();
  app.add_option("--seconds", seconds, "CPU seconds per round and DO setting");
  app.add_option("--rounds", rounds, "rounds; the median and the minimum are printed");
  uint32_t rrl_rate = 0;
  app.add_option("--rrl-rate", rrl_rate, "response rate limiting at this rate; 0: off");
  CLI11_PARSE(app, argc, argv);
  dns::Name origin = dns::Name::parse(origin_text);
  server::SnapshotDirectory dir(origin);
  dir.refresh(zone::load_zone(zone_path, origin).zone);
  server::ResponderPolicy policy;
  server::RrlConfig rrl_config;
  rrl_config.rate = rrl_rate;
  server::RateLimiter rrl(rrl_config);
  if (rrl.enabled()) policy.rrl = &rrl;
  boost::asio::ip::udp::endpoint peer(boost::asio::ip::make_address("127.0.0.1"), 5353);
  std::vector<std::vector<uint8_t>> queries[2] = {read_queries(queries_path, false),
                                                  read_queries(queries_path, true)};
  std::vector<double> ns[2];
  std::vector<uint8_t> spare;
  net::Responses out;
  for (int round = 0; round < rounds; ++round) {
    for (int dnssec : {0, 1}) {
      size_t done = 0;
      double t0 = cpu_now(), t = t0;
      while (t - t0 < seconds) {
        for (const auto& q : queries[dnssec]) {
          if (!out.empty()) spare = std::move(out.front());
          spare.clear();
          out.clear();
          (void)server::respond(dir, policy, net::Request{q, peer, false, &spare}, out);
        }
        done += queries[dnssec].size();
        t = cpu_now();
      }
      ns[dnssec].push_back((t - t0) / double(done) * 1e9);
    }
    std::printf("round %d: DO=0 %.0f ns/query  DO=1 %.0f ns/query\n", round + 1, ns[0].back(),
                ns[1].back());
    std::fflush(stdout);
  }
  for (int dnssec : {0, 1}) {
    std::sort(ns[dnssec].begin(), ns[dnssec].end());
    double median = ns[dnssec][ns[dnssec].size() / 2];
    std::printf("DO=%d  median %.0f ns/query (%.0f queries per CPU second)  min %.0f ns/query\n",
                dnssec, median, 1e9 / median, ns[dnssec].front());
  }
  return 0;
}
