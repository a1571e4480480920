// The speculative schedule on two engines (README "Speculative
// backpropagation"). Engine 0 runs the forward passes, engine 1 the backward
// work; each step is a section in which both run at once, from two SystemC
// threads (the main thread drives engine 0, backward_thread() engine 1),
// followed by the work that needs both results (the update, or the
// verification), which the main thread runs on engine 1.
//
// gradient_reuse, step i:   engine 0: forward(i), loss + decisions of step i
//                           engine 1: backward of step i−1's misses, table refresh
//                           then:     update with step i−1's gradients
// output_speculation, step i: engine 0: forward(i)
//                           engine 1: loss and AG chain of step i from the table
//                           then:     verify; recompute on a miss; WG and update
//
// Values: both engines work on one store of values (split engines share the
// SRAM; dual engines' copies are modelled by their DRAM transfers), and the
// data each section touches is disjoint by construction: the stash, logits
// and errors are double-buffered by step, each engine has its own partial
// sums, and weights change only after the section.
#include <fmt/format.h>

#include <algorithm>

#include "controller.h"

namespace systrain {

namespace {
int64_t intersection(const std::vector<std::pair<int64_t, int64_t>>& a,
                     const std::vector<std::pair<int64_t, int64_t>>& b) {
  int64_t total = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const int64_t lo = std::max(a[i].first, b[j].first), hi = std::min(a[i].second, b[j].second);
    if (hi > lo) total += hi - lo;
    if (a[i].second < b[j].second) ++i;
    else ++j;
  }
  return total;
}
}  // namespace

void Controller::setup_speculation() {
  const auto& sp = cfg_.schedule.speculation;
  const bool dual = sp.engines == Engines::kDual;
  tables_ = std::make_unique<SpecTables>(w_, sp.policy, cfg_.accelerator.numerics.data_bits);
  auto& r = result_.spec;
  r.ran = true;
  r.policy = sp.policy == SpecPolicy::kGradientReuse ? "gradient_reuse" : "output_speculation";
  r.engines = dual ? "dual" : "split";
  r.forward_cols = lanes_[0]->engine.shape.cols;
  r.backward_cols = lanes_[1]->engine.shape.cols;
  r.table_words = tables_->classes * tables_->words_per_label(w_);
  // Like the baseline's dW spill rule (dram.h), per layer: its backward
  // working set, the errors of the other step in flight and, for
  // gradient_reuse, every layer's dW (held from the WG pass to the update
  // after the section; when they do not fit they spill). The table lives in
  // the gradients buffer when it fits beside that, else in DRAM.
  const int64_t capacity = dram_.gradients_capacity_words();
  const int64_t batch = cfg_.buffer_rows();
  int64_t dw_all = 0, dy_step = 0;
  for (const auto& p : w_.layers) dw_all += p.kw() * p.n, dy_step += batch * p.n;
  int64_t need = 0;
  for (int i = 0; i < static_cast<int>(w_.layers.size()); ++i) {
    const auto& p = w_.layers[i];
    need = std::max(need, dram_.gradients_working_set(batch, i) + dy_step +
                              (sp.policy == SpecPolicy::kGradientReuse ? dw_all : p.kw() * p.n));
  }
  dw_spills_ = sp.policy == SpecPolicy::kGradientReuse && need > capacity;
  if (dw_spills_) need -= dw_all;
  table_in_sram_ = need + r.table_words <= capacity;
  r.table_in_sram = table_in_sram_;
  r.dw_spills = dw_spills_;
  vector_free_.assign(dual ? 2 : 1, 0);
  lanes_[1]->vector_unit = dual ? 1 : 0;
  dram_.set_stash_slots(dual ? 1 : 2);
  prev_ = {};
  dw_ready_.assign(w_.layers.size(), 0);
}

bool Controller::assumed_hit(int64_t step, int64_t sample) const {
  Rng r(static_cast<uint64_t>(cfg_.training.seed) * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(step) * 1000003ULL +
        static_cast<uint64_t>(sample));
  return r.uniform() < cfg_.schedule.speculation.assumed_hit_rate;
}

