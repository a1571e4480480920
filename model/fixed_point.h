// Fixed-point arithmetic exactly as the RTL does it (rtl/systolic/pe.sv,
// rtl/systolic/systolic_top.sv): products and sums wrap modulo 2^acc_bits; results
// leaving the array are rounded half up, shifted right and saturated to
// data_bits. In float32 numerics a memory word holds a float's bit pattern.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace systrain {

struct Numerics {
  int data_bits = 16, frac_bits = 8, acc_bits = 32;
  bool is_float = false;
  // fractional bits of each tensor (activations x/y, weights, errors dy/dx,
  // weight gradients dw)
  int fa = 8, fw = 8, fe = 8, fg = 8;
};

// η in the RTL's update datapath: an unsigned integer with kLrFracBits
// fractional bits (rtl/systolic/pe.sv: the lr port)
constexpr int kLrFracBits = 16;

// the low `bits` bits of v, sign-extended (bits in [1, 64])
inline int64_t wrap(int64_t v, int bits) {
  if (bits >= 64) return v;
  const int s = 64 - bits;
  return static_cast<int64_t>(static_cast<uint64_t>(v) << s) >> s;
}

// acc + a*b in acc_bits (a, b are data_bits values)
inline int64_t mac(int64_t acc, int64_t a, int64_t b, int acc_bits) {
  return wrap(static_cast<int64_t>(static_cast<uint64_t>(acc) + static_cast<uint64_t>(a * b)), acc_bits);
}

inline int64_t saturate(int64_t v, int data_bits) {
  const int64_t hi = (int64_t{1} << (data_bits - 1)) - 1, lo = -(int64_t{1} << (data_bits - 1));
  return v > hi ? hi : v < lo ? lo : v;
}

// round half up and shift right arithmetically
inline int64_t round_shift(int64_t v, int shift) {
  return shift == 0 ? v : (v + (int64_t{1} << (shift - 1))) >> shift;
}

// Example (data 16, shift 8): 147456 (2.25 in Q16) → (147456 + 128) >> 8 =
// 576 = 2.25 in Q8.
inline int64_t requant(int64_t acc, int shift, int data_bits, bool relu) {
  int64_t t = saturate(round_shift(acc, shift), data_bits);
  if (relu && t < 0) t = 0;
  return t;
}

// The SGD step the PEs do in the interleaved mode and the vector unit does in
// the baseline: W − round(lr·dW / 2^upd_shift), saturated (rtl/systolic/pe.sv).
inline int64_t sgd_update(int64_t w, int64_t dw, int64_t lr, int upd_shift, int data_bits) {
  return saturate(w - round_shift(lr * dw, upd_shift), data_bits);
}

// x·2^e, as std::ldexp gives it: one correctly rounded product by the exact
// power of two (a call to scalbn cost more than the rest of a quantisation)
inline double times_pow2(double x, int e) {
  if (e < -1022 || e > 1023) return std::ldexp(x, e);
  const uint64_t bits = static_cast<uint64_t>(1023 + e) << 52;
  double p;
  std::memcpy(&p, &bits, 8);
  return x * p;
}

// a real number to the nearest data_bits value with `frac` fractional bits
inline int64_t quantize(double x, int frac, int data_bits) {
  double s = std::nearbyint(times_pow2(x, frac));
  const double hi = times_pow2(1.0, data_bits - 1) - 1, lo = -times_pow2(1.0, data_bits - 1);
  if (s > hi) s = hi;
  if (s < lo) s = lo;
  return static_cast<int64_t>(s);
}

inline double to_real(int64_t v, int frac) { return times_pow2(static_cast<double>(v), -frac); }

// float32 values in memory words
inline int64_t f2w(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<int64_t>(u);
}
// v where on, else otherwise: and-ed and or-ed, not branched on (for masks that are about half ones at random)
inline int64_t select_word(bool on, int64_t v, int64_t otherwise) {
  const int64_t m = -static_cast<int64_t>(on);
  return (v & m) | (otherwise & ~m);
}
inline float w2f(int64_t w) {
  const auto u = static_cast<uint32_t>(w);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace systrain
