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
#include "common/util/heap.hpp"
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

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Runs the review hook on a thread of its own (it may take review-timeout) and resumes the
// caller on its executor: neither the zone's strand nor a job pool waits for it. The io_context
// keeps running until it has answered.
asio::awaitable<ReviewDecision> review_off_strand(asio::io_context& io,
                                                  const ReviewSettings& settings, ReviewInput in,
                                                  const std::string& zone) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(ReviewDecision)>(
      [&io](auto handler, ReviewSettings settings, ReviewInput in, std::string zone) {
        std::thread([handler = std::move(handler), work = asio::make_work_guard(io),
                     settings = std::move(settings), in = std::move(in),
                     zone = std::move(zone)]() mutable {
          ReviewDecision d = run_review(settings, std::move(in), zone);
          auto ex = asio::get_associated_executor(handler, work.get_executor());
          asio::post(ex, [handler = std::move(handler), d = std::move(d)]() mutable {
            std::move(handler)(std::move(d));
          });
        }).detach();
      },
      asio::use_awaitable, settings, std::move(in), zone);
}

std::string tcp_text(const asio::ip::tcp::endpoint& ep) {
  return net::endpoint_text(asio::ip::udp::endpoint(ep.address(), ep.port()));
}

// The interval with +-5% jitter, so many slaves (and many zones) do not poll in lockstep.
std::chrono::milliseconds jittered(std::chrono::milliseconds interval) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> d(0.95, 1.05);
  return std::chrono::milliseconds(static_cast<long long>(double(interval.count()) * d(rng)));
}

}  // namespace

void release_free_memory(const std::string& zname) {
  // A transfer, a sign and a verify free as much as the zone they leave behind, much of it in
  // the signing threads' arenas. glibc never shrinks those by itself (measured on a 100k-name
  // zone: RSS stayed ~150 MB above the heap in use); jemalloc does, but only as those threads
  // allocate again. Either way the pages go back to the kernel now.
  const auto t0 = std::chrono::steady_clock::now();
  const util::HeapFigures f = util::release_free_heap();
  // held less in_use: what could not be given back (free space sharing pages with live data).
  util::log(LogLevel::Debug, "slave", zname,
            "heap release ({}): {} in {:.3f} s; in use {:.1f} MB of {:.1f} MB held", f.allocator,
            f.released ? "memory released" : "nothing to release",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
            static_cast<double>(f.in_use) / 1048576.0, static_cast<double>(f.held) / 1048576.0);
}

ZonePipeline::ZonePipeline(asio::io_context& io, ZoneConfigPtr config, const PipelineShared& shared)
    : io_(io),
      config_ptr_(std::move(config)),
      config_(*config_ptr_->config),
      shared_(shared),
      metrics_(name()),
      publisher_(config_.publisher, name(), config_ptr_->state_dir),
      zname_(publisher_.zname()),
      jobs_(asio::make_strand(shared_.small_jobs.get_executor())),
      wake_(io),
      upkeep_wake_(io),
      key_upkeep_(config_.publisher, name(), config_ptr_->state_dir) {
  // One TransferAccess for every zone of the same settings (made with them).
  serving_ = std::make_shared<server::SnapshotDirectory>(
      name(), config_.access ? config_.access : transfer_access(config_));
}

