// One zone on the slave: polls its masters by AXFR on a jittered interval and at once on NOTIFY,
// checks each transfer and hands it to its Publisher (sign, verify, write, swap), refreshes
// signatures on a timer of their own (a transfer held open by its master never delays them),
// notifies secondaries, and keeps the snapshot the server answers from.
// Thread rule: created, started and stopped on the daemon's io_context thread; its publication
// and signature jobs run one at a time on a strand (over the small-zone pool; a big zone's job
// holds the strand while the job pool runs it); serving() and the NOTIFY answer are thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/dns/message.hpp"
#include "common/net/async_semaphore.hpp"
#include "common/net/listener.hpp"
#include "common/server/snapshot_directory.hpp"
#include "slave/config.hpp"
#include "slave/ixfr_reader.hpp"
#include "slave/key_roll.hpp"
#include "slave/notify_answer.hpp"
#include "slave/publisher.hpp"
#include "slave/signature_margin.hpp"
#include "slave/slave_metrics.hpp"
#include "slave/slave_status.hpp"
#include "slave/state.hpp"
#include "slave/transfer_check.hpp"

namespace flatsign::slave {

// What every zone of one daemon shares. REQUIRES: outlives every pipeline using it.
struct PipelineShared {
  boost::asio::thread_pool& jobs;  // publication jobs (check, sign, verify, write)
  // The same for small zones (a transfer of one message, a served zone of fewer than
  // kSmallZoneRRsets): their jobs are a few ms of CPU and two fsyncs, so more of them run at
  // once and none waits behind a big zone's minutes-long sign.
  boost::asio::thread_pool& small_jobs;
  net::AsyncSemaphore& transfers;  // transfers in at once, over all zones
  // Zones in their first upkeep round at once (ZonePipeline::start): width kUpkeepStarts.
  net::AsyncSemaphore& upkeep_starts;
  // The files at the state root when the daemon started (list_state_root): where a zone's
  // files of the one-folder layout are looked for.
  std::shared_ptr<const std::vector<std::string>> state_root_files;
};

// The first upkeep rounds of thousands of zones started at once would each hold coroutine frames
// while they wait for the job threads; what the steps keep then lies scattered among those
// frames once they are freed (measured: ~3.5 KB a zone of heap held after a warm restart of
// 1,000 zones). They are work for the job threads, which run a few at once anyway: this many
// zones start theirs at once, the others when one has ended.
inline constexpr size_t kUpkeepStarts = 8;

// Zones below this many RRsets publish on PipelineShared::small_jobs.
inline constexpr size_t kSmallZoneRRsets = 2'000;

// Gives the free memory of every malloc arena back to the kernel (after a big zone's transfer or
// publication, which free about as much as they keep). Thread-safe; `zname` is for the log.
void release_free_memory(const std::string& zname);

// A zone's name, state folder and settings, shared by the daemon's list of wanted zones and the
// zone's pipeline; the settings themselves by every zone with the same (config.hpp).
using ZoneConfigPtr = ZoneEntryPtr;

class ZonePipeline : public std::enable_shared_from_this<ZonePipeline> {
 public:
  // REQUIRES: config != nullptr; `shared` outlives the pipeline.
  ZonePipeline(boost::asio::io_context& io, ZoneConfigPtr config, const PipelineShared& shared);

  // Prepares the zone's state folder and loads its keys and last signed zone (served at once).
  // Throws StateError. Any thread, before start(). A new zone's keys go into `new_keys` when
  // given: the caller commits it before start().
  void start_up(util::AtomicFileBatch* new_keys = nullptr);
  // Starts polling (the first poll at once). On the io thread.
  void start();
  // Stops polling after the poll in progress; `stopped` runs on the io thread once the poll
  // loop has ended (nothing of this zone runs any more). The served snapshot stays readable.
  void stop(std::function<void()> stopped = {});

  // Called on the io thread after each publication (from a transfer or a signature refresh).
  // Set before start().
  void set_on_published(std::function<void()> f) { on_published_ = std::move(f); }
  // Polls now (as on NOTIFY). On the io thread.
  void trigger_poll();
  // Re-reads the zone's key files now (SIGHUP). On the io thread.
  void check_keys();
  // Polls now with the shrink guard off for that one transfer (an operator's SIGUSR1 after a
  // real mass deletion was refused as refused-shrink). On the io thread.
  void force_poll();

  // Answers a NOTIFY for this zone (any thread): a poll is started on the io thread when it is
  // accepted. REQUIRES: q.opcode == NOTIFY.
  void answer_notify(const net::Request& req, const dns::Message& q, net::Responses& out);

