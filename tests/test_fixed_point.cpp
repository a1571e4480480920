// Fixed-point rules, each checked against a hand-computed value.
#include <doctest/doctest.h>

#include "fixed_point.h"

using namespace systrain;

TEST_CASE("wrap sign-extends the low bits") {
  CHECK(wrap(0x7fff, 16) == 32767);
  CHECK(wrap(0x8000, 16) == -32768);
  CHECK(wrap(0x1ffff, 16) == -1);
  CHECK(wrap(-1, 20) == -1);
  CHECK(wrap(int64_t{1} << 31, 32) == -(int64_t{1} << 31));
}

TEST_CASE("mac wraps modulo 2^acc_bits") {
  CHECK(mac(10, 3, -4, 32) == -2);
  // 20-bit accumulator: 2^19 - 1 + 1 wraps to -2^19
  CHECK(mac((1 << 19) - 1, 1, 1, 20) == -(1 << 19));
  // 16-bit operands: (-32768)^2 = 2^30 fits in 32 bits; twice it wraps to -2^31
  CHECK(mac(int64_t{1} << 30, -32768, -32768, 32) == -(int64_t{1} << 31));
}

TEST_CASE("requant rounds half up, shifts, saturates, applies ReLU") {
  const Numerics q8{16, 8, 32};
  CHECK(requant(147456, q8, false) == 576);   // 2.25 * 2^16 -> 2.25 * 2^8
  CHECK(requant(128, q8, false) == 1);        // 0.5 rounds up
  CHECK(requant(127, q8, false) == 0);
  CHECK(requant(-128, q8, false) == 0);       // -0.5 rounds up to 0
  CHECK(requant(-129, q8, false) == -1);
  CHECK(requant(int64_t{1} << 30, q8, false) == 32767);   // saturates high
  CHECK(requant(-(int64_t{1} << 30), q8, false) == -32768);
  CHECK(requant(-(int64_t{1} << 30), q8, true) == 0);
  const Numerics q0{8, 0, 20};
  CHECK(requant(300, q0, false) == 127);
  CHECK(requant(-5, q0, true) == 0);
}

TEST_CASE("quantize rounds to nearest and saturates") {
  const Numerics q8{16, 8, 32};
  CHECK(quantize(1.5, q8) == 384);
  CHECK(quantize(-0.25, q8) == -64);
  CHECK(quantize(1000.0, q8) == 32767);
  CHECK(quantize(-1000.0, q8) == -32768);
  CHECK(to_real(384, q8) == doctest::Approx(1.5));
}
