// AG: dX = dY·Wᵀ on the stationary (k0, n0) block of W that the forward WS
// pass loaded: dY streams down the columns, partial sums of dX move right
// along the rows; k blocks outer, n blocks inner (partial sums between n
// blocks). IL extends it: X streams along the rows too and G = Xᵀ·dY
// accumulates in the PEs; then UPDATE (W −= η·requant(G) in every PE) and
// WRITEBACK (the block shifts down the columns into the weights buffer).
#include <algorithm>

#include "mode.h"

namespace systrain {
namespace {

class AgMode : public ModeSchedule {
 public:
  explicit AgMode(bool interleaved) : il_(interleaved) {}
  // k blocks outer, n blocks inner; the blocks with dX rows end at dx_rows
  Grid grid(const Pass& p, const ArrayShape& a) const override {
    Grid g{mode_detail::blocks(p.g.k, a.rows), mode_detail::blocks(p.g.n, a.cols), {}};
    if (p.dx_rows > 0) g.special_outer = {(p.dx_rows - 1) / a.rows, p.dx_rows / a.rows};
    return g;
  }
  Tile tile(const Pass& p, const ArrayShape& a, int multipliers, int64_t o, int64_t i) const override {
    const int64_t M = p.g.m, K = p.g.k, N = p.g.n, R = a.rows, C = a.cols;
    const int64_t k0 = o * R, n0 = i * C;
    Tile t = mode_detail::base_tile(p, 0, 0, k0, n0);
    t.ru = static_cast<int>(std::min(R, K - k0)), t.cu = static_cast<int>(std::min(C, N - n0));
    t.xu = static_cast<int>(std::clamp<int64_t>(p.dx_rows - k0, 0, t.ru));
    t.len = M, t.first = n0 == 0, t.last = n0 + C >= N;
    t.ag = (!il_ || p.ag) && t.xu > 0;
    t.relu = false;
    t.io.load = p.w.sub(k0, n0);
    t.io.top = p.b.sub(0, n0);
    t.io.psum = p.psum.sub(0, k0);
    t.io.out = (t.last ? p.out : p.psum).sub(0, k0);
    if (il_) {
      t.slow = t.ag && multipliers == 1;
      t.io.left = p.a.sub(0, k0);
      t.io.wb = p.w.sub(k0, n0);
      t.g_shift = p.g_shift, t.upd_shift = p.upd_shift, t.lr = p.lr;
    }
    return t;
  }
  std::array<int64_t, int(Phase::kCount)> phases(const Tile& t, const ArrayShape& a) const override {
    std::array<int64_t, int(Phase::kCount)> p{};
    const int64_t s = t.s();
    p[int(Phase::kLoad)] = t.ru;
    p[int(Phase::kStream)] = s * t.len;
    p[int(Phase::kDrain)] = s * (a.rows + a.cols);
    if (il_) p[int(Phase::kUpdate)] = 1, p[int(Phase::kWriteback)] = a.rows;
    return p;
  }
  void accesses(const Tile& t, const ArrayShape& a, TileAccesses& c) const override {
    using mode_detail::words;
    const int64_t L = t.len, ru = t.ru, cu = t.cu, xu = t.xu;
    c.reads[int(t.io.load.op)] += words(a, t.io.load, ru * cu);
    c.reads[int(t.io.top.op)] += words(a, t.io.top, L * cu);
    if (il_) c.reads[int(t.io.left.op)] += words(a, t.io.left, L * ru);
    if (t.reads_psum()) c.reads[int(t.io.psum.op)] += words(a, t.io.psum, L * xu);
    if (t.ag) c.writes[int(t.io.out.op)] += words(a, t.io.out, L * xu);
    if (il_) c.writes[int(t.io.wb.op)] += words(a, t.io.wb, ru * cu);
  }
  void events(const Tile& t, const ArrayShape& a, std::vector<AccessEvent>& ev) const override {
    mode_detail::stationary_events(t, a, true, il_, t.xu, ev);
    if (!il_) return;
    // WRITEBACK: tile row R−1−d in its cycle d, rows beyond ru skipped
    const int64_t R = a.rows, wb0 = t.ru + t.s() * (t.len + a.rows + a.cols) + 1;
    for (int64_t d = 0; d < R; ++d)
      if (R - 1 - d < t.ru)
        ev.push_back({wb0 + d, t.io.wb.op, true, R - 1 - d, mode_detail::words(a, t.io.wb, t.cu), Port::kOut});
  }

 private:
  bool il_;
};

}  // namespace

const ModeSchedule& ag_mode() {
  static const AgMode m(false);
  return m;
}
const ModeSchedule& il_mode() {
  static const AgMode m(true);
  return m;
}

}  // namespace systrain
