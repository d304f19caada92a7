// The slave's publication pipeline in one process, without the network: a first transfer of a
// zone file (full sign), then --runs transfers that each change one address, timed phase by
// phase (parse of the AXFR messages, assembly, check, then the publisher's own phases from its
// log line). For measuring the CPU cost behind bench/publish-latency/run on a quiet core.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "common/dns/message.hpp"
#include "common/dns/rdata.hpp"
#include "common/util/log.hpp"
#include "common/zone/zonefile.hpp"
#include "slave/publisher.hpp"
#include "slave/transfer_check.hpp"

using namespace flatsign;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// `records` (SOA first) as AXFR response messages of about 64 KB, closing SOA appended.
std::vector<std::vector<uint8_t>> to_wire(const dns::Name& zone, std::vector<dns::Rr> records) {
  records.push_back(records.front());
  std::vector<std::vector<uint8_t>> out;
  constexpr size_t kPerMessage = 600;
  for (size_t at = 0; at < records.size(); at += kPerMessage) {
    dns::Message m;
    m.id = 7;
    m.qr = true;
    m.aa = true;
    if (at == 0) m.questions.push_back({zone, dns::RRType::AXFR, dns::RRClass::IN});
    for (size_t i = at; i < records.size() && i < at + kPerMessage; ++i)
      m.answer.push_back(records[i]);
    out.push_back(dns::write_message(m));
  }
  return out;
}

struct Timed {
  slave::CheckResult result;
  double parse = 0, check = 0;
};

Timed transfer(const dns::Name& zone, const std::vector<std::vector<uint8_t>>& wire,
               const zone::Zone* served) {
  Timed t;
  auto t0 = Clock::now();
  slave::AxfrAssembler a(zone, 7);
  for (const auto& w : wire)
    if (a.feed(dns::parse_message(w), w.size() + 2) != slave::AxfrAssembler::State::NeedMore) break;
  t.parse = since(t0);
  t0 = Clock::now();
  t.result = slave::check_transfer(a, served);
  t.check = since(t0);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flatsign slave pipeline benchmark"};
  std::string file, origin_text = "example.com.", state;
  int runs = 3;
  bool nsec3 = false;
  app.add_option("zonefile", file)->required();
  app.add_option("--origin", origin_text);
  app.add_option("--runs", runs);
  app.add_option("--state-dir", state)->required();
  app.add_flag("--nsec3", nsec3);
  CLI11_PARSE(app, argc, argv);
  const dns::Name origin = dns::Name::parse(origin_text);

  auto loaded = zone::load_zone(file, origin).zone;
  std::vector<dns::Rr> records = loaded->records();  // canonical order, as flatsign-master sends
  // The address that changes each run: the first A record below the apex.
  size_t victim = 0;
  for (size_t i = 1; i < records.size() && !victim; ++i)
    if (records[i].type == dns::RRType::A && !(records[i].owner == origin)) victim = i;
  loaded.reset();

  std::filesystem::create_directories(state);
  slave::PublisherConfig config;
  config.zone = origin;
  config.state_dir = state;
  if (nsec3) config.denial.mode = dnssec::DenialMode::Nsec3;
  config.journal.max_versions = 10;
  slave::Publisher publisher(config);
  publisher.start_up();

  auto t0 = Clock::now();
  auto first = transfer(origin, to_wire(origin, records), publisher.served_signed().get());
  if (!publisher.handle(std::move(first.result), "bench")) return 1;
  fmt::print("first publication: {:.2f} s\n", since(t0));

  for (int run = 0; run < runs; ++run) {
    dns::Rr& rr = records[victim];
    rr.rdata.back() = static_cast<uint8_t>(rr.rdata.back() + 1);
    dns::set_soa_serial(records.front().rdata, dns::soa_serial(records.front().rdata) + 1);
    auto wire = to_wire(origin, records);
    t0 = Clock::now();
    auto t = transfer(origin, wire, publisher.served_signed().get());
    const auto verdict = t.result.verdict;
    const std::string detail = t.result.detail;
    auto t1 = Clock::now();
    const bool published = publisher.handle(std::move(t.result), "bench");
    const double publish = since(t1);
    fmt::print("run {}: {} ({}) parse {:.3f} s, check {:.3f} s, publish {:.3f} s, total {:.3f} s\n",
               run + 1, slave::verdict_name(verdict), detail, t.parse, t.check, publish, since(t0));
    if (!published) return 1;
  }
  return 0;
}
