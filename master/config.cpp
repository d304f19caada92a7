#include "master/config.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "common/dns/error.hpp"
#include "common/net/http_status.hpp"
#include "common/util/log.hpp"
#include "common/util/toml_options.hpp"

namespace flatsign::master {
namespace {
using util::OptionLayer;
using util::OptionReader;

const OptionLayer& defaults() {
  static const OptionLayer d = [] {
    OptionLayer l;
    auto set = [&](const char* name, const char* v) { l[name] = {{v}, "default"}; };
    set("listen", "127.0.0.1:5300");
    set("alias-failure", "strict");
    set("max-stale", "1h");
    set("min-refresh", "5");
    set("max-refresh", "1h");
    set("alias-max-addresses", "64");
    set("alias-dangling-after", "3");
    set("alias-chain", "trust-chain");
    set("alias-max-targets", "10000");
    set("alias-max-queries", "2000");
    set("alias-max-hops", "8");
    set("alias-dnssec", "off");
    set("min-serial-interval", "60");
    set("resolver-timeout", "1000");
    set("log-level", "info");
    return l;
  }();
  return d;
}

// The options that, given globally, are lists of ZONE=VALUE (the form that predates the
// [[zone]] tables), and the per-zone option each value sets.
const std::map<std::string, std::string>& zone_pair_options() {
  static const std::map<std::string, std::string> m = {{"zone-min-refresh", "min-refresh"},
                                                       {"catalog-group", "catalog-group"},
                                                       {"catalog-coo", "catalog-coo"}};
  return m;
}

dns::Name absolute(std::string text) {
  if (text.empty() || text.back() != '.') text += '.';
  return dns::Name::parse(text);
}

std::chrono::seconds seconds(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::seconds>(ms);
}

// One ZONE=VALUE of a global list, and where it was given.
struct ZonePair {
  std::string option, text, where;
  dns::Name zone;
  std::string value;
};

// The catalog's own name: absolute, and short enough for its longest owner,
// group.<16 hex digits>.zones.<catalog> (RFC 9432 §4.2, §4.4.2).
std::optional<dns::Name> catalog_name(OptionReader& g) {
  const std::string text = g.text("catalog");
  if (text.empty()) return std::nullopt;
  try {
    dns::Name cat = absolute(text);
    (void)cat.prepend("zones").prepend(std::string(16, 'x')).prepend("group");
    return cat;
  } catch (const dns::ParseError& e) {
    g.fail("catalog", "\"" + text + "\": " + e.what());
  } catch (const std::exception&) {
    g.fail("catalog", "\"" + text +
                          "\": too long to hold member nodes (group.<id>.zones.<catalog> exceeds "
                          "255 octets)");
  }
  return std::nullopt;
}

// The zone's settings from its resolved layer `l` into `c` (zones, alias, catalog); errors
// name `context`.
void resolve_zone(const dns::Name& name, const OptionLayer& l, MasterConfig& c,
                  const std::string& context, std::vector<std::string>& errors) {
  OptionReader r(l, context, errors);
  ZoneSource z;
  z.origin = name;
  z.path = r.text("file");
  if (z.path.empty()) r.fail("file", "not set (file = \"PATH\" in the zone's [[zone]] table)");
  AliasZoneOptions& a = c.alias.zones[name];
  const std::string policy = r.choice("alias-failure", {"strict", "ignore", "stale"});
  a.policy = policy == "ignore"  ? AliasFailurePolicy::Ignore
             : policy == "stale" ? AliasFailurePolicy::Stale
                                 : AliasFailurePolicy::Strict;
  a.max_stale = seconds(r.duration("max-stale"));
  // A TTL-0 upstream is still asked at most once a second per target.
  a.min_refresh = std::max(seconds(r.duration("min-refresh")), std::chrono::seconds(1));
  a.max_addresses = static_cast<size_t>(r.number("alias-max-addresses", 1, 100000));
  a.dangling_after = static_cast<unsigned>(r.number("alias-dangling-after", 0, 1000000));
  r.each("alias-allow", [&](const std::string& text) { a.allow.push_back(absolute(text)); });
  a.each_hop = r.choice("alias-chain", {"trust-chain", "each-hop"}) == "each-hop";
  if (a.each_hop && a.allow.empty())
    r.fail("alias-chain", "each-hop needs alias-allow (the suffixes every hop must be under)");
  a.max_hops = static_cast<unsigned>(r.number("alias-max-hops", 0, net::StubResolver::kMaxChain));
  a.max_queries = static_cast<size_t>(r.number("alias-max-queries", 2, 1000000));
  const std::string dnssec = r.choice("alias-dnssec", {"off", "flag", "require"});
  a.dnssec = dnssec == "flag"      ? AliasDnssec::Flag
             : dnssec == "require" ? AliasDnssec::Require
                                   : AliasDnssec::Off;
  a.https = r.boolean("alias-https", false);
  z.alias_allow = a.allow;
  z.alias_max_targets = static_cast<size_t>(r.number("alias-max-targets", 1, 10000000));
  z.on_alert = r.text("on-alert");
  z.on_change = r.text("on-change");
  z.min_serial_interval = seconds(r.duration("min-serial-interval"));
  r.each("notify", [&](const std::string& n) { z.notify.push_back(net::parse_endpoint(n, 53)); });
  auto access = std::make_shared<server::TransferAccess>();
  if (!r.list("allow-transfer").empty()) {
    std::vector<net::Prefix> prefixes;
    r.each("allow-transfer",
           [&](const std::string& p) { prefixes.push_back(net::parse_prefix(p)); });
    access->acl = net::Acl(std::move(prefixes));
  }
  access->requires_tsig = c.transfer_requires_tsig;
  const std::string key_name = r.text("tsig-key");
  if (!key_name.empty()) {
    for (const auto& k : c.keys)
      if (k.name == absolute(key_name)) z.key = k;
    if (z.key) {
      access->keys.push_back(z.key->name);  // the only key that may transfer this zone
    } else {
      r.fail("tsig-key", "no key named \"" + key_name + "\" (tsig or tsig-file)");
    }
  } else if (!c.keys.empty()) {
    z.key = c.keys.front();
  }
  z.access = std::move(access);
  for (const auto& group : r.list("catalog-group")) {
    if (group.empty() || group.size() > 255)  // one TXT character-string (RFC 1035 §3.3)
      r.fail("catalog-group", "\"" + group + "\": a group is 1 to 255 octets");
    auto& list = c.catalog.groups[name];
    if (std::find(list.begin(), list.end(), group) == list.end()) list.push_back(group);
  }
  const auto& coo = r.list("catalog-coo");
  if (coo.size() > 1) {
    r.fail("catalog-coo", "one new catalog per member (RFC 9432 §4.4.1 allows one coo)");
  } else if (!coo.empty()) {
    r.each("catalog-coo", [&](const std::string& text) {
      dns::Name target = absolute(text);
      if (c.catalog.name && target == *c.catalog.name)
        throw std::invalid_argument("the new owner is this catalog itself");
      c.catalog.coo.emplace(name, target);
    });
  }
  if (!c.catalog.name)
    for (const char* key : {"catalog-group", "catalog-coo"})
      if (!r.list(key).empty()) r.fail(key, "needs catalog = \"NAME\" (a catalog to be listed in)");
  c.zones.push_back(std::move(z));
}

// Moves the ZONE=VALUE lists out of the globals `g` into `pairs` (their values split).
void take_zone_pairs(OptionLayer& g, std::vector<ZonePair>& pairs,
                     std::vector<std::string>& errors) {
  for (const auto& [option, per_zone] : zone_pair_options()) {
    auto it = g.find(option);
    if (it == g.end()) continue;
    for (const auto& text : it->second.values) {
      size_t eq = text.find('=');
      try {
        if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
          throw std::invalid_argument("expected zone=value (or " + per_zone +
                                      " in the zone's [[zone]] table)");
        pairs.push_back(
            {option, text, it->second.where, absolute(text.substr(0, eq)), text.substr(eq + 1)});
      } catch (const std::exception& e) {
        errors.push_back(
            util::config_problem(it->second.where, "", option, "\"" + text + "\": " + e.what()));
      }
    }
    g.erase(it);
  }
}

// The daemon-wide options: listeners, resolvers, HTTP, log level, keys, state, the catalog.
void read_globals(OptionReader& g, MasterConfig& c, std::vector<std::string>& errors) {
  if (g.given("file"))
    g.fail("file", "a zone's file: set it in its [[zone]] table (or zone = [\"ORIGIN=PATH\"])");
  g.each("listen", [&](const std::string& l) { c.listen.push_back(net::parse_endpoint(l, 53)); });
  g.each("resolver",
         [&](const std::string& r) { c.resolvers.push_back(net::parse_endpoint(r, 53)); });
  if (g.list("resolver").empty()) c.resolvers = net::read_resolv_conf();
  if (c.resolvers.empty())
    errors.push_back("resolver: none given and none found in /etc/resolv.conf");
  c.resolver_timeout =
      std::chrono::milliseconds(static_cast<long>(g.number("resolver-timeout", 50, 600000)));
  g.each("http", [&](const std::string& h) { c.http = net::parse_http_endpoint(h); });
  c.log_level = g.text("log-level");
  util::LogLevel level;
  if (!util::parse_log_level(c.log_level, level))
    g.fail("log-level", "\"" + c.log_level + "\": expected debug, info, warning or error");
  util::read_tsig_keys(g, c.keys);
  c.transfer_requires_tsig = !c.keys.empty() && !g.boolean("tsig-optional", false);
  c.serial_on_change = !g.boolean("no-serial-on-change", false);
  c.state_dir = g.text("state-dir");
  if (!c.state_dir.empty() && !std::filesystem::is_directory(c.state_dir))
    g.fail("state-dir", "\"" + c.state_dir + "\": not a directory");
  c.alias.max_refresh = seconds(g.duration("max-refresh"));
  c.catalog.name = catalog_name(g);
}

// The globals as a zone of their own: the defaults of every zone and the catalog's settings.
// A bad global is reported here once, not again by each zone that inherits it.
void read_zone_defaults(const OptionLayer& globals, MasterConfig& c,
                        std::vector<std::string>& errors) {
  MasterConfig scratch = c;
  OptionLayer l = globals;
  l["file"] = {{"-"}, "default"};
  resolve_zone(dns::Name(), l, scratch, "", errors);
  c.alias.defaults = scratch.alias.zones.begin()->second;
  c.allow_transfer = scratch.zones.front().access->acl;
  c.notify = scratch.zones.front().notify;
  c.key = scratch.zones.front().key;
  c.alias.max_refresh = std::max(c.alias.max_refresh, c.alias.defaults.min_refresh);
}

// A zone's name, its option layer, and whether that layer is only its file (the globals apply).
using ZoneLayer = std::tuple<dns::Name, OptionLayer, bool>;

// Each configured zone's layer: its table over the globals and the zone-pair lists' entries for
// it; duplicates, bad names and pairs naming no zone are errors.
std::vector<ZoneLayer> zone_layers(std::vector<util::ZoneEntry>& entries,
                                   const std::vector<ZonePair>& pairs, const OptionLayer& globals,
                                   const MasterConfig& c, OptionReader& g,
                                   std::vector<std::string>& errors) {
  if (entries.empty()) errors.push_back("no zone configured (--zone, or [[zone]] in the file)");
  std::map<dns::Name, std::string> seen;
  std::vector<ZoneLayer> zones;
  for (auto& e : entries) {
    // zone = "ORIGIN=PATH" (the command line's form): a zone with the globals.
    if (size_t eq = e.name.find('='); eq != std::string::npos && e.options.empty()) {
      e.options["file"] = {{e.name.substr(eq + 1)}, e.where};
      e.name.resize(eq);
    }
    dns::Name name;
    try {
      name = absolute(e.name);
    } catch (const std::exception& x) {
      errors.push_back(fmt::format("{}: zone \"{}\": {}", e.where, e.name, x.what()));
      continue;
    }
    if (auto [it, fresh] = seen.emplace(name, e.where); !fresh) {
      errors.push_back(fmt::format("{}: zone {} is already configured at {}", e.where,
                                   name.to_string(), it->second));
      continue;
    }
    if (c.catalog.name && name == *c.catalog.name) {
      g.fail("catalog", name.to_string() + ": also configured as a zone (at " + e.where +
                            "); the catalog is generated, not loaded");
    }
    bool paired = false;
    for (const ZonePair& p : pairs) paired |= p.zone == name;
    if (!paired && e.options.size() == 1 && e.options.count("file")) {
      // Only its file of its own (the usual [[zone]] table): resolved on the globals in place
      // below, not on a copy of them each (with 10,000 zones, most of a SIGHUP's parse).
      zones.emplace_back(name, std::move(e.options), true);
      continue;
    }
    OptionLayer l = globals;
    std::set<std::string> from_pairs;  // a pair list's option set by this zone's first pair
    for (const ZonePair& p : pairs) {
      if (!(p.zone == name)) continue;
      const std::string& key = zone_pair_options().at(p.option);
      auto& given = l[key];
      if (from_pairs.insert(key).second) given = {{}, p.where};
      given.values.push_back(p.value);
    }
    for (auto& [k, v] : e.options) l[k] = std::move(v);
    zones.emplace_back(name, std::move(l), false);
  }
  for (const ZonePair& p : pairs) {
    if (!seen.count(p.zone))
      errors.push_back(util::config_problem(
          p.where, "", p.option,
          "\"" + p.text + "\": " + p.zone.to_string() + " is not a served zone (no zone for it)"));
  }
  return zones;
}

// Resolves every zone; an error that only repeats one already reported for the globals is
// dropped.
void resolve_zones(std::vector<ZoneLayer>& zones, const OptionLayer& globals, MasterConfig& c,
                   size_t first_global_zone_error, std::vector<std::string>& errors) {
  const std::set<std::string> reported(errors.begin() + first_global_zone_error, errors.end());
  OptionLayer shared = globals;
  for (auto& [name, l, file_only] : zones) {
    const std::string context = "zone " + name.to_string();
    std::vector<std::string> own;
    if (file_only) {
      shared["file"] = std::move(l.begin()->second);
      resolve_zone(name, shared, c, context, own);
    } else {
      resolve_zone(name, l, c, context, own);
    }
    for (auto& e : own) {
      std::string as_global = e;
      if (size_t at = as_global.find(context + ": "); at != std::string::npos)
        as_global.erase(at, context.size() + 2);
      if (!reported.count(as_global)) errors.push_back(std::move(e));
    }
  }
}

MasterConfig resolve(const OptionLayer& globals_in, std::vector<util::ZoneEntry> entries,
                     std::vector<std::string>& errors) {
  OptionLayer globals = globals_in;
  std::vector<ZonePair> pairs;
  take_zone_pairs(globals, pairs, errors);
  MasterConfig c;
  OptionReader g(globals, "", errors);
  read_globals(g, c, errors);
  const size_t first_global_zone_error = errors.size();
  read_zone_defaults(globals, c, errors);
  std::vector<ZoneLayer> zones = zone_layers(entries, pairs, globals, c, g, errors);
  resolve_zones(zones, globals, c, first_global_zone_error, errors);
  return c;
}

}  // namespace

const std::vector<util::OptionSpec>& master_options() {
  static const std::vector<util::OptionSpec> specs = {
      {"listen", "address:port to serve on (repeat)", false, true},
      {"file", "the zone file ([[zone]] tables only; on the command line --zone ORIGIN=PATH)", true,
       false},
      {"resolver",
       "recursive resolver address[:port] for ALIAS targets (repeat; default /etc/resolv.conf)",
       false, true},
      {"resolver-timeout", "ms per resolver try (1000)", false, false},
      {"allow-transfer", "prefix allowed to AXFR (repeat; default 127.0.0.0/8 and ::1)", true,
       true},
      {"notify", "address[:port] to NOTIFY on change (repeat)", true, true},
      {"alias-failure", "strict | ignore | stale", true, false},
      {"max-stale", "how long stale uses the last good expansion (1h)", true, false},
      {"min-refresh", "shortest re-resolve interval of ALIAS targets (5s)", true, false},
      {"max-refresh", "longest re-resolve interval (1h)", false, false},
      {"zone-min-refresh", "zone=duration: min-refresh of one zone (repeat)", false, true},
      {"alias-max-addresses",
       "addresses flattened per ALIAS and family; beyond it the first ones in canonical order "
       "are kept (64)",
       true, false},
      {"alias-dangling-after",
       "NXDOMAIN / no-address checks in a row after which a target that had addresses is "
       "reported dangling (its last good addresses are kept up to max-stale; 0: no watch) (3)",
       true, false},
      {"alias-allow",
       "suffix every ALIAS target must be under (repeat; a target outside refuses the zone file; "
       "default: any)",
       true, true},
      {"alias-chain",
       "trust-chain | each-hop: each-hop also fails a target whose CNAME chain leaves alias-allow "
       "(trust-chain)",
       true, false},
      {"alias-max-targets", "distinct ALIAS targets a zone may have (10000)", true, false},
      {"alias-max-queries",
       "queries to the resolvers per refresh round, 2 per target; more wait a second (2000)", true,
       false},
      {"alias-max-hops", "CNAME links a target's chain may have (8; at most 12)", true, false},
      {"alias-dnssec",
       "off | flag | require: read the resolver's validation (AD); flag alerts on insecure or "
       "bogus targets, require fails them (off). The resolver must be local or trusted",
       true, false},
      {"alias-https",
       "also publish HTTPS 0 <target> (AliasMode) at each ALIAS owner without an HTTPS of its own",
       true, false},
      {"on-alert",
       "shell command given a JSON alert on stdin when an ALIAS fails, goes stale, is about to "
       "reach max-stale, dangles or recovers",
       true, false},
      {"on-change",
       "shell command given a JSON document on stdin at each new serial (flattened difference)",
       true, false},
      {"state-dir",
       "directory keeping each zone's last served serial, so a restart never serves a lower one "
       "(default: none)",
       false, false},
      {"min-serial-interval",
       "shortest time between two serials of a zone; changes within it are published together "
       "at its end (60s; 0: off)",
       true, false},
      {"tsig", "TSIG key name:alg:base64 (repeat)", false, true},
      {"tsig-file", "BIND key file with TSIG keys (repeat; keeps secrets out of argv)", false,
       true},
      {"tsig-key",
       "name of the key that signs the zone's NOTIFYs and alone may transfer it (default: the "
       "first key, and any key may transfer)",
       true, false},
      {"tsig-optional", "with keys configured, still allow transfers without TSIG (ACL only)",
       false, false},
      {"no-serial-on-change",
       "serve the zone file's serial even when the flattened content changed", false, false},
      {"log-level", "debug | info | warning | error", false, false},
      {"http",
       "address:port for GET /metrics (Prometheus) and GET /status (JSON); unauthenticated, so "
       "keep it on loopback (default: off)",
       false, false},
      {"catalog",
       "produce an RFC 9432 catalog zone of this name listing every zone served (default: none)",
       false, false},
      {"catalog-group", "the zone's catalog group property (repeat); given globally: zone=group",
       true, true},
      {"catalog-coo",
       "the zone is moving to this catalog (change of ownership); given globally: zone=catalog",
       true, true},
  };
  return specs;
}

MasterConfig load_master_config(const ConfigSource& source) {
  std::vector<std::string> errors;
  util::OptionFileReader reader(master_options(), errors);
  OptionLayer file_globals;
  std::vector<util::ZoneEntry> entries;
  for (const auto& z : source.zones) entries.push_back({z, "command line", {}});
  if (!source.path.empty()) {
    const toml::table doc = util::parse_toml_file(source.path);
    for (auto&& [k, v] : doc) {
      const std::string key(k.str());
      if (key == "zone") {
        reader.read_zones(source.path, v, entries);
      } else {
        reader.take(source.path, "", key, v, file_globals, false);
      }
    }
  }
  // Globals: defaults, then the file, then the command line. The ZONE=VALUE lists add up.
  OptionLayer globals = defaults();
  for (const auto& [k, g] : file_globals) globals[k] = g;
  for (const auto& [k, v] : source.command_line) {
    auto& given = globals[k];
    if (zone_pair_options().count(k) && file_globals.count(k)) {
      given.values.insert(given.values.end(), v.begin(), v.end());
      given.where += " and command line";
    } else {
      given = {v, "command line"};
    }
  }
  MasterConfig c = resolve(globals, std::move(entries), errors);
  if (!errors.empty()) throw util::ConfigError(util::join_lines(errors));
  return c;
}

int parse_master_config(int argc, char** argv, ConfigSource& source, MasterConfig& out,
                        bool& check) {
  CLI::App app{"flatsign-master: hidden primary that flattens ALIAS records and serves AXFR"};
  app.add_option("--config", source.path,
                 "TOML file: the options below as keys, and a [[zone]] table per zone (name, "
                 "file, overrides; README); re-read on SIGHUP");
  app.add_option("--zone", source.zones, "origin=path of a zone file (repeat)");
  app.add_flag("--check", check, "validate the configuration and zones, then exit");
  std::map<std::string, std::vector<std::string>> given;
  std::map<std::string, bool> flags;
  for (const auto& spec : master_options()) {
    const std::string name = spec.name;
    if (name == "file") continue;
    const std::string help = std::string(spec.help) + (spec.per_zone ? "" : " [global]");
    if (name == "tsig-optional" || name == "no-serial-on-change" || name == "alias-https") {
      app.add_flag("--" + name, flags[name], help);
    } else {
      app.add_option("--" + name, given[name], help);
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? -1 : 2;
  }
  for (auto& [name, values] : given)
    if (app.count("--" + name) > 0) source.command_line[name] = values;
  for (auto& [name, on] : flags)
    if (on) source.command_line[name] = {"true"};
  try {
    out = load_master_config(source);
  } catch (const util::ConfigError& e) {
    std::fprintf(stderr, "flatsign-master: configuration refused:\n%s\n", e.what());
    return 2;
  }
  util::LogLevel level;
  if (util::parse_log_level(out.log_level, level)) util::set_log_level(level);
  return 0;
}

}  // namespace flatsign::master
