#include "pass.h"

#include "bandwidth.h"
#include "mode.h"

namespace systrain {

int64_t pass_macs(const Pass& p) {
  const int64_t base = p.g.m * p.g.k * p.g.n;
  return p.mode == Mode::kIl && p.ag ? base + p.g.m * p.dx_rows * p.g.n : base;
}

std::vector<Tile> tile_pass(const Pass& p, const ArrayShape& a, int multipliers) {
  return mode_schedule(p.mode).tiles(p, a, multipliers);
}

int64_t pass_closed_form(const Pass& p, const ArrayShape& a) {
  int64_t cycles = 0;
  for (const Tile& t : tile_pass(p, a)) cycles += tile_cost(t, a).cycles + tile_stalls(t, a).total;
  return cycles;
}

}  // namespace systrain
