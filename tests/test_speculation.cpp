// The speculative schedule's tables and vector-unit operations
// (model/train/speculation.h) against closed forms and against the array.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "array_model.h"
#include "dataset.h"
#include "speculation.h"

using namespace systrain;

namespace {

// a 5-4-3 MLP (ReLU, a bias on the first layer), batch 4, the speculative layout
struct Net {
  Config cfg;
  Workload w;
  StepLayout l;
  Numerics num;
  StepNumerics sn;
  Memory mem{2};
  Net() {
    cfg.network.input_shape = {5};
    LayerConfig a;
    a.units = 4, a.activation = Activation::kRelu, a.bias = true;
    LayerConfig b;
    b.units = 3;
    cfg.network.layers = {a, b};
    cfg.training.batch = 4;
    cfg.accelerator.array.rows = 4, cfg.accelerator.array.cols = 4;
    auto& nu = cfg.accelerator.numerics;
    nu.weight_frac_bits = 10, nu.error_frac_bits = 12, nu.gradient_frac_bits = 12;
    w = build_workload(cfg);
    l = step_layout(w, 4, 2, true);
    num = {nu.data_bits, nu.frac_bits, nu.acc_bits, false, nu.activation_frac(), nu.weight_frac(), nu.error_frac(),
           nu.gradient_frac()};
    sn = step_numerics(cfg);
    Rng rng(11);
    for (int b2 = 0; b2 < int(Buffer::kCount); ++b2) {
      auto& v = mem.buffer(Buffer(b2));
      v.assign(l.words[b2], 0);
      for (auto& x : v) x = static_cast<int64_t>(rng.next() % 2048) - 1024;
    }
  }
};

}  // namespace

TEST_CASE("cross-entropy of the stored distribution against the new output") {
  const double q[2] = {1, 0}, p[2] = {0.5, 0.5};
  CHECK(cross_entropy(q, p, 2) == doctest::Approx(std::log(2.0)));
  const double u[4] = {0.25, 0.25, 0.25, 0.25};
  CHECK(cross_entropy(u, u, 4) == doctest::Approx(std::log(4.0)));  // CE(q, q) is q's entropy
}

TEST_CASE("table sizes: gradient_reuse holds q and every layer's x and dy row; output_speculation q and packed masks") {
  Net n;
  SpecTables gr(n.w, SpecPolicy::kGradientReuse, 16), os(n.w, SpecPolicy::kOutputSpeculation, 16);
  CHECK(gr.classes == 3);
  CHECK(gr.words_per_label(n.w) == 3 + (6 + 4) + (4 + 3));
  CHECK(os.words_per_label(n.w) == 3 + 1);  // 4 mask bits of the hidden layer in one 16-bit word
  SpecTables os2(n.w, SpecPolicy::kOutputSpeculation, 2);
  CHECK(os2.words_per_label(n.w) == 3 + 2);  // 4 bits in 2-bit words
}

TEST_CASE("gradient_reuse loss: a label's first sample misses, a repeat within the threshold hits, misses pack") {
  Net n;
  SpecTables t(n.w, SpecPolicy::kGradientReuse, 16);
  StepState st;
  st.m = 4, st.labels = {1, 1, 2, 0};
  // samples 0 and 1 have the same logits; 2 and 3 others
  const int64_t logits[4][3] = {{256, 512, 0}, {256, 512, 0}, {0, -256, 300}, {100, 0, 0}};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) n.mem.buffer(Buffer::kActivations)[n.l.logits.at(i, j)] = logits[i][j];
  double p[3];
  softmax_row(logits[0], 3, n.num, p);
  double h = 0;
  for (double v : p) h -= v * std::log(v);  // CE(q, p) with q = p: the entropy (q is stored to 15 bits)
  const auto never = [](int64_t) { return false; };
  const SpecOpStats s = gr_loss(n.mem, n.w, n.l, n.num, t, h + 0.01, true, never, st);
  CHECK(st.hit == std::vector<uint8_t>{0, 1, 0, 0});
  CHECK(st.misses == std::vector<int64_t>{0, 2, 3});
  CHECK(s.table_reads == 12);
  CHECK(s.table_writes == 12);
  // the error rows of the misses are packed: row 1 is sample 2's (p - onehot)/m
  softmax_row(logits[2], 3, n.num, p);
  for (int j = 0; j < 3; ++j)
    CHECK(n.mem.buffer(Buffer::kGradients)[n.l.dy[1].at(1, j)] ==
          quantize((p[j] - (j == 2 ? 1.0 : 0.0)) / 4, n.num.fe, 16));
  // just below the entropy, the repeat misses too
  SpecTables t2(n.w, SpecPolicy::kGradientReuse, 16);
  gr_loss(n.mem, n.w, n.l, n.num, t2, h - 0.01, true, never, st);
  CHECK(st.hits() == 0);
}

