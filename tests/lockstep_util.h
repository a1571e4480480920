// Runs one GEMM, tile by tile, on two arrays with separate but identically
// initialised memories, and reports the first difference (cycles, access
// events, written values). Used by the RTL-vs-closed-form tests.
#pragma once
#include <fmt/format.h>

#include <string>

#include "array_model.h"
#include "dataset.h"
#include "workload.h"

namespace systrain::test {

inline void fill_random(Memory& m, Buffer b, int64_t n, const Numerics& num, Rng& rng, int64_t lo_bits) {
  auto& v = m.buffer(b);
  v.assign(n, 0);
  const int64_t span = int64_t{1} << lo_bits;
  for (auto& x : v) x = wrap(static_cast<int64_t>(rng.next() % span) - span / 2, lo_bits);
  (void)num;
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
    fill_random(*m, Buffer::kActivations, g.m * g.k + g.m * g.n, num, rng, num.data_bits);
    fill_random(*m, Buffer::kWeights, g.k * g.n, num, rng, num.data_bits);
    m->buffer(Buffer::kGradients).assign(g.m * g.n, 0);
  }
  int64_t cycle = 0;
  for (const Tile& t : tile_gemm(g, shape, df, relu, 0)) {
    TileRun ra = a.run_tile(t, l, ma, cycle, true);
    TileRun rb = b.run_tile(t, l, mb, cycle, true);
    if (ra.cycles != rb.cycles)
      return fmt::format("{}: cycles {} ({}) vs {} ({})", describe(t), ra.cycles, a.name(), rb.cycles, b.name());
    if (ra.phases != rb.phases || ra.phase_cycles != rb.phase_cycles)
      return fmt::format("{}: controller phases differ", describe(t));
    for (size_t i = 0; i < std::max(ra.events.size(), rb.events.size()); ++i) {
      if (i >= ra.events.size() || i >= rb.events.size() || !(ra.events[i] == rb.events[i]))
        return fmt::format("{}: event {}: {}: {} / {}: {}", describe(t), i, a.name(),
                           i < ra.events.size() ? describe(ra.events[i]) : "none", b.name(),
                           i < rb.events.size() ? describe(rb.events[i]) : "none");
    }
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
