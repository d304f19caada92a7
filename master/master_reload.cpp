// MasterDaemon::apply_config(): SIGHUP's change of the zone list and catalog options, kept apart
// from the serving logic. Runs on the io_context thread.
#include "common/net/spawn.hpp"
#include "common/util/log.hpp"
#include "master/master_daemon.hpp"

namespace flatsign::master {
using util::LogLevel;

namespace {
bool same_access(const server::TransferAccess& a, const server::TransferAccess& b) {
  return a.acl.to_string() == b.acl.to_string() && a.requires_tsig == b.requires_tsig &&
         a.keys == b.keys;
}
}  // namespace

bool MasterDaemon::apply_config(MasterConfig fresh, std::set<dns::Name>& added) {
  // Load every new zone before changing anything: a configuration naming a file that does not
  // load is not applied at all, so the zones served never depend on half of a file.
  std::map<dns::Name, std::shared_ptr<Slot>> loaded;
  std::string errors;
  for (const ZoneSource& z : fresh.zones) {
    if (slots_.count(z.origin) || loaded.count(z.origin)) continue;
    auto slot = make_slot(z);
    std::string err = load_file(*slot, true);
    if (!err.empty()) errors += (errors.empty() ? "" : "; ") + z.origin.to_string() + ": " + err;
    slot->last_reload_error = err;
    slot->last_reload_at = std::chrono::system_clock::now();
    loaded.emplace(z.origin, std::move(slot));
  }
  if (!errors.empty()) {
    util::log(LogLevel::Error, "master", "",
              "configuration not applied, keeping the running one: new zone failed to load: {}",
              errors);
    return false;
  }

  std::map<dns::Name, std::shared_ptr<Slot>> next;
  for (const ZoneSource& z : fresh.zones) {
    if (next.count(z.origin)) continue;
    auto it = slots_.find(z.origin);
    if (it == slots_.end()) {
      auto slot = loaded.at(z.origin);
      metrics_.add_zone(z.origin);
      util::log(LogLevel::Info, "zone", z.origin.to_string(), "added: {}", z.path);
      net::spawn_logged(io_.get_executor(), zone_loop(slot), "master",
                        "refresh loop of " + z.origin.to_string());
      added.insert(z.origin);
      ++unflattened_;
      next.emplace(z.origin, std::move(slot));
      continue;
    }
    Slot& slot = *it->second;
    if (slot.source_cfg.path != z.path) {
      util::log(LogLevel::Info, "zone", z.origin.to_string(), "zone file is now {} (was {})",
                z.path, slot.source_cfg.path);
    }
    // The zone's own settings apply from now on: the file is read by reload() right after, the
    // damper's interval at the next change, the transfer rules on the next request.
    slot.damper.set_min_interval(z.min_serial_interval);
    if (!same_access(*slot.source_cfg.access, *z.access)) {
      auto served = std::make_shared<server::ServedZone>(*slot.served->load());
      served->access = z.access;
      slot.served->store(std::move(served));
      util::log(LogLevel::Info, "zone", z.origin.to_string(), "transfer rules changed");
    }
    slot.source_cfg = z;
    next.emplace(z.origin, it->second);
  }
  for (auto& [origin, slot] : slots_) {
    if (next.count(origin)) continue;
    // Not served from now on: its queries and transfers get REFUSED, as for any other name.
    slot->removed = true;
    if (!slot->latest) --unflattened_;  // its loop ends before any flattening
    slot->wake->cancel();
    util::log(LogLevel::Info, "zone", origin.to_string(),
              "removed: no longer in the configuration");
  }
  slots_ = std::move(next);

  if (!(fresh.catalog.name == catalog_.name)) {
    util::log(LogLevel::Info, "catalog", "", "catalog zone is now {} (was {})",
              fresh.catalog.name ? fresh.catalog.name->to_string() : "none",
              catalog_.name ? catalog_.name->to_string() : "none");
    catalog_.name = fresh.catalog.name;
    catalog_.served = std::make_shared<ServedCell>();
    catalog_.members.clear();
    catalog_.serial.reset();
    if (catalog_.name) {
      auto served = std::make_shared<server::ServedZone>();
      served->origin = *catalog_.name;
      catalog_.served->store(std::move(served));
      metrics_.add_zone(*catalog_.name);
    }
  }
  expander_.set_zone_options(fresh.alias.zones);
  config_.alias.zones = std::move(fresh.alias.zones);
  config_.zones = std::move(fresh.zones);
  config_.catalog = std::move(fresh.catalog);
  publish_directory();
  request_catalog();  // members removed or properties changed: a new serial if anything differs
  return true;
}

}  // namespace flatsign::master
