#include "mode.h"

namespace systrain {

const ModeSchedule& ws_mode();
const ModeSchedule& os_mode();
const ModeSchedule& ag_mode();
const ModeSchedule& il_mode();
const ModeSchedule& is_mode();

const ModeSchedule& mode_schedule(Mode m) {
  switch (m) {
    case Mode::kWs: return ws_mode();
    case Mode::kOs: return os_mode();
    case Mode::kAg: return ag_mode();
    case Mode::kIl: return il_mode();
    case Mode::kIs: return is_mode();
  }
  return ws_mode();
}

std::vector<Tile> ModeSchedule::tiles(const Pass& p, const ArrayShape& a, int multipliers) const {
  const Grid g = grid(p, a);
  std::vector<Tile> tiles;
  tiles.reserve(static_cast<size_t>(g.outer * g.inner));
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i) {
      tiles.push_back(tile(p, a, multipliers, o, i));
      tiles.back().index = o * g.inner + i;
    }
  if (double_buffers() && a.weight_double_buffer && !tiles.empty()) {
    // each link reads only the neighbours' sizes and load views, which linking does not change
    for (size_t i = 0; i < tiles.size(); ++i)
      mode_detail::link_preload(tiles[i], i > 0 ? &tiles[i - 1] : nullptr,
                                i + 1 < tiles.size() ? &tiles[i + 1] : nullptr);
  }
  return tiles;
}

namespace mode_detail {

void link_preload(Tile& t, const Tile* prev, const Tile* next) {
  if (next && t.len >= next->ru) t.pf_rows = next->ru, t.pf_cols = next->cu, t.io.next_load = next->io.load;
  if (prev && prev->len >= t.ru) t.preloaded = true;
}

Tile base_tile(const Pass& p, int64_t index, int64_t m0, int64_t k0, int64_t n0) {
  Tile t;
  t.mode = p.mode, t.layer = p.layer, t.index = index;
  t.m0 = m0, t.k0 = k0, t.n0 = n0, t.relu = p.relu, t.shift = p.shift;
  return t;
}

void stationary_events(const Tile& t, const ArrayShape& a, bool top, bool left, int64_t lanes,
                       std::vector<AccessEvent>& ev) {
  const int64_t vd = a.rows + a.cols, L = t.len, ru = t.ru, s = t.s();
  const int64_t load = t.loads() ? ru : 0;  // a preloaded tile has no LOAD
  for (int64_t j = 0; j < load; ++j)
    ev.push_back({j, t.io.load.op, false, ru - 1 - j, words(a, t.io.load, t.cu), Port::kTop});
  for (int64_t rel = 0; rel < s * (L + vd); ++rel) {
    const int64_t c = load + rel;
    if (rel % s == 0 && rel / s < L) {
      const int64_t j = rel / s;
      if (top) ev.push_back({c, t.io.top.op, false, j, words(a, t.io.top, t.cu), Port::kTop});
      if (left) ev.push_back({c, t.io.left.op, false, j, words(a, t.io.left, ru), Port::kLeft});
      if (t.reads_psum()) ev.push_back({c, t.io.psum.op, false, j, words(a, t.io.psum, lanes), Port::kPsum});
    }
    const int64_t o = (rel + s - 1) / s - vd;
    if (t.row_outputs() && (rel + s - 1) % s == 0 && o >= 0 && o < L)
      ev.push_back({c, t.io.out.op, true, o, words(a, t.io.out, lanes), Port::kOut});
  }
}

}  // namespace mode_detail
}  // namespace systrain
