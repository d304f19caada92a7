#include "slave/catalog_follower.hpp"

#include <filesystem>
#include <random>

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/net/address.hpp"
#include "common/net/spawn.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/clock.hpp"
#include "common/util/hooks.hpp"
#include "common/util/json_text.hpp"
#include "common/util/log.hpp"
#include "common/zone/zonefile.hpp"
#include "slave/axfr_client.hpp"
#include "slave/notify_answer.hpp"
#include "slave/transfer_check.hpp"

namespace flatsign::slave {
namespace asio = boost::asio;
using util::LogLevel;
using util::run_hook;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::chrono::milliseconds jittered(std::chrono::milliseconds interval) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> d(0.95, 1.05);
  return std::chrono::milliseconds(static_cast<long long>(double(interval.count()) * d(rng)));
}
}  // namespace

CatalogFollower::CatalogFollower(asio::io_context& io, CatalogConfig config,
                                 net::AsyncSemaphore& transfers, std::function<void()> changed)
    : io_(io),
      config_(std::move(config)),
      transfers_(transfers),
      changed_(std::move(changed)),
      cname_(config_.name.to_string()),
      wake_(io) {
  for (const auto& [group, t] : config_.templates) templates_.emplace(group, shareable(t));
}

std::string CatalogFollower::kept_path() const {
  std::string base = config_.name.lowercased().to_string();
  if (base.size() > 1) base.pop_back();
  return config_.zone.state_root + "/catalogs/" + base + ".zone";
}

void CatalogFollower::start_up() {
  const std::string path = kept_path();
  if (!std::filesystem::exists(path)) return;
  try {
    auto z = zone::load_zone(path, config_.name).zone;
    auto entries = parse_catalog(*z);
    adopt(std::move(z), std::move(entries), false);
    util::log(LogLevel::Info, "catalog", cname_, "{} member(s) from the kept catalog {}",
              members_.size(), path);
  } catch (const std::exception& e) {
    util::log(LogLevel::Warning, "catalog", cname_,
              "kept catalog {} not used ({}): waiting for a transfer", path, e.what());
  }
}

void CatalogFollower::start() {
  auto run = [](std::shared_ptr<CatalogFollower> self) -> asio::awaitable<void> {
    co_await self->poll_loop();
  };
  net::spawn_logged(io_.get_executor(), run(shared_from_this()), "catalog",
                    "poll loop of catalog " + cname_);
}

void CatalogFollower::stop() {
  stopping_ = true;
  wake_.cancel();
}

void CatalogFollower::trigger_poll() {
  poll_pending_ = true;
  wake_.cancel();
}

asio::awaitable<void> CatalogFollower::poll_loop() {
  while (!stopping_) {
    poll_pending_ = false;
    co_await poll_once();
    if (stopping_) break;
    if (poll_pending_) continue;
    // RFC 1035 §3.3.13: a catalog that did not load yet is retried soon, not after a whole
    // interval (its members wait for it).
    auto interval = catalog_
                        ? config_.zone.poll_interval
                        : std::min(config_.zone.poll_interval, std::chrono::milliseconds(5000));
    wake_.expires_after(jittered(interval));
    (void)co_await wake_.async_wait(kTuple);
  }
}

asio::awaitable<void> CatalogFollower::poll_once() {
  last_poll_ = std::chrono::system_clock::now();
  auto permit = co_await transfers_.acquire();
  if (stopping_ || transfers_.closed()) co_return;
  AxfrAttempt attempt = co_await fetch_axfr_any(io_.get_executor(), config_.zone.masters,
                                                config_.name, config_.zone.transfer);
  permit.reset();
  const std::string master =
      net::endpoint_text(asio::ip::udp::endpoint(attempt.master.address(), attempt.master.port()));
  AxfrAssembler& assembled = *attempt.assembler;
  auto refuse = [&](const std::string& reason, const std::string& detail) {
    last_result_ = reason;
    last_error_ = detail;
    util::log(LogLevel::Error, "catalog", cname_,
              "catalog from {} refused, the previous member list stays: {}: {}", master, reason,
              detail);
    const std::string json =
        fmt::format("{{\"zone\":{},\"verdict\":{},\"detail\":{},\"master\":{},\"time\":{}}}\n",
                    util::json_string(cname_), util::json_string(reason), util::json_string(detail),
                    util::json_string(master),
                    util::json_string(util::utc_text(std::chrono::system_clock::now())));
    run_hook(config_.zone.publisher.on_alert, json,
             {{"FLATSIGN_EVENT", "alert"},
              {"FLATSIGN_ZONE", cname_},
              {"FLATSIGN_VERDICT", reason},
              {"FLATSIGN_DETAIL", detail},
              {"FLATSIGN_MASTER", master}},
             "on-alert", cname_);
  };
  if (!attempt.reached) {
    last_result_ = "master-unreachable";
    last_error_ = assembled.detail();
    util::log(LogLevel::Warning, "catalog", cname_, "no master reachable: {}", assembled.detail());
    co_return;
  }
  if (assembled.state() != AxfrAssembler::State::Complete) {
    refuse(std::string(verdict_name(assembled.verdict())), assembled.detail());
    co_return;
  }
  CheckResult result = check_transfer(assembled, catalog_.get(), config_.zone.transfer.limits);
  if (result.verdict == Verdict::Unchanged) {
    last_result_ = "unchanged";
    last_error_.clear();
    co_return;
  }
  if (is_refusal(result.verdict)) {
    refuse(std::string(verdict_name(result.verdict)), result.detail);
    co_return;
  }
  CatalogMembers entries;
  try {
    entries = parse_catalog(*result.zone);
  } catch (const CatalogError& e) {
    refuse("refused-catalog-schema", e.what());
    co_return;
  }
  last_result_ = "changed";
  last_error_.clear();
  util::log(LogLevel::Info, "catalog", cname_, "serial {} from {}: {} member(s)", result.serial,
            master, entries.size());
  adopt(std::move(result.zone), std::move(entries), true);
}

