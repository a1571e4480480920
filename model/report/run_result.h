// Everything a run measured; the report writer derives ratios, utilisation
// and energy from these counts when it writes them (never accumulated apart).
#pragma once
#include <array>
#include <deque>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dram.h"
#include "memory.h"
#include "tile.h"

namespace systrain {

// The counters of an op, declared once: X(member, unit, help). OpStats holds
// them; counters_of() writes them under ops.N, in this order. A new per-op
// counter is a line here and the place that counts it (model/train/
// op_executor.cpp).
#define SYSTRAIN_OP_COUNTERS(X)                                                                          \
  X(count, "ops", "times it ran")                                                                        \
  X(tiles, "tiles", "its array tiles")                                                                   \
  X(cycles, "cycles", "its own cycles: its tiles' (bandwidth stalls included) or the vector unit's")     \
  X(dram_wait_cycles, "cycles", "its engine waiting for DRAM before it began, or inside it (a table)")    \
  X(engine_wait_cycles, "cycles", "its engine waiting for a vector unit the other engine was using")     \
  X(macs, "MACs", "useful products")                                                                     \
  X(bandwidth_stall_cycles, "cycles", "of its cycles, the array frozen by the SRAM's bandwidth or banks")

// One kind of work on one layer, summed over the run: a pass of the array
// ("forward", "ag", "wg", "il") or a vector-unit operation ("loss", "mask",
// "update", ...).
struct OpStats {
  int layer = 0;       // the config's layer (network.layers[i])
  int gemm_layer = 0;  // its GEMM layer (a maxpool or flatten: the GEMM layer it feeds)
  int stage = 0;       // Stage: forward, backward, update
  std::string op;
  Gemm gemm;  // m of one full step (array passes)
#define SYSTRAIN_OP_MEMBER(name, unit, help) int64_t name = 0;
  SYSTRAIN_OP_COUNTERS(SYSTRAIN_OP_MEMBER)
#undef SYSTRAIN_OP_MEMBER
  std::array<int64_t, int(Phase::kCount)> phase_cycles{};
  AccessCounts sram;
  // for SCALE-Sim's report files (model/report/scalesim_report.h): the first
  // cycle it began and the last it ended on the run's clock; Σ over its tiles
  // of the PEs mapped (rows × columns in use) and of the tile's compute
  // utilisation (mapped PEs × stream length / (R·C · the tile's cycles));
  // the DRAM transfers issued for it (dram.h take_recent)
  int64_t first_cycle = -1, last_cycle = -1;
  int64_t mapped_pes = 0;
  double tile_utilization = 0;
  DramCounts dram = [] {
    DramCounts d;
    d.no_spans();
    return d;
  }();
};

// The forward work of one layer of the config (network.layers[i]: a GEMM
// layer with its im2col, a maxpool, a flatten).
struct LayerStats {
  int index = 0;
  std::string type;    // conv2d, dense, maxpool, flatten
  int gemm_index = -1;  // its GEMM layer; -1 for a maxpool or flatten
  Gemm gemm;  // the forward GEMM, m of one full step
  std::string dataflow;         // its forward pass's: ws, os or is ("" for a maxpool or flatten)
  std::string dataflow_choice;  // forward_dataflow: auto: what it chose and why
  int64_t tiles = 0, cycles = 0, macs = 0;
  int64_t stall_cycles = 0;  // waiting for DRAM before the layer could start
  int64_t bandwidth_stall_cycles = 0;  // its forward tiles frozen by the SRAM's limits
  std::array<int64_t, int(Phase::kCount)> phase_cycles{};
  AccessCounts sram;
};

// The speculative schedule's own figures (README "Speculative backpropagation").
// What one stage (forward, backward, update) of the run used: the energy by
// phase is built from these. An interleaved pass is backward work.
struct StageTotals {
  int64_t macs = 0, vector_elements = 0;
  AccessCounts sram;
  DramCounts dram;
};

struct SpecStats {
  bool ran = false;
  std::string policy, engines;
  int forward_cols = 0, backward_cols = 0;
  int64_t hits = 0, misses = 0;
  std::vector<double> hit_rate;     // per epoch
  int64_t table_words = 0;
  bool table_in_sram = true, dw_spills = false;
  int64_t skipped_cycles = 0;    // gradient_reuse: backward cycles the hits did not spend (closed form)
  int64_t reuse_cycles = 0;      // gradient_reuse: vector-unit cycles spent applying stored gradients
  int64_t skipped_words = 0;     // gradient_reuse: SRAM words the skipped backward work would have moved
  int64_t reuse_words = 0;       // gradient_reuse: table words moved to store and apply gradients
  int64_t recompute_cycles = 0;  // output_speculation: cycles spent recomputing after a miss
  int64_t barrier_wait_cycles[2] = {0, 0};  // per engine: waiting for the other at the end of a step
};

// The edge trainer's own figures (model/edge/edge_shape.h)
struct EdgeFigures {
  bool ran = false;
  int junctions = 0;
  int64_t rows = 0, cpc = 0, latency_blocks = 0, blocks = 0;
  int64_t multipliers = 0;
  int64_t weight_reads_separate = 0;  // what FF, BP and UP would read each on its own
};

struct RunResult {
  std::string backend, schedule;
  EdgeFigures edge;
  // the trace's window as the run resolved it, and the array's busy cycles in
  // it (for the summary and the empty-window warning; not in the report)
  std::array<int64_t, 2> vcd_window{};
  int64_t vcd_window_busy = 0;
  int rows = 0, cols = 0;
  int64_t cycles_total = 0, cycles_forward = 0, cycles_backward = 0, cycles_update = 0, cycles_stall = 0;
  int64_t cycles_overlap = 0;  // both engines busy (speculative); 0 otherwise
  int64_t cycles_drain = 0;    // waiting for the last DRAM writes after the last op (part of stall)
  // tile cycles the array was frozen by the SRAM's bandwidth or banks (part
  // of forward/backward/update, not of stall, which is DRAM's)
  int64_t cycles_bandwidth_stall = 0;
  SpecStats spec;
  int64_t macs = 0, tiles = 0;
  int64_t vector_elements = 0;
  // the network's footprints (words): all weights, one input sample, one
  // sample's backward stash (dram.h)
  int64_t weight_words = 0, input_words = 0, stash_words = 0;
  std::array<StageTotals, 3> stages;  // by schedule.h Stage
  AccessCounts sram;
  DramCounts dram;
  int64_t steps = 0, samples = 0;
  std::optional<double> accuracy;  // inference: top-1 on the samples run
  bool training = false;
  std::vector<double> test_accuracy, train_loss, train_accuracy;  // per epoch
  std::vector<int64_t> epoch_cycles;                              // cycles.total at each epoch's end
  std::optional<uint64_t> weights_fnv1a;  // FNV-1a of the final weight words (functional runs)
  std::deque<OpStats> ops;  // a deque: the two speculative engines hold references across waits
  bool cosim = false;
  int64_t cosim_tlm_cycles = 0, cosim_rtl_cycles = 0, cosim_mismatches = 0, cosim_events_compared = 0,
          cosim_words_compared = 0;
  std::vector<LayerStats> layers;
  std::vector<std::string> warnings;
  double wall_seconds = 0;
};

}  // namespace systrain
