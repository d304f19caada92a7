// Crash-safe file replacement: write a temporary file in the same directory, fsync it, rename it
// over the target and fsync the directory, so readers see the old or the new file, never a mix.
// Thread-safe (no shared state except the test-only fault hook, which is atomic).
#pragma once

#include <sys/types.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flatsign::util {

// Replaces `path` with `data`, created with permission bits `mode` (not subject to a umask that
// would widen them; the file is created with `mode` and fchmod'ed to it). On failure nothing at
// `path` changes, the temporary file is removed, and std::system_error is thrown naming `path`
// and the step that failed. REQUIRES: the directory of `path` exists.
void write_file_atomically(const std::string& path, std::string_view data, mode_t mode);

// The same for contents made piece by piece: `produce` is called once and passes each piece, in
// order, to the writer it is given, which writes it to the temporary file at once. The contents
// are never held whole in memory (a signed zone's text is ~90 MB at 100k names). An exception
// from `produce` (or a failed write inside it) leaves `path` as it was, removes the temporary
// file and propagates.
using AtomicFileWrite = std::function<void(std::string_view piece)>;
void write_file_atomically(const std::string& path, mode_t mode,
                           const std::function<void(const AtomicFileWrite& write)>& produce);

// The same without the two fsyncs: readers see the old or the new file, but after a crash of
// the machine (not of the process) the file may be the old one, or empty. For files whose
// readers check them against durable state and can do without them.
void replace_file(const std::string& path, std::string_view data, mode_t mode);

// Many files replaced together with two file-system syncs in all, not two fsyncs each (a slave
// creating the keys of thousands of zones at its first start: ~6 ms per fsync here). add() writes
// each file's temporary copy; commit() makes them all durable (syncfs), renames each over its
// target in the order added, and syncs again. A crash at any point leaves each target as it was
// or whole and durable: never a half-written file. REQUIRES: every file on one file system (the
// one syncfs flushes). Thread-safe.
class AtomicFileBatch {
 public:
  AtomicFileBatch() = default;
  AtomicFileBatch(const AtomicFileBatch&) = delete;
  AtomicFileBatch& operator=(const AtomicFileBatch&) = delete;
  // Removes the temporary files of a batch that was not committed.
  ~AtomicFileBatch();

  // Writes `data` to a temporary file beside `path`, created with permission bits `mode`.
  // Throws std::system_error as write_file_atomically(); `path` is untouched until commit().
  void add(const std::string& path, std::string_view data, mode_t mode);
  // Syncs, renames every file added, syncs again. Throws std::system_error naming the file or
  // the step that failed (files renamed before it stay). Does nothing when none was added.
  void commit();
  [[nodiscard]] size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> pending_;  // (temporary, target)
};

// The temporary files that processes killed while writing left in `dir` (`<name>.tmp.<pid>.<n>`,
// the pid no longer running here and the file untouched for `min_age` seconds: a live writer on
// another host sharing the directory keeps its file), removed; returns their names. Errors
// reading the directory or removing a file are not thrown: a leftover is only untidy.
std::vector<std::string> remove_abandoned_temp_files(const std::string& dir, time_t min_age = 600);

// Test hook: the step at which the next write_file_atomically() calls fail with EIO, or nullopt.
enum class AtomicFileStep { Create, Write, Fsync, Rename, DirFsync };
void set_atomic_file_fault(std::optional<AtomicFileStep> step);

}  // namespace flatsign::util
