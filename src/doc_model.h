// The in-document model of LM payload version 2: what the text so far says about the next
// decision of the token tree, mixed with the language model's probability for it.
//
// The language model knows the language and nothing of the document; the cm codec knows the
// document and little of the language. At every binary decision of the token tree (rounding.h)
// this model mixes the LM's decision probability (the bin's table value on the signalled grid,
// or the tree's unigram probability for an escaped token) with in-document statistics:
//   inputs   the LM probability; bit histories of the decision in 5 token-history contexts
//            (orders 0, 1, 2, 3 and 4 of previous token ids, each hashed with the node); a
//            token match model (the longest earlier repeat of the last tokens predicts the next
//            token, so every node on that token's path gets a confident input, learned per
//            match length and depth); a bias
//   mixers   two gated logistic mixers (src/mixing.h), weight sets selected by (match state,
//            depth in the path, escape) and by (LM confidence, how many contexts have seen the
//            decision); outputs averaged; the LM's weight starts at 1 and the others small, so
//            the first decisions code as the LM alone would, and the learning rate starts fast
//            and settles with the tokens coded
//   SSE      two APMs on the mixer output, by depth and by (order-1 context, node);
//            final P = (2 * mixer + apm1 + apm2) / 4
//
// It reads only what both sessions share: the base probability, the node, the coded bits and
// tokens; never r, logits or epsilon. Integer arithmetic only, so native and WASM builds give
// the same bits (tests/doc_model_test.cpp, tests/node/native_wasm.test.mjs). Table sizes are a
// pure function of the payload's size class (the token count's bit length, coded first).
//
// READ ME FIRST: every constant of DocModelParams and doc_model.cpp is part of LM payload
// version 2 (docs/FORMAT.md §5.4). A change is a new payload version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mixing.h"
#include "rounding.h"

namespace kolmo {

// Tunables of the in-document model. The defaults ARE the format; benches vary them to
// choose the defaults (bench/doc_bench.cpp) and a decoder must be given the encoder's values.
struct DocModelParams {
  int32_t lmWeight = 65536;       // initial mixer weight of the LM input (16.16: 1.0)
  int32_t contextWeight = 16000;  // initial weight of each token-history context
  int32_t matchWeight = 24000;    // initial weight of the match model
  int mixerRate = 2;              // settled learning rate ...
  int mixerWarmRate = 14;         // ... plus mixerWarmRate * warmTokens / (warmTokens + tokens)
  int warmTokens = 64;
  int apmRate = 6;                // APM bins move 1 / 2^apmRate toward each bit
  int stateLimit = 1023;          // adaptive maps settle at 1 / (stateLimit + 1.5)
  int matchMinTokens = 1;         // a match starts after this many equal tokens
  // Benches only: false leaves the model out, so payloads 2 and 3 code every decision with
  // the rounding layer's probability alone (what bench/coder_bench prices as the layer's
  // cost). No link is written this way.
  bool enabled = true;
};

class DocModel {
 public:
  // sizeClass: the payload's size class (1 + floor(log2(token count))), sets the table sizes.
  DocModel(const TokenTree& tree, uint32_t bosId, int sizeClass,
           const DocModelParams& params = DocModelParams());

  // P(child 0) in 1/65536 units, in [1, 65535], for the next decision of the current token,
  // at internal node `node`, given the base probability (grid >= 0: the LM bin's table value;
  // grid < 0: an escaped token, the tree's unigram probability). Call update() before the next.
  uint32_t probLeft(uint32_t node, uint32_t baseProbLeft, int grid);
  // The decision's outcome (the child taken).
  void update(int bit);
  // The token just coded (its decisions all went through probLeft/update).
  void observeToken(uint32_t token);

 private:
  static constexpr int kNumContexts = 5;  // orders 0..4 of token history
  static constexpr int kNumInputs = 1 + kNumContexts + 1 + 1;  // LM, contexts, match, bias

  int matchState() const;
  void startToken();

  const TokenTree& tree_;
  DocModelParams params_;
  std::vector<uint32_t> history_;  // BOS, then every coded token
  uint64_t tokensCoded_ = 0;

  // Token-history contexts: order 0 is a direct table per node; orders 1..4 hashed slots of
  // (check byte << 8 | bit-history state).
  int tableBits_ = 0;
  std::vector<uint8_t> order0_;
  std::vector<uint16_t> tables_[kNumContexts];  // [0] unused
  uint64_t contextHash_[kNumContexts] = {};
  uint8_t* order0Slot_ = nullptr;
  uint16_t* slots_[kNumContexts] = {};
  int states_[kNumContexts] = {};
  mixing::AdaptiveMap<256> stateMaps_[kNumContexts];

  // Match model over token ids.
  int matchBits_ = 0;
  std::vector<uint32_t> matchTable_;  // hash of the last matchMinTokens tokens -> position + 1
  size_t matchLen_ = 0, matchPtr_ = 0;
  std::vector<TokenTree::PathStep> predictedPath_;
  bool onPredictedPath_ = false;
  int matchCx_ = 0;
  int expectedBit_ = 0;
  mixing::AdaptiveMap<128> matchMap_;

  // Per decision.
  uint32_t depth_ = 0;  // decisions of the current token so far
  bool escaped_ = false;
  int inputs_[kNumInputs] = {};
  mixing::Mixer<kNumInputs> mixer1_, mixer2_;
  int mixerRate_ = 0;
  int mixStretch_ = 0;
  std::vector<uint16_t> apm1_, apm2_;
  int apm2Bits_ = 0;
  int apm1Idx_ = 0, apm2Idx_ = 0;
};

}  // namespace kolmo
