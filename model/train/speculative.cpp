// The speculative schedule on two engines (README "Speculative
// backpropagation"). Engine 0 runs the forward passes, engine 1 the backward
// work; each step is a section in which both run at once, followed by the
// work that needs both results (the update, or the verification), which
// runs on engine 1.
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
#include <algorithm>
#include <map>
#include <type_traits>
#include <utility>

#include "backward.h"
#include "bandwidth.h"
#include "samples.h"
#include "speculation.h"
#include "training_schedule.h"

namespace systrain {

namespace {

class SpeculativeSchedule final : public TrainingSchedule {
 public:
  explicit SpeculativeSchedule(RunContext& ctx);
  int engines() const override { return 2; }
  StepOutcome step(const StepInput& in, Executor& ex) override;
  void finish(Executor& ex) override;

 private:
  struct BackwardCost {
    int64_t cycles = 0, words = 0;  // array and vector-unit cycles; SRAM words read and written
  };
  BackwardCost backward_cost(int64_t rows);  // closed form of a backward pass over `rows` samples
  bool assumed_hit(int64_t step, int64_t sample) const;
  // a vector-unit op of the schedule on layout l, for m rows, that works on st
  StepOp vec(Stage stage, int layer, VectorKind kind, const StepLayout& l, int64_t m, StepState& st);
  void backward(Executor& ex, StepState& st);  // gradient_reuse: the misses' backward pass
  void update(Executor& ex, StepState& st);    // gradient_reuse: the update with the stored gradients

