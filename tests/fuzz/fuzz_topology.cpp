// libFuzzer target: the SCALE-Sim topology reader (network.topology_csv) and
// the size arithmetic behind it. Whatever the bytes, parsing must end with
// errors or with layers whose GEMMs are what the cells say, computed here in
// 128 bits: K = Fh·Fw·C, M = OFMAP H·W, every dimension positive, a layer's
// and the file's multiply-adds and weights within 2^62; the workload built
// from the layers holds those weights; the memory estimate of a timing-only
// run over them is finite; an im2col reads no more taps than it writes. Both
// OFMAP conventions (network.topology_convention).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "host_memory.h"
#include "topology.h"
#include "workload.h"

using namespace systrain;

namespace {
using u128 = unsigned __int128;
constexpr u128 kMax = u128{1} << 62;
void require(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<ConfigError> errors;
  const bool up = size % 2 == 0;  // both OFMAP conventions (SCALE-Sim's rounds up)
  const Topology t = parse_topology(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv", errors, up);
  require(errors.size() <= 51);  // capped
  u128 weights = 0, macs = 0;
  for (const auto& l : t.layers) {
    require(l.m >= 1 && l.n >= 1 && l.k >= 1);
    if (l.conv) {
      require(l.stride >= 1 && l.filter_h <= l.ifmap_h && l.filter_w <= l.ifmap_w);
      const u128 r = up ? u128(l.stride - 1) : 0;
      const u128 oh = (u128(l.ifmap_h - l.filter_h) + r) / u128(l.stride) + 1,
                 ow = (u128(l.ifmap_w - l.filter_w) + r) / u128(l.stride) + 1;
      require(u128(l.ofmap_h()) == oh && u128(l.ofmap_w()) == ow);
      require(u128(l.m) == oh * ow);
      require(u128(l.k) == u128(l.filter_h) * u128(l.filter_w) * u128(l.channels));
      require(l.n == l.filters);
    }
    const u128 layer_macs = u128(l.m) * u128(l.k) * u128(l.n);
    require(layer_macs <= kMax);
    weights += u128(l.k) * u128(l.n);
    macs += layer_macs;
  }
  require(weights <= kMax && macs <= kMax);
  if (t.layers.empty() || !errors.empty()) return 0;
  Config cfg;
  cfg.network.topology = t.layers;
  cfg.network.topology_convention = up ? TopologyConvention::kScalesim : TopologyConvention::kPytorch;
  cfg.simulation.functional = false;
  const Workload w = build_workload(cfg);
  require(w.layers.size() == t.layers.size());
  u128 held = 0;  // the workload's weights (k·n, the bias row aside: topology layers have none)
  for (const auto& p : w.layers) held += u128(p.kw()) * u128(p.n);
  require(held == weights && u128(w.weight_words) == held);
  for (bool training : {false, true})
    for (const MemoryPart& part : host_memory(cfg, w, training)) require(std::isfinite(part.bytes) && part.bytes >= 0);
  // an im2col reads no more taps than its columns hold
  for (const auto& p : w.layers)
    for (const auto& pr : p.prep) require(u128(pr.reads_per_sample()) <= u128(pr.out.elements()));
  (void)config_warnings(cfg);
  return 0;
}
