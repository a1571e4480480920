#include "rtl_array.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace systrain {

using namespace rtl_abi;

RtlArray::RtlArray(const ArrayShape& shape, const Numerics& num, bool verbose)
    : shape_(shape),
      num_(num),
      api_(load_rtl_model({shape.rows, shape.cols, num.data_bits, num.acc_bits}, verbose)) {
  model_ = api_.create();
  set(kStart, 0, 0);
  set(kRst, 0, 1);
  for (int i = 0; i < 2; ++i) {  // reset cycles precede cycle 0 and are not counted
    set(kClk, 0, 0);
    api_.eval(model_);
    set(kClk, 0, 1);
    api_.eval(model_);
  }
  set(kRst, 0, 0);
  buf_.resize(static_cast<size_t>(std::max(shape.rows, shape.cols)));
}

RtlArray::~RtlArray() {
  if (model_) api_.destroy(model_);
}

void RtlArray::open_trace(const std::string& path, int64_t first, int64_t last, uint64_t period_ps) {
  period_ps_ = std::max<uint64_t>(2, period_ps);
  if (api_.trace_open(model_, path.c_str()) != 0) throw std::runtime_error(fmt::format("cannot write {}", path));
  tracing_ = true;
  trace_first_ = first;
  trace_last_ = last;
}

void RtlArray::close_trace() {
  if (tracing_) api_.trace_close(model_);
  tracing_ = false;
}

void RtlArray::half_cycle(int clk, int64_t cycle) {
  set(kClk, 0, clk);
  api_.eval(model_);
  if (tracing_ && cycle >= trace_first_ && cycle <= trace_last_)
    api_.trace_dump(model_, static_cast<uint64_t>(cycle) * period_ps_ + (clk ? period_ps_ / 2 : 0));
}

TileRun RtlArray::run_tile(const Tile& t, const LayerLayout& l, MemoryPort& mem, int64_t start_cycle,
                           bool record_events) {
  TileRun run;
  set(kStart, 0, 1);
  set(kModeOs, 0, t.dataflow == Dataflow::kOs);
  set(kFirst, 0, t.first);
  set(kLast, 0, t.last);
  set(kRelu, 0, t.relu);
  set(kFrac, 0, num_.frac_bits);
  set(kRowsUsed, 0, t.ru);
  set(kColsUsed, 0, t.cu);
  set(kLen, 0, t.len);
  const int64_t limit = tile_cost(t, shape_).cycles * 4 + 64;  // a hung controller is a failure, not a hang
  for (int64_t c = 0;; ++c) {
    if (c > limit) throw std::runtime_error(fmt::format("RTL did not finish {} within {} cycles", describe(t), limit));
    const int64_t cycle = start_cycle + c;
    half_cycle(0, cycle);
    if (!get(kBusy))
      throw std::runtime_error(fmt::format("RTL went idle before finishing {} (cycle {})", describe(t), c));
    const int64_t phase = get(kPhase);
    if (phase > 0 && phase < int(Phase::kCount)) run.phase_cycles[phase]++;
    if (record_events) run.phases.push_back(static_cast<uint8_t>(phase));
    auto serve = [&](int en, int idx_port, int data_port, Operand op, int lanes) {
      if (!get(en)) return;
      const int64_t idx = get(idx_port);
      const Access2D a = resolve(t, l, op, false, idx);
      mem.read(a, op, buf_.data());
      for (int i = 0; i < lanes; ++i) set(data_port, i, i < a.cols ? buf_[i] : 0);
      if (record_events) run.events.push_back({c, op, false, idx, a.cols * shape_.words_per_element(op)});
    };
    serve(kActRdEn, kActRdIdx, kActRdData, Operand::kActivations, shape_.rows);
    serve(kWgtRdEn, kWgtRdIdx, kWgtRdData, Operand::kWeights, shape_.cols);
    serve(kPsumRdEn, kPsumRdIdx, kPsumRdData, Operand::kPartialSums, shape_.cols);
    if (get(kOutWrEn)) {
      const int64_t idx = get(kOutWrIdx);
      const Operand op = output_operand(t);
      const Access2D a = resolve(t, l, op, true, idx);
      for (int64_t i = 0; i < a.cols; ++i) buf_[i] = get(kOutWrData, static_cast<int>(i));
      mem.write(a, op, buf_.data());
      if (record_events) run.events.push_back({c, op, true, idx, a.cols * shape_.words_per_element(op)});
    }
    const bool last = get(kLastCycle) != 0;
    half_cycle(1, cycle);
    set(kStart, 0, 0);
    if (last) {
      run.cycles = c + 1;
      break;
    }
  }
  return run;
}

}  // namespace systrain
