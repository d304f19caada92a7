// Runs a fuzz target without libFuzzer (FLATSIGN_FUZZ_ENGINE=replay): every input file given
// (directories are read whole), then --runs inputs made by mutating them with a seeded
// generator. The same seed gives the same inputs, so a failure found in CI reproduces: the
// input that failed is written to fuzz-<target>-crash.bin (run the target on that file alone).
// Not coverage-guided: it finds what random damage to good inputs reaches, and keeps the
// corpus replayed under the sanitizers on every CI run.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// From the sanitizer runtime when there is one (weak: the release build has none).
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));
// UBSan ends the process without the death callback: make it abort, which on_signal sees.
extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1:abort_on_error=1";
}

namespace {

std::string g_name;              // the target, for messages and the crash file
std::vector<uint8_t> g_current;  // the input being run
std::string g_what = "corpus";   // where it came from
std::string g_crash_path;        // fuzz-<name>-crash.bin

// Async-signal-safe (open, write, close only): also called from on_signal.
void dump_current() {
  const int fd = ::open(g_crash_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    size_t done = 0;
    while (done < g_current.size()) {
      const ssize_t n = ::write(fd, g_current.data() + done, g_current.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  for (const char* part : {"fuzz-", g_name.c_str(), ": failed on ", g_what.c_str(),
                           ", input written to ", g_crash_path.c_str(), "\n"})
    (void)!::write(2, part, std::strlen(part));
}

// A sanitizer report or an escaped exception ends the process: say which input it was first.
void on_death() {
  dump_current();
}
void on_terminate() {
  dump_current();
  std::signal(SIGABRT, SIG_DFL);
  std::abort();
}
void on_signal(int sig) {
  dump_current();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One random change of the kinds that break parsers: a flipped bit, a byte or a 16-bit field
// set to a boundary value (compression pointer tags, counts, lengths), octets inserted, removed
// or repeated, a cut, or a splice with another corpus input.
void mutate(std::vector<uint8_t>& d, const std::vector<std::vector<uint8_t>>& corpus,
            std::mt19937_64& rng) {
  auto below = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  static constexpr uint8_t kBytes[] = {0x00, 0x01, 0x02, 0x3f, 0x40, 0x7f, 0x80, 0xc0,
                                       0xc0, 0xfe, 0xff, '.',  '\\', '(',  ')',  '"',
                                       ';',  '\n', ' ',  '$',  '@',  '*',  '0',  '9'};
  static constexpr uint16_t kWords[] = {0,      1,      2,      0x7f, 0xff, 0x100, 0x3fff, 0x7fff,
                                        0x8000, 0xc00c, 0xffff, 41,   250,  251,   252,    255};
  switch (below(9)) {
    case 0:
      if (!d.empty()) d[below(d.size())] ^= static_cast<uint8_t>(1u << below(8));
      break;
    case 1:
      if (!d.empty()) d[below(d.size())] = kBytes[below(std::size(kBytes))];
      break;
    case 2:
      if (d.size() >= 2) {
        const size_t at = below(d.size() - 1);
        const uint16_t w = kWords[below(std::size(kWords))];
        d[at] = static_cast<uint8_t>(w >> 8);
        d[at + 1] = static_cast<uint8_t>(w);
      }
      break;
    case 3: {
      const size_t n = 1 + below(8);
      std::vector<uint8_t> ins(n);
      for (auto& b : ins)
        b = below(2) ? kBytes[below(std::size(kBytes))] : static_cast<uint8_t>(rng());
      d.insert(d.begin() + static_cast<long>(below(d.size() + 1)), ins.begin(), ins.end());
      break;
    }
    case 4:
      if (!d.empty()) {
        const size_t at = below(d.size());
        const size_t n = 1 + below(std::min<size_t>(16, d.size() - at));
        d.erase(d.begin() + static_cast<long>(at), d.begin() + static_cast<long>(at + n));
      }
      break;
    case 5:
      if (!d.empty()) {
        const size_t at = below(d.size());
        const size_t n = 1 + below(std::min<size_t>(64, d.size() - at));
        std::vector<uint8_t> piece(d.begin() + static_cast<long>(at),
                                   d.begin() + static_cast<long>(at + n));
        d.insert(d.begin() + static_cast<long>(below(d.size() + 1)), piece.begin(), piece.end());
      }
      break;
    case 6:
      d.resize(below(d.size() + 1));
      break;
    case 7: {
      const auto& other = corpus[below(corpus.size())];
      if (!other.empty()) {
        const size_t from = below(other.size());
        d.resize(below(d.size() + 1));
        d.insert(d.end(), other.begin() + static_cast<long>(from), other.end());
      }
      break;
    }
    default:
      if (!d.empty()) d[below(d.size())] = static_cast<uint8_t>(rng());
      break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  g_name = std::filesystem::path(argv[0]).filename().string();
  if (g_name.rfind("fuzz-", 0) == 0) g_name = g_name.substr(5);
  unsigned long long runs = 0, seed = 1;
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--runs" || a == "--seed") && i + 1 < argc) {
      (a == "--runs" ? runs : seed) = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [--runs N] [--seed S] FILE|DIR...\n", argv[0]);
      return 0;
    } else {
      inputs.emplace_back(a);
    }
  }
  std::vector<std::vector<uint8_t>> corpus;
  std::vector<std::string> names;
  for (const auto& p : inputs) {
    if (std::filesystem::is_directory(p)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());  // a fixed order: runs repeat
      for (const auto& f : files) {
        corpus.push_back(read_file(f));
        names.push_back(f.string());
      }
    } else if (std::filesystem::is_regular_file(p)) {
      corpus.push_back(read_file(p));
      names.push_back(p.string());
    } else {
      std::fprintf(stderr, "fuzz-%s: %s: no such file or directory\n", g_name.c_str(), p.c_str());
      return 2;
    }
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "fuzz-%s: no inputs\n", g_name.c_str());
    return 2;
  }
  g_crash_path = "fuzz-" + g_name + "-crash.bin";
  if (__sanitizer_set_death_callback != nullptr) {
    __sanitizer_set_death_callback(on_death);  // ASan reports its own SEGVs first
  } else {
    std::signal(SIGSEGV, on_signal);
    std::signal(SIGBUS, on_signal);
    std::signal(SIGFPE, on_signal);
  }
  std::signal(SIGABRT, on_signal);
  std::set_terminate(on_terminate);

  // A target returns -1 for an input it rejects at the door (libFuzzer: do not keep it);
  // a run where every input was rejected checked nothing past the parser, and fails.
  unsigned long long accepted = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    g_current = corpus[i];
    g_what = names[i];
    accepted += LLVMFuzzerTestOneInput(g_current.data(), g_current.size()) == 0;
  }
  std::mt19937_64 rng(seed);
  for (unsigned long long r = 0; r < runs; ++r) {
    g_current = corpus[rng() % corpus.size()];
    for (uint64_t k = 1 + rng() % 4; k > 0; --k) mutate(g_current, corpus, rng);
    g_what = "seed " + std::to_string(seed) + " run " + std::to_string(r);
    accepted += LLVMFuzzerTestOneInput(g_current.data(), g_current.size()) == 0;
  }
  std::printf(
      "fuzz-%s: %zu corpus inputs and %llu mutations (seed %llu) passed; %llu went "
      "past the input checks\n",
      g_name.c_str(), corpus.size(), runs, seed, accepted);
  if (accepted == 0) {
    std::fprintf(stderr, "fuzz-%s: every input was rejected: the run checked nothing\n",
                 g_name.c_str());
    return 1;
  }
  return 0;
}
