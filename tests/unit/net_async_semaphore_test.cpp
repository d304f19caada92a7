// AsyncSemaphore: at most N holders at once, waiters served in order, close() frees every
// waiter with an empty permit so shutdown never hangs on a wait.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

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

TEST_CASE("async semaphore: acquire_then waits in turn with acquire(), never runs inline",
          "[net]") {
  asio::io_context io;
  AsyncSemaphore sem(io.get_executor(), 1);
  std::vector<std::string> order;
  std::vector<AsyncSemaphore::Permit> held;
  // Runs what is ready (io_context stops when it runs out of work: restart it each time).
  const auto poll = [&] {
    io.restart();
    io.poll();
  };
  // A free unit: the callback still runs on the executor, not inside the call.
  sem.acquire_then([&](AsyncSemaphore::Permit p) {
    CHECK(static_cast<bool>(p));
    order.emplace_back("cb0");
    held.push_back(std::move(p));
  });
  CHECK(order.empty());
  CHECK(sem.available() == 0);
  // Waiters of both kinds, served in arrival order as units come back.
  auto task = [&](std::string name) -> asio::awaitable<void> {
    auto permit = co_await sem.acquire();
    order.push_back(name);
  };
  poll();
  asio::co_spawn(io, task("co1"), asio::detached);
  poll();
  sem.acquire_then([&](AsyncSemaphore::Permit p) {
    CHECK(static_cast<bool>(p));
    order.emplace_back("cb2");
  });
  CHECK(sem.waiting() == 2);
  held.clear();  // cb0's unit goes to co1, then (co1 done) to cb2
  poll();
  CHECK(order == std::vector<std::string>{"cb0", "co1", "cb2"});
  CHECK(sem.available() == 1);

  // close(): a waiting callback runs with an empty permit, as does one asked for after it.
  AsyncSemaphore none(io.get_executor(), 0);
  int empty = 0;
  none.acquire_then([&](AsyncSemaphore::Permit p) { empty += !p; });
  poll();
  CHECK(empty == 0);
  none.close();
  none.acquire_then([&](AsyncSemaphore::Permit p) { empty += !p; });
  poll();
  CHECK(empty == 2);
}
