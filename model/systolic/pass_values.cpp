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
// The fixed-point kernels' register block: kMr rows × kNr columns of C held
// in registers across k, each B row shared by the kMr rows (float32: its own
// shapes, below).
constexpr int64_t kMr = 8, kNr = 16;
constexpr int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
typedef float VF __attribute__((vector_size(64)));  // 16 floats

// ---- float32: the terms that change a sum, k in chunks of 64 -------------
// C[M][N] = Σ_k A[M][K]·B[K][N], each sum from +0 in k order, a product and a
// sum each rounded (the PE's arithmetic; no FMA). A term whose product is ±0
// changes no sum: a sum that starts at +0 is never −0 (a sum is −0 only when
// both its addends are), so adding ±0 leaves it as it is, bit for bit.
// A[i][k]·B[k][n] is ±0 when A[i][k] is ±0 and B[k][n] is finite (0·∞ is a
// NaN). So row i takes only the terms k where A[i][k] is not ±0, or where B's
// row k has an infinity or a NaN in the columns at hand: the images and the
// ReLU outputs are about half zeros.
//
// k goes in chunks of 64, so that a row's terms in a chunk are one 64-bit
// mask, and B's chunk, converted to floats (64 rows × up to 128 columns,
// 32 KiB), stays in L1 while every row takes its terms from it. A's values
// are read where they are, in the memory's words (a float32 word's low 32
// bits). A row's sums, up to 8 vectors of 16, stay in registers across a
// chunk; with fewer columns 2, 4 or 8 rows go together, taking the union of
// their terms. A row's sums, once complete, are handed on while in L1.
constexpr int64_t kKc = 64, kLanes = 16, kMaxVecs = 8;

// R rows × NV vectors of sums over the terms (bits k of the chunk): row r's
// A values at a[r] + k·astride bytes, B's chunk rows of NV·16 floats at bc;
// the sums from +0 (first chunk) or from sums, back to sums (inlined into
// chunk_f32's clones)
template <int R, int NV>
inline __attribute__((always_inline)) void rows_f32(const char* const* a, int64_t astride, const float* bc,
                                                    uint64_t terms, bool first, float* sums) {
  VF acc[R][NV];  // (one vector at a time: arrays copied whole would stay in memory)
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) {
      acc[r][v] = VF{};
      if (!first) std::memcpy(&acc[r][v], sums + (r * NV + v) * kLanes, sizeof(VF));
    }
  while (terms != 0) {
    const int64_t k = __builtin_ctzll(terms);
    terms &= terms - 1;
    const float* b = bc + k * NV * kLanes;
    for (int r = 0; r < R; ++r) {
      float x;
      std::memcpy(&x, a[r] + k * astride, 4);
      // the scalar in every lane (GCC's vector-scalar product); a product, then a sum: each rounded
      for (int v = 0; v < NV; ++v) {
        VF bv;
        std::memcpy(&bv, b + v * kLanes, sizeof bv);
        acc[r][v] += x * bv;
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) std::memcpy(sums + (r * NV + v) * kLanes, &acc[r][v], sizeof(VF));
}

// row i, chunk c of A (M x K words at aw): the bits k − 64c where A[i][k] is
// not ±0 (a word's low 32 bits, the sign dropped), at nz[i·nch + c]
SYSTRAIN_CLONES void nonzero_terms(const int64_t* aw, const Mat& A, int64_t M, int64_t K, int64_t nch, uint64_t* nz) {
  const auto bit = [](int64_t w) { return static_cast<uint64_t>((static_cast<uint32_t>(w) << 1) != 0); };
  const int64_t rs = A.rs, cs = A.cs;  // (locals: the stores below could alias the view's fields)
  std::fill(nz, nz + M * nch, uint64_t{0});
  if (cs <= rs) {  // along A's rows
    for (int64_t i = 0; i < M; ++i)
      for (int64_t c = 0; c < nch; ++c) {
        const int64_t* r = aw + A.at(i, c * kKc);
        const int64_t kc = std::min(kKc, K - c * kKc);
        uint64_t m = 0;
        if (cs == 1)
          for (int64_t k = 0; k < kc; ++k) m |= bit(r[k]) << k;
        else
          for (int64_t k = 0; k < kc; ++k) m |= bit(r[k * cs]) << k;
        nz[i * nch + c] = m;
      }
  } else {  // along A's columns (a transposed view: Xᵀ)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t* col = aw + A.at(0, k);
      uint64_t* o = nz + k / kKc;
      const int64_t sh = k % kKc;
      if (rs == 1 && nch == 1)
        for (int64_t i = 0; i < M; ++i) o[i] |= bit(col[i]) << sh;
      else
        for (int64_t i = 0; i < M; ++i) o[i * nch] |= bit(col[i * rs]) << sh;
    }
  }
}

