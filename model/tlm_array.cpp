#include <algorithm>

#include "array_model.h"

namespace systrain {
namespace {

// below this many MACs a tile is cheaper on one thread than to fork for
constexpr int64_t kParallelMacs = 1 << 16;

// Fixed point: sums are taken modulo 2^64 and wrapped to acc_bits once per
// result; the RTL wraps after every MAC, and wrapping is a ring
// homomorphism, so the result is the same word.
struct FixedArith {
  using Acc = uint64_t;
  const Numerics& n;
  Acc in(int64_t w) const { return static_cast<uint64_t>(w); }
  int64_t raw(Acc a) const { return wrap(static_cast<int64_t>(a), n.acc_bits); }
  int64_t fin(Acc a, int shift, bool relu) const { return requant(raw(a), shift, n.data_bits, relu); }
  int64_t update(int64_t w, Acc g, const Tile& t) const {
    return sgd_update(w, requant(raw(g), t.g_shift, n.data_bits, false), t.lr, t.upd_shift, n.data_bits);
  }
};

// float32: every sum in float, in a fixed order (rows in parallel, each
// reduction sequential), so the result does not depend on the thread count.
struct FloatArith {
  using Acc = float;
  float lr;
  Acc in(int64_t w) const { return w2f(w); }
  int64_t raw(Acc a) const { return f2w(a); }
  int64_t fin(Acc a, int, bool relu) const { return f2w(relu && a < 0 ? 0.0f : a); }
  int64_t update(int64_t w, Acc g, const Tile&) const { return f2w(w2f(w) - lr * g); }
};

template <class Ar>
std::vector<typename Ar::Acc> convert(const Ar& ar, const std::vector<int64_t>& v) {
  std::vector<typename Ar::Acc> o(v.size());
  for (size_t i = 0; i < v.size(); ++i) o[i] = ar.in(v[i]);
  return o;
}

}  // namespace

template <class Ar>
void tile_values(const Ar& ar, const Tile& t, const std::vector<int64_t>& left_w, const std::vector<int64_t>& top_w,
                 const std::vector<int64_t>& w_w, const std::vector<int64_t>& p_w, std::vector<int64_t>& out,
                 std::vector<int64_t>& wb) {
  using Acc = typename Ar::Acc;
  const auto left = convert(ar, left_w), top = convert(ar, top_w), w = convert(ar, w_w), p = convert(ar, p_w);
  const int64_t ru = t.ru, cu = t.cu, xu = t.xu, L = t.len;
  switch (t.mode) {
    case Mode::kWs:  // left [L][ru], w [ru][cu], p/out [L][cu]
#pragma omp parallel for schedule(static) if (L * ru * cu >= kParallelMacs)
      for (int64_t m = 0; m < L; ++m) {
        std::vector<Acc> acc(cu);
        for (int64_t c = 0; c < cu; ++c) acc[c] = t.first ? Acc{} : p[m * cu + c];
        for (int64_t r = 0; r < ru; ++r) {
          const Acc xv = left[m * ru + r];
          const Acc* wr = &w[r * cu];
          for (int64_t c = 0; c < cu; ++c) acc[c] += xv * wr[c];
        }
        for (int64_t c = 0; c < cu; ++c) out[m * cu + c] = t.last ? ar.fin(acc[c], t.shift, t.relu) : ar.raw(acc[c]);
      }
      break;
    case Mode::kOs:  // left [L][ru], top [L][cu], out [ru][cu]
#pragma omp parallel for schedule(static) if (L * ru * cu >= kParallelMacs)
      for (int64_t r = 0; r < ru; ++r) {
        std::vector<Acc> acc(cu);
        for (int64_t j = 0; j < L; ++j) {
          const Acc xv = left[j * ru + r];
          const Acc* tr = &top[j * cu];
          for (int64_t c = 0; c < cu; ++c) acc[c] += xv * tr[c];
        }
        for (int64_t c = 0; c < cu; ++c) out[r * cu + c] = ar.fin(acc[c], t.shift, t.relu);
      }
      break;
    case Mode::kAg:
    case Mode::kIl:  // w [ru][cu], top = dY [L][cu], p/out [L][xu], left = X [L][ru]
      if (t.ag) {
#pragma omp parallel for schedule(static) if (L * xu * cu >= kParallelMacs)
        for (int64_t m = 0; m < L; ++m)
          for (int64_t r = 0; r < xu; ++r) {
            Acc acc = t.first ? Acc{} : p[m * xu + r];
            const Acc* dy = &top[m * cu];
            const Acc* wr = &w[r * cu];
            for (int64_t c = 0; c < cu; ++c) acc += dy[c] * wr[c];
            out[m * xu + r] = t.last ? ar.fin(acc, t.shift, false) : ar.raw(acc);
          }
      }
      if (t.mode == Mode::kIl) {  // G = Xᵀ·dY, then the update of the block
#pragma omp parallel for schedule(static) if (L * ru * cu >= kParallelMacs)
        for (int64_t r = 0; r < ru; ++r) {
          std::vector<Acc> g(cu);
          for (int64_t j = 0; j < L; ++j) {
            const Acc xv = left[j * ru + r];
            const Acc* dy = &top[j * cu];
            for (int64_t c = 0; c < cu; ++c) g[c] += xv * dy[c];
          }
          for (int64_t c = 0; c < cu; ++c) wb[r * cu + c] = ar.update(w_w[r * cu + c], g[c], t);
        }
      }
      break;
  }
}

TileRun TlmArray::run_tile(const Tile& t, MemoryPort& mem, int64_t /*start_cycle*/, bool record_events) {
  TileRun run;
  run.phase_cycles = tile_phases(t, shape_);
  for (int64_t v : run.phase_cycles) run.cycles += v;
  if (record_events) {
    run.events = tile_events(t, shape_);
    run.phases.resize(run.cycles);
    for (int64_t c = 0; c < run.cycles; ++c) run.phases[c] = static_cast<uint8_t>(phase_at(t, shape_, c));
  }
  const int64_t L = t.len, ru = t.ru, cu = t.cu, xu = t.xu;
  const bool il = t.mode == Mode::kIl, os = t.mode == Mode::kOs;
  // the operand blocks of the tile, in the order the ports first use them
  const int64_t out_rows = os ? ru : L, out_lanes = t.mode == Mode::kWs || os ? cu : xu;
  const bool writes_out = t.mode != Mode::kIl || t.ag;
  auto io = [&](const Mat& m, int64_t rows, int64_t lanes, bool write, std::vector<int64_t>& buf) {
    const Access2D a = m.block(rows, lanes);
    if (!functional_) {
      write ? mem.write(a, m.op, nullptr) : mem.read(a, m.op, nullptr);
      return;
    }
    if (write) {
      mem.write(a, m.op, buf.data());
    } else {
      buf.resize(a.elements());
      mem.read(a, m.op, buf.data());
    }
  };
  if (t.loads()) io(t.io.load, ru, cu, false, w_);
  if (!functional_) {
    if (t.mode != Mode::kWs) io(t.io.top, L, cu, false, top_);
    if (t.mode != Mode::kAg) io(t.io.left, L, ru, false, left_);
    if (t.reads_psum()) io(t.io.psum, L, out_lanes, false, p_);
    if (writes_out) io(t.io.out, out_rows, out_lanes, true, out_);
    if (il) io(t.io.wb, ru, cu, true, out_);
    return run;
  }
  top_.clear(), left_.clear(), p_.clear();
  if (t.mode != Mode::kWs) io(t.io.top, L, cu, false, top_);
  if (t.mode != Mode::kAg) io(t.io.left, L, ru, false, left_);
  if (t.reads_psum()) io(t.io.psum, L, out_lanes, false, p_);
  out_.assign(out_rows * out_lanes, 0);
  wb_.assign(il ? ru * cu : 0, 0);
  if (num_.is_float) tile_values(FloatArith{lr_}, t, left_, top_, w_, p_, out_, wb_);
  else tile_values(FixedArith{num_}, t, left_, top_, w_, p_, out_, wb_);
  if (writes_out) io(t.io.out, out_rows, out_lanes, true, out_);
  if (il) io(t.io.wb, ru, cu, true, wb_);
  return run;
}

}  // namespace systrain