  // The zone as served, for the daemon's ZoneTable: wrapped at each publication.
  [[nodiscard]] std::shared_ptr<const server::SnapshotDirectory> serving() const {
    return serving_;
  }
  [[nodiscard]] const dns::Name& name() const { return config_ptr_->zone; }
  // Its settings, shared with other zones: publisher.zone and publisher.state_dir are blank.
  [[nodiscard]] const ZoneConfig& config() const { return config_; }
  [[nodiscard]] const ZoneConfigPtr& entry() const { return config_ptr_; }
  [[nodiscard]] const SlaveMetrics& metrics() const { return metrics_; }
  [[nodiscard]] std::shared_ptr<const zone::Zone> served() const {
    return publisher_.served_signed();
  }
  // The zone's /status object (slave_status.cpp). On the io thread.
  [[nodiscard]] std::string status_json() const;
  // The last refusal's reason and the last poll's result, for the daemon's totals.
  [[nodiscard]] const SlaveStatus& status() const { return status_; }

 private:
  // The loops hold `self`: a zone removed by a reload lives until they end. Each call is one
  // round: it ends by setting its timer, whose wait spawns the next round (or ends the loop once
  // stopping).
  // `turn`: a transfer permit the round's poll starts with (it then asks no serial first).
  boost::asio::awaitable<void> poll_loop(std::shared_ptr<ZonePipeline> self,
                                         net::AsyncSemaphore::Permit turn);
  void spawn_poll_round(net::AsyncSemaphore::Permit turn = {});
  // `turn`: the first round's place among PipelineShared::upkeep_starts, held until it ends.
  void spawn_upkeep_round(net::AsyncSemaphore::Permit turn = {});
  boost::asio::awaitable<void> poll_once(net::AsyncSemaphore::Permit turn);
  // The rest of a poll once the serial was asked (`unchanged`) and, for a transfer, its
  // `permit` came; `failure`: what the serial check threw.
  boost::asio::awaitable<void> poll_work(std::chrono::system_clock::time_point at, bool unchanged,
                                         std::string failure, net::AsyncSemaphore::Permit permit);
  // The key steps and the signature refresh, on one timer: whichever is due runs, then the loop
  // sleeps until the earlier of the two comes due again.
  boost::asio::awaitable<void> upkeep_loop(std::shared_ptr<ZonePipeline> self,
                                           net::AsyncSemaphore::Permit turn);
  // Signature upkeep: refreshes what expires within the refresh window. Returns when to look
  // again: when the next signature comes due (at most an hour), or a minute after a failure.
  boost::asio::awaitable<std::chrono::steady_clock::duration> refresh_step();
  // Key lifecycle (key_roll.hpp KeyUpkeep): steps at each key event of the zone's timing, and
  // every key_check_interval to see changed key files; re-signs when the key set changes.
  // Returns when to step again.
  boost::asio::awaitable<std::chrono::steady_clock::duration> key_step();
  // A loop ended: once both have, the zone is stopped.
  void loop_ended();
  // PollMode::Soa: true when a master answered with the serial of the last complete transfer.
  boost::asio::awaitable<bool> serial_unchanged();
  // True when the next poll transfers without asking the serial first.
  [[nodiscard]] bool transfers_at_once() const;
  // What the job did for one poll, applied to metrics and /status on the io thread.
  struct PollWork {
    PollResult result = PollResult::Unchanged;
    std::string detail;
    std::optional<uint32_t> master_serial;  // of a complete transfer
    PublishReport handled;                  // the transfer's publication or refusal
    PublishReport refreshed;                // the change hook's batch after it
    // The master's serial of the served content after the job (IXFR asks from it).
    std::optional<uint32_t> applied_serial;
    bool ixfr_refused = false;  // an IXFR was refused: the next transfer is an AXFR
  };
  // On the job strand after a poll: the batched change hook, the serving form, memory.
  void after_poll(PollWork& w);
  // The steps of a poll that transfers (poll_once): the IXFR to ask, if any; a poll that
  // reached no master; one that received a transfer (checked, reviewed, published on the job
  // strand).
  struct TransferPoll;
  std::optional<IxfrRequest> next_ixfr_request();
  boost::asio::awaitable<PollWork> poll_unreachable(const TransferPoll& t);
  boost::asio::awaitable<PollWork> poll_received(TransferPoll& t);
  // On the job strand: checks the transfer and publishes it, or holds it for the review hook.
  PollWork check_job(TransferPoll& t);
  void refuse_incomplete(PollWork& w, const TransferPoll& t);
  CheckResult check_received(PollWork& w, TransferPoll& t,
                             const std::shared_ptr<const zone::Zone>& served);
  // An accepted change: alerts on a master serial gone back, checks the signature margin.
  void note_accepted(const CheckResult& result, const TransferPoll& t);
  void publish_checked(PollWork& w, CheckResult result, const std::string& master);
  PollWork finish_job(PollWork& w);
  // On the io thread: metrics and /status for a publication or refusal `r`; true when it
  // published.
  bool apply_report(const PublishReport& r, bool from_transfer, const std::string& master,
                    std::optional<std::chrono::steady_clock::time_point> received);
  // Builds the serving form (denial and name indexes) of a new publication. Called on the job
  // pool after each job, so the first query after a publication does not pay for it.
  void wrap_publication();
  // <zone>.master-serial (state.hpp): read at start-up; written by the job when the master's
  // serial of the served content, or the serial it is served under, changed.
  void load_applied_serial_state();
  void store_applied_serial_state(std::optional<uint32_t> applied);
  void finish_poll(PollRecord rec, PollWork work,
                   std::optional<std::chrono::steady_clock::time_point> received);
  void note_expiry(uint32_t earliest);
  // The zone's figures `f` against the signature timing (signature_margin.hpp), when they
  // changed: with the operator's timing an unsafe zone throws ConfigError `starting`, else
  // alerts signature-margin (and is published); without, the publisher gets derived timing.
  // On the job strand, or before start().
  void check_signature_margin(const ZoneFigures& f, bool starting, const std::string& master);
  // How long to wait before the next poll after the last one's result.
  [[nodiscard]] std::chrono::milliseconds next_poll_delay() const;
  void notify_secondaries();
  // The pool for this zone's next job: small_jobs while the zone is small (a transfer of at
  // most one message, `transfer_messages` 0 for a job without one).
  [[nodiscard]] boost::asio::thread_pool& job_pool(size_t transfer_messages) const;

