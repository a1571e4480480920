#include "schedule.h"

#include "backward.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

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
    case VectorKind::kIm2col: return "im2col";
    case VectorKind::kCol2im: return "col2im";
    case VectorKind::kPool: return "maxpool";
    case VectorKind::kUnpool: return "unpool";
    case VectorKind::kFlatten: return "flatten";
    case VectorKind::kUnflatten: return "unflatten";
    case VectorKind::kReuseLoss: return "loss";
    case VectorKind::kReuseUpdate: return "update";
    case VectorKind::kSpecLoss: return "spec_loss";
    case VectorKind::kSpecMask: return "spec_mask";
    case VectorKind::kSpecUnpool: return "spec_unpool";
    case VectorKind::kSpecGather: return "gather";
    case VectorKind::kScatter: return "scatter";
  }
  return "?";
}

bool is_speculative(VectorKind v) {
  switch (v) {
    case VectorKind::kGather:
    case VectorKind::kTable:
    case VectorKind::kVerify:
    case VectorKind::kReuseLoss:
    case VectorKind::kReuseUpdate:
    case VectorKind::kSpecLoss:
    case VectorKind::kSpecMask:
    case VectorKind::kSpecUnpool:
    case VectorKind::kSpecGather:
    case VectorKind::kScatter: return true;
    case VectorKind::kLoss:
    case VectorKind::kMask:
    case VectorKind::kUpdate:
    case VectorKind::kIm2col:
    case VectorKind::kCol2im:
    case VectorKind::kPool:
    case VectorKind::kUnpool:
    case VectorKind::kFlatten:
    case VectorKind::kUnflatten: return false;
  }
  return false;
}

bool is_prep(VectorKind v) {
  switch (v) {
    case VectorKind::kIm2col:
    case VectorKind::kCol2im:
    case VectorKind::kPool:
    case VectorKind::kUnpool:
    case VectorKind::kFlatten:
    case VectorKind::kUnflatten:
    case VectorKind::kSpecUnpool: return true;
    case VectorKind::kLoss:
    case VectorKind::kMask:
    case VectorKind::kUpdate:
    case VectorKind::kGather:
    case VectorKind::kTable:
    case VectorKind::kVerify:
    case VectorKind::kReuseLoss:
    case VectorKind::kReuseUpdate:
    case VectorKind::kSpecLoss:
    case VectorKind::kSpecMask:
    case VectorKind::kSpecGather:
    case VectorKind::kScatter: return false;
  }
  return false;
}

int StepOp::config_layer(const Workload& w) const {
  const LayerPlan& p = w.layers[layer];
  if (!array && is_prep(vector) && sub >= 0 && sub < static_cast<int>(p.prep.size())) return p.prep[sub].config_layer;
  return p.config_layer;
}

std::string StepOp::name() const {
  if (label) return label;
  if (!array) return to_string(vector);
  switch (pass.mode) {
    case Mode::kWs:
    case Mode::kIs: return "forward";
    case Mode::kOs: return stage == Stage::kForward ? "forward" : "wg";
    case Mode::kAg: return "ag";
    case Mode::kIl: return "il";
  }
  return "?";
}

