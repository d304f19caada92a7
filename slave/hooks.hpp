// Operator hooks (--on-change, --on-alert): runs `/bin/sh -c CMD` with a document on stdin and
// facts in environment variables, on its own thread, so a slow or failing hook never blocks
// publishing. Thread-safe; each call is independent.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace flatsign::slave {

using HookEnv = std::vector<std::pair<std::string, std::string>>;

// Starts `cmd` (nothing when empty) with `input` on its stdin and `env` added to the
// environment. Returns at once; a failure to start, a non-zero exit or a signal is logged
// under `what` ("on-change", "on-alert") and otherwise ignored.
void run_hook(const std::string& cmd, std::string input, HookEnv env, std::string what,
              std::string zone);

// Same, but waits for the hook to finish (tests, shutdown). Returns its exit status, -1 when it
// could not start or died from a signal.
int run_hook_sync(const std::string& cmd, const std::string& input, const HookEnv& env,
                  const std::string& what, const std::string& zone);

}  // namespace flatsign::slave
