// A counting semaphore for coroutines on one executor: caps how many of a kind of task (e.g.
// transfers over all zones) run at once, waiters resuming in arrival order.
// Thread rule: acquire(), release() and the Permit run on the executor's one thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace flatsign::net {

class AsyncSemaphore {
 public:
  // Gives a unit back when destroyed (moved-from: nothing).
  class Permit {
   public:
    Permit() = default;
    explicit Permit(AsyncSemaphore* s) : s_(s) {}
    Permit(Permit&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Permit& operator=(Permit&& o) noexcept {
      if (this != &o) {
        reset();
        s_ = std::exchange(o.s_, nullptr);
      }
      return *this;
    }
    ~Permit() { reset(); }
    // True while it holds a unit.
    explicit operator bool() const { return s_ != nullptr; }
    void reset() {
      if (s_) std::exchange(s_, nullptr)->release();
    }

   private:
    AsyncSemaphore* s_ = nullptr;
  };

  AsyncSemaphore(boost::asio::any_io_executor ex, size_t units)
      : ex_(std::move(ex)), free_(units) {}

  // Waits for a unit. After close(), returns at once with an empty permit (holding no unit).
  // REQUIRES: the semaphore outlives the permit.
  boost::asio::awaitable<Permit> acquire() {
    if (closed_) co_return Permit();
    if (free_ > 0 && waiters_.empty()) {
      --free_;
      co_return Permit(this);
    }
    auto timer = std::make_shared<boost::asio::steady_timer>(
        ex_, boost::asio::steady_timer::time_point::max());
    waiters_.push_back([timer] { timer->cancel(); });
    // release() hands the unit over by cancelling this timer: the wait ends either way.
    (void)co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return closed_ ? Permit() : Permit(this);
  }
  // The same for a callback: `then` runs with the permit on the executor (never inside this
  // call), in turn with acquire()'s waiters. A waiting callback costs no coroutine frame: for
  // thousands of waiters at once (a start with thousands of zones).
  void acquire_then(std::function<void(Permit)> then) {
    if (closed_ || (free_ > 0 && waiters_.empty())) {
      if (!closed_) --free_;
      boost::asio::post(ex_, [this, then = std::move(then), unit = !closed_]() mutable {
        then(unit ? Permit(this) : Permit());
      });
      return;
    }
    waiters_.push_back([this, then = std::move(then)]() mutable {
      boost::asio::post(ex_, [this, then = std::move(then), unit = !closed_]() mutable {
        then(unit ? Permit(this) : Permit());
      });
    });
  }
  // Shutting down: every waiter resumes now with an empty permit, so none keeps the executor
  // busy forever.
  void close() {
    closed_ = true;
    for (auto& w : std::exchange(waiters_, {})) w();
  }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] size_t waiting() const { return waiters_.size(); }
  [[nodiscard]] size_t available() const { return free_; }

 private:
  void release() {
    if (waiters_.empty()) {
      ++free_;
      return;
    }
    auto next = std::move(waiters_.front());
    waiters_.pop_front();
    next();
  }

  boost::asio::any_io_executor ex_;
  size_t free_;
  bool closed_ = false;
  // Each hands the unit to its waiter (or, once closed, wakes it without one).
  std::deque<std::function<void()>> waiters_;
};

}  // namespace flatsign::net
