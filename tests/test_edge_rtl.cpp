// The edge trainer's junction in RTL (rtl/edge/edge_junction.sv, Verilated
// with 32 lanes, 10-bit words, 7 fractional bits) against its block model in
// closed form (model/edge/edge_block.h), block by block on the shapes of the
// issue's co-simulation list and more: every memory access (clock, memory,
// bank, row) and every word written must agree, no bank may be read or
// written twice in one clock, and the block takes C + 4 clocks. Memories are
// the host's (synchronous reads, read-first), as for the array.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <cstring>
#include <cstdlib>

#include "Vedge_junction.h"
#include "edge_block.h"
#include "edge_shape.h"
#include "edge_train.h"
#include "port_bits.h"
#include "samples.h"
#include "verilated.h"

using namespace systrain;

namespace {

constexpr int kZ = 32, kD = 10, kF = 7, kAwid = 16;

int64_t sext(uint64_t v) { return port_bits::sext(v, kD); }

// lane i (of `width` bits) of a packed lane vector: Verilator's VlWide or an integer port
template <class P>
uint64_t lane(const P& port, int i, int width) {
  return port_bits::get_bits(port, i * width, width);
}
template <class P>
void set_lane(P& port, int i, int width, uint64_t v) {
  port_bits::put_bits(port, i * width, width, v);
}

struct Rtl {
  VerilatedContext ctx;
  std::unique_ptr<Vedge_junction> top = std::make_unique<Vedge_junction>(&ctx);
  void tick() {
    top->clk = 1;
    top->eval();
    top->clk = 0;
    top->eval();
  }
  Rtl() {
    top->rst = 1;
    top->clk = 0;
    top->eval();
    tick();
    top->rst = 0;
    top->eval();
  }

