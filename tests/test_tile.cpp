// Tiling and the closed-form tile schedule of every mode, checked against
// hand-derived values, against an enumeration of the tile's accesses, and
// (values) against plain reference GEMMs computed without tiling: exact
// integers for fixed point, double precision for float32.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <regex>
#include <cmath>
#include <map>
#include <tuple>

#include "pass_util.h"
#include "schedule.h"
#include "workload.h"

using namespace systrain;
using namespace systrain::test;

namespace {
int64_t sum_words(const std::vector<AccessEvent>& ev, Operand op, bool write) {
  int64_t s = 0;
  for (auto& e : ev)
    if (e.op == op && e.write == write) s += e.words;
  return s;
}
}  // namespace

TEST_CASE("the worked examples of model/systolic/tile.h") {
  const ArrayShape a{4, 4, 2};
  LayerCase c{3, 6, 5, false};
  const auto tiles = tile_pass(make_pass(Kind::kFwdWs, c, false, 8, 0, 0, 0), a, 1);
  REQUIRE(tiles.size() == 4);  // n blocks {0,4} x k blocks {0,4}
  const Tile& t = tiles[3];
  CHECK(t.k0 == 4);
  CHECK(t.n0 == 4);
  CHECK(t.ru == 2);
  CHECK(t.cu == 1);
  CHECK_FALSE(t.first);
  CHECK(t.last);
  const TileCost cost = tile_cost(t, a);
  CHECK(cost.cycles == 2 + 3 + 4 + 4);
  CHECK(cost.acc.reads[int(Operand::kW)] == 2);
  CHECK(cost.acc.reads[int(Operand::kX)] == 6);
  CHECK(cost.acc.reads[int(Operand::kPsum)] == 3 * 1 * 2);
  CHECK(cost.acc.writes[int(Operand::kY)] == 3);
  CHECK(cost.acc.writes[int(Operand::kPsum)] == 0);
  // the same block in the interleaved mode on one multiplier: s = 2
  const auto il = tile_pass(make_pass(Kind::kIl, c, false, 8, 8, 16, 1), a, 1);
  REQUIRE(il.size() == 4);  // k blocks {0,4} x n blocks {0,4}
  CHECK(il[3].k0 == 4);
  CHECK(il[3].n0 == 4);
  CHECK(il[3].slow);
  CHECK(tile_cost(il[3], a).cycles == 2 + 2 * (3 + 8) + 1 + 4);
  CHECK(tile_cost(tile_pass(make_pass(Kind::kIl, c, false, 8, 8, 16, 1), a, 2)[3], a).cycles == 2 + (3 + 8) + 1 + 4);
}

TEST_CASE("OS closed form: K + 2R + C - 1 cycles; WG is OS on Xᵀ and dY") {
  const ArrayShape a{7, 4, 2};
  LayerCase c{10, 9, 6, false};
  const auto tiles = tile_pass(make_pass(Kind::kFwdOs, c, true, 8, 0, 0, 0), a, 1);
  REQUIRE(tiles.size() == 4);  // m blocks {0,7} x n blocks {0,4}
  const TileCost cost = tile_cost(tiles[3], a);  // m0=7 (3 rows), n0=4 (2 cols)
  CHECK(cost.cycles == 9 + 14 + 4 - 1);
  CHECK(cost.acc.reads[int(Operand::kX)] == 9 * 3);
  CHECK(cost.acc.reads[int(Operand::kW)] == 9 * 2);
  CHECK(cost.acc.writes[int(Operand::kY)] == 3 * 2);
  const auto wg = tile_pass(make_pass(Kind::kWg, c, false, 8, 0, 0, 0), a, 1);
  REQUIRE(wg.size() == 2 * 2);  // k blocks {0,7} of dW x n blocks {0,4}
  CHECK(tile_cost(wg[0], a).cycles == 10 + 14 + 4 - 1);  // streams the 10 samples
  CHECK(tile_cost(wg[0], a).acc.reads[int(Operand::kDy)] == 10 * 4);
  CHECK(tile_cost(wg[0], a).acc.writes[int(Operand::kDw)] == 7 * 4);
}

