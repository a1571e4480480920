#include "vector_unit.h"

#include "sgd_rows.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace systrain {

int64_t vector_elements(VectorKind k, const Workload& w, int layer, int64_t m, int sub) {
  const auto& p = w.layers[layer];
  switch (k) {
    case VectorKind::kLoss: return m * p.n;
    case VectorKind::kMask: return m * w.layers[layer - 1].rows * w.layers[layer - 1].n;
    case VectorKind::kUpdate: return p.kw() * p.n;
    // the prep stages: the larger of the words they read and write (run_prep counts them)
    case VectorKind::kIm2col: return m * std::max(p.prep[sub].reads_per_sample(), p.prep[sub].writes_per_sample());
    case VectorKind::kCol2im: return m * std::max(p.prep[sub].reads_per_sample(), p.prep[sub].in.elements());
    case VectorKind::kPool: return m * std::max(p.prep[sub].reads_per_sample(), 2 * p.prep[sub].out.elements());
    case VectorKind::kUnpool: return m * std::max(2 * p.prep[sub].out.elements(), p.prep[sub].in.elements());
    case VectorKind::kFlatten:
    case VectorKind::kUnflatten: return m * p.prep[sub].in.elements();
    case VectorKind::kGather:
    case VectorKind::kTable:
    case VectorKind::kVerify:
    case VectorKind::kReuseLoss:
    case VectorKind::kReuseUpdate:
    case VectorKind::kSpecLoss:
    case VectorKind::kSpecMask:
    case VectorKind::kSpecUnpool:
    case VectorKind::kSpecGather:
    case VectorKind::kScatter:
      throw std::logic_error("the speculative operations size themselves (speculation.h)");
  }
  return 0;
}

int64_t vector_cycles(const Config& cfg, int64_t elements) {
  const int64_t lanes = cfg.vector_lanes();
  return (elements + lanes - 1) / lanes + cfg.accelerator.vector.latency_cycles;
}

int64_t vector_cycles(const Config& cfg, int64_t elements, const AccessCounts& moved) {
  const int64_t lanes = cfg.vector_lanes(), wpc = cfg.accelerator.sram.words_per_cycle;
  int64_t busy = (elements + lanes - 1) / lanes;
  for (int b = 0; b < int(Buffer::kCount); ++b) {
    const int64_t words = moved.buffer_reads(Buffer(b)) + moved.buffer_writes(Buffer(b));
    busy = std::max(busy, (words + wpc - 1) / wpc);
  }
  return busy + cfg.accelerator.vector.latency_cycles;
}

int64_t vector_cycles(VectorKind k, const Config& cfg, const Workload& w, int layer, int64_t m, int sub) {
  return vector_cycles(cfg, vector_elements(k, w, layer, m, sub));
}

