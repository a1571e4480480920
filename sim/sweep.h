// `systrain sweep`: one run per combination of --set values, as separate
// processes (SystemC runs one simulation per process), --jobs at a time.
#pragma once
#include <string>
#include <vector>

namespace systrain {

// Returns the process exit code (0, 1 if any run failed, 2 on bad input).
int run_sweep(const std::string& self, const std::string& config, const std::vector<std::string>& sets, int jobs,
              const std::string& out_dir);

// "a.b=1,2,[3, 4]" -> key "a.b", values {"1", "2", "[3, 4]"} (commas inside
// brackets do not split)
bool split_sweep_set(const std::string& set, std::string& key, std::vector<std::string>& values);

}  // namespace systrain
