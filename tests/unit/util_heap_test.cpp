// The heap figures and release: what the unit tests' allocator (glibc, or the sanitizer's,
// which does not report figures) says before and after a large allocation is freed.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/util/heap.hpp"

using flatsign::util::heap_is_jemalloc;
using flatsign::util::release_free_heap;

#if defined(__SANITIZE_ADDRESS__)
#define FLATSIGN_HEAP_FIGURES 0  // ASan's allocator reports no mallinfo figures
#else
#define FLATSIGN_HEAP_FIGURES 1
#endif

TEST_CASE("heap: the allocator is named, and release reports what is in use", "[heap]") {
  const auto f = release_free_heap();
  CHECK(std::string(f.allocator) == (heap_is_jemalloc() ? "jemalloc" : "glibc"));
#if FLATSIGN_HEAP_FIGURES
  CHECK(f.in_use > 0);
  CHECK(f.held >= f.in_use);
#endif
}

TEST_CASE("heap: 64 MB allocated show in use; freed and released, they are gone from it",
          "[heap]") {
#if FLATSIGN_HEAP_FIGURES
  const size_t before = release_free_heap().in_use;
  // Blocks below glibc's mmap threshold, so that they come from the heap's own arenas.
  std::vector<void*> blocks;
  for (int i = 0; i < 1024; ++i) {
    void* p = std::malloc(64 * 1024);
    REQUIRE(p != nullptr);
    std::memset(p, i & 0xff, 64 * 1024);  // resident, not only reserved
    blocks.push_back(p);
  }
  const auto full = release_free_heap();
  CHECK(full.in_use >= before + 60 * 1048576);
  for (void* p : blocks) std::free(p);
  const auto after = release_free_heap();
  CHECK(after.in_use < full.in_use - 60 * 1048576);
  // What is held beyond what is in use went back to the kernel: at most a few MB are kept.
  CHECK(after.held < after.in_use + 16 * 1048576);
#else
  SUCCEED("figures not reported under AddressSanitizer");
#endif
}
