// libm-free exp/log/sin/cos (see det_math.h for why and how accurate).
//
// Every constant is a hex-float literal, so no decimal-to-binary conversion is involved;
// every polynomial is evaluated by Horner's rule in the order written. The build's
// -ffp-contract=off keeps the compiler from fusing a*b+c into one rounding.
#include "det_math.h"

#include <cstdint>
#include <cstring>

namespace kolmo {

namespace {

uint64_t bitsOf(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

double fromBits(uint64_t bits) {
  double x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// 2^k for k in [-1022, 1023], built from its bits (exact).
double powerOfTwo(int k) { return fromBits(static_cast<uint64_t>(k + 1023) << 52); }

const double kInf = fromBits(0x7FF0000000000000ull);
const double kNaN = fromBits(0x7FF8000000000000ull);

// ln 2 split (fdlibm): kLn2Hi has 32 significant bits, so k * kLn2Hi is exact for
// |k| < 2^21 and x - k * kLn2Hi loses nothing.
constexpr double kLn2Hi = 0x1.62e42feep-1;
constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
constexpr double kInvLn2 = 0x1.71547652b82fep+0;

// 1/n! for n = 2..13 (correctly rounded).
constexpr double kInvFact2 = 0x1.0000000000000p-1;
constexpr double kInvFact3 = 0x1.5555555555555p-3;
constexpr double kInvFact4 = 0x1.5555555555555p-5;
constexpr double kInvFact5 = 0x1.1111111111111p-7;
constexpr double kInvFact6 = 0x1.6c16c16c16c17p-10;
constexpr double kInvFact7 = 0x1.a01a01a01a01ap-13;
constexpr double kInvFact8 = 0x1.a01a01a01a01ap-16;
constexpr double kInvFact9 = 0x1.71de3a556c734p-19;
constexpr double kInvFact10 = 0x1.27e4fb7789f5cp-22;
constexpr double kInvFact11 = 0x1.ae64567f544e4p-26;
constexpr double kInvFact12 = 0x1.1eed8eff8d898p-29;
constexpr double kInvFact13 = 0x1.6124613a86d09p-33;
constexpr double kInvFact14 = 0x1.93974a8c07c9dp-37;
constexpr double kInvFact15 = 0x1.ae7f3e733b81fp-41;
constexpr double kInvFact16 = 0x1.ae7f3e733b81fp-45;
constexpr double kInvFact17 = 0x1.952c77030ad4ap-49;
constexpr double kInvFact18 = 0x1.6827863b97d97p-53;

constexpr double kPiHalf = 0x1.921fb54442d18p+0;
constexpr double kPiQuarter = 0x1.921fb54442d18p-1;

// Below this, e^x is 0 in double (the smallest subnormal is 2^-1074 ~ e^-744.44).
constexpr double kExpUnderflow = -745.2;
constexpr double kExpOverflow = 0x1.62e42fefa39efp+9;  // ln(DBL_MAX) ~ 709.78

// Taylor series of sin/cos for |x| <= pi/4: the first omitted term is < 1e-19.
double sinTaylor(double x) {
  const double z = x * x;
  double p = -kInvFact17;
  p = p * z + kInvFact15;
  p = p * z - kInvFact13;
  p = p * z + kInvFact11;
  p = p * z - kInvFact9;
  p = p * z + kInvFact7;
  p = p * z - kInvFact5;
  p = p * z + kInvFact3;
  return x - x * (z * p);
}

double cosTaylor(double x) {
  const double z = x * x;
  double p = kInvFact18;
  p = p * z - kInvFact16;
  p = p * z + kInvFact14;
  p = p * z - kInvFact12;
  p = p * z + kInvFact10;
  p = p * z - kInvFact8;
  p = p * z + kInvFact6;
  p = p * z - kInvFact4;
  p = p * z + kInvFact2;
  return 1.0 - z * p;
}

double clampToQuarterTurn(double x) {
  if (!(x > 0.0)) return 0.0;  // also maps NaN to 0
  return x > kPiHalf ? kPiHalf : x;
}

}  // namespace

double detExp(double x) {
  if (x != x) return x;
  if (x > kExpOverflow) return kInf;
  if (x < kExpUnderflow) return 0.0;
  // x = k ln2 + r with |r| <= ln2/2 (k rounded half away from zero; the cast truncates).
  const double kf = x * kInvLn2;
  const int k = static_cast<int>(kf >= 0.0 ? kf + 0.5 : kf - 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // e^r = 1 + r + r^2 (1/2! + r/3! + ... + r^11/13!); first omitted term < 4e-18.
  double p = kInvFact13;
  p = p * r + kInvFact12;
  p = p * r + kInvFact11;
  p = p * r + kInvFact10;
  p = p * r + kInvFact9;
  p = p * r + kInvFact8;
  p = p * r + kInvFact7;
  p = p * r + kInvFact6;
  p = p * r + kInvFact5;
  p = p * r + kInvFact4;
  p = p * r + kInvFact3;
  p = p * r + kInvFact2;
  const double er = 1.0 + (r + (r * r) * p);
  if (k > 1023) return er * powerOfTwo(1023) * 2.0;
  if (k < -1022) return (er * powerOfTwo(k + 1000)) * powerOfTwo(-1000);  // subnormal
  return er * powerOfTwo(k);
}

double detLog(double x) {
  if (x != x || x < 0.0) return kNaN;
  if (x == 0.0) return -kInf;
  if (x == kInf) return kInf;
  uint64_t bits = bitsOf(x);
  int exponent = static_cast<int>(bits >> 52) - 1023;
  if ((bits >> 52) == 0) {  // subnormal: scale into the normal range first (exact)
    bits = bitsOf(x * 0x1p54);
    exponent = static_cast<int>(bits >> 52) - 1023 - 54;
  }
  // x = m 2^exponent with m in [sqrt(1/2), sqrt(2)).
  double m = fromBits((bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
  if (m > 0x1.6a09e667f3bcdp+0) {
    m *= 0.5;
    exponent += 1;
  }
  // ln(1 + f) = 2 atanh(s), s = f / (2 + f); written as f - s (f - R) so that the large
  // term f (exact) is added last: R = 2 s^2/3 + 2 s^4/5 + ..., |s| <= 0.1716, first
  // omitted term (s^24) < 2e-19 relative.
  const double f = m - 1.0;  // exact (Sterbenz)
  const double s = f / (2.0 + f);
  const double z = s * s;
  double p = 0x1.642c8590b2164p-4;  // 2/23
  p = p * z + 0x1.8618618618618p-4;  // 2/21
  p = p * z + 0x1.af286bca1af28p-4;  // 2/19
  p = p * z + 0x1.e1e1e1e1e1e1ep-4;  // 2/17
  p = p * z + 0x1.1111111111111p-3;  // 2/15
  p = p * z + 0x1.3b13b13b13b14p-3;  // 2/13
  p = p * z + 0x1.745d1745d1746p-3;  // 2/11
  p = p * z + 0x1.c71c71c71c71cp-3;  // 2/9
  p = p * z + 0x1.2492492492492p-2;  // 2/7
  p = p * z + 0x1.999999999999ap-2;  // 2/5
  p = p * z + 0x1.5555555555555p-1;  // 2/3
  const double r = z * p;
  const double log1pf = f - s * (f - r);
  const double e = static_cast<double>(exponent);
  return e * kLn2Hi + (log1pf + e * kLn2Lo);
}

double detSin(double x) {
  x = clampToQuarterTurn(x);
  return x <= kPiQuarter ? sinTaylor(x) : cosTaylor(kPiHalf - x);
}

double detCos(double x) {
  x = clampToQuarterTurn(x);
  return x <= kPiQuarter ? cosTaylor(x) : sinTaylor(kPiHalf - x);
}

double detSigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + detExp(-x));
  const double e = detExp(x);
  return e / (1.0 + e);
}

}  // namespace kolmo
