#include "controller.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>

#include "fixed_point.h"
#include "lockstep.h"

namespace systrain {

Controller::Controller(sc_core::sc_module_name n, const Config& cfg, const Workload& w, const Samples& samples,
                       std::vector<Engine> engines, RunResult& result, sc_core::sc_trace_file* trace, bool progress)
    : sc_module(n),
      cfg_(cfg),
      w_(w),
      samples_(samples),
      engines_(std::move(engines)),
      result_(result),
      trace_(trace),
      progress_(progress),
      shape_{cfg.accelerator.array.rows, cfg.accelerator.array.cols, cfg.words_per_psum()},
      num_{cfg.accelerator.numerics.data_bits, cfg.accelerator.numerics.frac_bits, cfg.accelerator.numerics.acc_bits},
      period_(1e3 / cfg.accelerator.clock_mhz, sc_core::SC_NS),
      dram_(cfg, w) {
  for (size_t i = 0; i < engines_.size(); ++i)
    sockets.push_back(std::make_unique<Socket>(fmt::format("to_array{}", i).c_str()));
  runs_.resize(engines_.size());
  payload_.set_extension(&ext_);
  if (trace_) {
    for (auto* sig : {&step_sig, &layer_sig, &tile_sig}) sc_core::sc_trace(trace_, *sig, sig->basename());
    sc_core::sc_trace(trace_, phase_sig, phase_sig.basename());
    for (auto* sig : {&busy_sig, &os_sig, &act_rd_sig, &wgt_rd_sig, &psum_rd_sig, &out_wr_sig})
      sc_core::sc_trace(trace_, *sig, sig->basename());
  }
  if (const char* f = std::getenv("SYSTRAIN_INJECT_FAULT"); f && *f) {
    const std::string spec = f;
    const auto colon = spec.find(':');
    fault_kind_ = spec.substr(0, colon);
    fault_tile_ = colon == std::string::npos ? 0 : std::atoll(spec.c_str() + colon + 1);
  }
  SC_THREAD(main);
}

void Controller::main() {
  try {
    run();
  } catch (const std::exception& e) {  // a CosimMismatch or a simulation failure
    error_ = e.what();
  }
  payload_.clear_extension(&ext_);
}

void Controller::init_weights() {
  // Glorot-uniform, from the run's seed; the same words go to every engine
  Rng rng(static_cast<uint64_t>(cfg_.training.seed));
  std::vector<int64_t> wts(w_.weight_words);
  for (const auto& p : w_.layers) {
    const double lim = std::sqrt(6.0 / static_cast<double>(p.k + p.n));
    for (int64_t i = 0; i < p.k * p.n; ++i) wts[p.w_addr + i] = quantize((rng.uniform() * 2 - 1) * lim, num_);
  }
  for (auto& e : engines_) {
    e.memory->buffer(Buffer::kWeights) = wts;
    e.memory->buffer(Buffer::kActivations).assign(activation_elements(w_, cfg_.training.batch), 0);
    e.memory->buffer(Buffer::kGradients).assign(gradient_elements(w_, cfg_.training.batch), 0);
  }
}

void Controller::load_inputs(int64_t first, int64_t m) {
  // a DMA fill from DRAM: counted at the DRAM interface, not at the array edge
  const LayerLayout l = layer_layout(w_, 0, m);
  for (auto& e : engines_) {
    auto& act = e.memory->buffer(Buffer::kActivations);
    for (int64_t i = 0; i < m * w_.input_width; ++i)
      act[l.x_addr + i] = quantize(samples_.x[first * w_.input_width + i], num_);
  }
}

void Controller::idle_until(int64_t cycle) {
  if (cycle <= cycle_) return;
  const int64_t w0 = cfg_.simulation.vcd_window[0], w1 = cfg_.simulation.vcd_window[1];
  if (trace_ && cycle > w0 && cycle_ <= w1) {  // show the wait in the trace
    if (cycle_ < w0) wait(static_cast<double>(w0 - cycle_) * period_);
    trace_idle();
    wait(static_cast<double>(cycle - std::max(cycle_, w0)) * period_);
  } else {
    wait(static_cast<double>(cycle - cycle_) * period_);
  }
  result_.cycles_stall += cycle - cycle_;
  cycle_ = cycle;
}

std::atomic<bool> g_interrupted{false};

void Controller::issue(const Tile& t, const LayerLayout& l) {
  if (g_interrupted.load(std::memory_order_relaxed)) throw std::runtime_error("interrupted; nothing was written");
  const bool cosim = engines_.size() == 2;
  for (size_t i = 0; i < engines_.size(); ++i) {
    ext_.tile = &t;
    ext_.layout = &l;
    ext_.start_cycle = cycle_;
    ext_.record_events = cosim || (trace_ && cycle_ <= cfg_.simulation.vcd_window[1]);
    ext_.result = &runs_[i];
    payload_.set_command(tlm::TLM_WRITE_COMMAND);
    payload_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    // the target annotates the tile's cycles; advance() waits them, cycle by
    // cycle inside the trace window
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    (*sockets[i])->b_transport(payload_, delay);
    if (payload_.is_response_error()) throw std::runtime_error("array target rejected a tile");
  }
  inject_fault(t, l, runs_[0]);
  ++tiles_issued_;
  if (cosim) {
    result_.cosim_tlm_cycles += runs_[0].cycles;
    result_.cosim_rtl_cycles += runs_[1].cycles;
    compare(t, l, runs_[0], runs_[1]);
  }
  advance(t, runs_[0]);
  cycle_ += runs_[0].cycles;
}

void Controller::compare(const Tile& t, const LayerLayout& l, const TileRun& a, const TileRun& b) {
  auto fail = [&](int64_t at_cycle, const std::string& what) {
    result_.cosim_mismatches++;
    const Phase ph = phase_at(t, shape_, at_cycle - cycle_);
    throw CosimMismatch(fmt::format("co-simulation mismatch at cycle {} (step {}, layer {}, {}, {} phase):\n  {}",
                                    at_cycle, step_, t.layer, describe(t), to_string(ph), what));
  };
  if (auto d = compare_tile_runs(a, b, cycle_)) fail(d->cycle, d->what);
  result_.cosim_events_compared += static_cast<int64_t>(a.events.size());
  if (!cfg_.simulation.functional) return;
  const Operand op = output_operand(t);
  if (auto d = compare_block(*engines_[0].memory, *engines_[1].memory, tile_block(t, l, op, true)))
    fail(cycle_ + a.cycles - 1, fmt::format("{} {}", to_string(op), *d));
}

// Test hook: SYSTRAIN_INJECT_FAULT=KIND:N corrupts what the first (TLM) engine
// did on the N-th tile of the run (KIND: value, cycles, event), so the tests
// can show that co-simulation catches each kind of difference.
void Controller::inject_fault(const Tile& t, const LayerLayout& l, TileRun& run) {
  if (fault_kind_.empty() || tiles_issued_ != fault_tile_) return;
  if (fault_kind_ == "cycles") run.cycles += 1;
  if (fault_kind_ == "event" && !run.events.empty()) run.events[run.events.size() / 2].index += 1;
  if (fault_kind_ == "value") {
    const Access2D blk = tile_block(t, l, output_operand(t), true);
    engines_[0].memory->buffer(blk.buffer)[blk.addr] ^= 1;
  }
}

void Controller::trace_idle() {
  for (auto* sig : {&busy_sig, &act_rd_sig, &wgt_rd_sig, &psum_rd_sig, &out_wr_sig}) sig->write(false);
  phase_sig.write(0);
}

void Controller::close_trace() {
  if (trace_) sc_core::sc_close_vcd_trace_file(trace_);
  trace_ = nullptr;
}

void Controller::advance(const Tile& t, const TileRun& r) {
  const int64_t w0 = cfg_.simulation.vcd_window[0], w1 = cfg_.simulation.vcd_window[1];
  const int64_t s = cycle_, e = cycle_ + r.cycles;  // the tile's cycles are [s, e)
  if (!trace_ || e <= w0 || s > w1) {
    wait(static_cast<double>(r.cycles) * period_);
    return;
  }
  std::vector<uint8_t> act(r.cycles), wgt(r.cycles), psum(r.cycles), out(r.cycles);
  for (const auto& ev : r.events) {
    auto& v = ev.write ? out : ev.op == Operand::kActivations ? act : ev.op == Operand::kWeights ? wgt : psum;
    v[ev.cycle] = 1;
  }
  for (int64_t c = s; c < e;) {
    if (c > w1) close_trace();  // the window is over: the file ends here
    if (c < w0 || c > w1) {  // outside the window: skip ahead
      const int64_t next = c < w0 ? std::min(e, w0) : e;
      wait(static_cast<double>(next - c) * period_);
      c = next;
      continue;
    }
    const int64_t rel = c - s;
    if (c == s || c == w0) {  // the tile's first traced cycle
      step_sig.write(static_cast<uint32_t>(step_));
      layer_sig.write(static_cast<uint32_t>(t.layer));
      tile_sig.write(static_cast<uint32_t>(t.index));
      os_sig.write(t.dataflow == Dataflow::kOs);
      busy_sig.write(true);
    }
    phase_sig.write(r.phases.empty() ? int(phase_at(t, shape_, rel)) : r.phases[rel]);
    act_rd_sig.write(act[rel]);
    wgt_rd_sig.write(wgt[rel]);
    psum_rd_sig.write(psum[rel]);
    out_wr_sig.write(out[rel]);
    wait(period_);
    ++c;
  }
}

int64_t Controller::score(int64_t first, int64_t m) {
  const LayerLayout l = layer_layout(w_, static_cast<int>(w_.layers.size()) - 1, m);
  const auto& act = engines_[0].memory->buffer(Buffer::kActivations);
  int64_t correct = 0;
  for (int64_t i = 0; i < m; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < l.gemm.n; ++j)
      if (act[l.y_addr + i * l.gemm.n + j] > act[l.y_addr + i * l.gemm.n + best]) best = j;
    correct += best == samples_.labels[first + i];
  }
  return correct;
}

