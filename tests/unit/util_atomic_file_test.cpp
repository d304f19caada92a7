// Atomic file writer: contents and mode on success; on an injected failure at each step the old
// file stays intact and no temporary file is left behind.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "common/util/atomic_file.hpp"
#include "tests/unit/temp_dir.hpp"

namespace fs = std::filesystem;
using flatsign::util::AtomicFileStep;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
// The permission bits of `p`, or -1 when it cannot be read.
int mode_of(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}
using TempDir = flatsign::testing::TempDir;

}  // namespace

TEST_CASE("atomic file: writes contents with the requested mode", "[util][atomic_file]") {
  TempDir dir("atomic");
  auto file = (dir.path / "k.private").string();
  flatsign::util::write_file_atomically(file, "secret\n", 0600);
  CHECK(slurp(file) == "secret\n");
  CHECK(mode_of(file) == 0600);
  flatsign::util::write_file_atomically(file, "", 0644);
  CHECK(slurp(file).empty());
  CHECK(mode_of(file) == 0644);
}

TEST_CASE("atomic file: a failure at any step keeps the old file", "[util][atomic_file]") {
  auto step = GENERATE(AtomicFileStep::Create, AtomicFileStep::Write, AtomicFileStep::Fsync,
                       AtomicFileStep::Rename);
  TempDir dir("atomic");
  auto file = (dir.path / "zone.signed").string();
  flatsign::util::write_file_atomically(file, "old", 0644);
  flatsign::util::set_atomic_file_fault(step);
  CHECK_THROWS_AS(flatsign::util::write_file_atomically(file, "new contents", 0644),
                  std::system_error);
  flatsign::util::set_atomic_file_fault(std::nullopt);
  CHECK(slurp(file) == "old");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("replace file (unsynced): contents and mode; a failure keeps the old file",
          "[util][atomic_file]") {
  TempDir dir("atomic");
  auto file = (dir.path / "zone.master-serial").string();
  flatsign::util::replace_file(file, "7 9\n", 0640);
  CHECK(slurp(file) == "7 9\n");
  CHECK(mode_of(file) == 0640);
  auto step = GENERATE(AtomicFileStep::Create, AtomicFileStep::Write, AtomicFileStep::Rename);
  flatsign::util::set_atomic_file_fault(step);
  CHECK_THROWS_AS(flatsign::util::replace_file(file, "8 10\n", 0640), std::system_error);
  flatsign::util::set_atomic_file_fault(std::nullopt);
  CHECK(slurp(file) == "7 9\n");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("atomic file: a directory fsync failure is reported after the rename",
          "[util][atomic_file]") {
  TempDir dir("atomic");
  auto file = (dir.path / "f").string();
  flatsign::util::set_atomic_file_fault(AtomicFileStep::DirFsync);
  CHECK_THROWS_AS(flatsign::util::write_file_atomically(file, "x", 0600), std::system_error);
  flatsign::util::set_atomic_file_fault(std::nullopt);
  CHECK(slurp(file) == "x");  // renamed; durability unknown, so the caller is told
}

TEST_CASE("atomic file: a missing directory names the path", "[util][atomic_file]") {
  try {
    flatsign::util::write_file_atomically("/nonexistent-dir/x", "x", 0600);
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).find("/nonexistent-dir/x") != std::string::npos);
  }
}

TEST_CASE("atomic file: contents written piece by piece join in order", "[util][atomic_file]") {
  TempDir dir("atomic");
  auto file = (dir.path / "zone.signed").string();
  std::string expected;
  flatsign::util::write_file_atomically(file, 0640, [&](const auto& write) {
    for (int i = 0; i < 1000; ++i) {
      std::string piece = "line " + std::to_string(i) + "\n";
      expected += piece;
      write(piece);
    }
    write("");  // an empty piece writes nothing
  });
  CHECK(slurp(file) == expected);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
}

