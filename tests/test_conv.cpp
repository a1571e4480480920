// Conv networks (model/workload/workload.h): one training step of a small CNN through
// the model (the array's GEMMs on the TLM array, im2col, col2im, maxpool and
// flatten in the vector unit) against an independent reference: direct
// convolution loops in double precision, on PyTorch's [B, C, H, W] and
// [F, C, kh, kw] layouts, never an im2col.
#include <doctest/doctest.h>

#include <cmath>
#include <fmt/format.h>

#include <map>

#include "array_model.h"
#include "dataset.h"
#include "vector_unit.h"

using namespace systrain;

namespace {

LayerConfig conv(int filters, int kernel, int stride, int padding, bool relu, bool bias) {
  LayerConfig l;
  l.type = LayerType::kConv2d;
  l.filters = filters, l.kernel = kernel, l.stride = stride, l.padding = padding, l.bias = bias;
  l.activation = relu ? Activation::kRelu : Activation::kNone;
  return l;
}
LayerConfig pool(int size, int stride = 0, int padding = 0) {
  LayerConfig l;
  l.type = LayerType::kMaxpool;
  l.size = size, l.pool_stride = stride, l.pool_padding = padding;
  return l;
}
LayerConfig flatten() {
  LayerConfig l;
  l.type = LayerType::kFlatten;
  return l;
}
LayerConfig dense(int units, bool relu, bool bias) {
  LayerConfig l;
  l.units = units, l.bias = bias;
  l.activation = relu ? Activation::kRelu : Activation::kNone;
  return l;
}

// A tensor of the reference: dims and values (row-major)
struct T {
  std::vector<int64_t> d;
  std::vector<double> v;
  explicit T(std::vector<int64_t> dims = {}) : d(std::move(dims)) {
    int64_t n = 1;
    for (auto x : d) n *= x;
    v.assign(n, 0.0);
  }
  int64_t index(int64_t a, int64_t b, int64_t c, int64_t e) const {
    return ((a * (d.size() > 1 ? d[1] : 1) + b) * (d.size() > 2 ? d[2] : 1) + c) * (d.size() > 3 ? d[3] : 1) + e;
  }
  double& at(int64_t a, int64_t b, int64_t c = 0, int64_t e = 0) { return v[index(a, b, c, e)]; }
  double at(int64_t a, int64_t b, int64_t c = 0, int64_t e = 0) const { return v[index(a, b, c, e)]; }
};

struct Step {
  Config cfg;
  Workload w;
  StepLayout l;
  Numerics num;
  StepNumerics sn;
  Memory mem{1};
  int64_t m = 3;
  std::vector<uint8_t> labels;
  std::map<int, std::vector<double>> dw;  // per layer, [kw][n], as the WG pass wrote it
  std::vector<std::vector<double>> w0;    // per layer, [kw][n], before the step

  Step(std::vector<int> input, std::vector<LayerConfig> layers, bool interleaved = false) {
    cfg.network.input_shape = input;
    cfg.network.layers = layers;
    cfg.training.dataset = Dataset::kSynthetic;
    cfg.training.batch = static_cast<int>(m);
    cfg.training.learning_rate = 0.125;
    cfg.accelerator.array.rows = 3, cfg.accelerator.array.cols = 5;
    cfg.accelerator.numerics.kind = NumericsKind::kFloat32;
    cfg.schedule.kind = interleaved ? ScheduleKind::kInterleaved : ScheduleKind::kBaseline;
    w = build_workload(cfg);
    l = step_layout(w, m);
    num.is_float = true;
    sn = step_numerics(cfg);
    for (int b = 0; b < int(Buffer::kCount); ++b) mem.buffer(Buffer(b)).assign(l.words[b], f2w(0.0f));
    Rng rng(7);
    auto& wt = mem.buffer(Buffer::kWeights);
    for (size_t i = 0; i < w.layers.size(); ++i) {
      const auto& p = w.layers[i];
      w0.emplace_back(p.kw() * p.n);
      for (int64_t r = 0; r < p.kw(); ++r)
        for (int64_t c = 0; c < p.n; ++c) {
          const float v = static_cast<float>(rng.uniform() - 0.5);
          wt[l.w[i].at(r, c)] = f2w(v);
          w0[i][r * p.n + c] = v;
        }
      if (p.bias)
        for (int64_t r = 0; r < p.gemm_rows(m); ++r) mem.buffer(Buffer::kActivations)[l.x[i].at(r, p.k)] = f2w(1.0f);
    }
    // the input batch, NHWC
    const ImageShape in = w.input;
    for (int64_t b = 0; b < m; ++b)
      for (int64_t px = 0; px < in.pixels(); ++px)
        for (int64_t c = 0; c < in.c; ++c)
          mem.buffer(Buffer::kActivations)[l.input.at(b * in.pixels() + px, c)] = f2w(static_cast<float>(rng.uniform()));
    labels = {1, 0, 2};
  }