TEST_CASE("gradient_reuse: applying a stored gradient h times equals the WG pass over h copies of its sample") {
  for (int h = 1; h <= 3; ++h) {
    CAPTURE(h);
    Net a, b;  // the same memories
    const int layer = 0, c = 2;
    const auto& p = a.w.layers[layer];
    SpecTables t(a.w, SpecPolicy::kGradientReuse, 16);
    Rng rng(5);
    std::vector<int64_t> x(p.kw()), dy(p.n);
    for (auto& v : x) v = static_cast<int64_t>(rng.next() % 512) - 256;
    for (auto& v : dy) v = static_cast<int64_t>(rng.next() % 512) - 256;
    std::copy(x.begin(), x.end(), t.gx[layer].begin() + c * p.kw());
    std::copy(dy.begin(), dy.end(), t.gdy[layer].begin() + c * p.n);
    t.has_g[c] = 1;
    // (a) the speculative update: a step of h hits of label c, no misses
    StepState st;
    st.m = h, st.labels.assign(h, c), st.hit.assign(h, 1);
    const SpecOpStats s = gr_update(a.mem, a.w, a.l, layer, st, t, a.num, a.sn, 0.f, true);
    CHECK(s.table_reads == p.kw() + p.n);
    CHECK(s.elements == p.kw() * p.n);
    // (b) the baseline: h copies of the sample through the array's WG pass, then the vector unit's update
    for (int r = 0; r < h; ++r)
      for (int64_t i = 0; i < p.kw(); ++i) b.mem.buffer(Buffer::kActivations)[b.l.x[layer].at(r, i)] = x[i];
    for (int r = 0; r < h; ++r)
      for (int64_t j = 0; j < p.n; ++j) b.mem.buffer(Buffer::kGradients)[b.l.dy[layer].at(r, j)] = dy[j];
    TlmArray array({4, 4, 2}, b.num, true);
    for (const Tile& tile : tile_pass(wg_pass(b.cfg, b.w, b.l, layer, h), {4, 4, 2}, 1))
      array.run(tile, b.mem, 0, false);
    run_vector(VectorKind::kUpdate, b.mem, b.w, b.l, layer, h, b.num, b.sn, 0.f, nullptr, true);
    CHECK(a.mem.buffer(Buffer::kWeights) == b.mem.buffer(Buffer::kWeights));
  }
}

