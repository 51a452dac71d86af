// Quantization grids of the rounding layer (quantizer.h).
#include "quantizer.h"

#include <algorithm>
#include <limits>

#include "det_math.h"

namespace kolmo {

namespace {

uint32_t clampProb16(double p) {
  const double scaled = p * 65536.0 + 0.5;  // round half up; the cast truncates
  if (!(scaled >= 1.0)) return 1;
  if (scaled >= 65535.0) return 65535;
  return static_cast<uint32_t>(scaled);
}

constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace

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

bool isValidSpec(const GridSpec& spec) {
  return spec.centralWidth >= 0.05 && spec.centralWidth <= spec.maxWidth && spec.maxWidth <= 16 &&
         spec.widthExponent >= 0 && spec.widthExponent <= 1 && spec.tailLimit >= 1 && spec.tailLimit <= 30;
}

// r(w) for each of ws (w is odd in r): one walker per sign, visiting |w| in ascending order.
std::vector<double> rOfW(const GridSpec& spec, const std::vector<double>& ws) {
  std::vector<size_t> order(ws.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double wa = ws[a] < 0 ? -ws[a] : ws[a], wb = ws[b] < 0 ? -ws[b] : ws[b];
    return wa != wb ? wa < wb : a < b;
  });
  WarpWalker positive(spec), negative(spec);
  std::vector<double> rs(ws.size());
  for (size_t i : order) {
    rs[i] = ws[i] < 0 ? -negative.rAt(-ws[i]) : positive.rAt(ws[i]);
  }
  return rs;
}

// A boundary between two bins with the same probability (both clamped to 1 or 65535) changes
// nothing that is coded: drop it, so that it cannot make a decision fragile.
void dropRedundantBoundaries(std::vector<double>* bounds, std::vector<uint32_t>* probs) {
  std::vector<double> keptBounds;
  std::vector<uint32_t> keptProbs{(*probs)[0]};
  for (size_t i = 0; i < bounds->size(); ++i) {
    if ((*probs)[i + 1] == keptProbs.back()) continue;
    keptBounds.push_back((*bounds)[i]);
    keptProbs.push_back((*probs)[i + 1]);
  }
  *bounds = std::move(keptBounds);
  *probs = std::move(keptProbs);
}

}  // namespace

Quantizer Quantizer::withEmptyGrids(const GridSpec& spec, int numGrids) {
  Quantizer q;
  q.spec_ = spec;
  q.boundaries_.resize(numGrids);
  q.probLeft_.resize(numGrids);
  return q;
}

Status Quantizer::build(const GridSpec& spec, Quantizer* out) {
  if (out == nullptr || !isValidSpec(spec)) return Status::kBadArgument;
  Quantizer q = withEmptyGrids(spec, kNumGrids);
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
    dropRedundantBoundaries(&bounds, &probs);
  }
  *out = std::move(q);
  return Status::kOk;
}

// The payload-3 family. Grid g: boundaries at w = phi + k for every integer k whose r lies
// within the tail limit, phi = 1/2 + bitreverse4(g) / 16 (mod 1); each bin's probability is the
// sigmoid of r at its centre in w (the outermost bins: half a step past their boundary).
// Negative w are mirrored (w is odd in r), each sign walked upward by its own WarpWalker.
Status Quantizer::buildFamily(const GridSpec& spec, Quantizer* out) {
  if (out == nullptr || !isValidSpec(spec)) return Status::kBadArgument;
  Quantizer q = withEmptyGrids(spec, kGridFamilySize);
  for (int grid = 0; grid < kGridFamilySize; ++grid) {
    int reversed = 0;
    for (int bit = 0; bit < 4; ++bit) reversed |= ((grid >> bit) & 1) << (3 - bit);
    double phi = 0.5 + reversed / 16.0;  // exact in binary
    if (phi >= 1.0) phi -= 1.0;
    // Boundaries in w, each side upward from 0 until r passes the tail limit.
    std::vector<double> positiveW, negativeW;  // |w|, ascending
    {
      WarpWalker walker(spec);
      for (int k = 0;; ++k) {
        const double w = phi + k;
        if (walker.rAt(w) > spec.tailLimit) break;
        positiveW.push_back(w);
      }
    }
    {
      WarpWalker walker(spec);
      for (int k = 0;; ++k) {
        const double w = (1.0 - phi) + k;
        if (walker.rAt(w) > spec.tailLimit) break;
        negativeW.push_back(w);
      }
    }
    std::vector<double> boundsW;
    for (size_t i = negativeW.size(); i-- > 0;) boundsW.push_back(-negativeW[i]);
    for (double w : positiveW) boundsW.push_back(w);
    if (boundsW.empty()) return Status::kBadArgument;  // cannot happen: tailLimit >= 1
    std::vector<double> centresW;
    centresW.push_back(boundsW.front() - 0.5);
    for (size_t i = 1; i < boundsW.size(); ++i) centresW.push_back(0.5 * (boundsW[i - 1] + boundsW[i]));
    centresW.push_back(boundsW.back() + 0.5);
    std::vector<double>& bounds = q.boundaries_[grid];
    bounds = rOfW(spec, boundsW);
    std::vector<uint32_t>& probs = q.probLeft_[grid];
    for (double r : rOfW(spec, centresW)) probs.push_back(clampProb16(detSigmoid(r)));
    dropRedundantBoundaries(&bounds, &probs);
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

}  // namespace kolmo
