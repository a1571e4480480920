#include "speculation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace systrain {

namespace {

// q is held as probabilities in data words: data_bits − 1 fractional bits
// (fixed point) or a float
int64_t prob_word(double p, const Numerics& num) {
  return num.is_float ? f2w(static_cast<float>(p)) : quantize(p, num.data_bits - 1, num.data_bits);
}
double word_prob(int64_t v, const Numerics& num) {
  return num.is_float ? static_cast<double>(w2f(v)) : to_real(v, num.data_bits - 1);
}
int64_t mask_words(int64_t units, int data_bits) { return (units + data_bits - 1) / data_bits; }
bool hidden_relu(const Workload& w, int l) { return l + 1 < static_cast<int>(w.layers.size()) && w.layers[l].relu; }

// the stored q of a label as probabilities (uniform when there is none)
void stored_q(const SpecTables& t, int c, int64_t n, const Numerics& num, double* q) {
  for (int64_t j = 0; j < n; ++j)
    q[j] = t.has_q[c] ? word_prob(t.q[c * n + j], num) : 1.0 / static_cast<double>(n);
}

// decide sample i (whose output is p) against its label's table entry and
// refresh the entry; returns true on a hit
bool decide(SpecTables& t, int c, const double* p, int64_t n, const Numerics& num, double threshold,
            bool functional, bool assumed, std::vector<double>& q) {
  bool hit = false;
  if (t.has_q[c]) {
    if (functional) {
      stored_q(t, c, n, num, q.data());
      hit = cross_entropy(q.data(), p, n) < threshold;
    } else {
      hit = assumed;
    }
  }
  if (functional)
    for (int64_t j = 0; j < n; ++j) t.q[c * n + j] = prob_word(p[j], num);
  t.has_q[c] = 1;
  return hit;
}

// Reads the step's logits, decides every sample in order against its
// label's table entry (refreshing it) and counts the loss; each miss is
// recorded in st.misses and passed to miss(i, p) with its output p.
template <class OnMiss>
SpecOpStats decide_samples(Memory& mem, const Workload& w, const StepLayout& l, const Numerics& num, SpecTables& t,
                           double threshold, bool functional, const std::function<bool(int64_t)>& assumed_hit,
                           StepState& st, const OnMiss& miss) {
  SpecOpStats s;
  const int64_t m = st.m, n = w.layers.back().n;
  std::vector<int64_t> y(functional ? m * n : 0);
  mem.read(l.logits.block(m, n), Operand::kY, functional ? y.data() : nullptr);
  std::vector<double> p(n), q(n);
  st.hit.assign(m, 0);
  st.misses.clear();
  for (int64_t i = 0; i < m; ++i) {
    const int c = st.labels[i];
    if (functional) {
      const int64_t best = softmax_row(&y[i * n], n, num, p.data());
      s.loss.loss_sum -= std::log(std::max(p[c], 1e-300));
      s.loss.correct += best == c;
    }
    st.hit[i] = decide(t, c, p.data(), n, num, threshold, functional, !functional && assumed_hit(i), q);
    if (st.hit[i]) continue;
    st.misses.push_back(i);
    miss(i, p.data());
  }
  s.table_reads = m * n, s.table_writes = m * n;
  s.elements = m * n;
  return s;
}

}  // namespace

double cross_entropy(const double* q, const double* p, int64_t n) {
  double ce = 0;
  for (int64_t k = 0; k < n; ++k) ce -= q[k] * std::log(std::max(p[k], 1e-300));
  return ce;
}

SpecTables::SpecTables(const Workload& w, SpecPolicy pol, int bits) : policy(pol), data_bits(bits) {
  const int L = static_cast<int>(w.layers.size());
  classes = static_cast<int>(w.layers.back().n);
  has_q.assign(classes, 0), has_g.assign(classes, 0);
  q.assign(classes * w.layers.back().n, 0);
  gx.resize(L), gdy.resize(L), mask.resize(L);
  for (int l = 0; l < L; ++l) {
    if (policy == SpecPolicy::kGradientReuse) {
      gx[l].assign(classes * w.layers[l].kw(), 0);
      gdy[l].assign(classes * w.layers[l].n, 0);
    } else if (hidden_relu(w, l)) {
      mask[l].assign(classes * w.layers[l].n, 1);
    }
  }
}

