// SRAM bandwidth and banks: the cycles a tile loses when its accesses in one
// cycle ask more of a buffer than it can give (README "Counting rules").
//
// Each buffer (activations, weights, gradients) moves at most
// sram.words_per_cycle words a cycle, reads and writes together, through
// sram.banks banks of width = max(1, words_per_cycle / banks) words a cycle;
// word address a is in bank a mod banks. An element at address e of an
// operand of w words (a partial sum: ceil(acc_bits / data_bits)) occupies
// word addresses w·e … w·e + w − 1. The accesses the array makes in one of
// its cycles (a row of each active port: model/systolic/tile.h tile_events) take
//   cost = max over buffers of max(ceil(words / words_per_cycle),
//                                  ceil(words in the busiest bank / width))
// cycles, at least 1: the array freezes for cost − 1 cycles (the RTL's
// `stall` input), its requests held, and the accesses complete in the last
// of them. A tile's cycles are its closed-form cycles plus these stalls,
// which count in the phase of the cycle they delay.
//
// The closed form: a tile's accesses are a few streams (a port reading or
// writing consecutive rows of a view at a fixed cycle step); between the
// cycles where a stream starts or stops or the phase changes, the costs repeat
// with a period that divides 2·banks cycles (a row's bank offsets advance by
// its row stride modulo banks), so a tile costs O(banks) evaluations, not
// O(cycles); and when no cycle of a tile can exceed the limits (the sum over
// its streams of their words and of their busiest bank) it costs nothing.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "tile.h"

namespace systrain {

// One port's accesses in a tile: at cycles first + step·i (i < count) it
// moves row row0 + dir·i of `view`, `lanes` elements.
struct AccessStream {
  Mat view;
  bool write = false;
  Port port = Port::kTop;
  int64_t lanes = 0, first = 0, step = 1, count = 0, row0 = 0, dir = 1;
  int64_t last_cycle() const { return first + step * (count - 1); }
};

// The streams of a tile (they expand to exactly tile_events(t, a)).
std::vector<AccessStream> tile_streams(const Tile& t, const ArrayShape& a);

// One access of a cycle: `lanes` elements of row `row` of `view`.
struct RowAccess {
  Mat view;
  int64_t row = 0, lanes = 0;
};

// The cycles one array cycle's accesses take (>= 1); a.banks == 0 means no
// limits.
int64_t access_cost(const std::vector<RowAccess>& acc, const ArrayShape& a);

struct TileStalls {
  int64_t total = 0;
  std::array<int64_t, int(Phase::kCount)> by_phase{};
  std::vector<int64_t> per_cycle;  // when asked: the stall before each logical cycle of the tile
};

// The stall cycles of a tile (closed form; `per_cycle` filled when asked).
TileStalls tile_stalls(const Tile& t, const ArrayShape& a, bool per_cycle = false);

}  // namespace systrain