void CatalogFollower::adopt(std::shared_ptr<const zone::Zone> catalog, CatalogMembers entries,
                            bool keep) {
  std::map<dns::Name, ZoneEntryPtr> members;
  bool differ = false;
  for (const auto& [zone, entry] : entries) {
    // RFC 9432 §4.4.2: the first group this slave has a template for decides; none: the
    // catalog's default when the member has no group at all.
    const std::shared_ptr<const ZoneConfig>* tmpl = nullptr;
    std::string group;
    for (const auto& g : entry.groups) {
      auto it = templates_.find(g);
      if (it != templates_.end() && !g.empty()) {
        tmpl = &it->second;
        group = g;
        break;
      }
    }
    if (!tmpl && entry.groups.empty()) tmpl = &templates_.at("");
    if (!tmpl) {
      util::log(LogLevel::Error, "catalog", cname_,
                "member {} (group {}) has no template here: not served", zone.to_string(),
                fmt::format("\"{}\"", fmt::join(entry.groups, "\", \"")));
      continue;
    }
    // RFC 9432 §5.6: a new unique ID is a reset of the member. Its settings text changes, so
    // the daemon restarts it (re-transfer, full sign); its keys are kept, since new ones would
    // break the chain of trust at the parent.
    std::string settings = member_settings(**tmpl, cname_, group) + "id=" + entry.id + "\n";
    // The same settings as in the last catalog: the same object (a catalog of 10,000 members
    // that adds one copies no other member's settings).
    if (auto old = members_.find(zone);
        old != members_.end() && old->second->settings == settings) {
      members.emplace_hint(members.end(), zone, old->second);
      continue;
    }
    differ = true;
    ZoneEntry ze = member_entry(*tmpl, zone, cname_, group);
    ze.settings = std::move(settings);
    members.emplace_hint(members.end(), zone, std::make_shared<const ZoneEntry>(std::move(ze)));
  }
  differ |= members.size() != members_.size();
  catalog_ = std::move(catalog);
  entries_ = std::move(entries);
  members_ = std::move(members);
  if (differ && changed_) changed_();
  // Kept after the daemon was told, so that new members' state loads meanwhile on the job pool.
  // A crash before this line restarts from the older list: members it lacks come back with the
  // next transfer, keeping the keys they stored.
  if (keep) {
    try {
      std::filesystem::create_directories(std::filesystem::path(kept_path()).parent_path());
      util::write_file_atomically(kept_path(), zone::print_zone(*catalog_), 0600);
    } catch (const std::exception& e) {
      // Only a restart before the next change is affected: it would start from the older list.
      util::log(LogLevel::Warning, "catalog", cname_, "cannot keep the catalog in {}: {}",
                kept_path(), e.what());
    }
  }
}

void CatalogFollower::answer_notify(const net::Request& req, const dns::Message& q,
                                    net::Responses& out) {
  NotifyPolicy policy;
  policy.zone = config_.name;
  policy.masters = config_.zone.masters;
  policy.key = config_.zone.transfer.key;
  policy.tsig_required = config_.zone.notify_tsig_required;
  NotifyAnswer a =
      slave::answer_notify(req.wire, q, req.peer.address(), req.tcp, policy, util::unix_now());
  if (a.verdict == NotifyVerdict::Accepted) {
    util::log(LogLevel::Info, "catalog", cname_, "NOTIFY from {}: polling now",
              net::endpoint_text(req.peer));
    asio::post(io_, [self = shared_from_this()] {
      if (!self->stopping_) self->trigger_poll();
    });
  } else {
    if (auto unlogged = notify_refusals_.admit(std::chrono::steady_clock::now()))
      util::log(LogLevel::Warning, "catalog", cname_, "NOTIFY from {} refused: {}: {}{}",
                net::endpoint_text(req.peer), notify_verdict_text(a.verdict), a.detail,
                RefusalLogLimiter::suffix(*unlogged));
  }
  out.push_back(std::move(a.reply));
}

std::string CatalogFollower::status_json() const {
  std::string out = fmt::format(
      "{{\"catalog\":{},\"serial\":{},\"members\":{},\"last_poll\":{},\"last_result\":{},"
      "\"last_error\":{},\"zones\":[",
      util::json_string(cname_), catalog_ ? std::to_string(catalog_->serial()) : "null",
      members_.size(),
      last_poll_ ? util::json_string(util::utc_text(*last_poll_)) : std::string("null"),
      util::json_string(last_result_), util::json_string(last_error_));
  bool first = true;
  for (const auto& [zone, zc] : members_) {
    out += (first ? "" : ",") + util::json_string(zone.to_string());
    first = false;
  }
  return out + "]}";
}

}  // namespace flatsign::slave
