// The rounding layer's two quantization grids: log-odds r -> bin -> 16-bit probability, and
// the fragility test (rounding.h explains the layer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

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

  // The grid family of LM payload version 3 (docs/FORMAT.md §5.6): narrower central bins. A
  // payload-3 stream says which of kGridFamilySize offset grids a span of tokens uses, so a
  // fragile decision costs a few bits per span instead of a flag on every token, and finer bins
  // pay for themselves (bench/coder_bench section 7).
  static GridSpec payloadV3() {
    GridSpec spec;
    spec.centralWidth = 0.35;
    return spec;
  }
};

// Grids of the payload-3 family: grid g has its boundaries at w = phi_g + k (k integer), with
// phi_g = 1/2 + bitreverse4(g) / 16 (mod 1), so grid 0 and grid 1 are laid out as the two grids
// of payloads 1-2 and each next grid falls between the ones before it.
constexpr int kGridFamilySize = 16;

// Half-width margin added to 2 epsilon in the fragility test: it covers the rounding error
// of this layer's own double arithmetic on both sides. The worst case (derived in
// step_evaluator.cpp) is below 6e-13 in r per side, 1.2e-12 for both, so
// 1e-9 leaves a margin of ~800x while costing nothing measurable (epsilon is ~1e-4).
constexpr double kFragilityTau = 1e-9;

class Quantizer {
 public:
  // Builds both grids' boundary and probability tables with det_math (bit-identical
  // everywhere; ~0.1 ms). kBadArgument unless 0.05 <= centralWidth <= maxWidth <= 16,
  // 0 <= widthExponent <= 1, 1 <= tailLimit <= 30.
  static Status build(const GridSpec& spec, Quantizer* out);
  // The payload-3 family: kGridFamilySize grids (offsets above) of `spec`; same checks.
  static Status buildFamily(const GridSpec& spec, Quantizer* out);

  // Grids of build() (payloads 1 and 2).
  static constexpr int kNumGrids = 2;
  int numGrids() const { return static_cast<int>(boundaries_.size()); }

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
  static Quantizer withEmptyGrids(const GridSpec& spec, int numGrids);

  GridSpec spec_;
  std::vector<std::vector<double>> boundaries_;
  std::vector<std::vector<uint32_t>> probLeft_;
};

}  // namespace kolmo
