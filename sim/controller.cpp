#include "controller.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>

#include "fixed_point.h"
#include "fnv1a.h"
#include "cosim_array.h"
#include "vector_unit.h"

namespace systrain {

Controller::Signals::Signals(const std::string& prefix)
    : step((prefix + "step").c_str()),
      layer((prefix + "layer").c_str()),
      tile((prefix + "tile").c_str()),
      phase((prefix + "phase").c_str()),
      mode((prefix + "mode").c_str()),
      busy((prefix + "busy").c_str()),
      vector((prefix + "vector_busy").c_str()),
      top_rd((prefix + "top_rd").c_str()),
      left_rd((prefix + "left_rd").c_str()),
      psum_rd((prefix + "psum_rd").c_str()),
      out_wr((prefix + "out_wr").c_str()) {}

void Controller::Signals::trace(sc_core::sc_trace_file* f) {
  for (auto* sig : {&step, &layer, &tile}) sc_core::sc_trace(f, *sig, sig->basename());
  sc_core::sc_trace(f, phase, phase.basename());
  sc_core::sc_trace(f, mode, mode.basename());
  for (auto* sig : {&busy, &vector, &top_rd, &left_rd, &psum_rd, &out_wr}) sc_core::sc_trace(f, *sig, sig->basename());
}

Controller::Controller(sc_core::sc_module_name n, const Config& cfg, const Workload& w, const Samples& train,
                       const Samples& test, std::vector<Engine> engines, RunResult& result,
                       sc_core::sc_trace_file* trace, bool progress, StepObserver* observer)
    : sc_module(n),
      cfg_(cfg),
      w_(w),
      train_(train),
      test_(test),
      result_(result),
      trace_(trace),
      progress_(progress),
      observer_(observer),
      sn_(step_numerics(cfg)),
      period_(1e3 / cfg.accelerator.clock_mhz, sc_core::SC_NS),
      dram_(cfg, w) {
  const auto& nu = cfg.accelerator.numerics;
  num_ = {nu.data_bits, nu.frac_bits, nu.acc_bits, cfg.is_float(),
          nu.activation_frac(), nu.weight_frac(), nu.error_frac(), nu.gradient_frac()};
  spec_ = cfg.schedule.kind == ScheduleKind::kSpeculative;
  layout_ = run_layout(cfg, w);
  if (spec_) socket_b = std::make_unique<Socket>("to_array_b");
  for (size_t i = 0; i < engines.size(); ++i) {
    auto lane = std::make_unique<Lane>();
    lane->index = static_cast<int>(i);
    lane->socket = i == 0 ? &socket : socket_b.get();
    lane->engine = engines[i];
    lane->sig = std::make_unique<Signals>(i == 0 ? "" : "b_");
    lane->payload.set_extension(&lane->ext);
    if (trace_) lane->sig->trace(trace_);
    lanes_.push_back(std::move(lane));
  }
  SC_THREAD(main);
  if (spec_) SC_THREAD(backward_thread);
}

void Controller::main() {
  try {
    run();
  } catch (const std::exception& e) {  // a CosimMismatch or a simulation failure
    error_ = e.what();
  }
  for (auto& lane : lanes_) lane->payload.clear_extension(&lane->ext);
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
  for (int slot = 0; slot < layout_.slots; ++slot) {
    const StepLayout l = layout_.view(slot);
    for (size_t li = 0; li < w_.layers.size(); ++li)
      if (w_.layers[li].bias)
        for (int64_t i = 0; i < w_.layers[li].gemm_rows(cfg_.buffer_rows()); ++i) act[l.x[li].at(i, w_.layers[li].k)] = one;
  }
  Memory& mem = *lanes_[0]->engine.memory;
  mem.buffer(Buffer::kWeights) = std::move(wts);
  mem.buffer(Buffer::kActivations) = std::move(act);
  // inference has no weight gradients: the gradients buffer holds its partial sums only
  mem.buffer(Buffer::kGradients)
      .assign(result_.training ? layout_.words[int(Buffer::kGradients)] : layout_.dws[0].base, 0);
}

void Controller::load_batch(const Samples& s, const std::vector<int64_t>& order, int64_t first, int64_t m,
                            Memory& mem, const Mat& x0) {
  // a DMA fill from DRAM: counted at the DRAM interface, not at the array
  // edge. A sample's features are in C, H, W order; an input image is
  // stored NHWC (feature c·H·W + px goes to row b·H·W + px, lane c)
  auto& act = mem.buffer(Buffer::kActivations);
  const int64_t K = w_.input_width, P = w_.image_input ? w_.input.pixels() : 1;
  auto at = [&](int64_t i, int64_t j) { return x0.at(i * P + j % P, j / P); };
  if (!s.pixels.empty()) {  // images: 256 possible values, quantised once
    int64_t word[256];
    for (int b = 0; b < 256; ++b)
      word[b] = num_.is_float ? f2w(b / 255.0f) : quantize(b / 255.0f, num_.fa, num_.data_bits);
    for (int64_t i = 0; i < m; ++i) {
      const uint8_t* src = &s.pixels[order[first + i] * K];
      for (int64_t j = 0; j < K; ++j) act[at(i, j)] = word[src[j]];
    }
    return;
  }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < K; ++j) {
      const float v = s.at(order[first + i], j);
      act[at(i, j)] = num_.is_float ? f2w(v) : quantize(v, num_.fa, num_.data_bits);
    }
}

