#include "common/util/hooks.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

int run_hook_sync(const std::string& cmd, const std::string& input, const HookEnv& env,
                  const std::string& what, const std::string& zone) {
  return run_hook_sync(
      cmd, [&input](const HookWrite& write) { write(input); }, env, what, zone);
}

int run_hook_sync(const std::string& cmd, const HookInput& input, const HookEnv& env,
                  const std::string& what, const std::string& zone) {
  if (cmd.empty()) return 0;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    log(LogLevel::Error, "hook", zone, "{}: pipe: {}", what, std::strerror(errno));
    return -1;
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
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[0]);
  if (rc != 0) {
    close(fds[1]);
    log(LogLevel::Error, "hook", zone, "{}: cannot start: {}", what, std::strerror(rc));
    return -1;
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
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code != 0)
      log(LogLevel::Warning, "hook", zone, "{} hook exited {}: {}", what, code, cmd);
    else
      log(LogLevel::Debug, "hook", zone, "{} hook ran: {}", what, cmd);
    return code;
  }
  log(LogLevel::Warning, "hook", zone, "{} hook killed by signal {}: {}", what, WTERMSIG(status),
      cmd);
  return -1;
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
