#include "schedule.h"

#include <algorithm>
#include <cmath>

#include "fixed_point.h"

namespace systrain {

const char* to_string(Stage s) {
  switch (s) {
    case Stage::kForward: return "forward";
    case Stage::kBackward: return "backward";
    case Stage::kUpdate: return "update";
    case Stage::kCount: break;
  }
  return "?";
}

const char* to_string(VectorKind v) {
  switch (v) {
    case VectorKind::kLoss: return "loss";
    case VectorKind::kMask: return "mask";
    case VectorKind::kUpdate: return "update";
    case VectorKind::kGather: return "gather";
    case VectorKind::kTable: return "table";
    case VectorKind::kVerify: return "verify";
  }
  return "?";
}

std::string StepOp::name() const {
  if (!array) return to_string(vector);
  switch (pass.mode) {
    case Mode::kWs: return "forward";
    case Mode::kOs: return stage == Stage::kForward ? "forward" : "wg";
    case Mode::kAg: return "ag";
    case Mode::kIl: return "il";
  }
  return "?";
}

StepLayout step_layout(const Workload& w, int64_t batch, int slots, bool per_layer_dw) {
  StepLayout l;
  int64_t act = 0, wgt = 0, grad = 0, widest = 0, dw = 0;
  for (const auto& p : w.layers) {
    l.x.push_back({Operand::kX, Buffer::kActivations, act, p.kw(), 1});
    act += batch * p.kw();
    l.w.push_back({Operand::kW, Buffer::kWeights, wgt, p.n, 1});
    wgt += p.kw() * p.n;
    l.dy.push_back({Operand::kDy, Buffer::kGradients, grad, p.n, 1});
    grad += batch * p.n;
    widest = std::max({widest, p.kw(), p.n});
    dw = std::max(dw, p.kw() * p.n);
  }
  const int64_t n_last = w.layers.back().n;
  l.logits = {Operand::kY, Buffer::kActivations, act, n_last, 1};
  act += batch * n_last;
  l.slots = slots;
  l.act_slot_words = act, l.grad_slot_words = grad;
  act *= slots, grad *= slots;
  l.psum = {Operand::kPsum, Buffer::kGradients, grad, widest, 1};
  grad += batch * widest;
  l.psum2 = l.psum;
  if (slots > 1) {
    l.psum2.base = grad;
    grad += batch * widest;
  }
  l.dw = {Operand::kDw, Buffer::kGradients, grad, 0, 1};  // rs set per layer
  for (const auto& p : w.layers) {
    l.dws.push_back({Operand::kDw, Buffer::kGradients, grad, p.n, 1});
    if (per_layer_dw) grad += p.kw() * p.n;
  }
  grad += per_layer_dw ? 0 : dw;
  l.words[int(Buffer::kActivations)] = act;
  l.words[int(Buffer::kWeights)] = wgt;
  l.words[int(Buffer::kGradients)] = grad;
  return l;
}

StepLayout run_layout(const Config& cfg, const Workload& w) {
  const bool spec = cfg.schedule.kind == ScheduleKind::kSpeculative;
  return step_layout(w, cfg.buffer_rows(), spec ? 2 : 1,
                     spec && cfg.schedule.speculation.policy == SpecPolicy::kGradientReuse);
}

StepLayout StepLayout::view(int s, int engine) const {
  StepLayout l = *this;
  for (auto& m : l.x) m.base += s * act_slot_words;
  for (auto& m : l.dy) m.base += s * grad_slot_words;
  l.logits.base += s * act_slot_words;
  if (engine == 1) l.psum = psum2;
  return l;
}

StepNumerics step_numerics(const Config& cfg) {
  const auto& nu = cfg.accelerator.numerics;
  StepNumerics s;
  s.fwd_shift = nu.weight_frac();
  s.ag_shift = nu.weight_frac();
  s.wg_shift = nu.activation_frac() + nu.error_frac() - nu.gradient_frac();
  s.upd_shift = kLrFracBits + nu.gradient_frac() - nu.weight_frac();
  s.lr = static_cast<int64_t>(std::llround(std::ldexp(cfg.training.learning_rate, kLrFracBits)));
  return s;
}

StepOp array_op(Stage st, int layer, const Pass& p) {
  StepOp o;
  o.array = true, o.stage = st, o.layer = layer, o.pass = p;
  o.pass.layer = layer;
  return o;
}

StepOp vector_op(Stage st, int layer, VectorKind v) {
  StepOp o;
  o.array = false, o.stage = st, o.layer = layer, o.vector = v;
  return o;
}

Pass forward_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m) {
  const auto& p = w.layers[i];
  const int L = static_cast<int>(w.layers.size());
  Pass f;
  f.mode = cfg.schedule.forward_dataflow == Dataflow::kOs ? Mode::kOs : Mode::kWs;
  f.g = {m, p.kw(), p.n};
  f.a = l.x[i];
  f.w = f.b = l.w[i];
  f.psum = l.psum.as(Operand::kPsum);
  f.psum.rs = p.n;
  f.out = i + 1 < L ? l.x[i + 1].as(Operand::kX) : l.logits;  // the next layer's input, or the logits
  f.relu = p.relu;
  f.shift = step_numerics(cfg).fwd_shift;
  return f;
}

