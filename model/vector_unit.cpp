#include "vector_unit.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace systrain {

int64_t vector_elements(VectorKind k, const Workload& w, int layer, int64_t m) {
  const auto& p = w.layers[layer];
  switch (k) {
    case VectorKind::kLoss: return m * p.n;
    case VectorKind::kMask: return m * p.k;
    case VectorKind::kUpdate: return p.kw() * p.n;
    default: break;  // the speculative operations size themselves (speculation.h)
  }
  return 0;
}

int64_t vector_cycles(const Config& cfg, int64_t elements) {
  const int64_t lanes = cfg.vector_lanes();
  return (elements + lanes - 1) / lanes + cfg.accelerator.vector.latency_cycles;
}

int64_t vector_cycles(VectorKind k, const Config& cfg, const Workload& w, int layer, int64_t m) {
  return vector_cycles(cfg, vector_elements(k, w, layer, m));
}

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
                     const Numerics& num, const StepNumerics& sn, float lr, const uint8_t* labels, bool functional) {
  LossStats st;
  const auto& p = w.layers[layer];
  std::vector<int64_t> a, b;
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
      const int64_t kk = p.k;
      const Access2D dx = l.dy[layer - 1].block(m, kk), x = l.x[layer].block(m, kk);
      rd(dx, Operand::kDx, a);
      rd(x, Operand::kX, b);
      if (functional)
        for (size_t i = 0; i < a.size(); ++i)
          if (!(num.is_float ? w2f(b[i]) > 0 : b[i] > 0)) a[i] = num.is_float ? f2w(0.0f) : 0;
      wr(dx, Operand::kDy, a);
      break;
    }
    case VectorKind::kUpdate: {
      const Access2D wa = l.w[layer].block(p.kw(), p.n);
      const Mat dwm = l.dws[layer];
      rd(wa, Operand::kW, a);
      rd(dwm.block(p.kw(), p.n), Operand::kDw, b);
      if (functional)
        for (size_t i = 0; i < a.size(); ++i)
          a[i] = num.is_float ? f2w(w2f(a[i]) - lr * w2f(b[i])) : sgd_update(a[i], b[i], sn.lr, sn.upd_shift, num.data_bits);
      wr(wa, Operand::kW, a);
      break;
    }
    default: break;  // speculation.h
  }
  return st;
}

}  // namespace systrain
