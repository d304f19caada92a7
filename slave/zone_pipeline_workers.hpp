// Internal to ZonePipeline (zone_pipeline.cpp and zone_pipeline_upkeep.cpp): running a zone's
// jobs on its strand or a job pool from its coroutines.
#pragma once

#include <cstddef>
#include <future>
#include <type_traits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace flatsign::slave::pipeline {
namespace asio = boost::asio;

// Runs `f` on `ex` (the zone's strand) and resumes the caller on its own executor with f's
// result (an exception from f is rethrown there).
template <typename Executor, typename F>
asio::awaitable<std::invoke_result_t<F&>> on_worker(Executor ex, F f) {
  co_return co_await asio::co_spawn(
      ex, [&f]() -> asio::awaitable<std::invoke_result_t<F&>> { co_return f(); },
      asio::use_awaitable);
}

// The same with `f` run by a thread of `pool`. The zone's strand lives on the small-zone pool;
// a job for the other pool holds the strand while it runs there, so the zone's jobs stay one at
// a time (a refresh never races a publication) and the big pool's cap still counts it.
template <typename Strand, typename F>
asio::awaitable<std::invoke_result_t<F&>> on_worker(Strand strand, asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F&>;
  if (&asio::query(strand.get_inner_executor(), asio::execution::context) == &pool)
    co_return co_await on_worker(strand, std::move(f));
  co_return co_await on_worker(strand, [&pool, &f]() -> R {
    std::packaged_task<R()> task([&f] { return f(); });
    auto result = task.get_future();
    asio::post(pool, [&task] { task(); });
    return result.get();
  });
}

// Zones this large free megabytes per job; smaller ones are not worth a heap walk each.
constexpr size_t kTrimAfterRRsets = 20'000;

}  // namespace flatsign::slave::pipeline
