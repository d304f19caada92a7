#include "slave/slave_daemon.hpp"

#include <malloc.h>
#include <algorithm>
#include <csignal>
#include <random>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/net/address.hpp"
#include "common/net/notify.hpp"
#include "common/net/spawn.hpp"
#include "common/server/responder.hpp"
#include "common/util/clock.hpp"
#include "common/util/log.hpp"
#include "slave/notify_answer.hpp"
#include "slave/soa_probe.hpp"
#include "slave/state.hpp"

namespace flatsign::slave {
namespace asio = boost::asio;
using util::LogLevel;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Runs `f` on `pool` and resumes the caller on its own executor with f's result (an exception
// from f is rethrown there).
template <typename F>
asio::awaitable<std::invoke_result_t<F&>> on_worker(asio::thread_pool& pool, F f) {
  co_return co_await asio::co_spawn(
      pool, [&f]() -> asio::awaitable<std::invoke_result_t<F&>> { co_return f(); },
      asio::use_awaitable);
}

std::string tcp_text(const asio::ip::tcp::endpoint& ep) {
  return net::endpoint_text(asio::ip::udp::endpoint(ep.address(), ep.port()));
}

// UDP serving threads: as asked, else one per core.
unsigned udp_thread_count(unsigned asked) {
  return asked ? asked : std::max(1u, std::thread::hardware_concurrency());
}

// The interval with +-5% jitter, so many slaves do not poll in lockstep.
std::chrono::milliseconds jittered(std::chrono::milliseconds interval) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> d(0.95, 1.05);
  return std::chrono::milliseconds(static_cast<long long>(double(interval.count()) * d(rng)));
}
}  // namespace

SlaveDaemon::SlaveDaemon(asio::io_context& io, SlaveConfig config)
    : io_(io),
      config_(std::move(config)),
      zname_(config_.publisher.zone.to_string()),
      metrics_(registry_, config_.publisher.zone),
      publisher_(config_.publisher),
      worker_(1),
      serving_(config_.publisher.zone),
      listener_(
          io, [this](const net::Request& r, net::Responses& o) { handle(r, o); },
          net::ListenerLimits{.udp_threads = udp_thread_count(config_.udp_threads)}),
      wake_(io) {
  // Secondaries of this slave may sign their transfers with the key it uses with its masters.
  if (config_.transfer.key) serve_policy_.keys.push_back(*config_.transfer.key);
  serve_policy_.transfer_acl = config_.allow_transfer;
}

void SlaveDaemon::start_up() {
  publisher_.set_on_swap([this] { wrap_publication(); });
  // An AXFR out packs the whole zone per transfer (~60 MB at 100k names), freed once it is
  // written: given back now rather than at the next poll.
  listener_.on_stream_sent([this] { release_free_memory(); });
  publisher_.set_on_hook_done([zname = zname_] { release_free_memory(zname); });
  publisher_.start_up();
  release_free_memory();  // the zone file's text and the parser's temporaries
  const PublishReport r = publisher_.take_report();
  if (r.earliest_expiry != 0) note_expiry(r.earliest_expiry);
  if (auto served = publisher_.served_signed()) {
    metrics_.published(served->serial(), false, 0);
    // The served DNSKEY RRset against the key files: they differ after `key roll`/`key retire`.
    std::vector<dns::Rdata> ours;
    for (const auto& k : publisher_.keys()) ours.push_back(k.dnskey_rdata());
    std::sort(ours.begin(), ours.end());
    const dns::RRset* dnskey = served->nodes().front().find(dns::RRType::DNSKEY);
    std::vector<dns::Rdata> published =
        dnskey ? dnskey->rdatas.to_vector() : std::vector<dns::Rdata>{};
    std::sort(published.begin(), published.end());
    keys_changed_ = ours != published;
    if (keys_changed_)
      util::log(LogLevel::Info, "slave", zname_,
                "key set changed since the last publication: re-signing at the first poll");
  }
}

void SlaveDaemon::start() {
  for (const auto& ep : config_.listen) listener_.listen(ep);
  net::spawn_logged(io_.get_executor(), poll_loop(), "slave", "poll loop of " + zname_);
  net::spawn_logged(io_.get_executor(), signal_loop(), "slave", "signal handling");
  if (config_.http) {
    http_ =
        std::make_unique<net::HttpStatusServer>(io_, registry_, [this] { return status_json(); });
    http_->listen(*config_.http);
    util::log(LogLevel::Info, "slave", zname_, "metrics and status on http://{}/",
              tcp_text(http_->bound()));
  }
}

