// MasterDaemon's catalog producer (RFC 9432): when the zone list or a member property changes,
// builds the catalog zone again and serves it with a new serial and NOTIFY. Runs on the
// io_context thread; the catalog is published like a zone, by one atomic swap.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/util/clock.hpp"
#include "common/util/log.hpp"
#include "master/master_daemon.hpp"

namespace flatsign::master {
namespace asio = boost::asio;
using util::LogLevel;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Zones loaded together (start-up, one SIGHUP) publish within moments of each other: waiting
// for the first flattening of those still without one, at most this long after the first
// change, gives them one catalog serial instead of one each.
constexpr std::chrono::milliseconds kSettle{100};

CatalogMember member(const ZoneSource& z, const CatalogConfig& c) {
  CatalogMember m{z.origin, {}, std::nullopt};
  if (auto g = c.groups.find(z.origin); g != c.groups.end()) m.groups = g->second;
  if (auto o = c.coo.find(z.origin); o != c.coo.end()) m.coo = o->second;
  return m;
}

// How many zones `now` lists that `before` does not, and the reverse. Both lists are in
// canonical order (catalog_members() walks slots_), so one merge pass does it: with 10,000
// members a search of one list per member of the other took most of a SIGHUP.
std::pair<size_t, size_t> count_changes(const std::vector<CatalogMember>& before,
                                        const std::vector<CatalogMember>& now) {
  size_t added = 0, removed = 0;
  auto b = before.begin(), n = now.begin();
  while (b != before.end() && n != now.end()) {
    auto order = b->zone <=> n->zone;
    if (order < 0) {
      ++removed, ++b;
    } else if (order > 0) {
      ++added, ++n;
    } else {
      ++b, ++n;
    }
  }
  return {added + static_cast<size_t>(now.end() - n),
          removed + static_cast<size_t>(before.end() - b)};
}

std::string issues_text(const zone::ZoneError& e) {
  std::string all;
  for (const auto& i : e.issues()) all += (all.empty() ? "" : "; ") + i.to_string();
  return all;
}
}  // namespace

std::vector<CatalogMember> MasterDaemon::catalog_members() const {
  std::vector<CatalogMember> out;
  for (const auto& [origin, slot] : slots_) {
    // Listed once its first flattening ran: a consumer told of a zone transfers it at once, and
    // a zone still resolving its ALIAS targets would answer SERVFAIL and leave the consumer
    // retrying for minutes. (A strict-policy failure is listed: it is the zone's state now.)
    if (slot->latest) out.push_back(member(slot->source_cfg, config_.catalog));
  }
  return out;
}

std::string MasterDaemon::check_catalog() const {
  if (!config_.catalog.name) return {};
  std::vector<CatalogMember> all;
  for (const ZoneSource& z : config_.zones) all.push_back(member(z, config_.catalog));
  try {
    (void)build_catalog(*config_.catalog.name, all, 1);
  } catch (const zone::ZoneError& e) {
    return issues_text(e);
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

void MasterDaemon::request_catalog() {
  if (!catalog_.name || catalog_.dirty) return;
  catalog_.dirty = true;
  catalog_.wake->cancel();
}

asio::awaitable<void> MasterDaemon::catalog_loop() {
  while (!stopping_) {
    if (!catalog_.dirty) {
      catalog_.wake->expires_at(asio::steady_timer::time_point::max());
      (void)co_await catalog_.wake->async_wait(kTuple);  // cancelled by request_catalog()
      continue;
    }
    // Without a zone to wait for (a SIGHUP adding zones whose first flattening ran, one that
    // removed zones or changed a property) the catalog is rebuilt at once.
    catalog_.wake->expires_after(kSettle);
    while (unflattened_ > 0 && !stopping_) {
      auto [ec] = co_await catalog_.wake->async_wait(kTuple);
      if (!ec) break;  // kSettle passed: the zones still resolving get the next serial
    }
    if (stopping_) co_return;
    catalog_.dirty = false;
    publish_catalog();
  }
}

void MasterDaemon::publish_catalog() {
  if (!catalog_.name) return;
  const dns::Name name = *catalog_.name;
  const std::string zname = name.to_string();
  if (!catalog_.serial) {
    // The first catalog waits for every zone's first flattening: one missing a zone that is
    // only slow to resolve would make each consumer delete it with its state (zone data, keys;
    // RFC 9432 §5.3) and take it back moments later.
    for (const auto& [origin, slot] : slots_) {
      if (!slot->latest) return;  // its first flattening requests the catalog again
    }
  }
  std::vector<CatalogMember> members = catalog_members();
  if (catalog_.serial && members == catalog_.members) return;
  // RFC 9432 §4.1: the serial MUST increase with every change, or consumers miss it. Nothing
  // is stored between runs, so the serial is the time (as Knot does for the catalogs it
  // generates): a restart still goes forward. Two changes within a second: last + 1 (RFC 1982).
  auto now = static_cast<uint32_t>(util::unix_now());
  uint32_t serial = catalog_.serial ? next_serial(now, *catalog_.serial) : now;
  std::shared_ptr<const zone::Zone> z;
  try {
    z = build_catalog(name, members, serial);
  } catch (const zone::ZoneError& e) {
    util::log(LogLevel::Error, "catalog", zname, "not rebuilt, still serving serial {}: {}",
              catalog_.serial.value_or(0), issues_text(e));
    return;
  } catch (const std::exception& e) {
    util::log(LogLevel::Error, "catalog", zname, "not rebuilt, still serving serial {}: {}",
              catalog_.serial.value_or(0), e.what());
    return;
  }
  auto served = std::make_shared<server::ServedZone>();
  served->origin = name;
  served->zone = z;
  served->axfr = xfr::pack_axfr(*z, tsig_reserve_);
  served->denial = std::make_shared<const server::DenialIndex>(*z);  // unsigned: no proofs
  catalog_.served->store(served);
  auto [added, removed] = count_changes(catalog_.members, members);
  bool first = !catalog_.serial;
  catalog_.serial = serial;
  catalog_.members = std::move(members);
  const ZoneMetrics& zm = metrics_.zone(name);
  zm.serial->set(serial);
  zm.rebuilds->inc();
  util::log(LogLevel::Info, "catalog", zname,
            "serving serial {} ({} members, {} added, {} removed)", serial, catalog_.members.size(),
            added, removed);
  if (!first || !config_.notify.empty()) send_notifies(name, *z, config_.notify, config_.key);
}

}  // namespace flatsign::master
