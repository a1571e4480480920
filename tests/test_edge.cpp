// The edge trainer's closed form (model/edge/edge_shape.h) against the
// numbers of the authors' RTL and testbench (issue 17; background (d)): the
// board build's block cycle, multipliers, an epoch of their testbench, the
// baseline's clocks an input, the weight reads of one row read three ways,
// and the small co-simulation shapes' blocks.
#include <doctest/doctest.h>

#include "edge_run.h"
#include "edge_shape.h"
#include "report.h"
#include "yaml_loader.h"

using namespace systrain;

namespace {
Config edge(const std::string& layers, const std::string& z, const std::string& input, const char* kind = "pipelined") {
  const std::string text = "schema_version: 1\naccelerator: {kind: edge, numerics: {data_bits: 10, frac_bits: 7}, "
                           "edge: {z: " + z + "}}\nnetwork: {input_shape: " + input + ", layers: " + layers +
                           "}\ntraining: {batch: 1, learning_rate: 0.125, train_samples: 12544, epochs: 1}\n"
                           "schedule: {kind: " + kind + "}\nsimulation: {functional: false}\n";
  const LoadedConfig lc = load_config_text(text, "<edge>", {});
  for (const auto& e : lc.errors) FAIL_CHECK(e.str());
  return lc.config;
}
const char* kBoard = "[{type: dense, units: 64, activation: sigmoid, fan_out: 4}, "
                     "{type: dense, units: 32, activation: sigmoid, fan_out: 16}]";
}  // namespace

TEST_CASE("the board build: 36 clocks a block, 384 multipliers, 5,120 weight reads an input where FF, BP and UP apart read 11,264") {
  const Config cfg = edge(kBoard, "[128, 32]", "[1024]");
  const EdgeShape s = edge_shape(cfg);
  CHECK(s.c == 32);  // 4096 / 128 = 1024 / 32
  CHECK(s.cpc() == 36);
  CHECK(s.fi == std::vector<int64_t>{64, 32});
  CHECK(s.multipliers() == 384);  // 128 (FF) + 128 (UP); 32 (FF) + 2·32 (BP) + 32 (UP)
  CHECK(s.edges() == 5120);
  CHECK(2 * s.edges() + s.bp_edges() == 11264);
  // busy 32 of every 36 clocks: FF + BP + UP = 11,264 MACs an input, 0.815 of 36·384 in steady state
  CHECK(static_cast<double>(11264) / (36 * 384) == doctest::Approx(0.8148).epsilon(1e-4));
  // the row read in block clock k, rewritten 1 + P later, its outputs 2 + P later
  CHECK(block_clock(s, 0).read_row == 0);
  CHECK(block_clock(s, 31).read_row == 31);
  CHECK(block_clock(s, 32).read_row == -1);
  CHECK(block_clock(s, 3).rewrite_row == 0);
  CHECK(block_clock(s, 34).rewrite_row == 31);
  CHECK(block_clock(s, 4).output_row == 0);
  CHECK(block_clock(s, 35).output_row == 31);
  CHECK(block_clock(s, 2).rewrite_row == -1);
}

TEST_CASE("the board build's epochs: (12,544 + 4)·36 = 451,728 clocks; ten back to back 4,515,984; baseline 144 an input") {
  const Config cfg = edge(kBoard, "[128, 32]", "[1024]");
  const EdgeShape s = edge_shape(cfg);
  const EdgeTiming one = edge_timing(s, ScheduleKind::kPipelined, 12544);
  CHECK(one.cycles == 451728);
  CHECK(one.forward == 3 * 36);   // the fill: L blocks
  CHECK(one.backward == 2 * 36);  // the drain: L − 1 blocks
  CHECK(one.overlap == 12543 * 36);
  CHECK(one.forward + one.backward + one.overlap == one.cycles);
  CHECK(static_cast<double>(one.cycles) / 15e6 == doctest::Approx(0.0301152));  // 30.1 ms at 15 MHz
  CHECK(edge_timing(s, ScheduleKind::kPipelined, 10 * 12544).cycles == 4515984);
  CHECK(edge_timing(s, ScheduleKind::kPipelined, 1).blocks == 5);  // the latency: 2L − 1 blocks
  // baseline: the next input's FF after the previous one's last update, 4 blocks an input
  const EdgeTiming b1 = edge_timing(s, ScheduleKind::kBaseline, 1), b2 = edge_timing(s, ScheduleKind::kBaseline, 2);
  CHECK(b2.cycles - b1.cycles == 144);
  CHECK(static_cast<double>(edge_timing(s, ScheduleKind::kBaseline, 12544).cycles) / one.cycles ==
        doctest::Approx(4.0).epsilon(0.002));
  // a run's report: its cycles, MACs, weight reads and utilisation
  Config run = cfg;
  RunResult r;
  REQUIRE(run_edge(run, r).empty());
  CHECK(r.cycles_total == 451728);
  CHECK(r.macs == 11264 * 12544);
  CHECK(r.sram.operand_reads(Operand::kW) == 5120 * 12544);
  CHECK(r.sram.operand_writes(Operand::kW) == 5120 * 12544);
  CHECK(r.edge.weight_reads_separate == 11264 * 12544);
  CHECK(utilization_of(r) == doctest::Approx(11264.0 * 12544 / (451728.0 * 384)));
}

TEST_CASE("the small shapes: 64-16-4 at z (32, 8) has 8 clocks a block, 1024-64-16 at z (512, 32) 20") {
  const EdgeShape a = edge_shape(edge("[{type: dense, units: 16, activation: sigmoid, fan_out: 2}, "
                                      "{type: dense, units: 4, activation: sigmoid, fan_out: 2}]",
                                      "[32, 8]", "[64]"));
  CHECK(a.cpc() == 8);
  const EdgeShape b = edge_shape(edge("[{type: dense, units: 64, activation: sigmoid, fan_out: 8}, "
                                      "{type: dense, units: 16, activation: sigmoid, fan_out: 8}]",
                                      "[512, 32]", "[1024]"));
  CHECK(b.cpc() == 20);
  // one junction (L = 2) and three (L = 4)
  const EdgeShape one = edge_shape(edge("[{type: dense, units: 8, activation: sigmoid, fan_out: 4}]", "[8]", "[16]"));
  CHECK(one.junctions() == 1);
  CHECK(one.cpc() == 8 + 4);
  CHECK(one.multipliers() == 16);  // no BP in the first junction
  CHECK(edge_timing(one, ScheduleKind::kPipelined, 10).blocks == 10 + 2);
  const EdgeShape three = edge_shape(edge("[{type: dense, units: 32, activation: sigmoid, fan_out: 4}, "
                                          "{type: dense, units: 16, activation: sigmoid, fan_out: 4}, "
                                          "{type: dense, units: 8, activation: sigmoid, fan_out: 4}]",
                                          "[32, 16, 8]", "[64]"));
  CHECK(three.c == 8);
  CHECK(three.cpc() == 12);
  CHECK(edge_timing(three, ScheduleKind::kPipelined, 1).blocks == 7);  // 2L − 1
  CHECK(edge_timing(three, ScheduleKind::kInference, 5).blocks == 5 + 3);
}
