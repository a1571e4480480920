// SCALE-Sim topology files (model/workload/topology.h): both formats as SCALE-Sim
// ships them, the GEMMs they lower to, and located errors.
#include <doctest/doctest.h>

#include "file_util.h"
#include "schedule.h"
#include "topology.h"

using namespace systrain;

namespace {
int64_t macs(const Topology& t) {
  int64_t s = 0;
  for (const auto& l : t.layers) s += l.m * l.k * l.n;
  return s;
}
// a topology file of configs/topologies/, which must read without an error
// (round_up: SCALE-Sim's OFMAP convention; resnet50.csv is padded as PyTorch pads)
Topology shipped(const std::string& name, bool round_up = true) {
  std::vector<ConfigError> errors;
  const Topology t =
      parse_topology(test::slurp(test::source_file("configs/topologies/" + name)), name, errors, round_up);
  for (const auto& e : errors) FAIL_CHECK(e.str());
  return t;
}
// Layer i's forward pass of a topology on a 32x32 array, one image: our
// cycles (tile by tile, closed form) and the per-tile difference from
// SCALE-Sim's fold that docs/cnn.md states: ru − R + 2 a WS tile, R + 1 an OS tile.
struct Forward {
  int64_t ours = 0, extra = 0, tiles = 0;
  Gemm g;
};
Forward forward_cycles(const std::vector<TopologyLayer>& layers, Dataflow df, int i) {
  Config cfg;
  cfg.network.topology = layers;
  cfg.accelerator.array.rows = cfg.accelerator.array.cols = 32;
  cfg.schedule.kind = ScheduleKind::kInference;
  cfg.schedule.forward_dataflow = df;
  cfg.training.batch = 1;
  const Workload w = build_workload(cfg);
  const StepLayout l = step_layout(w, 1);
  const ArrayShape a{32, 32, 2};
  const Pass p = forward_pass(cfg, w, l, i, 1);
  Forward f;
  f.g = p.g;
  for (const Tile& t : tile_pass(p, a, 1)) {
    f.ours += tile_cost(t, a).cycles;
    f.extra += df == Dataflow::kWs ? t.ru - 32 + 2 : 32 + 1;
    ++f.tiles;
  }
  return f;
}
}  // namespace

TEST_CASE("the shipped AlexNet topology lowers to the GEMMs of its convolutions") {
  const Topology t = shipped("alexnet.csv");
  REQUIRE(t.layers.size() == 5);
  CHECK(t.conv);
  // conv1: (227 − 11)/4 + 1 = 55, so M = 55², K = 11²·3, N = 96
  CHECK(t.layers[0].ofmap_h() == 55);
  CHECK(t.layers[0].m == 3025);
  CHECK(t.layers[0].k == 363);
  CHECK(t.layers[0].n == 96);
  // conv2..5 keep 27x27 and 13x13 with their padding in the IFMAP
  CHECK(t.layers[1].m == 27 * 27);
  CHECK(t.layers[4].m == 13 * 13);
  CHECK(t.layers[4].k == 9 * 384);
  // single-tower AlexNet, conv1-5: 1.077 GMACs
  CHECK(macs(t) == 3025LL * 363 * 96 + 729LL * 2400 * 256 + 169LL * 2304 * 384 + 169LL * 3456 * 384 + 169LL * 3456 * 256);
}

TEST_CASE("the shipped ResNet-50 topology: 53 convolutions and the classifier, about 4 GMACs") {
  const Topology t = shipped("resnet50.csv", false);  // its config: topology_convention: pytorch
  CHECK(t.layers.size() == 54);
  CHECK(t.layers[0].ofmap_h() == 112);
  CHECK(shipped("resnet50.csv").layers[0].ofmap_h() == 113);  // what SCALE-Sim's rule would make of it
  CHECK(t.layers.back().m == 1);
  CHECK(t.layers.back().k == 2048);
  CHECK(t.layers.back().n == 1000);
  // He et al. count 3.8·10⁹ multiply-adds without the projection shortcuts and the classifier
  CHECK(macs(t) > 3.8e9);
  CHECK(macs(t) < 4.3e9);
}