  boost::asio::io_context& io_;
  ZoneConfigPtr config_ptr_;
  const ZoneConfig& config_;  // *config_ptr_->config
  const PipelineShared& shared_;
  SlaveMetrics metrics_;
  Publisher publisher_;
  const std::string& zname_;  // publisher_.zname()
  // The zone's jobs (check and publish a transfer, refresh signatures) one at a time: the
  // Publisher is not thread-safe, and a refresh must not race a publication.
  boost::asio::strand<boost::asio::thread_pool::executor_type> jobs_;
  std::shared_ptr<server::SnapshotDirectory> serving_;
  std::mutex refresh_mutex_;           // one thread wraps a new publication
  RefusalLogLimiter notify_refusals_;  // refused NOTIFYs: one log line per interval
  // Timers bound to the io_context's own executor type: 72 octets instead of 120 with the
  // polymorphic executor, and every zone has two.
  using Timer =
      boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                        boost::asio::wait_traits<std::chrono::steady_clock>,
                                        boost::asio::io_context::executor_type>;
  Timer wake_;
  // notify_min_interval between polls; made at the first poll that must wait (a NOTIFY soon
  // after a poll), as most zones never do.
  std::unique_ptr<Timer> hold_;
  Timer upkeep_wake_;  // the key steps' and the refresh's
  // When the upkeep loop's key step and signature refresh are due next (io thread).
  std::chrono::steady_clock::time_point upkeep_keys_at_, upkeep_refresh_at_;
  KeyUpkeep key_upkeep_;      // job strand
  bool key_reread_ = false;   // io thread: the next key step re-reads the files
  bool refresh_now_ = false;  // io thread: a publication; the refresh looks at its signatures
  std::time_t parent_ds_at_ = kNever;  // when the parent's DS is to be asked (parent_ds_gate.hpp)
  unsigned loops_ = 0;                 // poll and upkeep loops running
  std::optional<std::chrono::steady_clock::time_point> last_poll_start_;
  unsigned failed_polls_ = 0;  // in a row (refused or failed), for the retry backoff
  bool poll_pending_ = false;
  bool force_next_ = false;
  bool stopping_ = false;
  std::function<void()> on_stopped_;
  std::function<void()> on_published_;
  unsigned unreachable_polls_ = 0;
  std::optional<uint32_t> master_serial_;  // of the last complete transfer (PollMode::Soa)
  // The master's serial the served content was made from: IXFR asks from it. Unset before the
  // first transfer, or after a restart that could not tell (then AXFR).
  std::optional<uint32_t> applied_serial_;
  std::optional<AppliedSerial> stored_applied_;  // as in the file; job thread
  bool axfr_next_ = false;                       // the last IXFR was refused
  // Non-empty: the served zone must be re-signed at the next poll (keys or denial changed).
  std::string resign_reason_;
  SlaveStatus status_;                  // what /status reports; io thread only
  std::optional<ZoneFigures> figures_;  // of the last zone checked; job strand
};

}  // namespace flatsign::slave
