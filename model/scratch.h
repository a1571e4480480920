// Scratch vectors kept between calls (static thread_local): grown to the
// size asked for, never shrunk. Calls of several sizes take turns (a
// network's layers, a pass's products); a resize down and back up would
// zero the regrown part every time.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace systrain {

template <class T>
T* scratch(std::vector<T>& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  return v.data();
}

}  // namespace systrain
