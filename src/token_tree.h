// The rounding layer's fixed binary tree over token ids (rounding.h explains the layer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

// ---- TokenTree ----

// A fixed binary tree over token ids 0..vocabSize-1: Huffman over unigram counts, so frequent
// tokens have short paths. Node ids: 0..V-1 are leaves (id == token), V..2V-2 are internal
// nodes (internal index = id - V, in creation order: both children of internal node i have
// smaller ids, so ascending order is a valid bottom-up order). The root is internal V-2.
class TokenTree {
 public:
  // One decision on a token's path: at internal node `node` (internal index), take child `bit`.
  struct PathStep {
    uint32_t node;
    uint32_t bit;
  };

  // Builds the tree. counts.size() must equal vocabSize, 2 <= vocabSize <= kMaxVocab, else
  // kBadArgument. Zero counts are treated as 1. Ties are broken by token id (leaves) and
  // creation order (internal nodes), so the same counts always give the same tree.
  static Status build(const std::vector<uint64_t>& counts, size_t vocabSize, TokenTree* out);

  static constexpr size_t kMaxVocab = size_t{1} << 24;

  size_t vocabSize() const { return vocab_; }
  size_t numInternalNodes() const { return vocab_ - 1; }
  uint32_t rootInternal() const { return static_cast<uint32_t>(vocab_ - 2); }

  // Child `bit` (0 or 1) of internal node `node`, as a node id (leaf iff < vocabSize()).
  uint32_t childId(uint32_t node, int bit) const { return children_[2 * node + (bit & 1)]; }
  bool isLeafId(uint32_t id) const { return id < vocab_; }

  // Root-to-leaf path of `token` (cleared first). token must be < vocabSize().
  void path(uint32_t token, std::vector<PathStep>* out) const;
  size_t depth(uint32_t token) const;
  size_t maxDepth() const { return maxDepth_; }

  // P(child 0) at internal node `node` under the unigram counts, in 1/65536 units, clamped to
  // [1, 65535]. Integer-only: the escape code uses it, so it must not depend on floats.
  uint32_t unigramProbLeft(uint32_t node) const { return unigramProbLeft_[node]; }

  // Children of every internal node, flattened: [2i] = child 0, [2i+1] = child 1 (node ids).
  const std::vector<uint32_t>& children() const { return children_; }

 private:
  size_t vocab_ = 0;
  size_t maxDepth_ = 0;
  std::vector<uint32_t> children_;          // (V-1, 2) node ids
  std::vector<uint32_t> parentLink_;        // (2V-1,) (internal index << 1 | bit); root: ~0u
  std::vector<uint16_t> unigramProbLeft_;   // (V-1,)
};

}  // namespace kolmo
