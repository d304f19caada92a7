// flatsign-master's daemon: loads the zones, keeps each zone's flattened snapshot current
// (re-resolving ALIAS targets on TTL expiry; on SIGHUP re-reading the zone list and the zone
// files), produces the catalog zone of them (RFC 9432), serves it all over UDP/TCP and sends
// NOTIFY when served content changes. All work runs on one io_context thread; the zone directory
// and the served snapshots are swapped atomically, so find() is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/net/http_status.hpp"
#include "common/net/listener.hpp"
#include "common/net/resolver.hpp"
#include "common/server/responder.hpp"
#include "common/util/metrics.hpp"
#include "master/alias_expander.hpp"
#include "master/catalog.hpp"
#include "master/config.hpp"
#include "master/master_hooks.hpp"
#include "master/master_metrics.hpp"
#include "master/serial_damper.hpp"
#include "master/serial_store.hpp"

namespace flatsign::master {

// RFC 1982 §3.2: true when serial `a` is greater than `b`.
[[nodiscard]] bool serial_gt(uint32_t a, uint32_t b);
// The serial to serve after a change: the file's when it is ahead of the last served one, else
// last served + 1 (RFC 1982 addition, wraps).
[[nodiscard]] uint32_t next_serial(uint32_t file_serial, uint32_t last_served);

class MasterDaemon : public server::ZoneDirectory {
 public:
  MasterDaemon(boost::asio::io_context& io, MasterConfig config);
  ~MasterDaemon() override;

  // Loads every zone file. Returns the errors (file:line:col: why), empty when all loaded.
  [[nodiscard]] std::vector<std::string> load_all();
  // Binds the listeners (and the --http endpoint) and starts the per-zone refresh loops and signal
  // handling. REQUIRES: load_all() succeeded. Throws boost::system::system_error when a bind fails.
  void start();
  // Where reload() gets the configuration again: fills its argument and returns the problems
  // (empty: good). Unset: SIGHUP re-reads the zone files only.
  using ConfigSource = std::function<std::vector<std::string>(MasterConfig&)>;
  void set_config_source(ConfigSource source) { config_source_ = std::move(source); }
  // SIGHUP: re-reads the configuration (when a source is set) and applies its zone list, each
  // zone's own settings and the catalog properties: new zones are loaded and served, zones no
  // longer listed are dropped, changed per-zone settings (ALIAS policy and limits,
  // min-serial-interval, NOTIFY targets, allow-transfer, tsig-key) apply at once; a
  // configuration with an error, or whose new zone files do not load, is not applied (logged),
  // the running one stays. Then re-reads every zone file (in steps, after this returns); a file
  // that fails keeps its old zone (logged). The other globals (listeners, keys, resolvers, http,
  // the catalog's NOTIFY targets) apply at restart.
  void reload();
  void stop();

  [[nodiscard]] std::shared_ptr<const server::ServedZone> find(
      const dns::Name& qname) const override;
  [[nodiscard]] const std::vector<boost::asio::ip::udp::endpoint>& bound() const {
    return listener_.bound();
  }
  // The GET /status document: per zone the served serial, transfer state, last reload result
  // and each ALIAS target with its last result and seconds to its next refresh; the catalog's
  // name, serial and member count.
  // REQUIRES: called on the io_context thread (it reads the loops' state).
  [[nodiscard]] std::string status_json() const;
  [[nodiscard]] const util::MetricsRegistry& metrics() const { return registry_; }
  // --check: what the master will do with each ALIAS of each zone loaded (target, TTL policy,
  // failure policy), a few lines each. REQUIRES: load_all() succeeded.
  [[nodiscard]] std::string explain_aliases() const;

