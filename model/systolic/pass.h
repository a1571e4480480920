// A pass: one GEMM run on the array in one mode, with the views of the
// tensors it reads and writes, and the tiles it is cut into.
//
//   mode  GEMM                          views                 tiles, in issue order
//   WS    Y[M×N]  = X[M×K]·W[K×N]       a=X, w=W              (k0, n0) blocks of W; n outer, k inner
//   OS    Y[M×N]  = A[M×K]·B[K×N]       a=A, b=B              (m0, n0) blocks of Y; m outer, n inner
//         (forward: A=X, B=W; WG: A=Xᵀ, B=dY, Y=dW)
//   AG    dX[M×K] = dY[M×N]·W[K×N]ᵀ     b=dY, w=W             (k0, n0) blocks of W; k outer, n inner
//   IL    AG, and G = Xᵀ·dY in the PEs  a=X, b=dY, w=W        as AG; each block of W is updated
//         then W −= η·requant(G)                              in place and written back
// g = {M, K, N} in these names. K counts W's rows (with a bias row, if any);
// AG/IL compute dX only for the first dx_rows of them. Partial sums between
// the blocks of a reduction (WS: k blocks; AG/IL: n blocks) go to `psum`.
#pragma once
#include <array>
#include <vector>

#include "memory.h"
#include "tile.h"

namespace systrain {

struct Pass {
  Mode mode = Mode::kWs;
  int layer = 0;
  Gemm g;
  Mat a, b, w, psum, out;
  int64_t dx_rows = 0;      // AG, IL
  bool ag = true;           // IL: compute dX too
  bool relu = false;        // WS, OS
  int shift = 0;            // requantisation of results
  int g_shift = 0, upd_shift = 0;  // IL update
  int64_t lr = 0;
  // forward_dataflow: auto: the closed-form cycles of WS, OS and IS that chose
  // `mode` (-1: not chosen by auto)
  std::array<int64_t, 3> auto_cycles{-1, -1, -1};
};

// The useful products of a pass: M·K·N (forward, AG, WG); an IL pass makes
// the WG products and, when it computes dX, the AG products (M·dx_rows·N).
int64_t pass_macs(const Pass& p);

// The cycles of a pass's tiles by the closed forms: tile.h's phases and the
// SRAM's bandwidth and bank stalls (bandwidth.h); DRAM waits not included.
// forward_dataflow: auto compares the forward pass's WS, OS and IS.
int64_t pass_closed_form(const Pass& p, const ArrayShape& a);

// What a pass's tiles add up to, timing only: what the executor counts per
// tile (model/train/op_executor.cpp), summed.
struct PassTiming {
  int64_t tiles = 0, cycles = 0, stall_cycles = 0;  // stall_cycles: SRAM bandwidth and banks, in `cycles`
  std::array<int64_t, int(Phase::kCount)> phase_cycles{};
  AccessCounts sram;        // words at the array boundary, by buffer and operand
  int64_t mapped_pes = 0;   // Σ rows × columns in use
  // Σ over tiles of ru·cu·len, by the tile's cycles (ascending): the compute
  // utilisation is summed exactly per distinct tile length (utilization())
  std::vector<std::pair<int64_t, int64_t>> busy_by_cycles;
  // when asked: each tile's cycles in issue order, run-length coded (cycles, tiles)
  std::vector<std::pair<int64_t, int64_t>> sequence;
  // `count` tiles like this one (its cycles, stalls and phases as run)
  void add(const Tile& t, int64_t cycles, int64_t stalls, const std::array<int64_t, int(Phase::kCount)>& phases,
           int64_t count = 1);
  // Σ over tiles of ru·cu·len / (R·C·cycles)
  double utilization(const ArrayShape& a) const;
};

// The tiles of a pass in classes that cost the same (mode.h Grid): the first,
// second, next-to-last and last block of each dimension, the blocks at a
// mode's special outer blocks, and the rest by their index modulo the period
// of their SRAM bank pattern (1 without banks). One representative tile of
// each class and how many tiles it stands for: a few dozen classes (a few
// hundred with a long bank period) for any pass, whatever its size.
struct TileClass {
  Tile tile;
  int64_t count = 0;
};
std::vector<TileClass> tile_classes(const Pass& p, const ArrayShape& a, int multipliers);

// The timing of a pass, O(classes): each class's tile run once through the
// TLM array's timing path (TlmArray::run on a memory that counts) and
// multiplied; with `sequence`, also each tile's cycles in issue order
// (O(tiles) integers). pass_timing_per_tile is the reference: every tile,
// one by one (its sequence always filled). The two are equal
// (tests/test_pass_timing.cpp).
PassTiming pass_timing(const Pass& p, const ArrayShape& a, bool sequence = false);
PassTiming pass_timing_per_tile(const Pass& p, const ArrayShape& a);

// `multipliers` is pe_multipliers: with one, an IL tile that computes dX
// takes two cycles a sample.
std::vector<Tile> tile_pass(const Pass& p, const ArrayShape& a, int multipliers);
// the same with the array's own multipliers
inline std::vector<Tile> tile_pass(const Pass& p, const ArrayShape& a) { return tile_pass(p, a, a.multipliers); }

}  // namespace systrain
