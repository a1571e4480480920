#include "pass_values.h"

#include "clones.h"
#include "scratch.h"
#include "sgd_rows.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstring>
#include <type_traits>
#include <vector>

namespace systrain {
namespace {

// below this many MACs a GEMM stays on one thread: on the shipped MLP's
// passes (3.2 M MACs) two threads bought no wall time and doubled the CPU
// time, the idle thread spinning between passes (bench/RESULTS.md)
constexpr int64_t kParallelMacs = int64_t{1} << 24;
// The register block: kMr rows × kNr columns of C held in registers across
// k (AVX-512: 8 accumulators of 16 lanes; AVX2: 16 of 8), each B row shared
// by the kMr rows.
constexpr int64_t kMr = 8, kNr = 16;
constexpr int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
typedef float VF __attribute__((vector_size(64)));     // 16 floats

// the block's full tile of kMr × kNr in registers (AVX-512: one register a
// row; AVX2: two), over the terms ks[0..nk) in k order (float_terms)
SYSTRAIN_CLONES void block_f32(const float* A, const float* B, float* C, int64_t K, int64_t N, const int32_t* ks,
                               int64_t nk) {
  VF acc[kMr] = {};
  for (int64_t t = 0; t < nk; ++t) {
    const int64_t k = ks[t];
    VF b;
    std::memcpy(&b, B + k * N, sizeof b);
    // the scalar in every lane (GCC's vector-scalar product); a product, then a sum: each rounded
    for (int64_t i = 0; i < kMr; ++i) acc[i] += A[i * K + k] * b;
  }
  for (int64_t i = 0; i < kMr; ++i) std::memcpy(C + i * N, &acc[i], sizeof acc[i]);
}

// float32: the terms k a block of kMr rows of A must take, in order. A term
// whose kMr A values are all ±0, against a row of B with no infinity or NaN,
// changes no sum: each product is ±0, and a sum that starts at +0 is never
// −0 (a sum is −0 only when both its addends are), so adding ±0 leaves it as
// it is, bit for bit. Such terms are left out (the images and the ReLU
// outputs are about half zeros). Row block b's terms: ks[off[b] .. off[b+1]).
SYSTRAIN_CLONES void float_terms(const float* A, const float* B, int64_t M, int64_t K, int64_t N,
                                 std::vector<int32_t>& ks, std::vector<int64_t>& off) {
  // whether B's row k has no infinity or NaN: asked only of the terms a block could leave out
  static thread_local std::vector<int8_t> finite;
  finite.assign(static_cast<size_t>(K), -1);
  const auto finite_row = [&](int64_t k) {
    if (finite[k] < 0) {
      uint32_t top = 0;  // the largest exponent field in the row
      for (int64_t n = 0; n < N; ++n) {
        uint32_t u;
        std::memcpy(&u, B + k * N + n, 4);
        top = std::max(top, u & 0x7f800000u);
      }
      finite[k] = top != 0x7f800000u;
    }
    return finite[k] != 0;
  };
  ks.resize(static_cast<size_t>(M / kMr * K));
  off.assign(static_cast<size_t>(M / kMr + 1), 0);
  static thread_local std::vector<uint32_t> bits;  // a block's A values at k, signs dropped, or-ed: 0 iff all ±0
  bits.resize(static_cast<size_t>(K));
  uint32_t* any = bits.data();
  int64_t at = 0;
  for (int64_t b = 0; b < M / kMr; ++b) {
    const float* a = A + b * kMr * K;
    std::fill(any, any + K, 0u);
    for (int64_t i = 0; i < kMr; ++i)  // along the rows (contiguous in k)
      for (int64_t k = 0; k < K; ++k) {
        uint32_t u;
        std::memcpy(&u, a + i * K + k, 4);
        any[k] |= u << 1;
      }
    for (int64_t k = 0; k < K; ++k)
      if (any[k] != 0 || !finite_row(k)) ks[at++] = static_cast<int32_t>(k);
    off[b + 1] = at;
  }
}

// fixed point: sums (modulo 2^32, or 2^64) to data words: wrapped to
// acc_bits, rounded and shifted, saturated, ReLU (requant in fixed_point.h)
template <class Acc>
SYSTRAIN_CLONES void finish_fixed(const Acc* c, int64_t n, int64_t* out, int acc_bits, int shift, int data_bits,
                                  bool relu) {
  const int ws = 64 - acc_bits;
  const int64_t half = shift > 0 ? int64_t{1} << (shift - 1) : 0;
  const int64_t hi = (int64_t{1} << (data_bits - 1)) - 1, lo = relu ? 0 : -(int64_t{1} << (data_bits - 1));
  for (int64_t j = 0; j < n; ++j) {
    const uint64_t u = sizeof(Acc) == 4 ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(c[j])))
                                        : static_cast<uint64_t>(c[j]);
    int64_t v = static_cast<int64_t>(u << ws) >> ws;
    v = (v + half) >> shift;
    out[j] = v > hi ? hi : v < lo ? lo : v;
  }
}

