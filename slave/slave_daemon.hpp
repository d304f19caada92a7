// The flatsign-slave daemon for one zone: polls the masters by AXFR on a jittered interval and
// at once on NOTIFY, checks each transfer and hands it to the Publisher; serves the signed zone
// over UDP/TCP through the answer engine (DNSSEC answers, AXFR out). Runs on one io_context (one
// thread) plus a worker thread for the publish pipeline; not thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/net/http_status.hpp"
#include "common/net/listener.hpp"
#include "common/server/snapshot_directory.hpp"
#include "common/util/metrics.hpp"
#include "slave/axfr_client.hpp"
#include "slave/publisher.hpp"
#include "slave/slave_metrics.hpp"
#include "slave/slave_status.hpp"

namespace flatsign::slave {

// How a poll decides whether to transfer.
enum class PollMode {
  Axfr,  // transfer every poll and compare content: works with any master
  Soa,   // ask the SOA serial first (UDP, TCP on TC) and transfer only when it changed since the
         // last complete transfer; for masters that bump the serial on every change
};

struct SlaveConfig {
  std::vector<boost::asio::ip::udp::endpoint> listen;
  std::vector<boost::asio::ip::tcp::endpoint> masters;  // tried in order
  std::chrono::milliseconds poll_interval{60000};       // +-5% jitter
  AxfrClientOptions transfer;                           // timeouts, TSIG, limits
  // Secondaries told by NOTIFY (RFC 1996) after each publication.
  std::vector<boost::asio::ip::udp::endpoint> notify;
  // Who may transfer the signed zone from this slave (AXFR/IXFR out); TSIG-signed transfers
  // use transfer.key.
  net::Acl allow_transfer = net::Acl::loopback();
  // Unreachable masters (no TCP connection) alert only after this many polls in a row.
  unsigned alert_after = 3;
  PollMode poll_mode = PollMode::Axfr;
  // --http: where GET /metrics and GET /status are served; unset (the default): not at all.
  std::optional<boost::asio::ip::tcp::endpoint> http;
  PublisherConfig publisher;
  // Threads answering UDP queries (each with batched socket calls); 0: one per core.
  unsigned udp_threads = 0;
};

class SlaveDaemon {
 public:
  SlaveDaemon(boost::asio::io_context& io, SlaveConfig config);

  // Loads keys and the last signed zone (served at once). Throws StateError.
  void start_up();
  // Binds the listeners and starts polling and signal handling. Throws on a bind failure.
  void start();
  void stop();

  // Polls now (as on NOTIFY). Safe to call from the io_context's thread.
  void trigger_poll();
  // Polls now with the shrink guard off for that one transfer (an operator's SIGUSR1 after a
  // real mass deletion was refused as refused-shrink).
  void force_poll();

  [[nodiscard]] Publisher& publisher() { return publisher_; }
  // The GET /status document: serials, last poll and refusal, next signature expiry, keys, DS,
  // counters. Call on the io_context's thread (slave_status.cpp).
  [[nodiscard]] std::string status_json() const;
  [[nodiscard]] const util::MetricsRegistry& metrics() const { return registry_; }
  [[nodiscard]] const std::vector<boost::asio::ip::udp::endpoint>& bound() const {
    return listener_.bound();
  }

 private:
  boost::asio::awaitable<void> poll_loop();
  boost::asio::awaitable<void> poll_once();
  // PollMode::Soa: true when a master answered with the serial of the last complete transfer.
  boost::asio::awaitable<bool> serial_unchanged();
  boost::asio::awaitable<void> signal_loop();
  // What the worker did for one poll, applied to metrics and /status on the io thread.
  struct PollWork {
    PollResult result = PollResult::Unchanged;
    std::string detail;
    std::optional<uint32_t> master_serial;  // of a complete transfer
    PublishReport handled;                  // the transfer's publication or refusal
    PublishReport refreshed;                // the signature upkeep after it
  };
  // On the worker: signature upkeep unless the transfer was just published.
  void upkeep(PollWork& w);
  // Builds the serving form (AXFR image, denial and name indexes) of a new publication. Called
  // on the worker after each job, so the first query after a publication does not pay for it,
  // and by handle() as a fallback (start-up).
  void wrap_publication();
  // Returns the free memory of every malloc arena to the kernel (after a transfer or a
  // publication, which free about as much as they keep).
  void release_free_memory() { release_free_memory(zname_); }
  // Thread-safe and needs no daemon: also called from hook threads that may outlive it.
  static void release_free_memory(const std::string& zname);
  void finish_poll(PollRecord rec, PollWork work,
                   std::optional<std::chrono::steady_clock::time_point> received);
  void note_expiry(uint32_t earliest);
  // Called concurrently from the listener's UDP threads and the io_context's thread.
  void handle(const net::Request& req, net::Responses& out);
  void notify_secondaries();

  boost::asio::io_context& io_;
  SlaveConfig config_;
  std::string zname_;
  util::MetricsRegistry registry_;
  SlaveMetrics metrics_;  // registers into registry_ (declared before it)
  Publisher publisher_;
  // Runs the publish pipeline (check, sign, verify, write, swap) off the io thread. The
  // Publisher is used only there once started; declared after it so it is joined first.
  boost::asio::thread_pool worker_;
  server::SnapshotDirectory serving_;     // the published signed zone, wrapped for answering
  std::mutex refresh_mutex_;              // one thread wraps a new publication, the others wait
  server::ResponderPolicy serve_policy_;  // transfer ACL (loopback) and TSIG keys
  net::DnsListener listener_;
  boost::asio::steady_timer wake_;
  bool poll_pending_ = false;
  bool force_next_ = false;
  unsigned unreachable_polls_ = 0;
  std::optional<uint32_t> master_serial_;  // of the last complete transfer (PollMode::Soa)
  bool stopping_ = false;
  bool keys_changed_ = false;  // the key files differ from the served DNSKEYs (worker after start)
  SlaveStatus status_;         // what /status reports; io thread only
  std::unique_ptr<net::HttpStatusServer> http_;
};

}  // namespace flatsign::slave
