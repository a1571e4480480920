#include "speculation.h"

#include "clones.h"
#include "scratch.h"
#include "sgd_rows.h"

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
// the units a sample's ReLU output of layer l has (its GEMM rows × n)
int64_t relu_units(const Workload& w, int l) { return w.layers[l].rows * w.layers[l].n; }

// copies block `from` of a to block `to` of b, blocks of `rows` rows of
// `lanes` words (a sample's rows of a region); returns the words moved
int64_t move_rows(Memory& mem, const Mat& a, int64_t from, const Mat& b, int64_t to, int64_t rows, int64_t lanes,
                  Operand op, bool functional) {
  mem.copy(a.sub(from * rows, 0).block(rows, lanes), b.sub(to * rows, 0).block(rows, lanes), op, functional);
  return rows * lanes;
}

// What a sample's backward pass reads from its forward pass beside the
// errors, region by region (the stash, model/mem/dram.h): every layer's X
// (a conv's columns), its maxpools' argmax masks and, when a prep stage sits
// between them, the ReLU output of the layer below.
struct StashRegion {
  Mat (*pick)(const StepLayout&, int layer, int sub);
  int layer, sub;
  int64_t rows, lanes;  // a sample's
  Operand op;
};
Mat pick_x(const StepLayout& l, int li, int) { return l.x[li]; }
Mat pick_pool_mask(const StepLayout& l, int li, int si) { return l.prep[li].mask[si]; }
Mat pick_relu_below(const StepLayout& l, int li, int) { return l.y[li - 1]; }
std::vector<StashRegion> stash_regions(const Workload& w, bool with_x) {
  std::vector<StashRegion> r;
  const int L = static_cast<int>(w.layers.size());
  for (int i = 0; i < L; ++i) {
    const auto& p = w.layers[i];
    if (with_x) r.push_back({pick_x, i, 0, p.rows, p.kw(), Operand::kX});
    for (size_t s = 0; s < p.prep.size(); ++s)
      if (p.prep[s].kind == PrepKind::kPool)
        r.push_back({pick_pool_mask, i, static_cast<int>(s), p.prep[s].out.pixels(), p.prep[s].out.c, Operand::kMask});
    if (i > 0 && w.layers[i - 1].relu && !p.prep.empty())
      r.push_back({pick_relu_below, i, 0, w.layers[i - 1].rows, w.layers[i - 1].n, Operand::kX});
  }
  return r;
}

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

// float32 words to floats; whether any is −0
SYSTRAIN_CLONES bool load_words_f32(float* __restrict g, const int64_t* __restrict w, int64_t n) {
  uint32_t neg_zero = 0;
  for (int64_t j = 0; j < n; ++j) {
    const auto u = static_cast<uint32_t>(w[j]);
    neg_zero |= u == 0x80000000u;
    g[j] = w2f(w[j]);
  }
  return neg_zero != 0;
}
// whether float32 words hold no infinity or NaN
SYSTRAIN_CLONES bool finite_words(const int64_t* w, int64_t n) {
  uint32_t top = 0;  // the largest exponent field
  for (int64_t j = 0; j < n; ++j) top = std::max(top, static_cast<uint32_t>(w[j]) & 0x7f800000u);
  return top != 0x7f800000u;
}
// The rows of gr_update, vectorised. Each keeps the arithmetic and order of
// the element-by-element form: row[j] += t·dy[j] (float32: the product
// rounded, then the sum; int64 and doubles below 2^53: exact).
SYSTRAIN_CLONES void axpy_f32(float* __restrict row, float t, const int64_t* __restrict dy, int64_t n) {
  for (int64_t j = 0; j < n; ++j) row[j] += t * w2f(dy[j]);
}
SYSTRAIN_CLONES void axpy_f64(double* __restrict row, double t, const double* __restrict d, int64_t n) {
  for (int64_t j = 0; j < n; ++j) row[j] += t * d[j];
}
SYSTRAIN_CLONES void axpy_i64(int64_t* __restrict row, int64_t t, const int64_t* __restrict d, int64_t n) {
  for (int64_t j = 0; j < n; ++j) row[j] += t * d[j];
}
// fixed point: g = requant(the labels' sum) (+ dW, saturated), then the SGD step
SYSTRAIN_CLONES void gr_sgd_fixed(int64_t* __restrict w, const int64_t* __restrict dw, const double* __restrict acc,
                                  const int64_t* __restrict acc64, int64_t n, bool has_dw, int wg_shift, int data_bits,
                                  int64_t lr, int upd_shift) {
  for (int64_t e = 0; e < n; ++e) {
    const int64_t sum = acc64 ? acc64[e] : acc ? static_cast<int64_t>(acc[e]) : 0;
    int64_t g = acc || acc64 ? requant(sum, wg_shift, data_bits, false) : 0;
    if (has_dw) g = saturate(dw[e] + g, data_bits);
    w[e] = sgd_update(w[e], g, lr, upd_shift, data_bits);
  }
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
  gx.resize(L), gdy.resize(L), mask.resize(L), pool.resize(L);
  for (int l = 0; l < L; ++l) {
    const auto& p = w.layers[l];
    if (policy == SpecPolicy::kGradientReuse) {
      gx[l].assign(classes * p.rows * p.kw(), 0);
      gdy[l].assign(classes * p.rows * p.n, 0);
      continue;
    }
    if (hidden_relu(w, l)) mask[l].assign(classes * relu_units(w, l), 1);
    pool[l].resize(p.prep.size());
    for (size_t s = 0; s < p.prep.size(); ++s)
      if (p.prep[s].kind == PrepKind::kPool) pool[l][s].assign(classes * p.prep[s].out.elements(), 0);
  }
}

