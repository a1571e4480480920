// Where a layer's tensors live in the SRAM buffers (row-major matrices) and
// which block of them a tile access touches.
#pragma once
#include "memory.h"
#include "tile.h"

namespace systrain {

struct LayerLayout {
  Gemm gemm;
  int64_t x_addr = 0;  // activations buffer, X[M][K]
  int64_t y_addr = 0;  // activations buffer, Y[M][N]
  int64_t w_addr = 0;  // weights buffer, W[K][N]
  int64_t p_addr = 0;  // gradients buffer, partial sums P[M][N]
};

// The block one access event of `t` touches (see AccessEvent::index).
Access2D resolve(const Tile& t, const LayerLayout& l, Operand op, bool write, int64_t index);

// Whole-tile blocks (what the TLM array moves in one transaction per operand).
Access2D tile_block(const Tile& t, const LayerLayout& l, Operand op, bool write);

}  // namespace systrain
