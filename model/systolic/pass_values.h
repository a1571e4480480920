// The values of a whole pass at once: what its tiles compute through
// TlmArray::run, tile by tile, computed as one GEMM per pass. The TLM's
// sums are the array's: fixed point wraps to acc_bits (modulo 2^acc_bits,
// so where the partial sums between blocks are cut does not matter), and
// float32 adds each output's products in reduction order, one at a time
// (a WS pass's k blocks, and the rows within a block, are that order). So a
// sum taken in reduction order over the whole pass is the same word, bit
// for bit, as the tiles': tests/test_pass_timing.cpp checks it against the
// per-tile path on random passes. The partial sums buffer is not written.
//
// The kernels. Fixed point: operands packed or gathered once from their
// strided views into dense int16/int32 rows, C[m][n] += A[m][k]·B[k][n] in
// blocks of 8 rows × 16 columns that share each B row, k in order,
// vectorised across n (AVX-512 or AVX2 clones, model/clones.h); with
// data_bits <= 16 and acc_bits <= 32 int16 × int16 into int32, wrapping
// modulo 2^32 (exact modulo 2^acc_bits), two products of k at once
// (pmaddwd, vpdpwssd). float32: each row takes only the terms whose product
// is not ±0 (a ±0 product leaves a sum from +0 as it is, bit for bit), k in
// chunks of 64 with B's chunk converted into L1, A read in place from the
// words, a row's sums written to their words as they complete (gemm_f32 in
// pass_values.cpp). Rows go to the OpenMP threads; each output is one
// thread's, so the result does not depend on the thread count.
#pragma once
#include "fixed_point.h"
#include "memory.h"
#include "pass.h"

namespace systrain {

// lr: η for float32 numerics (fixed numerics take it from the pass)
void pass_values(const Pass& p, Memory& mem, const Numerics& num, float lr);

// The kernel of int16 operands with sums modulo 2^32: pairs of products at
// once (AVX-512 VNNI's vpdpwssd, AVX2's pmaddwd, or plain C++); kAuto = the
// best this CPU runs. force_i16_kernel (for the tests) returns the one before.
enum class I16Kernel { kAuto, kScalar, kAvx2, kAvx512Vnni };
I16Kernel force_i16_kernel(I16Kernel k);
bool i16_kernel_runs(I16Kernel k);  // this CPU can run it

}  // namespace systrain
