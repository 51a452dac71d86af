// The deterministic rounding layer (see rounding.h): Huffman token tree, quantization grids,
// per-step evaluation of the tree's log-odds, fragility test, and the node-table dump used
// to compare builds.
#include "rounding.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "det_math.h"

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

uint32_t clampProb16(double p) {
  const double scaled = p * 65536.0 + 0.5;  // round half up; the cast truncates
  if (!(scaled >= 1.0)) return 1;
  if (scaled >= 65535.0) return 65535;
  return static_cast<uint32_t>(scaled);
}

constexpr double kInfinity = std::numeric_limits<double>::infinity();

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

// ---- Quantizer ----
//
// Both grids are uniform in w(r) = integral from 0 to r of 1 / width(t) dt (GridSpec), odd in r:
// grid 0 has boundaries at w = +-(k + 1/2) (a bin centred on r = 0), grid 1 at w = 0, +-k, so
// every boundary of one grid sits mid-bin of the other. Only the positive half is computed;
// the negative half is its exact mirror. w is integrated with Simpson's rule on a fixed step
// and inverted by linear interpolation inside a step: a fixed sequence of det_math calls and
// IEEE operations, so every build gets the same tables. Their accuracy only affects how good
// the bins are, never whether encoder and decoder agree.

namespace {

constexpr double kWarpStep = 1.0 / 64;  // integration step in r

// 1 / width(r) for r >= 0.
double inverseWidth(const GridSpec& spec, double r) {
  const double e = detExp(-r);
  // ln(4 p (1 - p)) = ln 4 - r - 2 ln(1 + e^-r)
  const double log4pq = 2.0 * kDetLn2 - r - 2.0 * detLog(1.0 + e);
  const double growth = detExp(-spec.widthExponent * log4pq);  // (4pq)^-exponent
  double width = spec.centralWidth * growth;
  if (!(width < spec.maxWidth)) width = spec.maxWidth;
  return 1.0 / width;
}

// Walks r upward from 0, integrating w, and reports the r at which w reaches each of a rising
// sequence of targets.
class WarpWalker {
 public:
  explicit WarpWalker(const GridSpec& spec) : spec_(spec), slopeAtR_(inverseWidth(spec, 0.0)) {}

  // The r with w(r) = target; targets must not decrease between calls.
  double rAt(double target) {
    while (w_ + stepIncrement() < target) advance();
    const double increment = stepIncrement();
    return r_ + kWarpStep * ((target - w_) / increment);
  }

 private:
  double stepIncrement() {
    if (!haveIncrement_) {
      const double mid = inverseWidth(spec_, r_ + 0.5 * kWarpStep);
      slopeAtNext_ = inverseWidth(spec_, r_ + kWarpStep);
      increment_ = (kWarpStep / 6.0) * (slopeAtR_ + 4.0 * mid + slopeAtNext_);
      haveIncrement_ = true;
    }
    return increment_;
  }
  void advance() {
    w_ += stepIncrement();
    r_ += kWarpStep;
    slopeAtR_ = slopeAtNext_;
    haveIncrement_ = false;
  }

  const GridSpec& spec_;
  double r_ = 0;
  double w_ = 0;
  double slopeAtR_;
  double slopeAtNext_ = 0;
  double increment_ = 0;
  bool haveIncrement_ = false;
};

}  // namespace

