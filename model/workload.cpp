#include "workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace systrain {

Workload build_workload(const Config& cfg) {
  Workload w;
  int64_t k = cfg.network.input_shape.empty() ? 0 : cfg.network.input_shape[0];
  w.input_width = k;
  int idx = 0;
  for (const auto& lc : cfg.network.layers) {
    LayerPlan p;
    p.index = idx++;
    p.k = k;
    p.n = lc.units;
    p.relu = lc.activation == Activation::kRelu;
    p.bias = lc.bias;
    p.w_addr = w.weight_words;
    w.weight_words += p.kw() * p.n;
    w.layers.push_back(p);
    k = p.n;
  }
  return w;
}

std::vector<std::string> config_warnings(const Config& cfg) {
  const int64_t R = cfg.accelerator.array.rows, C = cfg.accelerator.array.cols, wpp = cfg.words_per_psum();
  const bool ws = cfg.schedule.forward_dataflow == Dataflow::kWs;
  // WS: activation rows in and output rows out in the same cycle, partial
  // sums read and written in the same cycle; OS: the stream and the drain
  // do not overlap
  const std::pair<const char*, int64_t> peak[] = {
      {"activations", ws ? R + C : std::max(R, C)},
      {"weights", C},
      {"gradients", ws ? 2 * C * wpp : 0},
  };
  std::vector<std::string> out;
  const int64_t have = cfg.accelerator.sram.words_per_cycle;
  for (const auto& [buffer, need] : peak)
    if (need > have)
      out.push_back(fmt::format(
          "the {} buffer must move up to {} words a cycle at the array edge but accelerator.sram.words_per_cycle "
          "is {}; bandwidth stalls are not modelled yet, so the cycle counts are optimistic",
          buffer, need, have));
  const auto& nu = cfg.accelerator.numerics;
  if (!cfg.is_float()) {
    const std::pair<const char*, int> fracs[] = {{"activation", nu.activation_frac()}, {"weight", nu.weight_frac()},
                                                 {"error", nu.error_frac()}, {"gradient", nu.gradient_frac()}};
    for (const auto& [what, f] : fracs)
      if (f >= nu.data_bits - 1)
        out.push_back(fmt::format("{} values have {} fractional bits in {}-bit words: the largest is below {}, so "
                                  "almost every operand saturates (lower the fractional bits or raise data_bits)",
                                  what, f, nu.data_bits, std::ldexp(1.0, nu.data_bits - 1 - f)));
  }
  return out;
}

}  // namespace systrain
