// The edge trainer's closed form (model/edge/edge_shape.h) against the
// numbers of the authors' RTL and testbench (issue 17; background (d)): the
// board build's block cycle, multipliers, an epoch of their testbench, the
// baseline's clocks an input, the weight reads of one row read three ways,
// and the small co-simulation shapes' blocks.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "edge_block.h"
#include "edge_run.h"
#include "edge_shape.h"
#include "edge_train.h"
#include "fixed_point.h"
#include "report.h"
#include "yaml_loader.h"

using namespace systrain;

namespace {
Config edge(const std::string& layers, const std::string& z, const std::string& input, const char* kind = "pipelined") {
  const std::string text = "schema_version: 1\naccelerator: {kind: edge, numerics: {data_bits: 10, frac_bits: 7}, "
                           "edge: {z: " + z + "}}\nnetwork: {input_shape: " + input + ", layers: " + layers +
                           "}\ntraining: {batch: 1, learning_rate: 0.125, train_samples: 12544, epochs: 1}\n"
                           "schedule: {kind: " + kind + "}\nsimulation: {functional: false}\n";
  const LoadedConfig lc = load_config_text(text, "<edge>", {});
  for (const auto& e : lc.errors) FAIL_CHECK(e.str());
  return lc.config;
}
const char* kBoard = "[{type: dense, units: 64, activation: sigmoid, fan_out: 4}, "
                     "{type: dense, units: 32, activation: sigmoid, fan_out: 16}]";
}  // namespace

TEST_CASE("the board build: 36 clocks a block, 384 multipliers, 5,120 weight reads an input where FF, BP and UP apart read 11,264") {
  const Config cfg = edge(kBoard, "[128, 32]", "[1024]");
  const EdgeShape s = edge_shape(cfg);
  CHECK(s.c == 32);  // 4096 / 128 = 1024 / 32
  CHECK(s.cpc() == 36);
  CHECK(s.fi == std::vector<int64_t>{64, 32});
  CHECK(s.multipliers() == 384);  // 128 (FF) + 128 (UP); 32 (FF) + 2·32 (BP) + 32 (UP)
  CHECK(s.edges() == 5120);
  CHECK(2 * s.edges() + s.bp_edges() == 11264);
  // busy 32 of every 36 clocks: FF + BP + UP = 11,264 MACs an input, 0.815 of 36·384 in steady state
  CHECK(static_cast<double>(11264) / (36 * 384) == doctest::Approx(0.8148).epsilon(1e-4));
  // the row read in block clock k, rewritten 1 + P later, its outputs 2 + P later
  CHECK(block_clock(s, 0).read_row == 0);
  CHECK(block_clock(s, 31).read_row == 31);
  CHECK(block_clock(s, 32).read_row == -1);
  CHECK(block_clock(s, 3).rewrite_row == 0);
  CHECK(block_clock(s, 34).rewrite_row == 31);
  CHECK(block_clock(s, 4).output_row == 0);
  CHECK(block_clock(s, 35).output_row == 31);
  CHECK(block_clock(s, 2).rewrite_row == -1);
}

