#include "rtl_array.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace systrain {

using namespace rtl_abi;

RtlArray::RtlArray(const ArrayShape& shape, const Numerics& num, bool verbose)
    : shape_(shape),
      num_(num),
      api_(load_rtl_model({shape.rows, shape.cols, num.data_bits, num.acc_bits, shape.multipliers}, verbose)) {
  model_ = api_.create();
  set(kStart, 0);
  set(kStall, 0);
  set(kRst, 1);
  for (int i = 0; i < 2; ++i) {  // reset cycles precede cycle 0 and are not counted
    api_.clock(model_, 0);
    api_.clock(model_, 1);
  }
  set(kRst, 0);
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

int RtlArray::close_trace() {
  const int error = tracing_ ? api_.trace_close(model_) : 0;
  tracing_ = false;
  return error;
}

void RtlArray::half_cycle(int clk, int64_t cycle) {
  api_.clock(model_, clk);
  if (tracing_ && cycle >= trace_first_ && cycle <= trace_last_)
    api_.trace_dump(model_, static_cast<uint64_t>(cycle) * period_ps_ + (clk ? period_ps_ / 2 : 0));
}

void RtlArray::idle(int64_t from, int64_t to) {
  // not clocked: the held values, dumped once where the wait meets the window
  // (so a window that lies inside a wait still shows every signal)
  if (tracing_ && to > trace_first_ && from <= trace_last_)
    api_.trace_dump(model_, static_cast<uint64_t>(std::max(from, trace_first_)) * period_ps_);
}

TileRun RtlArray::run(const Tile& t, MemoryPort& mem, int64_t start_cycle, bool record_events) {
  TileRun run;
  set(kStart, 1);
  set(kMode, hardware_mode(t.mode));  // IS: the WS datapath on transposed views
  set(kFirst, t.first);
  set(kLast, t.last);
  set(kRelu, t.relu);
  set(kAgEn, t.ag);
  set(kShift, t.shift);
  set(kGShift, t.g_shift);
  set(kLr, t.lr);
  set(kUpdShift, t.upd_shift);
  set(kRowsUsed, t.ru);
  set(kColsUsed, t.cu);
  set(kXu, t.xu);
  set(kLen, t.len);
  set(kPreloaded, t.preloaded);
  set(kPfRows, t.pf_rows);
  set(kPfCols, t.pf_cols);
  // a hung controller is a failure, not a hang
  const int64_t limit = (tile_cost(t, shape_).cycles + tile_stalls(t, shape_).total) * 4 + 64;
  const int64_t psum_lanes = t.ws_like() ? t.cu : t.xu;
  int64_t pending = -1;  // stall cycles left before this logical cycle's accesses (-1: not yet priced)
  std::vector<RowAccess> asked;
  bool stalled = false;  // the stall input is low between tiles
  bool starting = true;
  Outputs o{};
  for (int64_t c = 0;; ++c) {
    if (c > limit) throw std::runtime_error(fmt::format("RTL did not finish {} within {} cycles", describe(t), limit));
    const int64_t cycle = start_cycle + c;
    half_cycle(0, cycle);
    api_.outputs(model_, &o);
    if (!o.busy)
      throw std::runtime_error(fmt::format("RTL went idle before finishing {} (cycle {})", describe(t), c));
    const int64_t phase = o.phase;
    if (phase > 0 && phase < int(Phase::kCount)) run.phase_cycles[phase]++;
    if (record_events) run.phases.push_back(static_cast<uint8_t>(phase));
    const bool loading = phase == int(Phase::kLoad);
    const bool wb = phase == int(Phase::kWriteback);
    // the top port: the weight load, a WS tile's preload of the next block, or the stream
    const Mat& top = loading ? t.io.load : t.ws_like() ? t.io.next_load : t.io.top;
    const int64_t top_lanes = !loading && t.ws_like() ? t.pf_cols : t.cu;
    const Mat& out = wb ? t.io.wb : t.io.out;
    const int64_t out_lanes = wb || t.ws_like() || t.mode == Mode::kOs ? t.cu : t.xu;
    // the SRAM prices the cycle's requests (bandwidth.h) and freezes the
    // array for what they need beyond one cycle
    if (pending < 0) {
      asked.clear();
      if (o.top_rd_en) asked.push_back({top, o.top_rd_idx, top_lanes});
      if (o.left_rd_en) asked.push_back({t.io.left, o.left_rd_idx, t.ru});
      if (o.psum_rd_en) asked.push_back({t.io.psum, o.psum_rd_idx, psum_lanes});
      if (o.out_wr_en) asked.push_back({out, o.out_wr_idx, out_lanes});
      pending = access_cost(asked, shape_) - 1;
    }
    if (pending > 0) {
      --pending;
      run.stall_cycles++;
      if (!stalled) set(kStall, 1), stalled = true;
      half_cycle(1, cycle);
      continue;
    }
    pending = -1;
    if (stalled) set(kStall, 0), stalled = false;
    // the SRAM answers a read request in the cycle it is made
    auto serve = [&](int64_t en, int64_t idx, int data_port, const Mat& m, int64_t lanes, int port_lanes, systrain::Port port) {
      if (!en) return;
      const Access2D a = m.row(idx, lanes);
      mem.read(a, m.op, buf_.data());
      std::fill(buf_.begin() + lanes, buf_.begin() + port_lanes, 0);
      api_.set_lanes(model_, data_port, port_lanes, buf_.data());
      if (record_events) run.events.push_back({c, m.op, false, idx, lanes * shape_.words_per_element(m.op), port});
    };
    serve(o.top_rd_en, o.top_rd_idx, kTopRdData, top, top_lanes, shape_.cols, systrain::Port::kTop);
    serve(o.left_rd_en, o.left_rd_idx, kLeftRdData, t.io.left, t.ru, shape_.rows, systrain::Port::kLeft);
    serve(o.psum_rd_en, o.psum_rd_idx, kPsumRdData, t.io.psum, psum_lanes, std::max(shape_.rows, shape_.cols),
          systrain::Port::kPsum);
    if (o.out_wr_en) {
      const int64_t idx = o.out_wr_idx;
      const Access2D a = out.row(idx, out_lanes);
      api_.get_lanes(model_, kOutWrData, static_cast<int>(out_lanes), buf_.data());
      mem.write(a, out.op, buf_.data());
      if (record_events) run.events.push_back({c, out.op, true, idx, out_lanes * shape_.words_per_element(out.op), systrain::Port::kOut});
    }
    const bool last = o.last_cycle != 0;
    half_cycle(1, cycle);
    if (starting) set(kStart, 0), starting = false;  // (start stays high through a stalled first cycle)
    if (last) {
      run.cycles = c + 1;
      break;
    }
  }
  return run;
}

}  // namespace systrain
