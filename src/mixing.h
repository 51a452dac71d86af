// Integer-only building blocks of context mixing, shared by the model-free cm codec
// (cm_codec.cpp) and the in-document model of the LM payload (doc_model.cpp): the logistic
// squash/stretch pair, bit-history states, adaptive probability maps, gated linear mixers and
// interpolated APM (SSE) tables.
//
// READ ME FIRST: every number here is part of two link formats (cm bodies and version-2 lm
// bodies). Any change to a constant, a table or a rounding changes produced bytes: that is a
// container version bump (docs/FORMAT.md, "Versioning"). No floating point anywhere; right
// shifts of negative values are arithmetic in every compiler kolmo supports (g++, clang, emcc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kolmo {
namespace mixing {

// ---- logistic helpers: the stretch domain is ln(p/(1-p)) * 256, clamped to [-2047, 2047] ----

// 12-bit probability of a stretch value (interpolated from 33 points of 4096/(1+e^-x/256)).
constexpr int squash(int d) {
  constexpr int kPoints[33] = {1,    2,    3,    6,    10,   16,   27,   45,   73,   120,  194,
                               310,  488,  747,  1101, 1546, 2047, 2549, 2994, 3348, 3607, 3785,
                               3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094};
  if (d > 2047) return 4095;
  if (d < -2047) return 1;
  int w = d & 127;
  int i = (d >> 7) + 16;
  return (kPoints[i] * (128 - w) + kPoints[i + 1] * w + 64) >> 7;
}

// stretch(p) = the smallest x with squash(x) >= p: the inverse of squash on 12-bit p.
constexpr std::array<int16_t, 4096> makeStretchTable() {
  std::array<int16_t, 4096> t{};
  int pi = 0;
  for (int x = -2047; x <= 2047; ++x) {
    int v = squash(x);
    for (int i = pi; i <= v; ++i) t[i] = static_cast<int16_t>(x);
    pi = v + 1;
  }
  for (int i = pi; i < 4096; ++i) t[i] = 2047;
  return t;
}
inline constexpr std::array<int16_t, 4096> kStretch = makeStretchTable();

constexpr int clampStretch(int64_t x) {
  return x > 2047 ? 2047 : (x < -2047 ? -2047 : static_cast<int>(x));
}

constexpr uint64_t mixHash(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9FB21C651E98DF25ull;
  x ^= x >> 29;
  return x;
}

// ---- bit histories: a state byte is (n0 << 4) | n1, the counts of 0s and 1s seen in a
// context, each <= 15; a bit halves a large opposite count, so recent bits weigh more ----

constexpr std::array<uint8_t, 512> makeNextState() {
  std::array<uint8_t, 512> t{};
  for (int s = 0; s < 256; ++s) {
    for (int bit = 0; bit < 2; ++bit) {
      int n0 = s >> 4;
      int n1 = s & 15;
      int& same = bit ? n1 : n0;
      int& other = bit ? n0 : n1;
      if (same < 15) ++same;
      if (other > 2) other = other / 2 + 1;
      t[s * 2 + bit] = static_cast<uint8_t>((n0 << 4) | n1);
    }
  }
  return t;
}
inline constexpr std::array<uint8_t, 512> kNextState = makeNextState();

// 65536 / (n + 1.5): the adaptation rate of a probability seen n times.
constexpr std::array<int32_t, 1024> makeReciprocals() {
  std::array<int32_t, 1024> t{};
  for (int n = 0; n < 1024; ++n) t[n] = 65536 * 2 / (2 * n + 3);
  return t;
}
inline constexpr std::array<int32_t, 1024> kReciprocal = makeReciprocals();

// P(1) * 2^22 of a bit-history state before it has been seen: (n1 + 1/2) / (n0 + n1 + 1).
constexpr uint32_t stateInitialP22(int s) {
  const uint32_t n0 = static_cast<uint32_t>(s >> 4), n1 = static_cast<uint32_t>(s & 15);
  return static_cast<uint32_t>(((uint64_t{2} * n1 + 1) << 22) / (2 * (n0 + n1) + 2));
}

// Adaptive probability per context: p (P(1) * 2^22) moves toward each bit by 1/(n + 1.5)
// until n reaches `limit`, then at that fixed rate.
template <int N>
class AdaptiveMap {
 public:
  void init(int limit) {
    limit_ = limit;
    for (int i = 0; i < N; ++i) {
      p_[i] = 1u << 21;
      n_[i] = 0;
    }
  }
  // init(), then every entry starts at the probability its bit-history state implies (N = 256).
  void initForStates(int limit) {
    init(limit);
    for (int s = 0; s < N && s < 256; ++s) set(s, stateInitialP22(s));
  }
  void set(int cx, uint32_t p22) { p_[cx] = p22; }
  int p12(int cx) const { return static_cast<int>(p_[cx] >> 10); }
  void update(int cx, int bit) {
    int64_t target = bit ? (int64_t{1} << 22) - 1 : 0;
    int64_t p = p_[cx];
    p += ((target - p) * kReciprocal[n_[cx]]) >> 16;
    p_[cx] = static_cast<uint32_t>(p);
    if (n_[cx] < limit_) ++n_[cx];
  }

