// The edge trainer's fixed-point arithmetic (model/edge/edge_train.h states
// the rules), shared by the training model and the junction's block model,
// and implemented by rtl/edge/edge_junction.sv: D-bit words with F fractional
// bits, products rounded half up and saturated, saturating sums, the sigmoid
// table, and the update w − round(a·δ / 2^k).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "fixed_point.h"

namespace systrain {

// σ and σ′ of every data_bits word s (index s + 2^(D−1))
struct SigmoidLut {
  std::vector<int32_t> a, da;
};
SigmoidLut sigmoid_lut(int data_bits, int frac_bits);

struct EdgeFixed {
  using V = int64_t;
  int d = 10, f = 7, k = 0;  // data_bits, frac_bits, η = 2^−k
  SigmoidLut lut;
  int ib = 8;  // input_bits: an input is pixel / 255 rounded to ib − 1 fractional bits, then widened to f
  V sat(int64_t v) const { return saturate(v, d); }
  V mul(V a, V b) const { return sat(round_shift(a * b, f)); }  // round half up
  V add(V a, V b) const { return sat(a + b); }
  V sig(V s) const { return lut.a[s + (int64_t{1} << (d - 1))]; }
  V dsig(V s) const { return lut.da[s + (int64_t{1} << (d - 1))]; }
  V one() const { return (int64_t{1} << f) - 1; }  // the label's target: the largest activation
  V zero() const { return 0; }
  // an unsigned input_bits-bit word (a negative value, as synthetic data has, is 0)
  V input(double x) const {
    const int64_t q = std::clamp<int64_t>(quantize(x, ib - 1, d), 0, (int64_t{1} << (ib - 1)) - 1);
    return q * (int64_t{1} << (f - (ib - 1)));
  }
  V weight(double x) const { return quantize(x, f, d); }
  V update(V w, V a, V delta) const { return sat(w - round_shift(mul(a, delta), k)); }
  double real(V v) const { return to_real(v, f); }
  int64_t word(V v) const { return v; }
};

}  // namespace systrain
