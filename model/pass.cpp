#include "pass.h"

#include "mode.h"

namespace systrain {

std::vector<Tile> tile_pass(const Pass& p, const ArrayShape& a, int multipliers) {
  return mode_schedule(p.mode).tiles(p, a, multipliers);
}

}  // namespace systrain