void Controller::mark_busy(Lane& lane, int64_t from, int64_t to) {
  if (!spec_ || to <= from) return;
  if (!lane.busy.empty() && lane.busy.back().second == from) lane.busy.back().second = to;
  else lane.busy.emplace_back(from, to);
}

void Controller::idle_until(Lane& lane, int64_t cycle) {
  if (cycle <= lane.cycle) return;
  lane.engine.array->idle(lane.cycle, cycle);
  const int64_t w0 = cfg_.simulation.vcd_window[0], w1 = cfg_.simulation.vcd_window[1];
  if (trace_ && cycle > w0 && lane.cycle <= w1) {  // show the wait in the trace
    if (lane.cycle < w0) wait(static_cast<double>(w0 - lane.cycle) * period_);
    trace_idle(*lane.sig);
    wait(static_cast<double>(cycle - std::max(lane.cycle, w0)) * period_);
  } else {
    wait(static_cast<double>(cycle - lane.cycle) * period_);
  }
  // with two engines a stall is a cycle in which neither works (run() derives it)
  if (!spec_) result_.cycles_stall += cycle - lane.cycle;
  lane.cycle = cycle;
}


void Controller::issue(Lane& lane, const Tile& t) {
  if (g_interrupted.load(std::memory_order_relaxed)) throw std::runtime_error("interrupted; nothing was written");
  auto& ext = lane.ext;
  ext.tile = &t;
  ext.start_cycle = lane.cycle;
  ext.record_events = trace_ && lane.cycle <= cfg_.simulation.vcd_window[1];
  ext.result = &lane.run;
  lane.payload.set_command(tlm::TLM_WRITE_COMMAND);
  lane.payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  // the target annotates the tile's cycles; advance() waits them, cycle by
  // cycle inside the trace window
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  try {
    (*lane.socket)->b_transport(lane.payload, delay);
  } catch (const CosimMismatch& m) {  // say where in the run it happened
    result_.cosim_mismatches++;
    // the phase of the tile's cycle it happened in: a cycle frozen by the
    // SRAM's limits is in the phase of the cycle it delays
    const TileStalls st = tile_stalls(t, lane.engine.shape, true);
    const int64_t rel = m.cycle() - lane.cycle;
    int64_t logical = 0;
    for (int64_t phys = -1; logical < static_cast<int64_t>(st.per_cycle.size()); ++logical)
      if ((phys += st.per_cycle[logical] + 1) >= rel) break;
    throw std::runtime_error(fmt::format(
        "co-simulation mismatch at cycle {} (step {}, {}layer {}, {} pass, {}, {} phase):\n  {}", m.cycle(), lane.step,
        spec_ ? fmt::format("engine {}, ", lane.index) : "", t.layer, lane.op_name.empty() ? "?" : lane.op_name, describe(t),
        to_string(phase_at(t, lane.engine.shape, logical)), m.what()));
  }
  if (lane.payload.is_response_error()) throw std::runtime_error("array target rejected a tile");
  advance(lane, t, lane.run);
  mark_busy(lane, lane.cycle, lane.cycle + lane.run.cycles);
  lane.cycle += lane.run.cycles;
}

