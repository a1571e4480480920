#include "tile.h"

#include <fmt/format.h>

#include <algorithm>

namespace systrain {

const char* to_string(Operand op) {
  switch (op) {
    case Operand::kActivations: return "activations";
    case Operand::kWeights: return "weights";
    case Operand::kPartialSums: return "partial_sums";
    case Operand::kOutputs: return "outputs";
    case Operand::kCount: break;
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
    case Phase::kCount: break;
  }
  return "?";
}

std::array<int64_t, int(Phase::kCount)> tile_phases(const Tile& t, const ArrayShape& a) {
  std::array<int64_t, int(Phase::kCount)> p{};
  p[int(Phase::kStream)] = t.len;
  if (t.dataflow == Dataflow::kWs) {
    p[int(Phase::kLoad)] = t.ru;
    p[int(Phase::kDrain)] = a.rows + a.cols;
  } else {
    p[int(Phase::kFlush)] = a.rows + a.cols - 1;
    p[int(Phase::kDrain)] = a.rows;
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
  const auto R = a.rows, C = a.cols;
  const int64_t wpp = a.words_per_psum, L = t.len, ru = t.ru, cu = t.cu;
  auto& rd = c.acc.reads;
  auto& wr = c.acc.writes;
  if (t.dataflow == Dataflow::kWs) {
    c.cycles = ru + L + R + C;
    rd[int(Operand::kWeights)] = ru * cu;
    rd[int(Operand::kActivations)] = L * ru;
    if (!t.first) rd[int(Operand::kPartialSums)] = L * cu * wpp;
    if (t.last) wr[int(Operand::kOutputs)] = L * cu;
    else wr[int(Operand::kPartialSums)] = L * cu * wpp;
  } else {
    c.cycles = L + 2 * R + C - 1;
    rd[int(Operand::kActivations)] = L * ru;
    rd[int(Operand::kWeights)] = L * cu;
    wr[int(Operand::kOutputs)] = ru * cu;
  }
  return c;
}

std::vector<Tile> tile_gemm(const Gemm& g, const ArrayShape& a, Dataflow df, bool relu, int layer) {
  std::vector<Tile> tiles;
  int64_t idx = 0;
  if (df == Dataflow::kWs) {
    for (int64_t n0 = 0; n0 < g.n; n0 += a.cols)
      for (int64_t k0 = 0; k0 < g.k; k0 += a.rows) {
        Tile t;
        t.dataflow = df, t.layer = layer, t.index = idx++, t.m0 = 0, t.k0 = k0, t.n0 = n0;
        t.ru = static_cast<int>(std::min<int64_t>(a.rows, g.k - k0));
        t.cu = static_cast<int>(std::min<int64_t>(a.cols, g.n - n0));
        t.len = g.m, t.first = k0 == 0, t.last = k0 + a.rows >= g.k, t.relu = relu;
        tiles.push_back(t);
      }
  } else {
    for (int64_t m0 = 0; m0 < g.m; m0 += a.rows)
      for (int64_t n0 = 0; n0 < g.n; n0 += a.cols) {
        Tile t;
        t.dataflow = df, t.layer = layer, t.index = idx++, t.m0 = m0, t.k0 = 0, t.n0 = n0;
        t.ru = static_cast<int>(std::min<int64_t>(a.rows, g.m - m0));
        t.cu = static_cast<int>(std::min<int64_t>(a.cols, g.n - n0));
        t.len = g.k, t.first = true, t.last = true, t.relu = relu;
        tiles.push_back(t);
      }
  }
  return tiles;
}

std::vector<AccessEvent> tile_events(const Tile& t, const ArrayShape& a) {
  std::vector<AccessEvent> ev;
  const int64_t R = a.rows, C = a.cols, L = t.len, ru = t.ru, cu = t.cu;
  const Operand out = output_operand(t);
  if (t.dataflow == Dataflow::kWs) {
    for (int64_t j = 0; j < ru; ++j) ev.push_back({j, Operand::kWeights, false, ru - 1 - j, cu});
    for (int64_t j = 0; j < L + R + C; ++j) {
      if (j < L) {
        ev.push_back({ru + j, Operand::kActivations, false, j, ru});
        if (!t.first)
          ev.push_back({ru + j, Operand::kPartialSums, false, j, cu * a.words_per_element(Operand::kPartialSums)});
      }
      const int64_t o = j - (R + C);  // output row leaving in this cycle
      if (o >= 0 && o < L) ev.push_back({ru + j, out, true, o, cu * a.words_per_element(out)});
    }
  } else {
    for (int64_t j = 0; j < L; ++j) {
      ev.push_back({j, Operand::kActivations, false, j, ru});
      ev.push_back({j, Operand::kWeights, false, j, cu});
    }
    for (int64_t d = 0; d < R; ++d) {
      const int64_t row = R - 1 - d;
      if (row < ru) ev.push_back({L + R + C - 1 + d, Operand::kOutputs, true, row, cu});
    }
  }
  return ev;
}

std::string describe(const Tile& t) {
  return fmt::format("{} tile {} (m0={} k0={} n0={} rows_used={} cols_used={} len={}{}{})", to_string(t.dataflow),
                     t.index, t.m0, t.k0, t.n0, t.ru, t.cu, t.len, t.first ? " first" : "", t.last ? " last" : "");
}

std::string describe(const AccessEvent& e) {
  return fmt::format("cycle {}: {} {} index {} ({} words)", e.cycle, e.write ? "write" : "read", to_string(e.op),
                     e.index, e.words);
}

}  // namespace systrain
