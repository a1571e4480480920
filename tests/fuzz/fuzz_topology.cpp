// libFuzzer target: the SCALE-Sim topology reader (network.topology_csv).
// Whatever the bytes, parsing must end with errors or with layers whose
// GEMM dimensions are all positive.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "topology.h"

using namespace systrain;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<ConfigError> errors;
  const Topology t = parse_topology(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv", errors);
  for (const auto& l : t.layers)
    if (l.m < 1 || l.n < 1 || l.k < 1 || (l.conv && (l.ofmap_h() < 1 || l.ofmap_w() < 1))) std::abort();
  if (errors.size() > 51) std::abort();  // capped
  return 0;
}
