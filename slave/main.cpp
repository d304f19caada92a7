// flatsign-slave: the signing public authoritative (polls the masters, re-signs on change).
// Thin: parse the command line and the --config file, load every zone's state, run the daemon
// on one io_context.
// `flatsign-slave status --http ADDR [--json|--metrics]` prints a running slave's /status.
#include <malloc.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include "common/cli/status_cli.hpp"
#include "common/dns/rdata.hpp"
#include "common/dns/tsig.hpp"
#include "common/dnssec/key.hpp"
#include "common/net/address.hpp"
#include "common/util/heap.hpp"
#include "common/util/log.hpp"
#include "common/util/version.hpp"
#include "slave/config.hpp"
#include "slave/key_roll.hpp"
#include "slave/signature_margin.hpp"
#include "slave/slave_daemon.hpp"
#include "slave/state.hpp"

#ifdef FLATSIGN_WITH_JEMALLOC
// jemalloc's settings (MALLOC_CONF in the environment overrides them). One arena: the threads'
// own caches spare most allocations its lock, and the zones' long-lived data, built by many
// threads, then shares pages instead of leaving partly used ones in each of several arenas
// (bench/many-zones, 10,000 zones: 0.8 MiB less than eight arenas, for a cold start about a
// tenth slower; bench/RESULTS.md). Free pages go back to the kernel one second after they are
// freed, not ten, and at once rather than by way of the "muzzy" stage, whose pages still count
// in the process's PSS: a cold start frees hundreds of MB of transfers and signing buffers that
// would otherwise stay resident.
extern "C" const char* malloc_conf;
const char* malloc_conf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0";
#endif