TEST_CASE("the board build's epochs: (12,544 + 4)·36 = 451,728 clocks; ten back to back 4,515,984; baseline 144 an input") {
  const Config cfg = edge(kBoard, "[128, 32]", "[1024]");
  const EdgeShape s = edge_shape(cfg);
  const EdgeTiming one = edge_timing(s, ScheduleKind::kPipelined, 12544);
  CHECK(one.cycles == 451728);
  CHECK(one.forward == 3 * 36);   // the fill: L blocks
  CHECK(one.backward == 2 * 36);  // the drain: L − 1 blocks
  CHECK(one.overlap == 12543 * 36);
  CHECK(one.forward + one.backward + one.overlap == one.cycles);
  CHECK(static_cast<double>(one.cycles) / 15e6 == doctest::Approx(0.0301152));  // 30.1 ms at 15 MHz
  CHECK(edge_timing(s, ScheduleKind::kPipelined, 10 * 12544).cycles == 4515984);
  CHECK(edge_timing(s, ScheduleKind::kPipelined, 1).blocks == 5);  // the latency: 2L − 1 blocks
  // baseline: the next input's FF after the previous one's last update, 4 blocks an input
  const EdgeTiming b1 = edge_timing(s, ScheduleKind::kBaseline, 1), b2 = edge_timing(s, ScheduleKind::kBaseline, 2);
  CHECK(b2.cycles - b1.cycles == 144);
  CHECK(static_cast<double>(edge_timing(s, ScheduleKind::kBaseline, 12544).cycles) / one.cycles ==
        doctest::Approx(4.0).epsilon(0.002));
  // a run's report: its cycles, MACs, weight reads and utilisation
  Config run = cfg;
  RunResult r;
  REQUIRE(run_edge(run, r).empty());
  CHECK(r.cycles_total == 451728);
  CHECK(r.macs == 11264 * 12544);
  CHECK(r.sram.operand_reads(Operand::kW) == 5120 * 12544);
  CHECK(r.sram.operand_writes(Operand::kW) == 5120 * 12544);
  CHECK(r.edge.weight_reads_separate == 11264 * 12544);
  CHECK(utilization_of(r) == doctest::Approx(11264.0 * 12544 / (451728.0 * 384)));
}

TEST_CASE("the small shapes: 64-16-4 at z (32, 8) has 8 clocks a block, 1024-64-16 at z (512, 32) 20") {
  const EdgeShape a = edge_shape(edge("[{type: dense, units: 16, activation: sigmoid, fan_out: 2}, "
                                      "{type: dense, units: 4, activation: sigmoid, fan_out: 2}]",
                                      "[32, 8]", "[64]"));
  CHECK(a.cpc() == 8);
  const EdgeShape b = edge_shape(edge("[{type: dense, units: 64, activation: sigmoid, fan_out: 8}, "
                                      "{type: dense, units: 16, activation: sigmoid, fan_out: 8}]",
                                      "[512, 32]", "[1024]"));
  CHECK(b.cpc() == 20);
  // one junction (L = 2) and three (L = 4)
  const EdgeShape one = edge_shape(edge("[{type: dense, units: 8, activation: sigmoid, fan_out: 4}]", "[8]", "[16]"));
  CHECK(one.junctions() == 1);
  CHECK(one.cpc() == 8 + 4);
  CHECK(one.multipliers() == 16);  // no BP in the first junction
  CHECK(edge_timing(one, ScheduleKind::kPipelined, 10).blocks == 10 + 2);
  const EdgeShape three = edge_shape(edge("[{type: dense, units: 32, activation: sigmoid, fan_out: 4}, "
                                          "{type: dense, units: 16, activation: sigmoid, fan_out: 4}, "
                                          "{type: dense, units: 8, activation: sigmoid, fan_out: 4}]",
                                          "[32, 16, 8]", "[64]"));
  CHECK(three.c == 8);
  CHECK(three.cpc() == 12);
  CHECK(edge_timing(three, ScheduleKind::kPipelined, 1).blocks == 7);  // 2L − 1
  CHECK(edge_timing(three, ScheduleKind::kInference, 5).blocks == 5 + 3);
}

namespace {
Samples synthetic(int64_t count, int64_t width, uint64_t seed, int classes) {
  Samples s;
  s.count = count, s.width = width;
  Rng rng(seed);
  for (int64_t i = 0; i < count * width; ++i) s.x.push_back(static_cast<float>(rng.uniform()));
  for (int64_t i = 0; i < count; ++i) s.labels.push_back(static_cast<uint8_t>(rng.next() % classes));
  return s;
}
const char* kSmall = "[{type: dense, units: 16, activation: sigmoid, fan_out: 2}, "
                     "{type: dense, units: 4, activation: sigmoid, fan_out: 2}]";
}  // namespace