TEST_CASE("SCALE-Sim's own files load as they are: spaces, trailing commas, extra columns, empty rows, GEMM") {
  std::vector<ConfigError> errors;
  const Topology a = parse_topology(
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,,,Eh,Ew,e2\n"
      ",,,,,,,,,,,,\n"
      "Conv1     ,224         ,224        ,7           ,7          ,3       ,64        ,2      ,,,110,110,12100\r\n"
      "CB2a_1,56,56,1,1,64,64,1,,,,,",
      "r.csv", errors);
  REQUIRE(errors.empty());
  REQUIRE(a.layers.size() == 2);
  CHECK(a.layers[0].name == "Conv1");
  // SCALE-Sim's rule: ⌈(224 − 7) / 2⌉ + 1 = 110, as the file's own Eh column says (109 in PyTorch's)
  CHECK(a.layers[0].ofmap_h() == 110);
  CHECK(parse_topology("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                       "Strides,\nConv1,224,224,7,7,3,64,2,\n", "p.csv", errors, false).layers[0].ofmap_h() == 109);
  const Topology g = parse_topology("Layer,M,N,K\nQKT,1024,1024,64\nLinear1,1024,4800,1600\n", "g.csv", errors);
  REQUIRE(errors.empty());
  CHECK_FALSE(g.conv);
  REQUIRE(g.layers.size() == 2);
  CHECK(g.layers[1].m == 1024);
  CHECK(g.layers[1].n == 4800);
  CHECK(g.layers[1].k == 1600);
}

TEST_CASE("bad rows of a topology file give located errors") {
  std::vector<ConfigError> errors;
  parse_topology(
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
      "c1, 28, 28, 3, 3, 1, x8, 1,\n"
      "c2, 2, 2, 3, 3, 1, 8, 1,\n"
      "c3, 28, 28\n",
      "t.csv", errors);
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].str() == "t.csv:2:22: network.topology_csv: Num Filter: expected an integer in [1, 16777216], found 'x8'");
  CHECK(errors[1].str() == "t.csv:3:11: network.topology_csv: the 3x3 filter is larger than the 2x2 IFMAP");
  CHECK(errors[2].str() ==
        "t.csv:4:1: network.topology_csv: a row needs a name and 7 numbers (IFMAP H, W, filter H, W, channels, "
        "filters, stride), found 3 cells");
  errors.clear();
  parse_topology("name,a,b\n1,2,3\n", "h.csv", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message.rfind("expected a SCALE-Sim header row", 0) == 0);
  errors.clear();
  parse_topology("\n,,,\n", "e.csv", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message.rfind("the file is empty", 0) == 0);
}

TEST_CASE("AlexNet forward on a 32x32 array: our cycles against SCALE-Sim's per-fold closed forms") {
  // SCALE-Sim v2 counts a fold as WS 2R + C + M − 2, OS R + C + K − 2 (the
  // lengths of its skewed demand matrices). Ours (model/systolic/tile.h): WS
  // ru + M + R + C, OS K + 2R + C − 1: ru − R + 2 more a WS tile (we load
  // only the rows in use, it always loads R), R + 1 more an OS tile (we drain
  // after the flush, it overlaps the drain with the next fold).
  const auto layers = shipped("alexnet.csv").layers;
  const int64_t R = 32, C = 32;
  for (Dataflow df : {Dataflow::kWs, Dataflow::kOs})
    for (int i = 0; i < static_cast<int>(layers.size()); ++i) {
      CAPTURE(i);
      const Forward f = forward_cycles(layers, df, i);
      const int64_t M = f.g.m, K = f.g.k, N = f.g.n;
      const int64_t folds = df == Dataflow::kWs ? (K + R - 1) / R * ((N + C - 1) / C) : (M + R - 1) / R * ((N + C - 1) / C);
      const int64_t scalesim = folds * (df == Dataflow::kWs ? 2 * R + C + M - 2 : R + C + K - 2);
      CHECK(f.tiles == folds);
      CHECK(f.ours == scalesim + f.extra);
    }
}

