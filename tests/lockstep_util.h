// Runs one GEMM, tile by tile, on two arrays with separate but identically
// initialised memories, and reports the first difference (cycles, access
// events, written values). Used by the RTL-vs-closed-form tests.
#pragma once
#include <fmt/format.h>

#include <string>

#include "array_model.h"
#include "lockstep.h"
#include "dataset.h"
#include "workload.h"

namespace systrain::test {

// n random data_bits values
inline void fill_random(Memory& m, Buffer b, int64_t n, int data_bits, Rng& rng) {
  auto& v = m.buffer(b);
  v.assign(n, 0);
  const int64_t span = int64_t{1} << data_bits;
  for (auto& x : v) x = static_cast<int64_t>(rng.next() % span) - span / 2;
}

// returns "" when both arrays agree on everything
inline std::string compare_gemm(ArrayModel& a, ArrayModel& b, const ArrayShape& shape, const Numerics& num,
                                const Gemm& g, Dataflow df, bool relu, uint64_t seed, int64_t* cycles_out) {
  Memory ma(shape.words_per_psum), mb(shape.words_per_psum);
  LayerLayout l;
  l.gemm = g;
  l.x_addr = 0;
  l.y_addr = g.m * g.k;
  l.w_addr = 0;
  l.p_addr = 0;
  for (Memory* m : {&ma, &mb}) {
    Rng rng(seed);
    fill_random(*m, Buffer::kActivations, g.m * g.k + g.m * g.n, num.data_bits, rng);
    fill_random(*m, Buffer::kWeights, g.k * g.n, num.data_bits, rng);
    m->buffer(Buffer::kGradients).assign(g.m * g.n, 0);
  }
  int64_t cycle = 0;
  for (const Tile& t : tile_gemm(g, shape, df, relu, 0)) {
    TileRun ra = a.run_tile(t, l, ma, cycle, true);
    TileRun rb = b.run_tile(t, l, mb, cycle, true);
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