  void run() {
    TlmArray array({cfg.accelerator.array.rows, cfg.accelerator.array.cols, 1}, num, true,
                   static_cast<float>(cfg.training.learning_rate));
    for (const StepOp& op : step_ops(cfg, w, l, m)) {
      if (op.array) {
        for (const Tile& t : tile_pass(op.pass, {cfg.accelerator.array.rows, cfg.accelerator.array.cols, 1}, 1))
          array.run(t, mem, 0, false);
        if (op.writes_dw()) {
          const auto& p = w.layers[op.layer];
          auto& d = dw[op.layer];
          for (int64_t r = 0; r < p.kw(); ++r)
            for (int64_t c = 0; c < p.n; ++c) d.push_back(w2f(mem.buffer(Buffer::kGradients)[l.dws[op.layer].at(r, c)]));
        }
      } else {
        run_vector(op.vector, mem, w, l, op.layer, m, num, sn, static_cast<float>(cfg.training.learning_rate),
                   labels.data(), true, op.sub);
      }
    }
  }
  double value(const Mat& mat, int64_t i, int64_t j) const { return w2f(mem.buffer(mat.buf)[mat.at(i, j)]); }
};

// The reference: the same network and data in double precision, layer by
// layer on [B, C, H, W] tensors.
struct Reference {
  struct Layer {
    LayerConfig lc;
    T in, out;          // the layer's input and output (after its activation)
    T wt;               // conv: [F, C, kh, kw]; dense: [K, N]
    std::vector<double> bias;
    T dout, din;        // gradients at its output (after the activation's derivative) and input
    T dwt;
    std::vector<double> dbias;
  };
  std::vector<Layer> layers;
  T logits, dlogits;