int64_t SpecTables::words_per_label(const Workload& w) const {
  int64_t words = w.layers.back().n;
  for (int l = 0; l < static_cast<int>(w.layers.size()); ++l) {
    if (policy == SpecPolicy::kGradientReuse) words += w.layers[l].kw() + w.layers[l].n;
    else if (hidden_relu(w, l)) words += mask_words(w.layers[l].n, data_bits);
  }
  return words;
}

SpecOpStats gr_loss(Memory& mem, const Workload& w, const StepLayout& l, const Numerics& num, SpecTables& t,
                    double threshold, bool functional, const std::function<bool(int64_t)>& assumed_hit,
                    StepState& st) {
  const int L = static_cast<int>(w.layers.size());
  const int64_t m = st.m, n = w.layers.back().n;
  std::vector<int64_t> row(n);
  return decide_samples(mem, w, l, num, t, threshold, functional, assumed_hit, st, [&](int64_t i, const double* p) {
    // the error row of a miss, packed: row r of dY = the r-th miss
    const int c = st.labels[i];
    const int64_t r = static_cast<int64_t>(st.misses.size()) - 1;
    if (functional)
      for (int64_t j = 0; j < n; ++j) row[j] = error_word((p[j] - (j == c ? 1.0 : 0.0)) / static_cast<double>(m), num);
    mem.write(l.dy[L - 1].row(r, n), Operand::kDy, functional ? row.data() : nullptr);
  });
}

SpecOpStats gr_gather(Memory& mem, const Workload& w, const StepLayout& l, const StepState& st, bool functional) {
  SpecOpStats s;
  std::vector<int64_t> row;
  for (size_t li = 0; li < w.layers.size(); ++li) {
    const int64_t kw = w.layers[li].kw();
    row.resize(kw);
    for (size_t r = 0; r < st.misses.size(); ++r) {
      if (st.misses[r] == static_cast<int64_t>(r)) continue;  // already in place
      mem.read(l.x[li].row(st.misses[r], kw), Operand::kX, functional ? row.data() : nullptr);
      mem.write(l.x[li].row(static_cast<int64_t>(r), kw), Operand::kX, functional ? row.data() : nullptr);
      s.elements += kw;
    }
  }
  return s;
}

SpecOpStats gr_refresh(Memory& mem, const Workload& w, const StepLayout& l, const StepState& st, SpecTables& t,
                       bool functional) {
  SpecOpStats s;
  // the last miss of each label (packed row index)
  std::vector<int64_t> last(t.classes, -1);
  for (size_t r = 0; r < st.misses.size(); ++r) last[st.labels[st.misses[r]]] = static_cast<int64_t>(r);
  std::vector<int64_t> row;
  for (int c = 0; c < t.classes; ++c) {
    if (last[c] < 0) continue;
    for (size_t li = 0; li < w.layers.size(); ++li) {
      const auto& p = w.layers[li];
      row.resize(std::max(p.kw(), p.n));
      mem.read(l.x[li].row(last[c], p.kw()), Operand::kX, functional ? row.data() : nullptr);
      if (functional) std::copy(row.begin(), row.begin() + p.kw(), t.gx[li].begin() + c * p.kw());
      mem.read(l.dy[li].row(last[c], p.n), Operand::kDy, functional ? row.data() : nullptr);
      if (functional) std::copy(row.begin(), row.begin() + p.n, t.gdy[li].begin() + c * p.n);
      s.table_writes += p.kw() + p.n;
    }
    t.has_g[c] = 1;
  }
  s.elements = s.table_writes;
  return s;
}