  // runs one block on `m`, returning its events and the clocks it took
  std::vector<EdgeEvent> run(const EdgeBlock& b, EdgeMem& m, int64_t* clocks) {
    for (size_t p = 0; p < b.start.size(); ++p)
      for (int64_t t = 0; t < b.z; ++t) {
        top->sv_we = 1, top->sv_pass = static_cast<uint32_t>(p), top->sv_lane = static_cast<uint32_t>(t);
        top->sv_val = static_cast<uint32_t>(b.start[p][t]);
        tick();
      }
    top->sv_we = 0;
    top->z_used = static_cast<uint32_t>(b.z);
    int lfi = 0;
    while ((int64_t{1} << lfi) < b.fi) ++lfi;
    top->lfi = static_cast<uint32_t>(lfi);
    top->rows = static_cast<uint32_t>(b.rows), top->dl = static_cast<uint32_t>(b.dl);
    top->do_ff = b.ff, top->do_bp = b.bp, top->do_up = b.up, top->last = b.last;
    top->label = static_cast<uint32_t>(b.label < 0 ? 0x7fffff : b.label);
    top->kshift = static_cast<uint32_t>(b.kshift);
    const int64_t groups = b.z / b.fi;
    std::vector<EdgeEvent> ev;
    top->start = 1;
    int64_t c = 0;
    for (; c < 4 * b.rows + 64; ++c) {
      top->eval();
      if (!top->busy) break;
      if (c > 0) top->start = 0;
      // the reads of this clock, served read-first
      auto rd = [&](bool en, EdgeMemId id, const std::vector<int64_t>& mem, auto& data, bool per_lane, int64_t lanes,
                    int64_t row_of_lane0, const auto& addr) {
        if (!en) return;
        for (int64_t t = 0; t < lanes; ++t) {
          const int64_t row = per_lane ? static_cast<int64_t>(lane(addr, static_cast<int>(t), kAwid)) : row_of_lane0;
          ev.push_back({c, id, false, t, row});
          const int64_t n = per_lane ? row * b.z + t : row * groups + t;
          set_lane(data, static_cast<int>(t), kD, static_cast<uint64_t>(mem.at(n)));
        }
      };
      if (top->w_rd_en) {
        ev.push_back({c, EdgeMemId::kW, false, 0, top->w_rd_row});
        for (int64_t t = 0; t < b.z; ++t)
          set_lane(top->w_rd_data, static_cast<int>(t), kD, static_cast<uint64_t>(m.w.at(top->w_rd_row * b.z + t)));
      }
      rd(top->aff_rd_en, EdgeMemId::kAff, m.a_ff, top->aff_rd_data, true, b.z, 0, top->l_addr);
      rd(top->aup_rd_en, EdgeMemId::kAup, m.a_up, top->aup_rd_data, true, b.z, 0, top->l_addr);
      rd(top->sp_rd_en, EdgeMemId::kSp, m.sp, top->sp_rd_data, true, b.z, 0, top->l_addr);
      rd(top->pd_rd_en, EdgeMemId::kPd, m.pd, top->pd_rd_data, true, b.z, 0, top->pd_rd_addr);
      rd(top->dr_rd_en, EdgeMemId::kDr, m.dr, top->dr_rd_data, false, groups, top->dr_rd_row, top->l_addr);
      top->eval();
      // this clock's writes, applied at its end
      struct W { std::vector<int64_t>* mem; int64_t n, v; };
      std::vector<W> writes;
      if (top->w_wr_en) {
        ev.push_back({c, EdgeMemId::kW, true, 0, top->w_wr_row});
        for (int64_t t = 0; t < b.z; ++t)
          writes.push_back({&m.w, top->w_wr_row * b.z + t, sext(lane(top->w_wr_data, static_cast<int>(t), kD))});
      }
      if (top->pd_wr_en)
        for (int64_t t = 0; t < b.z; ++t) {
          const int64_t row = static_cast<int64_t>(lane(top->pd_wr_addr, static_cast<int>(t), kAwid));
          ev.push_back({c, EdgeMemId::kPd, true, t, row});
          writes.push_back({&m.pd, row * b.z + t, sext(lane(top->pd_wr_data, static_cast<int>(t), kD))});
        }
      if (top->out_wr_en)
        for (int64_t g = 0; g < groups; ++g) {
          const int64_t n = top->out_wr_row * groups + g;
          ev.push_back({c, EdgeMemId::kOut, true, g, top->out_wr_row});
          writes.push_back({&m.out_a, n, sext(lane(top->out_act, static_cast<int>(g), kD))});
          writes.push_back({&m.out_sp, n, sext(lane(top->out_sp, static_cast<int>(g), kD))});
          if (b.last) writes.push_back({&m.out_delta, n, sext(lane(top->out_delta, static_cast<int>(g), kD))});
        }
      tick();
      for (const W& w : writes) (*w.mem)[w.n] = w.v;
    }
    *clocks = c;
    std::sort(ev.begin(), ev.end());
    return ev;
  }
};

EdgeMem random_mem(const EdgeBlock& b, int64_t left, int64_t right, Rng& rng) {
  EdgeMem m;
  auto fill = [&](std::vector<int64_t>& v, int64_t n, int64_t lo, int64_t hi) {
    v.resize(static_cast<size_t>(n));
    for (auto& x : v) x = lo + static_cast<int64_t>(rng.next() % static_cast<uint64_t>(hi - lo + 1));
  };
  fill(m.w, b.rows * b.z, -512, 511);
  fill(m.a_ff, left, 0, 127);
  fill(m.a_up, left, 0, 127);
  fill(m.sp, left, 0, 32);
  fill(m.pd, left, -512, 511);
  fill(m.dr, right, -512, 511);
  m.out_a.assign(static_cast<size_t>(right), 0);
  m.out_sp = m.out_delta = m.out_a;
  return m;
}

}  // namespace

