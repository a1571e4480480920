// Forward WS: Y = X·W on a stationary (k0, n0) block of W; n blocks outer,
// k blocks inner, partial sums between k blocks. Forward IS on the same
// datapath: a stationary block of Xᵀ.
#include <algorithm>

#include "mode.h"

namespace systrain {
namespace {

class WsMode : public ModeSchedule {
 public:
  Grid grid(const Pass& p, const ArrayShape& a) const override {
    return {mode_detail::blocks(p.g.n, a.cols), mode_detail::blocks(p.g.k, a.rows), {}};
  }
  // n blocks outer, k blocks inner
  Tile tile(const Pass& p, const ArrayShape& a, int, int64_t o, int64_t i) const override {
    const int64_t M = p.g.m, K = p.g.k, N = p.g.n, R = a.rows, C = a.cols;
    const int64_t n0 = o * C, k0 = i * R;
    Tile t = mode_detail::base_tile(p, 0, 0, k0, n0);
    t.ru = static_cast<int>(std::min(R, K - k0)), t.cu = static_cast<int>(std::min(C, N - n0));
    t.len = M, t.first = k0 == 0, t.last = k0 + R >= K;
    t.io.load = p.w.sub(k0, n0);
    t.io.left = p.a.sub(0, k0);
    t.io.psum = p.psum.sub(0, n0);
    t.io.out = (t.last ? p.out : p.psum).sub(0, n0);
    return t;
  }
  bool double_buffers() const override { return true; }
  std::array<int64_t, int(Phase::kCount)> phases(const Tile& t, const ArrayShape& a) const override {
    std::array<int64_t, int(Phase::kCount)> p{};
    p[int(Phase::kLoad)] = t.preloaded ? 0 : t.ru;
    p[int(Phase::kStream)] = t.len;
    p[int(Phase::kDrain)] = a.rows + a.cols;
    return p;
  }
  void accesses(const Tile& t, const ArrayShape& a, TileAccesses& c) const override {
    using mode_detail::words;
    const int64_t L = t.len, ru = t.ru, cu = t.cu;
    if (t.loads()) c.reads[int(t.io.load.op)] += words(a, t.io.load, ru * cu);
    if (t.pf_rows > 0) c.reads[int(t.io.next_load.op)] += words(a, t.io.next_load, int64_t{t.pf_rows} * t.pf_cols);
    c.reads[int(t.io.left.op)] += words(a, t.io.left, L * ru);
    if (t.reads_psum()) c.reads[int(t.io.psum.op)] += words(a, t.io.psum, L * cu);
    c.writes[int(t.io.out.op)] += words(a, t.io.out, L * cu);
  }
  void events(const Tile& t, const ArrayShape& a, std::vector<AccessEvent>& ev) const override {
    mode_detail::stationary_events(t, a, false, true, t.cu, ev);
    // the next tile's weights, behind the stream (in stream cycle order)
    const int64_t load = t.loads() ? t.ru : 0;
    std::vector<AccessEvent> pf;
    for (int64_t j = 0; j < t.pf_rows; ++j)
      pf.push_back({load + j, t.io.next_load.op, false, t.pf_rows - 1 - j,
                    mode_detail::words(a, t.io.next_load, t.pf_cols), Port::kTop});
    // a cycle's events are ordered top, left, psum, out: the preload read
    // goes first among its cycle's events
    std::vector<AccessEvent> merged;
    merged.reserve(ev.size() + pf.size());
    size_t i = 0;
    for (const auto& e : ev) {
      while (i < pf.size() && pf[i].cycle <= e.cycle) merged.push_back(pf[i++]);
      merged.push_back(e);
    }
    while (i < pf.size()) merged.push_back(pf[i++]);
    ev.swap(merged);
  }
};

// IS: the WS datapath on Yᵀ = Wᵀ·Xᵀ. A (k0, m0) block of Xᵀ is loaded into
// the PEs (its rows k, its columns the output rows m); the N rows of Wᵀ
// stream from the left; row n of Yᵀ (cu lanes m) leaves at the bottom, a
// partial sum between k blocks. m blocks outer, k blocks inner, as SCALE-Sim
// folds IS. Phases, accesses and events are WS's (L = N); with
// array.weight_double_buffer the next Xᵀ block is preloaded the same way.
class IsMode final : public WsMode {
 public:
  Grid grid(const Pass& p, const ArrayShape& a) const override {
    return {mode_detail::blocks(p.g.m, a.cols), mode_detail::blocks(p.g.k, a.rows), {}};
  }
  // m blocks outer, k blocks inner
  Tile tile(const Pass& p, const ArrayShape& a, int, int64_t o, int64_t i) const override {
    const int64_t M = p.g.m, K = p.g.k, N = p.g.n, R = a.rows, C = a.cols;
    const int64_t m0 = o * C, k0 = i * R;
    Tile t = mode_detail::base_tile(p, 0, m0, k0, 0);
    t.ru = static_cast<int>(std::min(R, K - k0)), t.cu = static_cast<int>(std::min(C, M - m0));
    t.len = N, t.first = k0 == 0, t.last = k0 + R >= K;
    t.io.load = p.a.t().sub(k0, m0);
    t.io.left = p.w.t().sub(0, k0);
    t.io.psum = p.psum.sub(0, m0);
    t.io.out = (t.last ? p.out.t() : p.psum).sub(0, m0);
    return t;
  }
};

}  // namespace

const ModeSchedule& ws_mode() {
  static const WsMode m;
  return m;
}

const ModeSchedule& is_mode() {
  static const IsMode m;
  return m;
}

}  // namespace systrain
