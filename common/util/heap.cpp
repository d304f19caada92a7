// release_free_heap: jemalloc is recognised by its mallctl, declared weak so that a build
// without jemalloc links (the symbol is then null) and one with it, linked or preloaded, finds it.
#include "common/util/heap.hpp"

#include <malloc.h>

#include <cstdint>

extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace flatsign::util {
namespace {

// jemalloc 5's MALLCTL_ARENAS_ALL: "arena.4096.purge" acts on every arena.
constexpr const char* kPurgeAll = "arena.4096.purge";

size_t jemalloc_stat(const char* name) {
  size_t value = 0;
  size_t len = sizeof value;
  return mallctl(name, &value, &len, nullptr, 0) == 0 ? value : 0;
}

}  // namespace

bool heap_is_jemalloc() {
  return mallctl != nullptr;
}

HeapFigures release_free_heap() {
  HeapFigures f;
  if (mallctl != nullptr) {
    f.allocator = "jemalloc";
    // This thread's cache first, so that its free objects reach the arenas that are purged.
    mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
    f.released = mallctl(kPurgeAll, nullptr, nullptr, nullptr, 0) == 0;
    // The statistics are a snapshot taken when the epoch advances.
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, len);
    f.in_use = jemalloc_stat("stats.allocated");
    f.held = jemalloc_stat("stats.resident");
    return f;
  }
  f.released = malloc_trim(0) != 0;
  const struct mallinfo2 mi = mallinfo2();
  f.in_use = mi.uordblks + mi.hblkhd;
  f.held = mi.arena + mi.hblkhd;
  return f;
}

}  // namespace flatsign::util