  RunContext& ctx_;
  using SpecCfg = std::remove_reference_t<decltype(std::declval<const Config&>().schedule.speculation)>;
  const SpecCfg& sp_;
  bool dual_;
  SpecTables tables_;
  bool dw_spills_ = false;
  StepState prev_;                       // gradient_reuse: the step whose backward pass is pending
  SpecContext prev_ctx_, cur_ctx_;       // what the ops of the pending and the current step work on
  int64_t forward_weights_ready_ = 0;    // dual: the forward engine's copy of the weights has arrived
  int64_t backward_stash_ready_ = 0;     // dual: the backward engine's copy of the stash has arrived
  std::map<int64_t, BackwardCost> backward_cost_cache_;
  std::vector<int64_t> dw_ready_;  // gradient_reuse: per layer, its spilled dW is back
  std::vector<StepLayout> views_;  // [slot · 2 + engine]
};

SpeculativeSchedule::SpeculativeSchedule(RunContext& ctx)
    : ctx_(ctx),
      sp_(ctx.cfg.schedule.speculation),
      dual_(sp_.engines == Engines::kDual),
      tables_(ctx.w, sp_.policy, ctx.cfg.accelerator.numerics.data_bits) {
  const Workload& w = ctx.w;
  auto& r = ctx.result.spec;
  r.ran = true;
  r.policy = sp_.policy == SpecPolicy::kGradientReuse ? "gradient_reuse" : "output_speculation";
  r.engines = dual_ ? "dual" : "split";
  r.table_words = tables_.classes * tables_.words_per_label(w);
  const int cols = ctx.cfg.accelerator.array.cols;
  r.forward_cols = dual_ ? cols : ctx.cfg.forward_cols();
  r.backward_cols = dual_ ? cols : cols - ctx.cfg.forward_cols();
  // Like the baseline's dW spill rule (dram.h), per layer: its backward
  // working set, the errors of the other step in flight and, for
  // gradient_reuse, every layer's dW (held from the WG pass to the update
  // after the section; when they do not fit they spill). The table lives in
  // the gradients buffer when it fits beside that, else in DRAM.
  const int64_t capacity = ctx.dram.gradients_capacity_words();
  const int64_t batch = ctx.cfg.buffer_rows();
  int64_t dw_all = 0, dy_step = 0;
  for (const auto& p : w.layers) dw_all += p.kw() * p.n, dy_step += batch * p.n;
  int64_t need = 0;
  for (int i = 0; i < static_cast<int>(w.layers.size()); ++i) {
    const auto& p = w.layers[i];
    need = std::max(need, ctx.dram.gradients_working_set(batch, i) + dy_step +
                              (sp_.policy == SpecPolicy::kGradientReuse ? dw_all : p.kw() * p.n));
  }
  dw_spills_ = sp_.policy == SpecPolicy::kGradientReuse && need > capacity;
  if (dw_spills_) need -= dw_all;
  const bool in_sram = need + r.table_words <= capacity;
  r.table_in_sram = in_sram;
  r.dw_spills = dw_spills_;
  for (SpecContext* c : {&prev_ctx_, &cur_ctx_}) {
    c->tables = &tables_;
    c->threshold = sp_.threshold;
    c->table_in_sram = in_sram;
  }
  prev_ctx_.state = &prev_;
  ctx.dram.set_stash_slots(dual_ ? 1 : 2);
  dw_ready_.assign(w.layers.size(), 0);
  for (int slot = 0; slot < 2; ++slot)
    for (int e = 0; e < 2; ++e) views_.push_back(ctx.layout.view(slot, e));
}

bool SpeculativeSchedule::assumed_hit(int64_t step, int64_t sample) const {
  Rng r(static_cast<uint64_t>(ctx_.cfg.training.seed) * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(step) * 1000003ULL +
        static_cast<uint64_t>(sample));
  return r.uniform() < sp_.assumed_hit_rate;
}

StepOp SpeculativeSchedule::vec(Stage stage, int layer, VectorKind kind, const StepLayout& l, int64_t m,
                                StepState& st) {
  StepOp op = vector_op(stage, layer, kind);
  op.m = m, op.layout = &l, op.labels = st.labels.data();
  op.spec = &st == &prev_ ? &prev_ctx_ : &cur_ctx_;
  return op;
}

SpeculativeSchedule::BackwardCost SpeculativeSchedule::backward_cost(int64_t rows) {
  if (rows == 0) return {};
  auto it = backward_cost_cache_.find(rows);
  if (it != backward_cost_cache_.end()) return it->second;
  const ArrayShape shape = [&] {
    ArrayShape s = array_shape(ctx_.cfg);
    if (!dual_) s.cols -= ctx_.cfg.forward_cols();
    return s;
  }();
  BackwardCost c;
  auto pass = [&](const Pass& p) {
    for (const Tile& t : tile_pass(p, shape)) {
      const TileCost tc = tile_cost(t, shape);
      c.cycles += tc.cycles + tile_stalls(t, shape).total;
      for (int o = 0; o < int(Operand::kCount); ++o) c.words += tc.acc.reads[o] + tc.acc.writes[o];
    }
  };
  const Config& cfg = ctx_.cfg;
  const Workload& w = ctx_.w;
  BackwardParts parts;
  parts.update = false;
  Memory counter(shape.words_per_psum, false);  // counts the vector unit's words, holds none
  for (int i = static_cast<int>(w.layers.size()) - 1; i >= 0; --i) {
    std::vector<StepOp> ops;
    backward_ops(cfg, w, ctx_.layout, i, rows, parts, ops);
    for (const StepOp& op : ops) {
      if (op.array) {
        pass(op.pass);
        continue;
      }
      const AccessCounts before = counter.counts();
      run_vector(op.vector, counter, w, ctx_.layout, op.layer, rows, ctx_.num, ctx_.sn, 0.0f, nullptr, false, op.sub);
      const AccessCounts d = counter.counts() - before;
      c.cycles += vector_cycles(op.vector, cfg, w, op.layer, rows, op.sub);
      c.words += d.total_reads() + d.total_writes();
    }
  }
  return backward_cost_cache_[rows] = c;
}

void SpeculativeSchedule::backward(Executor& ex, StepState& st) {
  const StepLayout& l = views_[st.slot * 2 + 1];
  const int64_t mm = static_cast<int64_t>(st.misses.size());
  if (dual_) ex.wait_until(1, backward_stash_ready_, Wait::kEngine);  // the stash and the errors have arrived
  const BackwardCost all = backward_cost(st.m), run = backward_cost(mm);
  ctx_.result.spec.skipped_cycles += all.cycles - run.cycles;
  ctx_.result.spec.skipped_words += all.words - run.words;
  if (mm == 0) return;
  bool packed = true;
  for (int64_t r = 0; r < mm; ++r) packed = packed && st.misses[r] == r;
  if (!packed) ex.run(1, vec(Stage::kBackward, 0, VectorKind::kGather, l, mm, st));
  const int L = static_cast<int>(ctx_.w.layers.size());
  BackwardParts parts;
  parts.update = false;  // later, with the stored gradients
  for (int i = L - 1; i >= 0; --i) {
    std::vector<StepOp> ops;
    backward_ops(ctx_.cfg, ctx_.w, l, i, mm, parts, ops);
    ex.wait_until(1, ctx_.dram.backward_ready(mm, i, ex.now(1)));
    for (const StepOp& op : ops) ex.run(1, op);
    if (dw_spills_) dw_ready_[i] = ctx_.dram.spill_dw(i, ex.now(1));  // back before the update waits for it
  }
  const OpOutcome t = ex.run(1, vec(Stage::kBackward, 0, VectorKind::kTable, l, mm, st));
  ctx_.result.spec.reuse_words += 2 * t.table_writes;  // read from the stash and errors, written to the table
}

void SpeculativeSchedule::update(Executor& ex, StepState& st) {
  const StepLayout& l = views_[st.slot * 2 + 1];
  for (int i = static_cast<int>(ctx_.w.layers.size()) - 1; i >= 0; --i) {
    ex.wait_until(1, ctx_.dram.weights_ready(i, ex.now(1)));
    if (dw_spills_ && !st.misses.empty()) ex.wait_until(1, dw_ready_[i]);  // the spilled dW is back
    const OpOutcome u = ex.run(1, vec(Stage::kUpdate, i, VectorKind::kReuseUpdate, l, st.m, st));
    ctx_.result.spec.reuse_words += u.table_reads;  // the stored gradients applied
    const auto& p = ctx_.w.layers[i];
    ctx_.result.spec.reuse_cycles += vector_cycles(ctx_.cfg, u.elements) - vector_cycles(ctx_.cfg, p.kw() * p.n);
    ctx_.dram.backward_done(i, ex.now(1));
  }
}

StepOutcome SpeculativeSchedule::step(const StepInput& in, Executor& ex) {
  const Config& cfg = ctx_.cfg;
  const Workload& w = ctx_.w;
  DramSchedule& dram = ctx_.dram;
  const int L = static_cast<int>(w.layers.size());
  const int64_t n_last = w.layers.back().n, m = in.m;
  StepOutcome out;
  StepState cur;
  cur.step = in.step, cur.m = m, cur.slot = static_cast<int>(in.step % 2);
  cur.labels = *in.labels;
  cur_ctx_.state = &cur;
  cur_ctx_.assumed_hit = [this, step = in.step](int64_t i) { return assumed_hit(step, i); };
  ex.set_step(0, in.step);  // the backward engine works on the pending step (gradient_reuse) or this one
  ex.set_step(1, sp_.policy == SpecPolicy::kGradientReuse && prev_.step >= 0 ? prev_.step : in.step);
  const StepLayout& fl = views_[cur.slot * 2];
  if (ctx_.functional()) in.load(fl.input);
  int64_t stash_words = 0;  // every layer's stash (model/mem/dram.h): X, pool masks, ReLU outputs
  for (int i = 0; i < L; ++i) stash_words += m * dram.stash_words(i);
  int64_t weight_words = 0;
  for (const auto& p : w.layers) weight_words += p.kw() * p.n;
  const std::vector<StepOp> fwd = forward_ops(cfg, w, fl, m);
  auto forward = [&] {
    if (dual_) ex.wait_until(0, forward_weights_ready_, Wait::kEngine);  // the updated weights have arrived
    int layer = -1;
    for (const StepOp& op : fwd) {
      const int64_t ready = op.layer != layer ? dram.layer_ready(in.step, m, in.next_m, op.layer, ex.now(0)) : 0;
      layer = op.layer;
      ex.run(0, op, ready, [&](int64_t end) {
        if (op.array) dram.layer_done(m, op.layer, end, true);
      });
    }
    if (sp_.policy == SpecPolicy::kGradientReuse) {
      out.loss += ex.run(0, vec(Stage::kBackward, L - 1, VectorKind::kReuseLoss, fl, m, cur)).loss;
      if (dual_) {  // the stash and the misses' errors go to the backward engine
        dram.store(ex.now(0), Operand::kX, stash_words);
        dram.store(ex.now(0), Operand::kDy, static_cast<int64_t>(cur.misses.size()) * n_last);
      }
    } else if (dual_) {  // the stash and the logits go to the backward engine
      dram.store(ex.now(0), Operand::kX, stash_words - m * w.input_width);  // it reads the input itself
      dram.store(ex.now(0), Operand::kY, m * n_last);
    }
  };
  if (sp_.policy == SpecPolicy::kGradientReuse) {
    ex.in_parallel(forward, [&] {
      if (prev_.step >= 0) backward(ex, prev_);
    });
    if (prev_.step >= 0) update(ex, prev_);
    if (dual_) {
      backward_stash_ready_ = dram.fetch(ex.now(1), Operand::kX, stash_words);
      backward_stash_ready_ = std::max(
          backward_stash_ready_, dram.fetch(ex.now(1), Operand::kDy, static_cast<int64_t>(cur.misses.size()) * n_last));
    }
  } else {
    const StepLayout& bl = views_[cur.slot * 2 + 1];
    BackwardParts chain;  // the error chain: AG passes and masks
    chain.wg = chain.update = false;
    ex.in_parallel(forward, [&] {  // the error chain from the table, beside the forward pass
      ex.run(1, vec(Stage::kBackward, L - 1, VectorKind::kSpecLoss, bl, m, cur));
      for (int i = L - 1; i >= 1; --i) {
        std::vector<StepOp> ops;
        backward_ops(cfg, w, bl, i, m, chain, ops);
        ex.wait_until(1, dram.weights_ready(i, ex.now(1)));
        for (StepOp op : ops) {
          if (op.array) op.label = "spec_ag";
          // what the forward pass has not made yet comes from the table: the
          // ReLU masks and the maxpools' argmax
          if (!op.array && op.vector == VectorKind::kMask) op = vec(Stage::kBackward, i, VectorKind::kSpecMask, bl, m, cur);
          if (!op.array && op.vector == VectorKind::kUnpool) {
            const int sub = op.sub;
            op = vec(Stage::kBackward, i, VectorKind::kSpecUnpool, bl, m, cur);
            op.sub = sub;
          }
          ex.run(1, op);
        }
      }
    });
    if (dual_) {
      ex.wait_until(1, dram.fetch(ex.now(1), Operand::kX, stash_words), Wait::kEngine);
      ex.wait_until(1, dram.fetch(ex.now(1), Operand::kY, m * n_last), Wait::kEngine);
    }
    const bool per_sample = sp_.verify == VerifyMode::kSample;
    cur_ctx_.per_sample = per_sample;
    cur_ctx_.pack = &views_[(1 - cur.slot) * 2 + 1];  // the other step's slot is free until the next section
    out.loss += ex.run(1, vec(Stage::kBackward, L - 1, VectorKind::kVerify, bl, m, cur)).loss;
    const int64_t mm = static_cast<int64_t>(cur.misses.size());
    auto chain_over = [&](const StepLayout& l, int64_t rows) {  // the AG chain with the true values
      for (int i = L - 1; i >= 1; --i) {
        std::vector<StepOp> ops;
        backward_ops(cfg, w, l, i, rows, chain, ops);
        for (const StepOp& op : ops) ex.run(1, op);
      }
    };
    const int64_t c0 = ex.now(1);
    if (!per_sample && mm > 0) {  // the whole batch again: the loss (verify counted it), then the chain
      StepOp loss = vector_op(Stage::kBackward, L - 1, VectorKind::kLoss);
      loss.m = m, loss.layout = &bl, loss.labels = cur.labels.data();
      ex.run(1, loss);
      chain_over(bl, m);
    } else if (per_sample && mm == m) {  // every sample missed: verify wrote the true errors in place
      chain_over(bl, m);
    } else if (per_sample && mm > 0) {  // the misses alone, packed in the other slot, and back
      ex.run(1, vec(Stage::kBackward, L - 1, VectorKind::kSpecGather, bl, mm, cur));
      chain_over(*cur_ctx_.pack, mm);
      ex.run(1, vec(Stage::kBackward, 0, VectorKind::kScatter, bl, mm, cur));
    }
    ctx_.result.spec.recompute_cycles += ex.now(1) - c0;
    BackwardParts wg;  // then the weight gradients and the updates
    wg.ag = false;
    for (int i = L - 1; i >= 0; --i) {
      std::vector<StepOp> ops;
      backward_ops(cfg, w, bl, i, m, wg, ops);
      ex.wait_until(1, dram.backward_ready(m, i, ex.now(1)));
      for (const StepOp& op : ops) {
        if (!op.array && op.vector == VectorKind::kUpdate && dram.gradients_spill(m, i))
          ex.wait_until(1, dram.spill_dw(i, ex.now(1)));
        ex.run(1, op);
      }
      dram.backward_done(i, ex.now(1));
    }
  }
  if (dual_ && (sp_.policy == SpecPolicy::kOutputSpeculation || prev_.step >= 0)) {
    // the forward engine's copy of the weights
    dram.store(ex.now(1), Operand::kW, weight_words);
    forward_weights_ready_ = dram.fetch(ex.now(1), Operand::kW, weight_words);
  }
  ex.join(0, 1);  // the next section starts when both engines are free
  ctx_.result.spec.hits += cur.hits();
  ctx_.result.spec.misses += static_cast<int64_t>(cur.misses.size());
  out.hits = cur.hits();
  if (sp_.policy == SpecPolicy::kGradientReuse) {
    prev_ = std::move(cur);
    prev_ctx_.assumed_hit = cur_ctx_.assumed_hit;
  }
  cur_ctx_.state = nullptr;
  return out;
}

void SpeculativeSchedule::finish(Executor& ex) {
  if (prev_.step < 0) return;
  ex.set_step(1, prev_.step);
  ex.in_parallel([] {}, [&] { backward(ex, prev_); });
  update(ex, prev_);
  ex.join(0, 1);
  prev_ = {};
}

}  // namespace

std::unique_ptr<TrainingSchedule> make_speculative_schedule(RunContext& ctx) {
  return std::make_unique<SpeculativeSchedule>(ctx);
}

std::unique_ptr<TrainingSchedule> make_sequential_schedule(RunContext& ctx);

std::unique_ptr<TrainingSchedule> make_schedule(RunContext& ctx) {
  if (ctx.cfg.schedule.kind == ScheduleKind::kSpeculative) return make_speculative_schedule(ctx);
  return make_sequential_schedule(ctx);
}

}  // namespace systrain