void Controller::backward_thread() {
  while (true) {
    wait(b_start_);
    try {
      if (b_work_) b_work_();
    } catch (const std::exception& e) {
      b_error_ = e.what();
    }
    trace_idle_in_window(*lanes_[1]);
    b_running_ = false;
    b_done_.notify(sc_core::SC_ZERO_TIME);
  }
}

void Controller::section(const std::function<void()>& forward, const std::function<void()>& backward) {
  Lane& f = *lanes_[0];
  b_error_.clear();
  b_work_ = backward;
  b_running_ = true;
  b_start_.notify(sc_core::SC_ZERO_TIME);
  std::string f_error;
  try {
    forward();
  } catch (const std::exception& e) {
    f_error = e.what();
  }
  trace_idle_in_window(f);
  while (b_running_) wait(b_done_);  // the main thread is now at max(forward end, backward end)
  b_work_ = nullptr;
  if (!f_error.empty()) throw std::runtime_error(f_error);
  if (!b_error_.empty()) throw std::runtime_error(b_error_);
  barrier();
}

void Controller::barrier() {
  Lane& f = *lanes_[0];
  Lane& b = *lanes_[1];
  const int64_t t = std::max(f.cycle, b.cycle);
  result_.cycles_overlap += intersection(f.busy, b.busy);
  f.busy.clear(), b.busy.clear();
  for (Lane* l : {&f, &b}) {
    result_.spec.barrier_wait_cycles[l->index] += t - l->cycle;
    l->engine.array->idle(l->cycle, t);
    l->cycle = t;
  }
  const int64_t now = static_cast<int64_t>(std::llround(sc_core::sc_time_stamp() / period_));
  if (now < t) wait(static_cast<double>(t - now) * period_);
}

void Controller::spec_vector(Lane& lane, Stage stage, int layer, VectorKind kind,
                             const std::function<SpecOpStats()>& fn, const char* name) {
  const StepOp op = vector_op(stage, layer, kind);
  OpStats& os = op_stats(layer, name ? name : op.name());
  Memory& mem = *lane.engine.memory;
  const AccessCounts before = mem.counts();
  const int64_t c0 = lane.cycle;
  const SpecOpStats st = fn();
  if (table_in_sram_) mem.count(Buffer::kGradients, Operand::kTable, st.table_reads, st.table_writes);
  else if (st.table_reads > 0) idle_until(lane, dram_.fetch(lane.cycle, Operand::kTable, st.table_reads));
  epoch_loss_.loss_sum += st.loss.loss_sum, epoch_loss_.correct += st.loss.correct;
  const int64_t cycles = vector_cycles(cfg_, st.elements, mem.counts() - before);
  slowed_vector(layer, name ? name : op.name(), cycles - vector_cycles(cfg_, st.elements));
  result_.vector_elements += st.elements;
  result_.stages[int(stage)].vector_elements += st.elements;
  advance_vector(lane, cycles);
  (stage == Stage::kUpdate ? result_.cycles_update : result_.cycles_backward) += cycles;
  if (!table_in_sram_ && st.table_writes > 0) dram_.store(lane.cycle, Operand::kTable, st.table_writes);
  count_op(os, op, before, mem.counts(), lane.cycle - c0);
}

SpecOpStats Controller::plain_vector(Memory& mem, VectorKind kind, const StepLayout& l, int layer, int64_t m,
                                     const uint8_t* labels) {
  // the loss a plain op computes is not counted: verify (output_speculation) already counted it
  run_vector(kind, mem, w_, l, layer, m, num_, sn_, static_cast<float>(cfg_.training.learning_rate), labels,
             cfg_.simulation.functional);
  SpecOpStats s;
  s.elements = vector_elements(kind, w_, layer, m);
  return s;
}

void Controller::join_forward() {  // the forward engine waits for the backward engine's update
  Lane& f = *lanes_[0];
  Lane& b = *lanes_[1];
  result_.spec.barrier_wait_cycles[0] += b.cycle - f.cycle;
  f.engine.array->idle(f.cycle, b.cycle);
  f.cycle = b.cycle;
}

