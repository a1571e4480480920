#include <algorithm>

#include "array_model.h"

namespace systrain {
namespace {

// below this many MACs a tile is cheaper on one thread than to fork for
constexpr int64_t kParallelMacs = 1 << 16;
// the widest array (config schema: rows, cols <= 256): accumulators live on the stack
constexpr int64_t kMaxLanes = 256;

// Fixed point: sums are taken modulo 2^64 and wrapped to acc_bits once per
// result; the RTL wraps after every MAC, and wrapping is a ring
// homomorphism, so the result is the same word.
// Operands are data_bits <= 16 wide: held as int32, their products are exact
// in int64 (and vectorise as 32x32->64 multiplies).
struct FixedArith {
  using In = int32_t;
  using Acc = uint64_t;
  const Numerics& n;
  In in(int64_t w) const { return static_cast<int32_t>(w); }
  Acc acc(int64_t w) const { return static_cast<uint64_t>(w); }
  static Acc mul(In a, In b) { return static_cast<uint64_t>(static_cast<int64_t>(a) * b); }
  int64_t raw(Acc a) const { return wrap(static_cast<int64_t>(a), n.acc_bits); }
  int64_t fin(Acc a, int shift, bool relu) const { return requant(raw(a), shift, n.data_bits, relu); }
  int64_t update(int64_t w, Acc g, const Tile& t) const {
    return sgd_update(w, requant(raw(g), t.g_shift, n.data_bits, false), t.lr, t.upd_shift, n.data_bits);
  }
};

// float32: every sum in float, in a fixed order (rows in parallel, each
// reduction sequential), so the result does not depend on the thread count.
struct FloatArith {
  using In = float;
  using Acc = float;
  float lr;
  In in(int64_t w) const { return w2f(w); }
  Acc acc(int64_t w) const { return w2f(w); }
  static Acc mul(In a, In b) { return a * b; }
  int64_t raw(Acc a) const { return f2w(a); }
  int64_t fin(Acc a, int, bool relu) const { return f2w(relu && a < 0 ? 0.0f : a); }
  int64_t update(int64_t w, Acc g, const Tile&) const { return f2w(w2f(w) - lr * g); }
};

// Runs body(i) for i in [0, n): on the OpenMP threads when the tile is big
// enough to pay for waking them, else inline (an OpenMP region with a false
// `if` still costs a futex wake per tile).
template <class F>
void for_rows(int64_t n, bool parallel, const F& body) {
  if (parallel) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) body(i);
  } else {
    for (int64_t i = 0; i < n; ++i) body(i);
  }
}

// a block of memory words as operand (or accumulator) values, in a buffer kept between tiles
template <class T, class Conv>
const T* convert(const Conv& conv, const std::vector<int64_t>& v, std::vector<T>& buf) {
  buf.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) buf[i] = conv(v[i]);
  return buf.data();
}

// The MAC loops, compiled twice: for AVX2 (vectorised 32x32->64 multiplies)
// and for the baseline x86-64, chosen at load time by the CPU (ifunc).
template <class Ar, class Scratch>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void tile_values(const Ar& ar, const Tile& t, const std::vector<int64_t>& left_w, const std::vector<int64_t>& top_w,
                 const std::vector<int64_t>& w_w, const std::vector<int64_t>& p_w, std::vector<int64_t>& out,
                 std::vector<int64_t>& wb, Scratch& sc) {
  using Acc = typename Ar::Acc;
  using In = typename Ar::In;
  const auto in = [&](int64_t v) { return ar.in(v); };
  const In *left = convert(in, left_w, sc.left), *top = convert(in, top_w, sc.top), *w = convert(in, w_w, sc.w);
  const Acc* p = convert([&](int64_t v) { return ar.acc(v); }, p_w, sc.p);
  const int64_t ru = t.ru, cu = t.cu, xu = t.xu, L = t.len;
  switch (t.mode) {
    case Mode::kWs:  // left [L][ru], w [ru][cu], p/out [L][cu] (IS: the same on Wᵀ, Xᵀ, Yᵀ)
    case Mode::kIs:
      for_rows(L, L * ru * cu >= kParallelMacs, [&](int64_t m) {
        Acc acc[kMaxLanes];
        for (int64_t c = 0; c < cu; ++c) acc[c] = t.first ? Acc{} : p[m * cu + c];
        for (int64_t r = 0; r < ru; ++r) {
          const In xv = left[m * ru + r];
          const In* wr = &w[r * cu];
          for (int64_t c = 0; c < cu; ++c) acc[c] += Ar::mul(xv, wr[c]);
        }
        for (int64_t c = 0; c < cu; ++c) out[m * cu + c] = t.last ? ar.fin(acc[c], t.shift, t.relu) : ar.raw(acc[c]);
      });
      break;
    case Mode::kOs:  // left [L][ru], top [L][cu], out [ru][cu]
      for_rows(ru, L * ru * cu >= kParallelMacs, [&](int64_t r) {
        Acc acc[kMaxLanes];
        for (int64_t c = 0; c < cu; ++c) acc[c] = Acc{};
        for (int64_t j = 0; j < L; ++j) {
          const In xv = left[j * ru + r];
          const In* tr = &top[j * cu];
          for (int64_t c = 0; c < cu; ++c) acc[c] += Ar::mul(xv, tr[c]);
        }
        for (int64_t c = 0; c < cu; ++c) out[r * cu + c] = ar.fin(acc[c], t.shift, t.relu);
      });
      break;
    case Mode::kAg:
    case Mode::kIl:  // w [ru][cu], top = dY [L][cu], p/out [L][xu], left = X [L][ru]
      if (t.ag) {
        for_rows(L, L * xu * cu >= kParallelMacs, [&](int64_t m) {
          for (int64_t r = 0; r < xu; ++r) {
            Acc acc = t.first ? Acc{} : p[m * xu + r];
            const In* dy = &top[m * cu];
            const In* wr = &w[r * cu];
            for (int64_t c = 0; c < cu; ++c) acc += Ar::mul(dy[c], wr[c]);
            out[m * xu + r] = t.last ? ar.fin(acc, t.shift, false) : ar.raw(acc);
          }
        });
      }
      if (t.mode == Mode::kIl) {  // G = Xᵀ·dY, then the update of the block
        for_rows(ru, L * ru * cu >= kParallelMacs, [&](int64_t r) {
          Acc g[kMaxLanes];
          for (int64_t c = 0; c < cu; ++c) g[c] = Acc{};
          for (int64_t j = 0; j < L; ++j) {
            const In xv = left[j * ru + r];
            const In* dy = &top[j * cu];
            for (int64_t c = 0; c < cu; ++c) g[c] += Ar::mul(xv, dy[c]);
          }
          for (int64_t c = 0; c < cu; ++c) wb[r * cu + c] = ar.update(w_w[r * cu + c], g[c], t);
        });
      }
      break;
  }
}

}  // namespace

