#include "edge_shape.h"

#include <fmt/format.h>

namespace systrain {

namespace {
bool pow2(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }
}  // namespace

int64_t EdgeShape::edges() const {
  int64_t s = 0;
  for (int64_t x : w) s += x;
  return s;
}

int64_t EdgeShape::bp_edges() const {
  int64_t s = 0;
  for (int j = 2; j <= junctions(); ++j) s += w[j - 1];
  return s;
}

int64_t EdgeShape::multipliers(bool training) const {
  int64_t m = 0;
  for (int j = 1; j <= junctions(); ++j) m += z[j - 1] * (!training ? 1 : bp(j) ? 4 : 2);
  return m;
}

EdgeShape edge_shape(const Config& cfg, std::vector<std::pair<std::string, std::string>>* problems) {
  auto bad = [&](std::string path, std::string msg) {
    if (problems) problems->emplace_back(std::move(path), std::move(msg));
  };
  EdgeShape s;
  const auto& net = cfg.network;
  const auto& e = cfg.accelerator.edge;
  s.p = e.proc_latency;
  if (net.input_shape.size() != 1) {
    bad("network.input_shape", "the edge trainer takes a vector input, [N]");
    return s;
  }
  s.layers = static_cast<int>(net.layers.size()) + 1;
  s.n.push_back(net.input_shape[0]);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerConfig& l = net.layers[i];
    const std::string at = fmt::format("network.layers[{}]", i);
    if (l.type != LayerType::kDense) {
      bad(at + ".type", "the edge trainer's layers are dense (with a fan_out), found " + std::string(to_string(l.type)));
      return s;
    }
    s.n.push_back(l.units);
  }
  if (s.junctions() < 1) return s;
  for (int64_t v : s.n)
    if (v < 1) return s;  // a layer without units (its own error says so)
  if (static_cast<int>(e.z.size()) != s.junctions()) {
    bad("accelerator.edge.z", fmt::format("gives {} values; the network has {} junctions (one a layer)", e.z.size(),
                                          s.junctions()));
    return s;
  }
  bool ok = true;
  for (int j = 1; j <= s.junctions(); ++j) {
    const LayerConfig& l = net.layers[j - 1];
    const std::string at = fmt::format("network.layers[{}]", j - 1);
    const int64_t left = s.n[j - 1], right = s.n[j], z = e.z[j - 1];
    if (l.fan_out < 1) {
      bad(at + ".fan_out", "missing key (the edge trainer's junctions are sparse: the out-degree of each input neuron)");
      ok = false;
      continue;
    }
    if (l.fan_out > right) {
      bad(at + ".fan_out", fmt::format("{} is more than the {} neurons it connects to", l.fan_out, right));
      ok = false;
      continue;
    }
    const int64_t w = left * l.fan_out;
    if (w % right != 0) {
      bad(at + ".fan_out", fmt::format("{} neurons × fan_out {} = {} edges do not give each of the {} neurons the same "
                                       "in-degree",
                                       left, l.fan_out, w, right));
      ok = false;
      continue;
    }
    const int64_t fi = w / right;
    if (j >= 2 && left / z < 2 && left % z == 0)
      bad("accelerator.edge.z", fmt::format("z[{}] = {} must be at most half of junction {}'s {} left neurons (its "
                                            "backpropagation reads and writes their partial δ within 4 clocks)",
                                            j - 1, z, j, left)),
          ok = false;
    if (left % z != 0)
      bad("accelerator.edge.z", fmt::format("z[{}] = {} does not divide the {} neurons of junction {}'s left layer", j - 1,
                                            z, left, j)),
          ok = false;
    if (z % l.fan_out != 0 || z % fi != 0)
      bad("accelerator.edge.z", fmt::format("z[{}] = {} must be a multiple of junction {}'s fan_out ({}) and fan_in ({})",
                                            j - 1, z, j, l.fan_out, fi)),
          ok = false;
    if (!pow2(left) || !pow2(right) || !pow2(z))
      bad(j == 1 && !pow2(left) ? "network.input_shape" : !pow2(z) ? "accelerator.edge.z" : at + ".units",
          fmt::format("junction {}: {} → {} neurons at z = {}: the clash-free interleaver needs powers of two", j, left,
                      right, z)),
          ok = false;
    s.fo.push_back(l.fan_out);
    s.fi.push_back(fi);
    s.z.push_back(z);
    s.w.push_back(w);
  }
  if (!ok || static_cast<int>(s.w.size()) != s.junctions()) return s;
  s.c = s.w[0] / s.z[0];
  std::string rows;
  bool equal = true;
  for (int j = 1; j <= s.junctions(); ++j) {
    rows += fmt::format("{}{}", j > 1 ? ", " : "", s.w[j - 1] / s.z[j - 1]);
    equal &= s.w[j - 1] / s.z[j - 1] == s.c;
  }
  if (!equal)
    bad("accelerator.edge.z", fmt::format("gives the junctions {} rows (|W|/z); junction pipelining needs the same "
                                          "number in every junction",
                                          rows));
  return s;
}

EdgeTiming edge_timing(const EdgeShape& s, ScheduleKind kind, int64_t inputs) {
  EdgeTiming t;
  const int64_t L = s.layers, N = inputs, cpc = s.cpc();
  if (N <= 0) return t;
  if (kind == ScheduleKind::kInference) {
    t.blocks = N + L - 1;
    t.forward = t.blocks * cpc;
  } else if (kind == ScheduleKind::kBaseline) {
    t.blocks = N * (2 * L - 2) + 1;
    t.forward = (L + (N - 1) * (L - 1)) * cpc;
    t.backward = N * (L - 1) * cpc;
  } else {  // pipelined
    t.blocks = N + 2 * L - 2;
    t.forward = L * cpc;
    t.backward = (L - 1) * cpc;
    t.overlap = (N - 1) * cpc;
  }
  t.cycles = t.blocks * cpc;
  return t;
}

BlockClock block_clock(const EdgeShape& s, int64_t k) {
  BlockClock b;
  if (k >= 0 && k < s.c) b.read_row = k;
  if (k - 1 - s.p >= 0 && k - 1 - s.p < s.c) b.rewrite_row = k - 1 - s.p;
  if (k - 2 - s.p >= 0 && k - 2 - s.p < s.c) b.output_row = k - 2 - s.p;
  return b;
}

}  // namespace systrain
