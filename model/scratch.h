// Scratch vectors kept between calls (static thread_local): grown to the
// size asked for, never shrunk. Calls of several sizes take turns (a
// network's layers, a pass's products); a resize down and back up would
// zero the regrown part every time.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace systrain {

template <class T, class Alloc>
T* scratch(std::vector<T, Alloc>& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  return v.data();
}

// A vector on cache lines (64 bytes), for the GEMM kernels' operands: a
// 64-byte load at a multiple of 64 bytes from its start never straddles two
// lines (straddling loads took a third of the float32 kernel's speed).
template <class T>
struct LineAllocator {
  using value_type = T;
  LineAllocator() = default;
  template <class U>
  LineAllocator(const LineAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t{64}); }
  template <class U>
  bool operator==(const LineAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const LineAllocator<U>&) const { return false; }
};
template <class T>
using LineVector = std::vector<T, LineAllocator<T>>;

}  // namespace systrain
