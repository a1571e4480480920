// Lockstep at the tile level: the Verilated RTL against the closed-form TLM
// array, in every mode (forward WS and OS, AG, WG, interleaved with and
// without dX, one and two multipliers), on layers whose sizes are not
// multiples of the array, with and without a bias row, for odd array shapes
// and several numeric formats. Every access event (cycle, operand, index,
// words, port), every cycle count and every word of every buffer must agree.
#include <doctest/doctest.h>

#include "lockstep_util.h"
#include "rtl_array.h"

using namespace systrain;
using namespace systrain::test;

namespace {

void check_shape(int rows, int cols, int multipliers, const Numerics& num, int cases) {
  ArrayShape shape{rows, cols, (num.acc_bits + num.data_bits - 1) / num.data_bits};
  shape.multipliers = multipliers;
  TlmArray tlm(shape, num, true);
  RtlArray rtl(shape, num, false);
  Rng rng(static_cast<uint64_t>(rows * 1000 + cols * 10 + multipliers));
  for (int i = 0; i < cases; ++i) {
    LayerCase c;
    c.m = 1 + static_cast<int64_t>(rng.next() % 9);
    c.k = 1 + static_cast<int64_t>(rng.next() % (3 * rows + 2));
    c.n = 1 + static_cast<int64_t>(rng.next() % (3 * cols + 2));
    c.bias = i % 2 == 1;
    for (Kind kind : kAllKinds) {
      const Pass p = make_pass(kind, c, i % 3 == 1, num.frac_bits, num.frac_bits, 16, 3277);
      int64_t cycles = 0;
      CAPTURE(rows);
      CAPTURE(cols);
      CAPTURE(multipliers);
      CAPTURE(c.m);
      CAPTURE(c.k);
      CAPTURE(c.n);
      CAPTURE(c.bias);
      CAPTURE(name(kind));
      const std::string diff = compare_pass(tlm, rtl, shape, multipliers, num, c, p, rng.next(), &cycles);
      CHECK_MESSAGE(diff.empty(), diff);
      // the whole pass's cycles are the sum of the per-tile closed forms
      int64_t expect = 0;
      for (const Tile& t : tile_pass(p, shape, multipliers)) expect += tile_cost(t, shape).cycles;
      CHECK(cycles == expect);
    }
  }
}

}  // namespace

TEST_CASE("RTL matches the closed form on a 1x1 array") {
  check_shape(1, 1, 1, {16, 8, 32}, 4);
  check_shape(1, 1, 2, {16, 8, 32}, 4);
}
TEST_CASE("RTL matches the closed form on a 1x4 array") { check_shape(1, 4, 1, {16, 8, 32}, 4); }
TEST_CASE("RTL matches the closed form on a 4x1 array") { check_shape(4, 1, 2, {16, 8, 32}, 4); }
TEST_CASE("RTL matches the closed form on a 3x5 array") {
  check_shape(3, 5, 1, {16, 8, 32}, 6);
  check_shape(3, 5, 2, {16, 8, 32}, 6);
}
TEST_CASE("RTL matches the closed form on a 7x4 array") { check_shape(7, 4, 1, {16, 8, 32}, 6); }
TEST_CASE("RTL matches the closed form with 8-bit data and a 20-bit accumulator (wraps)") {
  check_shape(3, 5, 1, {8, 4, 20}, 6);
}

TEST_CASE("the co-simulation decorator catches a wrong value, a wrong cycle count and a wrong access") {
  const Numerics num{16, 8, 32};
  const ArrayShape shape{3, 5, 2};
  TlmArray tlm(shape, num, true);
  RtlArray rtl(shape, num, false);
  LayerCase c{5, 11, 7, true};
  const Pass p = make_pass(Kind::kIl, c, false, 8, 8, 16, 3277);
  CosimStats stats;
  int64_t cycles = 0;
  CHECK(compare_pass(tlm, rtl, shape, 1, num, c, p, 9, &cycles, &stats).empty());
  CHECK(stats.events_compared > 0);
  CHECK(stats.words_compared >= c.m * c.k + c.kw() * c.n);  // every word of dX and of the updated W, at least
  for (const char* kind : {"value", "cycles", "event"}) {
    FaultyArray faulty(tlm, kind, 2);
    const std::string d = compare_pass(faulty, rtl, shape, 1, num, c, p, 9, nullptr);
    CAPTURE(kind);
    CHECK_FALSE(d.empty());
    if (std::string(kind) == "value") CHECK(d.find("tlm wrote") != std::string::npos);
    if (std::string(kind) == "cycles") CHECK(d.find("tlm finishes the tile in") != std::string::npos);
    if (std::string(kind) == "event") CHECK(d.find("tlm: cycle") != std::string::npos);
  }
}
