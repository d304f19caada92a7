// run_ordered: an atomic chunk counter for the workers, and a mutex-guarded bitmap of finished
// chunks (one lock per chunk of ~100 signatures, so the lock is never hot) for the consumer.
#include "common/dnssec/ordered_pool.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace flatsign::dnssec::detail {

void run_ordered(size_t n, size_t chunk, unsigned threads,
                 const std::function<ChunkWork()>& make_work,
                 const std::function<void(size_t ready)>& consume) {
  chunk = std::max<size_t>(chunk, 1);
  const size_t chunks = (n + chunk - 1) / chunk;
  if (threads <= 1 || chunks <= 1) {
    // One worker would only hand its results to the waiting caller: do the work here. A small
    // zone's sign then starts no thread (thousands of zones publish at start-up).
    ChunkWork work = make_work();
    for (size_t c = 0; c < chunks; ++c) {
      work(c * chunk, std::min(n, (c + 1) * chunk));
      consume(std::min(n, (c + 1) * chunk));
    }
    if (chunks == 0) consume(0);
    return;
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<bool> finished(chunks, false);
  bool stop = false;  // under mu
  std::exception_ptr error;
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard lock(mu);
    if (!error) error = std::move(e);
    stop = true;
    cv.notify_all();
  };
  auto worker = [&] {
    try {
      ChunkWork work = make_work();
      for (size_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
        {
          std::lock_guard lock(mu);
          if (stop) return;
        }
        work(c * chunk, std::min(n, (c + 1) * chunk));
        std::lock_guard lock(mu);
        finished[c] = true;
        cv.notify_all();
      }
    } catch (...) {
      fail(std::current_exception());
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(std::max(1u, threads));
  for (unsigned t = 0; t < std::max(1u, threads); ++t) pool.emplace_back(worker);
  try {
    for (size_t ready_chunks = 0; ready_chunks < chunks;) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || finished[ready_chunks]; });
        if (stop) break;
        while (ready_chunks < chunks && finished[ready_chunks]) ++ready_chunks;
      }
      consume(std::min(n, ready_chunks * chunk));
    }
    if (chunks == 0) consume(0);
  } catch (...) {
    fail(std::current_exception());
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace flatsign::dnssec::detail