TEST_CASE("the junction's RTL equals its block model: every access and every word, on the co-simulation shapes") {
  EdgeFixed num{kD, kF, 3, sigmoid_lut(kD, kF)};
  Rtl rtl;
  Rng rng(2026);
  struct Shape {
    const char* name;
    int64_t left, right, fo, z;
  } shapes[] = {{"64-16-4 junction 1", 64, 16, 2, 32}, {"64-16-4 junction 2", 16, 4, 2, 8},
                {"1024-64-16 junction 2", 64, 16, 8, 32}, {"one junction 16-8 fo 4", 16, 8, 4, 8},
                {"64-32 fo 4 z 16", 64, 32, 4, 16}, {"32-16 fo 16 z 32 (fan-in 32)", 32, 16, 16, 32}};
  for (const auto& s : shapes) {
    for (int variant = 0; variant < 4; ++variant) {
      CAPTURE(std::string(s.name));
      CAPTURE(variant);
      EdgeBlock b;
      b.z = s.z, b.dl = s.left / s.z, b.rows = s.fo * b.dl, b.fi = s.left * s.fo / s.right;
      b.kshift = variant;  // η = 1, 1/2, 1/4, 1/8
      b.ff = true, b.up = variant != 3, b.bp = b.dl >= 2 && variant % 2 == 0, b.last = variant == 1;
      b.label = b.last ? static_cast<int64_t>(rng.next() % static_cast<uint64_t>(s.right)) : -1;
      b.start.assign(static_cast<size_t>(s.fo), std::vector<int64_t>(static_cast<size_t>(s.z), 0));
      if (variant >= 2)  // seeded start vectors
        for (auto& p : b.start)
          for (auto& v : p) v = static_cast<int64_t>(rng.next() % static_cast<uint64_t>(b.dl));
      EdgeMem tlm_mem = random_mem(b, s.left, s.right, rng), rtl_mem = tlm_mem;
      const EdgeMem before = tlm_mem;
      const std::vector<EdgeEvent> want = edge_block_tlm(b, tlm_mem, num);
      int64_t clocks = 0;
      const std::vector<EdgeEvent> got = rtl.run(b, rtl_mem, &clocks);
      CHECK(clocks == b.cycles());
      CHECK(first_clash(want).empty());
      CHECK(first_clash(got).empty());
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i < got.size(); ++i)
        if (!(got[i] == want[i])) {
          FAIL_CHECK(fmt::format("event {}: RTL {}, model {}", i, describe(got[i]), describe(want[i])));
          break;
        }
      for (size_t i = 0; i < rtl_mem.w.size(); ++i)
        if (rtl_mem.w[i] != tlm_mem.w[i]) {
          const int64_t k = static_cast<int64_t>(i) / b.z, t = static_cast<int64_t>(i) % b.z;
          const int64_t l = b.left_row(k, t) * b.z + t;
          FAIL_CHECK(fmt::format("w[{}] (row {}, lane {}): RTL {}, model {} (w {}, a_up {}, delta {}, kshift {})", i, k, t,
                                 rtl_mem.w[i], tlm_mem.w[i], before.w[i], before.a_up[l],
                                 before.dr[k * (b.z / b.fi) + t / b.fi], b.kshift));
          break;
        }
      CHECK(rtl_mem.pd == tlm_mem.pd);
      CHECK(rtl_mem.out_a == tlm_mem.out_a);
      CHECK(rtl_mem.out_sp == tlm_mem.out_sp);
      CHECK(rtl_mem.out_delta == tlm_mem.out_delta);
    }
  }
}

TEST_CASE("a bank read twice in one clock is a clash") {
  std::vector<EdgeEvent> ev{{3, EdgeMemId::kAff, false, 5, 1}, {3, EdgeMemId::kAff, false, 5, 2}};
  CHECK(first_clash(ev).find("bank clash: clock 3: read a_ff bank 5 row 1") == 0);
  ev[1].bank = 6;
  CHECK(first_clash(ev).empty());
}