void Controller::trace_idle_in_window(Lane& lane) {
  if (trace_ && lane.cycle >= cfg_.simulation.vcd_window[0] && lane.cycle <= cfg_.simulation.vcd_window[1])
    trace_idle(*lane.sig);
}

void Controller::spec_array(Lane& lane, const StepOp& op, const char* name) {
  lane.op_name = name ? name : op.name();
  OpStats& os = op_stats(op.layer, lane.op_name);
  const AccessCounts before = lane.engine.memory->counts();
  const int64_t c0 = lane.cycle;
  run_pass(lane, op, os, nullptr);
  count_op(os, op, before, lane.engine.memory->counts(), lane.cycle - c0);
}

Controller::BackwardCost Controller::backward_cost(int64_t rows) {
  if (rows == 0) return {};
  auto it = backward_cost_cache_.find(rows);
  if (it != backward_cost_cache_.end()) return it->second;
  const ArrayShape& shape = lanes_[1]->engine.shape;
  const int mult = cfg_.accelerator.array.pe_multipliers;
  BackwardCost c;
  auto pass = [&](const Pass& p) {
    for (const Tile& t : tile_pass(p, shape, mult)) {
      const TileCost tc = tile_cost(t, shape);
      c.cycles += tc.cycles + tile_stalls(t, shape).total;
      for (int o = 0; o < int(Operand::kCount); ++o) c.words += tc.acc.reads[o] + tc.acc.writes[o];
    }
  };
  for (int i = static_cast<int>(w_.layers.size()) - 1; i >= 0; --i) {
    if (i > 0) {
      pass(ag_pass(cfg_, w_, layout_, i, rows));
      if (w_.layers[i - 1].relu) {  // the mask reads dx and x and writes dy
        c.cycles += vector_cycles(VectorKind::kMask, cfg_, w_, i, rows);
        c.words += 3 * vector_elements(VectorKind::kMask, w_, i, rows);
      }
    }
    pass(wg_pass(cfg_, w_, layout_, i, rows));
  }
  return backward_cost_cache_[rows] = c;
}

void Controller::spec_backward(Lane& b, StepState& st) {
  const bool functional = cfg_.simulation.functional;
  const bool dual = cfg_.schedule.speculation.engines == Engines::kDual;
  const StepLayout l = layout_.view(st.slot, 1);
  Memory& mem = *b.engine.memory;
  const int64_t mm = static_cast<int64_t>(st.misses.size());
  if (dual) idle_until(b, backward_stash_ready_);  // the stash and the errors have arrived
  const BackwardCost all = backward_cost(st.m), run = backward_cost(mm);
  result_.spec.skipped_cycles += all.cycles - run.cycles;
  result_.spec.skipped_words += all.words - run.words;
  if (mm == 0) return;
  bool packed = true;
  for (int64_t r = 0; r < mm; ++r) packed = packed && st.misses[r] == r;
  if (!packed)
    spec_vector(b, Stage::kBackward, 0, VectorKind::kGather, [&] { return gr_gather(mem, w_, l, st, functional); });
  const int L = static_cast<int>(w_.layers.size());
  for (int i = L - 1; i >= 0; --i) {
    idle_until(b, dram_.backward_ready(mm, i, b.cycle));
    if (i > 0) {
      const StepOp ag = array_op(Stage::kBackward, i, ag_pass(cfg_, w_, l, i, mm));
      spec_array(b, ag);
      if (w_.layers[i - 1].relu)
        spec_vector(b, Stage::kBackward, i, VectorKind::kMask,
                    [&] { return plain_vector(mem, VectorKind::kMask, l, i, mm, nullptr); });
    }
    spec_array(b, array_op(Stage::kBackward, i, wg_pass(cfg_, w_, l, i, mm)));
    if (dw_spills_) dw_ready_[i] = dram_.spill_dw(i, b.cycle);  // back before the update (spec_update waits)
  }
  spec_vector(b, Stage::kBackward, 0, VectorKind::kTable, [&] {
    SpecOpStats s = gr_refresh(mem, w_, l, st, *tables_, functional);
    result_.spec.reuse_words += 2 * s.table_writes;  // read from the stash and errors, written to the table
    return s;
  });
}

