#include "pass.h"

#include <algorithm>

namespace systrain {

std::vector<Tile> tile_pass(const Pass& p, const ArrayShape& a, int multipliers) {
  std::vector<Tile> tiles;
  const int64_t M = p.g.m, K = p.g.k, N = p.g.n, R = a.rows, C = a.cols;
  auto base = [&](int64_t m0, int64_t k0, int64_t n0) {
    Tile t;
    t.mode = p.mode, t.layer = p.layer, t.index = static_cast<int64_t>(tiles.size());
    t.m0 = m0, t.k0 = k0, t.n0 = n0, t.relu = p.relu, t.shift = p.shift;
    return t;
  };
  switch (p.mode) {
    case Mode::kWs:
      for (int64_t n0 = 0; n0 < N; n0 += C)
        for (int64_t k0 = 0; k0 < K; k0 += R) {
          Tile t = base(0, k0, n0);
          t.ru = static_cast<int>(std::min(R, K - k0)), t.cu = static_cast<int>(std::min(C, N - n0));
          t.len = M, t.first = k0 == 0, t.last = k0 + R >= K;
          t.io.load = p.w.sub(k0, n0);
          t.io.left = p.a.sub(0, k0);
          t.io.psum = p.psum.sub(0, n0);
          t.io.out = (t.last ? p.out : p.psum).sub(0, n0);
          tiles.push_back(t);
        }
      break;
    case Mode::kOs:
      for (int64_t m0 = 0; m0 < M; m0 += R)
        for (int64_t n0 = 0; n0 < N; n0 += C) {
          Tile t = base(m0, 0, n0);
          t.ru = static_cast<int>(std::min(R, M - m0)), t.cu = static_cast<int>(std::min(C, N - n0));
          t.len = K;
          t.io.left = p.a.sub(m0, 0).t();  // stream step j: column j of A, lanes down its rows
          t.io.top = p.b.sub(0, n0);
          t.io.out = p.out.sub(m0, n0);
          tiles.push_back(t);
        }
      break;
    case Mode::kAg:
    case Mode::kIl:
      for (int64_t k0 = 0; k0 < K; k0 += R)
        for (int64_t n0 = 0; n0 < N; n0 += C) {
          Tile t = base(0, k0, n0);
          t.ru = static_cast<int>(std::min(R, K - k0)), t.cu = static_cast<int>(std::min(C, N - n0));
          t.xu = static_cast<int>(std::clamp<int64_t>(p.dx_rows - k0, 0, t.ru));
          t.len = M, t.first = n0 == 0, t.last = n0 + C >= N;
          t.ag = (p.mode == Mode::kAg || p.ag) && t.xu > 0;
          t.relu = false;
          t.io.load = p.w.sub(k0, n0);
          t.io.top = p.b.sub(0, n0);
          t.io.psum = p.psum.sub(0, k0);
          t.io.out = (t.last ? p.out : p.psum).sub(0, k0);
          if (p.mode == Mode::kIl) {
            t.slow = t.ag && multipliers == 1;
            t.io.left = p.a.sub(0, k0);
            t.io.wb = p.w.sub(k0, n0);
            t.g_shift = p.g_shift, t.upd_shift = p.upd_shift, t.lr = p.lr;
          }
          tiles.push_back(t);
        }
      break;
  }
  return tiles;
}

}  // namespace systrain
