#include "edge_train.h"

#include <algorithm>
#include <cmath>

#include "edge_block.h"
#include "edge_fixed.h"
#include "fixed_point.h"
#include "fnv1a.h"
#include "interrupt.h"

namespace systrain {

namespace {

struct Float {
  using V = float;
  float eta;
  V mul(V a, V b) const { return a * b; }
  V add(V a, V b) const { return a + b; }
  V sig(V s) const { return 1.0f / (1.0f + std::exp(-s)); }
  V dsig(V s) const {
    const float a = sig(s);
    return a * (1.0f - a);
  }
  V one() const { return 1.0f; }
  V zero() const { return 0.0f; }
  V input(double x) const { return static_cast<float>(x); }
  V weight(double x) const { return static_cast<float>(x); }
  V update(V w, V a, V delta) const { return w - eta * (a * delta); }
  double real(V v) const { return v; }
  int64_t word(V v) const { return f2w(v); }
};

// one input in flight: every layer's activations (and σ′), the δ of every
// layer after the first
template <class V>
struct InFlight {
  std::vector<std::vector<V>> a, s, delta;  // a/s[layer], delta[layer]
  uint8_t label = 0;
};

template <class Num>
class Machine {
 public:
  using V = typename Num::V;
  Machine(const Config& cfg, const EdgeNet& net, const Num& num) : net_(net), s_(net.shape), num_(num) {
    Rng rng(static_cast<uint64_t>(cfg.training.seed));
    for (int j = 1; j <= s_.junctions(); ++j) {
      const double lim = std::sqrt(6.0 / static_cast<double>(s_.fi[j - 1] + s_.fo[j - 1]));
      std::vector<V> w(static_cast<size_t>(s_.w[j - 1]));
      for (auto& x : w) x = num_.weight((rng.uniform() * 2 - 1) * lim);
      w_.push_back(std::move(w));
    }
    ring_.resize(static_cast<size_t>(2 * s_.layers));
    for (auto& f : ring_) {
      f.a.resize(s_.layers), f.s.resize(s_.layers), f.delta.resize(s_.layers);
      for (int l = 0; l < s_.layers; ++l)
        f.a[l].assign(s_.n[l], num_.zero()), f.s[l].assign(s_.n[l], num_.zero()), f.delta[l].assign(s_.n[l], num_.zero());
    }
  }

  // an input and its label
  void load(InFlight<V>& f, const Samples& data, int64_t sample) {
    f.label = data.labels[sample];
    const int64_t n0 = s_.n[0];
    // a 28×28 image in a 32×32 input: centred
    const bool pad = data.width == 784 && n0 == 1024;
    for (int64_t i = 0; i < n0; ++i) {
      double x = 0;
      if (!pad) x = data.at(sample, i);
      else {
        const int64_t r = i / 32 - 2, c = i % 32 - 2;
        if (r >= 0 && r < 28 && c >= 0 && c < 28) x = data.at(sample, r * 28 + c);
      }
      f.a[0][i] = num_.input(x);
    }
  }

  // junction j's feed-forward of an input (and the output error at the last junction)
  void ff(InFlight<V>& f, int j) {
    const auto& w = w_[j - 1];
    const auto& left = net_.left[j - 1];
    const int64_t fi = s_.fi[j - 1];
    std::vector<V> tree(static_cast<size_t>(fi));
    for (int64_t r = 0; r < s_.n[j]; ++r) {
      for (int64_t e = 0; e < fi; ++e) tree[e] = num_.mul(f.a[j - 1][left[r * fi + e]], w[r * fi + e]);
      for (int64_t size = fi; size > 1; size /= 2)
        for (int64_t i = 0; i < size / 2; ++i) tree[i] = num_.add(tree[2 * i], tree[2 * i + 1]);
      f.a[j][r] = num_.sig(tree[0]);
      f.s[j][r] = num_.dsig(tree[0]);
    }
    if (j + 1 == s_.layers)
      for (int64_t r = 0; r < s_.n[j]; ++r)
        f.delta[j][r] = num_.add(f.a[j][r], -(r == f.label ? num_.one() : num_.zero()));
  }

