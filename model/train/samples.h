// The samples a run trains on or scores, and the seeded random stream every
// seeded choice of a run draws from (weight init, shuffling, synthetic data,
// assumed hits). Pure C++: the data set readers (sim/io/dataset.h) fill Samples.
#pragma once
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "interrupt.h"

namespace systrain {


// An allocator for a data set's bytes. Buffers of 4 MiB or more are on
// transparent huge pages where the kernel has them (madvise before the first
// touch): the trainer reads samples at random from 47 MB of images, and with
// 4 KiB pages every sample was a TLB walk (the prefetch of the next sample
// stalled on it). Elements made without a value are left as they are (the
// readers overwrite every byte), not zeroed.
template <class T>
struct BulkAllocator {
  using value_type = T;
  static constexpr size_t kHuge = size_t{2} << 20, kMin = size_t{4} << 20;
  BulkAllocator() = default;
  template <class U>
  BulkAllocator(const BulkAllocator<U>&) {}
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kMin) return static_cast<T*>(::operator new(bytes));
    const size_t whole = (bytes + kHuge - 1) / kHuge * kHuge;
    void* p = std::aligned_alloc(kHuge, whole);
    if (!p) throw std::bad_alloc();
    ::madvise(p, whole, MADV_HUGEPAGE);  // (a hint: where it fails, 4 KiB pages)
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kMin) ::operator delete(p);
    else std::free(p);
  }
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... A>
  void construct(U* p, A&&... a) {
    ::new (static_cast<void*>(p)) U(std::forward<A>(a)...);
  }
  template <class U>
  bool operator==(const BulkAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const BulkAllocator<U>&) const { return false; }
};
using Bytes = std::vector<uint8_t, BulkAllocator<uint8_t>>;

// Read-only bytes, shared by every copy: a buffer of their own (Bytes), or a
// part of something else that `owner` keeps alive (a data-cache entry mapped
// from the page cache: sim/io/data_cache.h)
class SharedBytes {
 public:
  SharedBytes() = default;
  explicit SharedBytes(Bytes b) {
    auto own = std::make_shared<const Bytes>(std::move(b));
    data_ = own->data(), size_ = own->size(), owner_ = std::move(own);
  }
  SharedBytes(std::shared_ptr<const void> owner, const uint8_t* data, size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const uint8_t& operator[](size_t i) const { return data_[i]; }
  const uint8_t* begin() const { return data_; }
  const uint8_t* end() const { return data_ + size_; }
  // bytes [from, from + n), sharing the owner (within size(): the caller checks)
  SharedBytes part(size_t from, size_t n) const { return SharedBytes(owner_, data_ + from, n); }
  template <class A>
  friend bool operator==(const SharedBytes& a, const std::vector<uint8_t, A>& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

struct Samples {
  int64_t count = 0, width = 0;  // samples × features
  std::vector<float> x;          // [count][width] (synthetic data)
  SharedBytes pixels;            // [count][width] (images: the value is pixel / 255; a quarter of the floats' memory)
  std::vector<uint8_t> labels;   // [count]
  float at(int64_t sample, int64_t feature) const {
    const int64_t i = sample * width + feature;
    return pixels.empty() ? x[i] : pixels[i] / 255.0f;
  }
};

// deterministic across platforms: a splitmix64 stream
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t s_;
};

}  // namespace systrain