TEST_CASE("the closed-form counts equal the enumerated schedule, which is cycle-ordered and in range") {
  for (auto [r, c] : {std::pair{1, 1}, {1, 4}, {4, 1}, {3, 5}, {7, 4}})
    for (int mult : {1, 2})
      for (Kind kind : kAllKinds)
        for (bool bias : {false, true})
          for (bool db : {false, true}) {
          ArrayShape a{r, c, 2};
          a.weight_double_buffer = db;
          LayerCase lc{6, 13, 11, bias};
          for (const Tile& t : tile_pass(make_pass(kind, lc, false, 8, 8, 16, 1), a, mult)) {
            CAPTURE(describe(t));
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
            int64_t sum = 0;
            for (auto v : tile_phases(t, a)) sum += v;
            CHECK(sum == cost.cycles);
            CHECK(phase_at(t, a, 0) == (t.mode == Mode::kOs || t.preloaded ? Phase::kStream : Phase::kLoad));
            CHECK(phase_at(t, a, cost.cycles - 1) == (t.mode == Mode::kIl ? Phase::kWriteback : Phase::kDrain));
            CHECK(phase_at(t, a, cost.cycles) == Phase::kIdle);
          }
        }
}

TEST_CASE("double-buffered weights: a WS pass loads its first block only; each tile preloads the next behind its stream") {
  ArrayShape a{4, 4, 2};
  a.weight_double_buffer = true;
  LayerCase lc{6, 13, 11, false};  // 4 k blocks (4, 4, 4, 1 rows) x 3 n blocks (4, 4, 3 columns)
  const auto tiles = tile_pass(make_pass(Kind::kFwdWs, lc, false, 8, 8, 16, 1), a, 1);
  REQUIRE(tiles.size() == 12);
  int64_t cycles = 0, w_reads = 0;
  for (size_t i = 0; i < tiles.size(); ++i) {
    const Tile& t = tiles[i];
    CAPTURE(describe(t));
    CHECK(t.preloaded == (i > 0));
    CHECK(t.pf_rows == (i + 1 < tiles.size() ? tiles[i + 1].ru : 0));
    cycles += tile_cost(t, a).cycles;
    w_reads += tile_cost(t, a).acc.reads[int(Operand::kW)];
  }
  CHECK(cycles == tiles[0].ru + 12 * (6 + 8));  // one LOAD, then L + VD a tile
  CHECK(w_reads == lc.kw() * lc.n);             // every weight read once
  // the preload reads go in the first stream cycles, through the top port
  const auto ev = tile_events(tiles[0], a);
  CHECK(ev[4].cycle == 4);
  CHECK(ev[4].port == Port::kTop);
  CHECK(ev[4].index == tiles[1].ru - 1);
  // a stream shorter than the next block cannot hide it
  LayerCase one{2, 13, 11, false};
  const auto short_tiles = tile_pass(make_pass(Kind::kFwdWs, one, false, 8, 8, 16, 1), a, 1);
  CHECK(!short_tiles[1].preloaded);
  CHECK(short_tiles[3].preloaded);  // after the 1-row block: a 2-row stream hides 1 row
}