  // junction j's backpropagation (j ≥ 2), then its update, of an input
  void bp_up(InFlight<V>& f, int j) {
    auto& w = w_[j - 1];
    const auto& left = net_.left[j - 1];
    const auto& right = net_.right[j - 1];
    if (s_.bp(j)) {
      auto& part = f.delta[j - 1];
      std::fill(part.begin(), part.end(), num_.zero());
      for (int64_t e = 0; e < s_.w[j - 1]; ++e) {  // row by row: a row meets each left neuron once
        const int64_t l = left[e];
        part[l] = num_.add(part[l], num_.mul(num_.mul(f.delta[j][right[e]], f.s[j - 1][l]), w[e]));
      }
    }
    for (int64_t e = 0; e < s_.w[j - 1]; ++e) w[e] = num_.update(w[e], f.a[j - 1][left[e]], f.delta[j][right[e]]);
  }

  // inference of one sample with the weights as they are: the output layer's argmax
  int64_t predict(const Samples& data, int64_t sample, InFlight<V>& f, double* loss) {
    load(f, data, sample);
    for (int j = 1; j < s_.layers; ++j) ff(f, j);
    return score(f, loss);
  }

  int64_t score(const InFlight<V>& f, double* loss) const {
    const auto& out = f.a[s_.layers - 1];
    int64_t best = 0;
    for (int64_t r = 1; r < static_cast<int64_t>(out.size()); ++r)
      if (num_.real(out[r]) > num_.real(out[best])) best = r;
    if (loss) {  // sigmoid cross-entropy against the one-hot label
      double l = 0;
      for (int64_t r = 0; r < static_cast<int64_t>(out.size()); ++r) {
        const double a = std::clamp(num_.real(out[r]), 1e-7, 1 - 1e-7);
        l -= r == f.label ? std::log(a) : std::log(1 - a);
      }
      *loss += l;
    }
    return best;
  }

  InFlight<V>& slot(int64_t m) { return ring_[static_cast<size_t>(m % static_cast<int64_t>(ring_.size()))]; }
  std::vector<V>& weights(int j) { return w_[j - 1]; }
  std::vector<std::vector<int64_t>> words() const {
    std::vector<std::vector<int64_t>> out;
    for (const auto& w : w_) {
      out.emplace_back();
      for (V v : w) out.back().push_back(num_.word(v));
    }
    return out;
  }

 private:
  const EdgeNet& net_;
  const EdgeShape& s_;
  Num num_;
  std::vector<std::vector<V>> w_;
  std::vector<InFlight<V>> ring_;
};

// A training run's driver, the same for the per-edge model and for blocks run by a unit: the epochs' seeded
// orders, the inputs entering, the schedule's blocks in order, the scoring after each epoch
template <class Num>
class Session {
 public:
  using V = typename Num::V;
  Session(const Config& cfg, const EdgeNet& net, const Num& num, const Samples& train, const Samples& test)
      : cfg_(cfg), s_(net.shape), train_(train), test_(test), mc(cfg, net, num) {
    out.initial = mc.words();
    const int L = s_.layers;
    scratch_.a.resize(L), scratch_.s.resize(L), scratch_.delta.resize(L);
    for (int l = 0; l < L; ++l)
      scratch_.a[l].assign(s_.n[l], V{}), scratch_.s[l].assign(s_.n[l], V{}), scratch_.delta[l].assign(s_.n[l], V{});
  }

  // the output layer of input m is done: its training score
  void scored(int64_t m) { correct_ += mc.score(mc.slot(m), &loss_) == mc.slot(m).label; }

  // block(index, j, ff, up): junction j's block with the FF of input ff and the BP and UP of input up (−1: none)
  template <class Block>
  EdgeTrainResult drive(Block&& block) {
    const int L = s_.layers;
    const int64_t count = train_.count, total = count * cfg_.training.epochs;
    int64_t index = 0;
    if (count == 0) {  // inference: the test set with the first weights
      evaluate();
    } else if (cfg_.schedule.kind == ScheduleKind::kBaseline) {
      for (int64_t m = 0; m < total; ++m) {
        if ((m & 63) == 0) stop_if_interrupted();
        enter(m);
        for (int j = 1; j < L; ++j) block(index++, j, m, int64_t{-1});
        for (int j = L - 1; j >= 1; --j) block(index++, j, int64_t{-1}, m);
        if ((m + 1) % count == 0) evaluate();
      }
    } else {  // pipelined: block b, junction j: FF of input b − j, BP and UP of input b − (2L − 1 − j)
      for (int64_t b = 0; b < total + 2 * L - 2; ++b) {
        if ((b & 63) == 0) stop_if_interrupted();
        for (int j = 1; j < L; ++j) {
          const int64_t ff = b - j, up = b - (2 * L - 1 - j);
          const bool f = ff >= 0 && ff < total, u = up >= 0 && up < total;
          if (f || u) block(index++, j, f ? ff : -1, u ? up : -1);
        }
        if (b < total) enter(b);  // the next input enters: its slot is free (its last user finished above)
        // an epoch ends when its last input's last update (junction 1) is done
        const int64_t last = b - (2 * L - 2);
        if (last >= 0 && last < total && (last + 1) % count == 0) evaluate();
      }
    }
    out.weights = mc.words();
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const auto& w : out.weights) h = fnv1a(w.data(), w.size() * sizeof(int64_t), h);
    out.weights_fnv1a = h;
    return out;
  }

