// OS: an (m0, n0) block of the output accumulates in the PEs while A's
// columns and B's rows stream in; m blocks outer, n blocks inner. The forward
// pass (A = X, B = W) and the weight gradient (A = Xᵀ, B = dY, out = dW).
#include <algorithm>

#include "mode.h"

namespace systrain {
namespace {

class OsMode final : public ModeSchedule {
 public:
  Grid grid(const Pass& p, const ArrayShape& a) const override {
    return {mode_detail::blocks(p.g.m, a.rows), mode_detail::blocks(p.g.n, a.cols), {}};
  }
  // m blocks outer, n blocks inner
  Tile tile(const Pass& p, const ArrayShape& a, int, int64_t o, int64_t i) const override {
    const int64_t M = p.g.m, K = p.g.k, N = p.g.n, R = a.rows, C = a.cols;
    const int64_t m0 = o * R, n0 = i * C;
    Tile t = mode_detail::base_tile(p, 0, m0, 0, n0);
    t.ru = static_cast<int>(std::min(R, M - m0)), t.cu = static_cast<int>(std::min(C, N - n0));
    t.len = K;
    t.io.left = p.a.sub(m0, 0).t();  // stream step j: column j of A, lanes down its rows
    t.io.top = p.b.sub(0, n0);
    t.io.out = p.out.sub(m0, n0);
    return t;
  }
  std::array<int64_t, int(Phase::kCount)> phases(const Tile& t, const ArrayShape& a) const override {
    std::array<int64_t, int(Phase::kCount)> p{};
    p[int(Phase::kStream)] = t.len;
    p[int(Phase::kFlush)] = a.rows + a.cols - 1;
    p[int(Phase::kDrain)] = a.rows;
    return p;
  }
  void accesses(const Tile& t, const ArrayShape& a, TileAccesses& c) const override {
    using mode_detail::words;
    c.reads[int(t.io.top.op)] += words(a, t.io.top, t.len * t.cu);
    c.reads[int(t.io.left.op)] += words(a, t.io.left, t.len * t.ru);
    c.writes[int(t.io.out.op)] += words(a, t.io.out, int64_t{t.ru} * t.cu);
  }
  // stream j: B row j (top) and A column j (left); the drain writes tile row
  // R−1−d in cycle L + VD − 1 + d, rows beyond ru skipped
  void events(const Tile& t, const ArrayShape& a, std::vector<AccessEvent>& ev) const override {
    using mode_detail::words;
    const int64_t R = a.rows, vd = a.rows + a.cols, L = t.len;
    for (int64_t j = 0; j < L; ++j) {
      ev.push_back({j, t.io.top.op, false, j, words(a, t.io.top, t.cu), Port::kTop});
      ev.push_back({j, t.io.left.op, false, j, words(a, t.io.left, t.ru), Port::kLeft});
    }
    for (int64_t d = 0; d < R; ++d)
      if (R - 1 - d < t.ru) ev.push_back({L + vd - 1 + d, t.io.out.op, true, R - 1 - d, words(a, t.io.out, t.cu), Port::kOut});
  }
};

}  // namespace

const ModeSchedule& os_mode() {
  static const OsMode m;
  return m;
}

}  // namespace systrain
