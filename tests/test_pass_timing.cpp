// The timing of a pass by tile classes (pass_timing: each class of tiles run
// once and multiplied) against the reference that runs every tile
// (pass_timing_per_tile), on random shapes, arrays, SRAM banks and bases, in
// every mode: cycles, stalls, phases, every buffer's and operand's words,
// mapped PEs and the utilisation's sums must be equal.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>

#include "pass_util.h"
#include "pass_values.h"

using namespace systrain;
using namespace systrain::test;

namespace {
int64_t pick(Rng& rng, int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng.next() % uint64_t(hi - lo + 1)); }
}  // namespace

TEST_CASE("pass timing by tile classes equals the per-tile reference on random passes") {
  Rng rng(20261206);
  int64_t cases = 0, tiles = 0, classes = 0, stalled = 0, folded = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    ArrayShape a{static_cast<int>(pick(rng, 1, 9)), static_cast<int>(pick(rng, 1, 9)), static_cast<int>(pick(rng, 1, 3))};
    a.multipliers = static_cast<int>(pick(rng, 1, 2));
    const int bank_choices[] = {0, 1, 2, 3, 4, 6, 8, 16};
    a.banks = bank_choices[pick(rng, 0, 7)];
    a.words_per_cycle = a.banks ? static_cast<int>(pick(rng, 1, 24)) : 0;
    a.weight_double_buffer = pick(rng, 0, 1) == 1;
    // from one block to a few dozen in each dimension
    LayerCase c{pick(rng, 1, 60), pick(rng, 1, 120), pick(rng, 1, 120), pick(rng, 0, 1) == 1};
    const Kind kind = kAllKinds[pick(rng, 0, 6)];
    Pass p = make_pass(kind, c, false, 8, 8, 16, 1);
    // operands anywhere in their buffers (bank offsets), and fewer dX rows than W has
    for (Mat* m : {&p.a, &p.b, &p.w, &p.psum, &p.out}) m->base += pick(rng, 0, 40);
    if (p.mode == Mode::kAg || p.mode == Mode::kIl) p.dx_rows = pick(rng, 0, c.k);
    const PassTiming fast = pass_timing(p, a, true), ref = pass_timing_per_tile(p, a);
    INFO(fmt::format("{} m={} k={} n={} bias={} dx_rows={} on {}x{} banks={} words/cycle={} db={} mult={}", name(kind),
                     c.m, c.k, c.n, c.bias, p.dx_rows, a.rows, a.cols, a.banks, a.words_per_cycle,
                     a.weight_double_buffer, a.multipliers));
    REQUIRE(fast.tiles == ref.tiles);
    CHECK(fast.cycles == ref.cycles);
    CHECK(fast.stall_cycles == ref.stall_cycles);
    CHECK(fast.phase_cycles == ref.phase_cycles);
    CHECK(fast.sram.reads == ref.sram.reads);
    CHECK(fast.sram.writes == ref.sram.writes);
    CHECK(fast.mapped_pes == ref.mapped_pes);
    CHECK(fast.busy_by_cycles == ref.busy_by_cycles);
    CHECK(fast.utilization(a) == ref.utilization(a));
    CHECK(fast.sequence == ref.sequence);
    ++cases, tiles += ref.tiles, stalled += ref.stall_cycles > 0;
    const auto cls = tile_classes(p, a, a.multipliers);
    classes += static_cast<int64_t>(cls.size());
    folded += std::any_of(cls.begin(), cls.end(), [](const TileClass& t) { return t.count > 1; });
  }
  // the draw must exercise what it claims: stalls, and classes that stand for many tiles
  CHECK(stalled > cases / 10);
  CHECK(folded > cases / 2);
  MESSAGE(fmt::format("{} passes, {} tiles in {} classes; {} with SRAM stalls, {} with a class of several tiles", cases,
                      tiles, classes, stalled, folded));
}

TEST_CASE("a pass's tile classes count every tile once") {
  // 1,000 x 2,000 blocks: a million tiles in a handful of classes
  const ArrayShape a{4, 4, 2};
  const LayerCase c{7, 3999, 8000, true};
  for (Kind kind : kAllKinds) {
    const Pass p = make_pass(kind, c, false, 8, 8, 16, 1);
    int64_t count = 0;
    const auto cls = tile_classes(p, a, 1);
    for (const auto& t : cls) count += t.count;
    const int64_t R = a.rows, C = a.cols;
    auto blocks = [](int64_t x, int64_t b) { return (x + b - 1) / b; };
    const int64_t expect = p.mode == Mode::kOs ? blocks(p.g.m, R) * blocks(p.g.n, C)
                           : p.mode == Mode::kIs ? blocks(p.g.m, C) * blocks(p.g.k, R)
                                                 : blocks(p.g.k, R) * blocks(p.g.n, C);
    CHECK(count == expect);
    CHECK(cls.size() <= 36);
  }
}