TEST_CASE("gradient_reuse, float32: the update equals its terms summed one by one, zeros, -0 and infinities too") {
  // W -= lr·g, g[i][j] = dW[i][j] (with misses) + Σ over hit labels c, in order, of (h_c·x_c[i])·dy_c[j], each
  // product and sum a float32 rounding, computed here term by term with nothing left out. gr_update leaves
  // out a zero x's terms where that cannot change g (a dy row with no infinity or NaN, a dW row with no −0):
  // the x rows are half ±0, one label's dy row holds an infinity, some dW words are −0
  const float inf = std::numeric_limits<float>::infinity();
  for (int trial = 0; trial < 40; ++trial) {
    CAPTURE(trial);
    Net a;
    a.num.is_float = true;
    const int layer = 0;
    const auto& p = a.w.layers[layer];
    const int64_t kw = p.kw(), n = p.n;
    SpecTables t(a.w, SpecPolicy::kGradientReuse, 16);
    Rng rng(100 + trial);
    const auto real = [&] { return static_cast<float>(rng.uniform() * 2 - 1); };
    for (int c = 0; c < t.classes; ++c) {
      for (int64_t i = 0; i < kw; ++i) {  // (row 0: zero in every label, so that g can stay ±0)
        const uint64_t r = i == 0 ? rng.next() % 2 : rng.next() % 4;
        t.gx[layer][c * kw + i] = f2w(r == 0 ? 0.0f : r == 1 ? -0.0f : real());
      }
      for (int64_t j = 0; j < n; ++j) t.gdy[layer][c * n + j] = f2w(real());
      t.has_g[c] = 1;
    }
    if (trial % 2 == 0) t.gdy[layer][1 * n + rng.next() % n] = f2w(trial % 4 == 0 ? inf : -inf);
    StepState st;
    st.m = 4, st.labels = {1, 2, 1, 0}, st.hit = {1, 1, 1, 0};
    if (trial % 3 != 0) st.misses = {3};  // (a miss: dW is added)
    auto& wb = a.mem.buffer(a.l.w[layer].buf);
    auto& db = a.mem.buffer(a.l.dws[layer].buf);
    for (int64_t i = 0; i < kw; ++i)
      for (int64_t j = 0; j < n; ++j) {
        // (W ±0 in places: w − lr·(±0) keeps w's sign only so, which is where a −0 in g shows)
        const uint64_t rw = rng.next() % 4;
        wb[a.l.w[layer].at(i, j)] = f2w(rw == 0 ? 0.0f : rw == 1 ? -0.0f : real());
        db[a.l.dws[layer].at(i, j)] = f2w(rng.next() % 3 == 0 ? -0.0f : rng.next() % 5 == 0 ? 0.0f : real());
      }
    const float lr = 0.05f;
    std::vector<int64_t> want(kw * n);
    for (int64_t i = 0; i < kw; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float g = st.misses.empty() ? 0.0f : w2f(db[a.l.dws[layer].at(i, j)]);
        for (int c = 0; c < t.classes; ++c) {
          const int hits = static_cast<int>(std::count(st.labels.begin(), st.labels.end(), c) - (c == 0 ? 1 : 0));
          if (hits <= 0) continue;
          const float hx = static_cast<float>(hits) * w2f(t.gx[layer][c * kw + i]);
          g = g + hx * w2f(t.gdy[layer][c * n + j]);
        }
        want[i * n + j] = f2w(w2f(wb[a.l.w[layer].at(i, j)]) - lr * g);
      }
    gr_update(a.mem, a.w, a.l, layer, st, t, a.num, a.sn, lr, true);
    for (int64_t i = 0; i < kw; ++i)
      for (int64_t j = 0; j < n; ++j) {
        CAPTURE(i);
        CAPTURE(j);
        const int64_t got = wb[a.l.w[layer].at(i, j)];
        // a NaN may come out with either sign bit (which NaN an add keeps is open): compare NaNs as NaNs
        if (std::isnan(w2f(want[i * n + j]))) CHECK(std::isnan(w2f(got)));
        else CHECK(got == want[i * n + j]);
      }
  }
}