void Controller::trace_idle(Signals& s) {
  for (auto* sig : {&s.busy, &s.vector, &s.top_rd, &s.left_rd, &s.psum_rd, &s.out_wr}) sig->write(false);
  s.phase.write(0);
}

void Controller::close_trace() {
  if (trace_) sc_core::sc_close_vcd_trace_file(trace_);
  trace_ = nullptr;
}

void Controller::advance(Lane& lane, const Tile& t, const TileRun& r) {
  const int64_t w0 = cfg_.simulation.vcd_window[0], w1 = cfg_.simulation.vcd_window[1];
  const int64_t s = lane.cycle, e = lane.cycle + r.cycles;  // the tile's cycles are [s, e)
  if (!trace_ || e <= w0 || s > w1) {
    wait(static_cast<double>(r.cycles) * period_);
    return;
  }
  Signals& sig = *lane.sig;
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
      sig.step.write(static_cast<uint32_t>(lane.step));
      sig.layer.write(static_cast<uint32_t>(t.layer));
      sig.tile.write(static_cast<uint32_t>(t.index));
      sig.mode.write(static_cast<int>(t.mode));
      sig.busy.write(true);
      sig.vector.write(false);
    }
    sig.phase.write(r.phases.empty() ? int(phase_at(t, lane.engine.shape, rel)) : r.phases[rel]);
    sig.top_rd.write(top[rel]);
    sig.left_rd.write(left[rel]);
    sig.psum_rd.write(psum[rel]);
    sig.out_wr.write(out[rel]);
    wait(period_);
    ++c;
  }
}

void Controller::advance_vector(Lane& lane, int64_t cycles) {
  // a vector unit shared by two engines serves one operation at a time
  if (spec_) {
    idle_until(lane, vector_free_[lane.vector_unit]);
    vector_free_[lane.vector_unit] = lane.cycle + cycles;
  }
  lane.engine.array->idle(lane.cycle, lane.cycle + cycles);
  const int64_t w0 = cfg_.simulation.vcd_window[0], w1 = cfg_.simulation.vcd_window[1];
  if (trace_ && lane.cycle + cycles > w0 && lane.cycle <= w1) {
    if (lane.cycle < w0) wait(static_cast<double>(w0 - lane.cycle) * period_);
    trace_idle(*lane.sig);
    lane.sig->vector.write(true);
    wait(static_cast<double>(lane.cycle + cycles - std::max(lane.cycle, w0)) * period_);
    lane.sig->vector.write(false);
  } else {
    wait(static_cast<double>(cycles) * period_);
  }
  mark_busy(lane, lane.cycle, lane.cycle + cycles);
  lane.cycle += cycles;
}

void Controller::slowed_vector(int layer, const std::string& name, int64_t extra) {
  if (extra <= 0) return;
  result_.cycles_bandwidth_stall += extra;
  op_stats(layer, name).bandwidth_stall_cycles += extra;
}

OpStats& Controller::op_stats(int layer, const std::string& name) {
  for (auto& o : result_.ops)
    if (o.layer == layer && o.op == name) return o;
  result_.ops.push_back({});
  result_.ops.back().layer = layer;
  result_.ops.back().op = name;
  return result_.ops.back();
}

void Controller::take_dram(int stage) {
  const DramCounts& now = dram_.counts();
  auto& d = result_.stages[stage].dram;
  for (int o = 0; o < int(Operand::kCount); ++o) {
    d.reads[o] += now.reads[o] - dram_seen_.reads[o];
    d.writes[o] += now.writes[o] - dram_seen_.writes[o];
  }
  dram_seen_ = now;
  last_stage_ = stage;
}

