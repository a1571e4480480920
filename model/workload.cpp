#include "workload.h"

#include <algorithm>

namespace systrain {

Workload build_workload(const Config& cfg) {
  Workload w;
  int64_t k = cfg.network.input_shape.empty() ? 0 : cfg.network.input_shape[0];
  w.input_width = k;
  w.max_width = k;
  int idx = 0;
  for (const auto& lc : cfg.network.layers) {
    LayerPlan p;
    p.index = idx++;
    p.k = k;
    p.n = lc.units;
    p.relu = lc.activation == Activation::kRelu;
    p.w_addr = w.weight_words;
    w.weight_words += p.k * p.n;
    w.max_width = std::max(w.max_width, p.n);
    w.max_n = std::max(w.max_n, p.n);
    w.layers.push_back(p);
    k = p.n;
  }
  return w;
}

LayerLayout layer_layout(const Workload& w, int layer, int64_t m) {
  const LayerPlan& p = w.layers[layer];
  LayerLayout l;
  l.gemm = {m, p.k, p.n};
  const int64_t region = w.max_width * m;
  l.x_addr = (layer % 2) * region;
  l.y_addr = ((layer + 1) % 2) * region;
  l.w_addr = p.w_addr;
  l.p_addr = 0;
  return l;
}

int64_t activation_elements(const Workload& w, int64_t m) { return 2 * w.max_width * m; }
int64_t gradient_elements(const Workload& w, int64_t m) { return w.max_n * m; }

}  // namespace systrain