namespace {

// Every tap of an im2col stage's windows, in order: sample b, the column
// row r (an output pixel), channel c, the column `col` (c, i, j) and the
// input pixel (ih, iw) the tap reads, inside the image or in the padding.
template <class F>
void for_each_tap(const Prep& st, int64_t m, F&& f) {
  const ImageShape in = st.in, out = st.out;
  const int kh = st.kernel, kw = st.kernel_w;
  for (int64_t b = 0; b < m; ++b)
    for (int64_t oh = 0; oh < out.h; ++oh)
      for (int64_t ow = 0; ow < out.w; ++ow) {
        const int64_t r = (b * out.h + oh) * out.w + ow;
        for (int64_t c = 0; c < in.c; ++c)
          for (int i = 0; i < kh; ++i)
            for (int j = 0; j < kw; ++j) {
              const int64_t ih = oh * st.stride - st.pad_top + i, iw = ow * st.stride_w - st.pad_left + j;
              f(b, r, c, (c * kh + i) * kw + j, ih, iw, ih >= 0 && ih < in.h && iw >= 0 && iw < in.w);
            }
      }
}

// The prep stages (workload.h) on the SRAM's words; a timing-only memory
// holds none, so only the counts are kept.
void run_prep(VectorKind k, Memory& mem, const Workload& w, const StepLayout& l, int layer, int sub, int64_t m,
              const Numerics& num, bool functional) {
  const Prep& st = w.layers[layer].prep[sub];
  const PrepLayout& pl = l.prep[layer];
  const ImageShape in = st.in, out = st.out;
  const int64_t zero = num.is_float ? f2w(0.0f) : 0;
  switch (k) {
    case VectorKind::kIm2col: {
      const Mat I = pl.in[sub], X = pl.out[sub];
      mem.count(I.buf, I.op, m * st.reads_per_sample(), 0);
      mem.count(X.buf, X.op, 0, m * st.writes_per_sample());
      if (!functional) return;
      const auto& src = mem.buffer(I.buf);
      auto& dst = mem.buffer(X.buf);
      for_each_tap(st, m, [&](int64_t b, int64_t r, int64_t c, int64_t col, int64_t ih, int64_t iw, bool inside) {
        dst[X.at(r, col)] = inside ? src[I.at((b * in.h + ih) * in.w + iw, c)] : zero;
      });
      return;
    }
    case VectorKind::kCol2im: {
      const Mat D = pl.dout[sub], G = pl.din[sub];
      mem.count(D.buf, D.op, m * st.reads_per_sample(), 0);
      mem.count(G.buf, G.op, 0, m * in.elements());
      if (!functional) return;
      auto& buf = mem.buffer(D.buf);  // both in the gradients buffer
      // each input element sums the windows that cover it, in the windows' order
      std::vector<int64_t> acc_i(num.is_float ? 0 : m * in.elements());
      std::vector<float> acc_f(num.is_float ? m * in.elements() : 0);
      for_each_tap(st, m, [&](int64_t b, int64_t r, int64_t c, int64_t col, int64_t ih, int64_t iw, bool inside) {
        if (!inside) return;
        const int64_t e = ((b * in.h + ih) * in.w + iw) * in.c + c, v = buf[D.at(r, col)];
        if (num.is_float) acc_f[e] += w2f(v);
        else acc_i[e] += v;
      });
      for (int64_t px = 0; px < m * in.pixels(); ++px)
        for (int64_t c = 0; c < in.c; ++c) {
          const int64_t e = px * in.c + c;
          buf[G.at(px, c)] = num.is_float ? f2w(acc_f[e]) : saturate(acc_i[e], num.data_bits);
        }
      return;
    }
    case VectorKind::kPool: {
      const Mat I = pl.in[sub], O = pl.out[sub], M = pl.mask[sub];
      mem.count(I.buf, I.op, m * st.reads_per_sample(), 0);
      mem.count(O.buf, O.op, 0, m * out.elements());
      mem.count(M.buf, M.op, 0, m * out.elements());
      if (!functional) return;
      auto& buf = mem.buffer(I.buf);  // all three in the activations buffer
      const int k = st.kernel;  // a k×k window every `stride`, `pad_top` (= every side's) padding not read
      for (int64_t b = 0; b < m; ++b)
        for (int64_t oh = 0; oh < out.h; ++oh)
          for (int64_t ow = 0; ow < out.w; ++ow)
            for (int64_t c = 0; c < in.c; ++c) {
              int64_t best = -1, best_v = 0;
              for (int i = 0; i < k; ++i)
                for (int j = 0; j < k; ++j) {
                  const int64_t ih = oh * st.stride - st.pad_top + i, iw = ow * st.stride_w - st.pad_left + j;
                  if (ih < 0 || ih >= in.h || iw < 0 || iw >= in.w) continue;
                  const int64_t v = buf[I.at((b * in.h + ih) * in.w + iw, c)];
                  // the first of equal maxima wins, as in PyTorch
                  if (best < 0 || (num.is_float ? w2f(v) > w2f(best_v) : v > best_v)) best = i * k + j, best_v = v;
                }
              const int64_t r = (b * out.h + oh) * out.w + ow;
              buf[O.at(r, c)] = best_v;
              buf[M.at(r, c)] = best;
            }
      return;
    }
    case VectorKind::kUnpool: {
      const Mat D = pl.dout[sub], M = pl.mask[sub], G = pl.din[sub];
      mem.count(D.buf, D.op, m * out.elements(), 0);
      mem.count(M.buf, M.op, m * out.elements(), 0);
      mem.count(G.buf, G.op, 0, m * in.elements());
      if (!functional) return;
      auto& grad = mem.buffer(G.buf);
      const auto& mask = mem.buffer(M.buf);
      scatter_max(st, m, num, [&](int64_t r, int64_t c) { return mask[M.at(r, c)]; },
                  [&](int64_t r, int64_t c) { return grad[D.at(r, c)]; },
                  [&](int64_t px, int64_t c) -> int64_t& { return grad[G.at(px, c)]; });
      return;
    }
    case VectorKind::kFlatten:
    case VectorKind::kUnflatten: {
      const bool fwd = k == VectorKind::kFlatten;
      const Mat I = fwd ? pl.in[sub] : pl.dout[sub], O = fwd ? pl.out[sub] : pl.din[sub];
      mem.count(I.buf, I.op, m * in.elements(), 0);
      mem.count(O.buf, O.op, 0, m * in.elements());
      if (!functional) return;
      auto& buf = mem.buffer(I.buf);  // one buffer each way
      const int64_t P = in.pixels();
      // image element (b, px, c) is feature c·H·W + px of sample b
      for (int64_t b = 0; b < m; ++b)
        for (int64_t px = 0; px < P; ++px)
          for (int64_t c = 0; c < in.c; ++c) {
            if (fwd) buf[O.at(b, c * P + px)] = buf[I.at(b * P + px, c)];
            else buf[O.at(b * P + px, c)] = buf[I.at(b, c * P + px)];
          }
      return;
    }
    default: return;
  }
}

}  // namespace