TEST_CASE("the sparse connectivity: fo edges a left neuron, fi a right one, every bank once a row; seeded starts differ") {
  for (const char* start : {"zeros", "seeded"}) {
    CAPTURE(start);
    Config cfg = edge(kBoard, "[128, 32]", "[1024]");
    cfg.accelerator.edge.interleaver.start = std::string(start) == "zeros" ? InterleaverStart::kZeros : InterleaverStart::kSeeded;
    const EdgeShape s = edge_shape(cfg);
    const EdgeNet net = edge_net(cfg, s);
    for (int j = 1; j <= s.junctions(); ++j) {
      const auto& left = net.left[j - 1];
      const auto& right = net.right[j - 1];
      std::vector<int> out(s.n[j - 1]), in(s.n[j]);
      std::set<std::pair<int, int>> pairs;
      for (int64_t e = 0; e < s.w[j - 1]; ++e) {
        ++out[left[e]], ++in[right[e]];
        CHECK(pairs.insert({left[e], right[e]}).second);  // no edge twice
        if (std::string(start) == "zeros") CHECK(left[e] == e % s.n[j - 1]);
      }
      for (int v : out) CHECK(v == s.fo[j - 1]);
      for (int v : in) CHECK(v == s.fi[j - 1]);
      for (int64_t r = 0; r < s.c; ++r) {  // clash-free: lane t of every row reads bank t
        std::set<int64_t> banks;
        for (int64_t t = 0; t < s.z[j - 1]; ++t) banks.insert(left[r * s.z[j - 1] + t] % s.z[j - 1]);
        CHECK(static_cast<int64_t>(banks.size()) == s.z[j - 1]);
      }
    }
  }
  Config a = edge(kBoard, "[128, 32]", "[1024]"), b = a;
  b.accelerator.edge.interleaver.start = InterleaverStart::kSeeded;
  CHECK(edge_net(a, edge_shape(a)).left[0] != edge_net(b, edge_shape(b)).left[0]);
}

TEST_CASE("the sigmoid table: σ(0) = 1/2, σ′(0) = 1/4, monotone, σ(s) + σ(−s) within a step of 1") {
  const SigmoidLut t = sigmoid_lut(10, 7);
  REQUIRE(t.a.size() == 1024);
  CHECK(t.a[512] == 64);
  CHECK(t.da[512] == 32);
  for (size_t i = 1; i < t.a.size(); ++i) CHECK(t.a[i] >= t.a[i - 1]);
  for (int s = 1; s < 512; ++s) CHECK(std::abs(t.a[512 + s] + t.a[512 - s] - 128) <= 1);
  CHECK(t.a[1023] == std::llround(128 / (1 + std::exp(-511 / 128.0))));  // 126: the ends of the domain [−4, 4)
  CHECK(t.a[0] == std::llround(128 / (1 + std::exp(4.0))));              // 2
  const SigmoidLut wide = sigmoid_lut(12, 5);  // a domain that saturates: at most 2^f − 1
  CHECK(wide.a.back() == 31);
}

