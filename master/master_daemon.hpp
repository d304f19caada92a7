// flatsign-master's daemon: loads the zones, keeps each zone's flattened snapshot current
// (re-resolving ALIAS targets on TTL expiry, reloading on SIGHUP), serves it over UDP/TCP and
// sends NOTIFY when the served content changes. All work runs on one io_context thread; the
// served snapshots are swapped atomically, so find() is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
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
#include "master/config.hpp"
#include "master/master_metrics.hpp"

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
  // Re-reads every zone file; a file that fails keeps its old zone (logged). Wakes the loops.
  void reload();
  void stop();

  [[nodiscard]] std::shared_ptr<const server::ServedZone> find(
      const dns::Name& qname) const override;
  [[nodiscard]] const std::vector<boost::asio::ip::udp::endpoint>& bound() const {
    return listener_.bound();
  }
  // The GET /status document: per zone the served serial, transfer state, last reload result
  // and each ALIAS target with its last result and seconds to its next refresh.
  // REQUIRES: called on the io_context thread (it reads the loops' state).
  [[nodiscard]] std::string status_json() const;
  [[nodiscard]] const util::MetricsRegistry& metrics() const { return registry_; }

 private:
  struct Slot {
    ZoneSource source_cfg;
    std::shared_ptr<const zone::Zone> source;  // the parsed file (io thread only)
    bool source_changed = true;
    std::atomic<std::shared_ptr<const server::ServedZone>> served;
    std::optional<Expansion> last_expansion;
    std::optional<uint32_t> last_serial;
    std::string last_failure;
    std::optional<Expansion> latest;  // the last expansion computed, published or not
    std::string last_reload_error;    // empty: the last load or reload succeeded
    std::chrono::system_clock::time_point last_reload_at;
    std::unique_ptr<boost::asio::steady_timer> wake;
  };
  boost::asio::awaitable<void> zone_loop(Slot& slot);
  boost::asio::awaitable<void> signal_loop();
  void publish(Slot& slot, const Expansion& ex);
  void send_notifies(const Slot& slot, const zone::Zone& z);
  void handle(const net::Request& req, net::Responses& out);
  // load_file() plus the bookkeeping: last reload result and time, reload counters.
  std::string load_one(Slot& slot, bool initial);
  static std::string load_file(Slot& slot, bool initial);

  boost::asio::io_context& io_;
  MasterConfig config_;
  util::MetricsRegistry registry_;
  MasterMetrics metrics_;  // registers into registry_ (declared before it)
  server::ResponderPolicy policy_;
  net::StubResolver resolver_;
  AliasExpander expander_;
  net::DnsListener listener_;
  std::unique_ptr<net::HttpStatusServer> http_;
  std::map<dns::Name, std::unique_ptr<Slot>> slots_;
  size_t tsig_reserve_ = 0;
  bool stopping_ = false;
};

}  // namespace flatsign::master