void Controller::run() {
  init_weights();
  const int64_t batch = cfg_.training.batch;
  int64_t steps = (samples_.count + batch - 1) / batch;
  if (cfg_.simulation.max_steps > 0) steps = std::min(steps, cfg_.simulation.max_steps);
  const bool df_os = cfg_.schedule.forward_dataflow == Dataflow::kOs;
  const bool tty = progress_ && isatty(2);
  result_.layers.resize(w_.layers.size());
  int64_t correct = 0;
  for (step_ = 0; step_ < steps; ++step_) {
    const int64_t first = step_ * batch, m = std::min(batch, samples_.count - first);
    const int64_t next_m = step_ + 1 < steps ? std::min(batch, samples_.count - first - m) : 0;
    if (cfg_.simulation.functional) load_inputs(first, m);
    for (size_t li = 0; li < w_.layers.size(); ++li) {
      const LayerLayout l = layer_layout(w_, static_cast<int>(li), m);
      const int64_t stalled = result_.cycles_stall;
      idle_until(dram_.layer_ready(step_, m, next_m, static_cast<int>(li), cycle_));
      const AccessCounts before = engines_[0].memory->counts();
      const int64_t c0 = cycle_;
      const auto tiles = tile_gemm(l.gemm, shape_, df_os ? Dataflow::kOs : Dataflow::kWs, w_.layers[li].relu,
                                   static_cast<int>(li));
      LayerStats& ls = result_.layers[li];
      for (const Tile& t : tiles) {
        issue(t, l);
        for (int p = 0; p < int(Phase::kCount); ++p) ls.phase_cycles[p] += runs_[0].phase_cycles[p];
      }
      ls.index = static_cast<int>(li);
      if (step_ == 0) ls.gemm = l.gemm;
      ls.tiles += static_cast<int64_t>(tiles.size());
      ls.cycles += cycle_ - c0;
      ls.stall_cycles += result_.cycles_stall - stalled;
      dram_.layer_done(m, static_cast<int>(li), cycle_);
      ls.macs += l.gemm.m * l.gemm.k * l.gemm.n;
      const AccessCounts& after = engines_[0].memory->counts();
      for (int b = 0; b < int(Buffer::kCount); ++b)
        for (int o = 0; o < int(Operand::kCount); ++o) {
          ls.sram.reads[b][o] += after.reads[b][o] - before.reads[b][o];
          ls.sram.writes[b][o] += after.writes[b][o] - before.writes[b][o];
        }
    }
    if (cfg_.simulation.functional) correct += score(first, m);
    result_.samples += m;
    if (tty && (step_ % 8 == 7 || step_ + 1 == steps))
      fmt::print(stderr, "\rsystrain: step {}/{}  cycle {}", step_ + 1, steps, cycle_);
  }
  if (tty) fmt::print(stderr, "\n");
  idle_until(dram_.end());  // the last results reach DRAM
  result_.steps = steps;
  result_.cycles_total = cycle_;
  result_.cycles_forward = cycle_ - result_.cycles_stall;
  result_.dram = dram_.counts();
  result_.sram = engines_[0].memory->counts();
  for (const auto& ls : result_.layers) result_.macs += ls.macs, result_.tiles += ls.tiles;
  if (cfg_.simulation.functional && w_.layers.back().n == 10 && result_.samples > 0)
    result_.accuracy = static_cast<double>(correct) / static_cast<double>(result_.samples);
  if (engines_.size() == 2 && engines_[0].memory->counts().reads != engines_[1].memory->counts().reads)
    throw CosimMismatch("co-simulation mismatch at the end of the run: SRAM read counters differ");
  if (engines_.size() == 2 && engines_[0].memory->counts().writes != engines_[1].memory->counts().writes)
    throw CosimMismatch("co-simulation mismatch at the end of the run: SRAM write counters differ");
  if (trace_ && cycle_ <= cfg_.simulation.vcd_window[1]) {  // the run ends inside the window: show it idle
    trace_idle();
    wait(period_);
  }
  close_trace();
}

}  // namespace systrain