TEST_CASE("baseline float32 training is SGD on the masked network: a dense double-precision reference, step by step") {
  Config cfg = edge(kSmall, "[32, 8]", "[64]", "baseline");
  cfg.accelerator.numerics.kind = NumericsKind::kFloat32;
  cfg.training.learning_rate = 0.5;
  const EdgeShape s = edge_shape(cfg);
  const EdgeNet net = edge_net(cfg, s);
  const Samples train = synthetic(5, 64, 11, 4), test = synthetic(3, 64, 12, 4);
  cfg.training.epochs = 1;
  const EdgeTrainResult got = edge_train(cfg, net, train, test);
  // the reference: dense weight matrices, zero off the mask, in double; the order of the samples as edge_train
  // shuffles them is not known here, so the reference runs every order-free check: one sample at a time
  std::vector<std::vector<double>> W(2);  // W[j][left·N + right]
  for (int j = 0; j < 2; ++j) {
    W[j].assign(s.n[j] * s.n[j + 1], 0.0);
    for (int64_t e = 0; e < s.w[j]; ++e) W[j][net.left[j][e] * s.n[j + 1] + net.right[j][e]] = w2f(got.initial[j][e]);
  }
  // one training sample, 1 epoch: edge_train's shuffle of one sample is that sample
  const Samples one = synthetic(1, 64, 13, 4);
  const EdgeTrainResult step = edge_train(cfg, net, one, test);
  std::vector<double> a0(64), a1(16), a2(4), d2(4), d1(16);
  for (int i = 0; i < 64; ++i) a0[i] = one.x[i];
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  for (int r = 0; r < 16; ++r) {
    double z = 0;
    for (int l = 0; l < 64; ++l) z += a0[l] * W[0][l * 16 + r];
    a1[r] = sig(z);
  }
  for (int r = 0; r < 4; ++r) {
    double z = 0;
    for (int l = 0; l < 16; ++l) z += a1[l] * W[1][l * 4 + r];
    a2[r] = sig(z);
    d2[r] = a2[r] - (r == one.labels[0] ? 1.0 : 0.0);
  }
  for (int l = 0; l < 16; ++l) {
    double g = 0;
    for (int r = 0; r < 4; ++r) g += W[1][l * 4 + r] * d2[r];
    d1[l] = g * a1[l] * (1 - a1[l]);
  }
  const std::vector<double>* acts[2] = {&a0, &a1};
  const std::vector<double>* deltas[2] = {&d1, &d2};
  for (int j = 0; j < 2; ++j)
    for (int64_t e = 0; e < s.w[j]; ++e) {
      const int l = net.left[j][e], r = net.right[j][e];
      const double want = W[j][l * s.n[j + 1] + r] - 0.5 * (*acts[j])[l] * (*deltas[j])[r];
      CAPTURE(j);
      CAPTURE(e);
      CHECK(w2f(step.weights[j][e]) == doctest::Approx(want).epsilon(1e-5).scale(1.0));
    }
  CHECK(got.test_accuracy.size() == 1);
}

TEST_CASE("pipelining one input is the baseline; over many it delays updates, and both train in fixed point") {
  for (bool fl : {false, true}) {
    CAPTURE(fl);
    Config p = edge(kSmall, "[32, 8]", "[64]", "pipelined"), b = edge(kSmall, "[32, 8]", "[64]", "baseline");
    p.accelerator.numerics.kind = b.accelerator.numerics.kind = fl ? NumericsKind::kFloat32 : NumericsKind::kFixed;
    const EdgeNet net = edge_net(p, edge_shape(p));
    const Samples test = synthetic(20, 64, 21, 4);
    const Samples one = synthetic(1, 64, 22, 4), many = synthetic(50, 64, 23, 4);
    CHECK(edge_train(p, net, one, test).weights_fnv1a == edge_train(b, net, one, test).weights_fnv1a);
    CHECK(edge_train(p, net, many, test).weights_fnv1a != edge_train(b, net, many, test).weights_fnv1a);
    // deterministic
    CHECK(edge_train(p, net, many, test).weights_fnv1a == edge_train(p, net, many, test).weights_fnv1a);
  }
}

