// FNV-1a, 64-bit: the fingerprint of bytes (RTL model cache keys and
// libraries, the trained weights in a report).
#pragma once
#include <cstddef>
#include <cstdint>

namespace systrain {

constexpr uint64_t kFnv1aBasis = 1469598103934665603ULL;

inline uint64_t fnv1a(const void* data, size_t bytes, uint64_t h = kFnv1aBasis) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

}  // namespace systrain
