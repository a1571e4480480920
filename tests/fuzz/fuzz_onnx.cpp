// libFuzzer target: the ONNX importer (network.onnx, onnx-test's wrapping).
// Whatever the bytes, it must end with an OnnxError or with layers whose
// weights have the sizes the layers say (a dense layer K·N and N biases, a
// conv C·kh·kw·F and F), shapes that chain, and a config that, when it
// validates, builds a workload holding exactly those weights.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config_schema.h"
#include "onnx_loader.h"
#include "workload.h"

using namespace systrain;

namespace {
void require(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  OnnxOptions o;
  o.wrap = data[0] & 1;  // onnx-test's identity layers, or the model as it is
  OnnxModel m;
  try {
    m = load_onnx_bytes(std::string(reinterpret_cast<const char*>(data) + 1, size - 1), "fuzz.onnx", o);
  } catch (const OnnxError&) {
    return 0;
  }
  require(!m.layers.empty() && m.layers.size() == m.weights.size());
  require(m.input_shape.size() == 1 || m.input_shape.size() == 3);
  // the shapes through the layers, and each layer's weights
  bool image = m.input_shape.size() == 3;
  int64_t c = m.input_shape[0], h = image ? m.input_shape[1] : 1, w = image ? m.input_shape[2] : 1;
  int64_t weights = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const LayerConfig& l = m.layers[i];
    const LayerWeights& lw = m.weights[i];
    switch (l.type) {
      case LayerType::kDense:
        require(!image);
        require(static_cast<int64_t>(lw.w.size()) == c * l.units);
        require(lw.b.empty() ? !l.bias : static_cast<int64_t>(lw.b.size()) == l.units && l.bias);
        weights += (c + (l.bias ? 1 : 0)) * l.units;
        c = l.units;
        break;
      case LayerType::kConv2d:
        require(image);
        require(static_cast<int64_t>(lw.w.size()) == c * l.kernel * l.kw() * l.filters);
        require(lw.b.empty() ? !l.bias : static_cast<int64_t>(lw.b.size()) == l.filters && l.bias);
        weights += (c * l.kernel * l.kw() + (l.bias ? 1 : 0)) * l.filters;
        h = conv_out(h, l.kernel, l.stride, l.pad_top(), l.pad_bottom());
        w = conv_out(w, l.kw(), l.sw(), l.pad_left(), l.pad_right());
        require(h >= 1 && w >= 1);
        c = l.filters;
        break;
      case LayerType::kMaxpool:  // a square window, one stride, padding less than the window
        require(image && l.size >= 1 && l.pool_padding < l.size && l.size <= h + 2 * l.pool_padding &&
                l.size <= w + 2 * l.pool_padding && lw.w.empty());
        h = conv_out(h, l.size, l.pool_step(), l.pool_padding);
        w = conv_out(w, l.size, l.pool_step(), l.pool_padding);
        require(h >= 1 && w >= 1);
        break;
      case LayerType::kFlatten:
        require(image && lw.w.empty());
        c *= h * w, h = w = 1, image = false;
        break;
    }
  }
  Config cfg;
  cfg.network.input_shape = m.input_shape;
  cfg.network.layers = m.layers;
  cfg.network.model_weights = m.weights;
  cfg.training.dataset = Dataset::kSynthetic;
  std::vector<ConfigError> errors;
  validate_config(cfg, [](const std::string&) { return SourceLoc{"fuzz.onnx", 0, 0}; }, errors);
  if (errors.empty()) require(build_workload(cfg).weight_words == weights);
  return 0;
}
