// The edge trainer's junction as Verilated RTL (rtl/edge/edge_junction.sv), one model per junction width built
// on first use and cached (sim/rtl/rtl_model_cache.h): runs a block of work on the host's memories (synchronous
// read-first ports), returning its accesses as model/edge/edge_block.h's events.
#pragma once
#include <cstdint>
#include <vector>

#include "edge_abi.h"
#include "edge_block.h"

namespace systrain {

class EdgeJunctionRtl {
 public:
  EdgeJunctionRtl(int lanes, int data_bits, int frac_bits, bool verbose);
  ~EdgeJunctionRtl();
  EdgeJunctionRtl(const EdgeJunctionRtl&) = delete;
  EdgeJunctionRtl& operator=(const EdgeJunctionRtl&) = delete;
  // runs the block; `clocks` gets the clocks it took
  std::vector<EdgeEvent> run(const EdgeBlock& b, EdgeMem& m, int64_t* clocks);

 private:
  void tick();
  const edge_abi::Api& api_;
  void* model_ = nullptr;
  int lanes_;
};

// the widest junction the RTL can be built for here (lanes)
constexpr int kEdgeRtlMaxLanes = 512;

}  // namespace systrain
