#include "plan.h"

#include "edge_shape.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "bandwidth.h"
#include "dram.h"
#include "pass.h"
#include "schedule.h"
#include "workload.h"

namespace systrain {

namespace {
// the edge trainer's plan: its junctions and its closed form (model/edge/edge_shape.h)
std::string edge_plan(const Config& cfg) {
  const EdgeShape s = edge_shape(cfg);
  const bool training = cfg.schedule.kind != ScheduleKind::kInference;
  const int64_t n = training ? cfg.training.train_samples * cfg.training.epochs : cfg.training.test_samples;
  const EdgeTiming t = edge_timing(s, cfg.schedule.kind, n);
  std::string out = fmt::format("#\n# the plan: the edge trainer, {} junctions of {} rows, a block of {} + 2 + {} = {} "
                                "clocks, {} multipliers\n",
                                s.junctions(), s.c, s.c, s.p, s.cpc(), s.multipliers());
  out += "#   junction  neurons         fan_out  fan_in       z     edges\n";
  for (int j = 1; j <= s.junctions(); ++j)
    out += fmt::format("#   {:>8}  {:>6} → {:<6} {:>7} {:>7} {:>7} {:>9}\n", j, s.n[j - 1], s.n[j], s.fo[j - 1],
                       s.fi[j - 1], s.z[j - 1], s.w[j - 1]);
  out += fmt::format("# {} {} input{}: {} blocks, {} cycles ({:.3f} ms at {} MHz); an input's weights read once: {} "
                     "words (FF, BP and UP apart: {})\n",
                     to_string(cfg.schedule.kind), n, n == 1 ? "" : "s", t.blocks, t.cycles,
                     static_cast<double>(t.cycles) / (cfg.accelerator.clock_mhz * 1e3), cfg.accelerator.clock_mhz,
                     s.edges(), training ? 2 * s.edges() + s.bp_edges() : s.edges());
  return out;
}
}  // namespace

std::string check_plan(const Config& cfg) {
  if (cfg.accelerator.kind == AcceleratorKind::kEdge) return edge_plan(cfg);
  const Workload w = build_workload(cfg);
  const bool training = cfg.schedule.kind != ScheduleKind::kInference;
  const int64_t m = cfg.buffer_rows();
  const int bits = cfg.word_bits();
  const auto& sram = cfg.accelerator.sram;
  const auto& a = cfg.accelerator.array;
  const auto kib = [&](double words) { return words * bits / 8192.0; };
  const DramSchedule d(cfg, w);
  std::string s = fmt::format("#\n# the plan (`check` predicts; a run counts every cycle): {} of {} sample{} a step on a "
                              "{}x{} array, {}-bit words\n",
                              training ? "training" : "inference", m, m == 1 ? "" : "s", a.rows, a.cols, bits);
  // (layers numbered as the config numbers them; a long topology's first 200)
  s += "#   layer                        GEMM M x K x N a step    weights (words)   stash a sample (words)\n";
  for (size_t i = 0; i < w.layers.size(); ++i) {
    if (i == 200) {
      s += fmt::format("#   ... and {} more GEMM layers\n", w.layers.size() - i);
      break;
    }
    const auto& p = w.layers[i];
    const std::string what = !p.name.empty() ? p.name : p.conv ? fmt::format("conv2d {}x{} rows", p.rows, p.n)
                                                                : fmt::format("dense {}", p.n);
    s += fmt::format("#   {:<4} {:<23} {:>10} x {:>6} x {:>6}  {:>15}   {:>22}\n", p.config_layer, what.substr(0, 23), p.gemm_rows(m),
                     p.kw(), p.n, p.kw() * p.n, d.stash_words(static_cast<int>(i)));
  }
  // each buffer against what it must hold
  const double wcap = static_cast<double>(sram.weights_kib) * 8192 / bits;
  const double acap = static_cast<double>(sram.activations_kib) * 8192 / bits;
  const double gcap = static_cast<double>(sram.gradients_kib) * 8192 / bits;
  // the interleaved schedule applies each block's update in the array: no dW is kept
  const bool keeps_dw = cfg.schedule.kind != ScheduleKind::kInterleaved;
  int64_t stash = 0, grad = 0;
  int grad_layer = 0;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    stash += m * d.stash_words(static_cast<int>(i));
    const int64_t g = d.gradients_working_set(m, static_cast<int>(i)) + (keeps_dw ? w.layers[i].kw() * w.layers[i].n : 0);
    if (g > grad) grad = g, grad_layer = static_cast<int>(i);
  }
  std::vector<std::string> bottlenecks;
  s += "# buffers:\n";
  s += fmt::format("#   weights      {:>6} KiB: the weights need {} words ({:.0f} KiB, {:.0f} %): {}\n", sram.weights_kib,
                   w.weight_words, kib(static_cast<double>(w.weight_words)), 100.0 * w.weight_words / wcap,
                   d.weights_resident() ? "resident" : "fetched from DRAM every step");
  if (!d.weights_resident())
    bottlenecks.push_back(fmt::format("DRAM: the weights are fetched every step ({} words); raise "
                                      "accelerator.sram.weights_kib to {:.0f}",
                                      w.weight_words, std::ceil(kib(static_cast<double>(w.weight_words)))));
  if (training) {
    const bool spills = d.stash_spills(m);
    s += fmt::format("#   activations  {:>6} KiB: a step's stash for the backward pass needs {} words ({:.0f} KiB, "
                     "{:.0f} %): {}\n",
                     sram.activations_kib, stash, kib(static_cast<double>(stash)), 100.0 * stash / acap,
                     spills ? "spills to DRAM" : "fits");
    if (spills)
      bottlenecks.push_back(fmt::format("DRAM: the stash spills ({} words a step); raise "
                                        "accelerator.sram.activations_kib to {:.0f}, or lower training.batch",
                                        stash, std::ceil(kib(static_cast<double>(stash)))));
    const bool gsp = keeps_dw ? d.gradients_spill(m, grad_layer) : d.dy_spills(m, grad_layer);
    s += fmt::format("#   gradients    {:>6} KiB: the largest backward working set (layer {}: dY, dX, partial sums{}) "
                     "needs {} words ({:.0f} KiB, {:.0f} %): {}\n",
                     sram.gradients_kib, w.layers[grad_layer].config_layer, keeps_dw ? " and dW" : "", grad, kib(static_cast<double>(grad)), 100.0 * grad / gcap,
                     gsp ? "spills to DRAM" : "fits");
    if (gsp)
      bottlenecks.push_back(fmt::format("DRAM: layer {}'s gradients spill ({} words); raise "
                                        "accelerator.sram.gradients_kib to {:.0f}, or lower training.batch",
                                        w.layers[grad_layer].config_layer, grad, std::ceil(kib(static_cast<double>(grad)))));
  }
  // the SRAM's ports: the stall cycles of every tile of one step, in closed
  // form, against the tiles' cycles (tile_stalls, as the run counts them)
  if (sram.words_per_cycle > 0 || sram.banks > 0) {
    const StepLayout l = run_layout(cfg, w);
    const ArrayShape shape = array_shape(cfg);
    std::vector<Pass> passes;
    for (int i = 0; i < static_cast<int>(w.layers.size()); ++i) {
      passes.push_back(forward_pass(cfg, w, l, i, m));
      if (!training) continue;
      if (cfg.schedule.kind == ScheduleKind::kInterleaved) {
        passes.push_back(il_pass(cfg, w, l, i, m));
      } else {
        if (i > 0) passes.push_back(ag_pass(cfg, w, l, i, m));
        passes.push_back(wg_pass(cfg, w, l, i, m));
      }
    }
    double tiles = 0;
    for (const Pass& p : passes) {
      const double per = [&] {
        const double r = static_cast<double>(shape.rows), c = static_cast<double>(shape.cols);
        return std::ceil(static_cast<double>(p.g.m) / r) * std::ceil(static_cast<double>(p.g.k) / r) *
               std::ceil(static_cast<double>(p.g.n) / c);
      }();
      tiles += per;
    }
    if (tiles > 2e6) {
      s += fmt::format("#   (the SRAM's bandwidth is not predicted for a step of some {:.0f} tiles; run it)\n", tiles);
    } else {
      int64_t cycles = 0, stalls = 0;
      for (const Pass& p : passes)
        for (const Tile& t : tile_pass(p, shape)) {
          const int64_t st = tile_stalls(t, shape).total;
          cycles += tile_cost(t, shape).cycles + st;
          stalls += st;
        }
      const double share = cycles > 0 ? static_cast<double>(stalls) / static_cast<double>(cycles) : 0.0;
      s += fmt::format("#   SRAM ports   {} words a cycle, {} banks: the tiles of a step stall {} of their {} cycles "
                       "({:.1f} %)\n",
                       sram.words_per_cycle, sram.banks, stalls, cycles, 100 * share);
      if (share > 0.10)
        bottlenecks.push_back(fmt::format("SRAM bandwidth: {:.0f} % of the tiles' cycles stall; raise "
                                          "accelerator.sram.words_per_cycle (now {}) or accelerator.sram.banks (now {})",
                                          100 * share, sram.words_per_cycle, sram.banks));
    }
  }
  s += "# predicted bottleneck: ";
  if (bottlenecks.empty()) {
    s += "compute (every tensor fits its buffer; the SRAM gives the words a tile asks)\n";
  } else {
    for (size_t i = 0; i < bottlenecks.size(); ++i) s += (i ? "\n#   " : "") + bottlenecks[i];
    s += "\n";
  }
  return s;
}

}  // namespace systrain
