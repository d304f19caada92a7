// Memory for large working arrays (a zone load's record table and RDATA chunks) on transparent
// huge pages where the kernel grants them (THP "madvise" mode): one 2 MiB fault instead of 512
// 4 KiB ones, and fewer TLB misses. Small requests go to the ordinary heap. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

namespace flatsign::util {

// Requests of at least this size are mapped on their own, 2 MiB aligned, with MADV_HUGEPAGE.
inline constexpr size_t kHugePageMin = size_t{1} << 20;

// Returns at least `bytes` octets (aligned for any type), uninitialized in the heap case and
// zeroed when mapped. Throws std::bad_alloc. Release with huge_free(p, bytes), the same size.
[[nodiscard]] void* huge_alloc(size_t bytes);
void huge_free(void* p, size_t bytes) noexcept;
// The octets huge_alloc(bytes) provides: `bytes` rounded up to whole huge pages when mapped (the
// tail is resident once touched, so a caller may as well use it).
size_t huge_size(size_t bytes);

// A std allocator over huge_alloc, for a std::vector that grows to many megabytes.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: implicit, as std's
  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(huge_alloc(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { huge_free(p, n * sizeof(T)); }
  template <class U>
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator<U>&) {
    return true;
  }
};

template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;
using HugeString = std::basic_string<char, std::char_traits<char>, HugePageAllocator<char>>;

}  // namespace flatsign::util
