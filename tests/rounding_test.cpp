// Rounding-layer tests: the Huffman token tree, the two quantization grids, the per-step
// evaluator (accuracy, chain rule, NaN/Inf), and the central guarantee — a node the encoder
// calls robust on a grid lands in the same bin for any logits within epsilon (max norm),
// including adversarial logits placed right at, just inside and just outside 2 epsilon of a
// boundary. Pinned hashes of the tree, the tables and a node dump catch any build whose
// arithmetic differs (the WASM build must reproduce them).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "rounding.h"
#include "synthetic_model.h"
#include "tree_probe.h"

namespace {

using kolmo::Quantizer;
using kolmo::Status;
using kolmo::StepEvaluator;
using kolmo::TokenTree;
using kolmo_test::syntheticCounts;
using kolmo_test::syntheticLogits;

constexpr double kTau = kolmo::kFragilityTau;

TokenTree buildTree(const std::vector<uint64_t>& counts) {
  TokenTree tree;
  REQUIRE(TokenTree::build(counts, counts.size(), &tree) == Status::kOk);
  return tree;
}

Quantizer defaultQuantizer() {
  Quantizer q;
  REQUIRE(Quantizer::build(kolmo::GridSpec(), &q) == Status::kOk);
  return q;
}

struct Fnv {
  uint64_t h = 0xcbf29ce484222325ull;
  void add(uint64_t v, int bytes = 8) {
    for (int i = 0; i < bytes; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 0x100000001b3ull;
    }
  }
  void addDouble(double x) {
    uint64_t b;
    std::memcpy(&b, &x, sizeof b);
    add(b);
  }
};

// Reference r(node) in long double with libm (accuracy reference only).
long double referenceLogOdds(const TokenTree& tree, const std::vector<float>& logits, uint32_t node) {
  long double maxLogit = logits[0];
  for (float l : logits) maxLogit = std::max<long double>(maxLogit, l);
  auto mass = [&](uint32_t id) {
    std::vector<uint32_t> leaves;
    kolmo_test::collectLeaves(tree, id, &leaves);
    long double s = 0;
    for (uint32_t t : leaves) s += std::exp(static_cast<long double>(logits[t]) - maxLogit);
    return s;
  };
  return std::log(mass(tree.childId(node, 0))) - std::log(mass(tree.childId(node, 1)));
}

double thetaOf(double r) { return 2.0 * std::asin(std::sqrt(1.0 / (1.0 + std::exp(-r)))); }

}  // namespace

