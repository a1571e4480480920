// Lockstep at the tile level: the Verilated RTL against the closed-form TLM
// array, on GEMMs whose sizes are not multiples of the array, for odd array
// shapes, both dataflows, several numeric formats. Every access event (cycle,
// operand, index, words), every cycle count and every word written must agree.
#include <doctest/doctest.h>

#include "lockstep_util.h"
#include "rtl_array.h"

using namespace systrain;

namespace {

void check_shape(int rows, int cols, const Numerics& num, int cases) {
  ArrayShape shape{rows, cols, (num.acc_bits + num.data_bits - 1) / num.data_bits};
  TlmArray tlm(shape, num, true);
  RtlArray rtl(shape, num, false);
  Rng rng(static_cast<uint64_t>(rows * 1000 + cols));
  for (int i = 0; i < cases; ++i) {
    Gemm g{1 + static_cast<int64_t>(rng.next() % 9), 1 + static_cast<int64_t>(rng.next() % (3 * rows + 2)),
           1 + static_cast<int64_t>(rng.next() % (3 * cols + 2))};
    for (Dataflow df : {Dataflow::kWs, Dataflow::kOs}) {
      const bool relu = (i % 2) == 1;
      int64_t cycles = 0;
      CAPTURE(rows);
      CAPTURE(cols);
      CAPTURE(g.m);
      CAPTURE(g.k);
      CAPTURE(g.n);
      CAPTURE(to_string(df));
      const std::string diff = test::compare_gemm(tlm, rtl, shape, num, g, df, relu, rng.next(), &cycles);
      CHECK_MESSAGE(diff.empty(), diff);
      // the whole GEMM's cycles are the sum of the per-tile closed forms
      int64_t expect = 0;
      for (const Tile& t : tile_gemm(g, shape, df, relu, 0)) expect += tile_cost(t, shape).cycles;
      CHECK(cycles == expect);
    }
  }
}

}  // namespace

TEST_CASE("RTL matches the closed form on a 1x1 array") { check_shape(1, 1, {16, 8, 32}, 6); }
TEST_CASE("RTL matches the closed form on a 1x4 array") { check_shape(1, 4, {16, 8, 32}, 6); }
TEST_CASE("RTL matches the closed form on a 4x1 array") { check_shape(4, 1, {16, 8, 32}, 6); }
TEST_CASE("RTL matches the closed form on a 3x5 array") { check_shape(3, 5, {16, 8, 32}, 8); }
TEST_CASE("RTL matches the closed form on a 7x4 array") { check_shape(7, 4, {16, 8, 32}, 8); }
TEST_CASE("RTL matches the closed form with 8-bit data and a 20-bit accumulator (wraps)") {
  check_shape(3, 5, {8, 4, 20}, 8);
}
