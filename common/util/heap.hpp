// The process heap, whichever malloc serves it: jemalloc when the daemon is linked with it (the
// slave is, see slave/CMakeLists.txt), glibc's otherwise (sanitizer builds, the unit tests).
// The allocator is recognised at run time, by jemalloc's mallctl being present, so a jemalloc
// loaded with LD_PRELOAD is handled too.
#pragma once

#include <cstddef>

namespace flatsign::util {

struct HeapFigures {
  const char* allocator = "glibc";  // "jemalloc" or "glibc"
  bool released = false;            // pages were handed back to the kernel
  size_t in_use = 0;                // octets allocated by the program
  size_t held = 0;  // octets the allocator holds (jemalloc: resident; glibc: its heaps' extent)
};

// Hands the heap's free pages back to the kernel now (jemalloc: every arena's dirty pages and
// this thread's cache; glibc: malloc_trim), and reports what the heap holds after it. Called
// after a large zone is replaced, when the free memory is largest. Thread-safe.
HeapFigures release_free_heap();

// True when jemalloc serves malloc in this process.
bool heap_is_jemalloc();

}  // namespace flatsign::util