TEST_CASE("a topology row whose GEMM overflows 64-bit counters is a located error, not a GEMM of 0 MACs") {
  std::vector<ConfigError> errors;
  // K = 2^24 · 2^24 · 2^24 overflowed to 0 and the row ran with no work
  parse_topology("Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,\n"
                 "big,16777216,16777216,16777216,16777216,16777216,16777216,1,\n",
                 "big.csv", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].str().find("big.csv:2:") == 0);
  CHECK(errors[0].str().find("2^40") != std::string::npos);
  errors.clear();
  // a GEMM row of 2^72 multiply-adds
  parse_topology("Layer,M,N,K\nhuge,16777216,16777216,16777216\n", "g.csv", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].str().find("2^62") != std::string::npos);
  errors.clear();
  // the largest that fits runs: 2^24 · 2^24 · 2^14 = 2^62
  const Topology ok = parse_topology("Layer,M,N,K\nedge,16777216,16384,16777216\n", "e.csv", errors);
  CHECK(errors.empty());
  CHECK(ok.layers.size() == 1);
}

TEST_CASE("a file whose rows add up past 2^62 multiply-adds is a located error at the row that crosses it") {
  std::vector<ConfigError> errors;
  // 2^24 · 2^24 · 2^13 = 2^61 a row: two rows make 2^62 (fits), the third crosses it
  const std::string row = "r,16777216,8192,16777216\n";
  const Topology t = parse_topology("Layer,M,N,K\n" + row + row + row, "sum.csv", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].str() == "sum.csv:4:1: network.topology_csv: with this row the file's layers hold more than 2^62 multiply-adds in all");
  CHECK(t.layers.size() == 2);
}

TEST_CASE("SCALE-Sim v2's own AlexNet runs: our per-layer cycles are its Total Cycles plus one plus the stated per-tile difference") {
  // SCALE-Sim v2 (22f88b1, CALC mode, 32x32) on its conv_nets/alexnet.csv, conv1's IFMAP at 227 so that both
  // OFMAP conventions give the same GEMM; its Total Cycles are its closed form minus one (issue 16's figures)
  const std::string file =
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
      "Conv1,227,227,11,11,3,96,4,\nConv2,27,27,5,5,96,256,1,\nConv3,13,13,3,3,256,384,1,\n"
      "Conv4,13,13,3,3,384,384,1,\nConv5,13,13,3,3,384,256,1,\n";
  const int64_t ws_total[] = {112283, 373799, 185759, 278639, 185759};
  const int64_t os_total[] = {121124, 334831, 113567, 168863, 112575};
  std::vector<ConfigError> errors;
  const auto layers = parse_topology(file, "scalesim_alexnet.csv", errors).layers;
  REQUIRE(errors.empty());
  for (Dataflow df : {Dataflow::kWs, Dataflow::kOs})
    for (int i = 0; i < 5; ++i) {
      CAPTURE(i);
      const Forward f = forward_cycles(layers, df, i);
      CHECK(f.ours == (df == Dataflow::kWs ? ws_total[i] : os_total[i]) + 1 + f.extra);
    }
}

TEST_CASE("network.topology_convention: SCALE-Sim rounds a conv row's OFMAP up, PyTorch down") {
  // SCALE-Sim's own AlexNet conv1 at 224, stride 4: (224 − 11) / 4 = 53.25 -> 55x55 there, 54x54 in PyTorch
  const std::string file =
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
      "Conv1,224,224,11,11,3,96,4,\n";
  std::vector<ConfigError> errors;
  const Topology s = parse_topology(file, "a.csv", errors, true), t = parse_topology(file, "a.csv", errors, false);
  REQUIRE(errors.empty());
  CHECK(s.layers[0].m == 55 * 55);
  CHECK(t.layers[0].m == 54 * 54);
  Config cfg;
  cfg.network.topology = s.layers;
  const auto warnings = config_warnings(cfg);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("Conv1 (line 2): 55x55 here, 54x54 under pytorch") != std::string::npos);
  // the im2col reads the taps inside the image: the 55th window covers 8 of its 11 rows
  const Workload w = build_workload(cfg);
  CHECK(w.layers[0].prep[0].reads_per_sample() == 3 * (54 * 11 + 8) * (54 * 11 + 8));
  cfg.network.topology = t.layers;
  cfg.network.topology_convention = TopologyConvention::kPytorch;
  CHECK(config_warnings(cfg).empty());
}