SYSTRAIN_CLONES void finish_float(const float* c, int64_t n, int64_t* out, bool relu) {
  for (int64_t j = 0; j < n; ++j) {
    const float a = relu && c[j] < 0 ? 0.0f : c[j];
    uint32_t u;
    std::memcpy(&u, &a, 4);
    out[j] = u;
  }
}

// the interleaved pass's update of a row of weights in place, W −= η·G: G's
// sums (modulo 2^32, or 2^64) as the acc_bits values they stand for,
// requantised, then the SGD step (float32: sgd_rows.h)
template <class Acc>
SYSTRAIN_CLONES void update_row_fixed(int64_t* __restrict w, const Acc* __restrict g, int64_t n, int acc_bits,
                                      int g_shift, int data_bits, int64_t lr, int upd_shift) {
  for (int64_t j = 0; j < n; ++j) {
    const int64_t sum =
        sizeof(Acc) == 4 ? wrap(static_cast<int32_t>(g[j]), acc_bits) : wrap(static_cast<int64_t>(g[j]), acc_bits);
    w[j] = sgd_update(w[j], requant(sum, g_shift, data_bits, false), lr, upd_shift, data_bits);
  }
}

// int32 operands, 64-bit sums (acc_bits > 32): one block, k in order (int16
// operands go to gemm_i16, float32 ones to block_f32)
template <class In, class Acc, class Mul>
void block_wide(const In* A, const In* B, Acc* C, int64_t K, int64_t N, Mul mul) {
  Acc acc[kMr][kNr] = {};
  for (int64_t k = 0; k < K; ++k)
    for (int64_t i = 0; i < kMr; ++i)
      for (int64_t n = 0; n < kNr; ++n) acc[i][n] += mul(A[i * K + k], B[k * N + n]);
  for (int64_t i = 0; i < kMr; ++i) std::copy(acc[i], acc[i] + kNr, C + i * N);
}

// C[M][N] = Σ_k A[M][K]·B[K][N], each output summed in k order from zero,
// M and N whole blocks (product() pads them). Mul(a, b) is the product as
// the accumulator's type. float32: each row block over its terms (float_terms).
template <class In, class Acc, class Mul>
SYSTRAIN_CLONES void gemm(const In* A, const In* B, Acc* C, int64_t M, int64_t K, int64_t N, Mul mul) {
  const int64_t col_blocks = N / kNr, row_blocks = M / kMr;
  static thread_local std::vector<int32_t> ks;
  static thread_local std::vector<int64_t> off;
  if constexpr (std::is_same_v<In, float>) float_terms(A, B, M, K, N, ks, off);
  const bool parallel = M * K * N >= kParallelMacs;
  (void)parallel;  // (a build without OpenMP)
  const int32_t* kp = ks.data();
  const int64_t* op = off.data();
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
  for (int64_t rb = 0; rb < row_blocks; ++rb)
    for (int64_t cb = 0; cb < col_blocks; ++cb) {
      const int64_t m0 = rb * kMr, n0 = cb * kNr;
      if constexpr (std::is_same_v<In, float>)
        block_f32(A + m0 * K, B + n0, C + m0 * N + n0, K, N, kp + op[rb], op[rb + 1] - op[rb]);
      else
        block_wide(A + m0 * K, B + n0, C + m0 * N + n0, K, N, mul);
    }
}

