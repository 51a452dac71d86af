// The rounding layer's per-step evaluation of the token tree's log-odds from one logits vector
// (rounding.h explains the layer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/status.h"

#include "token_tree.h"

namespace kolmo {

// ---- StepEvaluator ----

// Per-step evaluation of the tree from one logits vector. load() is O(V): finiteness check,
// max, V calls of detExp and V-1 additions in the tree's fixed bottom-up order; logOdds() is
// then O(1) per node. Holds a reference to the tree, which must outlive it.
class StepEvaluator {
 public:
  explicit StepEvaluator(const TokenTree& tree);

  // (vocab,) float32 logits. kBadArgument if vocab != tree.vocabSize() or logits is null;
  // kNonFiniteLogits if any entry is NaN or +-Inf. On error the previous state is invalid.
  Status load(const float* logits, size_t vocab);

  // r(node) = ln S(child 0) - ln S(child 1) for internal node `node`.
  double logOdds(uint32_t node) const;
  // True when a subtree of `node` holds so little mass (all its logits more than ~600 below
  // the max) that the logit floor below could matter: the encoder treats such a node as
  // fragile on every grid (see step_evaluator.cpp). Never true on the paths of plausible tokens.
  bool isNearFloor(uint32_t node) const;
  // ln softmax(logits)[token] (as computed here, with the floor), for statistics.
  double logProb(uint32_t token) const;

  // Every argument l_i - max is clamped to >= kLogitFloor so that no exp underflows: all
  // masses stay normal doubles and the rounding-error bound of tau holds.
  static constexpr double kLogitFloor = -700.0;
  // isNearFloor threshold on ln S.
  static constexpr double kMinSafeLogMass = -600.0;

 private:
  const TokenTree& tree_;
  std::vector<double> mass_;  // (2V-1,) leaves: exp(max(l_i - max, floor)); internal: sums
};

}  // namespace kolmo
