#include "controller.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>

#include "fixed_point.h"
#include "cosim_array.h"
#include "vector_unit.h"

namespace systrain {

Controller::Controller(sc_core::sc_module_name n, const Config& cfg, const Workload& w, const Samples& train,
                       const Samples& test, Engine engine, RunResult& result,
                       sc_core::sc_trace_file* trace, bool progress, StepObserver* observer)
    : sc_module(n),
      cfg_(cfg),
      w_(w),
      train_(train),
      test_(test),
      engine_(engine),
      result_(result),
      trace_(trace),
      progress_(progress),
      observer_(observer),
      shape_{cfg.accelerator.array.rows, cfg.accelerator.array.cols, cfg.words_per_psum()},
      layout_(step_layout(w, cfg.training.batch)),
      sn_(step_numerics(cfg)),
      period_(1e3 / cfg.accelerator.clock_mhz, sc_core::SC_NS),
      dram_(cfg, w) {
  const auto& nu = cfg.accelerator.numerics;
  num_ = {nu.data_bits, nu.frac_bits, nu.acc_bits, cfg.is_float(),
          nu.activation_frac(), nu.weight_frac(), nu.error_frac(), nu.gradient_frac()};
  payload_.set_extension(&ext_);
  if (trace_) {
    for (auto* sig : {&step_sig, &layer_sig, &tile_sig}) sc_core::sc_trace(trace_, *sig, sig->basename());
    sc_core::sc_trace(trace_, phase_sig, phase_sig.basename());
    sc_core::sc_trace(trace_, mode_sig, mode_sig.basename());
    for (auto* sig : {&busy_sig, &vector_sig, &top_rd_sig, &left_rd_sig, &psum_rd_sig, &out_wr_sig})
      sc_core::sc_trace(trace_, *sig, sig->basename());
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

void Controller::setup_memories() {
  if (!cfg_.simulation.functional) return;  // timing only: no tensor storage at all
  // Glorot-uniform weights from the run's seed (a bias starts at 0); the same
  // words go to every engine
  Rng rng(static_cast<uint64_t>(cfg_.training.seed));
  std::vector<int64_t> wts(layout_.words[int(Buffer::kWeights)]);
  for (size_t li = 0; li < w_.layers.size(); ++li) {
    const auto& p = w_.layers[li];
    const double lim = std::sqrt(6.0 / static_cast<double>(p.k + p.n));
    for (int64_t i = 0; i < p.kw(); ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        const double v = i < p.k ? (rng.uniform() * 2 - 1) * lim : 0.0;
        wts[layout_.w[li].at(i, j)] = num_.is_float ? f2w(static_cast<float>(v)) : quantize(v, num_.fw, num_.data_bits);
      }
  }
  // the constant-1 column that meets a bias row (written once; never overwritten)
  std::vector<int64_t> act(layout_.words[int(Buffer::kActivations)], num_.is_float ? f2w(0.0f) : 0);
  const int64_t one = num_.is_float ? f2w(1.0f) : quantize(1.0, num_.fa, num_.data_bits);
  for (size_t li = 0; li < w_.layers.size(); ++li)
    if (w_.layers[li].bias)
      for (int64_t i = 0; i < cfg_.training.batch; ++i) act[layout_.x[li].at(i, w_.layers[li].k)] = one;
  engine_.memory->buffer(Buffer::kWeights) = std::move(wts);
  engine_.memory->buffer(Buffer::kActivations) = std::move(act);
  engine_.memory->buffer(Buffer::kGradients).assign(layout_.words[int(Buffer::kGradients)], 0);
}

void Controller::load_batch(const Samples& s, const std::vector<int64_t>& order, int64_t first, int64_t m,
                            Memory& mem) {
  // a DMA fill from DRAM: counted at the DRAM interface, not at the array edge
  auto& act = mem.buffer(Buffer::kActivations);
  const int64_t K = w_.input_width;
  for (int64_t i = 0; i < m; ++i) {
    const float* src = &s.x[order[first + i] * K];
    for (int64_t j = 0; j < K; ++j)
      act[layout_.x[0].at(i, j)] = num_.is_float ? f2w(src[j]) : quantize(src[j], num_.fa, num_.data_bits);
  }
}

void Controller::idle_until(int64_t cycle) {
  if (cycle <= cycle_) return;
  engine_.array->idle(cycle_, cycle);
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

void Controller::issue(const Tile& t) {
  if (g_interrupted.load(std::memory_order_relaxed)) throw std::runtime_error("interrupted; nothing was written");
  ext_.tile = &t;
  ext_.start_cycle = cycle_;
  ext_.record_events = trace_ && cycle_ <= cfg_.simulation.vcd_window[1];
  ext_.result = &run_;
  payload_.set_command(tlm::TLM_WRITE_COMMAND);
  payload_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  // the target annotates the tile's cycles; advance() waits them, cycle by
  // cycle inside the trace window
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  try {
    socket->b_transport(payload_, delay);
  } catch (const CosimMismatch& m) {  // say where in the run it happened
    result_.cosim_mismatches++;
    throw std::runtime_error(fmt::format(
        "co-simulation mismatch at cycle {} (step {}, layer {}, {} pass, {}, {} phase):\n  {}", m.cycle(), step_,
        t.layer, op_ ? op_->name() : "?", describe(t), to_string(phase_at(t, shape_, m.cycle() - cycle_)), m.what()));
  }
  if (payload_.is_response_error()) throw std::runtime_error("array target rejected a tile");
  advance(t, run_);
  cycle_ += run_.cycles;
}

void Controller::trace_idle() {
  for (auto* sig : {&busy_sig, &vector_sig, &top_rd_sig, &left_rd_sig, &psum_rd_sig, &out_wr_sig}) sig->write(false);
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
  std::vector<uint8_t> ports[4];
  for (auto& v : ports) v.assign(r.cycles, 0);
  for (const auto& ev : r.events) ports[int(ev.port)][ev.cycle] = 1;
  const auto &top = ports[0], &left = ports[1], &psum = ports[2], &out = ports[3];
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
      mode_sig.write(static_cast<int>(t.mode));
      busy_sig.write(true);
      vector_sig.write(false);
    }
    phase_sig.write(r.phases.empty() ? int(phase_at(t, shape_, rel)) : r.phases[rel]);
    top_rd_sig.write(top[rel]);
    left_rd_sig.write(left[rel]);
    psum_rd_sig.write(psum[rel]);
    out_wr_sig.write(out[rel]);
    wait(period_);
    ++c;
  }
}

void Controller::advance_vector(int64_t cycles) {
  engine_.array->idle(cycle_, cycle_ + cycles);
  const int64_t w0 = cfg_.simulation.vcd_window[0], w1 = cfg_.simulation.vcd_window[1];
  if (trace_ && cycle_ + cycles > w0 && cycle_ <= w1) {
    if (cycle_ < w0) wait(static_cast<double>(w0 - cycle_) * period_);
    trace_idle();
    vector_sig.write(true);
    wait(static_cast<double>(cycle_ + cycles - std::max(cycle_, w0)) * period_);
    vector_sig.write(false);
  } else {
    wait(static_cast<double>(cycles) * period_);
  }
  cycle_ += cycles;
}

OpStats& Controller::op_stats(int layer, const std::string& name) {
  for (auto& o : result_.ops)
    if (o.layer == layer && o.op == name) return o;
  result_.ops.push_back({});
  result_.ops.back().layer = layer;
  result_.ops.back().op = name;
  return result_.ops.back();
}

void Controller::run_pass(const StepOp& op, OpStats& os, LayerStats* ls) {
  const auto tiles = tile_pass(op.pass, shape_, cfg_.accelerator.array.pe_multipliers);
  const Gemm& g = op.pass.g;
  op_ = &op;
  for (const Tile& t : tiles) {
    const int64_t c0 = cycle_;
    issue(t);
    const auto& pc = run_.phase_cycles;
    for (int p = 0; p < int(Phase::kCount); ++p) {
      os.phase_cycles[p] += pc[p];
      if (ls) ls->phase_cycles[p] += pc[p];
    }
    // an interleaved tile's update and write-back count as update cycles
    const int64_t upd = pc[int(Phase::kUpdate)] + pc[int(Phase::kWriteback)];
    const int64_t busy = cycle_ - c0;
    if (op.stage == Stage::kForward) result_.cycles_forward += busy;
    else result_.cycles_backward += busy - upd, result_.cycles_update += upd;
  }
  os.tiles += static_cast<int64_t>(tiles.size());
  if (ls) ls->tiles += static_cast<int64_t>(tiles.size());
  os.macs += pass_macs(op.pass);
  if (step_ == 0) os.gemm = g;
}

void Controller::run_vector_op(const StepOp& op, int64_t m, const uint8_t* labels) {
  const int64_t cycles = vector_cycles(op.vector, cfg_, w_, op.layer, m);
  const LossStats st = run_vector(op.vector, *engine_.memory, w_, layout_, op.layer, m, num_, sn_,
                                  static_cast<float>(cfg_.training.learning_rate), labels, cfg_.simulation.functional);
  epoch_loss_.loss_sum += st.loss_sum, epoch_loss_.correct += st.correct;
  advance_vector(cycles);
  (op.stage == Stage::kUpdate ? result_.cycles_update : result_.cycles_backward) += cycles;
}

void Controller::run_step(const std::vector<int64_t>& order, int64_t first, int64_t m, int64_t next_m) {
  const Samples& s = result_.training ? train_ : test_;
  labels_.resize(m);
  for (int64_t i = 0; i < m; ++i) labels_[i] = s.labels[order[first + i]];
  if (cfg_.simulation.functional)
    load_batch(s, order, first, m, *engine_.memory);
  if (observer_) observer_->before_step(step_, *engine_.memory, labels_);
  const auto ops = step_ops(cfg_, w_, layout_, m);
  int backward_layer = -1;
  int64_t dw_ready = -1;  // a spilled dW is back in SRAM
  for (const StepOp& op : ops) {
    OpStats& os = op_stats(op.layer, op.name());
    const AccessCounts before = engine_.memory->counts();
    const int64_t c0 = cycle_;
    if (op.array && op.stage == Stage::kForward) {
      LayerStats& ls = result_.layers[op.layer];
      const int64_t stalled = result_.cycles_stall;
      idle_until(dram_.layer_ready(step_, m, next_m, op.layer, cycle_));
      const int64_t t0 = cycle_;
      run_pass(op, os, &ls);
      ls.index = op.layer;
      if (step_ == 0) ls.gemm = op.pass.g;
      ls.cycles += cycle_ - t0;
      ls.stall_cycles += result_.cycles_stall - stalled;
      ls.macs += pass_macs(op.pass);
      dram_.layer_done(m, op.layer, cycle_, result_.training);
    } else {
      if (op.array && op.layer != backward_layer) {  // the first pass of a layer's backward
        if (backward_layer >= 0) dram_.backward_done(backward_layer, cycle_);
        backward_layer = op.layer;
        idle_until(dram_.backward_ready(m, op.layer, cycle_));
      }
      if (!op.array && op.vector == VectorKind::kUpdate && dw_ready >= 0) idle_until(dw_ready), dw_ready = -1;
      if (op.array) run_pass(op, os, nullptr);
      else run_vector_op(op, m, labels_.data());
      if (op.writes_dw() && dram_.gradients_spill(m, op.layer)) dw_ready = dram_.spill_dw(op.layer, cycle_);
    }
    os.count++;
    os.cycles += cycle_ - c0;
    const AccessCounts& after = engine_.memory->counts();
    for (int b = 0; b < int(Buffer::kCount); ++b)
      for (int o = 0; o < int(Operand::kCount); ++o) {
        os.sram.reads[b][o] += after.reads[b][o] - before.reads[b][o];
        os.sram.writes[b][o] += after.writes[b][o] - before.writes[b][o];
        if (op.array && op.stage == Stage::kForward) {
          result_.layers[op.layer].sram.reads[b][o] += after.reads[b][o] - before.reads[b][o];
          result_.layers[op.layer].sram.writes[b][o] += after.writes[b][o] - before.writes[b][o];
        }
      }
    if (observer_) observer_->after_op(step_, op, *engine_.memory);
  }
  if (backward_layer >= 0) dram_.backward_done(backward_layer, cycle_);
  if (!result_.training && cfg_.simulation.functional) {  // inference: score the logits of the step
    const auto& act = engine_.memory->buffer(Buffer::kActivations);
    for (int64_t i = 0; i < m; ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < w_.layers.back().n; ++j)
        if (logit(act[layout_.logits.at(i, j)]) > logit(act[layout_.logits.at(i, best)])) best = j;
      epoch_loss_.correct += best == labels_[i];
    }
  }
}

double Controller::evaluate() {
  // the forward passes of the test set on a scratch copy of the buffers,
  // through the same TLM numerics; not timed, not counted
  Memory scratch(shape_.words_per_psum);
  for (int b = 0; b < int(Buffer::kCount); ++b) scratch.buffer(Buffer(b)) = engine_.memory->buffer(Buffer(b));
  TlmArray array(shape_, num_, true, static_cast<float>(cfg_.training.learning_rate));
  Config inf = cfg_;
  inf.schedule.kind = ScheduleKind::kInference;
  const int64_t batch = cfg_.training.batch, n = w_.layers.back().n;
  std::vector<int64_t> order(test_.count);
  for (int64_t i = 0; i < test_.count; ++i) order[i] = i;
  int64_t correct = 0;
  for (int64_t first = 0; first < test_.count; first += batch) {
    const int64_t m = std::min(batch, test_.count - first);
    load_batch(test_, order, first, m, scratch);
    for (const StepOp& op : step_ops(inf, w_, layout_, m))
      for (const Tile& t : tile_pass(op.pass, shape_, cfg_.accelerator.array.pe_multipliers))
        array.run_tile(t, scratch, 0, false);
    const auto& act = scratch.buffer(Buffer::kActivations);
    for (int64_t i = 0; i < m; ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < n; ++j)
        if (logit(act[layout_.logits.at(i, j)]) > logit(act[layout_.logits.at(i, best)])) best = j;
      correct += best == test_.labels[first + i];
    }
  }
  return test_.count > 0 ? static_cast<double>(correct) / static_cast<double>(test_.count) : 0.0;
}

