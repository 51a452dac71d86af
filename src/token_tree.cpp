// Huffman token tree of the rounding layer (token_tree.h).
#include "token_tree.h"

#include <algorithm>

namespace kolmo {

namespace {

constexpr uint32_t kNoParent = ~0u;

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  const uint64_t sum = a + b;
  return sum < a ? ~uint64_t{0} : sum;
}

// round(65536 * a / (a + b)) clamped to [1, 65535], in integers only.
uint16_t probLeftFromWeights(uint64_t a, uint64_t b) {
  while (a >= (uint64_t{1} << 32) || b >= (uint64_t{1} << 32)) {
    a >>= 1;
    b >>= 1;
  }
  const uint64_t total = a + b;
  uint64_t p = total == 0 ? 32768 : (a * 65536 + total / 2) / total;
  if (p < 1) p = 1;
  if (p > 65535) p = 65535;
  return static_cast<uint16_t>(p);
}

}  // namespace

// ---- TokenTree ----

Status TokenTree::build(const std::vector<uint64_t>& counts, size_t vocabSize, TokenTree* out) {
  if (out == nullptr || vocabSize < 2 || vocabSize > kMaxVocab || counts.size() != vocabSize) {
    return Status::kBadArgument;
  }
  const uint32_t vocab = static_cast<uint32_t>(vocabSize);
  TokenTree tree;
  tree.vocab_ = vocabSize;
  tree.children_.assign(2 * (vocabSize - 1), 0);
  tree.parentLink_.assign(2 * vocabSize - 1, kNoParent);
  tree.unigramProbLeft_.assign(vocabSize - 1, 0);

  // Two-queue Huffman: leaves sorted by (count, id); internal nodes come out of the merges in
  // non-decreasing weight order, so a FIFO keeps them sorted. On equal weights a leaf is taken
  // before an internal node. Every tie is thus resolved by a fixed rule.
  std::vector<uint64_t> weight(2 * vocabSize - 1);
  for (uint32_t t = 0; t < vocab; ++t) weight[t] = counts[t] == 0 ? 1 : counts[t];
  std::vector<uint32_t> leaves(vocab);
  for (uint32_t t = 0; t < vocab; ++t) leaves[t] = t;
  std::sort(leaves.begin(), leaves.end(), [&](uint32_t a, uint32_t b) {
    return weight[a] != weight[b] ? weight[a] < weight[b] : a < b;
  });
  size_t nextLeaf = 0;
  uint32_t nextInternalToMerge = vocab;  // node ids of internal nodes not yet merged
  uint32_t nextInternalToCreate = vocab;
  auto takeSmallest = [&]() -> uint32_t {
    const bool haveLeaf = nextLeaf < leaves.size();
    const bool haveInternal = nextInternalToMerge < nextInternalToCreate;
    if (haveLeaf && (!haveInternal || weight[leaves[nextLeaf]] <= weight[nextInternalToMerge])) {
      return leaves[nextLeaf++];
    }
    return nextInternalToMerge++;
  };
  for (uint32_t i = 0; i + 1 < vocab; ++i) {
    const uint32_t first = takeSmallest();
    const uint32_t second = takeSmallest();
    const uint32_t id = nextInternalToCreate++;
    weight[id] = saturatingAdd(weight[first], weight[second]);
    tree.children_[2 * i] = first;
    tree.children_[2 * i + 1] = second;
    tree.parentLink_[first] = i << 1;
    tree.parentLink_[second] = (i << 1) | 1;
    tree.unigramProbLeft_[i] = probLeftFromWeights(weight[first], weight[second]);
  }
  // Depths top-down: parents have larger ids, so descending id order visits parents first.
  std::vector<uint32_t> depth(2 * vocabSize - 1, 0);
  for (uint32_t id = 2 * vocab - 2; id-- > 0;) {
    depth[id] = depth[vocab + (tree.parentLink_[id] >> 1)] + 1;
    if (id < vocab) tree.maxDepth_ = std::max<size_t>(tree.maxDepth_, depth[id]);
  }
  *out = std::move(tree);
  return Status::kOk;
}

void TokenTree::path(uint32_t token, std::vector<PathStep>* out) const {
  out->clear();
  for (uint32_t id = token; parentLink_[id] != kNoParent;) {
    const uint32_t link = parentLink_[id];
    out->push_back({link >> 1, link & 1});
    id = static_cast<uint32_t>(vocab_) + (link >> 1);
  }
  std::reverse(out->begin(), out->end());
}

size_t TokenTree::depth(uint32_t token) const {
  size_t d = 0;
  for (uint32_t id = token; parentLink_[id] != kNoParent; ++d) {
    id = static_cast<uint32_t>(vocab_) + (parentLink_[id] >> 1);
  }
  return d;
}

}  // namespace kolmo
