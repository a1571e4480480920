// What an array implementation does with one tile: move its operands through
// a MemoryPort, compute, and say how many cycles it took. Two implementations
// share this contract: TlmArray (closed form, C++ values) and RtlArray
// (sim/rtl/rtl_array.h: the Verilated RTL clocked cycle by cycle); CosimArray
// (model/cosim/cosim_array.h) runs both and compares them.
#pragma once
#include <array>
#include <vector>

#include "bandwidth.h"
#include "fixed_point.h"
#include "memory.h"
#include "tile.h"
#include "unit.h"

namespace systrain {

struct TileRun {
  int64_t cycles = 0;
  int64_t stall_cycles = 0;         // of them, frozen for SRAM bandwidth or banks (bandwidth.h)
  std::vector<AccessEvent> events;  // filled when asked to record
  std::vector<uint8_t> phases;      // the Phase of every cycle, when recording
  std::array<int64_t, int(Phase::kCount)> phase_cycles{};  // always
};

// The systolic array as a unit of the accelerator-kind seam (model/unit.h):
// run(tile, ...) moves the tile's operands, computes, and returns its cycles.
// The array is not clocked in cycles [from, to) of idle() (a DRAM wait, a
// vector-unit operation); an array that traces shows its held values there.
using ArrayModel = Unit<Tile, TileRun>;

class TlmArray final : public ArrayModel {
 public:
  // `lr` is η for float32 numerics (fixed numerics take it from the tile)
  TlmArray(const ArrayShape& shape, const Numerics& num, bool functional, float lr = 0)
      : shape_(shape), num_(num), functional_(functional), lr_(lr) {}
  TileRun run(const Tile& t, MemoryPort& mem, int64_t start_cycle, bool record_events) override;
  const char* name() const override { return "tlm"; }

 private:
  ArrayShape shape_;
  Numerics num_;
  bool functional_;
  float lr_;
  std::vector<int64_t> left_, top_, w_, p_, out_, wb_;  // the tile's blocks, kept between tiles
  std::vector<int64_t> shadow_;  // WS double-buffering: the next tile's weights
  template <class In, class Acc>
  struct Scratch {  // the blocks as operand values (left, top, w) and accumulator values (p)
    std::vector<In> left, top, w;
    std::vector<Acc> p;
  };
  Scratch<int32_t, uint64_t> fixed_scratch_;
  Scratch<float, float> float_scratch_;
};

}  // namespace systrain
