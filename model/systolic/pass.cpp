#include "pass.h"

#include "mode.h"

namespace systrain {

int64_t pass_macs(const Pass& p) {
  const int64_t base = p.g.m * p.g.k * p.g.n;
  return p.mode == Mode::kIl && p.ag ? base + p.g.m * p.dx_rows * p.g.n : base;
}

std::vector<Tile> tile_pass(const Pass& p, const ArrayShape& a, int multipliers) {
  return mode_schedule(p.mode).tiles(p, a, multipliers);
}

}  // namespace systrain