namespace {
using namespace flatsign;

int fail(const std::string& why) {
  std::fprintf(stderr, "flatsign-slave: %s\n", why.c_str());
  return 2;
}

// --check: the zone's SOA expire and largest TTL, from its last signed zone when one is kept,
// against its signature timing (signature_margin.hpp). False when the operator's timing is
// unsafe for them (the daemon would refuse to start).
bool check_margin(const slave::ZoneConfig& z) {
  std::shared_ptr<const zone::Zone> last;
  try {
    last = slave::load_signed_zone(z.publisher.state_dir, z.publisher.zone);
  } catch (const std::exception&) {
    return true;  // the daemon reports it when it starts
  }
  const std::string name = z.publisher.zone.to_string();
  if (!last) {
    std::printf("zone %s: signature margin checked at the first publication\n", name.c_str());
    return true;
  }
  const slave::ZoneFigures f = slave::zone_figures(*last);
  const slave::SignatureTiming set{z.publisher.signature_validity, z.publisher.signature_refresh};
  std::string problem = slave::margin_problem(set, f);
  if (problem.empty()) return true;
  if (z.signature_timing_set) {
    std::printf("zone %s: %s\n", name.c_str(), problem.c_str());
    return false;
  }
  if (auto t = slave::derived_timing(set, f)) {
    std::printf(
        "zone %s: signature timing derived from the zone (SOA expire %u s, largest TTL %u "
        "s): validity %u s, refresh %u s\n",
        name.c_str(), f.expire, f.max_ttl, t->validity, t->refresh);
  } else {
    std::printf(
        "zone %s: %s; no validity up to %u s leaves that margin (alerted at each "
        "publication)\n",
        name.c_str(), problem.c_str(), slave::kMaxSignatureValidity);
  }
  return true;
}

void print_ds(const dns::Name& zone, const dnssec::DnssecKey& k) {
  std::printf("%s\t3600\tIN\tDS\t%s\n", zone.to_string().c_str(),
              dns::rdata_to_text(dns::RRType::DS, k.ds_rdata()).c_str());
}

// The key policy of `zone` from --config (its [[zone]] table over the globals), or the defaults.
slave::KeyPolicy policy_of(const std::string& config_path, const dns::Name& zone) {
  if (config_path.empty()) return {};
  slave::ConfigSource source;
  source.path = config_path;
  const auto config = slave::load_slave_config(source);
  for (const auto& z : config.zones)
    if (z.publisher.zone == zone) return z.publisher.key_policy;
  throw std::runtime_error("zone " + zone.to_string() + " is not in " + config_path);
}

// `key roll | retire TAG | list` (slave/key_roll.hpp has the procedure).
int key_command(bool roll, bool retire, const std::string& zone_text, const std::string& root,
                const std::string& alg_text, uint16_t tag, const std::string& config_path,
                const std::string& import_path) {
  const dns::Name zone = slave::zone_name(zone_text);
  const std::string dir = slave::prepare_zone_state_dir(root, zone);
  const std::time_t now = std::time(nullptr);
  if (roll) {
    std::optional<dnssec::Algorithm> alg;
    if (!alg_text.empty()) {
      alg = dnssec::algorithm_from_string(alg_text);
      if (!alg || !dnssec::can_sign(*alg)) return fail("unsupported --algorithm " + alg_text);
    }
    const slave::KeyPolicy policy = policy_of(config_path, zone);
    const auto current = dnssec::load_keys(dir, zone, /*require_private=*/false);
    const bool other_alg = alg && std::any_of(current.begin(), current.end(), [&](const auto& k) {
                             const slave::KeyWindows w = slave::key_windows(k.timing);
                             return k.algorithm != *alg && w.active_from != slave::kNever &&
                                    w.active_until == slave::kNever;
                           });
    if (other_alg) {
      // A new algorithm's keys sign before they are published (RFC 6781 §4.1.4).
      slave::AlgorithmRollTiming t;
      const auto made = slave::roll_algorithm(dir, zone, *alg, now, policy, t);
      std::fprintf(stderr,
                   "flatsign-slave: algorithm roll of %s to %s (a running slave picks it up): "
                   "the new keys sign from now while not yet in the DNSKEY RRset, are published "
                   "at %s; CDS/CDNSKEY name the new KSK/CSK from %s; the old keys leave the "
                   "DNSKEY RRset at %s and stop signing at %s. The new DS for the parent:\n",
                   zone.to_string().c_str(), dnssec::algorithm_name(*alg).c_str(),
                   slave::time_text(t.publish).c_str(), slave::time_text(t.sync).c_str(),
                   slave::time_text(t.remove).c_str(), slave::time_text(t.retire).c_str());
      for (const auto& k : made)
        if (k.is_sep()) print_ds(zone, k);
      return 0;
    }
    slave::CskRollTiming t;
    auto k = slave::roll_key(dir, zone, alg, now, policy, t);
    std::fprintf(stderr,
                 "flatsign-slave: new %s CSK %u for %s, published and signing beside the old "
                 "key now (a running slave picks it up); CDS/CDNSKEY name it from %s, the old "
                 "key stops signing at %s and leaves at %s. Its DS for the parent:\n",
                 dnssec::algorithm_name(k.algorithm).c_str(), k.tag, zone.to_string().c_str(),
                 slave::time_text(t.sync).c_str(), slave::time_text(t.retire).c_str(),
                 slave::time_text(t.remove).c_str());
    print_ds(zone, k);
    return 0;
  }
  if (!import_path.empty()) {
    auto k = slave::import_key(dir, zone, import_path, now);
    std::fprintf(stderr, "flatsign-slave: key %u (%s) imported into %s: %s now\n", k.tag,
                 dnssec::algorithm_name(k.algorithm).c_str(), dir.c_str(),
                 slave::key_state_text(k, now).c_str());
    return 0;
  }
  if (retire) {
    auto left = slave::retire_key(dir, zone, tag);
    std::fprintf(stderr, "flatsign-slave: key %u moved to %s/retired/\n", tag, dir.c_str());
    for (const auto& k : left) std::fprintf(stderr, "  key %u left (flags %u)\n", k.tag, k.flags);
    return 0;
  }
  const auto keys = dnssec::load_keys(dir, zone, /*require_private=*/false);
  if (keys.empty()) return fail("no keys for " + zone.to_string() + " in " + dir);
  for (const auto& k : keys) {
    std::printf("; key %u %s flags %u created %lld state %s next-event %s\n", k.tag,
                dnssec::algorithm_name(k.algorithm).c_str(), k.flags,
                static_cast<long long>(k.created), slave::key_state_text(k, now).c_str(),
                slave::time_text(slave::next_key_event(k, now)).c_str());
    if (k.is_sep()) print_ds(zone, k);
  }
  try {
    const slave::KeySet set = slave::key_set_at(keys, now);
    std::printf("; now: %s; next change %s\n", set.text().c_str(),
                slave::time_text(set.next_event).c_str());
    if (std::string later = slave::schedule_problem(keys, now); !later.empty())
      std::printf("; later: cannot be served %s\n", later.c_str());
  } catch (const slave::KeyScheduleError& e) {
    std::printf("; now: cannot be served: %s\n", e.what());
    return 1;
  }
  return 0;
}

// --check: each zone's keys (when its state folder has them) and its policy's timeline.
void print_key_timelines(const slave::SlaveConfig& config) {
  const std::time_t now = std::time(nullptr);
  for (const auto& z : config.zones) {
    const auto& pc = z.publisher;
    std::printf("zone %s keys:\n", pc.zone.to_string().c_str());
    std::vector<dnssec::DnssecKey> keys;
    slave::ZoneTtls ttls;
    try {
      if (std::filesystem::is_directory(pc.keys_dir()))
        keys = dnssec::load_keys(pc.keys_dir(), pc.zone, false);
      if (auto signed_zone = slave::load_signed_zone(pc.state_dir, pc.zone))
        ttls = slave::zone_ttls(*signed_zone);
    } catch (const std::exception& e) {
      std::printf("  keys: %s\n", e.what());
      continue;
    }
    if (keys.empty()) {
      std::printf("  keys: none yet (made at the first start)\n");
      continue;
    }
    for (const auto& line : slave::policy_timeline(keys, now, pc.key_policy, ttls))
      std::printf("  %s\n", line.c_str());
  }
}
// `ds`: the DS records of the zone's SEP keys, for the parent.
int ds_command(const std::string& zone_text, const std::string& state_dir) {
  const dns::Name zone = slave::zone_name(zone_text);
  const std::string dir = slave::prepare_zone_state_dir(state_dir, zone);
  auto keys = dnssec::load_keys(dir, zone);
  if (keys.empty()) return fail("no keys for " + zone.to_string() + " in " + dir);
  for (const auto& k : keys)
    if (k.is_sep()) print_ds(zone, k);
  return 0;
}

// `--check`: each zone's settings, signature margin and key timeline; 2 when a zone is unsafe.
int check_command(const slave::SlaveConfig& config) {
  size_t unsafe = 0;
  for (const auto& z : config.zones) {
    std::printf("zone %s: masters %zu, %s, %s, state %s\n", z.publisher.zone.to_string().c_str(),
                z.masters.size(), dnssec::algorithm_name(z.publisher.algorithm).c_str(),
                z.publisher.denial.mode == dnssec::DenialMode::Nsec3 ? "nsec3" : "nsec",
                z.publisher.state_dir.c_str());
    unsafe += check_margin(z) ? 0 : 1;
  }
  print_key_timelines(config);
  if (unsafe != 0) {
    std::fprintf(stderr,
                 "flatsign-slave: configuration refused: %zu zone(s) with an unsafe "
                 "signature-refresh\n",
                 unsafe);
    return 2;
  }
  std::fprintf(stderr, "flatsign-slave: configuration OK: %zu zone(s)\n", config.zones.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Without jemalloc (sanitizer builds, FLATSIGN_JEMALLOC=OFF): one glibc arena for every thread,
  // set before any starts. The zone lives for hours but is built by the worker and the signing
  // threads; with an arena per thread its chunks end up spread thinly over several arenas, whose
  // pages malloc_trim cannot give back while one chunk on them lives. Measured on a 100k-name
  // signed zone: RSS at rest 244 -> 186 MB. The price is one lock for every thread's malloc.
  if (!util::heap_is_jemalloc()) mallopt(M_ARENA_MAX, 1);
  if (argc >= 2 && std::strcmp(argv[1], "status") == 0)
    return cli::run_status_command({"flatsign-slave", "127.0.0.1:9154", true}, argc - 1, argv + 1);
  CLI::App app{
      "flatsign-slave: polls flatsign masters by AXFR, re-signs with DNSSEC on change, and serves "
      "every zone it signs"};
  slave::ConfigSource source;
  bool check = false;
  app.add_option("--config", source.path,
                 "TOML file: the options below as keys, and a [[zone]] table per zone with its "
                 "overrides (README); re-read on SIGHUP");
  app.add_option("--zone", source.zones, "a zone to transfer, sign and serve (repeat)");
  app.add_flag("--check", check, "validate the configuration and key files, then exit");
  std::map<std::string, std::vector<std::string>> given;
  for (const auto& spec : slave::slave_options())
    app.add_option(std::string("--") + spec.name, given[spec.name],
                   std::string(spec.help) + (spec.per_zone ? "" : " [global]"));
  bool version = false;
  app.add_flag("--version", version, "print the version and the commit built from, then exit");
  auto* ds = app.add_subcommand("ds", "print the DS records for the parent and exit");
  std::string ds_zone, ds_state;
  ds->add_option("--zone", ds_zone)->required();
  ds->add_option("--state-dir", ds_state)->required();
  auto* key = app.add_subcommand(
      "key",
      "DNSSEC keys of a zone (docs/operations.md, key lifecycle): `key roll` starts a "
      "double-signature CSK roll (RFC 7583 3.3.2) that a running slave steps through by the "
      "keys' timing; the parent's DS must follow the CDS between its sync and retire steps");
  key->require_subcommand(1);
  std::string key_zone, key_state, key_alg;
  uint16_t retire_tag = 0;
  auto* roll = key->add_subcommand(
      "roll", "write a successor CSK with its timing and the old key's end times (prints its DS)");
  auto* retire = key->add_subcommand("retire", "move key TAG to <state-dir>/<zone>/retired/");
  auto* list = key->add_subcommand("list", "print the keys, their state, next event and DS");
  auto* import = key->add_subcommand(
      "import", "copy a BIND key (dnssec-keygen's files, its timing kept) into the zone's folder");
  std::string import_path;
  import->add_option("file", import_path, "K<zone>+<alg>+<tag>.key or .private")->required();
  for (auto* s : {roll, retire, list, import}) {
    s->add_option("--zone", key_zone)->required();
    s->add_option("--state-dir", key_state)->required();
  }
  roll->add_option("--algorithm", key_alg,
                   "default: the current keys' algorithm; another one: an algorithm roll of "
                   "every signing key (RFC 6781 4.1.4)");
  std::string key_config;
  roll->add_option("--config", key_config,
                   "the slave's config file: the zone's key-policy timing (default: the defaults)");
  retire->add_option("tag", retire_tag, "key tag of the old key")->required();
  CLI11_PARSE(app, argc, argv);
  if (version) {
    std::printf("flatsign-slave %s\n", util::version_text());
    return 0;
  }
  for (auto& [name, values] : given)
    if (app.count("--" + name) > 0) source.command_line[name] = values;

  std::signal(SIGPIPE, SIG_IGN);  // a hook that does not read its stdin

  try {
    if (*ds) return ds_command(ds_zone, ds_state);
    if (*key)
      return key_command(bool(*roll), bool(*retire), key_zone, key_state, key_alg, retire_tag,
                         key_config, *import ? import_path : std::string());
    slave::SlaveConfig config;
    try {
      config = slave::load_slave_config(source);
    } catch (const slave::ConfigError& e) {
      std::fprintf(stderr, "flatsign-slave: configuration refused:\n%s\n", e.what());
      return 2;
    }
    util::LogLevel level;
    if (util::parse_log_level(config.log_level, level)) util::set_log_level(level);
    if (check) return check_command(config);
    boost::asio::io_context io;
    slave::SlaveDaemon daemon(io, std::move(source), std::move(config));
    daemon.start_up();
    daemon.start();
    io.run();
    util::log(util::LogLevel::Info, "slave", "", "stopped");
    return 0;
  } catch (const slave::StateError& e) {
    return fail(std::string("state directory: ") + e.what());
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