  Reference(const Step& s) {
    const auto& wl = s.w.layers;
    const ImageShape in = s.w.input;
    T x({s.m, in.c, in.h, in.w});
    for (int64_t b = 0; b < s.m; ++b)
      for (int64_t c = 0; c < in.c; ++c)
        for (int64_t px = 0; px < in.pixels(); ++px) x.at(b, c, px / in.w, px % in.w) = s.value(s.l.input, b * in.pixels() + px, c);
    int g = 0;  // GEMM layer
    for (const auto& lc : s.cfg.network.layers) {
      Layer L;
      L.lc = lc;
      L.in = x;
      const int64_t B = s.m;
      if (lc.type == LayerType::kConv2d) {
        const auto& p = wl[g];
        const int64_t C = x.d[1], H = x.d[2], W = x.d[3], F = lc.filters, k = lc.kernel, kw = lc.kw();
        const int64_t OH = (H + lc.pad_top() + lc.pad_bottom() - k) / lc.stride + 1,
                      OW = (W + lc.pad_left() + lc.pad_right() - kw) / lc.sw() + 1;
        L.wt = T({F, C, k, kw});
        for (int64_t f = 0; f < F; ++f)
          for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < k; ++i)
              for (int64_t j = 0; j < kw; ++j) L.wt.at(f, c, i, j) = s.w0[g][((c * k + i) * kw + j) * p.n + f];
        for (int64_t f = 0; f < F; ++f) L.bias.push_back(p.bias ? s.w0[g][p.k * p.n + f] : 0.0);
        T y({B, F, OH, OW});
        for (int64_t b = 0; b < B; ++b)
          for (int64_t f = 0; f < F; ++f)
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow) {
                double acc = L.bias[f];
                for (int64_t c = 0; c < C; ++c)
                  for (int64_t i = 0; i < k; ++i)
                    for (int64_t j = 0; j < kw; ++j) {
                      const int64_t ih = oh * lc.stride - lc.pad_top() + i, iw = ow * lc.sw() - lc.pad_left() + j;
                      if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += x.at(b, c, ih, iw) * L.wt.at(f, c, i, j);
                    }
                y.at(b, f, oh, ow) = lc.activation == Activation::kRelu ? std::max(0.0, acc) : acc;
              }
        x = y, ++g;
      } else if (lc.type == LayerType::kMaxpool) {
        const int64_t sz = lc.size, st = lc.pool_step(), pd = lc.pool_padding;
        T y({B, x.d[1], (x.d[2] + 2 * pd - sz) / st + 1, (x.d[3] + 2 * pd - sz) / st + 1});
        for (int64_t b = 0; b < B; ++b)
          for (int64_t c = 0; c < x.d[1]; ++c)
            for (int64_t oh = 0; oh < y.d[2]; ++oh)
              for (int64_t ow = 0; ow < y.d[3]; ++ow) {
                double best = -1e300;
                for (int64_t i = 0; i < sz; ++i)
                  for (int64_t j = 0; j < sz; ++j) {
                    const int64_t ih = oh * st - pd + i, iw = ow * st - pd + j;
                    if (ih >= 0 && ih < x.d[2] && iw >= 0 && iw < x.d[3]) best = std::max(best, x.at(b, c, ih, iw));
                  }
                y.at(b, c, oh, ow) = best;
              }
        x = y;
      } else if (lc.type == LayerType::kFlatten) {
        T y({B, x.d[1] * x.d[2] * x.d[3]});
        y.v = x.v;  // [B, C, H, W] row-major is [B, C·H·W]
        x = y;
      } else {
        const auto& p = wl[g];
        const int64_t K = x.d[1], N = lc.units;
        L.wt = T({K, N});
        for (int64_t r = 0; r < K; ++r)
          for (int64_t c = 0; c < N; ++c) L.wt.at(r, c) = s.w0[g][r * N + c];
        for (int64_t c = 0; c < N; ++c) L.bias.push_back(p.bias ? s.w0[g][K * N + c] : 0.0);
        T y({B, N});
        for (int64_t b = 0; b < B; ++b)
          for (int64_t c = 0; c < N; ++c) {
            double acc = L.bias[c];
            for (int64_t r = 0; r < K; ++r) acc += x.at(b, r) * L.wt.at(r, c);
            y.at(b, c) = lc.activation == Activation::kRelu ? std::max(0.0, acc) : acc;
          }
        x = y, ++g;
      }
      L.out = x;
      layers.push_back(L);
    }
    logits = x;
    // softmax + cross-entropy, averaged over the batch
    dlogits = T(logits.d);
    for (int64_t b = 0; b < s.m; ++b) {
      const int64_t N = logits.d[1];
      double mx = -1e300, sum = 0;
      for (int64_t c = 0; c < N; ++c) mx = std::max(mx, logits.at(b, c));
      for (int64_t c = 0; c < N; ++c) sum += std::exp(logits.at(b, c) - mx);
      for (int64_t c = 0; c < N; ++c)
        dlogits.at(b, c) = (std::exp(logits.at(b, c) - mx) / sum - (c == s.labels[b] ? 1.0 : 0.0)) / double(s.m);
    }
    // backward
    T d = dlogits;
    for (int li = static_cast<int>(layers.size()) - 1; li >= 0; --li) {
      Layer& L = layers[li];
      const auto& lc = L.lc;
      const T& x_in = L.in;
      if (lc.activation == Activation::kRelu)
        for (size_t e = 0; e < d.v.size(); ++e)
          if (L.out.v[e] <= 0) d.v[e] = 0;
      L.dout = d;
      T dx(x_in.d);
      if (lc.type == LayerType::kConv2d) {
        const int64_t B = x_in.d[0], C = x_in.d[1], H = x_in.d[2], W = x_in.d[3], F = lc.filters, k = lc.kernel,
                      kw = lc.kw();
        const int64_t OH = d.d[2], OW = d.d[3];
        L.dwt = T(L.wt.d);
        L.dbias.assign(F, 0.0);
        for (int64_t b = 0; b < B; ++b)
          for (int64_t f = 0; f < F; ++f)
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow) {
                const double e = d.at(b, f, oh, ow);
                L.dbias[f] += e;
                for (int64_t c = 0; c < C; ++c)
                  for (int64_t i = 0; i < k; ++i)
                    for (int64_t j = 0; j < kw; ++j) {
                      const int64_t ih = oh * lc.stride - lc.pad_top() + i, iw = ow * lc.sw() - lc.pad_left() + j;
                      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                      L.dwt.at(f, c, i, j) += e * x_in.at(b, c, ih, iw);
                      dx.at(b, c, ih, iw) += e * L.wt.at(f, c, i, j);
                    }
              }
      } else if (lc.type == LayerType::kMaxpool) {
        const int64_t sz = lc.size, st = lc.pool_step(), pd = lc.pool_padding;
        for (int64_t b = 0; b < d.d[0]; ++b)
          for (int64_t c = 0; c < d.d[1]; ++c)
            for (int64_t oh = 0; oh < d.d[2]; ++oh)
              for (int64_t ow = 0; ow < d.d[3]; ++ow) {
                int64_t bi = -1, bj = -1;  // the first maximum inside the image, row-major, as PyTorch picks it
                for (int64_t i = 0; i < sz; ++i)
                  for (int64_t j = 0; j < sz; ++j) {
                    const int64_t ih = oh * st - pd + i, iw = ow * st - pd + j;
                    if (ih < 0 || ih >= x_in.d[2] || iw < 0 || iw >= x_in.d[3]) continue;
                    if (bi < 0 || x_in.at(b, c, ih, iw) > x_in.at(b, c, bi, bj)) bi = ih, bj = iw;
                  }
                dx.at(b, c, bi, bj) += d.at(b, c, oh, ow);  // overlapping windows add up
              }
      } else if (lc.type == LayerType::kFlatten) {
        dx.v = d.v;
      } else {
        const int64_t B = x_in.d[0], K = x_in.d[1], N = lc.units;
        L.dwt = T({K, N});
        L.dbias.assign(N, 0.0);
        for (int64_t b = 0; b < B; ++b)
          for (int64_t c = 0; c < N; ++c) {
            L.dbias[c] += d.at(b, c);
            for (int64_t r = 0; r < K; ++r) {
              L.dwt.at(r, c) += x_in.at(b, r) * d.at(b, c);
              dx.at(b, r) += d.at(b, c) * L.wt.at(r, c);
            }
          }
      }
      L.din = dx;
      d = dx;
    }
  }
};