void Controller::spec_update(Lane& b, StepState& st) {
  const bool functional = cfg_.simulation.functional;
  const StepLayout l = layout_.view(st.slot, 1);
  Memory& mem = *b.engine.memory;
  const float lr = static_cast<float>(cfg_.training.learning_rate);
  for (int i = static_cast<int>(w_.layers.size()) - 1; i >= 0; --i) {
    idle_until(b, dram_.weights_ready(i, b.cycle));
    if (dw_spills_ && !st.misses.empty()) idle_until(b, dw_ready_[i]);  // the spilled dW is back
    int64_t elements = 0;
    spec_vector(b, Stage::kUpdate, i, VectorKind::kUpdate, [&] {
      SpecOpStats s = gr_update(mem, w_, l, i, st, *tables_, num_, sn_, lr, functional);
      elements = s.elements;
      result_.spec.reuse_words += s.table_reads;  // the stored gradients applied
      return s;
    });
    const auto& p = w_.layers[i];
    result_.spec.reuse_cycles += vector_cycles(cfg_, elements) - vector_cycles(cfg_, p.kw() * p.n);
    dram_.backward_done(i, b.cycle);
  }
}

void Controller::run_spec_step(const std::vector<int64_t>& order, int64_t first, int64_t m, int64_t next_m) {
  Lane& f = *lanes_[0];
  Lane& b = *lanes_[1];
  const bool functional = cfg_.simulation.functional;
  const auto& sp = cfg_.schedule.speculation;
  const bool dual = sp.engines == Engines::kDual;
  const int L = static_cast<int>(w_.layers.size());
  const int64_t n_last = w_.layers.back().n;
  StepState cur;
  cur.step = step_, cur.m = m, cur.slot = static_cast<int>(step_ % 2);
  f.step = step_;  // the backward engine works on the pending step (gradient_reuse) or this one
  b.step = sp.policy == SpecPolicy::kGradientReuse && prev_.step >= 0 ? prev_.step : step_;
  cur.labels.resize(m);
  for (int64_t i = 0; i < m; ++i) cur.labels[i] = train_.labels[order[first + i]];
  const StepLayout fl = layout_.view(cur.slot, 0);
  if (functional) load_batch(train_, order, first, m, *f.engine.memory, fl.input);
  const auto hit_fn = [this, step = step_](int64_t i) { return assumed_hit(step, i); };
  int64_t stash_words = 0;  // every layer's input
  for (const auto& p : w_.layers) stash_words += m * p.kw();
  int64_t weight_words = 0;
  for (const auto& p : w_.layers) weight_words += p.kw() * p.n;
  auto forward = [&] {
    if (dual) idle_until(f, forward_weights_ready_);  // the updated weights have arrived
    for (const StepOp& op : forward_ops(cfg_, w_, fl, m)) run_forward(f, op, m, next_m, true);
    if (sp.policy == SpecPolicy::kGradientReuse) {
      spec_vector(f, Stage::kBackward, L - 1, VectorKind::kLoss, [&] {
        return gr_loss(*f.engine.memory, w_, fl, num_, *tables_, sp.threshold, functional, hit_fn, cur);
      });
      if (dual) {  // the stash and the misses' errors go to the backward engine
        dram_.store(f.cycle, Operand::kX, stash_words);
        dram_.store(f.cycle, Operand::kDy, static_cast<int64_t>(cur.misses.size()) * n_last);
      }
    } else if (dual) {  // the stash and the logits go to the backward engine
      dram_.store(f.cycle, Operand::kX, stash_words - m * w_.input_width);  // it reads the input itself
      dram_.store(f.cycle, Operand::kY, m * n_last);
    }
  };
  if (sp.policy == SpecPolicy::kGradientReuse) {
    StepState& pend = prev_;
    section(forward, [&] {
      if (pend.step >= 0) spec_backward(b, pend);
    });
    if (pend.step >= 0) spec_update(b, pend);
    if (dual) {
      backward_stash_ready_ = dram_.fetch(b.cycle, Operand::kX, stash_words);
      backward_stash_ready_ = std::max(backward_stash_ready_,
                                       dram_.fetch(b.cycle, Operand::kDy, static_cast<int64_t>(cur.misses.size()) * n_last));
    }
  } else {
    const StepLayout bl = layout_.view(cur.slot, 1);
    Memory& mem = *b.engine.memory;
    section(forward, [&] {  // the error chain from the table, beside the forward pass
      spec_vector(b, Stage::kBackward, L - 1, VectorKind::kLoss,
                  [&] { return os_loss(mem, w_, bl, num_, *tables_, cur, functional); }, "spec_loss");
      for (int i = L - 1; i >= 1; --i) {
        idle_until(b, dram_.weights_ready(i, b.cycle));
        spec_array(b, array_op(Stage::kBackward, i, ag_pass(cfg_, w_, bl, i, m)), "spec_ag");
        if (w_.layers[i - 1].relu)
          spec_vector(b, Stage::kBackward, i, VectorKind::kMask,
                      [&] { return os_mask(mem, w_, bl, i, *tables_, cur, num_, functional); }, "spec_mask");
      }
    });
    if (dual) {
      idle_until(b, dram_.fetch(b.cycle, Operand::kX, stash_words));
      idle_until(b, dram_.fetch(b.cycle, Operand::kY, m * n_last));
    }
    spec_vector(b, Stage::kBackward, L - 1, VectorKind::kVerify,
                [&] { return os_verify(mem, w_, bl, num_, *tables_, sp.threshold, functional, hit_fn, cur); });
    if (!cur.misses.empty()) {  // recompute the error chain with the true values
      const int64_t c0 = b.cycle;
      spec_vector(b, Stage::kBackward, L - 1, VectorKind::kLoss,
                  [&] { return plain_vector(mem, VectorKind::kLoss, bl, L - 1, m, cur.labels.data()); });
      for (int i = L - 1; i >= 1; --i) {
        spec_array(b, array_op(Stage::kBackward, i, ag_pass(cfg_, w_, bl, i, m)));
        if (w_.layers[i - 1].relu)
          spec_vector(b, Stage::kBackward, i, VectorKind::kMask,
                      [&] { return plain_vector(mem, VectorKind::kMask, bl, i, m, nullptr); });
      }
      result_.spec.recompute_cycles += b.cycle - c0;
    }
    for (int i = L - 1; i >= 0; --i) {
      idle_until(b, dram_.backward_ready(m, i, b.cycle));
      spec_array(b, array_op(Stage::kBackward, i, wg_pass(cfg_, w_, bl, i, m)));
      if (dram_.gradients_spill(m, i)) idle_until(b, dram_.spill_dw(i, b.cycle));
      spec_vector(b, Stage::kUpdate, i, VectorKind::kUpdate,
                  [&] { return plain_vector(mem, VectorKind::kUpdate, bl, i, m, nullptr); });
      dram_.backward_done(i, b.cycle);
    }
  }
  if (dual && (sp.policy == SpecPolicy::kOutputSpeculation || prev_.step >= 0)) {
    // the forward engine's copy of the weights
    dram_.store(b.cycle, Operand::kW, weight_words);
    forward_weights_ready_ = dram_.fetch(b.cycle, Operand::kW, weight_words);
  }
  join_forward();  // the next section starts when both engines are free
  result_.spec.hits += cur.hits();
  result_.spec.misses += static_cast<int64_t>(cur.misses.size());
  epoch_hits_ += cur.hits();
  if (sp.policy == SpecPolicy::kGradientReuse) prev_ = std::move(cur);
}

void Controller::finish_speculation() {
  if (prev_.step < 0) return;
  Lane& b = *lanes_[1];
  b.step = prev_.step;
  section([] {}, [&] { spec_backward(b, prev_); });
  spec_update(b, prev_);
  join_forward();
  prev_ = {};
}

}  // namespace systrain
