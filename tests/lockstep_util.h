// Runs one pass, tile by tile, on two arrays with separate but identically
// initialised memories, and reports the first difference (cycles, access
// events, written values). Used by the RTL-vs-closed-form tests.
#pragma once
#include <fmt/format.h>

#include <string>

#include "lockstep.h"
#include "pass_util.h"

namespace systrain::test {

// returns "" when both arrays agree on everything
inline std::string compare_pass(ArrayModel& a, ArrayModel& b, const ArrayShape& shape, int multipliers,
                                const Numerics& num, const LayerCase& c, const Pass& p, uint64_t seed,
                                int64_t* cycles_out) {
  Memory ma(shape.words_per_psum), mb(shape.words_per_psum);
  for (Memory* m : {&ma, &mb}) {
    Rng rng(seed);
    fill(*m, c, num.data_bits, false, rng);
  }
  int64_t cycle = 0;
  for (const Tile& t : tile_pass(p, shape, multipliers)) {
    TileRun ra = a.run_tile(t, ma, cycle, true);
    TileRun rb = b.run_tile(t, mb, cycle, true);
    // the co-simulation checker, then every word of every buffer (stronger
    // than the checker's look at the tile's own output block)
    if (auto d = compare_tile_runs(ra, rb, cycle)) return fmt::format("{}: cycle {}: {}", describe(t), d->cycle, d->what);
    for (int bi = 0; bi < int(Buffer::kCount); ++bi) {
      const auto& va = ma.buffer(Buffer(bi));
      const auto& vb = mb.buffer(Buffer(bi));
      for (size_t i = 0; i < va.size(); ++i)
        if (va[i] != vb[i])
          return fmt::format("{}: {} buffer word {}: {} ({}) vs {} ({})", describe(t), to_string(Buffer(bi)), i,
                             va[i], a.name(), vb[i], b.name());
    }
    cycle += ra.cycles;
  }
  if (ma.counts().reads != mb.counts().reads || ma.counts().writes != mb.counts().writes)
    return "access counters differ";
  if (cycles_out) *cycles_out = cycle;
  return "";
}

}  // namespace systrain::test