StepLayout step_layout(const Workload& w, int64_t batch, int slots, bool per_layer_dw) {
  StepLayout l;
  const int L = static_cast<int>(w.layers.size());
  const bool chained = !w.from_topology;  // a topology file's rows do not feed each other
  int64_t act = 0, wgt = 0, grad = 0, widest = 0, dw = 0;
  auto region = [&](int64_t& top, Operand op, Buffer b, int64_t rows, int64_t lanes) {
    const Mat m{op, b, top, lanes, 1};
    top += rows * lanes;
    return m;
  };
  auto act_region = [&](Operand op, int64_t rows, int64_t lanes) {
    return region(act, op, Buffer::kActivations, rows, lanes);
  };
  auto grad_region = [&](Operand op, int64_t rows, int64_t lanes) {
    return region(grad, op, Buffer::kGradients, rows, lanes);
  };
  l.prep.resize(L);
  l.y.resize(L);
  std::vector<bool> own_y(L, false);
  for (int i = 0; i < L; ++i) {
    const auto& p = w.layers[i];
    auto& pl = l.prep[i];
    for (size_t s = 0; s < p.prep.size(); ++s) {
      const Prep& st = p.prep[s];
      if (s == 0) pl.in.push_back(i == 0 || !chained ? act_region(Operand::kX, batch * st.in.pixels(), st.in.c) : Mat{});
      else pl.in.push_back(pl.out[s - 1]);
      pl.mask.push_back(st.kind == PrepKind::kPool ? act_region(Operand::kMask, batch * st.out.pixels(), st.out.c) : Mat{});
      // the last stage writes X (allocated below)
      pl.out.push_back(s + 1 < p.prep.size() ? act_region(Operand::kX, batch * st.out.pixels(), st.out.c) : Mat{});
    }
    l.x.push_back(act_region(Operand::kX, batch * p.rows, p.kw()));
    if (!p.prep.empty()) pl.out.back() = l.x[i];
    own_y[i] = i + 1 < L && (!chained || !w.layers[i + 1].prep.empty());
    if (own_y[i]) l.y[i] = act_region(Operand::kX, batch * p.rows, p.n);
    l.w.push_back({Operand::kW, Buffer::kWeights, wgt, p.n, 1});
    wgt += p.kw() * p.n;
    widest = std::max(widest, p.rows * std::max(p.kw(), p.n));
    dw = std::max(dw, p.kw() * p.n);
  }
  const int64_t n_last = w.layers.back().n;
  l.logits = act_region(Operand::kY, batch, n_last);
  for (int i = 0; i < L; ++i) {
    if (i + 1 == L) l.y[i] = l.logits;
    else if (!own_y[i]) l.y[i] = l.x[i + 1];
    if (chained && i > 0 && !w.layers[i].prep.empty()) l.prep[i].in[0] = l.y[i - 1];
  }
  l.input = w.layers[0].prep.empty() ? l.x[0] : l.prep[0].in[0];
  for (const auto& p : w.layers) l.dy.push_back(grad_region(Operand::kDy, batch * p.rows, p.n));
  // backward: the AG result, and the gradients of the prep stages
  l.dx.resize(L);
  for (int i = 1; i < L; ++i) {
    const auto& p = w.layers[i];
    auto& pl = l.prep[i];
    if (p.prep.empty()) {
      l.dx[i] = chained ? l.dy[i - 1].as(Operand::kDx) : grad_region(Operand::kDx, batch * p.rows, p.k);
      continue;
    }
    pl.din.resize(p.prep.size());
    pl.dout.resize(p.prep.size());
    for (size_t s = 0; s < p.prep.size(); ++s) {
      const Prep& st = p.prep[s];
      pl.din[s] = s == 0 && chained ? l.dy[i - 1].as(Operand::kDx) : grad_region(Operand::kDx, batch * st.in.pixels(), st.in.c);
    }
    for (size_t s = 0; s + 1 < p.prep.size(); ++s) pl.dout[s] = pl.din[s + 1];
    pl.dout.back() = l.dx[i] = grad_region(Operand::kDx, batch * p.rows, p.k);
  }
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
  // everything of slot 0 moves to slot s: the activations buffer up to the
  // slot's end, the gradients buffer below its psum
  auto shift = [&](Mat& m) {
    if (m.buf == Buffer::kActivations && m.base < act_slot_words) m.base += s * act_slot_words;
    else if (m.buf == Buffer::kGradients && m.base < grad_slot_words) m.base += s * grad_slot_words;
  };
  for (auto* v : {&l.x, &l.y, &l.dy, &l.dx})
    for (auto& m : *v) shift(m);
  for (auto& pl : l.prep)
    for (auto* v : {&pl.in, &pl.out, &pl.mask, &pl.din, &pl.dout})
      for (auto& m : *v) shift(m);
  shift(l.input);
  shift(l.logits);
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

VectorKind prep_forward(PrepKind k) {
  return k == PrepKind::kIm2col ? VectorKind::kIm2col : k == PrepKind::kPool ? VectorKind::kPool : VectorKind::kFlatten;
}

VectorKind prep_backward(PrepKind k) {
  return k == PrepKind::kIm2col ? VectorKind::kCol2im : k == PrepKind::kPool ? VectorKind::kUnpool : VectorKind::kUnflatten;
}

StepOp array_op(Stage st, int layer, const Pass& p) {
  StepOp o;
  o.array = true, o.stage = st, o.layer = layer, o.pass = p;
  o.pass.layer = layer;
  return o;
}

StepOp vector_op(Stage st, int layer, VectorKind v, int sub) {
  StepOp o;
  o.array = false, o.stage = st, o.layer = layer, o.vector = v, o.sub = sub;
  return o;
}

Pass forward_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m) {
  const auto& p = w.layers[i];
  const Dataflow df = cfg.schedule.forward_dataflow;
  auto make = [&](Mode mode) {
    Pass f;
    f.mode = mode;
    f.g = {p.gemm_rows(m), p.kw(), p.n};
    f.a = l.x[i];
    f.w = f.b = l.w[i];
    f.psum = l.psum.as(Operand::kPsum);
    f.psum.rs = mode == Mode::kIs ? f.g.m : p.n;  // IS: partial sums of Yᵀ, [N][M]
    f.out = l.y[i];  // the next layer's input (or its prep's), or the logits
    f.relu = p.relu;
    f.shift = step_numerics(cfg).fwd_shift;
    return f;
  };
  if (df != Dataflow::kAuto) return make(df == Dataflow::kOs ? Mode::kOs : df == Dataflow::kIs ? Mode::kIs : Mode::kWs);
  // auto: the fewest cycles on the forward engine's array (the speculative
  // split engines: its columns), SRAM stalls included; asked again every step
  // of the same shape and buffer places, so remembered (per thread)
  ArrayShape a = array_shape(cfg);
  if (cfg.schedule.kind == ScheduleKind::kSpeculative && cfg.schedule.speculation.engines == Engines::kSplit)
    a.cols = cfg.forward_cols();
  using Key = std::array<int64_t, 16>;  // the GEMM, its views' places and strides, the array and its SRAM
  thread_local std::map<Key, std::array<int64_t, 3>> seen;
  const Key key{p.gemm_rows(m), p.kw(),      p.n,         l.x[i].base,       l.x[i].rs,       l.w[i].base,
                l.w[i].rs,      l.y[i].base, l.y[i].rs,   l.psum.base,       a.rows,          a.cols,
                a.banks,        a.words_per_cycle,        a.words_per_psum,  a.weight_double_buffer};
  auto it = seen.find(key);
  if (it == seen.end()) {
    if (seen.size() > 4096) seen.clear();
    std::array<int64_t, 3> c{};
    const Mode modes[3] = {Mode::kWs, Mode::kOs, Mode::kIs};
    for (int k = 0; k < 3; ++k) c[k] = pass_closed_form(make(modes[k]), a);
    it = seen.emplace(key, c).first;
  }
  const auto& c = it->second;
  Pass f = make(c[1] < c[0] && c[1] <= c[2] ? Mode::kOs : c[2] < c[0] ? Mode::kIs : Mode::kWs);  // ties: WS, then OS
  f.auto_cycles = c;
  return f;
}