TEST_CASE("the junction's block model (the RTL's reference) trains as the training model does: one baseline input") {
  for (const char* start : {"zeros", "seeded"}) {
    CAPTURE(start);
    Config cfg = edge(kSmall, "[32, 8]", "[64]", "baseline");
    cfg.accelerator.edge.interleaver.start = std::string(start) == "zeros" ? InterleaverStart::kZeros : InterleaverStart::kSeeded;
    cfg.training.learning_rate = 0.25;
    const EdgeShape s = edge_shape(cfg);
    const EdgeNet net = edge_net(cfg, s);
    const Samples one = synthetic(1, 64, 31, 4), test = synthetic(2, 64, 32, 4);
    const EdgeTrainResult want = edge_train(cfg, net, one, test);
    EdgeFixed num{10, 7, 2, sigmoid_lut(10, 7)};
    std::vector<std::vector<int64_t>> w = want.initial;
    auto block = [&](int j) {
      EdgeBlock b;
      b.z = s.z[j - 1], b.fi = s.fi[j - 1], b.dl = s.n[j - 1] / b.z, b.rows = s.c, b.kshift = 2;
      b.start = net.start[j - 1];
      return b;
    };
    std::vector<int64_t> a0(64);
    for (int i = 0; i < 64; ++i) a0[i] = num.input(one.x[i]);
    // FF through both junctions
    EdgeMem m1;
    m1.w = w[0], m1.a_ff = a0, m1.a_up = m1.sp = m1.pd = std::vector<int64_t>(64, 0), m1.dr.assign(16, 0);
    m1.out_a = m1.out_sp = m1.out_delta = std::vector<int64_t>(16, 0);
    EdgeBlock b1 = block(1);
    b1.ff = true;
    edge_block_tlm(b1, m1, num);
    EdgeMem m2;
    m2.w = w[1], m2.a_ff = m1.out_a, m2.a_up = m2.sp = m2.pd = std::vector<int64_t>(16, 0), m2.dr.assign(4, 0);
    m2.out_a = m2.out_sp = m2.out_delta = std::vector<int64_t>(4, 0);
    EdgeBlock b2 = block(2);
    b2.ff = true, b2.last = true, b2.label = one.labels[0];
    edge_block_tlm(b2, m2, num);
    // BP and UP of junction 2, then UP of junction 1
    EdgeMem u2 = m2;
    u2.dr = m2.out_delta, u2.a_up = m1.out_a, u2.sp = m1.out_sp, u2.pd.assign(16, 0);
    EdgeBlock c2 = block(2);
    c2.bp = c2.up = true;
    edge_block_tlm(c2, u2, num);
    EdgeMem u1 = m1;
    u1.dr = u2.pd, u1.a_up = a0;
    EdgeBlock c1 = block(1);
    c1.up = true;
    edge_block_tlm(c1, u1, num);
    CHECK(u1.w == want.weights[0]);
    CHECK(u2.w == want.weights[1]);
    CHECK(u1.w != want.initial[0]);
  }
}

TEST_CASE("training block by block through the junction's block model gives the training model's weights, bit for bit") {
  const char* nets[][3] = {
      {"[{type: dense, units: 8, activation: sigmoid, fan_out: 4}]", "[8]", "[16]"},  // one junction
      {kSmall, "[32, 8]", "[64]"},                                                       // two
      {"[{type: dense, units: 32, activation: sigmoid, fan_out: 4}, {type: dense, units: 16, activation: sigmoid, "
       "fan_out: 4}, {type: dense, units: 8, activation: sigmoid, fan_out: 4}]",
       "[32, 16, 8]", "[64]"}};  // three
  for (const auto& n : nets)
    for (const char* kind : {"pipelined", "baseline"})
      for (bool seeded : {false, true}) {
        CAPTURE(n[1]);
        CAPTURE(kind);
        CAPTURE(seeded);
        Config cfg = edge(n[0], n[1], n[2], kind);
        cfg.accelerator.edge.interleaver.start = seeded ? InterleaverStart::kSeeded : InterleaverStart::kZeros;
        cfg.training.epochs = 2;
        const EdgeShape s = edge_shape(cfg);
        const EdgeNet net = edge_net(cfg, s);
        const int64_t width = s.n[0], classes = std::min<int64_t>(4, s.n.back());
        const Samples train = synthetic(7, width, 41, static_cast<int>(classes));
        const Samples test = synthetic(5, width, 42, static_cast<int>(classes));
        const EdgeTrainResult want = edge_train(cfg, net, train, test);
        const EdgeFixed num{10, 7, 3, sigmoid_lut(10, 7)};
        int64_t blocks = 0;
        const EdgeTrainResult got = edge_train_blocks(cfg, net, train, test, [&](int64_t, int, const EdgeBlock& b, EdgeMem& m) {
          const auto ev = edge_block_tlm(b, m, num);
          CHECK(first_clash(ev).empty());
          ++blocks;
        });
        CHECK(got.weights_fnv1a == want.weights_fnv1a);
        CHECK(got.test_accuracy == want.test_accuracy);
        CHECK(got.train_loss == want.train_loss);
        const int64_t inputs = 14, L = s.layers;
        // baseline: two blocks an input and junction; pipelined: junction j works from block j (its first FF)
        // to block N + 2L − 2 − j (its last UP), N + 2L − 1 − 2j blocks, (L − 1)(N + L − 1) in all
        if (std::string(kind) == "baseline") CHECK(blocks == inputs * 2 * (L - 1));
        else CHECK(blocks == (L - 1) * (inputs + L - 1));
      }
}