// ---- int16 operands, sums modulo 2^32: pairs of k at once ----------------
// pmaddwd (AVX2, AVX-512BW) and vpdpwssd (AVX-512 VNNI) multiply int16 pairs
// into int32 and add the two products to a 32-bit lane with wrap-around.
// Each product is exact (|a·b| <= 2^30), and the sum of the pair and the lane
// are taken modulo 2^32, so the lane is the same sum modulo 2^32 as the one
// product at a time in k order (integer sums do not depend on their order).
// A is packed as rows of K rounded up to even, B as k pairs interleaved per
// column ((B[2p][n], B[2p+1][n]), n rounded up to a block of 16), zeros
// padding both; C is computed whole in blocks of 8 x 16 and read where it is
// (rows of np).
struct I16Packed {
  int64_t kp = 0, mp = 0, np = 0;  // k pairs; rows and columns rounded up to the block
  std::vector<int16_t> a, b;       // a: mp rows of 2·kp; b: kp rows of np pairs
  std::vector<uint32_t> c;         // mp x np
};

// A: a view's M x K words as rows of 2·kp int16, zeros past K and past M;
// B: a view's K x N words as kp rows of np (B[2p][n], B[2p+1][n]) pairs, zeros
// past K and past N (each view checked to lie in its buffer, as Memory::read
// checks it)
SYSTRAIN_CLONES void pack_i16(const Memory& mem, const Mat& A, const Mat& B, int64_t M, int64_t K, int64_t N,
                              I16Packed& pk) {
  mem.check(A.block(M, K), A.op);
  mem.check(B.block(K, N), B.op);
  pk.kp = (K + 1) / 2, pk.mp = round_up(M, kMr), pk.np = round_up(N, kNr);
  const int64_t k2 = 2 * pk.kp;
  scratch(pk.a, pk.mp * k2);
  const int64_t* aw = mem.buffer(A.buf).data();
  for (int64_t i = 0; i < M; ++i) {
    const int64_t* r = aw + A.base + i * A.rs;
    int16_t* o = &pk.a[i * k2];
    if (A.cs == 1)
      for (int64_t j = 0; j < K; ++j) o[j] = static_cast<int16_t>(r[j]);
    else
      for (int64_t j = 0; j < K; ++j) o[j] = static_cast<int16_t>(r[j * A.cs]);
    if (K < k2) o[K] = 0;
  }
  std::fill(pk.a.begin() + M * k2, pk.a.begin() + pk.mp * k2, int16_t{0});
  scratch(pk.b, pk.kp * pk.np * 2);
  const int64_t* bw = mem.buffer(B.buf).data();
  for (int64_t p = 0; p < pk.kp; ++p) {
    int16_t* o = &pk.b[p * pk.np * 2];
    const int64_t* r0 = bw + B.base + 2 * p * B.rs;
    const int64_t* r1 = 2 * p + 1 < K ? r0 + B.rs : nullptr;
    if (B.cs == 1 && r1)
      for (int64_t n = 0; n < N; ++n) o[2 * n] = static_cast<int16_t>(r0[n]), o[2 * n + 1] = static_cast<int16_t>(r1[n]);
    else
      for (int64_t n = 0; n < N; ++n)
        o[2 * n] = static_cast<int16_t>(r0[n * B.cs]), o[2 * n + 1] = r1 ? static_cast<int16_t>(r1[n * B.cs]) : 0;
    std::fill(o + 2 * N, o + 2 * pk.np, int16_t{0});
  }
  scratch(pk.c, pk.mp * pk.np);
}

