#include "workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace systrain {

int64_t conv_out(int64_t in, int kernel, int stride, int pad_before, int pad_after) {
  const int64_t span = in + int64_t{pad_before} + (pad_after < 0 ? pad_before : pad_after) - kernel;
  return span < 0 ? 0 : span / stride + 1;
}

int64_t conv_valid_taps(int64_t in, int kernel, int stride, int pad_before, int64_t outputs) {
  int64_t taps = 0;
  for (int64_t o = 0; o < outputs; ++o) {
    const int64_t lo = o * stride - pad_before;  // the window covers [lo, lo + kernel)
    taps += std::max<int64_t>(0, std::min<int64_t>(lo + kernel, in) - std::max<int64_t>(lo, 0));
  }
  return taps;
}

int64_t Prep::reads_per_sample() const {
  switch (kind) {
    case PrepKind::kPool:  // the windows' taps inside the image (floor: the rest is unread; padding is not read)
      return in.c * conv_valid_taps(in.h, kernel, stride, pad_top, out.h) *
             conv_valid_taps(in.w, kernel_w, stride_w, pad_left, out.w);
    case PrepKind::kFlatten: return in.elements();
    case PrepKind::kIm2col:
      // (the outputs it has: a topology row in SCALE-Sim's convention has one
      // more than the floor, its last windows partly past the image)
      return in.c * conv_valid_taps(in.h, kernel, stride, pad_top, out.h) *
             conv_valid_taps(in.w, kernel_w, stride_w, pad_left, out.w);
  }
  return 0;
}

int64_t Prep::writes_per_sample() const { return out.elements(); }

namespace {
ImageShape image_of(const std::vector<int>& shape) {
  if (shape.size() == 3) return {shape[0], shape[1], shape[2]};
  return {shape.empty() ? 0 : shape[0], 1, 1};
}

LayerPlan gemm_layer(int index, int64_t k, int64_t n, int64_t rows, bool relu, bool bias) {
  LayerPlan p;
  p.index = index;
  p.k = k, p.n = n, p.rows = rows, p.relu = relu, p.bias = bias;
  return p;
}

// a topology file: every row its own GEMM, a conv with its own im2col of
// the IFMAP the row gives (timing only: the rows need not chain)
Workload topology_workload(const Config& cfg) {
  Workload w;
  w.from_topology = true;
  for (const auto& t : cfg.network.topology) {
    LayerPlan p = gemm_layer(static_cast<int>(w.layers.size()), t.k, t.n, t.m, false, false);
    if (t.conv) {
      p.conv = true;
      Prep im;
      im.kind = PrepKind::kIm2col;
      im.in = {t.channels, t.ifmap_h, t.ifmap_w};
      im.out = {t.k, t.ofmap_h(), t.ofmap_w()};
      im.kernel = static_cast<int>(t.filter_h), im.kernel_w = static_cast<int>(t.filter_w);
      im.stride = im.stride_w = static_cast<int>(t.stride);
      p.prep.push_back(im);
    }
    p.name = t.name;
    p.config_layer = static_cast<int>(w.config_layers.size());
    for (auto& pr : p.prep) pr.config_layer = p.config_layer;
    w.config_layers.push_back({t.conv ? "conv2d" : "dense", p.index});
    p.out_shape = {p.n, 1, 1};
    p.w_addr = w.weight_words;
    w.weight_words += p.kw() * p.n;
    w.layers.push_back(p);
  }
  const auto& first = w.layers.front();
  w.image_input = !first.prep.empty();
  w.input = w.image_input ? first.prep.front().in : ImageShape{first.k, 1, 1};
  w.input_width = w.input.elements();
  return w;
}
}  // namespace

