// Per-step log-odds of the token tree (step_evaluator.h).
#include "step_evaluator.h"

#include <algorithm>
#include <cstring>

#include "det_math.h"

namespace kolmo {

// ---- StepEvaluator ----
//
// Error budget behind kFragilityTau (u = 2^-53 ~ 1.1e-16, V <= 2^24, tree height h <= ~96:
// Huffman subtree weights grow at least like the Fibonacci numbers along a path, and weights
// stay below 2^64; even h = 1000 would only add 1e-13):
//  * x_i = fl(l_i - M) is l_i - M to within u |x_i| <= 700u (|x_i| <= 700 after the floor);
//  * detExp adds <= 2.5e-16 relative (measured), so each leaf mass has relative error
//    <= 700u + 2.5e-16 ~ 7.8e-14;
//  * summing positive terms up a tree of height h adds <= h u relative: <= 1.1e-14;
//  * so ln S has absolute error <= ~9e-14 from the masses, plus detLog's own relative error
//    2.5e-16 * |ln S| <= 2.5e-16 * 717 ~ 1.8e-13 (|ln S| <= 700 + ln V);
//  * r = difference of two such logs (+ one rounding, <= u |r|): < 6e-13 per side.
// Encoder and decoder each err by that much, so their computed r differ by at most
// 2 epsilon + 1.2e-12 < 2 epsilon + tau whenever their logits are within epsilon.
//
// The floor at -700 keeps every mass a normal double (no underflow, so the bound above holds)
// but makes r depend on M for subtrees whose entries all lie near the floor. isNearFloor()
// flags nodes with a subtree of mass < e^-600: everywhere else the floored entries weigh
// < V e^-700 / e^-(600 + ln V) < e^-66 relative, far below tau.

StepEvaluator::StepEvaluator(const TokenTree& tree)
    : tree_(tree), mass_(tree.vocabSize() >= 2 ? 2 * tree.vocabSize() - 1 : 0, 1.0) {}

Status StepEvaluator::load(const float* logits, size_t vocab) {
  // A default-constructed (never built) tree has no nodes: nothing to evaluate.
  if (logits == nullptr || vocab != tree_.vocabSize() || vocab < 2) return Status::kBadArgument;
  // Finiteness from the bits: immune to any compiler assumption about NaN comparisons.
  float maxLogit = logits[0];
  for (size_t i = 0; i < vocab; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &logits[i], sizeof bits);
    if ((bits & 0x7F800000u) == 0x7F800000u) return Status::kNonFiniteLogits;
    if (logits[i] > maxLogit) maxLogit = logits[i];
  }
  const double maxValue = static_cast<double>(maxLogit);
  double* mass = mass_.data();
  for (size_t i = 0; i < vocab; ++i) {
    double x = static_cast<double>(logits[i]) - maxValue;
    if (x < kLogitFloor) x = kLogitFloor;
    mass[i] = detExp(x);
  }
  // Bottom-up in creation order: the one fixed summation order of every subtree.
  const uint32_t* children = tree_.children().data();
  const size_t internalCount = vocab - 1;
  double* internalMass = mass + vocab;
  for (size_t n = 0; n < internalCount; ++n) {
    internalMass[n] = mass[children[2 * n]] + mass[children[2 * n + 1]];
  }
  return Status::kOk;
}

double StepEvaluator::logOdds(uint32_t node) const {
  // Masses are >= e^-700 > 0 (the floor), so both logs are finite.
  return detLog(mass_[tree_.childId(node, 0)]) - detLog(mass_[tree_.childId(node, 1)]);
}

bool StepEvaluator::isNearFloor(uint32_t node) const {
  return detLog(mass_[tree_.childId(node, 0)]) < kMinSafeLogMass ||
         detLog(mass_[tree_.childId(node, 1)]) < kMinSafeLogMass;
}

double StepEvaluator::logProb(uint32_t token) const {
  const double rootMass = mass_[tree_.vocabSize() + tree_.rootInternal()];
  return detLog(mass_[token]) - detLog(rootMass);
}

}  // namespace kolmo
