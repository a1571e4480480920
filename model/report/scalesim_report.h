// SCALE-Sim v2's three report files, written beside report.json so that the
// tools built on SCALE-Sim (ASTRA-sim's workload generator, tables taken
// from it) read systrain's runs: COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv
// and DETAILED_ACCESS_REPORT.csv, with SCALE-Sim's headers, column order and
// number format (", " between fields, a trailing comma; reals as Python's
// str() writes them, the shortest repr).
//
// One row per array pass of a config layer: the forward pass of each GEMM
// layer for an inference run (LayerID = the config's layer, which for a
// topology file is its row, as in SCALE-Sim); a training run adds a row per
// backward pass (ag, wg, il; the speculative schedule's own passes too) and
// a last column, Pass, that names it. Passes of every step are summed.
//
// Columns and how each differs from SCALE-Sim's (docs/counting.md):
//  - Total Cycles: the pass's cycles (its tiles, SRAM bandwidth stalls
//    included) plus the cycles it waited for DRAM. SCALE-Sim's closed form
//    is ours minus one minus a per-tile difference (README).
//  - Stall Cycles: those DRAM waits plus the SRAM bandwidth stalls.
//  - Overall Util %: useful MACs / (Total Cycles · R·C) · 100.
//  - Mapping Efficiency %: the mean over tiles of rows × columns in use
//    / (R·C) (SCALE-Sim: over folds, the same thing).
//  - Compute Util %: the mean over tiles of mapped PEs × stream length /
//    (R·C · the tile's cycles) (SCALE-Sim: per fold, with its own cycles).
//  - SRAM reads and writes by the pass's roles: IFMAP is the streamed
//    operand (forward and wg: X; ag and il: dY, and il's X), FILTER the
//    held one (forward, ag, il: W; wg: dY), OFMAP every word the pass
//    writes: outputs and partial sums (SCALE-Sim counts ⌈K/R⌉·M·N in WS and
//    folds·(R + C) extra in OS; systrain's partial-sum reads are in
//    report.json, not here).
//  - SRAM start/stop: the pass's first and last cycle on the run's clock
//    (SCALE-Sim: each operand's own first and last access, each layer from
//    cycle 0); 0, 0 for a role the pass does not touch.
//  - DRAM: the transfers issued for the pass (model/mem/dram.h: the ones it
//    waited for, or that its end started; a prefetch of the next layer's
//    weights counts with the layer that issues it). IFMAP reads are x, dy and
//    y words, FILTER reads w and dw words, OFMAP writes every word written
//    back; start/stop are the first transfer's start and the last one's end
//    (0, 0 and a bandwidth of 0 when there is none).
#pragma once
#include <string>

#include "config.h"
#include "run_result.h"

namespace systrain {

struct ScalesimReports {
  std::string compute, bandwidth, detail;
};

ScalesimReports scalesim_reports(const RunResult& r);

}  // namespace systrain