// B's rows k0..k0+kc, columns j0..j0+cols as floats, rows of w (zeros past
// cols); returns the bits of the rows with an infinity or a NaN
SYSTRAIN_CLONES uint64_t b_chunk(const int64_t* bw, const Mat& B, int64_t k0, int64_t kc, int64_t j0, int64_t cols,
                                 int64_t w, float* bc) {
  uint64_t special = 0;
  for (int64_t r = 0; r < kc; ++r) {
    const int64_t* src = bw + B.at(k0 + r, j0);
    float* o = bc + r * w;
    uint32_t top = 0;  // the largest exponent field in the row
    const auto take = [&](int64_t j, int64_t w) {
      const auto u = static_cast<uint32_t>(w);
      top = std::max(top, u & 0x7f800000u);
      std::memcpy(o + j, &u, 4);
    };
    if (B.cs == 1)
      for (int64_t j = 0; j < cols; ++j) take(j, src[j]);
    else
      for (int64_t j = 0; j < cols; ++j) take(j, src[j * B.cs]);
    std::fill(o + cols, o + w, 0.0f);
    special |= static_cast<uint64_t>(top == 0x7f800000u) << r;
  }
  return special;
}

// rows [i0, i1) of chunk c (k from k0; i0 a multiple of R) against B's chunk
// bc: each R rows' terms (their nonzero A values, and B's rows with an
// infinity or a NaN), their sums from or to sums (several chunks), and done
// for the rows the last chunk completes
template <int R, int NV, class Done>
SYSTRAIN_CLONES void chunk_f32(const int64_t* aw, const Mat& A, int64_t M, int64_t k0, int64_t c, int64_t nch,
                               const float* bc, uint64_t special, const uint64_t* nz, float* sums, int64_t i0,
                               int64_t i1, int64_t j0, int64_t cols, Done& done) {
  constexpr int64_t W = NV * kLanes;
  for (; i0 < i1; i0 += R) {
    const char* a[R];
    uint64_t terms = special;
    for (int r = 0; r < R; ++r) {
      const int64_t i = std::min(i0 + r, M - 1);  // past M: the last row again, its sums not used
      a[r] = reinterpret_cast<const char*>(aw + A.at(i, k0));
      terms |= nz[i * nch + c];
    }
    alignas(64) float block[R * W];  // one chunk: the sums go no further
    float* s = nch == 1 ? block : sums + i0 * W;
    rows_f32<R, NV>(a, A.cs * 8, bc, terms, c == 0, s);
    if (c + 1 == nch)
      for (int64_t r = 0; r < R && i0 + r < i1; ++r) done(i0 + r, j0, s + r * W, cols);
  }
}

// columns j0..j0+cols of C (NV vectors, R rows at a time); done(i, j0, sums, cols)
template <int R, int NV, class Done>
void group_f32(const int64_t* aw, const Mat& A, const int64_t* bw, const Mat& B, int64_t M, int64_t K, int64_t j0,
               int64_t cols, const uint64_t* nz, Done& done) {
  constexpr int64_t W = NV * kLanes, kStripe = 64;  // rows a call (a multiple of every R)
  const int64_t nch = (K + kKc - 1) / kKc, stripes = (M + kStripe - 1) / kStripe;
  static thread_local LineVector<float> bcv, sumv;  // (the calling thread's; on cache lines)
  float* bc = scratch(bcv, kKc * W);
  float* sums = nch > 1 ? scratch(sumv, round_up(M, R) * W) : nullptr;  // the sums between chunks
  const bool parallel = M * K * cols >= kParallelMacs;
  (void)parallel;  // (a build without OpenMP)
  for (int64_t c = 0; c < nch; ++c) {
    const int64_t k0 = c * kKc;
    const uint64_t special = b_chunk(bw, B, k0, std::min(kKc, K - k0), j0, cols, W, bc);
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t st = 0; st < stripes; ++st)
      chunk_f32<R, NV>(aw, A, M, k0, c, nch, bc, special, nz, sums, st * kStripe, std::min(M, (st + 1) * kStripe), j0,
                       cols, done);
  }
}