// one 8 x 16 block of C: rows m0.., columns n0..
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void block_i16_vnni(const I16Packed& pk, uint32_t* c, int64_t m0,
                                                                            int64_t n0) {
  __m512i acc[kMr];
  for (auto& v : acc) v = _mm512_setzero_si512();
  const int64_t k2 = 2 * pk.kp;
  for (int64_t p = 0; p < pk.kp; ++p) {
    const __m512i b = _mm512_loadu_si512(&pk.b[(p * pk.np + n0) * 2]);
    for (int64_t i = 0; i < kMr; ++i) {
      int32_t pair;
      std::memcpy(&pair, &pk.a[(m0 + i) * k2 + 2 * p], 4);
      acc[i] = _mm512_dpwssd_epi32(acc[i], _mm512_set1_epi32(pair), b);
    }
  }
  for (int64_t i = 0; i < kMr; ++i) _mm512_storeu_si512(c + (m0 + i) * pk.np + n0, acc[i]);
}
__attribute__((target("avx2"))) void block_i16_avx2(const I16Packed& pk, uint32_t* c, int64_t m0, int64_t n0) {
  __m256i lo[kMr], hi[kMr];
  for (int64_t i = 0; i < kMr; ++i) lo[i] = hi[i] = _mm256_setzero_si256();
  const int64_t k2 = 2 * pk.kp;
  for (int64_t p = 0; p < pk.kp; ++p) {
    const int16_t* bp = &pk.b[(p * pk.np + n0) * 2];
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 16));
    for (int64_t i = 0; i < kMr; ++i) {
      int32_t pair;
      std::memcpy(&pair, &pk.a[(m0 + i) * k2 + 2 * p], 4);
      const __m256i a = _mm256_set1_epi32(pair);
      lo[i] = _mm256_add_epi32(lo[i], _mm256_madd_epi16(a, b0));
      hi[i] = _mm256_add_epi32(hi[i], _mm256_madd_epi16(a, b1));
    }
  }
  for (int64_t i = 0; i < kMr; ++i) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + (m0 + i) * pk.np + n0), lo[i]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + (m0 + i) * pk.np + n0 + 8), hi[i]);
  }
}
#endif
void block_i16_scalar(const I16Packed& pk, uint32_t* c, int64_t m0, int64_t n0) {
  const int64_t k2 = 2 * pk.kp;
  for (int64_t i = 0; i < kMr; ++i) {
    uint32_t acc[kNr] = {};
    const int16_t* a = &pk.a[(m0 + i) * k2];
    for (int64_t p = 0; p < pk.kp; ++p) {
      const int16_t* b = &pk.b[(p * pk.np + n0) * 2];
      for (int64_t n = 0; n < kNr; ++n)
        acc[n] += static_cast<uint32_t>(int32_t{a[2 * p]} * b[2 * n]) +
                  static_cast<uint32_t>(int32_t{a[2 * p + 1]} * b[2 * n + 1]);
    }
    std::memcpy(c + (m0 + i) * pk.np + n0, acc, sizeof acc);
  }
}

std::atomic<I16Kernel> g_i16_forced{I16Kernel::kAuto};

I16Kernel i16_kernel() {
  const I16Kernel f = g_i16_forced.load(std::memory_order_relaxed);
  if (f != I16Kernel::kAuto) return f;
  static const I16Kernel best = i16_kernel_runs(I16Kernel::kAvx512Vnni) ? I16Kernel::kAvx512Vnni
                                : i16_kernel_runs(I16Kernel::kAvx2)       ? I16Kernel::kAvx2
                                                                          : I16Kernel::kScalar;
  return best;
}

// C[M][N] = Σ_k A[M][K]·B[K][N] modulo 2^32, from the views' words; C is
// left in the returned pack, rows of pk.np
const I16Packed& gemm_i16(const Memory& mem, const Mat& A, const Mat& B, int64_t M, int64_t K, int64_t N) {
  static thread_local I16Packed pk;
  pack_i16(mem, A, B, M, K, N, pk);
  const I16Kernel kern = i16_kernel();
  void (*block)(const I16Packed&, uint32_t*, int64_t, int64_t) = block_i16_scalar;
#if defined(__x86_64__) && defined(__GNUC__)
  if (kern == I16Kernel::kAvx512Vnni) block = block_i16_vnni;
  if (kern == I16Kernel::kAvx2) block = block_i16_avx2;
#endif
  const int64_t row_blocks = pk.mp / kMr, col_blocks = pk.np / kNr;
  const bool parallel = M * K * N >= kParallelMacs;
  (void)parallel;
  const I16Packed& cpk = pk;
  uint32_t* c = pk.c.data();
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
  for (int64_t rb = 0; rb < row_blocks; ++rb)
    for (int64_t cb = 0; cb < col_blocks; ++cb) block(cpk, c, rb * kMr, cb * kNr);
  return pk;
}

