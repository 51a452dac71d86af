// libm-free elementary functions for the rounding layer.
//
// Why: the rounding layer must give bit-identical results in every build (g++, clang,
// emcc) and every runtime (glibc, musl, browsers), and platform libm implementations of
// exp/log/sin differ in their last bits. These functions use only IEEE-754 double
// + - * / (each correctly rounded by the standard), integer ops and bit casts, evaluated
// in a fixed order; with -ffp-contract=off (no fused multiply-add) and no fast-math, every
// conforming platform computes the same bits.
//
// Accuracy (measured in tests/det_math_test.cpp against the platform libm over ~10^6
// points; the test asserts these bounds):
//   detExp: relative error <= 2.5e-16 on [-745, 709.78] (normal results)
//   detLog: relative error <= 2.5e-16 (absolute <= 1.2e-16 near x = 1) for x > 0
//   detSin, detCos: absolute error <= 2e-16 on [0, pi/2]
// i.e. about one unit in the last place. Exactness is not the goal — determinism is.
#pragma once

namespace kolmo {

// e^x. NaN -> NaN, x > 709.78 -> +inf, x < -745.2 -> +0; subnormal results are computed
// deterministically (with one extra rounding).
double detExp(double x);

// Natural logarithm. x < 0 or NaN -> NaN, +-0 -> -inf, +inf -> +inf.
double detLog(double x);

// Sine and cosine for x in [0, pi/2] (the only range the quantizer tables need).
// Arguments outside that range are clamped into it.
double detSin(double x);
double detCos(double x);

// 1 / (1 + e^-x), the probability that belongs to log-odds x.
double detSigmoid(double x);

// pi and ln 2 as the nearest doubles (shared so every table uses the same constants).
constexpr double kDetPi = 3.141592653589793116;
constexpr double kDetLn2 = 0.6931471805599453094;

}  // namespace kolmo