SpecOpStats gr_update(Memory& mem, const Workload& w, const StepLayout& l, int layer, const StepState& st,
                      const SpecTables& t, const Numerics& num, const StepNumerics& sn, float lr, bool functional) {
  SpecOpStats s;
  const auto& p = w.layers[layer];
  const int64_t kw = p.kw(), n = p.n, words = kw * n;
  std::vector<int64_t> hits(t.classes, 0);
  for (int64_t i = 0; i < st.m; ++i)
    if (st.hit[i]) hits[st.labels[i]]++;
  int64_t labels_hit = 0;
  for (int c = 0; c < t.classes; ++c) labels_hit += hits[c] > 0;
  const bool has_dw = !st.misses.empty();
  std::vector<int64_t> wv(functional ? words : 0), dw(functional ? words : 0, 0);
  const Access2D wa = l.w[layer].block(kw, n);
  mem.read(wa, Operand::kW, functional ? wv.data() : nullptr);
  if (has_dw) {
    const Mat dwm = l.dws[layer];
    mem.read(dwm.block(kw, n), Operand::kDw, functional ? dw.data() : nullptr);
  }
  for (int c = 0; c < t.classes; ++c) {
    if (hits[c] == 0) continue;
    // a label's first sample always misses, and its gradient is stored before any update applies it
    if (!t.has_g[c]) throw std::logic_error(fmt::format("label {} hit with no stored gradient", c));
    s.table_reads += kw + n;
  }
  if (functional) {
    std::vector<int> hit_labels;
    for (int c = 0; c < t.classes; ++c)
      if (hits[c] > 0) hit_labels.push_back(c);
    if (num.is_float) {
      for (int64_t i = 0; i < kw; ++i)
        for (int64_t j = 0; j < n; ++j) {
          float g = has_dw ? w2f(dw[i * n + j]) : 0.0f;
          for (int c : hit_labels)
            g += static_cast<float>(hits[c]) * w2f(t.gx[layer][c * kw + i]) * w2f(t.gdy[layer][c * n + j]);
          wv[i * n + j] = f2w(w2f(wv[i * n + j]) - lr * g);
        }
    } else {
      // Σ_c h_c·x_c[i]·dy_c[j] summed exactly: every term and partial sum is
      // below 2^53 (|x·dy| < 2^30, h <= the batch <= 2^20, at most 256
      // labels), so doubles hold them exactly and the loop vectorises
      const int wg_shift = num.fa + num.fe - num.fg;
      std::vector<double> acc(labels_hit > 0 ? words : 0, 0.0);
      for (int c : hit_labels) {
        const int64_t* gx = &t.gx[layer][c * kw];
        const int64_t* gdy = &t.gdy[layer][c * n];
        std::vector<double> hdy(n);
        for (int64_t j = 0; j < n; ++j) hdy[j] = static_cast<double>(hits[c] * gdy[j]);
        for (int64_t i = 0; i < kw; ++i) {
          const double xi = static_cast<double>(gx[i]);
          double* row = &acc[i * n];
          for (int64_t j = 0; j < n; ++j) row[j] += xi * hdy[j];
        }
      }
      for (int64_t e = 0; e < words; ++e) {
        int64_t g = labels_hit > 0 ? requant(static_cast<int64_t>(acc[e]), wg_shift, num.data_bits, false) : 0;
        if (has_dw) g = saturate(dw[e] + g, num.data_bits);
        wv[e] = sgd_update(wv[e], g, sn.lr, sn.upd_shift, num.data_bits);
      }
    }
  }
  mem.write(wa, Operand::kW, functional ? wv.data() : nullptr);
  s.elements = words * std::max<int64_t>(1, (has_dw ? 1 : 0) + labels_hit);
  return s;
}

SpecOpStats os_loss(Memory& mem, const Workload& w, const StepLayout& l, const Numerics& num, const SpecTables& t,
                    const StepState& st, bool functional) {
  SpecOpStats s;
  const int L = static_cast<int>(w.layers.size());
  const int64_t m = st.m, n = w.layers.back().n;
  std::vector<int64_t> dy(functional ? m * n : 0);
  std::vector<double> q(n);
  if (functional)
    for (int64_t i = 0; i < m; ++i) {
      const int c = st.labels[i];
      stored_q(t, c, n, num, q.data());
      for (int64_t j = 0; j < n; ++j)
        dy[i * n + j] = error_word((q[j] - (j == c ? 1.0 : 0.0)) / static_cast<double>(m), num);
    }
  mem.write(l.dy[L - 1].block(m, n), Operand::kDy, functional ? dy.data() : nullptr);
  s.table_reads = m * n;
  s.elements = m * n;
  return s;
}

