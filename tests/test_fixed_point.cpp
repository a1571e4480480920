// Fixed-point rules, each checked against a hand-computed value.
#include <doctest/doctest.h>

#include "fixed_point.h"

using namespace systrain;

namespace {
const Numerics q8{16, 8, 32}, q0{8, 0, 20};
int64_t requant_q(int64_t acc, const Numerics& n, bool relu) { return requant(acc, n.frac_bits, n.data_bits, relu); }
int64_t quantize_q(double x, const Numerics& n) { return quantize(x, n.frac_bits, n.data_bits); }
double to_real_q(int64_t v, const Numerics& n) { return to_real(v, n.frac_bits); }
}  // namespace

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
  CHECK(requant_q(147456, q8, false) == 576);   // 2.25 * 2^16 -> 2.25 * 2^8
  CHECK(requant_q(128, q8, false) == 1);        // 0.5 rounds up
  CHECK(requant_q(127, q8, false) == 0);
  CHECK(requant_q(-128, q8, false) == 0);       // -0.5 rounds up to 0
  CHECK(requant_q(-129, q8, false) == -1);
  CHECK(requant_q(int64_t{1} << 30, q8, false) == 32767);   // saturates high
  CHECK(requant_q(-(int64_t{1} << 30), q8, false) == -32768);
  CHECK(requant_q(-(int64_t{1} << 30), q8, true) == 0);
  CHECK(requant_q(300, q0, false) == 127);
  CHECK(requant_q(-5, q0, true) == 0);
}

TEST_CASE("quantize rounds to nearest and saturates") {
  CHECK(quantize_q(1.5, q8) == 384);
  CHECK(quantize_q(-0.25, q8) == -64);
  CHECK(quantize_q(1000.0, q8) == 32767);
  CHECK(quantize_q(-1000.0, q8) == -32768);
  CHECK(to_real_q(384, q8) == doctest::Approx(1.5));
}

TEST_CASE("the SGD step rounds lr·dW half up and saturates W") {
  // lr 0.05 in Q16 = 3277; dW = 1.0 in Q14 = 16384; W in Q12: the step is
  // 3277·16384 / 2^(16+14-12) = 204.8 -> 205 (0.05 in Q12 is 204.8)
  CHECK(sgd_update(1000, 16384, 3277, 18, 16) == 1000 - 205);
  CHECK(sgd_update(-32768, 16384, 3277, 18, 16) == -32768);  // saturates low
  CHECK(sgd_update(32767, -16384, 3277, 18, 16) == 32767);   // saturates high
  CHECK(sgd_update(0, 1, 1, 1, 16) == -1);                    // 0.5 rounds up to 1
}

TEST_CASE("float32 words hold the bit pattern") {
  CHECK(w2f(f2w(1.5f)) == 1.5f);
  CHECK(f2w(1.0f) == 0x3f800000);
  CHECK(w2f(f2w(-0.0f)) == 0.0f);
}

TEST_CASE("times_pow2 is std::ldexp, bit for bit, subnormal and overflowing results included") {
  uint64_t s = 99;
  auto next = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s;
  };
  auto same = [](double a, double b) {
    uint64_t x, y;
    std::memcpy(&x, &a, 8);
    std::memcpy(&y, &b, 8);
    return x == y;
  };
  int64_t subnormal = 0, infinite = 0;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t bits = next();
    double x;
    std::memcpy(&x, &bits, 8);
    if (std::isnan(x)) continue;
    const int e = static_cast<int>(next() % 2200) - 1100;
    const double want = std::ldexp(x, e);
    CAPTURE(x);
    CAPTURE(e);
    CHECK(same(times_pow2(x, e), want));
    subnormal += want != 0 && std::fpclassify(want) == FP_SUBNORMAL;
    infinite += std::isinf(want);
  }
  CHECK(subnormal > 100);  // the rounding to a subnormal was tried
  CHECK(infinite > 1000);
  for (int e = -60; e <= 60; ++e) CHECK(same(times_pow2(-3.25, e), std::ldexp(-3.25, e)));
}
