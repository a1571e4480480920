// One layer's tensors in a Memory, and the pass of each mode over them, for
// the tile-level tests: X [m×kw] and Y [m×n] in the activations buffer, W
// [kw×n] in the weights buffer, dY [m×n], dX [m×k], dW [kw×n] and the partial
// sums in the gradients buffer (kw = k + 1 with a bias row).
#pragma once
#include <vector>

#include "array_model.h"
#include "dataset.h"
#include "pass.h"

namespace systrain::test {

struct LayerCase {
  int64_t m = 0, k = 0, n = 0;
  bool bias = false;
  int64_t kw() const { return k + (bias ? 1 : 0); }
  Mat x() const { return {Operand::kX, Buffer::kActivations, 0, kw(), 1}; }
  Mat y() const { return {Operand::kY, Buffer::kActivations, m * kw(), n, 1}; }
  Mat w() const { return {Operand::kW, Buffer::kWeights, 0, n, 1}; }
  Mat dy() const { return {Operand::kDy, Buffer::kGradients, 0, n, 1}; }
  Mat dx() const { return {Operand::kDx, Buffer::kGradients, m * n, k, 1}; }
  Mat dw() const { return {Operand::kDw, Buffer::kGradients, m * n + m * k, n, 1}; }
  Mat psum(int64_t width) const { return {Operand::kPsum, Buffer::kGradients, m * n + m * k + kw() * n, width, 1}; }
  int64_t grad_words() const { return m * n + m * k + kw() * n + m * std::max(kw(), n); }
};

// random data_bits values (float32: uniform reals in [-1, 1)) in every buffer
inline void fill(Memory& mem, const LayerCase& c, int data_bits, bool is_float, Rng& rng) {
  auto fill_buf = [&](Buffer b, int64_t n) {
    auto& v = mem.buffer(b);
    v.assign(n, 0);
    const int64_t span = int64_t{1} << data_bits;
    for (auto& x : v)
      x = is_float ? f2w(static_cast<float>(rng.uniform() * 2 - 1)) : static_cast<int64_t>(rng.next() % span) - span / 2;
  };
  fill_buf(Buffer::kActivations, c.m * c.kw() + c.m * c.n);
  fill_buf(Buffer::kWeights, c.kw() * c.n);
  fill_buf(Buffer::kGradients, c.grad_words());
}

enum class Kind { kFwdWs, kFwdOs, kFwdIs, kAg, kWg, kIl, kIlNoAg };

inline Pass make_pass(Kind kind, const LayerCase& c, bool relu, int shift, int g_shift, int upd_shift, int64_t lr) {
  Pass p;
  p.shift = shift;
  switch (kind) {
    case Kind::kFwdWs:
    case Kind::kFwdOs:
    case Kind::kFwdIs:
      p.mode = kind == Kind::kFwdWs ? Mode::kWs : kind == Kind::kFwdOs ? Mode::kOs : Mode::kIs;
      p.g = {c.m, c.kw(), c.n};
      // (IS: partial sums of Yᵀ, n rows of m lanes)
      p.a = c.x(), p.w = p.b = c.w(), p.out = c.y(), p.psum = c.psum(kind == Kind::kFwdIs ? c.m : c.n), p.relu = relu;
      break;
    case Kind::kAg:
      p.mode = Mode::kAg;
      p.g = {c.m, c.k, c.n};
      p.b = c.dy(), p.w = c.w(), p.out = c.dx(), p.psum = c.psum(c.k), p.dx_rows = c.k;
      break;
    case Kind::kWg:
      p.mode = Mode::kOs;
      p.g = {c.kw(), c.m, c.n};
      p.a = c.x().t(), p.b = c.dy(), p.out = c.dw();
      break;
    case Kind::kIl:
    case Kind::kIlNoAg:
      p.mode = Mode::kIl;
      p.g = {c.m, c.kw(), c.n};
      p.a = c.x(), p.b = c.dy(), p.w = c.w(), p.out = c.dx(), p.psum = c.psum(c.k), p.dx_rows = c.k;
      p.ag = kind == Kind::kIl;
      p.g_shift = g_shift, p.upd_shift = upd_shift, p.lr = lr;
      break;
  }
  return p;
}

inline const char* name(Kind k) {
  switch (k) {
    case Kind::kFwdWs: return "forward ws";
    case Kind::kFwdOs: return "forward os";
    case Kind::kFwdIs: return "forward is";
    case Kind::kAg: return "ag";
    case Kind::kWg: return "wg";
    case Kind::kIl: return "il";
    case Kind::kIlNoAg: return "il without ag";
  }
  return "?";
}

constexpr Kind kAllKinds[] = {Kind::kFwdWs, Kind::kFwdOs, Kind::kFwdIs, Kind::kAg, Kind::kWg, Kind::kIl, Kind::kIlNoAg};

}  // namespace systrain::test