SpecOpStats os_mask(Memory& mem, const Workload& w, const StepLayout& l, int layer, const SpecTables& t,
                    const StepState& st, const Numerics& num, bool functional) {
  // the mask of layer `layer`'s input: the ReLU of layer − 1's output
  SpecOpStats s;
  const int64_t m = st.m, k = w.layers[layer].k;
  const int hl = layer - 1;
  std::vector<int64_t> dx(functional ? m * k : 0);
  const Access2D a = l.dy[hl].block(m, k);
  mem.read(a, Operand::kDx, functional ? dx.data() : nullptr);
  if (functional)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < k; ++j)
        if (!t.mask[hl][st.labels[i] * k + j]) dx[i * k + j] = num.is_float ? f2w(0.0f) : 0;
  mem.write(a, Operand::kDy, functional ? dx.data() : nullptr);
  s.table_reads = m * mask_words(k, t.data_bits);
  s.elements = m * k;
  return s;
}

SpecOpStats os_verify(Memory& mem, const Workload& w, const StepLayout& l, const Numerics& num, SpecTables& t,
                      double threshold, bool functional, const std::function<bool(int64_t)>& assumed_hit,
                      StepState& st) {
  const int L = static_cast<int>(w.layers.size());
  const int64_t m = st.m;
  SpecOpStats s =
      decide_samples(mem, w, l, num, t, threshold, functional, assumed_hit, st, [](int64_t, const double*) {});
  // the true ReLU masks of the hidden layers (the stashed outputs) refresh
  // the table, the last sample of a label last
  std::vector<int64_t> x;
  for (int hl = 0; hl + 1 < L; ++hl) {
    if (!hidden_relu(w, hl)) continue;
    const int64_t k = w.layers[hl].n;
    x.resize(functional ? m * k : 0);
    mem.read(l.x[hl + 1].block(m, k), Operand::kX, functional ? x.data() : nullptr);
    for (int64_t i = 0; i < m && functional; ++i)
      for (int64_t j = 0; j < k; ++j)
        t.mask[hl][st.labels[i] * k + j] = num.is_float ? w2f(x[i * k + j]) > 0 : x[i * k + j] > 0;
    s.table_writes += m * mask_words(k, t.data_bits);
    s.elements += m * k;
  }
  return s;
}

SpecOpStats run_speculative(const StepOp& op, Memory& mem, const Workload& w, const Numerics& num,
                            const StepNumerics& sn, float lr, bool functional) {
  SpecContext& c = *op.spec;
  const StepLayout& l = *op.layout;
  switch (op.vector) {
    case VectorKind::kReuseLoss:
      return gr_loss(mem, w, l, num, *c.tables, c.threshold, functional, c.assumed_hit, *c.state);
    case VectorKind::kGather: return gr_gather(mem, w, l, *c.state, functional);
    case VectorKind::kTable: return gr_refresh(mem, w, l, *c.state, *c.tables, functional);
    case VectorKind::kReuseUpdate: return gr_update(mem, w, l, op.layer, *c.state, *c.tables, num, sn, lr, functional);
    case VectorKind::kSpecLoss: return os_loss(mem, w, l, num, *c.tables, *c.state, functional);
    case VectorKind::kSpecMask: return os_mask(mem, w, l, op.layer, *c.tables, *c.state, num, functional);
    case VectorKind::kVerify:
      return os_verify(mem, w, l, num, *c.tables, c.threshold, functional, c.assumed_hit, *c.state);
    case VectorKind::kLoss:
    case VectorKind::kMask:
    case VectorKind::kUpdate:
    case VectorKind::kIm2col:
    case VectorKind::kCol2im:
    case VectorKind::kPool:
    case VectorKind::kUnpool:
    case VectorKind::kFlatten:
    case VectorKind::kUnflatten: break;
  }
  throw std::logic_error(std::string("run_speculative: ") + to_string(op.vector) + " is not a speculative operation");
}

}  // namespace systrain