// a view's rows × cols block as a dense row-major array, each word converted,
// rows of ld (>= cols) elements and rows_out (>= rows) rows, zeros padding
// both (the block checked to lie in its buffer, as Memory::read checks it)
template <class T, class Conv>
SYSTRAIN_CLONES void gather(const Memory& mem, const Mat& m, int64_t rows, int64_t cols, int64_t ld, int64_t rows_out,
            std::vector<T>& out, Conv conv) {
  mem.check(m.block(rows, cols), m.op);
  const auto& buf = mem.buffer(m.buf);
  T* o = scratch(out, rows_out * ld);
  for (int64_t i = 0; i < rows; ++i, o += ld) {
    const int64_t* r = buf.data() + m.base + i * m.rs;
    if (m.cs == 1)
      for (int64_t j = 0; j < cols; ++j) o[j] = conv(r[j]);
    else
      for (int64_t j = 0; j < cols; ++j) o[j] = conv(r[j * m.cs]);
    std::fill(o + cols, o + ld, T{});
  }
  std::fill(o, o + (rows_out - rows) * ld, T{});
}

// rows × cols words into a view, a row at a time: row(i, dst) writes row i's
// cols words to dst
template <class Fn>
void scatter_rows(Memory& mem, const Mat& m, int64_t rows, int64_t cols, Fn row) {
  mem.check(m.block(rows, cols), m.op);
  auto& buf = mem.buffer(m.buf);
  static thread_local std::vector<int64_t> tmp;
  tmp.resize(static_cast<size_t>(cols));
  for (int64_t i = 0; i < rows; ++i) {
    int64_t* r = buf.data() + m.base + i * m.rs;
    if (m.cs == 1) {
      row(i, r);
      continue;
    }
    row(i, tmp.data());
    for (int64_t j = 0; j < cols; ++j) r[j * m.cs] = tmp[j];
  }
}

// C = A·B for views A (M x K) and B (K x N) of the memory's words: the
// sums, row i at C + i·ldc. int16 operands with sums modulo 2^32 go to
// gemm_i16, packed straight from the words; the others are gathered into
// dense rows and multiplied by gemm.
template <class Acc>
struct Product {
  const Acc* c;
  int64_t ldc;
};
template <class Ar>
Product<typename Ar::Acc> product(const Memory& mem, const Mat& A, const Mat& B, int64_t M, int64_t K, int64_t N) {
  using In = typename Ar::In;
  using Acc = typename Ar::Acc;
  if constexpr (std::is_same_v<In, int16_t> && std::is_same_v<Acc, uint32_t>) {
    const I16Packed& pk = gemm_i16(mem, A, B, M, K, N);
    return {pk.c.data(), pk.np};
  } else {
    // kept between passes: no allocation (and no zeroing) per pass
    static thread_local std::vector<In> a, b;
    static thread_local std::vector<Acc> c;
    const auto in = [](int64_t w) { return Ar::in(w); };
    // whole blocks: A's rows and B's columns padded with zeros (a padded row
    // or column's sums are never read; a real one's take no padded term)
    const int64_t mp = round_up(M, kMr), np = round_up(N, kNr);
    gather(mem, A, M, K, K, mp, a, in);
    gather(mem, B, K, N, np, K, b, in);
    gemm(a.data(), b.data(), scratch(c, mp * np), mp, K, np, [](In x, In y) { return Ar::mul(x, y); });
    return {c.data(), np};
  }
}

