#include "common/util/hooks.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "common/util/log.hpp"

extern char** environ;

namespace flatsign::util {

bool hook_inherits(std::string_view entry) {
  const std::string_view name = entry.substr(0, entry.find('='));
  for (std::string_view keep : {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"})
    if (name == keep) return true;
  // The hook's own settings (FLATSIGN_MAIL_TO, FLATSIGN_SENDMAIL, ...), never a secret: an
  // environment variable is readable by every process of the user, and the TSIG key has no
  // business in an email hook.
  return name.starts_with("FLATSIGN_") && name != "FLATSIGN_TSIG" &&
         name.find("SECRET") == std::string_view::npos &&
         name.find("KEY") == std::string_view::npos;
}

namespace {

HookOutcome run_hook_impl(const std::string& cmd, const HookInput& input, const HookEnv& env,
                          const std::string& what, const std::string& zone,
                          std::optional<std::chrono::milliseconds> timeout) {
  if (cmd.empty()) return {HookOutcome::Kind::Exited, 0};
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    util::log(util::LogLevel::Error, "hook", zone, "{}: pipe: {}", what, std::strerror(errno));
    return {};
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e)
    if (hook_inherits(*e)) env_strings.emplace_back(*e);
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", command = cmd;
  char* argv[] = {sh.data(), dash_c.data(), command.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  // With a deadline, the hook and whatever it starts form a group of their own, killed whole.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (timeout) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(fds[0]);
  if (rc != 0) {
    close(fds[1]);
    util::log(util::LogLevel::Error, "hook", zone, "{}: cannot start: {}", what, std::strerror(rc));
    return {};
  }
  // The watchdog kills the group at the deadline; that also ends a write the hook never reads.
  std::mutex mu;
  std::condition_variable cv;
  bool ended = false, killed = false;
  std::thread watchdog;
  if (timeout) {
    watchdog = std::thread([&, deadline = std::chrono::steady_clock::now() + *timeout] {
      std::unique_lock lock(mu);
      if (!cv.wait_until(lock, deadline, [&] { return ended; })) {
        killed = true;
        kill(-pid, SIGKILL);
      }
    });
  }
  // A hook that does not read its stdin gets EPIPE here (SIGPIPE is ignored by the daemon).
  bool reading = true;
  input([&](std::string_view piece) {
    for (size_t off = 0; reading && off < piece.size();) {
      ssize_t n = write(fds[1], piece.data() + off, piece.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        reading = false;
      else
        off += static_cast<size_t>(n);
    }
    return reading;
  });
  close(fds[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (watchdog.joinable()) {
    {
      std::lock_guard lock(mu);
      ended = true;
    }
    cv.notify_all();
    watchdog.join();
    if (killed) {
      util::log(util::LogLevel::Warning, "hook", zone, "{} hook killed after {:.1f} s: {}", what,
                std::chrono::duration<double>(*timeout).count(), cmd);
      return {HookOutcome::Kind::TimedOut, -1};
    }
  }
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code != 0)
      log(LogLevel::Warning, "hook", zone, "{} hook exited {}: {}", what, code, cmd);
    else
      util::log(util::LogLevel::Debug, "hook", zone, "{} hook ran: {}", what, cmd);
    return {HookOutcome::Kind::Exited, code};
  }
  util::log(util::LogLevel::Warning, "hook", zone, "{} hook killed by signal {}: {}", what,
            WTERMSIG(status), cmd);
  return {};
}

}  // namespace

int run_hook_sync(const std::string& cmd, const std::string& input, const HookEnv& env,
                  const std::string& what, const std::string& zone) {
  return run_hook_sync(
      cmd, [&input](const HookWrite& write) { write(input); }, env, what, zone);
}

int run_hook_sync(const std::string& cmd, const HookInput& input, const HookEnv& env,
                  const std::string& what, const std::string& zone) {
  const HookOutcome r = run_hook_impl(cmd, input, env, what, zone, std::nullopt);
  return r.kind == HookOutcome::Kind::Exited ? r.code : -1;
}

HookOutcome run_hook_timed(const std::string& cmd, const HookInput& input, const HookEnv& env,
                           const std::string& what, const std::string& zone,
                           std::chrono::milliseconds timeout) {
  return run_hook_impl(cmd, input, env, what, zone, timeout);
}

void run_hook(const std::string& cmd, std::string input, HookEnv env, std::string what,
              std::string zone) {
  if (cmd.empty()) return;
  run_hook(
      cmd, [input = std::move(input)](const HookWrite& write) { write(input); }, std::move(env),
      std::move(what), std::move(zone));
}

void run_hook(const std::string& cmd, HookInput input, HookEnv env, std::string what,
              std::string zone, std::function<void()> done) {
  if (cmd.empty()) return;
  std::thread([cmd, input = std::move(input), env = std::move(env), what = std::move(what),
               zone = std::move(zone), done = std::move(done)]() mutable {
    (void)run_hook_sync(cmd, input, env, what, zone);
    input = nullptr;  // what it held (e.g. a zone) goes before `done` runs
    if (done) done();
  }).detach();
}

}  // namespace flatsign::util
