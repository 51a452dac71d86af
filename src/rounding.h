// The deterministic rounding layer: the one place where float logits meet the coded stream.
//
// READ ME FIRST. Encoder and decoder run the model on different devices (or batched vs
// stepwise), so their logits differ by up to epsilon per entry. Quantizing all V logits
// would put hundreds of values near rounding boundaries every step. Instead a token is coded
// as the path of binary decisions down a FIXED binary tree over token ids (TokenTree, built
// once from unigram counts, Huffman-shaped). At internal node n with children A and B,
//
//     r(n) = ln S(A) - ln S(B),   S(X) = sum over tokens t in X of exp(l_t - max l)
//
// is the log-odds of going to A. LSE is 1-Lipschitz in the max norm, so logits that differ by
// <= epsilon move r(n) by <= 2 epsilon. Only the ~log2(V) nodes on the coded path matter.
// r(n) is quantized on one of two grids (Quantizer: bins uniform in theta = 2 asin(sqrt(p)),
// log-odds bins in the tails; grid 1 is offset half a step), and each bin maps to a fixed
// 16-bit probability. The encoder checks that every r on the path lies >= 2 epsilon + tau
// from a boundary of the grid it uses (isFragile); the decoder never needs epsilon.
//
// Determinism: the arithmetic below uses det_math (no libm) and a fixed summation order, so
// native and WASM builds produce identical bits for identical logits (pinned by
// tests/rounding_test.cpp and compared natively vs WASM through dumpNodeTable()).
// docs/DETERMINISM.md has the full argument, including the choice of tau.
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

// ---- Quantizer ----

// Shape of the two quantization grids. Part of the stream format: encoder and decoder must
// use the same values (the defaults; benches vary them to choose the defaults).
//
// Bins are uniform in a warped coordinate w(r) whose slope sets the bin width in log-odds:
//     width(r) = min(centralWidth * (4 p (1 - p))^-widthExponent, maxWidth),  p = sigmoid(r).
// widthExponent 1/2 makes bins uniform in theta = 2 asin(sqrt(p)) with step centralWidth / 2
// (the Fisher metric), 0 makes them uniform in log-odds. Wider bins where p(1-p) is small
// cost little (a decision's quantization loss scales with p(1-p) width^2) and cross fewer
// boundaries (a decision is fragile with probability ~ 4 epsilon / width).
// docs/DETERMINISM.md derives the trade-off and bench/coder_bench measures it.
//
// Defaults, chosen with bench/coder_bench on the synthetic model (docs/DETERMINISM.md): the
// cube-root law, which minimises quantization loss + fragility cost per decision, with
// centralWidth 0.5 (a theta step of 0.25 at p = 1/2). The theta grid with log-odds tails of
// the original design is {0.4, 0.5, 1.0}: it measured 0-0.4 points of overhead worse at
// epsilon <= 3e-4 and 1-2 points worse at 1e-3.
struct GridSpec {
  double centralWidth = 0.5;          // bin width in r at r = 0
  double widthExponent = 1.0 / 3.0;   // growth of the width with confidence (see above)
  double maxWidth = 16.0;             // no bin is wider than this in r
  // |r| beyond which everything falls into the outermost bin (p clamps to 1 or 65535 anyway).
  double tailLimit = 12.0;
};

// Half-width margin added to 2 epsilon in the fragility test: it covers the rounding error
// of this layer's own double arithmetic on both sides. The worst case (derived in
// rounding.cpp next to the evaluator) is below 6e-13 in r per side, 1.2e-12 for both, so
// 1e-9 leaves a margin of ~800x while costing nothing measurable (epsilon is ~1e-4).
constexpr double kFragilityTau = 1e-9;

class Quantizer {
 public:
  // Builds both grids' boundary and probability tables with det_math (bit-identical
  // everywhere; ~0.1 ms). kBadArgument unless 0.05 <= centralWidth <= maxWidth <= 16,
  // 0 <= widthExponent <= 1, 1 <= tailLimit <= 30.
  static Status build(const GridSpec& spec, Quantizer* out);

  static constexpr int kNumGrids = 2;

  const GridSpec& spec() const { return spec_; }
  // Bin boundaries of `grid`, ascending; bin i is [boundary[i-1], boundary[i]).
  const std::vector<double>& boundaries(int grid) const { return boundaries_[grid]; }
  uint32_t numBins(int grid) const { return static_cast<uint32_t>(boundaries_[grid].size() + 1); }

  // Bin of log-odds r on `grid` (r exactly on a boundary goes to the upper bin).
  uint32_t bin(int grid, double r) const;
  // P(child 0) for a bin, in 1/65536 units, in [1, 65535].
  uint32_t probLeft(int grid, uint32_t bin) const { return probLeft_[grid][bin]; }
  // Distance from r to the nearest boundary of `grid` (+inf if the grid has none).
  double distanceToBoundary(int grid, double r) const;
  // True if logits within epsilon (max norm) of the ones that gave r could put r in another
  // bin of `grid`: distance < 2 epsilon + kFragilityTau.
  bool isFragile(int grid, double r, double epsilon) const;

 private:
  GridSpec spec_;
  std::vector<double> boundaries_[kNumGrids];
  std::vector<uint32_t> probLeft_[kNumGrids];
};

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
  // fragile on every grid (see rounding.cpp). Never true on the paths of plausible tokens.
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

// ---- cross-build comparison ----

// Fields per internal node written by dumpNodeTable().
constexpr size_t kNodeDumpWords = 6;

// Flags word of dumpNodeTable().
enum NodeDumpFlag : uint32_t {
  kDumpFragileGrid0 = 1u << 0,
  kDumpFragileGrid1 = 1u << 1,
  kDumpNearFloor = 1u << 2,
};

// For one logits vector, writes for every internal node (index order) kNodeDumpWords words:
//   [0] bin on grid 0, [1] bin on grid 1, [2] NodeDumpFlag bits at `epsilon`,
//   [3] probLeft on grid 0 | probLeft on grid 1 << 16, [4] low and [5] high 32 bits of r.
// out is cleared first. A native and a WASM build given the same logits must produce the
// same words, bit for bit. Errors as StepEvaluator::load.
Status dumpNodeTable(const TokenTree& tree, const Quantizer& quantizer, const float* logits,
                     size_t vocab, double epsilon, std::vector<uint32_t>* out);

}  // namespace kolmo
