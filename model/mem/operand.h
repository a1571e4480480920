// What the array and the vector unit read and write: tensors (named by what
// they are, not by the GEMM role they play), the SRAM buffers they live in,
// and strided views of them. Wᵀ and Xᵀ are views with swapped strides, never
// copies.
#pragma once
#include <cstdint>

namespace systrain {

// x: a layer's input (the stash kept for the backward pass); w: weights (a
// bias is W's last row); y: the last layer's outputs (logits); psum: partial
// sums between blocks of a reduction; dy: the error at a layer's
// pre-activation output; dx: dY·Wᵀ before the ReLU mask; dw: Xᵀ·dY; table:
// the speculative schedule's per-label tables (speculation.h); mask: a
// maxpool's argmax (one word an output element).
enum class Operand : int { kX = 0, kW, kY, kPsum, kDy, kDx, kDw, kTable, kMask, kCount };
const char* to_string(Operand op);

enum class Buffer : int { kActivations = 0, kWeights, kGradients, kCount };
const char* to_string(Buffer b);

// A strided 2-D block of one buffer: element (i, j) is at
// addr + i*row_stride + j*col_stride.
struct Access2D {
  Buffer buffer = Buffer::kActivations;
  int64_t addr = 0, rows = 1, cols = 1, row_stride = 0, col_stride = 1;
  int64_t elements() const { return rows * cols; }
};

// A matrix view of a tensor: element (i, j) at base + i*rs + j*cs.
// Example: X[M][K] row-major at 100 is {kX, kActivations, 100, K, 1}; its
// transpose Xᵀ[K][M] is {kX, kActivations, 100, 1, K}.
struct Mat {
  Operand op = Operand::kX;
  Buffer buf = Buffer::kActivations;
  int64_t base = 0, rs = 0, cs = 1;
  int64_t at(int64_t i, int64_t j) const { return base + i * rs + j * cs; }
  Mat t() const { return {op, buf, base, cs, rs}; }
  Mat sub(int64_t i, int64_t j) const { return {op, buf, at(i, j), rs, cs}; }
  Mat as(Operand o) const { return {o, buf, base, rs, cs}; }
  // row i, lanes [0, n)
  Access2D row(int64_t i, int64_t n) const { return {buf, at(i, 0), 1, n, 0, cs}; }
  // rows [0, r) × lanes [0, c)
  Access2D block(int64_t r, int64_t c) const { return {buf, base, r, c, rs, cs}; }
};

}  // namespace systrain
