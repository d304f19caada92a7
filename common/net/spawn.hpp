// Starting coroutines the daemon way: every co_spawn gets a completion handler that logs an
// escaped exception (never `detached`, which would swallow it). Thread-safe as co_spawn is.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>

#include "common/util/log.hpp"

namespace flatsign::net {

// Runs `task` on `ex`; an exception that escapes it is logged as "<what>: <reason>" under
// `subsystem` and otherwise ignored, so one failing task never takes the daemon down.
template <typename Executor, typename Awaitable>
void spawn_logged(Executor ex, Awaitable task, std::string subsystem, std::string what) {
  boost::asio::co_spawn(
      ex, std::move(task),
      [subsystem = std::move(subsystem), what = std::move(what)](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          util::log(util::LogLevel::Error, subsystem, "", "{} failed: {}", what, ex.what());
        } catch (...) {
          util::log(util::LogLevel::Error, subsystem, "", "{} failed", what);
        }
      });
}

}  // namespace flatsign::net
