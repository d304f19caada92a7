// One catalog zone the slave consumes (RFC 9432): polls it from its masters like a zone (on a
// jittered interval and at once on NOTIFY), checks the transfer, reads its members and hands the
// daemon their settings from the catalog's templates. The last good catalog is kept on disk, so
// a restart serves the same members before the first transfer; a broken catalog changes nothing.
// Thread rule: everything on the daemon's io_context thread, except answer_notify (any thread).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/dns/message.hpp"
#include "common/net/async_semaphore.hpp"
#include "common/net/listener.hpp"
#include "common/zone/zone.hpp"
#include "slave/catalog.hpp"
#include "slave/config.hpp"
#include "slave/notify_answer.hpp"

namespace flatsign::slave {

class CatalogFollower : public std::enable_shared_from_this<CatalogFollower> {
 public:
  // `changed` runs on the io thread each time members() changes.
  CatalogFollower(boost::asio::io_context& io, CatalogConfig config, net::AsyncSemaphore& transfers,
                  std::function<void()> changed);

  // Reads the catalog kept on disk (<state-dir>/catalogs/<name>.zone), if any: its members are
  // served at once. A kept file that does not load is logged and ignored (the next transfer
  // replaces it). Any thread, before start().
  void start_up();
  void start();
  void stop();
  void trigger_poll();
  void answer_notify(const net::Request& req, const dns::Message& q, net::Responses& out);

  // The member zones and their settings, from the last good catalog. Zones whose group has no
  // template are left out (logged with an alert at each change).
  // A member whose entry did not change keeps its settings object from one catalog to the next,
  // so the daemon tells unchanged members by pointer.
  // Members of one group share their template's settings object.
  [[nodiscard]] const std::map<dns::Name, ZoneEntryPtr>& members() const { return members_; }
  // The members' catalog entries (unique ID, groups, coo), for ownership moves (RFC 9432 §5.5).
  [[nodiscard]] const CatalogMembers& entries() const { return entries_; }
  [[nodiscard]] const dns::Name& name() const { return config_.name; }
  [[nodiscard]] const CatalogConfig& config() const { return config_; }
  // The catalog's /status object.
  [[nodiscard]] std::string status_json() const;

 private:
  boost::asio::awaitable<void> poll_loop();
  boost::asio::awaitable<void> poll_once();
  // Takes a catalog zone that parsed: members, the file on disk (when `keep`), `changed`.
  void adopt(std::shared_ptr<const zone::Zone> catalog, CatalogMembers entries, bool keep);
  [[nodiscard]] std::string kept_path() const;

  boost::asio::io_context& io_;
  CatalogConfig config_;
  net::AsyncSemaphore& transfers_;
  std::function<void()> changed_;
  std::string cname_;
  boost::asio::steady_timer wake_;
  bool poll_pending_ = false;
  bool stopping_ = false;
  RefusalLogLimiter notify_refusals_;          // refused NOTIFYs: one log line per interval
  std::shared_ptr<const zone::Zone> catalog_;  // the last good catalog
  CatalogMembers entries_;
  std::map<dns::Name, ZoneEntryPtr> members_;
  // config_.templates made shareable (config.hpp), by group.
  std::map<std::string, std::shared_ptr<const ZoneConfig>> templates_;
  // What /status shows.
  std::string last_result_ = "not polled yet";
  std::string last_error_;
  std::optional<std::chrono::system_clock::time_point> last_poll_;
};

}  // namespace flatsign::slave