TEST_CASE("gradient_reuse refresh: each label keeps its last miss's rows; gather packs the misses' stash rows") {
  Net n;
  SpecTables t(n.w, SpecPolicy::kGradientReuse, 16);
  StepState st;
  st.m = 4, st.labels = {1, 2, 0, 1}, st.hit = {0, 1, 0, 0}, st.misses = {0, 2, 3};
  std::vector<int64_t> row3(n.w.layers[0].kw());
  for (int64_t i = 0; i < n.w.layers[0].kw(); ++i) row3[i] = n.mem.buffer(Buffer::kActivations)[n.l.x[0].at(3, i)];
  const SpecOpStats g = gr_gather(n.mem, n.w, n.l, st, true);
  CHECK(g.elements == 2 * (6 + 4));  // rows 2 and 3 move to 1 and 2, in both layers' stash
  for (int64_t i = 0; i < n.w.layers[0].kw(); ++i) CHECK(n.mem.buffer(Buffer::kActivations)[n.l.x[0].at(2, i)] == row3[i]);
  const SpecOpStats r = gr_refresh(n.mem, n.w, n.l, st, t, true);
  CHECK(r.table_writes == 2 * ((6 + 4) + (4 + 3)));  // labels 1 and 0
  CHECK(t.has_g == std::vector<uint8_t>{1, 1, 0});
  for (int64_t i = 0; i < n.w.layers[0].kw(); ++i) CHECK(t.gx[0][1 * 6 + i] == row3[i]);  // label 1: packed row 2
  for (int64_t j = 0; j < 3; ++j) CHECK(t.gdy[1][0 * 3 + j] == n.mem.buffer(Buffer::kGradients)[n.l.dy[1].at(1, j)]);
}

TEST_CASE("output_speculation: the speculative error comes from the stored q; verify refreshes q and the masks") {
  Net n;
  SpecTables t(n.w, SpecPolicy::kOutputSpeculation, 16);
  StepState st;
  st.m = 2, st.labels = {0, 2};
  // no q yet: uniform; dY = (1/3 − onehot)/m
  os_loss(n.mem, n.w, n.l, n.num, t, st, true);
  CHECK(n.mem.buffer(Buffer::kGradients)[n.l.dy[1].at(0, 0)] == quantize((1.0 / 3 - 1) / 2, n.num.fe, 16));
  CHECK(n.mem.buffer(Buffer::kGradients)[n.l.dy[1].at(1, 0)] == quantize((1.0 / 3) / 2, n.num.fe, 16));
  // the hidden layer's outputs: sample 1's units 0 and 3 positive
  const int64_t hid[2][4] = {{5, -1, 0, 7}, {3, -2, -3, 1}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) n.mem.buffer(Buffer::kActivations)[n.l.x[1].at(i, j)] = hid[i][j];
  const auto never = [](int64_t) { return false; };
  const SpecOpStats v = os_verify(n.mem, n.w, n.l, n.num, t, 0.5, true, never, st);
  CHECK(st.hits() == 0);  // nothing stored yet
  CHECK(v.table_writes == 2 * 3 + 2 * 1);
  CHECK(t.mask[0][2 * 4 + 0] == 1);
  CHECK(t.mask[0][2 * 4 + 1] == 0);
  CHECK(t.mask[0][2 * 4 + 2] == 0);
  CHECK(t.mask[0][2 * 4 + 3] == 1);
  // the speculative mask of layer 1's input uses label 2's stored mask
  for (int j = 0; j < 4; ++j) n.mem.buffer(Buffer::kGradients)[n.l.dy[0].at(1, j)] = 100 + j;
  os_mask(n.mem, n.w, n.l, 1, t, st, n.num, true);
  const int64_t expect[4] = {100, 0, 0, 103};
  for (int j = 0; j < 4; ++j) CHECK(n.mem.buffer(Buffer::kGradients)[n.l.dy[0].at(1, j)] == expect[j]);
}

TEST_CASE("the double-buffered layout: slots and engines do not overlap") {
  Net n;
  const StepLayout a = n.l.view(0, 0), b = n.l.view(1, 1);
  CHECK(b.x[0].base - a.x[0].base == n.l.act_slot_words);
  CHECK(b.dy[0].base - a.dy[0].base == n.l.grad_slot_words);
  CHECK(a.psum.base != b.psum.base);
  CHECK(b.psum.base >= a.psum.base + 4 * 6);  // batch × the widest row
  CHECK(n.l.dws[1].base == n.l.dws[0].base + 6 * 4);  // every layer's dW has its own place
  CHECK(n.l.words[int(Buffer::kGradients)] == n.l.dws[1].base + 4 * 3);
}