int64_t SpecTables::host_bytes_per_label(const Workload& w, SpecPolicy policy) {
  // as the constructor sizes them: words at 8 bytes, ReLU masks at 1
  int64_t bytes = 8 * w.layers.back().n + 2;
  for (int l = 0; l < static_cast<int>(w.layers.size()); ++l) {
    const auto& p = w.layers[l];
    if (policy == SpecPolicy::kGradientReuse) {
      bytes += 8 * p.rows * (p.kw() + p.n);
      continue;
    }
    if (hidden_relu(w, l)) bytes += relu_units(w, l);
    for (const Prep& s : p.prep)
      if (s.kind == PrepKind::kPool) bytes += 8 * s.out.elements();
  }
  return bytes;
}

int64_t SpecTables::words_per_label(const Workload& w) const {
  int64_t words = w.layers.back().n;
  for (int l = 0; l < static_cast<int>(w.layers.size()); ++l) {
    const auto& p = w.layers[l];
    if (policy == SpecPolicy::kGradientReuse) {
      words += p.rows * (p.kw() + p.n);
      continue;
    }
    if (hidden_relu(w, l)) words += mask_words(relu_units(w, l), data_bits);
    for (const Prep& s : p.prep)
      if (s.kind == PrepKind::kPool) words += s.out.elements();  // one argmax word an output, as the mask operand
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
  // in place: row block r <= misses[r], and the blocks still to be read lie above
  SpecOpStats s;
  for (const StashRegion& g : stash_regions(w, true)) {
    const Mat a = g.pick(l, g.layer, g.sub);
    for (size_t r = 0; r < st.misses.size(); ++r) {
      if (st.misses[r] == static_cast<int64_t>(r)) continue;  // already in place
      s.elements += move_rows(mem, a, st.misses[r], a, static_cast<int64_t>(r), g.rows, g.lanes, g.op, functional);
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
  for (int c = 0; c < t.classes; ++c) {
    if (last[c] < 0) continue;
    for (size_t li = 0; li < w.layers.size(); ++li) {
      const auto& p = w.layers[li];
      const int64_t R = p.rows;
      // (read straight into the label's rows of the tables)
      mem.read(l.x[li].sub(last[c] * R, 0).block(R, p.kw()), Operand::kX,
               functional ? t.gx[li].data() + c * R * p.kw() : nullptr);
      mem.read(l.dy[li].sub(last[c] * R, 0).block(R, p.n), Operand::kDy,
               functional ? t.gdy[li].data() + c * R * p.n : nullptr);
      s.table_writes += R * (p.kw() + p.n);
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
  const int64_t kw = p.kw(), n = p.n, words = kw * n, R = p.rows;
  std::vector<int64_t> hits(t.classes, 0);
  for (int64_t i = 0; i < st.m; ++i)
    if (st.hit[i]) hits[st.labels[i]]++;
  int64_t labels_hit = 0;
  for (int c = 0; c < t.classes; ++c) labels_hit += hits[c] > 0;
  const bool has_dw = !st.misses.empty();
  // W and dW counted as read, then updated where they are (mem.check: the
  // bounds a read checks)
  const Mat wm = l.w[layer], dwm = l.dws[layer];
  const Access2D wa = wm.block(kw, n);
  mem.read(wa, Operand::kW, nullptr);
  if (has_dw) mem.read(dwm.block(kw, n), Operand::kDw, nullptr);
  if (functional) {
    mem.check(wa, Operand::kW);
    if (has_dw) mem.check(dwm.block(kw, n), Operand::kDw);
  }
  for (int c = 0; c < t.classes; ++c) {
    if (hits[c] == 0) continue;
    // a label's first sample always misses, and its gradient is stored before any update applies it
    if (!t.has_g[c]) throw std::logic_error(fmt::format("label {} hit with no stored gradient", c));
    s.table_reads += R * (kw + n);
  }
  if (functional) {
    auto& wb = mem.buffer(wm.buf);
    const auto& dwb = mem.buffer(dwm.buf);
    // f(i, W's row i, dW's row i)
    const auto rows = [&](auto&& f) { each_weight_row(wb.data(), wm, has_dw ? dwb.data() : nullptr, dwm, kw, n, f); };
    std::vector<int> hit_labels;
    for (int c = 0; c < t.classes; ++c)
      if (hits[c] > 0) hit_labels.push_back(c);
    // Row by row: W's row i gets its gradient row, summed in a row buffer that
    // stays in cache, and its update, in one visit (no kw × n gradient is
    // stored and walked once a label). Every element's terms are the same,
    // summed in the same order: dW's first, then the hit labels in order, each
    // label's R rows in order.
    if (num.is_float) {
      // g = dW (or 0), then + (h_c·x[i])·dy[j] for each hit label and row: a float32 product, then the sum.
      // A zero x (about half the inputs) against a dy row with no infinity or NaN adds ±0 to every g[j],
      // which leaves g[j] as it is unless g[j] is −0; and g[j] becomes −0 only if it starts so (a sum is
      // −0 only when both addends are). So such terms are left out of a row whose dW has no −0.
      static thread_local std::vector<float> gv;
      static thread_local std::vector<uint8_t> finite_dy;  // label row c·R + r: its dy has no infinity or NaN
      float* g = scratch(gv, n);
      uint8_t* fin = scratch(finite_dy, static_cast<int64_t>(t.classes) * R);
      for (int c : hit_labels)
        for (int64_t r = 0; r < R; ++r) fin[c * R + r] = finite_words(&t.gdy[layer][(c * R + r) * n], n);
      rows([&](int64_t i, int64_t* w, const int64_t* dw) {
        bool neg_zero = false;
        if (has_dw) neg_zero = load_words_f32(g, dw, n);
        else std::fill(g, g + n, 0.0f);
        for (int c : hit_labels) {
          const float h = static_cast<float>(hits[c]);
          for (int64_t r = 0; r < R; ++r) {
            const int64_t x = t.gx[layer][(c * R + r) * kw + i];
            if (!neg_zero && (static_cast<uint32_t>(x) << 1) == 0 && fin[c * R + r]) continue;
            axpy_f32(g, h * w2f(x), &t.gdy[layer][(c * R + r) * n], n);
          }
        }
        sgd_row_f32(w, g, n, lr);
      });
    } else {
      // Σ_c h_c·Σ_r x_c,r[i]·dy_c,r[j] summed exactly. A dense layer (R = 1):
      // every term and partial sum is below 2^53 (|x·dy| < 2^30, h <= the
      // batch <= 2^20, at most 256 labels), so doubles hold them exactly and
      // the loop vectorises; a conv layer's R rows a label sum in 64 bits
      const int wg_shift = num.fa + num.fe - num.fg;
      static thread_local std::vector<double> accv, hdyv;
      static thread_local std::vector<int64_t> acc64v;
      double* acc = labels_hit > 0 && R == 1 ? scratch(accv, n) : nullptr;
      int64_t* acc64 = labels_hit > 0 && R > 1 ? scratch(acc64v, n) : nullptr;
      // h_c·dy_c as doubles, once a label (R = 1)
      double* hdy = acc ? scratch(hdyv, static_cast<int64_t>(hit_labels.size()) * n) : nullptr;
      if (acc)
        for (size_t k = 0; k < hit_labels.size(); ++k) {
          const int c = hit_labels[k];
          for (int64_t j = 0; j < n; ++j) hdy[k * n + j] = static_cast<double>(hits[c] * t.gdy[layer][c * n + j]);
        }
      rows([&](int64_t i, int64_t* w, const int64_t* dw) {
        if (acc) {
          std::fill(acc, acc + n, 0.0);
          for (size_t k = 0; k < hit_labels.size(); ++k)  // (a zero x adds zeros: left out, the sums exact either way)
            if (const int64_t x = t.gx[layer][hit_labels[k] * kw + i]; x != 0) axpy_f64(acc, static_cast<double>(x), hdy + k * n, n);
        }
        if (acc64) {
          std::fill(acc64, acc64 + n, int64_t{0});
          for (int c : hit_labels)
            for (int64_t r = 0; r < R; ++r)
              axpy_i64(acc64, hits[c] * t.gx[layer][(c * R + r) * kw + i], &t.gdy[layer][(c * R + r) * n], n);
        }
        gr_sgd_fixed(w, dw, acc, acc64, n, has_dw, wg_shift, num.data_bits, sn.lr, sn.upd_shift);
      });
    }
  }
  mem.write(wa, Operand::kW, nullptr);
  s.elements = words * std::max<int64_t>(1, (has_dw ? 1 : 0) + labels_hit * R);
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
  const int hl = layer - 1;
  const int64_t m = st.m, k = relu_units(w, hl);  // a sample's units
  std::vector<int64_t> dx(functional ? m * k : 0);
  const Access2D a = l.dy[hl].block(m * w.layers[hl].rows, w.layers[hl].n);
  mem.read(a, Operand::kDx, functional ? dx.data() : nullptr);
  if (functional) {  // a unit masked off: zero's word (the masks are about half ones, at random: selected)
    const int64_t zero = num.is_float ? f2w(0.0f) : 0;
    for (int64_t i = 0; i < m; ++i) {
      const uint8_t* keep = &t.mask[hl][st.labels[i] * k];
      int64_t* d = &dx[i * k];
      for (int64_t j = 0; j < k; ++j) d[j] = select_word(keep[j] != 0, d[j], zero);
    }
  }
  mem.write(a, Operand::kDy, functional ? dx.data() : nullptr);
  s.table_reads = m * mask_words(k, t.data_bits);
  s.elements = m * k;
  return s;
}

SpecOpStats os_verify(Memory& mem, const Workload& w, const StepLayout& l, const Numerics& num, SpecTables& t,
                      double threshold, bool functional, const std::function<bool(int64_t)>& assumed_hit,
                      StepState& st, bool in_place_errors) {
  const int L = static_cast<int>(w.layers.size());
  const int64_t m = st.m, n = w.layers.back().n;
  std::vector<int64_t> row(n);
  SpecOpStats s =
      decide_samples(mem, w, l, num, t, threshold, functional, assumed_hit, st, [&](int64_t i, const double* p) {
        if (!in_place_errors) return;
        // the miss's true error row, as the plain loss writes it
        const int c = st.labels[i];
        if (functional)
          for (int64_t j = 0; j < n; ++j) row[j] = error_word((p[j] - (j == c ? 1.0 : 0.0)) / static_cast<double>(m), num);
        mem.write(l.dy[L - 1].row(i, n), Operand::kDy, functional ? row.data() : nullptr);
      });
  // the true ReLU masks of the hidden layers (the stashed outputs) refresh
  // the table, the last sample of a label last
  std::vector<int64_t> x;
  for (int hl = 0; hl + 1 < L; ++hl) {
    if (!hidden_relu(w, hl)) continue;
    const int64_t k = relu_units(w, hl);
    x.resize(functional ? m * k : 0);
    mem.read(l.y[hl].block(m * w.layers[hl].rows, w.layers[hl].n), Operand::kX, functional ? x.data() : nullptr);
    for (int64_t i = 0; i < m && functional; ++i) {
      uint8_t* mask = &t.mask[hl][st.labels[i] * k];
      const int64_t* xi = &x[i * k];
      if (num.is_float)
        for (int64_t j = 0; j < k; ++j) mask[j] = w2f(xi[j]) > 0;
      else
        for (int64_t j = 0; j < k; ++j) mask[j] = xi[j] > 0;
    }
    s.table_writes += m * mask_words(k, t.data_bits);
    s.elements += m * k;
  }
  // and the maxpools' argmax masks
  for (int li = 0; li < L; ++li)
    for (size_t si = 0; si < w.layers[li].prep.size(); ++si) {
      const Prep& pr = w.layers[li].prep[si];
      if (pr.kind != PrepKind::kPool) continue;
      const int64_t E = pr.out.elements();
      x.resize(functional ? m * E : 0);
      mem.read(l.prep[li].mask[si].block(m * pr.out.pixels(), pr.out.c), Operand::kMask, functional ? x.data() : nullptr);
      if (functional)
        for (int64_t i = 0; i < m; ++i)
          std::copy(x.begin() + i * E, x.begin() + (i + 1) * E, t.pool[li][si].begin() + st.labels[i] * E);
      s.table_writes += m * E;
      s.elements += m * E;
    }
  return s;
}

SpecOpStats os_unpool(Memory& mem, const Workload& w, const StepLayout& l, int layer, int sub, const SpecTables& t,
                      const StepState& st, const Numerics& num, bool functional) {
  // unpool (vector_unit.cpp) with each sample's argmax from its label's table entry
  SpecOpStats s;
  const Prep& pr = w.layers[layer].prep[sub];
  const PrepLayout& pl = l.prep[layer];
  const ImageShape in = pr.in, out = pr.out;
  const int64_t m = st.m, E = out.elements();
  const Mat D = pl.dout[sub], G = pl.din[sub];
  mem.count(D.buf, D.op, m * E, 0);
  mem.count(G.buf, G.op, 0, m * in.elements());
  s.table_reads = m * E;
  s.elements = m * std::max(2 * E, in.elements());
  if (!functional) return s;
  auto& grad = mem.buffer(G.buf);
  const int64_t P = out.pixels();
  scatter_max(pr, m, num,
              [&](int64_t r, int64_t c) { return t.pool[layer][sub][st.labels[r / P] * E + (r % P) * out.c + c]; },
              [&](int64_t r, int64_t c) { return grad[D.at(r, c)]; },
              [&](int64_t px, int64_t c) -> int64_t& { return grad[G.at(px, c)]; });
  return s;
}

SpecOpStats os_gather(Memory& mem, const Workload& w, const StepLayout& l, const StepLayout& pack,
                      const StepState& st, bool functional) {
  SpecOpStats s;
  const auto& last = w.layers.back();
  std::vector<StashRegion> regions = stash_regions(w, false);
  // the ReLU outputs the masks read where no prep stage sits between (a dense layer's X)
  for (int i = 1; i < static_cast<int>(w.layers.size()); ++i)
    if (w.layers[i - 1].relu && w.layers[i].prep.empty())
      regions.push_back({pick_x, i, 0, w.layers[i].rows, w.layers[i].k, Operand::kX});
  for (size_t r = 0; r < st.misses.size(); ++r) {
    const int64_t from = st.misses[r], to = static_cast<int64_t>(r);
    s.elements += move_rows(mem, l.dy.back(), from, pack.dy.back(), to, last.rows, last.n, Operand::kDy, functional);
    for (const StashRegion& g : regions)
      s.elements += move_rows(mem, g.pick(l, g.layer, g.sub), from, g.pick(pack, g.layer, g.sub), to, g.rows, g.lanes,
                              g.op, functional);
  }
  return s;
}

SpecOpStats os_scatter(Memory& mem, const Workload& w, const StepLayout& l, const StepLayout& pack,
                       const StepState& st, bool functional) {
  SpecOpStats s;
  for (size_t li = 0; li + 1 < w.layers.size(); ++li) {
    const auto& p = w.layers[li];
    for (size_t r = 0; r < st.misses.size(); ++r)
      s.elements += move_rows(mem, pack.dy[li], static_cast<int64_t>(r), l.dy[li], st.misses[r], p.rows, p.n,
                              Operand::kDy, functional);
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
      return os_verify(mem, w, l, num, *c.tables, c.threshold, functional, c.assumed_hit, *c.state, c.per_sample);
    case VectorKind::kSpecUnpool: return os_unpool(mem, w, l, op.layer, op.sub, *c.tables, *c.state, num, functional);
    case VectorKind::kSpecGather: return os_gather(mem, w, l, *c.pack, *c.state, functional);
    case VectorKind::kScatter: return os_scatter(mem, w, l, *c.pack, *c.state, functional);
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
