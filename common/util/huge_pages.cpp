// huge_alloc: mmap with the mapping's start and length on 2 MiB boundaries, so that every 2 MiB
// of it can be one huge page; the kernel falls back to 4 KiB pages when THP is off.
#include "common/util/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

namespace flatsign::util {
namespace {

constexpr size_t kHuge = size_t{2} << 20;

size_t round_up(size_t bytes) {
  return (bytes + kHuge - 1) & ~(kHuge - 1);
}

}  // namespace

void* huge_alloc(size_t bytes) {
  if (bytes < kHugePageMin) {
    void* p = std::malloc(bytes == 0 ? 1 : bytes);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  const size_t size = round_up(bytes);
  if (size < bytes) throw std::bad_alloc();
  // Map 2 MiB more than needed, then unmap the unaligned head and the tail.
  void* m =
      ::mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(m);
  const uintptr_t aligned = (start + kHuge - 1) & ~(uintptr_t{kHuge} - 1);
  if (aligned > start) ::munmap(m, aligned - start);
  if (const size_t tail = start + size + kHuge - (aligned + size); tail > 0)
    ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

size_t huge_size(size_t bytes) {
  return bytes < kHugePageMin ? bytes : round_up(bytes);
}

void huge_free(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kHugePageMin) {
    std::free(p);
    return;
  }
  ::munmap(p, round_up(bytes));
}

}  // namespace flatsign::util