void SlaveDaemon::stop() {
  stopping_ = true;
  listener_.stop();
  wake_.cancel();
  if (http_) http_->stop();
}

void SlaveDaemon::trigger_poll() {
  poll_pending_ = true;
  wake_.cancel();
}

void SlaveDaemon::force_poll() {
  force_next_ = true;
  trigger_poll();
}

asio::awaitable<void> SlaveDaemon::signal_loop() {
  asio::signal_set signals(io_, SIGINT, SIGTERM, SIGUSR1);
  while (!stopping_) {
    auto [ec, sig] = co_await signals.async_wait(kTuple);
    if (ec) co_return;
    if (sig == SIGUSR1) {
      util::log(LogLevel::Warning, "slave", zname_,
                "SIGUSR1: next transfer forced (shrink guard off once)");
      force_poll();
      continue;
    }
    util::log(LogLevel::Info, "slave", "", "signal {}: shutting down", sig);
    stop();
  }
}

asio::awaitable<void> SlaveDaemon::poll_loop() {
  while (!stopping_) {
    poll_pending_ = false;
    co_await poll_once();
    if (stopping_) co_return;
    if (poll_pending_) continue;  // a NOTIFY arrived during the transfer
    wake_.expires_after(jittered(config_.poll_interval));
    (void)co_await wake_.async_wait(kTuple);
  }
}

