// write_file_atomically: temp file in the same directory, write, fsync, rename, fsync directory.
#include "common/util/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <random>
#include <system_error>

namespace flatsign::util {
namespace {

std::atomic<int> g_fault{-1};

bool faulted(AtomicFileStep step) {
  if (g_fault.load(std::memory_order_relaxed) == static_cast<int>(step)) {
    errno = EIO;
    return true;
  }
  return false;
}

[[noreturn]] void throw_step(const std::string& path, const char* step, int err) {
  throw std::system_error(err, std::generic_category(),
                          "atomic write of " + path + ": " + step + " failed");
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string temp_name(const std::string& path) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // Read once: a system call per file is felt when thousands of new zones write their files
  // (the process writes no file after a fork, whose child execs at once).
  static const pid_t pid = ::getpid();
  return path + ".tmp." + std::to_string(pid) + "." + std::to_string(rng());
}

// syncfs(2) of the file system holding `path`'s directory.
void sync_fs_of(const std::string& path, AtomicFileStep step) {
  int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throw_step(path, "open directory", errno);
  if (faulted(step) || ::syncfs(dfd) != 0) {
    int err = errno;
    ::close(dfd);
    throw_step(path, "syncfs", err);
  }
  ::close(dfd);
}

// The temporary file beside `path` that becomes it: created (mode `mode`, whatever the umask),
// written, closed; abandon() closes and removes it and throws naming the step.
class TempFile {
 public:
  TempFile(const std::string& path, mode_t mode) : path_(path), tmp_(temp_name(path)) {
    fd_ = faulted(AtomicFileStep::Create)
              ? -1
              : ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd_ < 0) throw_step(path_, "create", errno);
    if (::fchmod(fd_, mode) != 0) abandon("chmod");
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::string& name() const { return tmp_; }

  // All of `data`; false with errno set on failure (the file left as it is).
  bool write_all(std::string_view data) const {
    while (!data.empty()) {
      ssize_t n = faulted(AtomicFileStep::Write) ? -1 : ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  [[noreturn]] void abandon(const char* step) {
    int err = errno;
    discard();
    throw_step(path_, step, err);
  }
  void discard() {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
  void close() {
    if (::close(fd_) != 0) {
      int err = errno;
      ::unlink(tmp_.c_str());
      throw_step(path_, "close", err);
    }
  }

 private:
  const std::string& path_;
  std::string tmp_;
  int fd_ = -1;
};

}  // namespace

std::vector<std::string> remove_abandoned_temp_files(const std::string& dir, time_t min_age) {
  std::vector<std::string> removed;
  std::error_code ec;
  const time_t now = ::time(nullptr);
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // <target>.tmp.<pid>.<random>, as temp_name() makes them.
    const size_t at = name.rfind(".tmp.");
    if (at == std::string::npos) continue;
    const std::string rest = name.substr(at + 5);
    const size_t dot = rest.find('.');
    if (dot == std::string::npos || dot == 0 ||
        rest.find_first_not_of("0123456789.") != std::string::npos)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dot)));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        now - st.st_mtime < min_age)
      continue;
    if (::unlink(it->path().c_str()) == 0) removed.push_back(name);
  }
  return removed;
}

void set_atomic_file_fault(std::optional<AtomicFileStep> step) {
  g_fault.store(step ? static_cast<int>(*step) : -1, std::memory_order_relaxed);
}

void write_file_atomically(const std::string& path, std::string_view data, mode_t mode) {
  write_file_atomically(path, mode, [data](const AtomicFileWrite& write) { write(data); });
}

void write_file_atomically(const std::string& path, mode_t mode,
                           const std::function<void(const AtomicFileWrite& write)>& produce) {
  TempFile file(path, mode);
  const std::string& tmp = file.name();
  // A failed write closes and removes the temporary file and throws out of `produce`; `failed`
  // keeps the catch below from doing it twice, and a `produce` that swallowed the exception
  // from going on with a closed descriptor.
  int failed = 0;
  auto write = [&](std::string_view data) {
    if (failed) throw_step(path, "write", failed);
    if (!file.write_all(data)) {
      failed = errno;
      file.abandon("write");
    }
  };
  try {
    produce(write);
  } catch (...) {
    if (!failed) file.discard();
    throw;
  }
  if (failed) throw_step(path, "write", failed);
  if (faulted(AtomicFileStep::Write)) file.abandon("write");  // nothing was written: fail here
  if (faulted(AtomicFileStep::Fsync) || ::fsync(file.fd()) != 0) file.abandon("fsync");
  file.close();
  if (faulted(AtomicFileStep::Rename) || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_step(path, "rename", err);
  }
  // The new name is in place; make the rename itself durable.
  int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throw_step(path, "open directory", errno);
  if (faulted(AtomicFileStep::DirFsync) || ::fsync(dfd) != 0) {
    int err = errno;
    ::close(dfd);
    throw_step(path, "directory fsync", err);
  }
  ::close(dfd);
}

void replace_file(const std::string& path, std::string_view data, mode_t mode) {
  TempFile file(path, mode);
  if (!file.write_all(data)) file.abandon("write");
  file.close();
  if (faulted(AtomicFileStep::Rename) || ::rename(file.name().c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(file.name().c_str());
    throw_step(path, "rename", err);
  }
}

}  // namespace flatsign::util

namespace flatsign::util {

AtomicFileBatch::~AtomicFileBatch() {
  for (const auto& [tmp, path] : pending_) ::unlink(tmp.c_str());
}

size_t AtomicFileBatch::size() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

void AtomicFileBatch::add(const std::string& path, std::string_view data, mode_t mode) {
  TempFile file(path, mode);
  if (!file.write_all(data)) file.abandon("write");
  file.close();
  std::string tmp = file.name();
  std::lock_guard lock(mutex_);
  pending_.emplace_back(std::move(tmp), path);
}

void AtomicFileBatch::commit() {
  std::lock_guard lock(mutex_);
  if (pending_.empty()) return;
  // Every temporary file durable before any rename: a renamed file is never half-written.
  sync_fs_of(pending_.front().second, AtomicFileStep::Fsync);
  size_t done = 0;
  for (const auto& [tmp, path] : pending_) {
    if (faulted(AtomicFileStep::Rename) || ::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      const std::string failed = path;  // pending_ is cleared below
      for (size_t i = done; i < pending_.size(); ++i) ::unlink(pending_[i].first.c_str());
      pending_.clear();
      throw_step(failed, "rename", err);
    }
    ++done;
  }
  const std::string first = pending_.front().second;
  pending_.clear();
  // The renames themselves durable.
  sync_fs_of(first, AtomicFileStep::DirFsync);
}

}  // namespace flatsign::util