void ZonePipeline::start_up(util::AtomicFileBatch* new_keys) {
  publisher_.set_on_swap([this] { wrap_publication(); });
  publisher_.set_on_hook_done([zname = zname_] { release_free_memory(zname); });
  bool new_dir = false;
  prepare_zone_state_dir(config_.state_root, name(), shared_.state_root_files.get(), &new_dir);
  publisher_.start_up(new_keys, new_dir);
  // A new zone's key files are not in place yet (new_keys is committed after): its first key
  // step reads them.
  if (!new_dir) {
    key_upkeep_.preload(publisher_);
    load_applied_serial_state();
  }
  const PublishReport r = publisher_.take_report();
  if (r.earliest_expiry != 0) note_expiry(r.earliest_expiry);
  if (auto served = publisher_.served_signed()) {
    check_signature_margin(zone_figures(*served), true, "start-up");
    metrics_.published(served->serial(), false, 0);
    // The served DNSKEY RRset, CDS and signers against the keys' timing: the key loop re-signs
    // at once when they differ (a key rolled or retired while the slave was stopped).
    // The denial chain asked for against the one served (a changed `denial` setting).
    const bool nsec3_served = served->nodes().front().find(dns::RRType::NSEC3PARAM) != nullptr;
    if (nsec3_served != (config_.publisher.denial.mode == dnssec::DenialMode::Nsec3))
      resign_reason_ = fmt::format("denial changed to {}", nsec3_served ? "NSEC" : "NSEC3");
    // The CDS RRset asked for (none, the keys' or the delete form) against the one served.
    const dns::RRset* cds = served->nodes().front().find(dns::RRType::CDS);
    const bool delete_served = cds && cds->rdatas.size() == 1 && cds->rdatas[0].size() == 5 &&
                               cds->rdatas[0][2] == 0;  // algorithm 0 (RFC 8078 §4)
    const auto want = config_.publisher.cds;
    using Cds = PublisherConfig::Cds;
    if ((cds != nullptr) != (want != Cds::None) || (cds && delete_served != (want == Cds::Delete)))
      resign_reason_ = "cds setting changed";
    if (!resign_reason_.empty())
      util::log(LogLevel::Info, "slave", zname_, "{}: re-signing at the first poll",
                resign_reason_);
    if (served->rrset_count() >= kTrimAfterRRsets) release_free_memory(zname_);
  }
  wrap_publication();
}

void ZonePipeline::start() {
  // Two loops a zone. Between rounds each sleeps as a plain timer wait (a few dozen octets), not
  // as a suspended coroutine: at 10,000 zones a frame, spawn and pending wait per loop cost ~2.5
  // KB a zone. A round's coroutine is spawned when its wait ends.
  loops_ = 2;
  upkeep_keys_at_ = upkeep_refresh_at_ = std::chrono::steady_clock::now();
  if (transfers_at_once()) {
    // Thousands of zones (a start) wait for their first transfer's turn here, as a callback
    // each, rather than each in a coroutine whose frames would lie among what the others keep.
    shared_.transfers.acquire_then([self = shared_from_this()](net::AsyncSemaphore::Permit turn) {
      self->spawn_poll_round(std::move(turn));
    });
  } else {
    spawn_poll_round();
  }
  shared_.upkeep_starts.acquire_then([self = shared_from_this()](net::AsyncSemaphore::Permit turn) {
    self->spawn_upkeep_round(std::move(turn));
  });
}

void ZonePipeline::spawn_poll_round(net::AsyncSemaphore::Permit turn) {
  net::spawn_logged(io_.get_executor(), poll_loop(shared_from_this(), std::move(turn)), "slave",
                    "poll loop of " + zname_);
}

void ZonePipeline::spawn_upkeep_round(net::AsyncSemaphore::Permit turn) {
  net::spawn_logged(io_.get_executor(), upkeep_loop(shared_from_this(), std::move(turn)), "slave",
                    "signature and key upkeep of " + zname_);
}

void ZonePipeline::loop_ended() {
  if (--loops_ != 0) return;
  if (auto stopped = std::exchange(on_stopped_, nullptr)) stopped();
}

void ZonePipeline::stop(std::function<void()> stopped) {
  stopping_ = true;
  on_stopped_ = std::move(stopped);
  wake_.cancel();
  if (hold_) hold_->cancel();
  upkeep_wake_.cancel();
}

void ZonePipeline::check_keys() {
  key_reread_ = true;
  upkeep_wake_.cancel();
}

void ZonePipeline::trigger_poll() {
  poll_pending_ = true;
  wake_.cancel();
}

void ZonePipeline::force_poll() {
  force_next_ = true;
  trigger_poll();
}

asio::awaitable<void> ZonePipeline::poll_loop(std::shared_ptr<ZonePipeline> self,
                                              net::AsyncSemaphore::Permit turn) {
  while (!stopping_) {
    // However many NOTIFYs come (forged ones included), one poll per notify_min_interval.
    if (last_poll_start_) {
      const auto since = std::chrono::steady_clock::now() - *last_poll_start_;
      if (since < config_.notify_min_interval) {
        if (!hold_) hold_ = std::make_unique<Timer>(io_);
        hold_->expires_after(config_.notify_min_interval - since);
        (void)co_await hold_->async_wait(kTuple);
        if (stopping_) break;
      }
    }
    poll_pending_ = false;
    last_poll_start_ = std::chrono::steady_clock::now();
    co_await poll_once(std::move(turn));
    if (stopping_) break;
    if (poll_pending_) continue;  // a NOTIFY arrived during the transfer
    wake_.expires_after(jittered(next_poll_delay()));
    // Woken at the time, or early by trigger_poll() or stop() (which cancel the wait).
    wake_.async_wait([self = std::move(self)](const boost::system::error_code&) {
      if (self->stopping_)
        self->loop_ended();
      else
        self->spawn_poll_round();
    });
    co_return;
  }
  loop_ended();
}

