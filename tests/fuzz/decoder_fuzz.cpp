// libFuzzer target: the LM DecoderSession on an untrusted payload, driven by the synthetic
// model of tests/synthetic_model.h (vocabulary 512, EOT = 511). Properties: no crash, no
// leak, bounded work (maxTokens); every decoded token is in range; when a payload decodes
// to EOT, re-encoding the tokens with an EncoderSession gives a payload that decodes to the
// same tokens. Every input is tried as every LM payload version (1: the rounding layer alone;
// 2: mixed with the in-document model, whose stream starts with a size class; 3: version 2 with
// span headers over the grid family).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "session.h"
#include "synthetic_model.h"

using namespace kolmo;

namespace {

constexpr size_t kVocab = 512;
constexpr uint32_t kEot = kVocab - 1;
constexpr size_t kMaxTokens = 300;  // bounds the time per input; real limits are larger

void require(bool ok) {
  if (!ok) std::abort();
}

const TokenTree& fuzzTree() {
  static const TokenTree* tree = [] {
    auto* t = new TokenTree();
    require(TokenTree::build(kolmo_test::syntheticCounts(kVocab), kVocab, t) == Status::kOk);
    return t;
  }();
  return *tree;
}

// Decodes until EOT or an error; returns true (tokens filled, EOT last) if the stream ended.
bool decodeAll(const uint8_t* data, size_t size, int payloadVersion, std::vector<uint32_t>* tokens) {
  DecodeLimits limits;
  limits.maxTokens = kMaxTokens;
  DecoderSession decoder(fuzzTree(), kEot, data, size, limits, GridSpec(), payloadVersion);
  std::vector<float> logits(kVocab);
  uint32_t prev = kEot;
  tokens->clear();
  for (size_t step = 0; step <= kMaxTokens; ++step) {
    kolmo_test::syntheticLogits(prev, kVocab, logits.data());
    uint32_t token = 0;
    if (decoder.decodeStep(logits.data(), kVocab, &token) != Status::kOk) return false;
    require(token < kVocab);
    tokens->push_back(token);
    if (decoder.done()) {
      require(token == kEot);
      return true;
    }
    prev = token;
  }
  std::abort();  // the session must stop by itself at maxTokens
}

void checkVersion(const uint8_t* data, size_t size, int payloadVersion) {
  std::vector<uint32_t> tokens;
  if (!decodeAll(data, size, payloadVersion, &tokens)) return;

  RoundingConfig config;
  config.payloadVersion = payloadVersion;
  config.tokenCount = tokens.size();
  EncoderSession encoder(fuzzTree(), kEot, config);
  std::vector<float> logits(kVocab);
  uint32_t prev = kEot;
  for (uint32_t token : tokens) {
    kolmo_test::syntheticLogits(prev, kVocab, logits.data());
    require(encoder.encodeStep(logits.data(), kVocab, token) == Status::kOk);
    prev = token;
  }
  std::vector<uint8_t> payload;
  require(encoder.finish(&payload) == Status::kOk);
  std::vector<uint32_t> again;
  require(decodeAll(payload.data(), payload.size(), payloadVersion, &again));
  require(again == tokens);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  checkVersion(data, size, kLmPayloadV1);
  checkVersion(data, size, kLmPayloadV2);
  checkVersion(data, size, kLmPayloadV3);
  return 0;
}