TEST_CASE("whole training runs co-simulated: the junctions' RTL against their block model, block by block") {
  // one, two and three junctions; pipelined and baseline; several inputs; zero and seeded start vectors
  struct Net {
    const char* layers;
    std::vector<int> z;
    int input;
  } nets[] = {{"[{type: dense, units: 8, activation: sigmoid, fan_out: 4}]", {8}, 16},
              {"[{type: dense, units: 16, activation: sigmoid, fan_out: 2}, "
               "{type: dense, units: 4, activation: sigmoid, fan_out: 2}]", {32, 8}, 64},
              {"[{type: dense, units: 32, activation: sigmoid, fan_out: 4}, {type: dense, units: 16, activation: "
               "sigmoid, fan_out: 4}, {type: dense, units: 8, activation: sigmoid, fan_out: 4}]", {32, 16, 8}, 64}};
  for (const auto& n : nets)
    for (ScheduleKind kind : {ScheduleKind::kPipelined, ScheduleKind::kBaseline})
      for (bool seeded : {false, true}) {
        CAPTURE(std::string(n.layers));
        CAPTURE(int(kind));
        CAPTURE(seeded);
        Config cfg;
        cfg.accelerator.kind = AcceleratorKind::kEdge;
        cfg.accelerator.numerics.data_bits = kD, cfg.accelerator.numerics.frac_bits = kF;
        cfg.accelerator.edge.z = n.z;
        cfg.accelerator.edge.interleaver.start = seeded ? InterleaverStart::kSeeded : InterleaverStart::kZeros;
        cfg.network.input_shape = {n.input};
        // the layers, parsed as a config would be
        int units[3] = {0, 0, 0}, fo[3] = {0, 0, 0}, L1 = 0;
        for (const char* p = n.layers; (p = std::strstr(p, "units: ")); ++L1) {
          units[L1] = std::atoi(p + 7);
          fo[L1] = std::atoi(std::strstr(p, "fan_out: ") + 9);
          p += 7;
        }
        for (int i = 0; i < L1; ++i) {
          LayerConfig l;
          l.units = units[i], l.fan_out = fo[i], l.activation = Activation::kSigmoid;
          cfg.network.layers.push_back(l);
        }
        cfg.training.batch = 1, cfg.training.learning_rate = 0.25, cfg.training.epochs = 1;
        cfg.schedule.kind = kind;
        std::vector<std::pair<std::string, std::string>> problems;
        const EdgeShape s = edge_shape(cfg, &problems);
        REQUIRE(problems.empty());
        const EdgeNet net = edge_net(cfg, s);
        Samples train, test;
        Rng rng(7);
        for (Samples* d : {&train, &test}) {
          d->count = 6, d->width = n.input;
          for (int64_t i = 0; i < d->count * d->width; ++i) d->x.push_back(static_cast<float>(rng.uniform()));
          for (int64_t i = 0; i < d->count; ++i) d->labels.push_back(static_cast<uint8_t>(rng.next() % 4));
        }
        const EdgeFixed num{kD, kF, 2, sigmoid_lut(kD, kF)};
        std::vector<std::unique_ptr<Rtl>> rtl;
        for (int j = 0; j < s.junctions(); ++j) rtl.push_back(std::make_unique<Rtl>());
        int64_t blocks = 0, events = 0;
        const EdgeTrainResult run = edge_train_blocks(cfg, net, train, test,
                                                      [&](int64_t index, int j, const EdgeBlock& b, EdgeMem& m) {
          EdgeMem r = m;
          const auto want = edge_block_tlm(b, m, num);
          int64_t clocks = 0;
          const auto got = rtl[j - 1]->run(b, r, &clocks);
          ++blocks, events += static_cast<int64_t>(got.size());
          if (got != want || r.w != m.w || r.pd != m.pd || r.out_a != m.out_a || r.out_sp != m.out_sp ||
              r.out_delta != m.out_delta || clocks != b.cycles())
            FAIL_CHECK(fmt::format("block {} (junction {}) differs", index, j));
        });
        CHECK(blocks > 0);
        CHECK(events > 0);
        // and the run is the training model's, bit for bit
        CHECK(run.weights_fnv1a == edge_train(cfg, net, train, test).weights_fnv1a);
      }
}