void Controller::run() {
  setup_memories();
  result_.layers.resize(w_.layers.size());
  const bool training = result_.training;
  const Samples& s = training ? train_ : test_;
  const int64_t batch = cfg_.training.batch;
  const int64_t steps_per_epoch = (s.count + batch - 1) / batch;
  const int epochs = training ? cfg_.training.epochs : 1;
  int64_t steps = steps_per_epoch * epochs;
  if (cfg_.simulation.max_steps > 0) steps = std::min(steps, cfg_.simulation.max_steps);
  const bool tty = progress_ && isatty(2);
  std::vector<int64_t> order(s.count);
  Rng shuffle(static_cast<uint64_t>(cfg_.training.seed) * 7919 + 17);
  step_ = 0;
  for (int epoch = 0; epoch < epochs && step_ < steps; ++epoch) {
    for (int64_t i = 0; i < s.count; ++i) order[i] = i;
    if (training)  // Fisher-Yates from the seed: the same order every run
      for (int64_t i = s.count - 1; i > 0; --i) std::swap(order[i], order[shuffle.next() % uint64_t(i + 1)]);
    epoch_loss_ = {};
    int64_t samples = 0;
    for (int64_t k = 0; k < steps_per_epoch && step_ < steps; ++k, ++step_) {
      const int64_t first = k * batch, m = std::min(batch, s.count - first);
      const bool more = step_ + 1 < steps;
      const int64_t next_m = !more ? 0 : k + 1 < steps_per_epoch ? std::min(batch, s.count - first - m) : std::min(batch, s.count);
      run_step(order, first, m, next_m);
      samples += m;
      result_.samples += m;
      if (tty && (step_ % 8 == 7 || step_ + 1 == steps))
        fmt::print(stderr, "\rsystrain: epoch {}/{} step {}/{}  cycle {}", epoch + 1, epochs, step_ + 1, steps, cycle_);
    }
    if (training) {
      result_.epoch_cycles.push_back(cycle_);
      if (cfg_.simulation.functional) {
        result_.test_accuracy.push_back(evaluate());
        result_.train_loss.push_back(epoch_loss_.loss_sum / static_cast<double>(std::max<int64_t>(1, samples)));
        result_.train_accuracy.push_back(static_cast<double>(epoch_loss_.correct) /
                                         static_cast<double>(std::max<int64_t>(1, samples)));
      }
    }
  }
  if (tty) fmt::print(stderr, "\n");
  idle_until(dram_.end());  // the last results reach DRAM
  result_.steps = step_;
  result_.cycles_total = cycle_;
  result_.dram = dram_.counts();
  result_.sram = engine_.memory->counts();
  for (const auto& o : result_.ops) result_.macs += o.macs, result_.tiles += o.tiles;
  if (!training && cfg_.simulation.functional && result_.samples > 0)
    result_.accuracy = static_cast<double>(epoch_loss_.correct) / static_cast<double>(result_.samples);
  if (result_.cycles_forward + result_.cycles_backward + result_.cycles_update + result_.cycles_stall != cycle_)
    throw std::logic_error("the cycles by stage do not add up to the total");
  if (trace_ && cycle_ <= cfg_.simulation.vcd_window[1]) {  // the run ends inside the window: show it idle
    trace_idle();
    wait(period_);
  }
  close_trace();
}

}  // namespace systrain