TEST_CASE("IS: (k0, m0) blocks of Xᵀ held while Wᵀ streams; SCALE-Sim's IS fold is ours minus ru − R + 2") {
  // SCALE-Sim v2's IS (compute/systolic_compute_is.py): Sr = K rows, Sc = M columns, T = N; folds m outer, k
  // inner; a fold's IFMAP demand is R rows of the block and R + C + T − 2 more: 2R + C + N − 2 cycles
  const int64_t R = 32, C = 32;
  ArrayShape a{32, 32, 2};
  // AlexNet conv1–5 (227 input, SCALE-Sim's file): M = OFMAP², K = F²·C, N = filters
  const std::array<int64_t, 3> layers[] = {{55 * 55, 11 * 11 * 3, 96}, {27 * 27, 5 * 5 * 96, 256},
                                           {13 * 13, 3 * 3 * 256, 384}, {13 * 13, 3 * 3 * 384, 384},
                                           {13 * 13, 3 * 3 * 384, 256}};
  for (const auto& [M, K, N] : layers) {
    CAPTURE(M);
    CAPTURE(K);
    LayerCase lc{M, K, N, false};
    const Pass p = make_pass(Kind::kFwdIs, lc, false, 8, 0, 0, 0);
    int64_t ours = 0, scalesim = 0, extra = 0, tiles = 0;
    for (const Tile& t : tile_pass(p, a, 1)) {
      CHECK(t.mode == Mode::kIs);
      CHECK(t.len == N);
      CHECK(hardware_mode(t.mode) == int(Mode::kWs));
      ours += tile_cost(t, a).cycles;
      extra += t.ru - R + 2;
      ++tiles;
    }
    const int64_t folds = ((K + R - 1) / R) * ((M + C - 1) / C);
    CHECK(tiles == folds);
    scalesim = folds * (2 * R + C + N - 2);
    CHECK(ours == scalesim + extra);
  }
  // the tiles cover Xᵀ once: k blocks inner, m blocks outer, each (k0, m0) block loaded from X's columns
  LayerCase lc{10, 7, 3, true};  // kw = 8
  ArrayShape b{3, 4, 2};
  const auto tiles = tile_pass(make_pass(Kind::kFwdIs, lc, false, 8, 0, 0, 0), b, 1);
  REQUIRE(tiles.size() == 3 * 3);  // m blocks of 4 (4, 4, 2) × k blocks of 3 (3, 3, 2)
  CHECK(tiles[0].m0 == 0);
  CHECK(tiles[1].k0 == 3);
  CHECK(tiles[3].m0 == 4);
  CHECK(tiles[8].ru == 2);
  CHECK(tiles[8].cu == 2);
  CHECK(tiles[2].last);
  CHECK(!tiles[1].last);
  CHECK(tiles[4].io.load.at(1, 2) == lc.x().at(4 + 2, 3 + 1));  // Xᵀ(k, m) = X(m, k)
  CHECK(tiles[4].io.left.at(2, 1) == lc.w().at(3 + 1, 2));      // Wᵀ(n, k) = W(k, n)
  CHECK(tiles[5].io.out.at(2, 1) == lc.y().at(4 + 1, 2));       // Yᵀ(n, m) = Y(m, n), the last k block
}

TEST_CASE("forward_dataflow: auto takes, per layer, the least closed-form cycles of WS, OS and IS") {
  // on 8×8: WS wins a tall GEMM, OS one of a single row, IS a short wide one (M < N: IS is WS with M, N swapped)
  struct Case {
    int64_t m, k, n;
    Mode want;
  } cases[] = {{64, 8, 1, Mode::kWs}, {1, 64, 64, Mode::kOs}, {8, 64, 256, Mode::kIs}};
  for (const auto& c : cases) {
    CAPTURE(c.m);
    Config cfg;
    cfg.accelerator.array.rows = cfg.accelerator.array.cols = 8;
    cfg.accelerator.sram.words_per_cycle = 65536;  // no SRAM stalls: the phases alone decide
    cfg.network.input_shape = {static_cast<int>(c.k)};
    LayerConfig d;
    d.units = static_cast<int>(c.n);
    cfg.network.layers = {d};
    cfg.training.batch = static_cast<int>(c.m);
    cfg.schedule.forward_dataflow = Dataflow::kAuto;
    const Workload w = build_workload(cfg);
    const StepLayout l = step_layout(w, c.m);
    const Pass f = forward_pass(cfg, w, l, 0, c.m);
    CHECK(f.mode == c.want);
    // each closed form is the explicit dataflow's pass
    const ArrayShape a = array_shape(cfg);
    const Dataflow dfs[3] = {Dataflow::kWs, Dataflow::kOs, Dataflow::kIs};
    for (int i = 0; i < 3; ++i) {
      cfg.schedule.forward_dataflow = dfs[i];
      const Pass e = forward_pass(cfg, w, l, 0, c.m);
      CHECK(f.auto_cycles[i] == pass_closed_form(e, a));
      CHECK(f.auto_cycles[i] >= f.auto_cycles[int(c.want == Mode::kWs ? 0 : c.want == Mode::kOs ? 1 : 2)]);
    }
    // with the default SRAM (16 banks, 32 words a cycle) the stalls count too: IS reads X and W along their
    // columns and writes Y along its columns, and the short wide GEMM goes back to WS
    if (c.want == Mode::kIs) {
      cfg.accelerator.sram.words_per_cycle = Config().accelerator.sram.words_per_cycle;
      cfg.schedule.forward_dataflow = Dataflow::kAuto;
      const Pass g = forward_pass(cfg, w, l, 0, c.m);
      CHECK(g.auto_cycles[2] > f.auto_cycles[2]);
      CHECK(g.mode == Mode::kWs);
    }
  }
}

