// Fixed-point arithmetic exactly as the RTL does it (rtl/pe.sv, requant in
// rtl/systolic_top.sv): products and sums wrap modulo 2^acc_bits; results
// leaving the array are rounded half up, shifted right by frac_bits and
// saturated to data_bits.
#pragma once
#include <cmath>
#include <cstdint>

namespace systrain {

struct Numerics {
  int data_bits = 16, frac_bits = 8, acc_bits = 32;
};

// the low `bits` bits of v, sign-extended (bits in [1, 63])
inline int64_t wrap(int64_t v, int bits) {
  const int s = 64 - bits;
  return static_cast<int64_t>(static_cast<uint64_t>(v) << s) >> s;
}

// acc + a*b in acc_bits (a, b are data_bits values)
inline int64_t mac(int64_t acc, int64_t a, int64_t b, int acc_bits) {
  return wrap(static_cast<int64_t>(static_cast<uint64_t>(acc) + static_cast<uint64_t>(a * b)), acc_bits);
}

// Example (data 16, frac 8): 0x0180 (1.5 in Q8 squared → 2.25·2^16 = 147456)
// requant(147456) = (147456 + 128) >> 8 = 576 = 2.25 in Q8.
inline int64_t requant(int64_t acc, const Numerics& n, bool relu) {
  int64_t t = n.frac_bits == 0 ? acc : (acc + (int64_t{1} << (n.frac_bits - 1))) >> n.frac_bits;
  const int64_t hi = (int64_t{1} << (n.data_bits - 1)) - 1, lo = -(int64_t{1} << (n.data_bits - 1));
  if (t > hi) t = hi;
  if (t < lo) t = lo;
  if (relu && t < 0) t = 0;
  return t;
}

// a real number to the nearest data_bits value (saturating)
inline int64_t quantize(double x, const Numerics& n) {
  double s = std::nearbyint(std::ldexp(x, n.frac_bits));
  const double hi = std::ldexp(1.0, n.data_bits - 1) - 1, lo = -std::ldexp(1.0, n.data_bits - 1);
  if (s > hi) s = hi;
  if (s < lo) s = lo;
  return static_cast<int64_t>(s);
}

inline double to_real(int64_t v, const Numerics& n) { return std::ldexp(static_cast<double>(v), -n.frac_bits); }

}  // namespace systrain
