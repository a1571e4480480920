// `systrain compare`: the same config under several schedules, each as its
// own `systrain run` process (SystemC runs one simulation per process), and
// every figure's ratio to the baseline (or variants of any key across them).
#pragma once
#include <string>
#include <vector>

namespace systrain {

// Writes OUT/compare.json and OUT/<schedule>/report.{json,csv}; prints the
// table. Returns the exit code (0; 1 if a run failed; 2 on bad input).
// --variants KEY=V1,V2: each value's schedules (the array: baseline and interleaved; the edge trainer:
// baseline and pipelined, unless --schedules names them), into OUT/<value>-<schedule>, each figure's ratio to
// the first run. The array on an edge trainer's network (sigmoid layers with fan_out) runs the same sizes and
// mask with its own activations (ReLU, and none on the last layer) and loss.
int run_compare(const std::string& self, const std::string& config, const std::string& schedules,
                const std::vector<std::string>& sets, const std::string& out_dir, const std::string& variants = "");

}  // namespace systrain
