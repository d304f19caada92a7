// flatsign-master's configuration: command-line flags and the same names in a --config file
// (CLI11 INI/TOML form), validated into one value. Built once at startup; read-only after.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "common/dns/name.hpp"
#include "common/dns/tsig.hpp"
#include "common/net/address.hpp"
#include "master/alias_expander.hpp"

namespace flatsign::master {

struct ZoneSource {
  dns::Name origin;
  std::string path;
};

// --catalog and its member properties (RFC 9432). Every zone served is a member.
struct CatalogConfig {
  std::optional<dns::Name> name;                         // unset: no catalog is produced
  std::map<dns::Name, std::vector<std::string>> groups;  // --catalog-group ZONE=GROUP
  std::map<dns::Name, dns::Name> coo;                    // --catalog-coo ZONE=CATALOG
};

struct MasterConfig {
  std::vector<boost::asio::ip::udp::endpoint> listen;
  std::vector<ZoneSource> zones;
  std::vector<boost::asio::ip::udp::endpoint> resolvers;  // default: /etc/resolv.conf
  net::Acl allow_transfer = net::Acl::loopback();
  std::vector<boost::asio::ip::udp::endpoint> notify;
  AliasExpanderOptions alias;
  std::vector<dns::TsigKey> keys;
  bool transfer_requires_tsig = false;  // true when keys are given, unless --tsig-optional
  bool serial_on_change = true;
  std::chrono::milliseconds resolver_timeout{1000};
  bool check_only = false;
  // --http: where GET /metrics and GET /status are served; unset (the default): not at all.
  std::optional<boost::asio::ip::tcp::endpoint> http;
  CatalogConfig catalog;
};

// Parses argv. Returns 0 and fills `out` on success; on --help prints usage and returns a
// negative value meaning "exit 0"; on errors prints every problem to stderr and returns 2.
[[nodiscard]] int parse_master_config(int argc, char** argv, MasterConfig& out);
// The same parse for a running daemon (SIGHUP): the same argv, so the --config file as it is
// now. Prints nothing; returns every problem, and `out` is usable only when none is returned.
[[nodiscard]] std::vector<std::string> reread_master_config(int argc, char** argv,
                                                            MasterConfig& out);

}  // namespace flatsign::master
