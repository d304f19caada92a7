// Many small arrays that live and die together (a zone block's RRset vectors) carved in order out
// of one buffer their owner allocates and frees at once: no malloc or free per array, no heap
// header each, and the arrays lie together. Not synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

namespace flatsign::util {

// A bump allocator over a buffer it does not own.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;  // allocators point to it
  Arena& operator=(const Arena&) = delete;
  // Carves from [begin, begin + size) from now on. REQUIRES: the buffer outlives every
  // allocation, and begin is aligned for what is carved out of it.
  void reset(void* begin, size_t size) {
    begin_ = next_ = static_cast<uint8_t*>(begin);
    end_ = begin_ + size;
  }
  // `bytes` aligned to `align`, or nullptr when they no longer fit.
  void* take(size_t bytes, size_t align) {
    const uintptr_t at = (reinterpret_cast<uintptr_t>(next_) + align - 1) & ~(align - 1);
    if (at + bytes > reinterpret_cast<uintptr_t>(end_)) return nullptr;
    next_ = reinterpret_cast<uint8_t*>(at + bytes);
    return reinterpret_cast<void*>(at);
  }
  bool owns(const void* p) const {
    auto* q = static_cast<const uint8_t*>(p);
    return q >= begin_ && q < end_;
  }

 private:
  uint8_t* begin_ = nullptr;
  uint8_t* next_ = nullptr;
  uint8_t* end_ = nullptr;
};

// A std allocator that carves from an Arena when it has one (and room), from the heap otherwise.
// Copying a container gives the copy the heap (the copy may outlive the arena); moving one keeps
// its arena. REQUIRES: the arena outlives every container using it and everything moved from one.
template <class T>
struct ArenaAllocator {
  using value_type = T;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using propagate_on_container_copy_assignment = std::false_type;
  using is_always_equal = std::false_type;

  ArenaAllocator() = default;
  explicit ArenaAllocator(Arena* a) noexcept : arena(a) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& o) noexcept : arena(o.arena) {}  // NOLINT: as std's

  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_array_new_length();
    if (arena != nullptr) {
      if (void* p = arena->take(n * sizeof(T), alignof(T))) return static_cast<T*>(p);
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept {
    if (arena != nullptr && arena->owns(p)) return;  // freed with the arena's buffer
    ::operator delete(p, n * sizeof(T));
  }
  ArenaAllocator select_on_container_copy_construction() const { return {}; }
  template <class U>
  friend bool operator==(const ArenaAllocator& a, const ArenaAllocator<U>& b) {
    return a.arena == b.arena;
  }

  Arena* arena = nullptr;
};

}  // namespace flatsign::util