int64_t softmax_row(const int64_t* y, int64_t n, const Numerics& num, double* p) {
  double mx = -1e300;
  int64_t best = 0;
  for (int64_t j = 0; j < n; ++j) {
    p[j] = num.is_float ? w2f(y[j]) : to_real(y[j], num.fa);
    if (p[j] > p[best]) best = j;
    mx = std::max(mx, p[j]);
  }
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += (p[j] = std::exp(p[j] - mx));
  for (int64_t j = 0; j < n; ++j) p[j] /= sum;
  return best;
}

LossStats run_vector(VectorKind k, Memory& mem, const Workload& w, const StepLayout& l, int layer, int64_t m,
                     const Numerics& num, const StepNumerics& sn, float lr, const uint8_t* labels, bool functional,
                     int sub) {
  LossStats st;
  const auto& p = w.layers[layer];
  static thread_local std::vector<int64_t> a, b;  // kept between calls: no allocation per operation
  auto rd = [&](const Access2D& acc, Operand op, std::vector<int64_t>& v) {
    v.resize(functional ? acc.elements() : 0);
    mem.read(acc, op, functional ? v.data() : nullptr);
  };
  auto wr = [&](const Access2D& acc, Operand op, const std::vector<int64_t>& v) {
    mem.write(acc, op, functional ? v.data() : nullptr);
  };
  switch (k) {
    case VectorKind::kLoss: {
      const int64_t n = p.n;
      const Access2D y = l.logits.block(m, n), dy = l.dy[layer].block(m, n);
      rd(y, Operand::kY, a);
      if (functional) {
        b.resize(m * n);
        std::vector<double> e(n);
        for (int64_t i = 0; i < m; ++i) {
          const int64_t best = softmax_row(&a[i * n], n, num, e.data());
          st.loss_sum -= std::log(std::max(e[labels[i]], 1e-300));
          st.correct += best == labels[i];
          for (int64_t j = 0; j < n; ++j)
            b[i * n + j] = error_word((e[j] - (j == labels[i] ? 1.0 : 0.0)) / static_cast<double>(m), num);
        }
      }
      wr(dy, Operand::kDy, b);
      break;
    }
    case VectorKind::kMask: {
      // the layer below's ReLU output (its y) says where dX passes
      const auto& below = w.layers[layer - 1];
      const Access2D dx = l.dy[layer - 1].block(m * below.rows, below.n), x = l.y[layer - 1].block(m * below.rows, below.n);
      rd(dx, Operand::kDx, a);
      rd(x, Operand::kX, b);
      if (functional) {  // (about half the units pass, at random: selected, not branched on)
        const int64_t zero = num.is_float ? f2w(0.0f) : 0;
        if (num.is_float)
          for (size_t i = 0; i < a.size(); ++i) a[i] = select_word(w2f(b[i]) > 0, a[i], zero);
        else
          for (size_t i = 0; i < a.size(); ++i) a[i] = select_word(b[i] > 0, a[i], zero);
      }
      wr(dx, Operand::kDy, a);
      break;
    }
    case VectorKind::kUpdate: {
      // in place: the words are counted as read and written, the values change where they are
      const Mat wm = l.w[layer], dwm = l.dws[layer];
      mem.read(wm.block(p.kw(), p.n), Operand::kW, nullptr);
      mem.read(dwm.block(p.kw(), p.n), Operand::kDw, nullptr);
      if (functional) {
        mem.check(wm.block(p.kw(), p.n), Operand::kW);
        mem.check(dwm.block(p.kw(), p.n), Operand::kDw);
        auto& wb = mem.buffer(wm.buf);
        const auto& gb = mem.buffer(dwm.buf);
        each_weight_row(wb.data(), wm, gb.data(), dwm, p.kw(), p.n, [&](int64_t, int64_t* w, const int64_t* g) {
          if (num.is_float) sgd_row_f32_words(w, g, p.n, lr);
          else sgd_row_fixed(w, g, p.n, sn.lr, sn.upd_shift, num.data_bits);
        });
      }
      mem.write(wm.block(p.kw(), p.n), Operand::kW, nullptr);
      break;
    }
    case VectorKind::kIm2col:
    case VectorKind::kCol2im:
    case VectorKind::kPool:
    case VectorKind::kUnpool:
    case VectorKind::kFlatten:
    case VectorKind::kUnflatten: run_prep(k, mem, w, l, layer, sub, m, num, functional); break;
    case VectorKind::kGather:
    case VectorKind::kTable:
    case VectorKind::kVerify:
    case VectorKind::kReuseLoss:
    case VectorKind::kReuseUpdate:
    case VectorKind::kSpecLoss:
    case VectorKind::kSpecMask:
    case VectorKind::kSpecUnpool:
    case VectorKind::kSpecGather:
    case VectorKind::kScatter:
      throw std::logic_error(std::string("run_vector: ") + to_string(k) + " is a speculative operation (speculation.h)");
  }
  return st;
}

}  // namespace systrain