Status Quantizer::build(const GridSpec& spec, Quantizer* out) {
  const bool valid = out != nullptr && spec.centralWidth >= 0.05 && spec.centralWidth <= spec.maxWidth &&
                     spec.maxWidth <= 16 && spec.widthExponent >= 0 && spec.widthExponent <= 1 &&
                     spec.tailLimit >= 1 && spec.tailLimit <= 30;
  if (!valid) return Status::kBadArgument;
  Quantizer q;
  q.spec_ = spec;
  for (int grid = 0; grid < kNumGrids; ++grid) {
    // Positive half: boundaries at w = offset + k, bin centres at w = offset + k + 1/2, where
    // the first bin of grid 0 starts at w = -1/2 (the central bin) and grid 1's at w = 0.
    const double offset = grid == 0 ? 0.5 : 0.0;
    WarpWalker walker(spec);
    std::vector<double> positiveBounds;
    std::vector<uint32_t> positiveProbs;  // bins whose centre lies at w >= 0
    if (grid == 0) positiveProbs.push_back(32768);  // the central bin, p = 1/2 exactly
    for (int k = 0;; ++k) {
      const double boundaryW = offset + k;
      if (boundaryW > 0) {
        const double r = walker.rAt(boundaryW);
        if (r > spec.tailLimit) {
          // The outermost bin: everything beyond the last boundary; its centre is taken half
          // a step past that boundary.
          break;
        }
        positiveBounds.push_back(r);
      }
      positiveProbs.push_back(clampProb16(detSigmoid(walker.rAt(boundaryW + 0.5))));
    }
    std::vector<double>& bounds = q.boundaries_[grid];
    for (size_t i = positiveBounds.size(); i-- > 0;) bounds.push_back(-positiveBounds[i]);
    if (grid == 1) bounds.push_back(0.0);
    for (double r : positiveBounds) bounds.push_back(r);
    std::vector<uint32_t>& probs = q.probLeft_[grid];
    const size_t firstPositive = grid == 0 ? 1 : 0;  // grid 0's central bin is not mirrored
    for (size_t i = positiveProbs.size(); i-- > firstPositive;) probs.push_back(65536 - positiveProbs[i]);
    for (uint32_t p : positiveProbs) probs.push_back(p);
    if (probs.size() != bounds.size() + 1) return Status::kBadArgument;  // cannot happen
    // A boundary between two bins with the same probability (both clamped to 1 or 65535)
    // changes nothing that is coded: drop it, so that it cannot make a decision fragile.
    std::vector<double> keptBounds;
    std::vector<uint32_t> keptProbs{probs[0]};
    for (size_t i = 0; i < bounds.size(); ++i) {
      if (probs[i + 1] == keptProbs.back()) continue;
      keptBounds.push_back(bounds[i]);
      keptProbs.push_back(probs[i + 1]);
    }
    bounds = std::move(keptBounds);
    probs = std::move(keptProbs);
  }
  *out = std::move(q);
  return Status::kOk;
}

uint32_t Quantizer::bin(int grid, double r) const {
  const std::vector<double>& b = boundaries_[grid];
  return static_cast<uint32_t>(std::upper_bound(b.begin(), b.end(), r) - b.begin());
}

double Quantizer::distanceToBoundary(int grid, double r) const {
  const std::vector<double>& b = boundaries_[grid];
  const uint32_t i = bin(grid, r);
  double distance = kInfinity;
  if (i > 0) distance = r - b[i - 1];
  if (i < b.size()) distance = std::min(distance, b[i] - r);
  return distance;
}

bool Quantizer::isFragile(int grid, double r, double epsilon) const {
  return distanceToBoundary(grid, r) < 2.0 * epsilon + kFragilityTau;
}

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

// ---- dump ----

Status dumpNodeTable(const TokenTree& tree, const Quantizer& quantizer, const float* logits,
                     size_t vocab, double epsilon, std::vector<uint32_t>* out) {
  if (out == nullptr) return Status::kBadArgument;
  out->clear();
  StepEvaluator evaluator(tree);
  const Status status = evaluator.load(logits, vocab);
  if (status != Status::kOk) return status;
  out->reserve(tree.numInternalNodes() * kNodeDumpWords);
  for (uint32_t node = 0; node < tree.numInternalNodes(); ++node) {
    const double r = evaluator.logOdds(node);
    const uint32_t bin0 = quantizer.bin(0, r);
    const uint32_t bin1 = quantizer.bin(1, r);
    uint32_t flags = 0;
    if (quantizer.isFragile(0, r, epsilon)) flags |= kDumpFragileGrid0;
    if (quantizer.isFragile(1, r, epsilon)) flags |= kDumpFragileGrid1;
    if (evaluator.isNearFloor(node)) flags |= kDumpNearFloor;
    uint64_t rBits;
    std::memcpy(&rBits, &r, sizeof rBits);
    out->push_back(bin0);
    out->push_back(bin1);
    out->push_back(flags);
    out->push_back(quantizer.probLeft(0, bin0) | (quantizer.probLeft(1, bin1) << 16));
    out->push_back(static_cast<uint32_t>(rBits));
    out->push_back(static_cast<uint32_t>(rBits >> 32));
  }
  return Status::kOk;
}

}  // namespace kolmo
