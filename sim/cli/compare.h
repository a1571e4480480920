// `systrain compare`: the same config under several schedules, each as its
// own `systrain run` process (SystemC runs one simulation per process), and
// every figure's ratio to the baseline.
#pragma once
#include <string>
#include <vector>

namespace systrain {

// Writes OUT/compare.json and OUT/<schedule>/report.{json,csv}; prints the
// table. Returns the exit code (0; 1 if a run failed; 2 on bad input).
int run_compare(const std::string& self, const std::string& config, const std::string& schedules,
                const std::vector<std::string>& sets, const std::string& out_dir);

}  // namespace systrain