TEST_CASE("a pass's values as one GEMM equal the tiles' on random passes") {
  // pass_values against TlmArray::run tile by tile on the same memory: every word of every buffer but the
  // partial sums (which the one GEMM does not write), fixed point (int16 x int16 into int32 modulo 2^32,
  // and 64-bit sums) and float32
  Rng rng(6122026);
  int64_t checked = 0, words = 0, kernels_checked[4] = {}, sparse_passes = 0, special_passes = 0, large_passes = 0;
  for (int trial = 0; trial < 600; ++trial) {
    // one float32 pass in four larger: k past one chunk of 64 terms, n past one group of 128 columns
    // (pass_values.cpp's float32 kernel, every width of 1..8 vectors of 16)
    const int variant = static_cast<int>(pick(rng, 0, 3));
    const bool large = variant == 0 && pick(rng, 0, 3) == 0;
    const LayerCase c = large ? LayerCase{pick(rng, 1, 100), pick(rng, 1, 200), pick(rng, 1, 300), pick(rng, 0, 1) == 1}
                              : LayerCase{pick(rng, 1, 40), pick(rng, 1, 50), pick(rng, 1, 50), pick(rng, 0, 1) == 1};
    const Kind kind = kAllKinds[pick(rng, 0, 6)];
    Numerics num;
    num.is_float = variant == 0;
    num.data_bits = variant == 3 ? 8 : 16;
    num.acc_bits = variant == 1 ? 32 : variant == 2 ? 44 : 20;  // 20: the int32 sums wrap far below 2^32
    const int lo = large ? 8 : 1, hi = large ? 16 : 9;  // (the larger passes' tiles: not too many)
    const ArrayShape a{static_cast<int>(pick(rng, lo, hi)), static_cast<int>(pick(rng, lo, hi)),
                       static_cast<int>(pick(rng, 1, 2)), static_cast<int>(pick(rng, 1, 2))};
    Pass p = make_pass(kind, c, pick(rng, 0, 1) == 1, static_cast<int>(pick(rng, 0, 9)), static_cast<int>(pick(rng, 0, 9)),
                       static_cast<int>(pick(rng, 8, 16)), pick(rng, 1, 900));
    if (p.mode == Mode::kAg || p.mode == Mode::kIl) p.dx_rows = pick(rng, 0, c.k);
    Memory tiles(a.words_per_psum);
    fill(tiles, c, num.data_bits, num.is_float, rng);
    // one pass in eight: every operand the most negative value, so that every pair of products
    // vpdpwssd or pmaddwd adds is 2^31 and wraps in int32
    const bool extremes = !num.is_float && pick(rng, 0, 7) == 0;
    if (extremes)
      for (int b = 0; b < int(Buffer::kCount); ++b)
        for (auto& x : tiles.buffer(Buffer(b))) x = -(int64_t{1} << (num.data_bits - 1));
    // float32, one pass in three: most words ±0 (the one GEMM leaves out the terms whose A values are
    // all zero, float_terms in pass_values.cpp), and in half of those a few infinities, against which a
    // zero's product is a NaN, not a zero, and must stay in the sum. (Not NaNs as inputs: which of two
    // NaNs a sum keeps depends on the order of its operands, which IEEE 754 leaves open and the two
    // paths do not share.)
    const bool sparse = num.is_float && pick(rng, 0, 2) == 0;
    const bool specials = sparse && pick(rng, 0, 1) == 0;
    if (sparse)
      for (int b = 0; b < int(Buffer::kCount); ++b)
        for (auto& x : tiles.buffer(Buffer(b))) {
          const int64_t r = pick(rng, 0, 999);
          if (r < 700) x = r % 2 ? f2w(0.0f) : f2w(-0.0f);
          else if (specials && r < 704) x = f2w((r % 2 ? 1.0f : -1.0f) * std::numeric_limits<float>::infinity());
        }
    sparse_passes += sparse, special_passes += specials, large_passes += large;
    const Memory before = tiles;
    const float lr = 0.01f;
    TlmArray arr(a, num, true, lr);
    for (const Tile& t : tile_pass(p, a, a.multipliers)) arr.run(t, tiles, 0, false);
    // int16 operands with sums modulo 2^32: every kernel this CPU runs (pairs of k: VNNI, AVX2, C++)
    const bool i16 = !num.is_float && num.data_bits <= 16 && num.acc_bits <= 32;
    for (I16Kernel kern : {I16Kernel::kAuto, I16Kernel::kScalar, I16Kernel::kAvx2, I16Kernel::kAvx512Vnni}) {
      if (kern != I16Kernel::kAuto && (!i16 || !i16_kernel_runs(kern))) continue;
      Memory gemm = before;
      const I16Kernel was = force_i16_kernel(kern);
      pass_values(p, gemm, num, lr);
      force_i16_kernel(was);
      INFO(fmt::format("{} m={} k={} n={} bias={} dx_rows={} on {}x{} float={} data_bits={} acc_bits={} kernel {} "
                       "extremes {} sparse {} specials {} large {}",
                       name(kind), c.m, c.k, c.n, c.bias, p.dx_rows, a.rows, a.cols, num.is_float, num.data_bits,
                       num.acc_bits, int(kern), extremes, sparse, specials, large));
      const int64_t psum0 = c.psum(0).base;  // the partial sums: the gradients buffer's tail
      for (int b = 0; b < int(Buffer::kCount); ++b) {
        const auto &x = tiles.buffer(Buffer(b)), &y = gemm.buffer(Buffer(b));
        REQUIRE(x.size() == y.size());
        const size_t end = Buffer(b) == Buffer::kGradients ? static_cast<size_t>(psum0) : x.size();
        size_t diff = 0;
        while (diff < end && x[diff] == y[diff]) ++diff;
        CHECK_MESSAGE(diff == end, fmt::format("buffer {} word {} differs: {:#x} (tiles) against {:#x}",
                                               to_string(Buffer(b)), diff, diff < end ? x[diff] : 0,
                                               diff < end ? y[diff] : 0));
        words += static_cast<int64_t>(end);
      }
      ++checked;
      kernels_checked[int(kern)] += kern != I16Kernel::kAuto;
    }
  }
  // on x86-64 every machine runs the C++ and (nearly every) AVX2 kernel; this one also VNNI
  CHECK(kernels_checked[int(I16Kernel::kScalar)] > 100);
  CHECK(sparse_passes > 20);
  CHECK(special_passes > 10);
  CHECK(large_passes > 20);
  for (I16Kernel k : {I16Kernel::kAvx2, I16Kernel::kAvx512Vnni})
    if (i16_kernel_runs(k)) CHECK(kernels_checked[int(k)] > 100);
  MESSAGE(fmt::format("{} passes, {} words compared; int16 kernels: C++ {}, AVX2 {}, VNNI {}", checked, words,
                      kernels_checked[1], kernels_checked[2], kernels_checked[3]));
}