TEST_CASE("atomic file: a producer or write failing midway keeps the old file",
          "[util][atomic_file]") {
  TempDir dir("atomic");
  auto file = (dir.path / "zone.signed").string();
  flatsign::util::write_file_atomically(file, "old", 0644);
  SECTION("the producer throws after some pieces") {
    CHECK_THROWS_AS(flatsign::util::write_file_atomically(file, 0644,
                                                          [](const auto& write) {
                                                            write("new ");
                                                            throw std::runtime_error("printer");
                                                          }),
                    std::runtime_error);
  }
  SECTION("a write fails; the producer swallows the error and writes again") {
    flatsign::util::set_atomic_file_fault(AtomicFileStep::Write);
    CHECK_THROWS_AS(flatsign::util::write_file_atomically(file, 0644,
                                                          [](const auto& write) {
                                                            try {
                                                              write("new");
                                                            } catch (const std::system_error&) {
                                                            }
                                                            write("more");
                                                          }),
                    std::system_error);
    flatsign::util::set_atomic_file_fault(std::nullopt);
  }
  SECTION("a producer that writes nothing still meets an injected write failure") {
    flatsign::util::set_atomic_file_fault(AtomicFileStep::Write);
    CHECK_THROWS_AS(flatsign::util::write_file_atomically(file, 0644, [](const auto&) {}),
                    std::system_error);
    flatsign::util::set_atomic_file_fault(std::nullopt);
  }
  CHECK(slurp(file) == "old");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("atomic file batch: nothing in place before commit, every file after",
          "[util][atomic_file]") {
  TempDir dir("atomic");
  auto a = (dir.path / "a.key").string(), b = (dir.path / "b.private").string();
  flatsign::util::write_file_atomically(a, "old", 0644);
  {
    flatsign::util::AtomicFileBatch batch;
    batch.add(a, "new a", 0644);
    batch.add(b, "new b", 0600);
    CHECK(batch.size() == 2);
    CHECK(slurp(a) == "old");
    CHECK_FALSE(fs::exists(b));
    batch.commit();
    CHECK(batch.size() == 0);
    batch.commit();  // nothing left: a no-op
  }
  CHECK(slurp(a) == "new a");
  CHECK(slurp(b) == "new b");
  struct stat st {};
  REQUIRE(::stat(b.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
  CHECK(files == 2);  // no temporary file left
}

TEST_CASE("atomic file batch: not committed or failing, the old files stay and no temporary",
          "[util][atomic_file]") {
  auto step = GENERATE(AtomicFileStep::Create, AtomicFileStep::Write, AtomicFileStep::Fsync,
                       AtomicFileStep::Rename, AtomicFileStep::DirFsync);
  TempDir dir("atomic");
  auto a = (dir.path / "a.key").string();
  flatsign::util::write_file_atomically(a, "old", 0644);
  {
    flatsign::util::AtomicFileBatch batch;
    const bool at_add = step == AtomicFileStep::Create || step == AtomicFileStep::Write;
    flatsign::util::set_atomic_file_fault(step);
    if (at_add) {
      CHECK_THROWS_AS(batch.add(a, "new", 0644), std::system_error);
    } else {
      batch.add(a, "new", 0644);
      CHECK_THROWS_AS(batch.commit(), std::system_error);
    }
    flatsign::util::set_atomic_file_fault(std::nullopt);
  }
  // A failed sync after the renames (DirFsync) leaves the new file in place, whole.
  CHECK(slurp(a) == (step == AtomicFileStep::DirFsync ? "new" : "old"));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("atomic file: temporary files of stopped writers are removed, live or recent ones kept",
          "[util][atomic_file]") {
  TempDir d("atomic");
  // A pid that ran here and has ended: a child reaped at once.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  ::waitpid(child, nullptr, 0);
  const std::string dead = std::to_string(child), live = "1";
  auto make = [&](const std::string& name, bool old) {
    const std::string path = (d.path / name).string();
    std::ofstream(path) << "partial";
    if (old) {
      struct utimbuf t {
        ::time(nullptr) - 3600, ::time(nullptr) - 3600
      };
      REQUIRE(::utime(path.c_str(), &t) == 0);
    }
  };
  make("Kexample.+013+12345.private.tmp." + dead + ".42", true);  // removed
  make("example.signed.tmp." + dead + ".7", false);               // too recent
  make("example.serial.tmp." + live + ".9", true);                // its writer runs
  make("notes.tmp.txt", true);                                    // not ours
  make("Kexample.+013+12345.key", true);
  const auto removed = flatsign::util::remove_abandoned_temp_files(d.path.string());
  REQUIRE(removed == std::vector<std::string>{"Kexample.+013+12345.private.tmp." + dead + ".42"});
  CHECK(fs::exists(d.path / ("example.signed.tmp." + dead + ".7")));
  CHECK(fs::exists(d.path / ("example.serial.tmp." + live + ".9")));
  CHECK(fs::exists(d.path / ("notes.tmp.txt")));
  CHECK(fs::exists(d.path / ("Kexample.+013+12345.key")));
  CHECK(flatsign::util::remove_abandoned_temp_files((d.path / "missing").string()).empty());
}
