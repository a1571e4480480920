// A tile: one pass of an operand block through the array, and its closed-form
// timing and memory accesses (the contract the RTL tile controller keeps).
//
// GEMM Y[M×N] = X[M×K]·W[K×N] on an R×C array:
//   WS: a tile is a (k0, n0) block of W, ru = min(R, K-k0) rows by
//       cu = min(C, N-n0) columns; all M rows of X stream through it.
//       cycles = ru + M + R + C   (load ru weight rows; stream M rows; the
//       last row leaves R+C cycles after it entered)
//   OS: a tile is an (m0, n0) block of Y, ru = min(R, M-m0), cu = min(C, N-n0);
//       K steps stream through it.
//       cycles = K + 2R + C - 1   (stream K; R+C-1 cycles until the far PE's
//       last MAC; R cycles to drain the accumulators row by row)
// Worked example: WS, R=C=4, K=6, N=5, M=3, tile (k0=4, n0=4): ru=2, cu=1,
// cycles = 2+3+4+4 = 13; reads: 2 weight words, 3·2 activation words,
// 3·1·words_per_psum partial-sum words (not the first k block); writes 3
// output words (the last k block).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"

namespace systrain {

enum class Operand : int { kActivations = 0, kWeights, kPartialSums, kOutputs, kCount };
const char* to_string(Operand op);

struct Gemm {
  int64_t m = 0, k = 0, n = 0;
};

struct Tile {
  Dataflow dataflow = Dataflow::kWs;
  int layer = 0;
  int64_t index = 0;        // within the layer
  int64_t m0 = 0, k0 = 0, n0 = 0;
  int ru = 0, cu = 0;       // rows and columns of the array in use
  int64_t len = 0;          // WS: M streamed rows; OS: K steps
  bool first = true, last = true, relu = false;
};

struct ArrayShape {
  int rows = 0, cols = 0;
  int words_per_psum = 2;
  // words of data_bits one element of `op` occupies at the array boundary
  int64_t words_per_element(Operand op) const { return op == Operand::kPartialSums ? words_per_psum : 1; }
};

// What a tile's results are: outputs, or (WS, all k blocks but the last)
// partial sums. OS tiles hold the whole K and are always last.
inline Operand output_operand(const Tile& t) { return t.last ? Operand::kOutputs : Operand::kPartialSums; }

// words moved at the array boundary by one tile, per operand
struct TileAccesses {
  int64_t reads[static_cast<int>(Operand::kCount)] = {};
  int64_t writes[static_cast<int>(Operand::kCount)] = {};
};

struct TileCost {
  int64_t cycles = 0;
  TileAccesses acc;
};

TileCost tile_cost(const Tile& t, const ArrayShape& a);

// The tiles of one GEMM, in issue order (WS: n blocks outer, k blocks inner;
// OS: m blocks outer, n blocks inner).
std::vector<Tile> tile_gemm(const Gemm& g, const ArrayShape& a, Dataflow df, bool relu, int layer);

// One memory access of a tile, cycle-stamped relative to the tile's first
// cycle. `index` is the row (WS act/psum/out, OS weight), the weight row (WS
// load), the column of X (OS act) or the output row within the tile (OS out).
struct AccessEvent {
  int64_t cycle = 0;
  Operand op = Operand::kActivations;
  bool write = false;
  int64_t index = 0;
  int64_t words = 0;
  bool operator==(const AccessEvent& o) const {
    return cycle == o.cycle && op == o.op && write == o.write && index == o.index && words == o.words;
  }
};

// The controller's phases (the `phase` output of rtl/systolic_top.sv).
enum class Phase : int { kIdle = 0, kLoad, kStream, kFlush, kDrain, kCount };
const char* to_string(Phase p);

// Cycles a tile spends in each phase; they add up to tile_cost().cycles.
// WS: load ru, stream len, drain R+C. OS: stream len, flush R+C-1, drain R.
std::array<int64_t, int(Phase::kCount)> tile_phases(const Tile& t, const ArrayShape& a);

// The phase of the tile's cycle `rel` (0 = its first cycle).
Phase phase_at(const Tile& t, const ArrayShape& a, int64_t rel);

// Every access of a tile in cycle order (the closed-form schedule).
std::vector<AccessEvent> tile_events(const Tile& t, const ArrayShape& a);

std::string describe(const Tile& t);
std::string describe(const AccessEvent& e);

}  // namespace systrain