// C = A·B for views A (M x K) and B (K x N) of the memory's float32 words:
// row i's sums at columns j0.. handed to done(i, j0, sums, count) once
// complete (the views checked by the caller)
template <class Done>
void gemm_f32(const Memory& mem, const Mat& A, const Mat& B, int64_t M, int64_t K, int64_t N, Done done) {
  const int64_t* aw = mem.buffer(A.buf).data();
  const int64_t* bw = mem.buffer(B.buf).data();
  const int64_t nch = (K + kKc - 1) / kKc;
  static thread_local std::vector<uint64_t> nzv;
  uint64_t* nz = scratch(nzv, M * nch);
  nonzero_terms(aw, A, M, K, nch, nz);
  for (int64_t j0 = 0; j0 < N; j0 += kMaxVecs * kLanes) {
    const int64_t cols = std::min(N - j0, kMaxVecs * kLanes);
    switch ((cols + kLanes - 1) / kLanes) {
      case 1: group_f32<8, 1>(aw, A, bw, B, M, K, j0, cols, nz, done); break;
      case 2: group_f32<4, 2>(aw, A, bw, B, M, K, j0, cols, nz, done); break;
      case 3: group_f32<2, 3>(aw, A, bw, B, M, K, j0, cols, nz, done); break;
      case 4: group_f32<2, 4>(aw, A, bw, B, M, K, j0, cols, nz, done); break;
      case 5: group_f32<1, 5>(aw, A, bw, B, M, K, j0, cols, nz, done); break;
      case 6: group_f32<1, 6>(aw, A, bw, B, M, K, j0, cols, nz, done); break;
      case 7: group_f32<1, 7>(aw, A, bw, B, M, K, j0, cols, nz, done); break;
      default: group_f32<1, 8>(aw, A, bw, B, M, K, j0, cols, nz, done); break;
    }
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
// operands go to gemm_i16, float32 ones to gemm_f32)
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
// the accumulator's type.
template <class In, class Acc, class Mul>
SYSTRAIN_CLONES void gemm(const In* A, const In* B, Acc* C, int64_t M, int64_t K, int64_t N, Mul mul) {
  const int64_t col_blocks = N / kNr, row_blocks = M / kMr;
  const bool parallel = M * K * N >= kParallelMacs;
  (void)parallel;  // (a build without OpenMP)
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
  for (int64_t rb = 0; rb < row_blocks; ++rb)
    for (int64_t cb = 0; cb < col_blocks; ++cb)
      block_wide(A + rb * kMr * K, B + cb * kNr, C + rb * kMr * N + cb * kNr, K, N, mul);
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
  LineVector<int16_t> a, b;        // a: mp rows of 2·kp; b: kp rows of np pairs (rows on cache lines)
  LineVector<uint32_t> c;          // mp x np
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

// fixed point: C = A·B for views A (M x K) and B (K x N) of the memory's
// words: the sums, row i at C + i·ldc. int16 operands with sums modulo 2^32
// go to gemm_i16, packed straight from the words; int32 operands with 64-bit
// sums are gathered into dense rows and multiplied by gemm. (float32:
// product_f32.)
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

// the arithmetic of fixed-point numerics: operands In, sums Acc, and what a sum becomes
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

// whether the blocks x (xr x xc) and y (yr x yc) of the views share a word's
// range in one buffer
bool overlap(const Mat& x, int64_t xr, int64_t xc, const Mat& y, int64_t yr, int64_t yc) {
  if (x.buf != y.buf) return false;
  const auto lo = [](const Mat& m, int64_t r, int64_t c) {
    return m.base + std::min<int64_t>(0, (r - 1) * m.rs) + std::min<int64_t>(0, (c - 1) * m.cs);
  };
  const auto hi = [](const Mat& m, int64_t r, int64_t c) {
    return m.base + std::max<int64_t>(0, (r - 1) * m.rs) + std::max<int64_t>(0, (c - 1) * m.cs);
  };
  return lo(x, xr, xc) <= hi(y, yr, yc) && lo(y, yr, yc) <= hi(x, xr, xc);
}

// float32: C = A·B (gemm_f32), each row's sums handed to done(i, j0, sums, n)
// as they complete, straight into the words of the view they go to (out:
// rows x cols); where out shares words with A or B, once every sum is taken
template <class Done>
void product_f32(const Memory& mem, const Mat& A, const Mat& B, int64_t M, int64_t K, int64_t N, const Mat& out,
                 int64_t rows, int64_t cols, Done done) {
  mem.check(A.block(M, K), A.op);
  mem.check(B.block(K, N), B.op);
  mem.check(out.block(rows, cols), out.op);
  if (!overlap(out, rows, cols, A, M, K) && !overlap(out, rows, cols, B, K, N)) {
    gemm_f32(mem, A, B, M, K, N, done);
    return;
  }
  static thread_local std::vector<float> staged;
  float* c = scratch(staged, M * N);
  gemm_f32(mem, A, B, M, K, N,
           [c, N](int64_t i, int64_t j0, const float* v, int64_t n) { std::copy(v, v + n, c + i * N + j0); });
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j0 = 0; j0 < N; j0 += kMaxVecs * kLanes)
      done(i, j0, c + i * N + j0, std::min(N - j0, kMaxVecs * kLanes));
}

void values_f32(const Pass& p, Memory& mem, float lr) {
  const int64_t M = p.g.m, K = p.g.k, N = p.g.n;
  // sums to data words in view out (ReLU where asked), up to 128 at a time
  const auto to_words = [&mem](const Mat& out, bool relu) {
    int64_t* buf = mem.buffer(out.buf).data();
    return [buf, out, relu](int64_t i, int64_t j0, const float* v, int64_t n) {
      if (out.cs == 1) return finish_float(v, n, buf + out.at(i, j0), relu);
      int64_t w[kMaxVecs * kLanes];
      finish_float(v, n, w, relu);
      for (int64_t j = 0; j < n; ++j) buf[out.at(i, j0 + j)] = w[j];
    };
  };
  switch (p.mode) {
    case Mode::kWs:  // Y = X·W (IS: the same products, summed in the same k order)
    case Mode::kIs:
    case Mode::kOs: {  // Y = A·B (forward: A = X, B = W; WG: A = Xᵀ, B = dY, Y = dW)
      product_f32(mem, p.a, p.mode == Mode::kOs ? p.b : p.w, M, K, N, p.out, M, N, to_words(p.out, p.relu));
      break;
    }
    case Mode::kAg:
    case Mode::kIl: {
      // dX[M][dx_rows] = dY·Wᵀ with the weights before the update, summed over n in order
      const int64_t R = std::clamp<int64_t>(p.dx_rows, 0, K);
      if ((p.mode == Mode::kAg || p.ag) && R > 0)
        product_f32(mem, p.b, p.w.sub(0, 0).t(), M, N, R, p.out, M, R, to_words(p.out, false));
      if (p.mode == Mode::kIl) {  // G = Xᵀ·dY summed over the batch in order, then W -= η·G in place
        int64_t* wbuf = mem.buffer(p.w.buf).data();
        const Mat w = p.w;
        product_f32(mem, p.a.t(), p.b, K, M, N, w, K, N, [wbuf, w, lr](int64_t i, int64_t j0, const float* g, int64_t n) {
          if (w.cs == 1) return sgd_row_f32(wbuf + w.at(i, j0), g, n, lr);
          int64_t row[kMaxVecs * kLanes];
          for (int64_t j = 0; j < n; ++j) row[j] = wbuf[w.at(i, j0 + j)];
          sgd_row_f32(row, g, n, lr);
          for (int64_t j = 0; j < n; ++j) wbuf[w.at(i, j0 + j)] = row[j];
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
  if (num.is_float) values_f32(p, mem, lr);
  else if (num.data_bits <= 16 && num.acc_bits <= 32) values(Fixed<int16_t, uint32_t>{num}, p, mem);
  else values(Fixed<int32_t, uint64_t>{num}, p, mem);
}

}  // namespace systrain
