// One-line event logging for the daemons: level, subsystem, zone, what happened, figures, in
// NSD's order, formatted with fmt and written to stderr. Thread-safe (one write(2) per line).
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace flatsign::util {

enum class LogLevel : int { Debug = 0, Info = 1, Warning = 2, Error = 3 };

// Lines below `level` are dropped. Default Info. Thread-safe.
void set_log_level(LogLevel level);
[[nodiscard]] LogLevel log_level();
// "debug", "info", "warning", "error"; false when `text` is none of them.
[[nodiscard]] bool parse_log_level(std::string_view text, LogLevel& out);

// Writes "<ISO time> <level> <subsystem> [<zone>] <text>\n" as one write. `zone` may be empty.
void log_line(LogLevel level, std::string_view subsystem, std::string_view zone,
              std::string_view text);

template <typename... Args>
void log(LogLevel level, std::string_view subsystem, std::string_view zone,
         fmt::format_string<Args...> format, Args&&... args) {
  if (level < log_level()) return;
  log_line(level, subsystem, zone, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace flatsign::util
