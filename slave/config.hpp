// flatsign-slave's configuration: global options and one table per zone, from the command line
// and a TOML --config file (toml++), resolved into one SlaveConfig with every problem reported.
// Built at start-up and on each SIGHUP; a built SlaveConfig is a plain value, read-only after.
#pragma once

#include <chrono>
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
#include "common/server/rrl.hpp"
#include "common/util/option_layer.hpp"
#include "slave/axfr_client.hpp"
#include "slave/ixfr_client.hpp"
#include "slave/publisher.hpp"
#include "slave/review.hpp"

namespace flatsign::slave {

// How a poll decides whether to transfer.
enum class PollMode {
  Axfr,  // transfer every poll and compare content: works with any master
  Soa,   // ask the SOA serial first (UDP, TCP on TC) and transfer only when it changed since the
         // last complete transfer; for masters that bump the serial on every change
};

// Everything about one zone: where it comes from, how it is checked, signed, stored and sent on.
struct ZoneConfig {
  std::vector<boost::asio::ip::tcp::endpoint> masters;  // tried in order
  std::chrono::milliseconds poll_interval{60000};       // +-5% jitter
  PollMode poll_mode = PollMode::Axfr;
  // IXFR from the master's serial last applied (AXFR when the master cannot answer it), or AXFR.
  TransferMode transfer_mode = TransferMode::Ixfr;
  AxfrClientOptions transfer;  // timeouts, TSIG, limits
  // Secondaries told by NOTIFY (RFC 1996) after each publication, each signed with its own key
  // when it has one.
  struct NotifyTarget {
    boost::asio::ip::udp::endpoint to;
    std::optional<dns::TsigKey> key;
  };
  std::vector<NotifyTarget> notify;
  // Who may transfer the signed zone from this slave (AXFR/IXFR out): addresses in
  // allow_transfer, and when transfer_keys is not empty only requests signed with one of them
  // (the secondaries' own keys, never the masters' key). With no transfer_keys a request may be
  // unsigned or signed with transfer.key.
  net::Acl allow_transfer = net::Acl::loopback();
  std::vector<dns::Name> transfer_keys;
  // Unreachable masters (no TCP connection) alert only after this many polls in a row.
  unsigned alert_after = 3;
  // With a TSIG key: NOTIFY must be signed with it (an unsigned UDP NOTIFY is forgeable from
  // the master's address). False: unsigned NOTIFYs from the masters' addresses start a poll.
  bool notify_tsig_required = true;
  // A zone polls at most once per this interval however many NOTIFYs arrive.
  std::chrono::milliseconds notify_min_interval{1000};
  PublisherConfig publisher;  // zone name, its own state folder, keys, denial, hooks
  // signature-validity or signature-refresh set by the operator: a zone whose SOA expire and
  // TTLs outlast the refresh window is refused at start and alerted at publication. Neither
  // set: the slave derives safe ones from the zone (signature_margin.hpp).
  bool signature_timing_set = false;
  // The pre-publish review hook (review, review-timeout, review-on-timeout).
  ReviewSettings review;
  // How often the key files are looked at for changes (key events are timed on their own).
  std::chrono::milliseconds key_check_interval{60000};
  std::string state_root;  // the daemon's state directory (publisher.state_dir is below it)
  // transfer_access(*this), made by shareable() for every zone sharing these settings; null in a
  // ZoneConfig not made by it.
  std::shared_ptr<const server::TransferAccess> access;
  // The resolved options (a digest of their text, one "name=value" line each): two configs of
  // a zone with the same settings behave the same (a reload leaves such a zone alone).
  std::string settings;
};

// One zone as the daemon runs it: its name, state folder and settings digest, and the settings
// it shares with every zone resolved from the same options (with thousands of zones from the
// globals or one template, one ZoneConfig instead of one each). `config->publisher.zone` and
// `config->publisher.state_dir` are blank (the root and ""): read `zone` and `state_dir`.
struct ZoneEntry {
  dns::Name zone;
  std::string state_dir;
  std::string settings;  // this zone's ZoneConfig::settings: a reload compares them
  std::shared_ptr<const ZoneConfig> config;
};
using ZoneEntryPtr = std::shared_ptr<const ZoneEntry>;

// Who may transfer a zone with settings `z` (allow_transfer, transfer_keys, transfer.key).
[[nodiscard]] std::shared_ptr<const server::TransferAccess> transfer_access(const ZoneConfig& z);
// `z` as settings to share: its zone name and state folder blanked, `access` made.
[[nodiscard]] std::shared_ptr<const ZoneConfig> shareable(ZoneConfig z);
// The entries of `zones`, in order; zones whose settings are the same share one ZoneConfig.
[[nodiscard]] std::vector<ZoneEntryPtr> share_settings(std::vector<ZoneConfig> zones);

// A catalog zone the slave follows (RFC 9432): its own transfer settings, and the settings of
// its member zones by their `group` property.
struct CatalogConfig {
  dns::Name name;
  // How the catalog itself is transferred (masters, key, timeouts, poll interval, limits);
  // publisher.zone is the catalog's name. Nothing of it is signed or served.
  ZoneConfig zone;
  // Member settings by group property value (the [[template]] named for it in `groups`); the
  // key "" holds members without a group. Zone name and state folder are set per member.
  std::map<std::string, ZoneConfig> templates;
  std::string settings;  // as ZoneConfig::settings, for the catalog and every template
};

struct SlaveConfig {
  std::vector<boost::asio::ip::udp::endpoint> listen;
  // --http: where GET /metrics and GET /status are served; unset (the default): not at all.
  std::optional<boost::asio::ip::tcp::endpoint> http;
  // Threads answering UDP queries (each with batched socket calls); 0: one per core.
  unsigned udp_threads = 0;
  // TCP: connections in all, per client address, kept for transfer clients; idle timeout.
  size_t tcp_max = 256;
  size_t tcp_per_client = 16;
  size_t tcp_reserved = 16;
  std::chrono::milliseconds tcp_idle{10000};
  // Transfers in at once, over all zones: a start with thousands of zones must not flood the
  // masters.
  unsigned max_transfers = 8;
  // Publication jobs (check, sign, verify, write) at once, over all zones; 0: one per core.
  unsigned max_signing = 0;
  std::string state_dir;  // the root: each zone keeps its files in <state_dir>/<zone>/
  std::string log_level = "info";
  // Every TSIG key the slave knows (--tsig, --tsig-file): requests signed with any of them are
  // verified; each zone uses one (ZoneConfig::transfer.key) with its masters and secondaries.
  std::vector<dns::TsigKey> keys;
  // Public-side protection, read at start (a reload keeps what the daemon started with):
  // response rate limiting (rrl-*) and the DNS cookie secret file (empty: a random secret,
  // rotated daily; several slaves answering one address share a file, RFC 9018 §5).
  server::RrlConfig rrl;
  std::string cookie_secret_file;
  std::vector<ZoneConfig> zones;  // distinct names, in the order configured
  std::vector<CatalogConfig> catalogs;
};

// The settings of member `zone` of a catalog from its template: name, state folder and settings
// text (which names the catalog and group, so a member moving between them restarts).
[[nodiscard]] ZoneConfig member_config(const ZoneConfig& tmpl, const dns::Name& zone,
                                       const std::string& catalog, const std::string& group);
// The same sharing `tmpl` (made by shareable()).
[[nodiscard]] ZoneEntry member_entry(const std::shared_ptr<const ZoneConfig>& tmpl,
                                     const dns::Name& zone, const std::string& catalog,
                                     const std::string& group);
// member_config()'s settings text alone (no copy of the template).
[[nodiscard]] std::string member_settings(const ZoneConfig& tmpl, const std::string& catalog,
                                          const std::string& group);

// The configuration cannot be used (common/util/option_layer.hpp).
using ConfigError = util::ConfigError;

// Option values by long name (without "--"), each as the text of its values.
using OptionValues = std::map<std::string, std::vector<std::string>>;

// Where a configuration comes from; kept by the daemon to read the same again on SIGHUP.
struct ConfigSource {
  std::string path;                // --config FILE; empty: the command line alone
  OptionValues command_line;       // options given on the command line: they override the file
  std::vector<std::string> zones;  // --zone on the command line
};

using OptionSpec = util::OptionSpec;
// Every option, in --help order (the `zone` and `config` options are handled apart).
[[nodiscard]] const std::vector<OptionSpec>& slave_options();

// Reads `source.path` (when set) and resolves globals, then each zone: its table over the
// globals over the defaults. Throws ConfigError; does no other I/O than reading the config and
// key files.
[[nodiscard]] SlaveConfig load_slave_config(const ConfigSource& source);

// Zone names are absolute whether or not they end with a dot. Throws dns::ParseError.
[[nodiscard]] dns::Name zone_name(std::string text);

}  // namespace flatsign::slave
