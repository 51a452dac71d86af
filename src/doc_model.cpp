// In-document model of LM payload version 2 (see doc_model.h; docs/FORMAT.md §5.4).
// Every number here is part of the format: integer arithmetic only, fixed update order.
#include "doc_model.h"

#include <cstring>

namespace kolmo {

namespace {

using mixing::kStretch;
using mixing::mixHash;
using mixing::squash;

constexpr int kMinTableBits = 10;
constexpr int kMaxTableBits = 22;   // 2^22 slots * 2 B = 8 MiB per hashed context
constexpr int kMaxMatchBits = 20;
constexpr int kMinApm2Bits = 8;
constexpr int kMaxApm2Bits = 14;
constexpr int kDecisionsPerToken = 12;  // ~ mean path length; sizes the hashed tables
constexpr int kDepthBuckets = 12;
constexpr int kMatchStates = 4;
constexpr int kLmBuckets = 16;
constexpr int kApm1Contexts = 24;

int clampInt(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// 12-bit P(1) of a 16-bit P(child 0).
int p12FromProbLeft(uint32_t probLeft) {
  const int p1 = 65536 - static_cast<int>(probLeft);  // 1..65535
  return p1 >> 4;
}

}  // namespace

DocModel::DocModel(const TokenTree& tree, uint32_t bosId, int sizeClass, const DocModelParams& params)
    : tree_(tree), params_(params) {
  // Tables hold ~ 2^sizeClass tokens of ~kDecisionsPerToken decisions each, at about one slot
  // per decision: log2(12) < 4.
  const int decisionBits = sizeClass + 4;
  tableBits_ = clampInt(decisionBits, kMinTableBits, kMaxTableBits);
  for (int i = 1; i < kNumContexts; ++i) tables_[i].assign(size_t{1} << tableBits_, 0);
  order0_.assign(tree.numInternalNodes() > 0 ? tree.numInternalNodes() : 1, 0);
  for (auto& map : stateMaps_) map.initForStates(params_.stateLimit);
  matchBits_ = clampInt(sizeClass + 1, kMinTableBits, kMaxMatchBits);
  matchTable_.assign(size_t{1} << matchBits_, 0);
  matchMap_.init(params_.stateLimit);

  int32_t weights[kNumInputs];
  weights[0] = params_.lmWeight;
  for (int i = 0; i < kNumContexts; ++i) weights[1 + i] = params_.contextWeight;
  weights[1 + kNumContexts] = params_.matchWeight;
  weights[2 + kNumContexts] = 0;  // bias
  mixer1_.init(kMatchStates * kDepthBuckets * 2, weights);
  mixer2_.init(kLmBuckets * (kNumContexts + 1), weights);
  apm2Bits_ = clampInt(sizeClass + 2, kMinApm2Bits, kMaxApm2Bits);
  mixing::apmInit(&apm1_, kApm1Contexts);
  mixing::apmInit(&apm2_, size_t{1} << apm2Bits_);

  history_.push_back(bosId);
  startToken();
}

// Per token: the contexts' hashes, the match (extended by the token just coded, or looked up
// again), the predicted token's path and the learning rate.
void DocModel::startToken() {
  const size_t n = history_.size();
  uint64_t h = 0;
  for (int order = 0; order < kNumContexts; ++order) {
    if (order > 0) {
      const uint64_t token = n >= static_cast<size_t>(order) ? history_[n - order] : 0xFFFFFFFFull;
      h = (h + token + 1) * 0x100000001B3ull;
    }
    contextHash_[order] = mixHash(h + (static_cast<uint64_t>(order + 1) << 56));
  }

  const uint32_t last = history_[n - 1];
  if (matchLen_ > 0 && history_[matchPtr_] == last) {
    ++matchLen_;
    ++matchPtr_;
  } else {
    matchLen_ = 0;
  }
  const size_t minLen = static_cast<size_t>(params_.matchMinTokens);
  if (n >= minLen) {
    uint64_t mh = 0;
    for (size_t i = 1; i <= minLen; ++i) mh = (mh + history_[n - i] + 1) * 0x100000001B3ull;
    const size_t slot = static_cast<size_t>(mixHash(mh) >> (64 - matchBits_));
    if (matchLen_ == 0) {
      const size_t cand = matchTable_[slot];  // position after an earlier occurrence, or 0
      if (cand > 0) {
        size_t len = 0;
        while (len < 32 && len < cand && history_[cand - 1 - len] == history_[n - 1 - len]) ++len;
        if (len >= minLen) {
          matchLen_ = len;
          matchPtr_ = cand;
        }
      }
    }
    matchTable_[slot] = static_cast<uint32_t>(n);
  }
  onPredictedPath_ = matchLen_ > 0;
  if (onPredictedPath_) tree_.path(history_[matchPtr_], &predictedPath_);

  depth_ = 0;
  mixerRate_ = params_.mixerRate +
               static_cast<int>(static_cast<int64_t>(params_.mixerWarmRate) * params_.warmTokens /
                                (params_.warmTokens + static_cast<int64_t>(tokensCoded_)));
}

int DocModel::matchState() const {
  if (!onPredictedPath_) return 0;
  return matchLen_ < 4 ? 1 : (matchLen_ < 12 ? 2 : 3);
}

uint32_t DocModel::probLeft(uint32_t node, uint32_t baseProbLeft, int grid) {
  escaped_ = grid < 0;
  const int lmStretch = kStretch[p12FromProbLeft(baseProbLeft)];
  inputs_[0] = lmStretch;

  // Token-history contexts.
  order0Slot_ = &order0_[node < order0_.size() ? node : 0];
  states_[0] = *order0Slot_;
  int seen = states_[0] != 0 ? 1 : 0;
  for (int i = 1; i < kNumContexts; ++i) {
    const uint64_t h = mixHash(contextHash_[i] ^ ((static_cast<uint64_t>(node) + 1) * 0x9E3779B97F4A7C15ull));
    uint16_t* slot = &tables_[i][static_cast<size_t>(h >> (64 - tableBits_))];
    const uint16_t check = static_cast<uint16_t>((h & 0xFF) << 8);
    if ((*slot & 0xFF00) != check) *slot = check;  // another context's slot: start afresh
    slots_[i] = slot;
    states_[i] = *slot & 0xFF;
    seen += states_[i] != 0 ? 1 : 0;
  }
  for (int i = 0; i < kNumContexts; ++i) inputs_[1 + i] = kStretch[stateMaps_[i].p12(states_[i])];

  // Match model: an input only while the decisions so far followed the predicted token.
  matchCx_ = 0;
  if (onPredictedPath_ && depth_ < predictedPath_.size() && predictedPath_[depth_].node == node) {
    expectedBit_ = static_cast<int>(predictedPath_[depth_].bit);
    const int lenBucket = matchLen_ < 15 ? static_cast<int>(matchLen_) : 15;
    const int depthBucket = depth_ < 3 ? static_cast<int>(depth_) : 3;
    matchCx_ = ((lenBucket * 4 + depthBucket) * 2) + expectedBit_;
  } else {
    onPredictedPath_ = false;
  }
  inputs_[1 + kNumContexts] = matchCx_ == 0 ? 0 : kStretch[matchMap_.p12(matchCx_)];
  inputs_[2 + kNumContexts] = 256;

  const int depthBucket = depth_ < kDepthBuckets ? static_cast<int>(depth_) : kDepthBuckets - 1;
  const int set1 = (matchState() * kDepthBuckets + depthBucket) * 2 + (escaped_ ? 1 : 0);
  const int set2 = ((lmStretch + 2048) >> 8) * (kNumContexts + 1) + seen;
  const int s1 = mixer1_.mix(inputs_, set1);
  const int s2 = mixer2_.mix(inputs_, set2);
  mixStretch_ = (s1 + s2) >> 1;
  const int mixP12 = squash(mixStretch_);

  const int apm1Cx = static_cast<int>(depth_ < kApm1Contexts ? depth_ : kApm1Contexts - 1);
  apm1Idx_ = mixing::apmIndex(apm1Cx, mixStretch_);
  const uint32_t h2 = static_cast<uint32_t>(
      mixHash(contextHash_[1] + (static_cast<uint64_t>(node) << 1) + 1) >> (64 - apm2Bits_));
  apm2Idx_ = mixing::apmIndex(static_cast<int>(h2), mixStretch_);
  const int a1 = mixing::apmRead(apm1_.data(), apm1Idx_, mixStretch_);
  const int a2 = mixing::apmRead(apm2_.data(), apm2Idx_, mixStretch_);
  int p1 = (mixP12 * 16 * 2 + a1 + a2) >> 2;
  p1 = clampInt(p1, 1, 65535);
  return static_cast<uint32_t>(65536 - p1);
}

void DocModel::update(int bit) {
  stateMaps_[0].update(states_[0], bit);
  *order0Slot_ = mixing::kNextState[states_[0] * 2 + bit];
  for (int i = 1; i < kNumContexts; ++i) {
    stateMaps_[i].update(states_[i], bit);
    *slots_[i] = static_cast<uint16_t>((*slots_[i] & 0xFF00) | mixing::kNextState[states_[i] * 2 + bit]);
  }
  if (matchCx_ != 0) {
    matchMap_.update(matchCx_, bit);
    if (bit != expectedBit_) onPredictedPath_ = false;
  }
  mixer1_.train(bit, mixerRate_);
  mixer2_.train(bit, mixerRate_);
  mixing::apmUpdate(apm1_.data(), apm1Idx_, mixStretch_, bit, params_.apmRate);
  mixing::apmUpdate(apm2_.data(), apm2Idx_, mixStretch_, bit, params_.apmRate);
  ++depth_;
}

void DocModel::observeToken(uint32_t token) {
  history_.push_back(token);
  ++tokensCoded_;
  startToken();
}

}  // namespace kolmo