void check_close(double got, double want, const std::string& what) {
  CAPTURE(what);
  CHECK(got == doctest::Approx(want).epsilon(1e-4).scale(1.0));
}

// The model's step against the reference: logits, every GEMM layer's dY (at
// its output, after the ReLU derivative) and dW (bias included).
void check_step(Step& s) {
  s.run();
  const Reference ref(s);
  const int L = static_cast<int>(s.w.layers.size());
  for (int64_t b = 0; b < s.m; ++b)
    for (int64_t c = 0; c < s.w.layers.back().n; ++c) check_close(s.value(s.l.logits, b, c), ref.logits.at(b, c), "logits");
  int g = L - 1;
  for (int li = static_cast<int>(ref.layers.size()) - 1; li >= 0; --li) {
    const auto& R = ref.layers[li];
    if (R.lc.type != LayerType::kConv2d && R.lc.type != LayerType::kDense) continue;
    const auto& p = s.w.layers[g];
    const auto& dw = s.dw.at(g);
    REQUIRE(dw.size() == static_cast<size_t>(p.kw() * p.n));
    if (p.conv) {
      const int64_t C = R.in.d[1], k = R.lc.kernel, kw = R.lc.kw();
      for (int64_t f = 0; f < p.n; ++f)
        for (int64_t c = 0; c < C; ++c)
          for (int64_t i = 0; i < k; ++i)
            for (int64_t j = 0; j < kw; ++j)
              check_close(dw[((c * k + i) * kw + j) * p.n + f], R.dwt.v[((f * C + c) * k + i) * kw + j],
                          fmt::format("layer {} dW[{}, {}, {}, {}]", g, f, c, i, j));
      const int64_t OH = R.dout.d[2], OW = R.dout.d[3];
      for (int64_t b = 0; b < s.m; ++b)
        for (int64_t f = 0; f < p.n; ++f)
          for (int64_t px = 0; px < OH * OW; ++px)
            check_close(s.value(s.l.dy[g], b * OH * OW + px, f), R.dout.v[((b * p.n + f) * OH * OW) + px],
                        fmt::format("layer {} dY", g));
    } else {
      for (int64_t r = 0; r < p.k; ++r)
        for (int64_t c = 0; c < p.n; ++c) check_close(dw[r * p.n + c], R.dwt.at(r, c), fmt::format("layer {} dW", g));
      for (int64_t b = 0; b < s.m; ++b)
        for (int64_t c = 0; c < p.n; ++c) check_close(s.value(s.l.dy[g], b, c), R.dout.at(b, c), fmt::format("layer {} dY", g));
    }
    if (p.bias)
      for (int64_t c = 0; c < p.n; ++c) check_close(dw[p.k * p.n + c], R.dbias[c], fmt::format("layer {} db", g));
    --g;
  }
}

}  // namespace

