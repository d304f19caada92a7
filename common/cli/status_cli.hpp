// The operator's side of a daemon's HTTP status endpoint, shared by both daemons: the `status`
// subcommand that fetches GET /status or /metrics and prints it. Kept out of the core libraries
// (its own library, flatsign_cli): only the daemons' main() use it.
// Thread rule: call from main() only (prints to stdout/stderr).
#pragma once

#include <string>
#include <string_view>

namespace flatsign::cli {

struct StatusCommand {
  std::string_view program;   // "flatsign-master": in the help text and error lines
  std::string default_http;   // the --http default, "127.0.0.1:9153"
  bool text_default = false;  // print /status as an indented outline unless --json
};

// Runs `<program> status [--http ADDR] [--metrics] [--json|--text] [--timeout MS]` with argv
// starting at "status". Returns the exit status: 0 printed, 1 the daemon did not answer (the
// reason on stderr), 2 bad arguments.
[[nodiscard]] int run_status_command(const StatusCommand& spec, int argc, char** argv);

}  // namespace flatsign::cli
