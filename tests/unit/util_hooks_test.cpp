// The operator hooks: the document arrives on stdin, the facts in the environment, a
// failing or non-reading hook is reported by its status and never throws.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/util/hooks.hpp"
#include "common/util/json_text.hpp"

using flatsign::util::json_string;
using flatsign::util::run_hook_sync;

namespace {
std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("hooks: stdin and environment reach the command", "[hooks]") {
  const std::string out = std::filesystem::temp_directory_path() / "flatsign-hook-test.out";
  std::filesystem::remove(out);
  int rc = run_hook_sync("cat > " + out + "; echo \"$FLATSIGN_ZONE\" >> " + out, "{\"a\":1}\n",
                         {{"FLATSIGN_ZONE", "example."}}, "test", "example.");
  CHECK(rc == 0);
  CHECK(read_file(out) == "{\"a\":1}\nexample.\n");
  std::filesystem::remove(out);
}

TEST_CASE("hooks: failures are statuses, not exceptions", "[hooks]") {
  // As the daemon does (slave/main.cpp): a hook that exits without reading its stdin must not
  // kill the caller. Set first: "exit 3" may be gone before its "x" is written.
  std::signal(SIGPIPE, SIG_IGN);
  CHECK(run_hook_sync("exit 3", "x", {}, "test", "") == 3);
  CHECK(run_hook_sync("kill -9 $$", "x", {}, "test", "") == -1);
  // A hook that ignores a large stdin must not block the caller either.
  CHECK(run_hook_sync("true", std::string(1 << 20, 'x'), {}, "test", "") == 0);
  CHECK(run_hook_sync("", "x", {}, "test", "") == 0);
}

TEST_CASE("hooks: a produced stdin arrives piece by piece and stops when the hook stops reading",
          "[hooks]") {
  std::signal(SIGPIPE, SIG_IGN);
  const std::string out = std::filesystem::temp_directory_path() / "flatsign-hook-pieces.out";
  std::filesystem::remove(out);
  flatsign::util::HookInput pieces = [](const flatsign::util::HookWrite& write) {
    for (int i = 0; i < 3; ++i)
      if (!write("piece" + std::to_string(i) + "\n")) return;
  };
  CHECK(run_hook_sync("cat > " + out, pieces, {}, "test", "") == 0);
  CHECK(read_file(out) == "piece0\npiece1\npiece2\n");
  std::filesystem::remove(out);
  // A hook that exits at once: the writes start failing and the producer is told to stop
  // (1 GB would otherwise be produced).
  size_t produced = 0;
  bool told_to_stop = false;
  flatsign::util::HookInput endless = [&](const flatsign::util::HookWrite& write) {
    const std::string mb(1 << 20, 'x');
    for (int i = 0; i < 1024; ++i, ++produced)
      if (!write(mb)) {
        told_to_stop = true;
        return;
      }
  };
  CHECK(run_hook_sync("exit 0", endless, {}, "test", "") == 0);
  CHECK(told_to_stop);
  CHECK(produced < 1024);
}

TEST_CASE("hooks: JSON strings are escaped", "[hooks]") {
  CHECK(json_string("a\"b\\c\nd\x01") == "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST_CASE("hooks: a minimal environment, without the TSIG secret", "[hooks]") {
  using flatsign::util::hook_inherits;
  CHECK(hook_inherits("PATH=/usr/bin:/bin"));
  CHECK(hook_inherits("LANG=C.UTF-8"));
  CHECK(hook_inherits("FLATSIGN_MAIL_TO=ops@example.net"));
  CHECK(hook_inherits("FLATSIGN_SENDMAIL=/usr/bin/msmtp -C /etc/msmtprc"));
  CHECK_FALSE(hook_inherits("FLATSIGN_TSIG=xfr-key:hmac-sha256:c2VjcmV0"));
  CHECK_FALSE(hook_inherits("FLATSIGN_SMTP_SECRET=x"));
  CHECK_FALSE(hook_inherits("AWS_SECRET_ACCESS_KEY=x"));
  CHECK_FALSE(hook_inherits("LD_PRELOAD=/tmp/x.so"));
  CHECK_FALSE(hook_inherits("PATHX=1"));
}

TEST_CASE("hooks: a run with a deadline is killed with what it started", "[slave]") {
  using flatsign::util::HookOutcome;
  using flatsign::util::run_hook_timed;
  std::signal(SIGPIPE, SIG_IGN);
  auto input = [](const flatsign::util::HookWrite& write) { write("{}\n"); };
  const auto ok =
      run_hook_timed("cat > /dev/null", input, {}, "review", "example.", std::chrono::seconds(5));
  CHECK(ok.approved());
  const auto no =
      run_hook_timed("exit 3", input, {}, "review", "example.", std::chrono::seconds(5));
  CHECK(no.kind == HookOutcome::Kind::Exited);
  CHECK(no.code == 3);
  CHECK_FALSE(no.approved());
  // A child of the hook that keeps the group alive is killed too: the call returns at the
  // deadline, not after the sleep.
  const std::string marker =
      std::filesystem::temp_directory_path() / "flatsign-hook-timed-test.out";
  std::filesystem::remove(marker);
  const auto slow = run_hook_timed("sleep 30; touch " + marker, input, {}, "review", "example.",
                                   std::chrono::milliseconds(300));
  CHECK(slow.kind == HookOutcome::Kind::TimedOut);
  CHECK_FALSE(slow.approved());
  CHECK_FALSE(std::filesystem::exists(marker));
}