 private:
  // What find() returns for one zone, swapped whole on each publication.
  using ServedCell = std::atomic<std::shared_ptr<const server::ServedZone>>;
  // Every served zone by origin (the member zones and the catalog). Replaced, never changed.
  using Directory = std::map<dns::Name, std::shared_ptr<const ServedCell>>;
  struct FileStamp {
    uint64_t device = 0, inode = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  struct Slot {
    ZoneSource source_cfg;
    std::shared_ptr<const zone::Zone> source;  // the parsed file (io thread only)
    bool source_changed = true;
    bool removed = false;  // dropped from the configuration: its loop ends
    std::shared_ptr<ServedCell> served = std::make_shared<ServedCell>();
    std::optional<Expansion> last_expansion;
    std::optional<uint32_t> last_serial;
    std::string last_failure;
    std::optional<Expansion> latest;  // the last expansion computed, published or not
    std::string last_reload_error;    // empty: the last load or reload succeeded
    // The zone file as last read, when it has no $INCLUDE: a reload skips a file whose stamp
    // is the same (as BIND and NSD look at the modification time), so SIGHUP with thousands of
    // zones re-reads only the files that changed.
    std::optional<FileStamp> stamp;
    std::chrono::system_clock::time_point last_reload_at;
    std::unique_ptr<boost::asio::steady_timer> wake;
    SerialDamper damper{SerialDamper::Clock::duration::zero()};  // min-serial-interval
    AliasAlertTracker alerts;  // what on-alert was last told about each ALIAS
    // The serial and digest last written to state-dir (read at start): the floor of the
    // first serial served, or the serial itself when the content is the same.
    std::optional<StoredSerial> stored;
    std::string state_error;  // the state file could not be read (start refused)
  };
  // The catalog zone being produced (master_catalog.cpp); io thread only but `served`.
  struct Catalog {
    std::optional<dns::Name> name;  // the name served under; unset: none
    std::shared_ptr<ServedCell> served = std::make_shared<ServedCell>();
    std::vector<CatalogMember> members;  // of the served serial
    std::optional<uint32_t> serial;
    bool dirty = false;  // the zone list or a property changed since the last build
    std::unique_ptr<boost::asio::steady_timer> wake;
  };
  boost::asio::awaitable<void> zone_loop(std::shared_ptr<Slot> slot);
  boost::asio::awaitable<void> signal_loop();
  // Publishes `ex` for `slot` under a new serial when its content changed and the zone's
  // SerialDamper allows it now; otherwise the change waits (zone_loop wakes at held_until()).
  void publish(Slot& slot, const Expansion& ex);
  // publish()'s steps: a failed flattening refuses transfers (the zone stays served); a change
  // of a local target comes from a reload and is not damped; the served form of a new zone
  // (AXFR image, index, journal); its serial kept in state-dir; capped address sets logged.
  void serve_transfer_failure(Slot& slot, const server::ServedZone& current,
                              const std::string& failure);
  static bool local_change(const Slot& slot, const Expansion& ex);
  std::shared_ptr<server::ServedZone> serving_form(
      const Slot& slot, const server::ServedZone& current,
      const std::shared_ptr<const zone::Zone>& flat) const;
  void keep_serial(Slot& slot, const zone::Zone& flat);
  void log_capped_addresses(const Slot& slot, const Expansion& ex) const;
  // Logs each ALIAS alert of `ex` for `slot` and hands it to the zone's on-alert hook.
  void raise_alerts(Slot& slot, const Expansion& ex);
  // The serial to publish `ex` under and the zone built with it (null when the builder
  // refused it, logged): last served + 1, or the file's when ahead, or at the first publication
  // with a state-dir the stored serial when the content is the one stored.
  std::shared_ptr<const zone::Zone> build_serial(Slot& slot, const Expansion& ex);
  // NOTIFY of `z`'s serial to `targets`, signed with `key` when set.
  void send_notifies(const dns::Name& origin, const zone::Zone& z,
                     const std::vector<boost::asio::ip::udp::endpoint>& targets,
                     const std::optional<dns::TsigKey>& key);
  std::shared_ptr<Slot> make_slot(const ZoneSource& source) const;
  // Publishes the directory of slots_ and the catalog for find().
  void publish_directory();
  // reload()'s first half (master_reload.cpp): applies `fresh`'s zone list and catalog options,
  // putting the origins of the zones it added (loaded already) in `added`. Returns false, and
  // logs why, when it is not applied.
  bool apply_config(MasterConfig fresh, std::set<dns::Name>& added);
  // reload()'s second half: re-reads the zone files of `files` that changed on disk, a few
  // hundred at a time.
  // `any_changed`: zones were added, so zones with local targets are flattened again too.
  boost::asio::awaitable<void> reread_files(std::vector<std::shared_ptr<Slot>> files,
                                            bool any_changed);
  // master_catalog.cpp: the members now (zones flattened at least once, in canonical order,
  // with their properties), a rebuild request, the loop that coalesces requests, and the
  // rebuild (a new serial only when the members or their properties changed).
  std::vector<CatalogMember> catalog_members() const;
  void request_catalog();
  boost::asio::awaitable<void> catalog_loop();
  void publish_catalog();
  // --check: builds the catalog of every configured zone once. Returns the error, or empty.
  std::string check_catalog() const;
  void handle(const net::Request& req, net::Responses& out);
  // load_file() plus the bookkeeping: last reload result and time, reload counters.
  std::string load_one(Slot& slot, bool initial, bool* skipped = nullptr);
  // `skipped` (a reload only): the file's stamp had not changed, nothing was read.
  static std::string load_file(Slot& slot, bool initial, bool* skipped = nullptr);

  boost::asio::io_context& io_;
  MasterConfig config_;
  util::MetricsRegistry registry_;
  MasterMetrics metrics_;  // registers into registry_ (declared before it)
  server::ResponderPolicy policy_;
  net::StubResolver resolver_;
  AliasExpander expander_;
  net::DnsListener listener_;
  std::unique_ptr<net::HttpStatusServer> http_;
  std::map<dns::Name, std::shared_ptr<Slot>> slots_;  // io thread only
  Catalog catalog_;
  std::atomic<std::shared_ptr<const Directory>> directory_;
  ConfigSource config_source_;
  // Zones configured whose first flattening has not run yet (io thread): the catalog waits for
  // them, at most kSettle, so that zones loaded together share one serial.
  size_t unflattened_ = 0;
  size_t tsig_reserve_ = 0;
  bool stopping_ = false;
};

}  // namespace flatsign::master
