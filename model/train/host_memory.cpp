#include "host_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "schedule.h"
#include "speculation.h"
#include "tile.h"

namespace systrain {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

double tiles_per_step(const Config& cfg, const Workload& w, bool training) {
  // each GEMM cut by the array: forward, and in training two more passes of
  // the same size (AG and WG, or one IL pass of twice the tiles' work)
  const double r = cfg.accelerator.array.rows, c = cfg.accelerator.array.cols;
  double tiles = 0;
  for (const auto& p : w.layers) {
    const double m = static_cast<double>(cfg.buffer_rows() * p.rows), k = static_cast<double>(p.kw()),
                 n = static_cast<double>(p.n);
    tiles += std::ceil(k / r) * std::ceil(n / c) * (training ? 3 : 1) * (m > 0 ? 1 : 0);
  }
  return tiles;
}

std::vector<MemoryPart> host_memory(const Config& cfg, const Workload& w, bool training) {
  std::vector<MemoryPart> parts;
  const int64_t train_n = training ? (cfg.training.train_samples > 0 ? cfg.training.train_samples : 60000) : 0;
  const int64_t test_n = cfg.training.test_samples > 0 ? cfg.training.test_samples : 10000;
  const bool functional = cfg.simulation.functional;
  if (functional) {
    // the SRAM model keeps a word in 8 bytes, and the scoring copies it
    const StepLayout l = run_layout(cfg, w);
    int64_t words = 0;
    for (int64_t v : l.words) words += v;
    if (!training) words -= l.words[int(Buffer::kGradients)] - l.dws[0].base;  // no dW in inference
    const int64_t weights = l.words[int(Buffer::kWeights)];
    parts.push_back({fmt::format("{} words of SRAM state ({} of them weights; {} buffer rows for training.batch {}) "
                                 "held twice at 8 bytes a word",
                                 words, weights, cfg.buffer_rows(), cfg.training.batch),
                     16.0 * static_cast<double>(words),
                     weights * 2 > words ? "make network.layers smaller" : "lower training.batch"});
    // images as bytes, synthetic samples as floats
    const int64_t per_sample = w.input_width * (cfg.training.dataset == Dataset::kFashionMnist ? 1 : 4);
    parts.push_back({fmt::format("the data set ({} samples of {} bytes)", train_n + test_n, per_sample),
                     static_cast<double>(per_sample) * static_cast<double>(train_n + test_n),
                     "lower training.train_samples or training.test_samples"});
  }
  // a label and a place in the shuffled order a sample, timing only too
  parts.push_back({fmt::format("per-sample labels and order ({} samples)", train_n + test_n),
                   9.0 * static_cast<double>(train_n + test_n),
                   "lower training.train_samples or training.test_samples"});
  if (cfg.schedule.kind == ScheduleKind::kSpeculative && training) {
    const int64_t classes = w.layers.back().n;
    const SpecPolicy pol = cfg.schedule.speculation.policy;
    parts.push_back({fmt::format("the speculative per-label tables ({} labels)", classes),
                     static_cast<double>(classes) * static_cast<double>(SpecTables::host_bytes_per_label(w, pol)),
                     pol == SpecPolicy::kGradientReuse
                         ? "set schedule.speculation.policy: output_speculation (no stored gradients), or make "
                           "network.layers smaller"
                         : "make network.layers smaller"});
  }
  // the tiles of the largest pass, listed before they run: each of the three
  // GEMM dimensions is cut by the array (the narrower engine of a split
  // speculative array), two at a time
  {
    int64_t d = std::min(cfg.accelerator.array.rows, cfg.accelerator.array.cols);
    if (cfg.schedule.kind == ScheduleKind::kSpeculative && cfg.schedule.speculation.engines == Engines::kSplit)
      d = std::min<int64_t>({d, cfg.forward_cols(), cfg.accelerator.array.cols - cfg.forward_cols()});
    d = std::max<int64_t>(d, 1);
    double most = 0;
    for (const auto& p : w.layers) {
      const int64_t m = ceil_div(cfg.buffer_rows() * p.rows, d), k = ceil_div(p.kw(), d), n = ceil_div(p.n, d);
      most = std::max({most, static_cast<double>(m) * k, static_cast<double>(m) * n, static_cast<double>(k) * n});
    }
    parts.push_back({fmt::format("the tile list of the largest pass (up to {:.0f} tiles)", most),
                     most * static_cast<double>(sizeof(Tile)),
                     "use a larger accelerator.array, or smaller layers"});
  }
  // the report: some 35 counters a layer and an operation, ~250 bytes each
  // while report.json and report.csv are made (measured: 4.0 GB for the 17.1 M
  // counters of a 100,000-row topology)
  {
    double ops = 0;
    for (const auto& p : w.layers) ops += static_cast<double>(1 + p.prep.size()) * (training ? 3 : 1);
    const double counters = 35.0 * (static_cast<double>(w.layers.size()) + ops) + 2000;
    parts.push_back({fmt::format("the report ({:.0f} layers)", static_cast<double>(w.layers.size())),
                     250.0 * counters, "use fewer layers (network.layers, or the rows of network.topology_csv)"});
  }
  return parts;
}

}  // namespace systrain
