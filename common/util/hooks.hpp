// Operator hooks of both daemons (on-change, on-alert): runs `/bin/sh -c CMD` with a document on
// stdin and facts in environment variables, on its own thread, so a slow or failing hook never
// blocks publishing. Thread-safe; each call is independent.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flatsign::util {

using HookEnv = std::vector<std::pair<std::string, std::string>>;
// Writes one piece of a hook's stdin; false once the hook stopped reading (stop producing).
using HookWrite = std::function<bool(std::string_view)>;
// Produces a hook's stdin piece by piece, on the hook's thread: a large document (every record
// of a zone's first publication) need not exist whole in memory.
using HookInput = std::function<void(const HookWrite&)>;

// Whether a hook gets `entry` ("NAME=value") of the daemon's environment: a minimal set (PATH,
// HOME, LANG, LC_ALL, LC_CTYPE, TZ, TMPDIR) and the FLATSIGN_* settings, except FLATSIGN_TSIG and
// names holding SECRET or KEY. The event's own FLATSIGN_* variables are added to them.
[[nodiscard]] bool hook_inherits(std::string_view entry);

// Starts `cmd` (nothing when empty) with `input` on its stdin and `env` added to the
// environment. Returns at once; a failure to start, a non-zero exit or a signal is logged
// under `what` ("on-change", "on-alert") and otherwise ignored.
void run_hook(const std::string& cmd, std::string input, HookEnv env, std::string what,
              std::string zone);
// Same, with stdin produced on the hook's thread (whatever `input` reads must outlive it).
// `done`, when set, is called on that thread once the hook ended and `input` was destroyed.
void run_hook(const std::string& cmd, HookInput input, HookEnv env, std::string what,
              std::string zone, std::function<void()> done = {});

// Same, but waits for the hook to finish (tests, shutdown). Returns its exit status, -1 when it
// could not start or died from a signal.
int run_hook_sync(const std::string& cmd, const std::string& input, const HookEnv& env,
                  const std::string& what, const std::string& zone);
int run_hook_sync(const std::string& cmd, const HookInput& input, const HookEnv& env,
                  const std::string& what, const std::string& zone);

// How a hook run with a deadline ended.
struct HookOutcome {
  enum class Kind { Exited, TimedOut, Failed } kind = Kind::Failed;
  int code = -1;  // the exit status (Exited)
  [[nodiscard]] bool approved() const { return kind == Kind::Exited && code == 0; }
};
// Same as run_hook_sync, but the hook runs in a process group of its own, which is killed
// (SIGKILL) when it has not ended after `timeout`: TimedOut. Failed: it could not start or died
// from a signal. Blocks the calling thread until then.
HookOutcome run_hook_timed(const std::string& cmd, const HookInput& input, const HookEnv& env,
                           const std::string& what, const std::string& zone,
                           std::chrono::milliseconds timeout);

}  // namespace flatsign::util