void Controller::count_op(OpStats& os, const StepOp& op, const AccessCounts& before, const AccessCounts& after,
                          int64_t cycles) {
  os.count++;
  os.cycles += cycles;
  take_dram(int(op.stage));
  const AccessCounts d = after - before;
  os.sram += d;
  result_.stages[int(op.stage)].sram += d;
  if (op.array && op.stage == Stage::kForward) result_.layers[op.layer].sram += d;
}

void Controller::run_pass(Lane& lane, const StepOp& op, OpStats& os, LayerStats* ls) {
  const auto tiles = tile_pass(op.pass, lane.engine.shape, cfg_.accelerator.array.pe_multipliers);
  const Gemm& g = op.pass.g;
  for (const Tile& t : tiles) {
    const int64_t c0 = lane.cycle;
    issue(lane, t);
    const auto& pc = lane.run.phase_cycles;
    result_.cycles_bandwidth_stall += lane.run.stall_cycles;
    os.bandwidth_stall_cycles += lane.run.stall_cycles;
    if (ls) ls->bandwidth_stall_cycles += lane.run.stall_cycles;
    for (int p = 0; p < int(Phase::kCount); ++p) {
      os.phase_cycles[p] += pc[p];
      if (ls) ls->phase_cycles[p] += pc[p];
    }
    // an interleaved tile's update and write-back count as update cycles
    const int64_t upd = pc[int(Phase::kUpdate)] + pc[int(Phase::kWriteback)];
    const int64_t busy = lane.cycle - c0;
    if (op.stage == Stage::kForward) result_.cycles_forward += busy;
    else result_.cycles_backward += busy - upd, result_.cycles_update += upd;
  }
  os.tiles += static_cast<int64_t>(tiles.size());
  if (ls) ls->tiles += static_cast<int64_t>(tiles.size());
  os.macs += pass_macs(op.pass);
  result_.stages[int(op.stage)].macs += pass_macs(op.pass);
  if (os.count == 0) os.gemm = g;
}

void Controller::run_vector_op(Lane& lane, const StepOp& op, const StepLayout& l, int64_t m, const uint8_t* labels) {
  const int64_t elements = vector_elements(op.vector, w_, op.layer, m, op.sub);
  result_.vector_elements += elements;
  result_.stages[int(op.stage)].vector_elements += elements;
  const AccessCounts before = lane.engine.memory->counts();
  const LossStats st = run_vector(op.vector, *lane.engine.memory, w_, l, op.layer, m, num_, sn_,
                                  static_cast<float>(cfg_.training.learning_rate), labels, cfg_.simulation.functional,
                                  op.sub);
  epoch_loss_.loss_sum += st.loss_sum, epoch_loss_.correct += st.correct;
  const int64_t cycles = vector_cycles(cfg_, elements, lane.engine.memory->counts() - before);
  slowed_vector(op.layer, op.name(), cycles - vector_cycles(cfg_, elements));
  advance_vector(lane, cycles);
  (op.stage == Stage::kUpdate     ? result_.cycles_update
   : op.stage == Stage::kForward ? result_.cycles_forward
                                 : result_.cycles_backward) += cycles;
}

void Controller::run_forward(Lane& lane, const StepOp& op, int64_t m, int64_t next_m, bool first_of_layer) {
  // a layer's forward work (its prep stages in the vector unit, then its
  // pass) starts when DRAM has brought what it needs
  LayerStats& ls = result_.layers[op.layer];
  OpStats& os = op_stats(op.layer, op.name());
  const AccessCounts before = lane.engine.memory->counts();
  const int64_t c0 = lane.cycle;
  if (first_of_layer) idle_until(lane, dram_.layer_ready(step_, m, next_m, op.layer, lane.cycle));
  const int64_t t0 = lane.cycle;
  ls.stall_cycles += t0 - c0;
  lane.op_name = op.name();
  ls.index = op.layer;
  if (op.array) {
    run_pass(lane, op, os, &ls);
    if (ls.gemm.m == 0) ls.gemm = op.pass.g;
    ls.macs += pass_macs(op.pass);
  } else {
    run_vector_op(lane, op, layout_, m, nullptr);
  }
  ls.cycles += lane.cycle - t0;
  if (op.array) dram_.layer_done(m, op.layer, lane.cycle, result_.training);
  count_op(os, op, before, lane.engine.memory->counts(), lane.cycle - c0);
}

