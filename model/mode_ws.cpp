// Forward WS: Y = X·W on a stationary (k0, n0) block of W; n blocks outer,
// k blocks inner, partial sums between k blocks.
#include <algorithm>

#include "mode.h"

namespace systrain {
namespace {

class WsMode final : public ModeSchedule {
 public:
  std::vector<Tile> tiles(const Pass& p, const ArrayShape& a, int) const override {
    std::vector<Tile> tiles;
    const int64_t M = p.g.m, K = p.g.k, N = p.g.n, R = a.rows, C = a.cols;
    tiles.reserve(static_cast<size_t>(mode_detail::blocks(N, C) * mode_detail::blocks(K, R)));
    for (int64_t n0 = 0; n0 < N; n0 += C)
      for (int64_t k0 = 0; k0 < K; k0 += R) {
        Tile t = mode_detail::base_tile(p, static_cast<int64_t>(tiles.size()), 0, k0, n0);
        t.ru = static_cast<int>(std::min(R, K - k0)), t.cu = static_cast<int>(std::min(C, N - n0));
        t.len = M, t.first = k0 == 0, t.last = k0 + R >= K;
        t.io.load = p.w.sub(k0, n0);
        t.io.left = p.a.sub(0, k0);
        t.io.psum = p.psum.sub(0, n0);
        t.io.out = (t.last ? p.out : p.psum).sub(0, n0);
        tiles.push_back(t);
      }
    return tiles;
  }
  std::array<int64_t, int(Phase::kCount)> phases(const Tile& t, const ArrayShape& a) const override {
    std::array<int64_t, int(Phase::kCount)> p{};
    p[int(Phase::kLoad)] = t.ru;
    p[int(Phase::kStream)] = t.len;
    p[int(Phase::kDrain)] = a.rows + a.cols;
    return p;
  }
  void accesses(const Tile& t, const ArrayShape& a, TileAccesses& c) const override {
    using mode_detail::words;
    const int64_t L = t.len, ru = t.ru, cu = t.cu;
    c.reads[int(t.io.load.op)] += words(a, t.io.load, ru * cu);
    c.reads[int(t.io.left.op)] += words(a, t.io.left, L * ru);
    if (t.reads_psum()) c.reads[int(t.io.psum.op)] += words(a, t.io.psum, L * cu);
    c.writes[int(t.io.out.op)] += words(a, t.io.out, L * cu);
  }
  void events(const Tile& t, const ArrayShape& a, std::vector<AccessEvent>& ev) const override {
    mode_detail::stationary_events(t, a, false, true, t.cu, ev);
  }
};

}  // namespace

const ModeSchedule& ws_mode() {
  static const WsMode m;
  return m;
}

}  // namespace systrain