TileRun TlmArray::run(const Tile& t, MemoryPort& mem, int64_t /*start_cycle*/, bool record_events) {
  TileRun run;
  // the closed form's cycles, and the cycles the SRAM's limits freeze the
  // array (each before the logical cycle whose accesses it delays)
  const TileStalls stalls = tile_stalls(t, shape_, record_events);
  run.phase_cycles = tile_phases(t, shape_);
  int64_t logical = 0;
  for (int64_t v : run.phase_cycles) logical += v;
  for (int p = 0; p < int(Phase::kCount); ++p) run.phase_cycles[p] += stalls.by_phase[p];
  run.stall_cycles = stalls.total;
  run.cycles = logical + stalls.total;
  if (record_events) {
    std::vector<int64_t> at(static_cast<size_t>(logical));  // the physical cycle of each logical one
    for (int64_t c = 0, phys = 0; c < logical; ++c) {
      phys += stalls.per_cycle[c];
      at[c] = phys++;
      const auto ph = static_cast<uint8_t>(phase_at(t, shape_, c));
      for (int64_t k = 0; k <= stalls.per_cycle[c]; ++k) run.phases.push_back(ph);
    }
    run.events = tile_events(t, shape_);
    for (auto& e : run.events) e.cycle = at[e.cycle];
  }
  const int64_t L = t.len, ru = t.ru, cu = t.cu;
  const bool il = t.mode == Mode::kIl, os = t.mode == Mode::kOs;
  // the operand blocks of the tile, read in the order the ports first use
  // them; a timing-only run moves no values, only counts
  const int64_t out_rows = os ? ru : L, out_lanes = t.ws_like() || os ? cu : t.xu;
  auto read = [&](const Mat& m, int64_t rows, int64_t lanes, std::vector<int64_t>& buf) {
    const Access2D a = m.block(rows, lanes);
    buf.resize(functional_ ? a.elements() : 0);
    mem.read(a, m.op, functional_ ? buf.data() : nullptr);
  };
  auto write = [&](const Mat& m, int64_t rows, int64_t lanes, const std::vector<int64_t>& buf) {
    mem.write(m.block(rows, lanes), m.op, functional_ ? buf.data() : nullptr);
  };
  w_.clear(), top_.clear(), left_.clear(), p_.clear();
  if (t.loads()) read(t.io.load, ru, cu, w_);
  if (t.preloaded) w_.swap(shadow_);  // the block the previous tile read into the shadow registers
  if (t.pf_rows > 0) read(t.io.next_load, t.pf_rows, t.pf_cols, shadow_);
  if (!t.ws_like()) read(t.io.top, L, cu, top_);
  if (t.mode != Mode::kAg) read(t.io.left, L, ru, left_);
  if (t.reads_psum()) read(t.io.psum, L, out_lanes, p_);
  if (functional_) {
    out_.resize(out_rows * out_lanes);  // every word is written below
    wb_.resize(il ? ru * cu : 0);
    if (num_.is_float) tile_values(FloatArith{lr_}, t, left_, top_, w_, p_, out_, wb_, float_scratch_);
    else tile_values(FixedArith{num_}, t, left_, top_, w_, p_, out_, wb_, fixed_scratch_);
  }
  if (t.row_outputs() || os) write(t.io.out, out_rows, out_lanes, out_);
  if (il) write(t.io.wb, ru, cu, wb_);
  return run;
}

}  // namespace systrain
