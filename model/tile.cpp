#include "tile.h"

#include <fmt/format.h>

#include <algorithm>

namespace systrain {

const char* to_string(Operand op) {
  switch (op) {
    case Operand::kX: return "x";
    case Operand::kW: return "w";
    case Operand::kY: return "y";
    case Operand::kPsum: return "psum";
    case Operand::kDy: return "dy";
    case Operand::kDx: return "dx";
    case Operand::kDw: return "dw";
    case Operand::kCount: break;
  }
  return "?";
}

const char* to_string(Mode m) {
  switch (m) {
    case Mode::kWs: return "ws";
    case Mode::kOs: return "os";
    case Mode::kAg: return "ag";
    case Mode::kIl: return "il";
  }
  return "?";
}

const char* to_string(Phase p) {
  switch (p) {
    case Phase::kIdle: return "idle";
    case Phase::kLoad: return "load";
    case Phase::kStream: return "stream";
    case Phase::kFlush: return "flush";
    case Phase::kDrain: return "drain";
    case Phase::kUpdate: return "update";
    case Phase::kWriteback: return "writeback";
    case Phase::kCount: break;
  }
  return "?";
}

std::array<int64_t, int(Phase::kCount)> tile_phases(const Tile& t, const ArrayShape& a) {
  std::array<int64_t, int(Phase::kCount)> p{};
  const int64_t vd = a.rows + a.cols, s = t.s();
  if (t.mode == Mode::kOs) {
    p[int(Phase::kStream)] = t.len;
    p[int(Phase::kFlush)] = vd - 1;
    p[int(Phase::kDrain)] = a.rows;
    return p;
  }
  p[int(Phase::kLoad)] = t.ru;
  p[int(Phase::kStream)] = s * t.len;
  p[int(Phase::kDrain)] = s * vd;
  if (t.mode == Mode::kIl) {
    p[int(Phase::kUpdate)] = 1;
    p[int(Phase::kWriteback)] = a.rows;
  }
  return p;
}

Phase phase_at(const Tile& t, const ArrayShape& a, int64_t rel) {
  const auto p = tile_phases(t, a);
  for (int i = int(Phase::kLoad); i < int(Phase::kCount); ++i) {
    if (rel < p[i]) return Phase(i);
    rel -= p[i];
  }
  return Phase::kIdle;
}

TileCost tile_cost(const Tile& t, const ArrayShape& a) {
  TileCost c;
  for (int64_t v : tile_phases(t, a)) c.cycles += v;
  const int64_t L = t.len, ru = t.ru, cu = t.cu, xu = t.xu;
  auto rd = [&](const Mat& m, int64_t elems) { c.acc.reads[int(m.op)] += elems * a.words_per_element(m.op); };
  auto wr = [&](const Mat& m, int64_t elems) { c.acc.writes[int(m.op)] += elems * a.words_per_element(m.op); };
  switch (t.mode) {
    case Mode::kWs:
      rd(t.io.load, ru * cu);
      rd(t.io.left, L * ru);
      if (t.reads_psum()) rd(t.io.psum, L * cu);
      wr(t.io.out, L * cu);
      break;
    case Mode::kOs:
      rd(t.io.top, L * cu);
      rd(t.io.left, L * ru);
      wr(t.io.out, ru * cu);
      break;
    case Mode::kAg:
    case Mode::kIl:
      rd(t.io.load, ru * cu);
      rd(t.io.top, L * cu);
      if (t.mode == Mode::kIl) rd(t.io.left, L * ru);
      if (t.reads_psum()) rd(t.io.psum, L * xu);
      if (t.ag) wr(t.io.out, L * xu);
      if (t.mode == Mode::kIl) wr(t.io.wb, ru * cu);
      break;
  }
  return c;
}

std::vector<AccessEvent> tile_events(const Tile& t, const ArrayShape& a) {
  std::vector<AccessEvent> ev;
  const int64_t R = a.rows, vd = a.rows + a.cols, L = t.len, ru = t.ru, cu = t.cu, xu = t.xu, s = t.s();
  auto words = [&](const Mat& m, int64_t lanes) { return lanes * a.words_per_element(m.op); };
  if (t.mode == Mode::kOs) {
    for (int64_t j = 0; j < L; ++j) {
      ev.push_back({j, t.io.top.op, false, j, words(t.io.top, cu), Port::kTop});
      ev.push_back({j, t.io.left.op, false, j, words(t.io.left, ru), Port::kLeft});
    }
    for (int64_t d = 0; d < R; ++d)
      if (R - 1 - d < ru) ev.push_back({L + vd - 1 + d, t.io.out.op, true, R - 1 - d, words(t.io.out, cu), Port::kOut});
    return ev;
  }
  for (int64_t j = 0; j < ru; ++j) ev.push_back({j, t.io.load.op, false, ru - 1 - j, words(t.io.load, cu), Port::kTop});
  const int64_t out_lanes = t.mode == Mode::kWs ? cu : xu, psum_lanes = out_lanes;
  // stream and drain: reads of row j in stream cycle s·j, results of row o in
  // stream cycle s·(o + VD) − (s − 1)
  for (int64_t rel = 0; rel < s * (L + vd); ++rel) {
    const int64_t c = ru + rel;
    if (rel % s == 0 && rel / s < L) {
      const int64_t j = rel / s;
      if (t.mode != Mode::kWs) ev.push_back({c, t.io.top.op, false, j, words(t.io.top, cu), Port::kTop});
      if (t.mode != Mode::kAg) ev.push_back({c, t.io.left.op, false, j, words(t.io.left, ru), Port::kLeft});
      if (t.reads_psum()) ev.push_back({c, t.io.psum.op, false, j, words(t.io.psum, psum_lanes), Port::kPsum});
    }
    const int64_t o = (rel + s - 1) / s - vd;
    if (t.row_outputs() && (rel + s - 1) % s == 0 && o >= 0 && o < L)
      ev.push_back({c, t.io.out.op, true, o, words(t.io.out, out_lanes), Port::kOut});
  }
  if (t.mode == Mode::kIl) {
    const int64_t wb0 = ru + s * (L + vd) + 1;
    for (int64_t d = 0; d < R; ++d)
      if (R - 1 - d < ru) ev.push_back({wb0 + d, t.io.wb.op, true, R - 1 - d, words(t.io.wb, cu), Port::kOut});
  }
  return ev;
}

std::string describe(const Tile& t) {
  return fmt::format("{} tile {} (m0={} k0={} n0={} rows_used={} cols_used={} len={}{}{}{}{})", to_string(t.mode),
                     t.index, t.m0, t.k0, t.n0, t.ru, t.cu, t.len, t.first ? " first" : "", t.last ? " last" : "",
                     t.mode == Mode::kIl && t.ag ? fmt::format(" dx_lanes={}", t.xu) : "", t.slow ? " s=2" : "");
}

std::string describe(const AccessEvent& e) {
  return fmt::format("cycle {}: {} {} index {} ({} words)", e.cycle, e.write ? "write" : "read", to_string(e.op),
                     e.index, e.words);
}

}  // namespace systrain