TEST_CASE("the AG and IL tiles cover every W block once and skip the bias row's dX") {
  const ArrayShape a{3, 5, 2};
  LayerCase lc{4, 9, 7, true};  // kw = 10: the last k block holds only the bias row
  const auto tiles = tile_pass(make_pass(Kind::kIl, lc, false, 8, 8, 16, 1), a, 1);
  std::map<std::pair<int64_t, int64_t>, int> seen;
  for (const Tile& t : tiles) {
    seen[{t.k0, t.n0}]++;
    CHECK(t.xu == std::min<int64_t>(t.ru, std::max<int64_t>(0, 9 - t.k0)));
    CHECK(t.ag == (t.xu > 0));
  }
  CHECK(seen.size() == 4 * 2);
  for (auto& [k, n] : seen) CHECK(n == 1);
  CHECK(tile_pass(make_pass(Kind::kAg, lc, false, 8, 0, 0, 0), a, 1).size() == 3 * 2);  // AG: the 9 rows only
}

namespace {

// every mode's values against a plain untiled computation on the same inputs
void check_values(const Numerics& num, const ArrayShape& a, const LayerCase& lc, uint64_t seed) {
  const int shift = num.frac_bits, g_shift = num.frac_bits, upd_shift = 16;
  const int64_t lr = 3277;
  const float lrf = 0.05f;
  for (Kind kind : kAllKinds) {
    CAPTURE(name(kind));
    Memory mem(a.words_per_psum);
    Rng rng(seed);
    fill(mem, lc, num.data_bits, num.is_float, rng);
    const Memory before = mem;
    TlmArray arr(a, num, true, lrf);
    const Pass p = make_pass(kind, lc, true, shift, g_shift, upd_shift, lr);
    for (const Tile& t : tile_pass(p, a, 1)) arr.run(t, mem, 0, false);
    const auto& x = before.buffer(Buffer::kActivations);
    const auto& w = before.buffer(Buffer::kWeights);
    const auto& g = before.buffer(Buffer::kGradients);
    auto val = [&](int64_t word) { return num.is_float ? static_cast<double>(w2f(word)) : static_cast<double>(word); };
    // result (i, j) of `out` against the reference sum of `terms` products
    auto check = [&](const Mat& out, int64_t i, int64_t j, const std::vector<std::pair<double, double>>& terms,
                     bool relu, int sh) {
      double s = 0, mag = 0;
      for (auto [u, v] : terms) s += u * v, mag += std::abs(u * v);
      const int64_t got = mem.buffer(out.buf)[out.at(i, j)];
      CAPTURE(i);
      CAPTURE(j);
      if (num.is_float) {
        const double ref = relu && s < 0 ? 0 : s;
        CHECK(std::abs(w2f(got) - ref) <= 1e-5 * std::max(1.0, mag));
      } else {  // exact: the sum is an integer below 2^53, wrapped to acc_bits as the array does
        CHECK(got == requant(wrap(static_cast<int64_t>(s), num.acc_bits), sh, num.data_bits, relu));
      }
    };
    const Mat X = lc.x(), W = lc.w(), DY = lc.dy();
    switch (kind) {
      case Kind::kFwdWs:
      case Kind::kFwdOs:
      case Kind::kFwdIs:
        for (int64_t i = 0; i < lc.m; ++i)
          for (int64_t j = 0; j < lc.n; ++j) {
            std::vector<std::pair<double, double>> t;
            for (int64_t k = 0; k < lc.kw(); ++k) t.push_back({val(x[X.at(i, k)]), val(w[W.at(k, j)])});
            check(lc.y(), i, j, t, true, shift);
          }
        break;
      case Kind::kAg:
      case Kind::kIl:
        for (int64_t i = 0; i < lc.m; ++i)
          for (int64_t k = 0; k < lc.k; ++k) {
            std::vector<std::pair<double, double>> t;
            for (int64_t j = 0; j < lc.n; ++j) t.push_back({val(g[DY.at(i, j)]), val(w[W.at(k, j)])});
            check(lc.dx(), i, k, t, false, shift);
          }
        if (kind == Kind::kAg) break;
        [[fallthrough]];
      case Kind::kIlNoAg:
      case Kind::kWg:
        for (int64_t k = 0; k < lc.kw(); ++k)
          for (int64_t j = 0; j < lc.n; ++j) {
            double s = 0, mag = 0;
            for (int64_t i = 0; i < lc.m; ++i) {
              const double u = val(x[X.at(i, k)]) * val(g[DY.at(i, j)]);
              s += u, mag += std::abs(u);
            }
            CAPTURE(k);
            CAPTURE(j);
            if (kind == Kind::kWg) {
              const int64_t got = mem.buffer(Buffer::kGradients)[lc.dw().at(k, j)];
              if (num.is_float) CHECK(std::abs(w2f(got) - s) <= 1e-5 * std::max(1.0, mag));
              else CHECK(got == requant(wrap(static_cast<int64_t>(s), num.acc_bits), g_shift, num.data_bits, false));
            } else {  // the update W − η·dW, written back in place
              const int64_t w0 = w[W.at(k, j)], got = mem.buffer(Buffer::kWeights)[W.at(k, j)];
              if (num.is_float) {
                CHECK(std::abs(w2f(got) - (val(w0) - lrf * s)) <= 1e-5 * std::max(1.0, std::abs(val(w0)) + lrf * mag));
              } else {
                const int64_t dwq = requant(wrap(static_cast<int64_t>(s), num.acc_bits), g_shift, num.data_bits, false);
                const int64_t step = (lr * dwq + (int64_t{1} << (upd_shift - 1))) >> upd_shift;
                CHECK(got == std::clamp<int64_t>(w0 - step, -(int64_t{1} << (num.data_bits - 1)),
                                                 (int64_t{1} << (num.data_bits - 1)) - 1));
              }
            }
          }
        break;
    }
  }
}

}  // namespace

