// The RTL array: the Verilated systolic_top clocked cycle by cycle. Each cycle
// it serves the controller's read requests from the MemoryPort (the SRAM
// model answers in the same cycle, see rtl/systolic/systolic_top.sv) and writes the
// output rows it emits. Cycles are counted from the tile's first busy cycle
// to its last (`last_cycle`), so consecutive tiles run back to back.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "array_model.h"
#include "rtl_model_cache.h"

namespace systrain {

class RtlArray final : public ArrayModel {
 public:
  RtlArray(const ArrayShape& shape, const Numerics& num, bool verbose);
  ~RtlArray() override;
  RtlArray(const RtlArray&) = delete;
  RtlArray& operator=(const RtlArray&) = delete;

  TileRun run(const Tile& t, MemoryPort& mem, int64_t start_cycle, bool record_events) override;
  void idle(int64_t from, int64_t to) override;
  const char* name() const override { return "rtl"; }

  // VCD of every RTL signal for global cycles [first, last]; cycle c starts
  // at c·period_ps picoseconds (the clock rises half a period later)
  void open_trace(const std::string& path, int64_t first, int64_t last, uint64_t period_ps);
  int close_trace();  // 0, or the errno of a write to the trace that failed

 private:
  void set(int port, int64_t v) { api_.set(model_, port, v); }
  void half_cycle(int clk, int64_t cycle);

  ArrayShape shape_;
  Numerics num_;
  const rtl_abi::Api& api_;
  void* model_ = nullptr;
  bool tracing_ = false;
  int64_t trace_first_ = 0, trace_last_ = -1;
  uint64_t period_ps_ = 2;
  std::vector<int64_t> buf_;
};

}  // namespace systrain