  // (declared after the data the constructor reads first)
 private:
  void evaluate() {
    const int64_t count = train_.count;
    int64_t right = 0;
    for (int64_t i = 0; i < test_.count; ++i) {
      if ((i & 255) == 0) stop_if_interrupted();
      right += mc.predict(test_, i, scratch_, nullptr) == test_.labels[i];
    }
    out.test_accuracy.push_back(test_.count ? static_cast<double>(right) / static_cast<double>(test_.count) : 0.0);
    out.train_accuracy.push_back(count ? static_cast<double>(correct_) / static_cast<double>(count) : 0.0);
    out.train_loss.push_back(count ? loss_ / static_cast<double>(count) : 0.0);
    correct_ = 0, loss_ = 0;
  }
  // each epoch's order: a seeded shuffle
  void enter(int64_t m) {
    const int64_t count = train_.count;
    if (m % count == 0) {
      order_.resize(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) order_[i] = i;
      Rng rng(static_cast<uint64_t>(cfg_.training.seed) * 1000003 + static_cast<uint64_t>(m / count) + 1);
      for (int64_t i = count - 1; i > 0; --i) std::swap(order_[i], order_[rng.next() % static_cast<uint64_t>(i + 1)]);
    }
    mc.load(mc.slot(m), train_, order_[static_cast<size_t>(m % count)]);
  }

  const Config& cfg_;
  const EdgeShape& s_;
  const Samples &train_, &test_;
  std::vector<int64_t> order_;
  InFlight<V> scratch_;
  int64_t correct_ = 0;
  double loss_ = 0;

 public:
  Machine<Num> mc;
  EdgeTrainResult out;
};

template <class Num>
EdgeTrainResult train_with(const Config& cfg, const EdgeNet& net, const Samples& train, const Samples& test,
                           const Num& num) {
  Session<Num> ss(cfg, net, num, train, test);
  const int L = net.shape.layers;
  return ss.drive([&](int64_t, int j, int64_t ff, int64_t up) {
    if (ff >= 0) {
      ss.mc.ff(ss.mc.slot(ff), j);
      if (j == L - 1) ss.scored(ff);
    }
    if (up >= 0) ss.mc.bp_up(ss.mc.slot(up), j);
  });
}

// the same training in fixed point, each junction's block of work run by `unit` (the block model, the RTL, or
// both) on the memories the block touches
EdgeTrainResult train_blocks(const Config& cfg, const EdgeNet& net, const Samples& train, const Samples& test,
                             const EdgeFixed& num, const EdgeBlockUnit& unit) {
  const EdgeShape& s = net.shape;
  Session<EdgeFixed> ss(cfg, net, num, train, test);
  auto& mc = ss.mc;
  const int L = s.layers;
  return ss.drive([&](int64_t index, int j, int64_t ff, int64_t up) {
    EdgeBlock b;
    b.z = s.z[j - 1], b.fi = s.fi[j - 1], b.rows = s.c, b.dl = s.n[j - 1] / b.z, b.kshift = num.k;
    b.start = net.start[j - 1];
    b.ff = ff >= 0, b.up = up >= 0, b.bp = up >= 0 && s.bp(j), b.last = j + 1 == L;
    EdgeMem m;
    m.w = mc.weights(j);
    const size_t nl = static_cast<size_t>(s.n[j - 1]), nr = static_cast<size_t>(s.n[j]);
    m.a_ff = b.ff ? mc.slot(ff).a[j - 1] : std::vector<int64_t>(nl, 0);
    m.a_up = b.up ? mc.slot(up).a[j - 1] : std::vector<int64_t>(nl, 0);
    m.sp = b.bp ? mc.slot(up).s[j - 1] : std::vector<int64_t>(nl, 0);
    m.pd.assign(nl, 0);
    m.dr = b.up ? mc.slot(up).delta[j] : std::vector<int64_t>(nr, 0);
    m.out_a.assign(nr, 0), m.out_sp.assign(nr, 0), m.out_delta.assign(nr, 0);
    b.label = b.ff && b.last ? mc.slot(ff).label : -1;
    unit(index, j, b, m);
    if (b.up) mc.weights(j) = m.w;
    if (b.bp) mc.slot(up).delta[j - 1] = m.pd;
    if (b.ff) {
      auto& f = mc.slot(ff);
      f.a[j] = m.out_a, f.s[j] = m.out_sp;
      if (b.last) {
        f.delta[j] = m.out_delta;
        ss.scored(ff);
      }
    }
  });
}

}  // namespace