TEST_CASE("fixed point: every mode computes what an untiled integer reference computes") {
  const Numerics num{16, 8, 32};
  for (auto [r, c] : {std::pair{1, 1}, {3, 5}, {7, 4}, {4, 16}})
    for (bool bias : {false, true})
      for (bool db : {false, true}) {  // double-buffered weights: the same values
        ArrayShape a{r, c, 2};
        a.weight_double_buffer = db;
        check_values(num, a, {5, 23, 9, bias}, 42);
      }
}

TEST_CASE("float32: every mode is within 1e-5 relative of a double-precision reference") {
  Numerics num{16, 8, 32};
  num.is_float = true;
  for (auto [r, c] : {std::pair{1, 1}, {3, 5}, {16, 16}})
    for (bool bias : {false, true}) check_values(num, {r, c, 1}, {7, 37, 12, bias}, 7);
}

TEST_CASE("a fixed-point format whose every operand saturates is warned about") {
  Config c;
  c.accelerator.sram.words_per_cycle = 1 << 12;
  c.accelerator.numerics.data_bits = 8;
  c.accelerator.numerics.frac_bits = 12;
  const auto w = config_warnings(c);
  REQUIRE(w.size() == 4);  // activations, weights, errors, gradients all take frac_bits
  CHECK(w[0].find("activation values have 12 fractional bits in 8-bit words") == 0);
}

TEST_CASE("the RTL package and the C++ model name the same modes and phases with the same codes") {
  // rtl/common/systrain_pkg.sv: M_WS = 2'd0, ..., S_IDLE = 3'd0, ...
  std::ifstream in(std::string(SYSTRAIN_TEST_DIR) + "/../rtl/common/systrain_pkg.sv");
  REQUIRE(in.good());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::regex entry(R"(\b([MS])_([A-Z]+)\s*=\s*\d+'d(\d+))");
  std::map<std::string, int> modes, phases;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), entry); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[2];
    for (auto& ch : name) ch = static_cast<char>(std::tolower(ch));
    ((*it)[1] == "M" ? modes : phases)[name] = std::stoi((*it)[3]);
  }
  REQUIRE(modes.size() == 4);
  for (Mode m : {Mode::kWs, Mode::kOs, Mode::kAg, Mode::kIl}) CHECK(modes.at(to_string(m)) == static_cast<int>(m));
  REQUIRE(phases.size() == static_cast<size_t>(Phase::kCount));
  for (int p = 0; p < int(Phase::kCount); ++p) CHECK(phases.at(to_string(Phase(p))) == p);
}