TEST_CASE("im2col and col2im count the taps inside the image; overlapping windows read more than the tensor holds") {
  Config cfg;
  cfg.network.input_shape = {2, 5, 4};
  cfg.network.layers = {conv(3, 3, 1, 1, false, false), flatten(), dense(2, false, false)};
  const Workload w = build_workload(cfg);
  const Prep& im = w.layers[0].prep[0];
  // brute force: taps of every output position inside the 5x4 image
  int64_t taps = 0;
  for (int oh = 0; oh < 5; ++oh)
    for (int ow = 0; ow < 4; ++ow)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) taps += oh - 1 + i >= 0 && oh - 1 + i < 5 && ow - 1 + j >= 0 && ow - 1 + j < 4;
  CHECK(im.reads_per_sample() == 2 * taps);
  CHECK(im.writes_per_sample() == 5 * 4 * 2 * 9);
  CHECK(im.reads_per_sample() > im.in.elements());  // col2im reads as many, more than dX has elements
  CHECK(w.layers[0].rows == 20);
  CHECK(w.layers[1].k == 3 * 5 * 4);
  CHECK(conv_out(7, 3, 2, 1) == 4);
  CHECK(conv_out(6, 3, 2, 1) == 3);
  CHECK(conv_out(2, 3, 1, 0) == 0);
}

TEST_CASE("a CNN step equals the direct-convolution reference: kernel 3 stride 2 pad 1, kernel 1, maxpool, flatten") {
  Step s({3, 7, 6}, {conv(5, 3, 2, 1, true, true), conv(4, 1, 1, 0, true, false), pool(2), flatten(), dense(3, false, true)});
  check_step(s);
}