TEST_CASE("a float32 pass whose output overlaps an operand takes every sum before it writes") {
  // pass_values writes a float32 row's words as soon as its sums are complete, except where the output
  // shares words with an operand: Y = X·W written over X's last rows (a row written early would change
  // rows still to be read), and dW = Xᵀ·dY over dY. The words must be those of the same pass with its
  // output elsewhere.
  Rng rng(61226);
  Numerics num;
  num.is_float = true;
  int64_t compared = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const LayerCase c{pick(rng, 2, 40), pick(rng, 2, 150), 0, pick(rng, 0, 1) == 1};
    LayerCase cc = c;
    cc.n = pick(rng, 1, c.k);  // Y (m x n) fits in X (m x kw)
    const bool wg = trial % 2 == 1;
    Pass p = make_pass(wg ? Kind::kWg : Kind::kFwdWs, cc, pick(rng, 0, 1) == 1, 0, 0, 0, 0);
    Memory apart(1);
    fill(apart, cc, 16, true, rng);
    Memory over = apart;
    Pass q = p;
    if (wg) {  // dW (kw x n) over dY (m x n) and past it: its first rows on dY's
      q.out = {Operand::kDw, Buffer::kGradients, 0, cc.n, 1};
    } else {  // Y over X's last m·n words, rows of n
      q.out = {Operand::kY, Buffer::kActivations, cc.m * cc.kw() - cc.m * cc.n, cc.n, 1};
    }
    pass_values(p, apart, num, 0.01f);
    pass_values(q, over, num, 0.01f);
    const auto& x = apart.buffer(p.out.buf);
    const auto& y = over.buffer(q.out.buf);
    for (int64_t i = 0; i < p.g.m; ++i)
      for (int64_t j = 0; j < p.g.n; ++j, ++compared)
        REQUIRE_MESSAGE(x[p.out.at(i, j)] == y[q.out.at(i, j)],
                        fmt::format("{} m={} k={} n={}: row {} column {}", wg ? "wg" : "forward", cc.m, cc.k, cc.n, i, j));
  }
  MESSAGE(fmt::format("{} words compared", compared));
}
