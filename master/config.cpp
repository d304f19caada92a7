#include "master/config.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "common/dns/error.hpp"
#include "common/dns/rdata.hpp"
#include "common/net/status_cli.hpp"
#include "common/util/log.hpp"

namespace flatsign::master {
namespace {

std::chrono::seconds parse_duration(const std::string& text, const char* what) {
  auto v = dns::parse_ttl(text);
  if (!v) throw std::invalid_argument(std::string(what) + ": bad duration \"" + text + "\"");
  return std::chrono::seconds(*v);
}

// "ZONE=VALUE" of a repeatable option, the zone made absolute. Throws naming the option.
std::pair<dns::Name, std::string> zone_pair(const std::string& text, const char* option,
                                            const char* value_name) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw std::invalid_argument(std::string(option) + " \"" + text +
                                "\": expected zone=" + value_name);
  }
  std::string zone = text.substr(0, eq);
  if (zone.back() != '.') zone += '.';
  return {dns::Name::parse(zone), text.substr(eq + 1)};
}

dns::Name absolute(std::string text) {
  if (text.empty() || text.back() != '.') text += '.';
  return dns::Name::parse(text);
}

// The catalog options against the zone list (RFC 9432): properties only for zones served, one
// coo per member (§4.4.1: a single PTR), and names that fit the member nodes.
void parse_catalog(const std::string& name, const std::vector<std::string>& groups,
                   const std::vector<std::string>& coos, MasterConfig& out,
                   std::vector<std::string>& errors) {
  auto attempt = [&](auto&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      errors.push_back(e.what());
    }
  };
  if (name.empty()) {
    if (!groups.empty() || !coos.empty()) {
      errors.push_back("--catalog-group and --catalog-coo need --catalog NAME");
    }
    return;
  }
  attempt([&] {
    dns::Name cat = absolute(name);
    // The longest owner is group.<16 hex digits>.zones.<catalog> (RFC 9432 §4.2, §4.4.2).
    try {
      (void)cat.prepend("zones").prepend(std::string(16, 'x')).prepend("group");
    } catch (const std::exception&) {
      throw std::invalid_argument("--catalog \"" + name +
                                  "\": too long to hold member nodes (group.<id>.zones.<catalog> "
                                  "exceeds 255 octets)");
    }
    out.catalog.name = cat;
  });
  if (!out.catalog.name) return;
  const dns::Name& cat = *out.catalog.name;
  auto served = [&](const dns::Name& z) {
    for (const ZoneSource& s : out.zones) {
      if (s.origin == z) return true;
    }
    return false;
  };
  if (served(cat)) {
    errors.push_back("--catalog " + cat.to_string() +
                     ": also given as a --zone; the catalog is generated, not loaded");
  }
  for (const auto& g : groups) {
    attempt([&] {
      auto [zone, group] = zone_pair(g, "--catalog-group", "group");
      if (!served(zone)) {
        throw std::invalid_argument("--catalog-group \"" + g + "\": " + zone.to_string() +
                                    " is not a served zone (no --zone for it)");
      }
      if (group.size() > 255) {  // one TXT character-string (RFC 1035 §3.3)
        throw std::invalid_argument("--catalog-group \"" + g + "\": group longer than 255 octets");
      }
      auto& list = out.catalog.groups[zone];
      if (std::find(list.begin(), list.end(), group) == list.end()) list.push_back(group);
    });
  }
  for (const auto& c : coos) {
    attempt([&] {
      auto [zone, target_text] = zone_pair(c, "--catalog-coo", "catalog");
      if (!served(zone)) {
        throw std::invalid_argument("--catalog-coo \"" + c + "\": " + zone.to_string() +
                                    " is not a served zone (no --zone for it)");
      }
      dns::Name target = absolute(target_text);
      if (target == cat) {
        throw std::invalid_argument("--catalog-coo \"" + c +
                                    "\": the new owner is this catalog itself");
      }
      auto [it, fresh] = out.catalog.coo.emplace(zone, target);
      if (!fresh && !(it->second == target)) {
        throw std::invalid_argument("--catalog-coo \"" + c + "\": " + zone.to_string() +
                                    " already moves to " + it->second.to_string() +
                                    " (RFC 9432 §4.4.1 allows one coo per member)");
      }
    });
  }
}

