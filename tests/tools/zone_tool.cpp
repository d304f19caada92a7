// flatsign-zone-tool: drives the zone-file parser, builder and printer from the command line for
// integration tests and benchmarks. Single-threaded.
//   check FILE --origin O   parse + build, print counts and warnings; exit 1 with the error
//   print FILE --origin O   canonical text on stdout
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "common/dns/error.hpp"
#include "common/dns/name.hpp"
#include "common/zone/zone.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"

namespace {

using flatsign::dns::Name;
using flatsign::zone::ZoneBuilder;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// What load_zone() does, timing both stages when `timing` is set (on stderr).
ZoneBuilder::Result load(const std::string& file, const Name& origin, bool timing) {
  auto t0 = std::chrono::steady_clock::now();
  ZoneBuilder builder(origin);
  builder.reserve(flatsign::zone::estimate_records(file));
  auto stats = flatsign::zone::parse_zone_file(
      file, origin, [&](flatsign::dns::Rr&& rr, const flatsign::zone::Location& where) {
        builder.add(std::move(rr), where);
      });
  double parse_s = seconds_since(t0);
  auto t1 = std::chrono::steady_clock::now();
  ZoneBuilder::Result result = std::move(builder).build();
  double build_s = seconds_since(t1);
  result.warnings.insert(result.warnings.begin(), stats.warnings.begin(), stats.warnings.end());
  if (timing) {
    fmt::print(stderr, "timing: parse {:.3f} s, build {:.3f} s ({} records, {} files)\n", parse_s,
               build_s, stats.records, stats.files);
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flatsign zone-file tool (tests and benchmarks)"};
  app.require_subcommand(1);
  std::string file, origin_text;
  bool timing = false, quiet = false, parse_only = false;
  auto* check = app.add_subcommand("check", "parse and build a zone, print counts and warnings");
  auto* print = app.add_subcommand("print", "print the zone as canonical text on stdout");
  for (auto* sub : {check, print}) {
    sub->add_option("file", file, "zone file")->required();
    sub->add_option("--origin,-o", origin_text, "zone origin")->required();
    sub->add_flag("--timing", timing, "print parse and build times on stderr");
  }
  check->add_flag("--quiet,-q", quiet, "do not list warnings");
  check->add_flag("--parse-only", parse_only, "only parse (no ZoneBuilder), print the RR count");
  CLI11_PARSE(app, argc, argv);

  try {
    Name origin = Name::parse(origin_text.ends_with('.') ? origin_text : origin_text + ".");
    if (parse_only) {
      auto t0 = std::chrono::steady_clock::now();
      size_t rdata_octets = 0;
      auto stats = flatsign::zone::parse_zone_file(
          file, origin, [&](flatsign::dns::Rr&& rr, const flatsign::zone::Location&) {
            rdata_octets += rr.rdata.size();
          });
      if (timing) fmt::print(stderr, "timing: parse {:.3f} s\n", seconds_since(t0));
      fmt::print("{} records, {} files, {} RDATA octets, {} warnings\n", stats.records, stats.files,
                 rdata_octets, stats.warnings.size());
      return 0;
    }
    ZoneBuilder::Result result = load(file, origin, timing);
    if (check->parsed()) {
      if (!quiet) {
        for (const auto& w : result.warnings) fmt::print("warning: {}\n", w.to_string());
      }
      fmt::print("{}: serial {}, {} nodes, {} RRsets, {} RRs, {} warnings\n",
                 result.zone->origin().to_string(), result.zone->serial(),
                 result.zone->nodes().size(), result.zone->rrset_count(), result.zone->rr_count(),
                 result.warnings.size());
    } else {
      auto t0 = std::chrono::steady_clock::now();
      flatsign::zone::print_zone(*result.zone, stdout);
      if (timing) fmt::print(stderr, "timing: print {:.3f} s\n", seconds_since(t0));
    }
  } catch (const flatsign::zone::ZoneError& e) {
    for (const auto& issue : e.issues()) fmt::print(stderr, "{}\n", issue.to_string());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
