// Tiling and the closed-form tile schedule, checked against hand-derived
// values, against an enumeration of the tile's accesses, and (values) against
// a plain reference GEMM computed without tiling.
#include <doctest/doctest.h>

#include <map>
#include <tuple>

#include "array_model.h"
#include "dataset.h"
#include "workload.h"

using namespace systrain;

namespace {
int64_t sum_words(const std::vector<AccessEvent>& ev, Operand op, bool write) {
  int64_t s = 0;
  for (auto& e : ev)
    if (e.op == op && e.write == write) s += e.words;
  return s;
}
}  // namespace

TEST_CASE("the worked example of model/tile.h") {
  const ArrayShape a{4, 4, 2};
  const auto tiles = tile_gemm({3, 6, 5}, a, Dataflow::kWs, false, 0);
  REQUIRE(tiles.size() == 4);  // n blocks {0,4} x k blocks {0,4}
  const Tile& t = tiles[3];
  CHECK(t.k0 == 4);
  CHECK(t.n0 == 4);
  CHECK(t.ru == 2);
  CHECK(t.cu == 1);
  CHECK_FALSE(t.first);
  CHECK(t.last);
  const TileCost c = tile_cost(t, a);
  CHECK(c.cycles == 2 + 3 + 4 + 4);
  CHECK(c.acc.reads[int(Operand::kWeights)] == 2);
  CHECK(c.acc.reads[int(Operand::kActivations)] == 6);
  CHECK(c.acc.reads[int(Operand::kPartialSums)] == 3 * 1 * 2);
  CHECK(c.acc.writes[int(Operand::kOutputs)] == 3);
  CHECK(c.acc.writes[int(Operand::kPartialSums)] == 0);
}

TEST_CASE("OS closed form: K + 2R + C - 1 cycles") {
  const ArrayShape a{7, 4, 2};
  const auto tiles = tile_gemm({10, 9, 6}, a, Dataflow::kOs, true, 0);
  REQUIRE(tiles.size() == 4);  // m blocks {0,7} x n blocks {0,4}
  const TileCost c = tile_cost(tiles[3], a);  // m0=7 (3 rows), n0=4 (2 cols)
  CHECK(c.cycles == 9 + 14 + 4 - 1);
  CHECK(c.acc.reads[int(Operand::kActivations)] == 9 * 3);
  CHECK(c.acc.reads[int(Operand::kWeights)] == 9 * 2);
  CHECK(c.acc.writes[int(Operand::kOutputs)] == 3 * 2);
}

TEST_CASE("tiles cover every block exactly once, on arrays that do not divide the layer") {
  for (auto [r, c] : {std::pair{1, 1}, {1, 8}, {8, 1}, {3, 5}, {7, 4}, {16, 16}}) {
    const ArrayShape a{r, c, 2};
    const Gemm g{5, 37, 91};
    for (Dataflow df : {Dataflow::kWs, Dataflow::kOs}) {
      CAPTURE(r);
      CAPTURE(c);
      std::map<std::tuple<int64_t, int64_t, int64_t>, int> seen;  // (m, k, n) element products
      int64_t macs = 0;
      for (const Tile& t : tile_gemm(g, a, df, false, 0)) {
        CHECK(t.ru >= 1);
        CHECK(t.ru <= r);
        CHECK(t.cu >= 1);
        CHECK(t.cu <= c);
        const int64_t rows = df == Dataflow::kWs ? g.m : t.ru, ks = df == Dataflow::kWs ? t.ru : g.k;
        macs += rows * ks * t.cu;
        seen[{t.m0, t.k0, t.n0}]++;
      }
      CHECK(macs == g.m * g.k * g.n);
      for (auto& [k, n] : seen) CHECK(n == 1);
    }
  }
}