bool ZonePipeline::transfers_at_once() const {
  return config_.poll_mode != PollMode::Soa || !master_serial_ || force_next_ ||
         !publisher_.served_signed();
}

asio::awaitable<bool> ZonePipeline::serial_unchanged() {
  if (transfers_at_once()) co_return false;
  for (const auto& m : config_.masters) {
    SoaProbe p = co_await probe_soa_serial(io_.get_executor(), m, name(),
                                           config_.transfer.connect_timeout, config_.transfer.key);
    if (p.outcome != SoaProbeOutcome::Answered) {
      util::log(LogLevel::Debug, "slave", zname_, "SOA probe of {}: {} {}", tcp_text(m),
                soa_probe_outcome_text(p.outcome), p.detail);
      continue;
    }
    const bool same = p.serial == *master_serial_;
    util::log(LogLevel::Debug, "slave", zname_, "SOA probe of {}: serial {}{}", tcp_text(m),
              p.serial, same ? ", unchanged: no transfer" : ", changed: transferring");
    co_return same;
  }
  co_return false;  // no usable answer: the transfer decides
}

// One transfer's poll, from its fetch to its outcome: what the job's steps share.
struct ZonePipeline::TransferPoll {
  // This zone's turn among max-transfers, held until its check job ends (poll_received).
  net::AsyncSemaphore::Permit permit;
  AxfrAttempt attempt;
  std::string master;  // the master that answered, as text
  TransferLimits limits;
  std::optional<uint32_t> previous_master_serial;
  // A checked transfer the review hook must see first (review.hpp), and its document.
  std::optional<CheckResult> reviewed;
  std::optional<ReviewInput> review;
};