TEST_CASE("a CNN step equals the direct-convolution reference: kernel 5 pad 2, pool, kernel 3 stride 2, interleaved") {
  Step s({2, 9, 8}, {conv(3, 5, 1, 2, true, false), pool(2), conv(2, 3, 2, 0, false, true), flatten(), dense(3, false, false)},
         true);
  // the interleaved schedule writes no dW: the update in the PEs applies it;
  // check it through the weights: W_after = W_before − η·dW
  s.run();
  const Reference ref(s);
  int g = static_cast<int>(s.w.layers.size()) - 1;
  for (int li = static_cast<int>(ref.layers.size()) - 1; li >= 0; --li) {
    const auto& R = ref.layers[li];
    if (R.lc.type != LayerType::kConv2d && R.lc.type != LayerType::kDense) continue;
    const auto& p = s.w.layers[g];
    for (int64_t r = 0; r < p.kw(); ++r)
      for (int64_t c = 0; c < p.n; ++c) {
        double want;
        if (r == p.k) want = R.dbias[c];
        else if (p.conv) {
          const int64_t C = R.in.d[1], k = R.lc.kernel, ch = r / (k * k), i = r / k % k, j = r % k;
          want = R.dwt.v[((c * C + ch) * k + i) * k + j];
        } else {
          want = R.dwt.at(r, c);
        }
        const double got = (s.w0[g][r * p.n + c] - s.value(s.l.w[g], r, c)) / s.cfg.training.learning_rate;
        CAPTURE(g);
        CAPTURE(r);
        CAPTURE(c);
        CHECK(got == doctest::Approx(want).epsilon(1e-3).scale(1.0));
      }
    --g;
  }
}

TEST_CASE("a CNN step: maxpool straight after the input image, then a conv") {
  Step s({1, 8, 8}, {pool(2), conv(3, 3, 1, 1, true, true), flatten(), dense(3, false, true)});
  check_step(s);
}

TEST_CASE("a CNN step: a non-square kernel, unequal strides and uneven padding (ONNX's Conv) equal the reference") {
  LayerConfig c1 = conv(3, 3, 2, 1, true, true);  // 3x2 kernel, strides (2, 1), pads top 1, left 0, bottom 2, right 1
  c1.kernel_w = 2, c1.stride_w = 1, c1.padding_left = 0, c1.padding_bottom = 2, c1.padding_right = 1;
  LayerConfig c2 = conv(2, 1, 1, 0, false, false);  // 1x3, padding only on the right
  c2.kernel_w = 3, c2.padding_right = 2;
  Step s({2, 7, 5}, {c1, c2, flatten(), dense(3, false, true)});
  const Prep& im = s.w.layers[0].prep[0];
  CHECK(im.out.h == (7 + 1 + 2 - 3) / 2 + 1);
  CHECK(im.out.w == (5 + 0 + 1 - 2) / 1 + 1);
  CHECK(s.w.layers[0].k == 2 * 3 * 2);
  // brute force: the taps inside the image
  int64_t taps = 0;
  for (int oh = 0; oh < im.out.h; ++oh)
    for (int ow = 0; ow < im.out.w; ++ow)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 2; ++j) taps += oh * 2 - 1 + i >= 0 && oh * 2 - 1 + i < 7 && ow + j >= 0 && ow + j < 5;
  CHECK(im.reads_per_sample() == 2 * taps);
  check_step(s);
}

TEST_CASE("a CNN step: overlapping and padded maxpools (3x3 stride 2 padding 1; 2x2 stride 1) equal the reference") {
  Step s({2, 9, 8}, {conv(3, 3, 1, 1, true, true), pool(3, 2, 1), conv(4, 3, 1, 1, true, false), pool(2, 1),
                     flatten(), dense(3, false, true)});
  const Prep& p1 = s.w.layers[1].prep[0];
  CHECK(p1.out.h == (9 + 2 - 3) / 2 + 1);
  CHECK(p1.out.w == (8 + 2 - 3) / 2 + 1);
  // the taps inside the image, by brute force
  int64_t taps = 0;
  for (int oh = 0; oh < p1.out.h; ++oh)
    for (int ow = 0; ow < p1.out.w; ++ow)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) taps += oh * 2 - 1 + i >= 0 && oh * 2 - 1 + i < 9 && ow * 2 - 1 + j >= 0 && ow * 2 - 1 + j < 8;
  CHECK(p1.reads_per_sample() == 3 * taps);
  check_step(s);
}
