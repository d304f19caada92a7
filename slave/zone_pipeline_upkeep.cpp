// ZonePipeline's upkeep: the key steps of the zone's key policy and the refresh of its
// signatures, on one loop and one timer, and the check of the signature margin.
#include "slave/zone_pipeline.hpp"
#include "slave/zone_pipeline_workers.hpp"

#include <algorithm>
#include <future>
#include <random>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/error.hpp"
#include "common/dns/rdata.hpp"
#include "common/net/address.hpp"
#include "common/net/notify.hpp"
#include "common/net/spawn.hpp"
#include "common/util/clock.hpp"
#include "common/util/log.hpp"
#include "slave/axfr_client.hpp"
#include "slave/ixfr_check.hpp"
#include "slave/ixfr_client.hpp"
#include "slave/notify_answer.hpp"
#include "slave/review.hpp"
#include "slave/serial.hpp"
#include "slave/soa_probe.hpp"
#include "slave/state.hpp"
namespace flatsign::slave {
namespace asio = boost::asio;
using pipeline::kTrimAfterRRsets;
using pipeline::on_worker;
using util::LogLevel;

asio::awaitable<void> ZonePipeline::upkeep_loop(std::shared_ptr<ZonePipeline> self,
                                                net::AsyncSemaphore::Permit /*turn*/) {
  using Clock = std::chrono::steady_clock;
  // Both due at the start (start()): the key step first, as a key rolled while stopped re-signs.
  auto& keys_at = upkeep_keys_at_;
  auto& refresh_at = upkeep_refresh_at_;
  while (!stopping_) {
    if (key_reread_) keys_at = Clock::now();
    if (keys_at <= Clock::now()) {
      const auto delay = co_await key_step();
      keys_at = Clock::now() + delay;
      if (stopping_) break;
    }
    if (std::exchange(refresh_now_, false)) refresh_at = Clock::now();
    if (refresh_at <= Clock::now()) {
      const auto delay = co_await refresh_step();
      refresh_at = Clock::now() + delay;
      if (stopping_) break;
    }
    if (key_reread_ || refresh_now_) continue;  // asked for while a step ran
    upkeep_wake_.expires_at(std::min(keys_at, refresh_at));
    // Woken at the time, or early by check_keys(), a publication or stop().
    upkeep_wake_.async_wait([self = std::move(self)](const boost::system::error_code&) {
      if (self->stopping_)
        self->loop_ended();
      else
        self->spawn_upkeep_round();
    });
    co_return;
  }
  loop_ended();
}

asio::awaitable<std::chrono::steady_clock::duration> ZonePipeline::refresh_step() {
  PublishReport r;
  bool failed = false;
  try {
    r = co_await on_worker(jobs_, job_pool(0), [this] {
      publisher_.refresh_signatures();
      PublishReport report = publisher_.take_report();
      wrap_publication();
      if (report.published && publisher_.served_signed()->rrset_count() >= kTrimAfterRRsets)
        release_free_memory(zname_);
      return report;
    });
  } catch (const std::exception& e) {
    util::log(LogLevel::Error, "slave", zname_, "signature upkeep failed: {}", e.what());
    failed = true;
  }
  if (stopping_) co_return std::chrono::seconds(0);
  if (apply_report(r, false, "refresh", std::nullopt)) notify_secondaries();
  // Sleep until the earliest signature enters the refresh window; after a refresh that
  // failed (it is still due), a minute; without a zone, until a publication wakes us.
  std::chrono::seconds delay{failed ? 60 : 3600};
  if (!failed && r.earliest_expiry != 0) {
    const auto now = static_cast<uint32_t>(util::unix_now());
    const auto due = static_cast<int32_t>(r.earliest_expiry - config_.publisher.signature_refresh -
                                          now);  // RFC 1982
    delay = due < 0 ? std::chrono::seconds(60)
                    : std::min(delay, std::chrono::seconds(int64_t{due} + 1));
  }
  util::log(LogLevel::Debug, "slave", zname_, "signature upkeep: next check in {} s",
            delay.count());
  co_return delay;
}

asio::awaitable<std::chrono::steady_clock::duration> ZonePipeline::key_step() {
  PublishReport r;
  std::time_t next = kNever;
  const bool reread = std::exchange(key_reread_, false);
  std::optional<ParentDs> ds;
  if (parent_ds_at_ <= std::time(nullptr))
    ds = co_await ask_parent_ds(io_.get_executor(), name(),
                                config_.publisher.key_policy.parent_ds_check);
  if (stopping_) co_return std::chrono::seconds(0);
  try {
    next = co_await on_worker(jobs_, job_pool(0), [this, reread, &r, &ds] {
      const auto t0 = std::chrono::steady_clock::now();
      const std::time_t at = key_upkeep_.step(publisher_, std::time(nullptr), reread, ds);
      parent_ds_at_ = key_upkeep_.parent_ds_check_at();
      r = publisher_.take_report();
      if (r.published) {
        wrap_publication();
        util::log(LogLevel::Info, "slave", zname_, "key step published in {:.3f} s",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      return at;
    });
  } catch (const std::exception& e) {
    util::log(LogLevel::Error, "slave", zname_, "key upkeep failed: {}", e.what());
    next = std::time(nullptr) + 60;
  }
  if (stopping_) co_return std::chrono::seconds(0);
  if (apply_report(r, false, "keys", std::nullopt)) {
    notify_secondaries();
    refresh_now_ = true;
    if (on_published_) on_published_();
  }
  // Until the next key event (just after it: the step reads whole seconds), at most one
  // check interval: new or changed key files are seen within it.
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(config_.key_check_interval);
  if (next != kNever) {
    const auto until = std::chrono::system_clock::from_time_t(next) -
                       std::chrono::system_clock::now() + std::chrono::milliseconds(20);
    delay = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(until),
                       std::chrono::milliseconds(20), delay);
  }
  co_return delay;
}

void ZonePipeline::check_signature_margin(const ZoneFigures& f, bool starting,
                                          const std::string& master) {
  if (figures_ == f) return;
  figures_ = f;
  const SignatureTiming set{config_.publisher.signature_validity,
                            config_.publisher.signature_refresh};
  std::string problem;
  if (config_.signature_timing_set) {
    problem = margin_problem(set, f);
    if (problem.empty()) return;
    if (starting) throw ConfigError(fmt::format("zone {}: {}", zname_, problem));
  } else if (auto t = derived_timing(set, f)) {
    if (*t != set)
      util::log(LogLevel::Info, "slave", zname_,
                "signature timing derived from the zone (SOA expire {} s, largest TTL {} s): "
                "validity {} s, refresh {} s",
                f.expire, f.max_ttl, t->validity, t->refresh);
    publisher_.set_signature_timing(t->validity, t->refresh);
    return;
  } else {
    problem = margin_problem(set, f) +
              fmt::format("; no validity up to {} s leaves that margin", kMaxSignatureValidity);
  }
  util::log(LogLevel::Warning, "slave", zname_, "signature-margin: {}", problem);
  publisher_.raise_alert("signature-margin", problem, master);
}

}  // namespace flatsign::slave