SigmoidLut sigmoid_lut(int data_bits, int frac_bits) {
  SigmoidLut t;
  const int64_t n = int64_t{1} << data_bits, top = (int64_t{1} << frac_bits) - 1;
  for (int64_t i = 0; i < n; ++i) {
    const double s = std::ldexp(static_cast<double>(i - n / 2), -frac_bits);
    const double sg = 1.0 / (1.0 + std::exp(-s));
    t.a.push_back(static_cast<int32_t>(std::min<int64_t>(std::llround(std::ldexp(sg, frac_bits)), top)));
    t.da.push_back(static_cast<int32_t>(std::llround(std::ldexp(sg * (1 - sg), frac_bits))));
  }
  return t;
}

EdgeNet edge_net(const Config& cfg, const EdgeShape& s) {
  EdgeNet net;
  net.shape = s;
  Rng rng(static_cast<uint64_t>(cfg.training.seed) ^ 0x5eedULL);
  const bool seeded = cfg.accelerator.edge.interleaver.start == InterleaverStart::kSeeded;
  for (int j = 1; j <= s.junctions(); ++j) {
    const int64_t z = s.z[j - 1], nl = s.n[j - 1], d = nl / z, rows = s.w[j - 1] / z, fi = s.fi[j - 1];
    std::vector<int32_t> left(static_cast<size_t>(s.w[j - 1])), right(left.size());
    std::vector<int64_t> start(static_cast<size_t>(z), 0);
    net.start.emplace_back();
    for (int64_t r = 0; r < rows; ++r) {
      if (r % d == 0 && seeded)  // a new pass over the left layer: a new start vector
        for (auto& v : start) v = static_cast<int64_t>(rng.next() % static_cast<uint64_t>(d));
      if (r % d == 0) net.start.back().push_back(start);
      for (int64_t t = 0; t < z; ++t) {
        const int64_t e = r * z + t;
        left[e] = static_cast<int32_t>(((r % d + start[t]) % d) * z + t);
        right[e] = static_cast<int32_t>(e / fi);
      }
    }
    net.left.push_back(std::move(left));
    net.right.push_back(std::move(right));
  }
  return net;
}

EdgeTrainResult edge_train(const Config& cfg, const EdgeNet& net, const Samples& train, const Samples& test) {
  const auto& nu = cfg.accelerator.numerics;
  const int k = static_cast<int>(std::llround(-std::log2(cfg.training.learning_rate)));
  if (cfg.is_float()) return train_with(cfg, net, train, test, Float{static_cast<float>(cfg.training.learning_rate)});
  EdgeFixed fx{nu.data_bits, nu.frac_bits, k, sigmoid_lut(nu.data_bits, nu.frac_bits), cfg.accelerator.edge.input_bits};
  return train_with(cfg, net, train, test, fx);
}

}  // namespace systrain

namespace systrain {

EdgeTrainResult edge_train_blocks(const Config& cfg, const EdgeNet& net, const Samples& train, const Samples& test,
                                  const EdgeBlockUnit& unit) {
  const auto& nu = cfg.accelerator.numerics;
  const int k = static_cast<int>(std::llround(-std::log2(cfg.training.learning_rate)));
  EdgeFixed fx{nu.data_bits, nu.frac_bits, k, sigmoid_lut(nu.data_bits, nu.frac_bits), cfg.accelerator.edge.input_bits};
  return train_blocks(cfg, net, train, test, fx, unit);
}

}  // namespace systrain
