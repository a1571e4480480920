#include "run_context.h"

#include "edge_shape.h"
#include "edge_train.h"

namespace systrain {

Numerics numerics_of(const Config& cfg) {
  const auto& nu = cfg.accelerator.numerics;
  return {nu.data_bits, nu.frac_bits, nu.acc_bits, cfg.is_float(),
          nu.activation_frac(), nu.weight_frac(), nu.error_frac(), nu.gradient_frac()};
}

RunContext::RunContext(const Config& c, const Workload& wl, RunResult& r)
    : cfg(c), w(wl), result(r), num(numerics_of(c)), sn(step_numerics(c)), layout(run_layout(c, wl)), dram(c, wl) {
  bool sparse = false;
  for (const auto& l : c.network.layers) sparse |= l.fan_out > 0;
  if (!sparse || c.accelerator.kind != AcceleratorKind::kSystolic) return;
  const EdgeShape s = edge_shape(c);
  const EdgeNet net = edge_net(c, s);
  for (const auto& p : wl.layers) {
    std::vector<uint8_t> k(static_cast<size_t>(p.kw() * p.n), 0);
    for (int64_t col = 0; col < p.n && p.bias; ++col) k[p.k * p.n + col] = 1;
    const int j = p.config_layer;  // junction j + 1
    if (j < static_cast<int>(net.left.size()))
      for (size_t e = 0; e < net.left[j].size(); ++e) k[net.left[j][e] * p.n + net.right[j][e]] = 1;
    keep.push_back(std::move(k));
  }
}

void RunContext::mask_weights(std::vector<int64_t>& words, int layer) const {
  if (keep.empty()) return;
  const auto& p = w.layers[layer];
  const auto& k = keep[layer];
  const Mat& m = layout.w[layer];
  for (int64_t r = 0; r < p.kw(); ++r)
    for (int64_t c = 0; c < p.n; ++c)
      if (!k[r * p.n + c]) words[m.at(r, c)] = 0;  // (0 is also float32's +0.0)
}

}  // namespace systrain
