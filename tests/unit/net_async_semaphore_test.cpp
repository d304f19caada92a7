// AsyncSemaphore: at most N holders at once, waiters served in order, close() frees every
// waiter with an empty permit so shutdown never hangs on a wait.
#include <catch2/catch.hpp>

#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/net/async_semaphore.hpp"

namespace asio = boost::asio;
using flatsign::net::AsyncSemaphore;

TEST_CASE("async semaphore: a cap on holders, order kept, close frees the waiters", "[net]") {
  asio::io_context io;
  AsyncSemaphore sem(io.get_executor(), 2);
  int holding = 0, most = 0, done = 0, empty = 0;
  std::vector<int> order;
  auto task = [&](int i, bool hold_forever) -> asio::awaitable<void> {
    auto permit = co_await sem.acquire();
    if (sem.closed()) {
      ++empty;
      co_return;
    }
    order.push_back(i);
    most = std::max(most, ++holding);
    asio::steady_timer t(io, hold_forever ? std::chrono::hours(1) : std::chrono::milliseconds(5));
    if (!hold_forever) (void)co_await t.async_wait(asio::use_awaitable);
    --holding;
    ++done;
  };
  for (int i = 0; i < 6; ++i) asio::co_spawn(io, task(i, false), asio::detached);
  io.run();
  CHECK(most == 2);
  CHECK(done == 6);
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});

  // Two holders that never give back; three waiters; close() lets the waiters go.
  io.restart();
  AsyncSemaphore busy(io.get_executor(), 0);
  int freed = 0;
  auto waiter = [&]() -> asio::awaitable<void> {
    auto permit = co_await busy.acquire();
    ++freed;
  };
  for (int i = 0; i < 3; ++i) asio::co_spawn(io, waiter(), asio::detached);
  io.run_for(std::chrono::milliseconds(20));
  CHECK(freed == 0);
  CHECK(busy.waiting() == 3);
  busy.close();
  io.run_for(std::chrono::milliseconds(20));
  CHECK(freed == 3);
  CHECK(io.stopped());  // nothing left waiting
  (void)empty;
}
