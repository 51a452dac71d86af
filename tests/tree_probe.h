// Test helpers that reach into the rounding layer's token tree (rounding.h): the tree of the
// synthetic counts, the leaves under a node, and placing a node's log-odds on a chosen value (for
// adversarial tests next to quantization boundaries).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <vector>

#include "rounding.h"
#include "synthetic_model.h"

namespace kolmo_test {

// The token tree of syntheticCounts(vocab), built once per vocabulary size (the process aborts
// if it cannot be built: every test depends on it).
inline const kolmo::TokenTree& syntheticTree(size_t vocab) {
  static std::map<size_t, kolmo::TokenTree> trees;
  auto found = trees.find(vocab);
  if (found == trees.end()) {
    kolmo::TokenTree tree;
    if (kolmo::TokenTree::build(syntheticCounts(vocab), vocab, &tree) != kolmo::Status::kOk) std::abort();
    found = trees.emplace(vocab, std::move(tree)).first;
  }
  return found->second;
}

// Token ids in the subtree under node id `id`.
inline void collectLeaves(const kolmo::TokenTree& tree, uint32_t id, std::vector<uint32_t>* out) {
  if (tree.isLeafId(id)) {
    out->push_back(id);
    return;
  }
  const uint32_t node = id - static_cast<uint32_t>(tree.vocabSize());
  collectLeaves(tree, tree.childId(node, 0), out);
  collectLeaves(tree, tree.childId(node, 1), out);
}

// Shifts the logits under child 0 of internal `node` (exactly, in steps of 2^-20) so that the
// evaluator's r(node) lands as close as possible to `target`; returns the r it achieved. Other
// nodes inside either subtree keep their r (LSE is shift-invariant within a subtree).
inline double placeLogOdds(const kolmo::TokenTree& tree, std::vector<float>* logits, uint32_t node,
                           double target) {
  std::vector<uint32_t> leaves;
  collectLeaves(tree, tree.childId(node, 0), &leaves);
  kolmo::StepEvaluator evaluator(tree);
  double r = 0;
  for (int iteration = 0; iteration < 6; ++iteration) {
    evaluator.load(logits->data(), logits->size());
    r = evaluator.logOdds(node);
    const double shift = std::round((target - r) * 1048576.0) / 1048576.0;
    if (shift == 0) break;
    for (uint32_t t : leaves) (*logits)[t] += static_cast<float>(shift);
  }
  evaluator.load(logits->data(), logits->size());
  return evaluator.logOdds(node);
}

}  // namespace kolmo_test