asio::awaitable<void> ZonePipeline::poll_once(net::AsyncSemaphore::Permit turn) {
  // At a start with thousands of zones most wait here for their transfer's turn at once: in
  // this small frame (a coroutine's frame holds every local of its body), the transfer's state
  // being made in poll_work's only once the turn came.
  const auto at = std::chrono::system_clock::now();
  bool unchanged = false;
  std::string failure;
  net::AsyncSemaphore::Permit permit = std::move(turn);
  try {
    if (!permit) unchanged = co_await serial_unchanged();
    if (!unchanged) {
      // At most max-transfers transfers run at once over all zones (a start with thousands
      // of zones must not flood the masters); a zone waits here for its turn.
      if (!permit) permit = co_await shared_.transfers.acquire();
      if (stopping_ || shared_.transfers.closed()) co_return;
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  co_await poll_work(at, unchanged, std::move(failure), std::move(permit));
}

asio::awaitable<void> ZonePipeline::poll_work(std::chrono::system_clock::time_point at,
                                              bool unchanged, std::string failure,
                                              net::AsyncSemaphore::Permit permit) {
  PollRecord rec;
  rec.at = at;
  PollWork work;
  std::optional<std::chrono::steady_clock::time_point> received;
  const auto failed = [&](std::string what) {
    util::log(LogLevel::Error, "slave", zname_, "poll failed: {}", what);
    work.result = PollResult::Failed;
    work.detail = std::move(what);
  };
  try {
    if (!failure.empty()) {
      failed(std::move(failure));
    } else if (unchanged) {
      unreachable_polls_ = 0;
      work = co_await on_worker(jobs_, job_pool(0), [this] {
        PollWork w;
        w.applied_serial = applied_serial_;
        after_poll(w);
        return w;
      });
    } else {
      TransferPoll t;
      t.permit = std::move(permit);
      t.attempt = co_await fetch_transfer_any(io_.get_executor(), config_.masters, name(),
                                              config_.transfer, next_ixfr_request());
      rec.master = t.master = tcp_text(t.attempt.master);
      if (!t.attempt.reached) {
        work = co_await poll_unreachable(t);
      } else {
        unreachable_polls_ = 0;
        received = std::chrono::steady_clock::now();
        work = co_await poll_received(t);
      }
    }
  } catch (const std::exception& e) {
    failed(e.what());
  }
  finish_poll(std::move(rec), std::move(work), received);
}

std::optional<IxfrRequest> ZonePipeline::next_ixfr_request() {
  std::optional<IxfrRequest> ixfr;
  if (auto served = publisher_.served_signed(); config_.transfer_mode == TransferMode::Ixfr &&
                                                applied_serial_ && served && !force_next_ &&
                                                !axfr_next_)
    ixfr = ixfr_request(*served, *applied_serial_);
  // poll-mode axfr is for masters whose serial need not follow their content.
  if (ixfr) ixfr->axfr_when_up_to_date = config_.poll_mode == PollMode::Axfr;
  axfr_next_ = false;
  return ixfr;
}

asio::awaitable<ZonePipeline::PollWork> ZonePipeline::poll_unreachable(const TransferPoll& t) {
  // No master accepted a connection: keep serving (and refreshing signatures); alert once
  // after alert_after polls in a row.
  ++unreachable_polls_;
  util::log(LogLevel::Warning, "slave", zname_, "no master reachable ({} polls): {}",
            unreachable_polls_, t.attempt.detail());
  const bool alert = unreachable_polls_ == config_.alert_after;
  co_return co_await on_worker(jobs_, job_pool(0), [&, alert] {
    PollWork w;
    w.applied_serial = applied_serial_;
    w.result = PollResult::Failed;
    w.detail = t.attempt.detail();
    if (alert) publisher_.alert("master-unreachable", t.attempt.detail(), t.master);
    w.handled = publisher_.take_report();
    after_poll(w);
    return w;
  });
}

asio::awaitable<ZonePipeline::PollWork> ZonePipeline::poll_received(TransferPoll& t) {
  const AxfrAssembler& assembled = *t.attempt.assembler;
  util::log(LogLevel::Debug, "slave", zname_,
            "transfer from {}: {} records in {} messages, {} octets on the wire, {} held", t.master,
            assembled.records().size(), assembled.messages(), assembled.wire_octets(),
            assembled.records().memory());
  t.limits = config_.transfer.limits;
  t.previous_master_serial = master_serial_;
  if (t.attempt.state() == AxfrAssembler::State::Complete)
    t.limits.force = std::exchange(force_next_, false);
  // The whole pipeline (check, diff, sign, verify, write, swap) runs on the worker, so queries
  // keep being answered during a long sign; only the outcome comes back here.
  PollWork work =
      co_await on_worker(jobs_, job_pool(assembled.messages()), [&] { return check_job(t); });
  t.permit.reset();
  if (!t.reviewed) co_return work;
  const ReviewDecision d =
      co_await review_off_strand(io_, config_.review, std::move(*t.review), zname_);
  t.review.reset();
  co_return co_await on_worker(jobs_, job_pool(assembled.messages()), [&] {
    PollWork w = std::move(work);
    if (d.publish) {
      if (!d.reason.empty()) publisher_.raise_alert(d.reason, d.detail, t.master);
      publish_checked(w, std::move(*t.reviewed), t.master);
    } else {
      publisher_.alert(d.reason, d.detail, t.master);
      w.result = PollResult::Refused;
      w.detail = fmt::format("{}: {}", d.reason, d.detail);
    }
    t.reviewed.reset();
    return finish_job(w);
  });
}

ZonePipeline::PollWork ZonePipeline::check_job(TransferPoll& t) {
  PollWork w;
  w.applied_serial = applied_serial_;
  if (t.attempt.state() != AxfrAssembler::State::Complete) {
    refuse_incomplete(w, t);
    return finish_job(w);
  }
  const auto served = publisher_.served_signed();
  CheckResult result = check_received(w, t, served);
  if (!resign_reason_.empty() && !is_refusal(result.verdict)) {
    // A key was rolled or retired while the slave was stopped (key_roll.hpp), or the denial
    // setting changed: sign the same content that way now, not at the next change.
    resign_reason_.clear();
    if (result.verdict == Verdict::Unchanged) {
      result.verdict = Verdict::Accepted;
      result.zone = with_serial(*strip_signatures(*served), result.serial);
    }
  }
  const Verdict v = result.verdict;
  if (v == Verdict::Accepted || v == Verdict::Unchanged) w.master_serial = result.serial;
  if (v == Verdict::Accepted) note_accepted(result, t);
  if (is_refusal(v)) w.detail = fmt::format("{}: {}", verdict_name(v), result.detail);
  // The review hook decides a change first, off the zone's strand (poll_received); a re-sign of
  // the same content (keys, denial) is not a change to review.
  if (v == Verdict::Accepted && !config_.review.command.empty() &&
      (!served || !result.diff.empty())) {
    const std::optional<uint32_t> old_serial = served ? publisher_.last_serial() : std::nullopt;
    t.review = review_input({zname_, old_serial,
                             next_serial(config_.publisher.serial_policy, publisher_.last_serial(),
                                         std::time(nullptr), result.zone->serial()),
                             result.serial, t.master, &result.diff, result.zone});
    t.reviewed.emplace(std::move(result));
    return w;
  }
  publish_checked(w, std::move(result), t.master);
  return finish_job(w);
}

void ZonePipeline::refuse_incomplete(PollWork& w, const TransferPoll& t) {
  // An IXFR that went wrong (rather than one answered in AXFR form) is refused like a broken
  // AXFR, and the next transfer is a whole one.
  const AxfrAttempt& a = t.attempt;
  const bool ixfr_asked = a.ixfr && a.ixfr->form() != IxfrAssembler::Form::Axfr;
  w.result = PollResult::Refused;
  w.detail = fmt::format("{}: {}", verdict_name(a.verdict()), a.detail());
  w.ixfr_refused = ixfr_asked;
  if (ixfr_asked && a.verdict() == Verdict::RefusedRcode) {
    // The master's failure, not the IXFR's: the AXFR asked next at once meets it too and
    // alerts then, once, instead of an alert for each form.
    util::log(LogLevel::Info, "slave", zname_,
              "transfer from {}: IXFR answered with an error ({}); asking AXFR", t.master,
              a.detail());
  } else {
    publisher_.alert(verdict_name(a.verdict()), (ixfr_asked ? "IXFR: " : "") + a.detail(),
                     t.master);
  }
}

CheckResult ZonePipeline::check_received(PollWork& w, TransferPoll& t,
                                         const std::shared_ptr<const zone::Zone>& served) {
  const AxfrAttempt& a = t.attempt;
  if (!a.incremental()) {
    if (a.ixfr)
      util::log(LogLevel::Info, "slave", zname_,
                "transfer from {}: IXFR from serial {} answered in AXFR form", t.master,
                a.ixfr->client_serial());
    return check_transfer(*a.assembler, served.get(), t.limits);
  }
  const auto checked_from = std::chrono::steady_clock::now();
  CheckResult result = check_ixfr(*a.ixfr, *served, t.limits);
  w.ixfr_refused = is_refusal(result.verdict);
  if (w.ixfr_refused) {
    result.detail = "IXFR: " + result.detail;
  } else {
    util::log(
        LogLevel::Info, "slave", zname_, "transfer from {}: {} (applied in {:.3f} s)", t.master,
        result.detail,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - checked_from).count());
  }
  return result;
}

void ZonePipeline::note_accepted(const CheckResult& result, const TransferPoll& t) {
  if (t.previous_master_serial && serial_gt(*t.previous_master_serial, result.serial)) {
    // RFC 1982: the master's serial went back, yet the content changed. The slave follows the
    // content (its own serial still goes up), but someone should look: a restored backup or a
    // second master with other data.
    publisher_.alert("master-serial-backwards",
                     fmt::format("master serial {} after {}, with changed content; publishing it",
                                 result.serial, *t.previous_master_serial),
                     t.master);
  }
  if (result.zone)
    check_signature_margin(figures_ && !result.diff.empty()
                               ? zone_figures(*result.zone, *figures_, result.diff)
                               : zone_figures(*result.zone),
                           false, t.master);
}

void ZonePipeline::publish_checked(PollWork& w, CheckResult result, const std::string& master) {
  const Verdict v = result.verdict;
  const uint32_t master_serial = result.serial;
  const bool published = publisher_.handle(std::move(result), master);
  // The served content is now the master's version `master_serial`.
  if (v == Verdict::Unchanged || published) w.applied_serial = master_serial;
  w.result = v == Verdict::Unchanged ? PollResult::Unchanged
             : is_refusal(v)         ? PollResult::Refused
             : published             ? PollResult::Changed
                                     : PollResult::Failed;
}

ZonePipeline::PollWork ZonePipeline::finish_job(PollWork& w) {
  w.handled = publisher_.take_report();
  if (w.result == PollResult::Failed) w.detail = w.handled.refusal_detail;
  after_poll(w);
  return std::move(w);
}

asio::thread_pool& ZonePipeline::job_pool(size_t transfer_messages) const {
  const auto served = publisher_.served_signed();
  const bool small =
      transfer_messages <= 1 && (!served || served->rrset_count() < kSmallZoneRRsets);
  return small ? shared_.small_jobs : shared_.jobs;
}

void ZonePipeline::after_poll(PollWork& w) {
  publisher_.flush_change_hook();
  w.refreshed = publisher_.take_report();
  wrap_publication();
  store_applied_serial_state(w.applied_serial);
  if (auto served = publisher_.served_signed(); served && served->rrset_count() >= kTrimAfterRRsets)
    release_free_memory(zname_);
}

void ZonePipeline::load_applied_serial_state() {
  stored_applied_ = load_applied_serial(config_ptr_->state_dir, name());
  auto served = publisher_.served_signed();
  if (stored_applied_ && served && served->serial() == stored_applied_->served) {
    applied_serial_ = stored_applied_->master;
    util::log(LogLevel::Debug, "slave", zname_, "served serial {} holds the master's serial {}",
              served->serial(), *applied_serial_);
  }
}

void ZonePipeline::store_applied_serial_state(std::optional<uint32_t> applied) {
  auto served = publisher_.served_signed();
  if (!applied || !served || config_ptr_->state_dir.empty()) return;
  const AppliedSerial now{*applied, served->serial()};
  if (stored_applied_ == now) return;
  try {
    store_applied_serial(config_ptr_->state_dir, name(), now);
    stored_applied_ = now;
  } catch (const std::exception& e) {
    // Only IXFR after a restart needs it: the next start transfers by AXFR.
    util::log(LogLevel::Warning, "slave", zname_, "could not store the master's serial: {}",
              e.what());
  }
}

void ZonePipeline::wrap_publication() {
  // A new publication is wrapped once (O(zone)) under the mutex, re-read there so an older one
  // never replaces a newer one.
  auto wrapped = [this] {
    auto current = serving_->find(name());
    return current && current->zone == publisher_.served_signed() &&
           current->journal == publisher_.served_journal();
  };
  if (wrapped()) return;
  std::lock_guard lock(refresh_mutex_);
  if (!wrapped()) serving_->refresh(publisher_.served_signed(), publisher_.served_journal());
}

void ZonePipeline::finish_poll(PollRecord rec, PollWork work,
                               std::optional<std::chrono::steady_clock::time_point> received) {
  const auto now = std::chrono::system_clock::now();
  const auto now_unix = static_cast<double>(util::unix_now());
  rec.result = work.result;
  rec.detail = std::move(work.detail);
  const bool failed = rec.result == PollResult::Refused || rec.result == PollResult::Failed;
  failed_polls_ = failed ? failed_polls_ + 1 : 0;
  if (failed)
    util::log(LogLevel::Info, "slave", zname_, "next poll in {:.1f} s (failure {} in a row)",
              std::chrono::duration<double>(next_poll_delay()).count(), failed_polls_);
  metrics_.poll(rec.result);
  applied_serial_ = work.applied_serial;
  if (work.ixfr_refused) {
    // The IXFR could not be used: a whole transfer next, at once (after notify_min_interval).
    axfr_next_ = true;
    poll_pending_ = true;
  }
  if (work.master_serial) {
    master_serial_ = work.master_serial;
    metrics_.master_serial().set(*work.master_serial);
  }
  if (rec.result == PollResult::Unchanged || rec.result == PollResult::Changed) {
    status_.last_success = now;
    metrics_.last_success().set(now_unix);
  }
  const bool published = apply_report(work.handled, true, rec.master, received);
  apply_report(work.refreshed, false, rec.master, received);
  status_.last_poll = std::move(rec);
  if (published) {
    notify_secondaries();
    refresh_now_ = true;  // the upkeep looks at the new zone's signatures
    upkeep_wake_.cancel();
    if (on_published_) on_published_();
  }
}

bool ZonePipeline::apply_report(const PublishReport& r, bool from_transfer,
                                const std::string& master,
                                std::optional<std::chrono::steady_clock::time_point> received) {
  if (!r.refusal.empty()) {
    metrics_.refusal(r.refusal);
    status_.last_refusal = std::make_shared<const RefusalRecord>(
        RefusalRecord{std::chrono::system_clock::now(), r.refusal, r.refusal_detail, master});
  }
  auto served = publisher_.served_signed();
  if (r.published && served) {
    metrics_.signing(r.incremental, r.sign_seconds);
    const double latency =
        from_transfer && received
            ? std::chrono::duration<double>(std::chrono::steady_clock::now() - *received).count()
            : 0.0;
    metrics_.published(served->serial(), from_transfer, latency);
  }
  if (r.earliest_expiry != 0) note_expiry(r.earliest_expiry);
  return r.published && served;
}

std::chrono::milliseconds ZonePipeline::next_poll_delay() const {
  if (failed_polls_ == 0) return config_.poll_interval;
  // RFC 1035 §3.3.13: after a failed refresh, try again after the zone's RETRY, not a whole
  // refresh interval; doubled while the failures go on, never longer than the poll interval. A
  // slave that holds no zone yet (e.g. its master was still resolving ALIAS targets) starts at
  // one second.
  std::chrono::milliseconds base{1000};
  if (auto served = publisher_.served_signed())
    base = std::chrono::seconds(dns::soa_retry(served->soa().rdatas.front()));
  const unsigned doublings = std::min(failed_polls_ - 1, 16u);
  return std::min(config_.poll_interval,
                  std::max(std::chrono::milliseconds(1000), base) * (1u << doublings));
}

void ZonePipeline::note_expiry(uint32_t earliest) {
  status_.next_expiry = earliest;
  const auto now = util::unix_now();
  // RRSIG times are RFC 1982 serials (RFC 4034 §3.1.5): the distance from now, then unix time.
  const auto left = static_cast<int32_t>(earliest - static_cast<uint32_t>(now));
  metrics_.next_expiry().set(static_cast<double>(static_cast<int64_t>(now) + left));
}

void ZonePipeline::notify_secondaries() {
  auto served = publisher_.served_signed();
  if (!served) return;
  const auto& soa = served->soa();
  const dns::Rr soa_rr{soa.owner, soa.type, soa.rclass, soa.ttl, soa.rdatas.front().to_rdata()};
  for (const auto& [target, key] : config_.notify) {
    auto task = [](asio::any_io_executor ex, asio::ip::udp::endpoint to, dns::Rr rr,
                   std::string zone, SlaveMetrics* metrics,
                   net::NotifyOptions options) -> asio::awaitable<void> {
      auto r = co_await net::send_notify(ex, to, rr, std::move(options));
      metrics->notify(r.outcome == net::NotifyOutcome::Acked);
      util::log(r.outcome == net::NotifyOutcome::Acked ? LogLevel::Info : LogLevel::Warning,
                "notify", zone, "NOTIFY to {}: {} after {} tries {}", net::endpoint_text(to),
                net::notify_outcome_text(r.outcome), r.tries, r.detail);
    };
    net::NotifyOptions options{.key = key};
    net::spawn_logged(io_.get_executor(),
                      task(io_.get_executor(), target, soa_rr, zname_, &metrics_, options),
                      "notify", "NOTIFY to " + net::endpoint_text(target));
  }
}

void ZonePipeline::answer_notify(const net::Request& req, const dns::Message& q,
                                 net::Responses& out) {
  NotifyPolicy policy;
  policy.zone = name();
  policy.masters = config_.masters;
  policy.key = config_.transfer.key;
  policy.tsig_required = config_.notify_tsig_required;
  NotifyAnswer a =
      slave::answer_notify(req.wire, q, req.peer.address(), req.tcp, policy, util::unix_now());
  if (a.verdict == NotifyVerdict::Accepted) {
    util::log(LogLevel::Info, "slave", zname_, "NOTIFY from {} ({}): polling now",
              net::endpoint_text(req.peer), a.detail);
    // The poll state belongs to io_'s thread; the pipeline may be stopped by then.
    asio::post(io_, [self = shared_from_this()] {
      if (!self->stopping_) self->trigger_poll();
    });
  } else {
    if (auto unlogged = notify_refusals_.admit(std::chrono::steady_clock::now()))
      util::log(LogLevel::Warning, "slave", zname_, "NOTIFY from {} refused: {}: {}{}",
                net::endpoint_text(req.peer), notify_verdict_text(a.verdict), a.detail,
                RefusalLogLimiter::suffix(*unlogged));
  }
  out.push_back(std::move(a.reply));
}

}  // namespace flatsign::slave
