// Runs one pass, tile by tile, through the co-simulation decorator
// (model/cosim/cosim_array.h) on one memory, and reports the first difference
// between the two arrays (events, phases, cycles, written words). Used by the
// RTL-vs-closed-form tests, as the run uses it.
#pragma once
#include <fmt/format.h>

#include <string>

#include "cosim_array.h"
#include "pass_util.h"

namespace systrain::test {

// returns "" when both arrays agree on everything
inline std::string compare_pass(ArrayModel& reference, ArrayModel& checked, const ArrayShape& shape, int multipliers,
                                const Numerics& num, const LayerCase& c, const Pass& p, uint64_t seed,
                                int64_t* cycles_out, CosimStats* stats = nullptr) {
  Memory mem(shape.words_per_psum);
  Rng rng(seed);
  fill(mem, c, num.data_bits, false, rng);
  CosimArray cosim(reference, checked, true);
  int64_t cycle = 0;
  for (const Tile& t : tile_pass(p, shape, multipliers)) {
    try {
      cycle += cosim.run(t, mem, cycle, false).cycles;
    } catch (const CosimMismatch& m) {
      return fmt::format("{}: cycle {}: {}", describe(t), m.cycle(), m.what());
    }
  }
  if (cycles_out) *cycles_out = cycle;
  if (stats) *stats = cosim.stats();
  return "";
}

}  // namespace systrain::test
