// One simulation: builds the SystemC modules for the configured backend,
// runs the kernel once, and fills a RunResult. A process can run this once
// (SystemC elaborates one simulation per process).
#pragma once
#include <string>

#include "config.h"
#include "run_result.h"

namespace systrain {
struct StepObserver;
struct Samples;
}

namespace systrain {

enum ExitCode { kExitOk = 0, kExitSimFailure = 1, kExitBadInput = 2 };

struct RunOutcome {
  int code = kExitOk;
  std::string message;
};

// Writes the VCD (when cfg.simulation.vcd is set) whole or not at all.
// `inputs`: an inference run's samples, instead of the data set's.
RunOutcome run_simulation(const Config& cfg, RunResult& result, bool progress, StepObserver* observer = nullptr,
                          const Samples* inputs = nullptr);

}  // namespace systrain
