// det_math tests: accuracy of the libm-free functions against the platform libm (the
// bounds documented in det_math.h are asserted here), special values, and a pinned hash
// of many outputs — the same hash must come out of every build (g++, clang, emcc), which
// is the point of det_math.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#include "det_math.h"

namespace {

using kolmo::detCos;
using kolmo::detExp;
using kolmo::detLog;
using kolmo::detSigmoid;
using kolmo::detSin;

uint64_t bitsOf(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

double relativeError(double got, double want) {
  if (got == want) return 0;
  return std::fabs(got - want) / std::fabs(want);
}

// FNV-1a over the bit patterns of a sequence of doubles.
struct BitHash {
  uint64_t h = 0xcbf29ce484222325ull;
  void add(double x) {
    uint64_t b = bitsOf(x);
    for (int i = 0; i < 8; ++i) {
      h ^= (b >> (8 * i)) & 0xFF;
      h *= 0x100000001b3ull;
    }
  }
};

}  // namespace

TEST_SUITE("det_math") {
  TEST_CASE("detExp is within 2.5e-16 relative of libm on [-708, 709.78]") {
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> wide(-708.0, 709.78);
    std::uniform_real_distribution<double> narrow(-40.0, 5.0);  // where logits live
    double maxRel = 0;
    for (int i = 0; i < 400000; ++i) {
      const double x = (i % 2) ? wide(rng) : narrow(rng);
      maxRel = std::max(maxRel, relativeError(detExp(x), std::exp(x)));
    }
    // Around the range-reduction switch points k ln2 +- ln2/2 and around 0.
    for (int k = -1000; k <= 1000; ++k) {
      for (double d : {-1e-9, 0.0, 1e-9}) {
        const double x = (k + 0.5) * kolmo::kDetLn2 + d;
        if (x < -708 || x > 709.78) continue;
        maxRel = std::max(maxRel, relativeError(detExp(x), std::exp(x)));
      }
      const double tiny = k * 1e-12;
      maxRel = std::max(maxRel, relativeError(detExp(tiny), std::exp(tiny)));
    }
    MESSAGE("detExp max relative error: " << maxRel);
    CHECK(maxRel <= 2.5e-16);
  }

  TEST_CASE("detExp special values and range ends") {
    CHECK(detExp(0.0) == 1.0);
    CHECK(std::isnan(detExp(std::numeric_limits<double>::quiet_NaN())));
    CHECK(detExp(710.0) == std::numeric_limits<double>::infinity());
    CHECK(detExp(std::numeric_limits<double>::infinity()) == std::numeric_limits<double>::infinity());
    CHECK(detExp(-746.0) == 0.0);
    CHECK(detExp(-std::numeric_limits<double>::infinity()) == 0.0);
    CHECK(std::isfinite(detExp(709.78)));
    // Subnormal results: within one subnormal step of libm.
    for (double x : {-709.0, -720.0, -740.0, -744.0}) {
      CHECK(std::fabs(detExp(x) - std::exp(x)) <= 2 * std::numeric_limits<double>::denorm_min() +
                                                      std::exp(x) * 1e-15);
    }
  }

  TEST_CASE("detLog is within 2.5e-16 relative of libm over the double range") {
    std::mt19937_64 rng(2);
    double maxRel = 0, maxAbsNearOne = 0;
    for (int i = 0; i < 400000; ++i) {
      double x;
      switch (i % 4) {
        case 0: {  // random bit patterns: every exponent, normal and subnormal
          const uint64_t b = rng() & 0x7FEFFFFFFFFFFFFFull;
          std::memcpy(&x, &b, sizeof x);
          if (x == 0) continue;
          break;
        }
        case 1: x = std::uniform_real_distribution<double>(1e-300, 1.0)(rng); break;
        case 2: x = std::uniform_real_distribution<double>(0.5, 2.0)(rng); break;
        default: x = 1.0 + std::uniform_real_distribution<double>(-1e-6, 1e-6)(rng); break;
      }
      const double want = std::log(x);
      if (std::fabs(want) < 0.5) {
        maxAbsNearOne = std::max(maxAbsNearOne, std::fabs(detLog(x) - want));
      }
      maxRel = std::max(maxRel, relativeError(detLog(x), want));
    }
    for (int e = -1074; e <= 1023; ++e) {  // exact powers of two
      const double x = std::ldexp(1.0, e);
      maxRel = std::max(maxRel, relativeError(detLog(x), std::log(x)));
    }
    MESSAGE("detLog max relative error: " << maxRel << ", max absolute near 1: " << maxAbsNearOne);
    CHECK(maxRel <= 2.5e-16);
    CHECK(maxAbsNearOne <= 1.2e-16);
  }

  TEST_CASE("detLog special values") {
    CHECK(detLog(1.0) == 0.0);
    CHECK(detLog(0.0) == -std::numeric_limits<double>::infinity());
    CHECK(detLog(-0.0) == -std::numeric_limits<double>::infinity());
    CHECK(std::isnan(detLog(-1.0)));
    CHECK(std::isnan(detLog(std::numeric_limits<double>::quiet_NaN())));
    CHECK(detLog(std::numeric_limits<double>::infinity()) == std::numeric_limits<double>::infinity());
    CHECK(detLog(std::numeric_limits<double>::denorm_min()) == doctest::Approx(-744.4400719213812));
  }

  TEST_CASE("detSin and detCos are within 2e-16 absolute on [0, pi/2]") {
    double maxAbs = 0;
    const int n = 200000;
    for (int i = 0; i <= n; ++i) {
      const double x = (kolmo::kDetPi / 2) * i / n;
      maxAbs = std::max(maxAbs, std::fabs(detSin(x) - std::sin(x)));
      maxAbs = std::max(maxAbs, std::fabs(detCos(x) - std::cos(x)));
    }
    MESSAGE("detSin/detCos max absolute error: " << maxAbs);
    CHECK(maxAbs <= 2e-16);
    CHECK(detSin(0.0) == 0.0);
    CHECK(detCos(0.0) == 1.0);
    CHECK(detSin(-1.0) == 0.0);  // clamped into [0, pi/2]
  }

  TEST_CASE("detSigmoid is symmetric and accurate") {
    for (double x = -40; x <= 40; x += 0.37) {
      CHECK(detSigmoid(x) + detSigmoid(-x) == doctest::Approx(1.0).epsilon(1e-15));
      CHECK(detSigmoid(x) == doctest::Approx(1.0 / (1.0 + std::exp(-x))).epsilon(1e-14));
    }
  }

  TEST_CASE("pinned output hash: identical bits in every build") {
    // If this fails on one platform only, that platform computes det_math differently
    // and links would not open across devices. Do not update the constant casually.
    BitHash hash;
    for (int i = -20000; i <= 20000; ++i) {
      const double x = i * 0.0371;  // [-742, 742]
      hash.add(detExp(x));
      hash.add(detLog(std::fabs(x) + 1e-300 * (i == 0)));
      hash.add(detLog(static_cast<double>(i + 20001) * 1e-7));
      hash.add(detSigmoid(x * 0.05));
    }
    for (int i = 0; i <= 1000; ++i) {
      hash.add(detSin(i * 0.00157));
      hash.add(detCos(i * 0.00157));
    }
    MESSAGE("det_math hash: " << hash.h);
    CHECK(hash.h == 8919609816177733314ull);
  }
}
