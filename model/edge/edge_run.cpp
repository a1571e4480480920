#include "edge_run.h"

#include <fmt/format.h>

#include "edge_shape.h"
#include "edge_train.h"

namespace systrain {

std::string run_edge(const Config& cfg, RunResult& r, const Samples* train, const Samples* test,
                     const EdgeBlockUnit* unit) {
  std::vector<std::pair<std::string, std::string>> problems;
  const EdgeShape s = edge_shape(cfg, &problems);
  if (!problems.empty()) return fmt::format("{}: {}", problems.front().first, problems.front().second);
  const bool training = cfg.schedule.kind != ScheduleKind::kInference;
  // the samples the run has (a functional run: the data set's, which may be fewer than asked)
  const Samples* data = !cfg.simulation.functional ? nullptr : training ? train : test;
  const int64_t per_epoch = data ? data->count : training ? cfg.training.train_samples : cfg.training.test_samples;
  const int64_t inputs = training ? per_epoch * cfg.training.epochs : per_epoch;  // epochs back to back
  const EdgeTiming t = edge_timing(s, cfg.schedule.kind, inputs);
  r.backend = to_string(cfg.simulation.backend);
  r.schedule = to_string(cfg.schedule.kind);
  r.training = training;
  r.rows = r.cols = 0;
  r.edge.ran = true;
  r.edge.junctions = s.junctions();
  r.edge.rows = s.c;
  r.edge.cpc = s.cpc();
  r.edge.latency_blocks = training ? 2 * s.layers - 1 : s.layers;
  r.edge.blocks = t.blocks;
  r.edge.multipliers = s.multipliers(training);
  r.cycles_total = t.cycles;
  r.cycles_forward = t.forward;
  r.cycles_backward = t.backward;
  r.cycles_overlap = t.overlap;
  r.steps = inputs;
  r.samples = inputs;
  // each epoch ends with its last input's last update (the pipeline runs on into the next epoch)
  if (training && per_epoch > 0)
    for (int64_t e = 1; e <= cfg.training.epochs; ++e)
      r.epoch_cycles.push_back(edge_timing(s, cfg.schedule.kind, e * per_epoch).cycles);
  r.weight_words = s.edges();
  r.input_words = s.n[0];
  // per junction and pass: ops (config layer j − 1 is junction j's right layer)
  const Buffer A = Buffer::kActivations, W = Buffer::kWeights, G = Buffer::kGradients;
  auto op = [&](int j, const char* name, int stage, int64_t macs_each) -> OpStats& {
    r.ops.push_back({});
    OpStats& o = r.ops.back();
    o.layer = j - 1, o.gemm_layer = j - 1, o.stage = stage, o.op = name;
    o.gemm = {1, s.n[j - 1], s.n[j]};
    o.count = inputs;
    o.cycles = inputs * s.c;  // a block's read clocks
    o.macs = inputs * macs_each;
    return o;
  };
  for (int j = 1; j <= s.junctions(); ++j) {
    const int64_t w = s.w[j - 1], N = inputs;
    r.layers.push_back({});
    LayerStats& ls = r.layers.back();
    ls.index = j - 1, ls.type = "dense", ls.gemm_index = j - 1, ls.gemm = {1, s.n[j - 1], s.n[j]};
    ls.macs = N * w;
    OpStats& ff = op(j, "ff", 0, w);
    ff.sram.reads[int(W)][int(Operand::kW)] = N * w;  // the row, read once for FF, BP and UP
    ff.sram.reads[int(A)][int(Operand::kX)] = N * w;
    ff.sram.writes[int(A)][int(Operand::kX)] = N * (s.n[j] + (j == 1 ? s.n[0] : 0));  // outputs (and the input load)
    if (training && j + 1 < s.layers) ff.sram.writes[int(A)][int(Operand::kMask)] = N * s.n[j];  // σ′ of a hidden layer
    ls.sram += ff.sram;
    r.stages[0].macs += ff.macs;
    r.stages[0].sram += ff.sram;
    if (!training) continue;
    if (s.bp(j)) {
      OpStats& bp = op(j, "bp", 1, w);
      bp.sram.reads[int(A)][int(Operand::kMask)] = N * w;  // σ′ of the left neuron
      bp.sram.reads[int(G)][int(Operand::kDx)] = N * w;    // the left neuron's partial δ, read-modify-written
      bp.sram.writes[int(G)][int(Operand::kDx)] = N * w;
      r.stages[1].macs += bp.macs;
      r.stages[1].sram += bp.sram;
    }
    OpStats& up = op(j, "up", 2, w);
    up.sram.reads[int(A)][int(Operand::kX)] = N * w;   // the left activation of an older input
    up.sram.reads[int(G)][int(Operand::kDy)] = N * w;  // the right neuron's δ
    up.sram.writes[int(W)][int(Operand::kW)] = N * w;  // the row, written back
    if (j + 1 == s.layers) up.sram.writes[int(G)][int(Operand::kDy)] = N * s.n[j];  // the output layer's δ = a − y
    r.stages[2].macs += up.macs;
    r.stages[2].sram += up.sram;
  }
  for (const OpStats& o : r.ops) r.macs += o.macs, r.sram += o.sram;
  if (cfg.simulation.functional) {
    if (!test || (training && !train)) return "a functional run of the edge trainer needs its samples";
    Samples none;
    const EdgeNet net = edge_net(cfg, s);
    const EdgeTrainResult t = unit ? edge_train_blocks(cfg, net, training ? *train : none, *test, *unit)
                                   : edge_train(cfg, net, training ? *train : none, *test);
    if (training) {
      r.test_accuracy = t.test_accuracy;
      r.train_accuracy = t.train_accuracy;
      r.train_loss = t.train_loss;
      r.weights_fnv1a = t.weights_fnv1a;
    } else if (!t.test_accuracy.empty()) {
      r.accuracy = t.test_accuracy.back();
    }
  }
  r.edge.weight_reads_separate = inputs * (training ? 2 * s.edges() + s.bp_edges() : s.edges());
  return "";
}

}  // namespace systrain