void Controller::run_step(const std::vector<int64_t>& order, int64_t first, int64_t m, int64_t next_m) {
  Lane& lane = *lanes_[0];
  lane.step = step_;
  Memory& mem = *lane.engine.memory;
  const Samples& s = result_.training ? train_ : test_;
  labels_.resize(m);
  for (int64_t i = 0; i < m; ++i) labels_[i] = s.labels[order[first + i]];
  if (cfg_.simulation.functional) load_batch(s, order, first, m, mem, layout_.input);
  if (observer_) observer_->before_step(step_, mem, labels_);
  const auto ops = step_ops(cfg_, w_, layout_, m);
  int backward_layer = -1, forward_layer = -1;
  int64_t dw_ready = -1;  // a spilled dW is back in SRAM
  for (const StepOp& op : ops) {
    if (op.stage == Stage::kForward) {
      run_forward(lane, op, m, next_m, op.layer != forward_layer);
      forward_layer = op.layer;
    } else {
      OpStats& os = op_stats(op.layer, op.name());
      const AccessCounts before = mem.counts();
      const int64_t c0 = lane.cycle;
      if (op.array) {
        const bool first = op.layer != backward_layer;  // the first pass of a layer's backward
        if (first) {
          if (backward_layer >= 0) dram_.backward_done(backward_layer, lane.cycle);
          backward_layer = op.layer;
          idle_until(lane, dram_.backward_ready(m, op.layer, lane.cycle));
        }
        idle_until(lane, dram_.dy_ready(m, op.layer, lane.cycle, first));  // every pass reads dY
      }
      if (!op.array && op.vector == VectorKind::kUpdate && dw_ready >= 0) idle_until(lane, dw_ready), dw_ready = -1;
      lane.op_name = op.name();
      if (op.array) run_pass(lane, op, os, nullptr);
      else run_vector_op(lane, op, layout_, m, labels_.data());
      if (op.writes_dw() && dram_.gradients_spill(m, op.layer)) dw_ready = dram_.spill_dw(op.layer, lane.cycle);
      count_op(os, op, before, mem.counts(), lane.cycle - c0);
    }
    if (observer_) observer_->after_op(step_, op, mem);
  }
  if (backward_layer >= 0) dram_.backward_done(backward_layer, lane.cycle);
  if (!result_.training && cfg_.simulation.functional) {  // inference: score the logits of the step
    const auto& act = mem.buffer(Buffer::kActivations);
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
  const ArrayShape shape = array_shape(cfg_);
  Memory scratch(shape.words_per_psum);
  for (int b = 0; b < int(Buffer::kCount); ++b) scratch.buffer(Buffer(b)) = lanes_[0]->engine.memory->buffer(Buffer(b));
  TlmArray array(shape, num_, true, static_cast<float>(cfg_.training.learning_rate));
  Config inf = cfg_;
  inf.schedule.kind = ScheduleKind::kInference;
  const int64_t batch = cfg_.training.batch, n = w_.layers.back().n;
  std::vector<int64_t> order(test_.count);
  for (int64_t i = 0; i < test_.count; ++i) order[i] = i;
  int64_t correct = 0;
  for (int64_t first = 0; first < test_.count; first += batch) {
    const int64_t m = std::min(batch, test_.count - first);
    load_batch(test_, order, first, m, scratch, layout_.input);
    for (const StepOp& op : step_ops(inf, w_, layout_, m)) {
      if (!op.array) {
        run_vector(op.vector, scratch, w_, layout_, op.layer, m, num_, sn_, 0.0f, nullptr, true, op.sub);
        continue;
      }
      for (const Tile& t : tile_pass(op.pass, shape, cfg_.accelerator.array.pe_multipliers))
        array.run_tile(t, scratch, 0, false);
    }
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
  if (spec_) setup_speculation();
  result_.layers.resize(w_.layers.size());
  Lane& lane = *lanes_[0];
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
    epoch_hits_ = 0;
    int64_t samples = 0;
    for (int64_t k = 0; k < steps_per_epoch && step_ < steps; ++k, ++step_) {
      const int64_t first = k * batch, m = std::min(batch, s.count - first);
      const bool more = step_ + 1 < steps;
      const int64_t next_m = !more ? 0 : k + 1 < steps_per_epoch ? std::min(batch, s.count - first - m) : std::min(batch, s.count);
      if (spec_) run_spec_step(order, first, m, next_m);
      else run_step(order, first, m, next_m);
      samples += m;
      result_.samples += m;
      if (tty && (step_ % 8 == 7 || step_ + 1 == steps))
        fmt::print(stderr, "\rsystrain: epoch {}/{} step {}/{}  cycle {}", epoch + 1, epochs, step_ + 1, steps, lane.cycle);
    }
    // the speculative pipeline drains only at the end of the run: an epoch's
    // last update lands in the next epoch's first step
    if (spec_ && step_ == steps) finish_speculation();
    if (training) {
      result_.epoch_cycles.push_back(lane.cycle);
      if (spec_) result_.spec.hit_rate.push_back(static_cast<double>(epoch_hits_) / static_cast<double>(std::max<int64_t>(1, samples)));
      if (cfg_.simulation.functional) {
        result_.test_accuracy.push_back(evaluate());
        result_.train_loss.push_back(epoch_loss_.loss_sum / static_cast<double>(std::max<int64_t>(1, samples)));
        result_.train_accuracy.push_back(static_cast<double>(epoch_loss_.correct) /
                                         static_cast<double>(std::max<int64_t>(1, samples)));
      }
    }
  }
  if (tty) fmt::print(stderr, "\n");
  idle_until(lane, dram_.end());  // the last results reach DRAM
  take_dram(last_stage_);
  result_.weight_words = w_.weight_words;
  result_.input_words = w_.input_width;
  for (int i = 0; i < static_cast<int>(w_.layers.size()); ++i) result_.stash_words += dram_.stash_words(i);
  result_.steps = step_;
  result_.cycles_total = lane.cycle;
  result_.dram = dram_.counts();
  for (const auto& l : lanes_) result_.sram += l->engine.memory->counts();
  for (const auto& o : result_.ops) result_.macs += o.macs, result_.tiles += o.tiles;
  {  // every MAC, vector element and word belongs to exactly one stage
    int64_t macs = 0, elements = 0, dram_reads = 0, dram_writes = 0;
    AccessCounts sram;
    for (const auto& st : result_.stages) {
      macs += st.macs, elements += st.vector_elements, sram += st.sram;
      dram_reads += st.dram.total_reads(), dram_writes += st.dram.total_writes();
    }
    if (macs != result_.macs || elements != result_.vector_elements || sram.total_reads() != result_.sram.total_reads() ||
        sram.total_writes() != result_.sram.total_writes() || dram_reads != result_.dram.total_reads() ||
        dram_writes != result_.dram.total_writes())
      throw std::logic_error("the work by stage does not add up to the run's");
  }
  if (training && cfg_.simulation.functional) {  // a fingerprint of the trained weights, to compare runs exactly
    const auto& wts = lane.engine.memory->buffer(Buffer::kWeights);
    result_.weights_fnv1a = fnv1a(wts.data(), wts.size() * sizeof(int64_t));
  }
  if (!training && cfg_.simulation.functional && result_.samples > 0)
    result_.accuracy = static_cast<double>(epoch_loss_.correct) / static_cast<double>(result_.samples);
  const int64_t worked = result_.cycles_forward + result_.cycles_backward + result_.cycles_update - result_.cycles_overlap;
  if (spec_) result_.cycles_stall = lane.cycle - worked;  // cycles in which neither engine worked
  if (worked + result_.cycles_stall != lane.cycle || result_.cycles_stall < 0)
    throw std::logic_error("the cycles by stage do not add up to the total");
  if (trace_ && lane.cycle <= cfg_.simulation.vcd_window[1]) {  // the run ends inside the window: show it idle
    for (auto& l : lanes_) trace_idle(*l->sig);
    wait(period_);
  }
  close_trace();
}

}  // namespace systrain