asio::awaitable<bool> SlaveDaemon::serial_unchanged() {
  if (config_.poll_mode != PollMode::Soa || !master_serial_ || force_next_ ||
      !publisher_.served_signed())
    co_return false;
  for (const auto& m : config_.masters) {
    SoaProbe p = co_await probe_soa_serial(io_.get_executor(), m, config_.publisher.zone,
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

asio::awaitable<void> SlaveDaemon::poll_once() {
  PollRecord rec;
  rec.at = std::chrono::system_clock::now();
  PollWork work;
  std::optional<std::chrono::steady_clock::time_point> received;
  try {
    if (co_await serial_unchanged()) {
      unreachable_polls_ = 0;
      work = co_await on_worker(worker_, [this] {
        PollWork w;
        upkeep(w);
        return w;
      });
    } else {
      AxfrAttempt attempt = co_await fetch_axfr_any(io_.get_executor(), config_.masters,
                                                    config_.publisher.zone, config_.transfer);
      rec.master = tcp_text(attempt.master);
      AxfrAssembler& assembled = *attempt.assembler;
      if (!attempt.reached) {
        // No master accepted a connection: keep serving (and refreshing signatures); alert
        // once after alert_after polls in a row.
        ++unreachable_polls_;
        util::log(LogLevel::Warning, "slave", zname_, "no master reachable ({} polls): {}",
                  unreachable_polls_, assembled.detail());
        const bool alert = unreachable_polls_ == config_.alert_after;
        work = co_await on_worker(worker_, [&, alert] {
          PollWork w;
          w.result = PollResult::Failed;
          w.detail = assembled.detail();
          if (alert) publisher_.alert("master-unreachable", assembled.detail(), rec.master);
          w.handled = publisher_.take_report();
          upkeep(w);
          return w;
        });
      } else {
        unreachable_polls_ = 0;
        received = std::chrono::steady_clock::now();
        TransferLimits limits = config_.transfer.limits;
        if (assembled.state() == AxfrAssembler::State::Complete)
          limits.force = std::exchange(force_next_, false);
        // The whole pipeline (check, diff, sign, verify, write, swap) runs on the worker, so
        // queries keep being answered during a long sign; only the outcome comes back here.
        work = co_await on_worker(worker_, [&] {
          PollWork w;
          if (assembled.state() != AxfrAssembler::State::Complete) {
            w.result = PollResult::Refused;
            w.detail = fmt::format("{}: {}", verdict_name(assembled.verdict()), assembled.detail());
            publisher_.alert(verdict_name(assembled.verdict()), assembled.detail(), rec.master);
          } else {
            const auto served = publisher_.served_signed();
            CheckResult result = check_transfer(assembled, served.get(), limits);
            if (keys_changed_ && !is_refusal(result.verdict)) {
              // A key was rolled or retired while the slave was stopped (key_roll.hpp): sign
              // the same content with the current key set now, not at the next change.
              keys_changed_ = false;
              if (result.verdict == Verdict::Unchanged) {
                result.verdict = Verdict::Accepted;
                result.zone = with_serial(*strip_signatures(*served), result.serial);
              }
            }
            const Verdict v = result.verdict;
            if (v == Verdict::Accepted || v == Verdict::Unchanged) w.master_serial = result.serial;
            if (is_refusal(v)) w.detail = fmt::format("{}: {}", verdict_name(v), result.detail);
            const bool published = publisher_.handle(std::move(result), rec.master);
            w.result = v == Verdict::Unchanged ? PollResult::Unchanged
                       : is_refusal(v)         ? PollResult::Refused
                       : published             ? PollResult::Changed
                                               : PollResult::Failed;
          }
          w.handled = publisher_.take_report();
          if (w.result == PollResult::Failed) w.detail = w.handled.refusal_detail;
          upkeep(w);
          return w;
        });
      }
    }
  } catch (const std::exception& e) {
    util::log(LogLevel::Error, "slave", zname_, "poll failed: {}", e.what());
    work.result = PollResult::Failed;
    work.detail = e.what();
  }
  finish_poll(std::move(rec), std::move(work), received);
}

void SlaveDaemon::upkeep(PollWork& w) {
  if (!w.handled.published) publisher_.refresh_signatures();
  w.refreshed = publisher_.take_report();
  wrap_publication();
  release_free_memory();
}

void SlaveDaemon::release_free_memory(const std::string& zname) {
  // A transfer, a sign and a verify free as much as the zone they leave behind, much of it in
  // the signing threads' malloc arenas, which glibc never shrinks by itself: measured on a
  // 100k-name zone, RSS stayed ~150 MB above the heap in use. malloc_trim hands free pages of
  // every arena back to the kernel.
  const auto t0 = std::chrono::steady_clock::now();
  const bool released = malloc_trim(0) != 0;
  // The heap in use beside what the arena keeps: their gap is fragmentation malloc_trim could
  // not give back (free chunks sharing pages with live ones).
  const struct mallinfo2 mi = mallinfo2();
  util::log(LogLevel::Debug, "slave", zname,
            "malloc_trim: {} in {:.3f} s; heap in use {:.1f} MB of {:.1f} MB held, {:.1f} MB "
            "mapped apart",
            released ? "memory released" : "nothing to release",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
            static_cast<double>(mi.uordblks) / 1048576.0, static_cast<double>(mi.arena) / 1048576.0,
            static_cast<double>(mi.hblkhd) / 1048576.0);
}

void SlaveDaemon::wrap_publication() {
  // UDP threads call this concurrently: the check is lock-free; a new publication is wrapped
  // once (O(zone)) under the mutex, re-read there so an older one never replaces a newer one.
  auto wrapped = [this] {
    auto current = serving_.find(config_.publisher.zone);
    return current && current->zone == publisher_.served_signed() &&
           current->journal == publisher_.served_journal();
  };
  if (wrapped()) return;
  std::lock_guard lock(refresh_mutex_);
  if (!wrapped()) serving_.refresh(publisher_.served_signed(), publisher_.served_journal());
}

void SlaveDaemon::finish_poll(PollRecord rec, PollWork work,
                              std::optional<std::chrono::steady_clock::time_point> received) {
  const auto now = std::chrono::system_clock::now();
  const auto now_unix = static_cast<double>(util::unix_now());
  rec.result = work.result;
  rec.detail = std::move(work.detail);
  metrics_.poll(rec.result);
  if (work.master_serial) {
    master_serial_ = work.master_serial;
    metrics_.master_serial().set(*work.master_serial);
  }
  if (rec.result == PollResult::Unchanged || rec.result == PollResult::Changed) {
    status_.last_success = now;
    metrics_.last_success().set(now_unix);
  }
  auto served = publisher_.served_signed();
  for (const PublishReport* r : {&work.handled, &work.refreshed}) {
    if (!r->refusal.empty()) {
      metrics_.refusal(r->refusal);
      status_.last_refusal = RefusalRecord{now, r->refusal, r->refusal_detail, rec.master};
    }
    if (r->published && served) {
      metrics_.signing(r->incremental, r->sign_seconds);
      const bool from_transfer = r == &work.handled;
      const double latency =
          from_transfer && received
              ? std::chrono::duration<double>(std::chrono::steady_clock::now() - *received).count()
              : 0.0;
      metrics_.published(served->serial(), from_transfer, latency);
    }
    if (r->earliest_expiry != 0) note_expiry(r->earliest_expiry);
  }
  status_.last_poll = std::move(rec);
  if (work.handled.published || work.refreshed.published) notify_secondaries();
}

void SlaveDaemon::note_expiry(uint32_t earliest) {
  status_.next_expiry = earliest;
  const auto now = util::unix_now();
  // RRSIG times are RFC 1982 serials (RFC 4034 §3.1.5): the distance from now, then unix time.
  const auto left = static_cast<int32_t>(earliest - static_cast<uint32_t>(now));
  metrics_.next_expiry().set(static_cast<double>(static_cast<int64_t>(now) + left));
}

void SlaveDaemon::notify_secondaries() {
  auto served = publisher_.served_signed();
  if (!served) return;
  const auto& soa = served->soa();
  const dns::Rr soa_rr{soa.owner, soa.type, soa.rclass, soa.ttl, soa.rdatas.front().to_rdata()};
  for (const auto& target : config_.notify) {
    auto task = [](asio::any_io_executor ex, asio::ip::udp::endpoint to, dns::Rr rr,
                   std::string zone, SlaveMetrics* metrics,
                   net::NotifyOptions options) -> asio::awaitable<void> {
      auto r = co_await net::send_notify(ex, to, rr, std::move(options));
      metrics->notify(r.outcome == net::NotifyOutcome::Acked);
      util::log(r.outcome == net::NotifyOutcome::Acked ? LogLevel::Info : LogLevel::Warning,
                "notify", zone, "NOTIFY to {}: {} after {} tries {}", net::endpoint_text(to),
                net::notify_outcome_text(r.outcome), r.tries, r.detail);
    };
    net::NotifyOptions options{.key = config_.transfer.key};  // signed like the transfers
    net::spawn_logged(io_.get_executor(),
                      task(io_.get_executor(), target, soa_rr, zname_, &metrics_, options),
                      "notify", "NOTIFY to " + net::endpoint_text(target));
  }
}

void SlaveDaemon::handle(const net::Request& req, net::Responses& out) {
  // Everything but NOTIFY (opcode 4) goes to the answer engine: queries with DNSSEC answers,
  // transfers and the FORMERR/NOTIMP/REFUSED cases (common/server/responder).
  if (req.wire.size() < dns::kHeaderSize || ((req.wire[2] >> 3) & 0xF) != 4) {
    wrap_publication();  // normally done on the worker already: then a lock-free check
    std::string why;
    auto outcome = server::respond(serving_, serve_policy_, req, out, &why);
    metrics_.query(outcome, out);  // atomics: the listener's threads call this at once
    if (outcome == server::Outcome::Transferred)  // one line per transfer out (AXFR or IXFR)
      util::log(LogLevel::Info, "slave", zname_, "transfer to {}: {}", net::endpoint_text(req.peer),
                why.empty() ? "AXFR" : why);
    else if (outcome != server::Outcome::Answered)
      util::log(LogLevel::Debug, "slave", zname_, "query from {}: {} {}",
                net::endpoint_text(req.peer), server::outcome_text(outcome), why);
    return;
  }
  dns::Message q;
  try {
    q = dns::parse_message(req.wire);
  } catch (const dns::WireError&) {
    return;  // too broken to answer
  }
  if (q.qr) return;
  if (q.opcode == dns::Opcode::NOTIFY) {
    NotifyPolicy policy;
    policy.zone = config_.publisher.zone;
    policy.masters = config_.masters;
    policy.key = config_.transfer.key;
    NotifyAnswer a =
        answer_notify(req.wire, q, req.peer.address(), req.tcp, policy, util::unix_now());
    if (a.verdict == NotifyVerdict::Accepted) {
      util::log(LogLevel::Info, "slave", zname_, "NOTIFY from {} ({}): polling now",
                net::endpoint_text(req.peer), a.detail);
      asio::post(io_, [this] { trigger_poll(); });  // the poll state belongs to io_'s thread
    } else {
      util::log(LogLevel::Warning, "slave", zname_, "NOTIFY from {} refused: {}: {}",
                net::endpoint_text(req.peer), notify_verdict_text(a.verdict), a.detail);
    }
    out.push_back(std::move(a.reply));
    return;
  }
  // Other opcodes were handed to the answer engine above.
}

}  // namespace flatsign::slave