namespace {
Mat psum_view(const StepLayout& l, const LayerPlan& p) {
  Mat psum = l.psum;
  psum.rs = p.k;
  return psum;
}
Mat dx_view(const StepLayout& l, int i) { return i > 0 ? l.dy[i - 1].as(Operand::kDx) : Mat{}; }
}  // namespace

Pass ag_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m) {
  const auto& p = w.layers[i];
  Pass ag;
  ag.mode = Mode::kAg;
  ag.g = {m, p.k, p.n};  // the bias row has no dX
  ag.b = l.dy[i], ag.w = l.w[i], ag.psum = psum_view(l, p), ag.out = dx_view(l, i);
  ag.dx_rows = p.k;
  ag.shift = step_numerics(cfg).ag_shift;
  return ag;
}

Pass wg_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m) {
  const auto& p = w.layers[i];
  Pass wg;
  wg.mode = Mode::kOs;
  wg.g = {p.kw(), m, p.n};
  wg.a = l.x[i].t(), wg.b = l.dy[i];
  wg.out = l.dws[i];
  wg.shift = step_numerics(cfg).wg_shift;
  return wg;
}

Pass il_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m) {
  const auto& p = w.layers[i];
  const StepNumerics sn = step_numerics(cfg);
  Pass il;
  il.mode = Mode::kIl;
  il.g = {m, p.kw(), p.n};
  il.a = l.x[i], il.b = l.dy[i], il.w = l.w[i], il.psum = psum_view(l, p), il.out = dx_view(l, i);
  il.dx_rows = p.k, il.ag = i > 0;
  il.shift = sn.ag_shift, il.g_shift = sn.wg_shift, il.upd_shift = sn.upd_shift, il.lr = sn.lr;
  return il;
}

std::vector<StepOp> forward_ops(const Config& cfg, const Workload& w, const StepLayout& l, int64_t m) {
  std::vector<StepOp> ops;
  for (int i = 0; i < static_cast<int>(w.layers.size()); ++i)
    ops.push_back(array_op(Stage::kForward, i, forward_pass(cfg, w, l, i, m)));
  return ops;
}

std::vector<StepOp> step_ops(const Config& cfg, const Workload& w, const StepLayout& l, int64_t m) {
  std::vector<StepOp> ops = forward_ops(cfg, w, l, m);
  const int L = static_cast<int>(w.layers.size());
  const ScheduleKind kind = cfg.schedule.kind;
  if (kind == ScheduleKind::kInference) return ops;
  ops.push_back(vector_op(Stage::kBackward, L - 1, VectorKind::kLoss));
  for (int i = L - 1; i >= 0; --i) {
    const bool mask = i > 0 && w.layers[i - 1].relu;
    if (kind == ScheduleKind::kInterleaved) {
      ops.push_back(array_op(Stage::kBackward, i, il_pass(cfg, w, l, i, m)));
      if (mask) ops.push_back(vector_op(Stage::kBackward, i, VectorKind::kMask));
      continue;
    }
    if (i > 0) {
      ops.push_back(array_op(Stage::kBackward, i, ag_pass(cfg, w, l, i, m)));
      if (mask) ops.push_back(vector_op(Stage::kBackward, i, VectorKind::kMask));
    }
    ops.push_back(array_op(Stage::kBackward, i, wg_pass(cfg, w, l, i, m)));
    ops.push_back(vector_op(Stage::kUpdate, i, VectorKind::kUpdate));
  }
  return ops;
}

}  // namespace systrain
