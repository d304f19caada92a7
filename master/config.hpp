// flatsign-master's configuration: global options and one [[zone]] table per zone, from the
// command line and a TOML --config file (toml++), in the slave's shape (common/util/
// toml_options.hpp), resolved into one MasterConfig with every problem reported by file:line.
// Built at start-up and on each SIGHUP; a built MasterConfig is a plain value, read-only after.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "common/dns/name.hpp"
#include "common/dns/tsig.hpp"
#include "common/net/address.hpp"
#include "common/server/responder.hpp"
#include "common/util/option_layer.hpp"
#include "master/alias_expander.hpp"

namespace flatsign::master {

// One zone served: its file and the settings of its own (the ALIAS ones are in
// AliasExpanderOptions::zones, the catalog properties in CatalogConfig).
struct ZoneSource {
  dns::Name origin;
  std::string path;
  // min-serial-interval: the shortest time between two serials of this zone; changes that come
  // sooner are published together at its end (master/serial_damper.hpp). Zero: no damping.
  std::chrono::seconds min_serial_interval{60};
  std::vector<boost::asio::ip::udp::endpoint> notify;  // told of each new serial (RFC 1996)
  // Who may transfer it (allow-transfer, TSIG required, the key named by tsig-key); never null
  // in a loaded configuration.
  std::shared_ptr<const server::TransferAccess> access;
  std::optional<dns::TsigKey> key;  // signs its NOTIFYs: tsig-key, or the first key known
  // Shell commands given a JSON document on stdin (master/master_hooks.hpp): on-alert when an
  // ALIAS fails, goes stale or dangling, or recovers; on-change at each new serial.
  std::string on_alert, on_change;
  // Checked when the file is loaded (master/alias_limits.hpp): alias-allow (also in the zone's
  // AliasZoneOptions, for each-hop) and alias-max-targets.
  std::vector<dns::Name> alias_allow;
  size_t alias_max_targets = 10000;
};

// `catalog` and its member properties (RFC 9432). Every zone served is a member.
struct CatalogConfig {
  std::optional<dns::Name> name;                         // unset: no catalog is produced
  std::map<dns::Name, std::vector<std::string>> groups;  // catalog-group per zone
  std::map<dns::Name, dns::Name> coo;                    // catalog-coo per zone
};

struct MasterConfig {
  std::vector<boost::asio::ip::udp::endpoint> listen;
  std::vector<ZoneSource> zones;  // distinct origins, in the order configured
  std::vector<boost::asio::ip::udp::endpoint> resolvers;  // default: /etc/resolv.conf
  // The globals: the catalog zone's transfer rules and NOTIFY targets (each member zone has its
  // own in ZoneSource, these unless its table says otherwise).
  net::Acl allow_transfer = net::Acl::loopback();
  std::vector<boost::asio::ip::udp::endpoint> notify;
  std::optional<dns::TsigKey> key;  // the global tsig-key (or the first key known)
  AliasExpanderOptions alias;       // the defaults and every zone's own settings
  std::vector<dns::TsigKey> keys;
  bool transfer_requires_tsig = false;  // true when keys are given, unless tsig-optional
  bool serial_on_change = true;
  std::chrono::milliseconds resolver_timeout{1000};
  // state-dir: where each zone's last served serial is kept (master/serial_store.hpp); empty:
  // nowhere (a restart starts again from the zone file's serial).
  std::string state_dir;
  std::string log_level = "info";
  // http: where GET /metrics and GET /status are served; unset (the default): not at all.
  std::optional<boost::asio::ip::tcp::endpoint> http;
  CatalogConfig catalog;
};

// Where a configuration comes from; kept by the daemon to read the same again on SIGHUP.
struct ConfigSource {
  std::string path;  // --config FILE; empty: the command line alone
  // Options given on the command line, by long name: they override the file's globals.
  std::map<std::string, std::vector<std::string>> command_line;
  std::vector<std::string> zones;  // --zone ORIGIN=PATH on the command line
};

// Every option, in --help order (`zone`, `config` and `check` are handled apart).
[[nodiscard]] const std::vector<util::OptionSpec>& master_options();

// Reads `source.path` (when set) and resolves the globals, then each zone: its [[zone]] table
// over the ZONE=VALUE lists (zone-min-refresh, catalog-group, catalog-coo given globally) over
// the globals (command line over file) over the defaults. Throws util::ConfigError; reads no
// other file than the config and the TSIG key files.
[[nodiscard]] MasterConfig load_master_config(const ConfigSource& source);

// Parses argv (the options above, --zone, --config, --check) and loads the configuration.
// Returns 0 and fills `source`, `out` and `check` on success; on --help prints usage and
// returns a negative value meaning "exit 0"; otherwise prints every problem to stderr and
// returns 2.
[[nodiscard]] int parse_master_config(int argc, char** argv, ConfigSource& source,
                                      MasterConfig& out, bool& check);

}  // namespace flatsign::master
