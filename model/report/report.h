// report.json, report.csv and the one-screen summary, derived from a
// RunResult. Derived figures (utilisation, energy) are computed here.
#pragma once
#include <string>
#include <vector>

#include "config.h"
#include "run_result.h"

namespace systrain {

// report.json, report.csv and layers.csv, from one walk of the counters;
// when a signal comes while they are made (g_interrupted, interrupt.h) they
// stop short and must not be written
struct ReportTexts {
  std::string json, csv, layers_csv;
};

// layers.csv: a row per layer of the config (network.layers[i], maxpool and
// flatten included) and stage (forward, backward, update), summed over its
// operations: cycles, waits, stalls, MACs, utilisation, SRAM accesses by
// operand, and the MAC and SRAM energy (DRAM traffic is not kept by layer).
std::string layers_csv(const Config& cfg, const RunResult& r);
ReportTexts report_texts(const Config& cfg, const RunResult& r);
std::string report_summary(const Config& cfg, const RunResult& r);

// Warnings when memory dominates a finished run: DRAM waits above 10 % of the
// cycles or DRAM traffic beyond the compulsory (each input once, the weights
// once, the outputs once) above 25 % of the energy, naming the tensor, its
// buffer and the key to change; SRAM bandwidth or bank stalls above 10 % of
// the cycles.
std::vector<std::string> memory_warnings(const Config& cfg, const RunResult& r);

// Energy by level: MACs, each SRAM buffer, DRAM, the vector unit.
struct Energy {
  double mac = 0, dram = 0, vector = 0;
  std::array<double, int(Buffer::kCount)> sram_buffer{};
  double sram() const { return sram_buffer[0] + sram_buffer[1] + sram_buffer[2]; }
  double total() const { return mac + sram() + dram + vector; }
};
Energy energy_of(const Config& cfg, const RunResult& r);
// the same for one stage of the run (schedule.h Stage: forward, backward, update)
Energy energy_of(const Config& cfg, const StageTotals& s);
double utilization_of(const RunResult& r);

// Writes all files or none: each goes to a temporary beside its target, and
// the renames happen only after every write succeeded. Returns "" or an error.
// "" if a file can be created in `dir`, else why not (the errno text)
std::string probe_writable(const std::string& dir);
// --out: the folder made (with its parents) and probed; "" or why not
// ("cannot create the folder D: ...", "cannot write in D: ...")
std::string prepare_out_dir(const std::string& dir);

// `stale`: files an earlier run left that this set does not hold (a totals-only
// run's per-layer files), removed once every rename has worked
std::string write_files_atomically(const std::vector<std::pair<std::string, std::string>>& path_and_content,
                                   const std::vector<std::string>& stale = {});

// One compare or sweep at a time writes into a folder (two compares into one
// --out mixed each other's runs): take() holds DIR/.systrain.batch.lock until
// the object dies, and returns "" or why it could not (held by another
// process: it does not wait). The lock is not passed to child processes.
class BatchLock {
 public:
  BatchLock() = default;
  BatchLock(const BatchLock&) = delete;
  BatchLock& operator=(const BatchLock&) = delete;
  ~BatchLock();
  std::string take(const std::string& dir);

 private:
  int fd_ = -1;
};

}  // namespace systrain
