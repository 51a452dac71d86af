// The synthetic deterministic "language model", defined here and shared by the C++ tests and
// benches (the JS tests implement the same formula with Math.imul / >>> 0 / Math.fround, so
// native and WASM sessions can be driven with identical logits).
//
//   logit[i] = float(double(mix32(prev * 0x9E3779B1 + i) % 4096) / 256.0 - 8.0)
//   logit[mix32(prev) % V] += 10.0f
//
// prev is the previous token id (the EOT/BOS id at the start). Also here: deterministic token
// counts for building test trees, a sampler that draws sequences from the model, and bounded
// perturbations of logits. Plain C++, no kolmo header: the public API's test uses it too
// (tree_probe.h has the helpers that reach into the rounding layer).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace kolmo_test {

// Wrapping u32 hash (lowbias32).
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// (vocab,) logits for predicting the token after `prev`.
inline void syntheticLogits(uint32_t prev, size_t vocab, float* out) {
  for (size_t i = 0; i < vocab; ++i) {
    const uint32_t h = mix32(prev * 0x9E3779B1u + static_cast<uint32_t>(i));
    out[i] = static_cast<float>(static_cast<double>(h % 4096) / 256.0 - 8.0);
  }
  out[mix32(prev) % static_cast<uint32_t>(vocab)] += 10.0f;
}

inline std::vector<float> syntheticLogits(uint32_t prev, size_t vocab) {
  std::vector<float> logits(vocab);
  syntheticLogits(prev, vocab, logits.data());
  return logits;
}

// Zipf-like unigram counts with a deterministic shuffle of ranks, so the Huffman tree is
// unbalanced in a way unrelated to token ids (like a real tokenizer's counts).
inline std::vector<uint64_t> syntheticCounts(size_t vocab) {
  std::vector<uint64_t> counts(vocab);
  for (size_t i = 0; i < vocab; ++i) {
    const uint32_t rank = 1 + mix32(static_cast<uint32_t>(i) ^ 0x5bd1e995u) % static_cast<uint32_t>(vocab);
    counts[i] = 1 + 10000000ull / rank;
  }
  return counts;
}

// Draws a token from softmax(logits) (libm is fine here: it only picks test data).
inline uint32_t sampleToken(const std::vector<float>& logits, std::mt19937_64& rng) {
  double maxLogit = logits[0];
  for (float l : logits) maxLogit = std::max(maxLogit, static_cast<double>(l));
  double total = 0;
  for (float l : logits) total += std::exp(l - maxLogit);
  double u = std::uniform_real_distribution<double>(0.0, total)(rng);
  for (size_t i = 0; i < logits.size(); ++i) {
    u -= std::exp(logits[i] - maxLogit);
    if (u <= 0) return static_cast<uint32_t>(i);
  }
  return static_cast<uint32_t>(logits.size() - 1);
}

// A text of `length` tokens drawn from the model (no EOT inside), starting after `bos`.
inline std::vector<uint32_t> sampleSequence(size_t vocab, uint32_t bos, size_t length,
                                            std::mt19937_64& rng) {
  std::vector<uint32_t> tokens;
  uint32_t prev = bos;
  while (tokens.size() < length) {
    const uint32_t t = sampleToken(syntheticLogits(prev, vocab), rng);
    if (t == bos) continue;
    tokens.push_back(t);
    prev = t;
  }
  return tokens;
}

// Returns logits' with |double(l'_i) - double(l_i)| <= eps for every i (checked exactly, after
// float rounding), noise uniform in [-eps, eps]; with `extremes`, every entry moves by +-eps
// as far as float rounding allows (the worst case for the fragility bound).
inline std::vector<float> perturbWithin(const std::vector<float>& logits, double eps,
                                        std::mt19937_64& rng, bool extremes = false) {
  std::uniform_real_distribution<double> noise(-eps, eps);
  std::vector<float> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    const double l = logits[i];
    const double delta = extremes ? ((rng() & 1) ? eps : -eps) : noise(rng);
    float candidate = static_cast<float>(l + delta);
    while (std::fabs(static_cast<double>(candidate) - l) > eps) {
      candidate = std::nextafter(candidate, logits[i]);
    }
    out[i] = candidate;
  }
  return out;
}

// Logits perturbed by uniform noise in [-scale, scale] (no bound enforced; for beyond-eps tests).
inline std::vector<float> perturbBy(const std::vector<float>& logits, double scale, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> noise(-scale, scale);
  std::vector<float> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<float>(logits[i] + noise(rng));
  return out;
}

// Dyadic logits k / 4096 with |k| <= 4 * 4096: adding multiples of 2^-20 (shifts up to +-4) or
// eps = 2^-13 to them is exact in float, so tests can move log-odds by exact amounts.
inline std::vector<float> dyadicLogits(size_t vocab, std::mt19937_64& rng) {
  std::vector<float> logits(vocab);
  for (auto& l : logits) l = static_cast<float>(static_cast<int>(rng() % 32769) - 16384) / 4096.0f;
  return logits;
}

}  // namespace kolmo_test