// Both entry points: 0 on success; -1 when --help was printed (`print`); 2 with `errors` filled
// (or, with `print`, a command-line syntax error already printed by CLI11).
int parse_config(int argc, char** argv, MasterConfig& out, std::vector<std::string>& errors,
                 bool print) {
  CLI::App app{"flatsign-master: hidden primary that flattens ALIAS records and serves AXFR"};
  std::vector<std::string> listen{"127.0.0.1:5300"}, zones, resolvers, allow, notify, tsig,
      tsig_files;
  std::string policy = "strict", max_stale = "1h", min_refresh = "5", max_refresh = "1h";
  std::string log_level = "info", http, catalog;
  std::vector<std::string> catalog_groups, catalog_coo;
  bool tsig_optional = false, no_serial_bump = false;
  int resolver_timeout_ms = 1000;
  app.set_config("--config", "", "read options from this file (INI/TOML, the same names)");
  app.add_option("--listen", listen, "address:port to serve on (repeatable)")->take_all();
  app.add_option("--zone", zones, "origin=path of a zone file (repeatable)");
  app.add_option("--resolver", resolvers,
                 "recursive resolver address[:port] for ALIAS targets (repeatable; default "
                 "/etc/resolv.conf)");
  app.add_option("--allow-transfer", allow,
                 "prefix allowed to AXFR (repeatable; default 127.0.0.0/8 and ::1)");
  app.add_option("--notify", notify, "address[:port] to NOTIFY on change (repeatable)");
  app.add_option("--alias-failure", policy, "strict | ignore | stale")
      ->check(CLI::IsMember({"strict", "ignore", "stale"}));
  app.add_option("--max-stale", max_stale, "how long stale uses the last good expansion (1h)");
  app.add_option("--min-refresh", min_refresh, "shortest re-resolve interval (5s)");
  app.add_option("--max-refresh", max_refresh, "longest re-resolve interval (1h)");
  app.add_option("--resolver-timeout", resolver_timeout_ms, "ms per resolver try (1000)");
  app.add_option("--tsig", tsig, "TSIG key name:alg:base64 (repeatable)");
  app.add_option("--tsig-file", tsig_files, "BIND key file with TSIG keys (repeatable)");
  app.add_flag("--tsig-optional", tsig_optional,
               "with keys configured, still allow transfers without TSIG (ACL only)");
  app.add_flag("--no-serial-on-change", no_serial_bump,
               "serve the zone file's serial even when the flattened content changed");
  app.add_option("--log-level", log_level, "debug | info | warning | error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  app.add_option("--http", http,
                 "address:port for GET /metrics (Prometheus) and GET /status (JSON); "
                 "unauthenticated, so keep it on loopback (default: off)");
  app.add_option("--catalog", catalog,
                 "produce an RFC 9432 catalog zone of this name listing every zone served "
                 "(default: none)");
  app.add_option("--catalog-group", catalog_groups,
                 "zone=group: the member's catalog group property (repeatable)");
  app.add_option("--catalog-coo", catalog_coo,
                 "zone=catalog: the member is moving to that catalog (change of ownership)");
  app.add_flag("--check", out.check_only, "validate the configuration and zones, then exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (!print) {
      errors.push_back(e.what());
      return 2;
    }
    int rc = app.exit(e);
    return rc == 0 ? -1 : 2;
  }
  util::LogLevel lvl;
  if (util::parse_log_level(log_level, lvl)) util::set_log_level(lvl);

  auto attempt = [&](auto&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      errors.push_back(e.what());
    }
  };
  for (const auto& l : listen) attempt([&] { out.listen.push_back(net::parse_endpoint(l, 53)); });
  for (const auto& z : zones) {
    attempt([&] {
      size_t eq = z.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == z.size()) {
        throw std::invalid_argument("--zone \"" + z + "\": expected origin=path");
      }
      std::string origin = z.substr(0, eq);
      if (origin.back() != '.') origin += '.';
      out.zones.push_back({dns::Name::parse(origin), z.substr(eq + 1)});
    });
  }
  for (const auto& r : resolvers) {
    attempt([&] { out.resolvers.push_back(net::parse_endpoint(r, 53)); });
  }
  if (resolvers.empty()) out.resolvers = net::read_resolv_conf();
  if (!allow.empty()) {
    std::vector<net::Prefix> prefixes;
    for (const auto& a : allow) attempt([&] { prefixes.push_back(net::parse_prefix(a)); });
    out.allow_transfer = net::Acl(std::move(prefixes));
  }
  if (!http.empty()) {
    attempt([&] { out.http = net::parse_http_endpoint(http); });
  }
  for (const auto& n : notify) attempt([&] { out.notify.push_back(net::parse_endpoint(n, 53)); });
  out.alias.policy = policy == "ignore"  ? AliasFailurePolicy::Ignore
                     : policy == "stale" ? AliasFailurePolicy::Stale
                                         : AliasFailurePolicy::Strict;
  attempt([&] { out.alias.max_stale = parse_duration(max_stale, "--max-stale"); });
  attempt([&] { out.alias.min_refresh = parse_duration(min_refresh, "--min-refresh"); });
  attempt([&] { out.alias.max_refresh = parse_duration(max_refresh, "--max-refresh"); });
  if (out.alias.min_refresh.count() < 1) out.alias.min_refresh = std::chrono::seconds(1);
  if (out.alias.max_refresh < out.alias.min_refresh) out.alias.max_refresh = out.alias.min_refresh;
  out.resolver_timeout = std::chrono::milliseconds(std::max(50, resolver_timeout_ms));
  for (const auto& t : tsig) attempt([&] { out.keys.push_back(dns::parse_tsig_key(t)); });
  for (const auto& f : tsig_files) {
    attempt([&] {
      for (auto& k : dns::load_tsig_key_file(f)) out.keys.push_back(std::move(k));
    });
  }
  out.transfer_requires_tsig = !out.keys.empty() && !tsig_optional;
  out.serial_on_change = !no_serial_bump;
  if (out.zones.empty()) errors.push_back("no --zone given");
  if (out.resolvers.empty()) {
    errors.push_back("no --resolver given and none found in /etc/resolv.conf");
  }
  parse_catalog(catalog, catalog_groups, catalog_coo, out, errors);
  return errors.empty() ? 0 : 2;
}

}  // namespace

int parse_master_config(int argc, char** argv, MasterConfig& out) {
  std::vector<std::string> errors;
  int rc = parse_config(argc, argv, out, errors, true);
  for (const auto& e : errors) std::fprintf(stderr, "flatsign-master: %s\n", e.c_str());
  return rc;
}

std::vector<std::string> reread_master_config(int argc, char** argv, MasterConfig& out) {
  std::vector<std::string> errors;
  if (parse_config(argc, argv, out, errors, false) != 0 && errors.empty()) {
    errors.push_back("the command line no longer parses");
  }
  return errors;
}

}  // namespace flatsign::master
