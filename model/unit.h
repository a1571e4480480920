// The accelerator-kind seam: a Unit is the hardware that runs one unit of
// work of its kind, moving its operands through a MemoryPort, and says what
// it did. The systolic array is Unit<Tile, TileRun> (model/systolic/
// array_model.h); another kind of accelerator is another Work and Run.
//
// Contract: run(work, mem, start_cycle, record) performs the work (values
// when the memory holds them), returns a Run with at least `cycles` (the
// unit's cycles for it) and `events` (its memory accesses, filled when
// `record` is set); `start_cycle` is the global cycle of its first cycle (for
// traces). idle(from, to): the unit is not clocked in [from, to). Three
// implementations per kind: the TLM model (closed form, C++ values), the RTL
// (Verilated), and the decorators that are the same for every kind:
// co-simulation and fault injection (model/cosim/cosim_unit.h).
#pragma once
#include <cstdint>

#include "memory.h"

namespace systrain {

template <class Work, class Run>
class Unit {
 public:
  using WorkType = Work;
  using RunType = Run;
  virtual ~Unit() = default;
  virtual Run run(const Work& work, MemoryPort& mem, int64_t start_cycle, bool record) = 0;
  virtual void idle(int64_t /*from*/, int64_t /*to*/) {}
  virtual const char* name() const = 0;
};

}  // namespace systrain