// the arithmetic of one numerics: operands In, sums Acc, and what a sum becomes
struct Float {
  using In = float;
  using Acc = float;
  float lr;
  static In in(int64_t w) { return w2f(w); }
  static Acc mul(In a, In b) { return a * b; }
  void fin_row(const Acc* c, int64_t n, int64_t* out, int, bool relu) const { finish_float(c, n, out, relu); }
  void update_row(int64_t* w, const Acc* g, int64_t n, const Pass&) const { sgd_row_f32(w, g, n, lr); }
};
template <class In_, class Acc_>
struct Fixed {  // Acc: uint32 (wraps modulo 2^32, acc_bits <= 32) or uint64
  using In = In_;
  using Acc = Acc_;
  const Numerics& n;
  static In in(int64_t w) { return static_cast<In>(w); }
  static Acc mul(In a, In b) {
    if constexpr (sizeof(Acc) == 4) return static_cast<Acc>(static_cast<int32_t>(a) * static_cast<int32_t>(b));
    else return static_cast<Acc>(static_cast<int64_t>(a) * b);
  }
  void fin_row(const Acc* c, int64_t cnt, int64_t* out, int shift, bool relu) const {
    finish_fixed(c, cnt, out, n.acc_bits, shift, n.data_bits, relu);
  }
  void update_row(int64_t* w, const Acc* g, int64_t cnt, const Pass& p) const {
    update_row_fixed(w, g, cnt, n.acc_bits, p.g_shift, n.data_bits, p.lr, p.upd_shift);
  }
};

template <class Ar>
void values(const Ar& ar, const Pass& p, Memory& mem) {
  const int64_t M = p.g.m, K = p.g.k, N = p.g.n;
  switch (p.mode) {
    case Mode::kWs:  // Y = X·W (IS: the same products, summed in the same k order)
    case Mode::kIs:
    case Mode::kOs: {  // Y = A·B (forward: A = X, B = W; WG: A = Xᵀ, B = dY, Y = dW)
      const auto C = product<Ar>(mem, p.a, p.mode == Mode::kOs ? p.b : p.w, M, K, N);
      scatter_rows(mem, p.out, M, N,
                   [&](int64_t i, int64_t* dst) { ar.fin_row(C.c + i * C.ldc, N, dst, p.shift, p.relu); });
      break;
    }
    case Mode::kAg:
    case Mode::kIl: {
      // dX[M][dx_rows] = dY·Wᵀ with the weights before the update, summed over n in order
      const int64_t R = std::clamp<int64_t>(p.dx_rows, 0, K);
      if ((p.mode == Mode::kAg || p.ag) && R > 0) {
        const auto C = product<Ar>(mem, p.b, p.w.sub(0, 0).t(), M, N, R);  // Wᵀ: n rows of R lanes
        scatter_rows(mem, p.out, M, R, [&](int64_t i, int64_t* dst) { ar.fin_row(C.c + i * C.ldc, R, dst, p.shift, false); });
      }
      if (p.mode == Mode::kIl) {  // G = Xᵀ·dY summed over the batch in order, then W -= η·G in place
        const auto C = product<Ar>(mem, p.a.t(), p.b, K, M, N);
        mem.check(p.w.block(K, N), p.w.op);
        each_weight_row(mem.buffer(p.w.buf).data(), p.w, nullptr, p.w, K, N, [&](int64_t i, int64_t* w, const int64_t*) {
          ar.update_row(w, C.c + i * C.ldc, N, p);
        });
      }
      break;
    }
  }
}

}  // namespace

I16Kernel force_i16_kernel(I16Kernel k) { return g_i16_forced.exchange(k); }

bool i16_kernel_runs(I16Kernel k) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (k == I16Kernel::kAvx512Vnni) return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
  if (k == I16Kernel::kAvx2) return __builtin_cpu_supports("avx2");
  return true;
#else
  return k == I16Kernel::kScalar || k == I16Kernel::kAuto;
#endif
}

void pass_values(const Pass& p, Memory& mem, const Numerics& num, float lr) {
  if (p.g.m <= 0 || p.g.k <= 0 || p.g.n <= 0) return;
  if (num.is_float) values(Float{lr}, p, mem);
  else if (num.data_bits <= 16 && num.acc_bits <= 32) values(Fixed<int16_t, uint32_t>{num}, p, mem);
  else values(Fixed<int32_t, uint64_t>{num}, p, mem);
}

}  // namespace systrain