 private:
  uint32_t p_[N];
  uint16_t n_[N];
  int limit_ = 0;
};

// Gated linear mixing in the stretch domain: one weight vector (16.16 fixed point) per
// selector value, trained online on the coding loss.
template <int N>
class Mixer {
 public:
  void init(int numSets, int32_t initialWeight) {
    weights_.assign(static_cast<size_t>(N) * numSets, initialWeight);
  }
  // Every set starts from the same weight vector initialWeights[0, N).
  void init(int numSets, const int32_t* initialWeights) {
    weights_.resize(static_cast<size_t>(N) * numSets);
    for (size_t i = 0; i < weights_.size(); ++i) weights_[i] = initialWeights[i % N];
  }
  // Stretch of the mixed prediction with weight set `set`; remembers it for train().
  int mix(const int* inputs, int set) {
    inputs_ = inputs;
    w_ = &weights_[static_cast<size_t>(set) * N];
    int64_t dot = 0;
    for (int i = 0; i < N; ++i) dot += int64_t{w_[i]} * inputs[i];
    pr_ = squash(clampStretch(dot >> 16));
    return clampStretch(dot >> 16);
  }
  void train(int bit, int rate) {
    int err = ((bit << 12) - pr_) * rate;
    for (int i = 0; i < N; ++i) w_[i] += (inputs_[i] * err) >> 11;
  }

 private:
  std::vector<int32_t> weights_;
  const int* inputs_ = nullptr;
  int32_t* w_ = nullptr;
  int pr_ = 2048;
};

// ---- APM / SSE: per context, 33 bins over the stretch domain, each a 16-bit P(1); a
// prediction interpolates the two bins around its stretch, an update moves the nearer one ----

constexpr int kApmBins = 33;

constexpr int apmIndex(int cx, int st) { return cx * kApmBins + ((st + 2048) >> 7); }
inline int apmRead(const uint16_t* t, int idx, int st) {
  int w = (st + 2048) & 127;
  return (t[idx] * (128 - w) + t[idx + 1] * w) >> 7;
}
inline void apmUpdate(uint16_t* t, int idx, int st, int bit, int rate) {
  int w = (st + 2048) & 127;
  int target = bit ? 65535 : 0;
  int j = w < 64 ? idx : idx + 1;
  t[j] = static_cast<uint16_t>(t[j] + ((target - t[j]) >> rate));
}
// Fills contexts*kApmBins entries with the identity map (bin i holds squash of its stretch).
inline void apmInit(std::vector<uint16_t>* t, size_t contexts) {
  t->resize(contexts * kApmBins);
  for (size_t i = 0; i < t->size(); ++i) {
    (*t)[i] = static_cast<uint16_t>(squash((static_cast<int>(i % kApmBins) - 16) * 128) * 16);
  }
}

}  // namespace mixing
}  // namespace kolmo
