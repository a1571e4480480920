// The one stop flag of a process. SIGINT, SIGTERM and SIGHUP set it
// (sim/cli/main.cpp); long work checks it at the next tile (which throws
// Interrupted inside the simulation), block of data or batch of report lines
// (which stop short without an exception: see model/report/counters.cpp),
// and the run then writes nothing.
#pragma once
#include <atomic>
#include <stdexcept>

namespace systrain {

extern std::atomic<bool> g_interrupted;

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted; no report was written") {}
};

// throws Interrupted when a signal came
inline void stop_if_interrupted() {
  if (g_interrupted.load(std::memory_order_relaxed)) throw Interrupted();
}

}  // namespace systrain