namespace {
// what the tables hold, in bytes, counted from their vectors as allocated
int64_t allocated_bytes(const SpecTables& t) {
  int64_t b = static_cast<int64_t>(t.has_q.size() + t.has_g.size() + 8 * t.q.size());
  for (size_t l = 0; l < t.gx.size(); ++l) {
    b += static_cast<int64_t>(8 * (t.gx[l].size() + t.gdy[l].size()) + t.mask[l].size());
    for (const auto& p : t.pool[l]) b += static_cast<int64_t>(8 * p.size());
  }
  return b;
}
}  // namespace

TEST_CASE("the memory estimate's per-label bytes are what the tables allocate (MLP and a CNN with a maxpool)") {
  Net n;
  Config cnn;
  cnn.network.input_shape = {8, 8, 2};
  LayerConfig c;
  c.type = LayerType::kConv2d, c.filters = 3, c.kernel = 3, c.padding = 1, c.activation = Activation::kRelu;
  LayerConfig p, f, d;
  p.type = LayerType::kMaxpool, p.size = 2;
  f.type = LayerType::kFlatten;
  d.units = 5;
  cnn.network.layers = {c, p, f, d};
  const Workload cw = build_workload(cnn);
  for (const Workload* w : {static_cast<const Workload*>(&n.w), &cw})
    for (SpecPolicy pol : {SpecPolicy::kGradientReuse, SpecPolicy::kOutputSpeculation}) {
      const SpecTables t(*w, pol, 16);
      CHECK(allocated_bytes(t) == t.classes * SpecTables::host_bytes_per_label(*w, pol));
    }
}

TEST_CASE("Memory::copy moves a block's words and counts a read and a write, as read then write would") {
  // the same blocks through copy and through read + write: the same words and counts, whether the blocks
  // are apart, meet (through a buffer), strided, in two buffers, or carry no values
  Rng rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    Memory a(2), b(2);
    for (Memory* m : {&a, &b}) {
      m->buffer(Buffer::kActivations).assign(400, 0);
      m->buffer(Buffer::kGradients).assign(400, 0);
    }
    for (int64_t i = 0; i < 400; ++i) {
      const int64_t v = static_cast<int64_t>(rng.next() % 1000);
      a.buffer(Buffer::kActivations)[i] = b.buffer(Buffer::kActivations)[i] = v;
      a.buffer(Buffer::kGradients)[i] = b.buffer(Buffer::kGradients)[i] = v + 1000;
    }
    const int64_t rows = 1 + static_cast<int64_t>(rng.next() % 5), cols = 1 + static_cast<int64_t>(rng.next() % 8);
    const auto block = [&] {
      Access2D x;
      x.buffer = rng.next() % 3 == 0 ? Buffer::kGradients : Buffer::kActivations;
      x.rows = rows, x.cols = cols;
      x.col_stride = rng.next() % 4 == 0 ? 2 : 1;
      x.row_stride = cols * x.col_stride + static_cast<int64_t>(rng.next() % 3);
      x.addr = static_cast<int64_t>(rng.next() % 120);  // (blocks often meet)
      return x;
    };
    const Access2D from = block(), to = block();
    const Operand op = rng.next() % 2 ? Operand::kX : Operand::kPsum;  // (a psum is two words a element)
    const bool values = rng.next() % 5 != 0;
    a.copy(from, to, op, values);
    std::vector<int64_t> w(static_cast<size_t>(rows * cols));
    b.read(from, op, values ? w.data() : nullptr);
    b.write(to, op, values ? w.data() : nullptr);
    CHECK(a.buffer(Buffer::kActivations) == b.buffer(Buffer::kActivations));
    CHECK(a.buffer(Buffer::kGradients) == b.buffer(Buffer::kGradients));
    CHECK(a.counts().total_reads() == b.counts().total_reads());
    CHECK(a.counts().total_writes() == b.counts().total_writes());
    CHECK(a.counts().operand_reads(op) == rows * cols * a.words_per_element(op));
  }
  Memory m(2);
  m.buffer(Buffer::kActivations).assign(10, 0);
  CHECK_THROWS_AS(m.copy({Buffer::kActivations, 0, 1, 4, 0, 1}, {Buffer::kActivations, 8, 1, 4, 0, 1}, Operand::kX, true),
                  std::out_of_range);
}