namespace {
Mat psum_view(const StepLayout& l, const LayerPlan& p) {
  Mat psum = l.psum;
  psum.rs = p.k;
  return psum;
}
Mat dx_view(const StepLayout& l, int i) { return i > 0 ? l.dx[i] : Mat{}; }
}  // namespace

Pass ag_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m) {
  const auto& p = w.layers[i];
  Pass ag;
  ag.mode = Mode::kAg;
  ag.g = {p.gemm_rows(m), p.k, p.n};  // the bias row has no dX
  ag.b = l.dy[i], ag.w = l.w[i], ag.psum = psum_view(l, p), ag.out = dx_view(l, i);
  ag.dx_rows = p.k;
  ag.shift = step_numerics(cfg).ag_shift;
  return ag;
}

Pass wg_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m) {
  const auto& p = w.layers[i];
  Pass wg;
  wg.mode = Mode::kOs;
  wg.g = {p.kw(), p.gemm_rows(m), p.n};
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
  il.g = {p.gemm_rows(m), p.kw(), p.n};
  il.a = l.x[i], il.b = l.dy[i], il.w = l.w[i], il.psum = psum_view(l, p), il.out = dx_view(l, i);
  il.dx_rows = p.k, il.ag = i > 0;
  il.shift = sn.ag_shift, il.g_shift = sn.wg_shift, il.upd_shift = sn.upd_shift, il.lr = sn.lr;
  return il;
}

std::vector<StepOp> forward_ops(const Config& cfg, const Workload& w, const StepLayout& l, int64_t m) {
  std::vector<StepOp> ops;
  ops.reserve(8 * w.layers.size() + 8);  // the step's ops (step_ops): a few per layer, in both stages
  for (int i = 0; i < static_cast<int>(w.layers.size()); ++i) {
    for (size_t s = 0; s < w.layers[i].prep.size(); ++s) {
      ops.push_back(vector_op(Stage::kForward, i, prep_forward(w.layers[i].prep[s].kind), static_cast<int>(s)));
      ops.back().m = m, ops.back().layout = &l;
    }
    ops.push_back(array_op(Stage::kForward, i, forward_pass(cfg, w, l, i, m)));
  }
  return ops;
}

std::vector<StepOp> step_ops(const Config& cfg, const Workload& w, const StepLayout& l, int64_t m) {
  std::vector<StepOp> ops = forward_ops(cfg, w, l, m);
  const int L = static_cast<int>(w.layers.size());
  const ScheduleKind kind = cfg.schedule.kind;
  if (kind == ScheduleKind::kInference) return ops;
  ops.push_back(vector_op(Stage::kBackward, L - 1, VectorKind::kLoss));
  ops.back().m = m, ops.back().layout = &l;
  BackwardParts parts;
  parts.interleaved = kind == ScheduleKind::kInterleaved;
  for (int i = L - 1; i >= 0; --i) backward_ops(cfg, w, l, i, m, parts, ops);
  return ops;
}

}  // namespace systrain
