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
// Both grids are uniform in a warped coordinate w(r), symmetric around r = 0:
//   w(r) = theta(r) = 2 asin(sqrt(sigmoid(r)))              for |r| <= rT
//   w(r) = theta(rT) + (r - rT) * thetaStep / tailWidth      for r > rT (mirrored below -rT)
// where rT is the point at which d theta / dr = sqrt(p (1 - p)) has fallen to
// thetaStep / tailWidth, so w is continuous with a continuous slope, and bins of width
// thetaStep in w are tailWidth wide in r beyond rT. Grid 0 has boundaries at
// w = pi/2 +- (k + 1/2) thetaStep (a bin centred on r = 0), grid 1 at pi/2 +- k thetaStep.
// Boundaries stop at |r| <= tailLimit. Inverting theta needs only sin and cos:
//   p = sin^2(theta/2), r = ln p - ln(1 - p) = 2 (ln sin(theta/2) - ln cos(theta/2)).

namespace {

struct Warp {
  double thetaT;  // theta at the switch point
  double rT;      // log-odds at the switch point
  double tailRPerW;  // tailWidth / thetaStep
};

// r for w >= pi/2 (the positive half).
double rFromW(const Warp& warp, double w) {
  if (w <= warp.thetaT) {
    const double half = 0.5 * w;
    return 2.0 * (detLog(detSin(half)) - detLog(detCos(half)));
  }
  return warp.rT + (w - warp.thetaT) * warp.tailRPerW;
}

// P(child 0) for w >= pi/2.
double pFromW(const Warp& warp, double w) {
  if (w <= warp.thetaT) {
    const double s = detSin(0.5 * w);
    return s * s;
  }
  return detSigmoid(rFromW(warp, w));
}

Warp makeWarp(const GridSpec& spec) {
  // Solve sqrt(p (1 - p)) = sin(phi) cos(phi) = thetaStep / tailWidth for phi = theta / 2 in
  // [pi/4, pi/2], where sin(phi) cos(phi) falls from 1/2 to 0. Plain bisection: a fixed number
  // of halvings, so the result is the same everywhere.
  const double target = spec.thetaStep / spec.tailWidth;
  double lo = kDetPi / 4, hi = kDetPi / 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (detSin(mid) * detCos(mid) > target) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  Warp warp;
  warp.thetaT = lo + lo;
  warp.tailRPerW = spec.tailWidth / spec.thetaStep;
  warp.rT = 2.0 * (detLog(detSin(lo)) - detLog(detCos(lo)));
  return warp;
}

}  // namespace

Status Quantizer::build(const GridSpec& spec, Quantizer* out) {
  const bool valid = out != nullptr && spec.thetaStep >= 0.01 && spec.tailWidth >= 0.05 &&
                     spec.tailWidth <= 8 && spec.thetaStep <= spec.tailWidth / 2 &&
                     spec.tailLimit >= 1 && spec.tailLimit <= 30;
  if (!valid) return Status::kBadArgument;
  const Warp warp = makeWarp(spec);
  const double halfPi = kDetPi / 2;
  Quantizer q;
  q.spec_ = spec;
  for (int grid = 0; grid < kNumGrids; ++grid) {
    // Positive boundaries as (w, r), ascending.
    std::vector<double> ws, rs;
    const double offset = grid == 0 ? 0.5 * spec.thetaStep : spec.thetaStep;
    for (int k = 0;; ++k) {
      const double w = halfPi + (offset + k * spec.thetaStep);
      const double r = rFromW(warp, w);
      if (r > spec.tailLimit) break;
      ws.push_back(w);
      rs.push_back(r);
    }
    // Mirror: negative boundaries are exact negations, so the tables are symmetric.
    std::vector<double>& bounds = q.boundaries_[grid];
    for (size_t i = rs.size(); i-- > 0;) bounds.push_back(-rs[i]);
    if (grid == 1) bounds.push_back(0.0);
    for (double r : rs) bounds.push_back(r);
    // Bin centres in w. Bins of the positive half are [w_{i-1}, w_i) (the central bin of grid
    // 0 is centred on pi/2 by construction, and grid 1's bins adjoin 0); the outermost bin is
    // treated as one more step wide.
    std::vector<uint32_t> positiveProbs;  // for bins whose centre lies at w > pi/2
    double prevW = grid == 0 ? halfPi - 0.5 * spec.thetaStep : halfPi;
    for (size_t i = 0; i <= ws.size(); ++i) {
      const double nextW = i < ws.size() ? ws[i] : prevW + spec.thetaStep;
      positiveProbs.push_back(clampProb16(pFromW(warp, 0.5 * (prevW + nextW))));
      prevW = nextW;
    }
    // Grid 0: positiveProbs[0] is the central bin (p = 1/2). Assemble all bins in ascending r.
    std::vector<uint32_t>& probs = q.probLeft_[grid];
    const size_t firstPositive = grid == 0 ? 1 : 0;
    for (size_t i = positiveProbs.size(); i-- > firstPositive;) {
      probs.push_back(65536 - positiveProbs[i]);
    }
    for (size_t i = 0; i < positiveProbs.size(); ++i) probs.push_back(positiveProbs[i]);
    if (probs.size() != bounds.size() + 1) return Status::kBadArgument;  // cannot happen
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
// Error budget behind kFragilityTau (u = 2^-53 ~ 1.1e-16, V <= 2^24, tree height h <= 96
// since Huffman depth grows at least like the Fibonacci numbers and weights are < 2^64):
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
    : tree_(tree), mass_(2 * tree.vocabSize() - 1, 1.0) {}

Status StepEvaluator::load(const float* logits, size_t vocab) {
  if (logits == nullptr || vocab != tree_.vocabSize()) return Status::kBadArgument;
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