TEST_SUITE("rounding") {
  // ---- TokenTree ----

  TEST_CASE("tree build rejects bad arguments") {
    TokenTree tree;
    CHECK(TokenTree::build({1}, 1, &tree) == Status::kBadArgument);
    CHECK(TokenTree::build({1, 2, 3}, 4, &tree) == Status::kBadArgument);
    CHECK(TokenTree::build({1, 2}, 2, nullptr) == Status::kBadArgument);
    CHECK(TokenTree::build({5, 7}, 2, &tree) == Status::kOk);
    CHECK(tree.numInternalNodes() == 1);
  }

  TEST_CASE("tree paths lead to their tokens and form a complete prefix code") {
    for (size_t vocab : {2u, 3u, 257u, 1000u, 8192u}) {
      CAPTURE(vocab);
      const TokenTree tree = buildTree(syntheticCounts(vocab));
      double kraft = 0;
      std::vector<TokenTree::PathStep> path;
      for (uint32_t t = 0; t < vocab; ++t) {
        tree.path(t, &path);
        REQUIRE(path.size() == tree.depth(t));
        REQUIRE(!path.empty());
        REQUIRE(path.front().node == tree.rootInternal());
        uint32_t id = static_cast<uint32_t>(vocab) + tree.rootInternal();
        for (const auto& step : path) {
          REQUIRE(id == vocab + step.node);
          id = tree.childId(step.node, static_cast<int>(step.bit));
        }
        REQUIRE(id == t);
        kraft += std::ldexp(1.0, -static_cast<int>(path.size()));
      }
      CHECK(kraft == doctest::Approx(1.0).epsilon(1e-12));
      // Bottom-up order: both children of internal node i have smaller node ids.
      for (uint32_t n = 0; n < tree.numInternalNodes(); ++n) {
        CHECK(tree.childId(n, 0) < vocab + n);
        CHECK(tree.childId(n, 1) < vocab + n);
      }
    }
  }

  TEST_CASE("tree is a Huffman code: mean length within one bit of the entropy") {
    const std::vector<uint64_t> counts = syntheticCounts(8192);
    const TokenTree tree = buildTree(counts);
    double total = 0;
    for (uint64_t c : counts) total += static_cast<double>(c);
    double entropy = 0, meanLength = 0;
    for (uint32_t t = 0; t < counts.size(); ++t) {
      const double p = counts[t] / total;
      entropy -= p * std::log2(p);
      meanLength += p * static_cast<double>(tree.depth(t));
    }
    MESSAGE("entropy " << entropy << " bits, mean path " << meanLength << ", max depth " << tree.maxDepth());
    CHECK(meanLength >= entropy);
    CHECK(meanLength < entropy + 1);
  }

  TEST_CASE("tree tie-breaks are deterministic; zero counts count as one") {
    SUBCASE("equal counts over a power of two give a balanced tree") {
      const TokenTree tree = buildTree(std::vector<uint64_t>(1024, 5));
      for (uint32_t t = 0; t < 1024; ++t) CHECK(tree.depth(t) == 10);
    }
    SUBCASE("zeros equal ones") {
      std::vector<uint64_t> withZeros = syntheticCounts(500), withOnes = withZeros;
      for (size_t i = 0; i < withZeros.size(); i += 3) {
        withZeros[i] = 0;
        withOnes[i] = 1;
      }
      CHECK(buildTree(withZeros).children() == buildTree(withOnes).children());
    }
    SUBCASE("building twice gives the same tree") {
      CHECK(buildTree(syntheticCounts(3000)).children() == buildTree(syntheticCounts(3000)).children());
    }
    SUBCASE("huge counts saturate instead of overflowing") {
      std::vector<uint64_t> counts(300, ~uint64_t{0} / 3);
      counts[7] = ~uint64_t{0};
      const TokenTree tree = buildTree(counts);
      double kraft = 0;
      for (uint32_t t = 0; t < counts.size(); ++t) kraft += std::ldexp(1.0, -static_cast<int>(tree.depth(t)));
      CHECK(kraft == doctest::Approx(1.0));
    }
    SUBCASE("geometric counts give a deep but valid tree") {
      std::vector<uint64_t> counts(64);
      for (size_t i = 0; i < counts.size(); ++i) counts[i] = uint64_t{1} << i;
      const TokenTree tree = buildTree(counts);
      CHECK(tree.maxDepth() == 63);
      CHECK(tree.depth(63) == 1);
    }
  }

  TEST_CASE("unigram probabilities follow the subtree counts") {
    const std::vector<uint64_t> counts = syntheticCounts(2000);
    const TokenTree tree = buildTree(counts);
    for (uint32_t n = 0; n < tree.numInternalNodes(); n += 7) {
      std::vector<uint32_t> left, right;
      kolmo_test::collectLeaves(tree, tree.childId(n, 0), &left);
      kolmo_test::collectLeaves(tree, tree.childId(n, 1), &right);
      double wl = 0, wr = 0;
      for (uint32_t t : left) wl += static_cast<double>(counts[t]);
      for (uint32_t t : right) wr += static_cast<double>(counts[t]);
      const double expected = std::min(65535.0, std::max(1.0, std::round(65536 * wl / (wl + wr))));
      CHECK(std::fabs(tree.unigramProbLeft(n) - expected) <= 1.0);
    }
  }

  TEST_CASE("pinned tree hash") {
    const TokenTree tree = buildTree(syntheticCounts(8192));
    Fnv hash;
    for (uint32_t c : tree.children()) hash.add(c, 4);
    for (uint32_t n = 0; n < tree.numInternalNodes(); ++n) hash.add(tree.unigramProbLeft(n), 2);
    MESSAGE("tree hash " << hash.h);
    CHECK(hash.h == 7466834617660360475ull);
  }

  // ---- Quantizer ----

  TEST_CASE("quantizer rejects bad grid specs") {
    Quantizer q;
    kolmo::GridSpec spec;
    spec.centralWidth = 0.0;
    CHECK(Quantizer::build(spec, &q) == Status::kBadArgument);
    spec = kolmo::GridSpec();
    spec.centralWidth = spec.maxWidth * 2;
    CHECK(Quantizer::build(spec, &q) == Status::kBadArgument);
    spec = kolmo::GridSpec();
    spec.widthExponent = -0.5;
    CHECK(Quantizer::build(spec, &q) == Status::kBadArgument);
    spec = kolmo::GridSpec();
    spec.tailLimit = 100;
    CHECK(Quantizer::build(spec, &q) == Status::kBadArgument);
    CHECK(Quantizer::build(kolmo::GridSpec(), nullptr) == Status::kBadArgument);
  }

  TEST_CASE("grids: sorted, symmetric, interleaved, bins as wide as the spec says") {
    std::vector<kolmo::GridSpec> specs(6);
    specs[1].centralWidth = 0.2;                                  // theta grid, step 0.1
    specs[2].centralWidth = 0.6;                                  // theta grid, step 0.3
    specs[3].widthExponent = 1.0 / 3;                             // cube-root law
    specs[3].maxWidth = 4.0;
    specs[4].widthExponent = 0.0;                                 // uniform in log-odds
    specs[4].centralWidth = 0.5;
    specs[5].widthExponent = 0.5;                                 // theta grid without a cap
    specs[5].maxWidth = 16.0;
    for (const kolmo::GridSpec& spec : specs) {
      CAPTURE(spec.centralWidth);
      CAPTURE(spec.widthExponent);
      CAPTURE(spec.maxWidth);
      Quantizer q;
      REQUIRE(Quantizer::build(spec, &q) == Status::kOk);
      // The width law, evaluated with libm: width(r) = min(c (4pq)^-a, maxWidth).
      auto width = [&](double r) {
        const double p = 1 / (1 + std::exp(-r));
        return std::min(spec.centralWidth * std::pow(4 * p * (1 - p), -spec.widthExponent), spec.maxWidth);
      };
      for (int grid = 0; grid < 2; ++grid) {
        const std::vector<double>& b = q.boundaries(grid);
        REQUIRE(b.size() >= 2);
        for (size_t i = 0; i + 1 < b.size(); ++i) CHECK(b[i] < b[i + 1]);
        for (size_t i = 0; i < b.size(); ++i) CHECK(b[i] == -b[b.size() - 1 - i]);
        CHECK(b.back() <= spec.tailLimit);
        // Each bin spans one unit of w: the integral of 1/width over it is 1 (away from the
        // clamped tails, where bins of equal probability are merged).
        for (size_t i = 0; i + 1 < b.size(); ++i) {
          if (std::fabs(b[i]) > 10 || std::fabs(b[i + 1]) > 10) continue;
          const int n = 256;
          const double h = (b[i + 1] - b[i]) / n;
          double integral = 0;
          for (int k = 0; k < n; ++k) {
            const double a = b[i] + k * h;
            integral += h / 6 * (1 / width(a) + 4 / width(a + h / 2) + 1 / width(a + h));
          }
          CHECK(integral == doctest::Approx(1.0).epsilon(1e-3));
        }
        // The theta grid proper: consecutive boundaries are centralWidth / 2 apart in theta.
        if (spec.widthExponent == 0.5) {
          const size_t mid = b.size() / 2;
          CHECK(thetaOf(b[mid + 1]) - thetaOf(b[mid]) == doctest::Approx(spec.centralWidth / 2).epsilon(1e-4));
        }
        // Probabilities: increasing with r, within [1, 65535], symmetric, inside their bin.
        const uint32_t bins = q.numBins(grid);
        for (uint32_t i = 0; i < bins; ++i) {
          CHECK(q.probLeft(grid, i) >= 1);
          CHECK(q.probLeft(grid, i) <= 65535);
          if (i > 0) CHECK(q.probLeft(grid, i) >= q.probLeft(grid, i - 1));
          const uint32_t mirror = q.probLeft(grid, bins - 1 - i);
          if (mirror > 1 && mirror < 65535) CHECK(q.probLeft(grid, i) + mirror == 65536);
        }
        for (uint32_t i = 1; i + 1 < bins; ++i) {
          if (q.probLeft(grid, i) == 1 || q.probLeft(grid, i) == 65535) continue;  // clamped
          const double p = q.probLeft(grid, i) / 65536.0;
          const double r = std::log(p / (1 - p));
          CHECK(r >= b[i - 1] - 1e-3);
          CHECK(r <= b[i] + 1e-3);
        }
      }
      // Grid 0 has a bin centred on 0 (p = 1/2), grid 1 a boundary at 0.
      CHECK(q.probLeft(0, q.bin(0, 0.0)) == 32768);
      CHECK(std::count(q.boundaries(1).begin(), q.boundaries(1).end(), 0.0) == 1);
      // Interleaving: strictly between two neighbouring grid-0 boundaries lies one grid-1
      // boundary, half a bin (in w) from each (none where equal-probability bins were merged
      // in the clamped tails), so no r is near both grids' boundaries.
      const std::vector<double>& b0 = q.boundaries(0);
      const std::vector<double>& b1 = q.boundaries(1);
      for (size_t i = 0; i + 1 < b0.size(); ++i) {
        const auto inside = std::count_if(b1.begin(), b1.end(), [&](double x) { return x > b0[i] && x < b0[i + 1]; });
        CHECK(inside <= 1);
        if (std::fabs(b0[i + 1]) < 10) CHECK(inside == 1);
      }
      double minGap = 1e9;
      for (double x : b0) minGap = std::min(minGap, q.distanceToBoundary(1, x));
      CHECK(minGap > 0.45 * spec.centralWidth);
    }
  }

  TEST_CASE("bin lookup, distance and the fragility threshold") {
    const Quantizer q = defaultQuantizer();
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> anyR(-20, 20);
    for (int i = 0; i < 20000; ++i) {
      const double r = anyR(rng);
      for (int grid = 0; grid < 2; ++grid) {
        const std::vector<double>& b = q.boundaries(grid);
        const uint32_t bin = q.bin(grid, r);
        if (bin > 0) REQUIRE(b[bin - 1] <= r);
        if (bin < b.size()) REQUIRE(r < b[bin]);
      }
    }
    const double eps = 1e-4;
    for (int grid = 0; grid < 2; ++grid) {
      for (double b : q.boundaries(grid)) {
        CHECK(q.bin(grid, b) == q.bin(grid, std::nextafter(b, 1e9)));  // on a boundary: upper bin
        CHECK(q.bin(grid, b) == q.bin(grid, std::nextafter(b, -1e9)) + 1);
        CHECK(q.isFragile(grid, b, eps));
        CHECK(q.isFragile(grid, b + 2 * eps, eps));
        CHECK(q.isFragile(grid, b - 2 * eps - 0.5 * kTau, eps));
        // Robust exactly at the margin; then any r' within 2 eps + the evaluator's own error
        // (<< tau) stays in the bin.
        for (double side : {-1.0, 1.0}) {
          const double r = b + side * (2 * eps + 2 * kTau);
          CHECK_FALSE(q.isFragile(grid, r, eps));
          const double moved = r - side * (2 * eps + kTau);
          CHECK(q.bin(grid, moved) == q.bin(grid, r));
        }
      }
    }
    CHECK_FALSE(q.isFragile(0, 500.0, 1e-4));  // far outside every boundary
  }

  TEST_CASE("pinned quantizer table hash") {
    const Quantizer q = defaultQuantizer();
    Fnv hash;
    for (int grid = 0; grid < 2; ++grid) {
      for (double b : q.boundaries(grid)) hash.addDouble(b);
      for (uint32_t i = 0; i < q.numBins(grid); ++i) hash.add(q.probLeft(grid, i), 4);
    }
    MESSAGE("quantizer hash " << hash.h << ", bins " << q.numBins(0) << " / " << q.numBins(1));
    CHECK(hash.h == 14255572055781301888ull);
  }

  // ---- StepEvaluator ----

  TEST_CASE("evaluator rejects NaN/Inf logits and wrong sizes") {
    const TokenTree tree = buildTree(syntheticCounts(300));
    StepEvaluator evaluator(tree);
    std::vector<float> logits = syntheticLogits(1, 300);
    CHECK(evaluator.load(logits.data(), 300) == Status::kOk);
    CHECK(evaluator.load(logits.data(), 299) == Status::kBadArgument);
    CHECK(evaluator.load(nullptr, 300) == Status::kBadArgument);
    for (size_t pos : {size_t{0}, size_t{150}, size_t{299}}) {
      for (float bad : {std::nanf(""), -std::nanf(""), INFINITY, -INFINITY}) {
        std::vector<float> broken = logits;
        broken[pos] = bad;
        CHECK(evaluator.load(broken.data(), 300) == Status::kNonFiniteLogits);
      }
    }
  }

  TEST_CASE("evaluator log-odds match a long-double reference; chain rule gives the softmax") {
    const size_t vocab = 700;
    const TokenTree tree = buildTree(syntheticCounts(vocab));
    StepEvaluator evaluator(tree);
    std::mt19937_64 rng(11);
    double maxError = 0;
    for (int trial = 0; trial < 6; ++trial) {
      std::vector<float> logits = syntheticLogits(static_cast<uint32_t>(trial), vocab);
      if (trial >= 3) {  // wide logits, up to 300 below the max
        std::normal_distribution<float> normal(0, 40);
        for (auto& l : logits) l = std::max(-300.0f, normal(rng));
      }
      REQUIRE(evaluator.load(logits.data(), vocab) == Status::kOk);
      for (uint32_t n = 0; n < tree.numInternalNodes(); ++n) {
        const double r = evaluator.logOdds(n);
        maxError = std::max(maxError, static_cast<double>(std::fabs(r - referenceLogOdds(tree, logits, n))));
      }
      // Chain rule: the product of the decision probabilities along the path is the softmax.
      double totalProb = 0;
      std::vector<TokenTree::PathStep> path;
      for (uint32_t t = 0; t < vocab; ++t) {
        tree.path(t, &path);
        double logProb = 0;
        for (const auto& step : path) {
          const double r = evaluator.logOdds(step.node);
          logProb += step.bit == 0 ? -std::log1p(std::exp(-r)) : -std::log1p(std::exp(r));
        }
        CHECK(logProb == doctest::Approx(evaluator.logProb(t)).epsilon(1e-9));
        totalProb += std::exp(evaluator.logProb(t));
      }
      CHECK(totalProb == doctest::Approx(1.0).epsilon(1e-12));
    }
    MESSAGE("max |r - reference| = " << maxError);
    CHECK(maxError < 1e-11);
  }

  TEST_CASE("evaluator is shift-invariant and handles huge logit ranges") {
    const size_t vocab = 512;
    const TokenTree tree = buildTree(std::vector<uint64_t>(vocab, 1));
    std::mt19937_64 rng(5);
    std::vector<float> logits = kolmo_test::dyadicLogits(vocab, rng);
    std::vector<float> shifted = logits;
    for (auto& l : shifted) l += 8.0f;  // exact for dyadic logits
    StepEvaluator a(tree), b(tree);
    REQUIRE(a.load(logits.data(), vocab) == Status::kOk);
    REQUIRE(b.load(shifted.data(), vocab) == Status::kOk);
    for (uint32_t n = 0; n < tree.numInternalNodes(); ++n) {
      CHECK(std::fabs(a.logOdds(n) - b.logOdds(n)) < 1e-13);
      CHECK_FALSE(a.isNearFloor(n));
    }
    // Half the vocabulary 1e30 below the max: masses floor at e^-700, everything stays finite,
    // and nodes whose subtree is all floored are flagged.
    for (size_t i = 0; i < vocab; i += 2) logits[i] = -1e30f;
    REQUIRE(a.load(logits.data(), vocab) == Status::kOk);
    size_t flagged = 0;
    for (uint32_t n = 0; n < tree.numInternalNodes(); ++n) {
      CHECK(std::isfinite(a.logOdds(n)));
      flagged += a.isNearFloor(n);
    }
    CHECK(flagged > 0);
    CHECK(std::isfinite(a.logProb(0)));
  }

  // ---- the guarantee ----

  TEST_CASE("robust nodes keep their bin under any perturbation within epsilon") {
    const size_t vocab = 1024;
    const TokenTree tree = buildTree(syntheticCounts(vocab));
    const Quantizer q = defaultQuantizer();
    StepEvaluator enc(tree), dec(tree);
    std::mt19937_64 rng(2718);
    size_t checked = 0, fragile = 0, mismatches = 0;
    for (double eps : {1e-4, 1e-3, 1e-2, 5e-2}) {
      for (int trial = 0; trial < 60; ++trial) {
        std::vector<float> logits;
        switch (trial % 3) {
          case 0: logits = syntheticLogits(static_cast<uint32_t>(trial), vocab); break;
          case 1: logits = kolmo_test::dyadicLogits(vocab, rng); break;
          default: {  // peaked, LM-like: a few high logits over a wide low floor
            std::normal_distribution<float> normal(0, 3);
            logits.resize(vocab);
            for (auto& l : logits) l = normal(rng);
            for (int k = 0; k < 5; ++k) logits[rng() % vocab] += 12.0f;
          }
        }
        const std::vector<float> other = kolmo_test::perturbWithin(logits, eps, rng, trial % 2 == 0);
        REQUIRE(enc.load(logits.data(), vocab) == Status::kOk);
        REQUIRE(dec.load(other.data(), vocab) == Status::kOk);
        for (uint32_t n = 0; n < tree.numInternalNodes(); ++n) {
          const double r = enc.logOdds(n), rd = dec.logOdds(n);
          REQUIRE(std::fabs(r - rd) <= 2 * eps + 1e-12);  // the Lipschitz bound itself
          for (int grid = 0; grid < 2; ++grid) {
            if (q.isFragile(grid, r, eps) || enc.isNearFloor(n)) {
              ++fragile;
              continue;
            }
            ++checked;
            mismatches += q.bin(grid, r) != q.bin(grid, rd);
          }
        }
      }
    }
    MESSAGE("robust node checks " << checked << ", fragile " << fragile << ", mismatches " << mismatches);
    CHECK(mismatches == 0);
    CHECK(fragile > 0);
  }

  TEST_CASE("adversarial: log-odds on, just inside and just outside 2 epsilon of a boundary") {
    const size_t vocab = 256;
    const TokenTree tree = buildTree(syntheticCounts(vocab));
    const Quantizer q = defaultQuantizer();
    const double eps = 1.0 / 8192;  // 2^-13: exact to add to dyadic logits
    const double slack = 8.0 / 1048576;  // 8 placement steps of 2^-20 (~7.6e-6)
    std::mt19937_64 rng(404);
    size_t robustCases = 0, fragileCases = 0, flipped = 0;
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<float> base = kolmo_test::dyadicLogits(vocab, rng);
      const uint32_t node = static_cast<uint32_t>(rng() % tree.numInternalNodes());
      const int grid = trial % 2;
      StepEvaluator evaluator(tree);
      REQUIRE(evaluator.load(base.data(), vocab) == Status::kOk);
      const double r0 = evaluator.logOdds(node);
      // The boundary of this grid nearest to r0 (within reach of a modest shift).
      const std::vector<double>& bounds = q.boundaries(grid);
      const double boundary = *std::min_element(bounds.begin(), bounds.end(), [&](double a, double b) {
        return std::fabs(a - r0) < std::fabs(b - r0);
      });
      if (std::fabs(boundary - r0) > 3.5) continue;
      for (double offset : {0.0, 2 * eps - slack, 2 * eps + slack}) {
        for (double side : {-1.0, 1.0}) {
          std::vector<float> logits = base;
          const double r = kolmo_test::placeLogOdds(tree, &logits, node, boundary + side * offset);
          REQUIRE(std::fabs(r - (boundary + side * offset)) < 1e-6);
          const bool fragile = q.isFragile(grid, r, eps);
          CHECK(fragile == (offset < 2 * eps));
          // Worst case for this node: move child-0 logits by -side*eps and child-1 logits by
          // +side*eps, pushing r by 2 eps straight toward the boundary.
          std::vector<uint32_t> left, right;
          kolmo_test::collectLeaves(tree, tree.childId(node, 0), &left);
          kolmo_test::collectLeaves(tree, tree.childId(node, 1), &right);
          std::vector<float> pushed = logits;
          for (uint32_t t : left) pushed[t] = static_cast<float>(pushed[t] - side * eps);
          for (uint32_t t : right) pushed[t] = static_cast<float>(pushed[t] + side * eps);
          StepEvaluator dec(tree);
          REQUIRE(dec.load(pushed.data(), vocab) == Status::kOk);
          const double rd = dec.logOdds(node);
          REQUIRE(std::fabs(rd - (r - side * 2 * eps)) < 1e-12);
          const bool sameBin = q.bin(grid, rd) == q.bin(grid, r);
          if (fragile) {
            ++fragileCases;
            flipped += !sameBin;  // the rule is tight: such nodes really can flip
          } else {
            ++robustCases;
            CHECK(sameBin);
            // The other grid is never fragile at the same time near a boundary.
            CHECK_FALSE(q.isFragile(1 - grid, r, eps));
          }
        }
      }
    }
    MESSAGE("adversarial robust " << robustCases << ", fragile " << fragileCases << ", of which flipped " << flipped);
    CHECK(robustCases > 20);
    CHECK(flipped > 0);
  }

  TEST_CASE("node dump: layout and pinned hash") {
    const size_t vocab = 8192;
    const TokenTree tree = buildTree(syntheticCounts(vocab));
    const Quantizer q = defaultQuantizer();
    std::vector<uint32_t> dump;
    Fnv hash;
    for (uint32_t prev = 0; prev < 8; ++prev) {
      const std::vector<float> logits = syntheticLogits(prev, vocab);
      REQUIRE(kolmo::dumpNodeTable(tree, q, logits.data(), vocab, 1e-4, &dump) == Status::kOk);
      REQUIRE(dump.size() == (vocab - 1) * kolmo::kNodeDumpWords);
      StepEvaluator evaluator(tree);
      REQUIRE(evaluator.load(logits.data(), vocab) == Status::kOk);
      for (uint32_t n = 0; n < tree.numInternalNodes(); n += 97) {
        const uint32_t* w = &dump[n * kolmo::kNodeDumpWords];
        const double r = evaluator.logOdds(n);
        CHECK(w[0] == q.bin(0, r));
        CHECK(w[1] == q.bin(1, r));
        CHECK(((w[2] & kolmo::kDumpFragileGrid0) != 0) == q.isFragile(0, r, 1e-4));
        CHECK((w[3] & 0xFFFF) == q.probLeft(0, w[0]));
        double rFromDump;
        const uint64_t bits = w[4] | (static_cast<uint64_t>(w[5]) << 32);
        std::memcpy(&rFromDump, &bits, sizeof rFromDump);
        CHECK(rFromDump == r);
      }
      for (uint32_t word : dump) hash.add(word, 4);
    }
    std::vector<float> bad = syntheticLogits(0, vocab);
    bad[5] = std::nanf("");
    CHECK(kolmo::dumpNodeTable(tree, q, bad.data(), vocab, 1e-4, &dump) == Status::kNonFiniteLogits);
    MESSAGE("dump hash " << hash.h);
    CHECK(hash.h == 12590031281626103634ull);
  }
}