Workload build_workload(const Config& cfg) {
  if (!cfg.network.topology.empty()) return topology_workload(cfg);
  Workload w;
  w.input = image_of(cfg.network.input_shape);
  w.input_width = w.input.elements();
  w.image_input = cfg.network.input_shape.size() == 3;
  bool image = w.image_input;  // the current tensor is an image (else a vector of cur.c features)
  ImageShape cur = w.input;
  std::vector<Prep> pending;
  int idx = 0;
  for (const auto& lc : cfg.network.layers) {
    const int ci = static_cast<int>(w.config_layers.size());
    w.config_layers.push_back({to_string(lc.type), lc.type == LayerType::kDense || lc.type == LayerType::kConv2d ? idx : -1});
    switch (lc.type) {
      case LayerType::kMaxpool: {
        Prep p;
        p.kind = PrepKind::kPool;
        p.config_layer = ci;
        p.in = cur;
        p.kernel = p.kernel_w = lc.size, p.stride = p.stride_w = lc.pool_step();
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = lc.pool_padding;
        p.out = {cur.c, conv_out(cur.h, lc.size, lc.pool_step(), lc.pool_padding),
                 conv_out(cur.w, lc.size, lc.pool_step(), lc.pool_padding)};
        pending.push_back(p);
        cur = p.out;
        break;
      }
      case LayerType::kFlatten: {
        if (!image) break;  // flattening a vector changes nothing
        Prep p;
        p.kind = PrepKind::kFlatten;
        p.config_layer = ci;
        p.in = cur;
        p.out = {cur.elements(), 1, 1};
        pending.push_back(p);
        cur = p.out;
        image = false;
        break;
      }
      case LayerType::kConv2d: {
        Prep p;
        p.kind = PrepKind::kIm2col;
        p.config_layer = ci;
        p.in = cur;
        p.kernel = lc.kernel, p.kernel_w = lc.kw(), p.stride = lc.stride, p.stride_w = lc.sw();
        p.pad_top = lc.pad_top(), p.pad_left = lc.pad_left(), p.pad_bottom = lc.pad_bottom(), p.pad_right = lc.pad_right();
        const int64_t oh = conv_out(cur.h, lc.kernel, lc.stride, lc.pad_top(), lc.pad_bottom());
        const int64_t ow = conv_out(cur.w, lc.kw(), lc.sw(), lc.pad_left(), lc.pad_right());
        p.out = {cur.c * lc.kernel * lc.kw(), oh, ow};
        pending.push_back(p);
        LayerPlan g = gemm_layer(idx++, p.out.c, lc.filters, oh * ow, lc.activation == Activation::kRelu, lc.bias);
        g.conv = true;
        g.config_layer = ci;
        g.prep = std::move(pending);
        pending.clear();
        g.out_shape = cur = {lc.filters, oh, ow};
        image = true;
        g.w_addr = w.weight_words;
        w.weight_words += g.kw() * g.n;
        w.layers.push_back(std::move(g));
        break;
      }
      case LayerType::kDense: {
        LayerPlan g = gemm_layer(idx++, cur.elements(), lc.units, 1, lc.activation == Activation::kRelu, lc.bias);
        g.config_layer = ci;
        g.prep = std::move(pending);
        pending.clear();
        g.out_shape = cur = {lc.units, 1, 1};
        image = false;
        g.w_addr = w.weight_words;
        w.weight_words += g.kw() * g.n;
        w.layers.push_back(std::move(g));
        break;
      }
    }
  }
  return w;
}

std::vector<std::string> config_warnings(const Config& cfg) {
  std::vector<std::string> out;
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
  // topology conv rows whose output SCALE-Sim and PyTorch size differently
  // (under the default, scalesim: a config that names pytorch chose it)
  if (cfg.network.topology_convention == TopologyConvention::kScalesim) {
    std::vector<std::string> rows;
    for (const auto& t : cfg.network.topology)
      if (t.conv && ((t.ifmap_h - t.filter_h) % t.stride || (t.ifmap_w - t.filter_w) % t.stride)) {
        TopologyLayer other = t;
        other.round_up = !t.round_up;
        const auto size = [](const TopologyLayer& l) { return fmt::format("{}x{}", l.ofmap_h(), l.ofmap_w()); };
        rows.push_back(fmt::format("{} (line {}): {} here, {} under {}", t.name, t.line, size(t), size(other),
                                   t.round_up ? "pytorch" : "scalesim"));
      }
    if (!rows.empty()) {
      std::string list;
      for (size_t i = 0; i < rows.size() && i < 5; ++i) list += (i ? "; " : "") + rows[i];
      if (rows.size() > 5) list += fmt::format("; and {} more", rows.size() - 5);
      out.push_back(fmt::format("network.topology_convention: {} conv row{} of the topology file, whose (IFMAP - "
                                "filter) is not a multiple of the stride, get{} a larger OFMAP under SCALE-Sim's "
                                "convention (rounded up, this run's) than under PyTorch's (set topology_convention: "
                                "pytorch for a file padded as PyTorch pads): {}",
                                rows.size(), rows.size() == 1 ? "" : "s", rows.size() == 1 ? "s" : "", list));
    }
  }
  // a buffer smaller than one block of the array's tile cannot keep even that
  const auto& a = cfg.accelerator.array;
  const int64_t block = int64_t{a.rows} * a.cols;
  const std::pair<const char*, int> bufs[] = {{"weights_kib", cfg.accelerator.sram.weights_kib},
                                              {"activations_kib", cfg.accelerator.sram.activations_kib},
                                              {"gradients_kib", cfg.accelerator.sram.gradients_kib}};
  for (const auto& [key, kib] : bufs) {
    const int64_t words = int64_t{kib} * 8192 / cfg.word_bits();
    if (words < block)
      out.push_back(fmt::format("accelerator.sram.{}: {} KiB holds {} words of {} bits, fewer than one {}x{} block of "
                                "the array ({} words): every tile's operands in it come from DRAM; raise it to at least "
                                "{} KiB",
                                key, kib, words, cfg.word_bits(), a.rows, a.cols, block,
                                (block * cfg.word_bits() + 8191) / 8192));
  }
  return out;
}

}  // namespace systrain
