// Bit fields of a Verilated model's ports, whatever type Verilator gave a port (CData .. QData up to 64 bits,
// VlWide<N> above): the one copy behind the array's shim (rtl_shim.cpp), the edge junction's
// (../edge/edge_shim.cpp) and the edge RTL test. Fields are at most 64 bits wide.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "verilated.h"

namespace systrain::port_bits {

inline uint64_t mask_of(int width) { return width >= 64 ? ~0ULL : ((1ULL << width) - 1); }

// bit-field access on an integer port
template <class T>
std::enable_if_t<std::is_integral_v<T>> put_bits(T& port, int lsb, int width, uint64_t v) {
  const uint64_t m = mask_of(width) << lsb;
  port = static_cast<T>((static_cast<uint64_t>(port) & ~m) | ((v << lsb) & m));
}
template <class T>
std::enable_if_t<std::is_integral_v<T>, uint64_t> get_bits(const T& port, int lsb, int width) {
  return (static_cast<uint64_t>(port) >> lsb) & mask_of(width);
}
// bit-field access on a wide port (32-bit words, little-endian)
template <std::size_t N>
void put_bits(VlWide<N>& port, int lsb, int width, uint64_t v) {
  for (int b = 0; b < width;) {
    const int w = (lsb + b) / 32, o = (lsb + b) % 32, n = std::min(32 - o, width - b);
    const uint32_t m = static_cast<uint32_t>(mask_of(n)) << o;
    port[w] = (port[w] & ~m) | ((static_cast<uint32_t>(v >> b) << o) & m);
    b += n;
  }
}
template <std::size_t N>
uint64_t get_bits(const VlWide<N>& port, int lsb, int width) {
  uint64_t v = 0;
  for (int b = 0; b < width;) {
    const int w = (lsb + b) / 32, o = (lsb + b) % 32, n = std::min(32 - o, width - b);
    v |= static_cast<uint64_t>((port[w] >> o) & static_cast<uint32_t>(mask_of(n))) << b;
    b += n;
  }
  return v;
}
// a field's value, sign-extended from `width` bits
inline int64_t sext(uint64_t v, int width) {
  return width >= 64 ? static_cast<int64_t>(v) : static_cast<int64_t>(v << (64 - width)) >> (64 - width);
}

}  // namespace systrain::port_bits