TEST_CASE("the closed-form counts equal the enumerated schedule, which is cycle-ordered and in range") {
  for (auto [r, c] : {std::pair{1, 1}, {1, 4}, {4, 1}, {3, 5}, {7, 4}}) {
    const ArrayShape a{r, c, 2};
    for (Dataflow df : {Dataflow::kWs, Dataflow::kOs})
      for (const Tile& t : tile_gemm({6, 13, 11}, a, df, false, 0)) {
        const TileCost cost = tile_cost(t, a);
        const auto ev = tile_events(t, a);
        for (size_t i = 0; i < ev.size(); ++i) {
          CHECK(ev[i].cycle >= 0);
          CHECK(ev[i].cycle < cost.cycles);
          if (i) CHECK(ev[i].cycle >= ev[i - 1].cycle);
        }
        for (int o = 0; o < int(Operand::kCount); ++o) {
          CHECK(sum_words(ev, Operand(o), false) == cost.acc.reads[o]);
          CHECK(sum_words(ev, Operand(o), true) == cost.acc.writes[o]);
        }
        // the phases add up to the tile, in controller order
        const auto ph = tile_phases(t, a);
        int64_t sum = 0;
        for (auto v : ph) sum += v;
        CHECK(sum == cost.cycles);
        CHECK(phase_at(t, a, 0) == (df == Dataflow::kWs ? Phase::kLoad : Phase::kStream));
        CHECK(phase_at(t, a, cost.cycles - 1) == Phase::kDrain);
        CHECK(phase_at(t, a, cost.cycles) == Phase::kIdle);
        // the last cycle of a tile writes its last result
        CHECK(ev.back().write);
        CHECK(ev.back().cycle == cost.cycles - 1);
      }
  }
}

TEST_CASE("the TLM array computes the same layer as an untiled reference GEMM") {
  const Numerics num{16, 8, 32};
  for (auto [r, c] : {std::pair{1, 1}, {3, 5}, {7, 4}, {4, 16}})
    for (Dataflow df : {Dataflow::kWs, Dataflow::kOs}) {
      const ArrayShape a{r, c, 2};
      const Gemm g{4, 23, 9};
      Memory mem(2);
      Rng rng(42);
      LayerLayout l;
      l.gemm = g;
      l.y_addr = g.m * g.k;
      auto& act = mem.buffer(Buffer::kActivations);
      auto& wts = mem.buffer(Buffer::kWeights);
      act.assign(g.m * g.k + g.m * g.n, 0);
      wts.assign(g.k * g.n, 0);
      mem.buffer(Buffer::kGradients).assign(g.m * g.n, 0);
      for (int64_t i = 0; i < g.m * g.k; ++i) act[i] = static_cast<int64_t>(rng.next() % 2001) - 1000;
      for (auto& w : wts) w = static_cast<int64_t>(rng.next() % 2001) - 1000;
      TlmArray arr(a, num, true);
      for (const Tile& t : tile_gemm(g, a, df, true, 0)) arr.run_tile(t, l, mem, 0, false);
      for (int64_t m = 0; m < g.m; ++m)
        for (int64_t n = 0; n < g.n; ++n) {
          int64_t s = 0;
          for (int64_t k = 0; k < g.k; ++k) s += act[m * g.k + k] * wts[k * g.n + n];
          CAPTURE(m);
          CAPTURE(n);
          CHECK(act[l.y_addr + m * g.n + n] == requant(s, num, true));
        }
    }
}

TEST_CASE("SRAM bandwidth warnings follow the array edge's peak demand") {
  Config c;
  c.accelerator.array.rows = 16;
  c.accelerator.array.cols = 16;
  c.accelerator.sram.words_per_cycle = 64;  // WS: act 32, grads 2*16*2 = 64, weights 16
  CHECK(sram_bandwidth_warnings(c).empty());
  c.accelerator.sram.words_per_cycle = 63;
  auto w = sram_bandwidth_warnings(c);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("the gradients buffer must move up to 64 words a cycle") == 0);
  c.accelerator.sram.words_per_cycle = 16;
  CHECK(sram_bandwidth_warnings(c).size() == 2);  // activations (32) and gradients (64)
  c.schedule.forward_dataflow = Dataflow::kOs;     // OS: max(R, C) = 16, weights 16, no partial sums
  CHECK(sram_bandwidth_warnings(c).empty());
}
