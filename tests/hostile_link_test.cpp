// Hostile links cost bounded work: a payload of a few dozen bytes can describe any number of
// near-certain tokens, and each decoded token costs one model step. The decoder's default bound
// is the encoder side's (kMaxLmTokens): a crafted stream that does not end there is refused
// after exactly that many steps, and the same stream decodes in full only when the caller
// raises the bound on purpose.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "rounding.h"
#include "session.h"
#include "synthetic_model.h"

using namespace kolmo;

namespace {

constexpr size_t kVocab = 256;
constexpr uint32_t kEot = kVocab - 1;
constexpr uint32_t kRepeated = 17;

// A model that is all but certain of one token: the cheapest stream to craft.
std::vector<float> peakedLogits() {
  std::vector<float> logits(kVocab, 0.0f);
  logits[kRepeated] = 40.0f;
  return logits;
}

// The payload of `count` repeated tokens and EOT, written by an EncoderSession (which has no
// bound of its own: the bound is the pipeline's, web/lib/worker/pipeline.js).
std::vector<uint8_t> craftPayload(const TokenTree& tree, size_t count) {
  EncoderSession encoder(tree, kEot);
  REQUIRE(encoder.status() == Status::kOk);
  const std::vector<float> logits = peakedLogits();
  Status status = Status::kOk;
  for (size_t i = 0; i < count && status == Status::kOk; ++i) status = encoder.encodeStep(logits.data(), kVocab, kRepeated);
  REQUIRE(status == Status::kOk);
  REQUIRE(encoder.encodeStep(logits.data(), kVocab, kEot) == Status::kOk);
  std::vector<uint8_t> payload;
  REQUIRE(encoder.finish(&payload) == Status::kOk);
  return payload;
}

struct Run {
  Status status;
  uint64_t steps;
};

Run decodeAll(const TokenTree& tree, const std::vector<uint8_t>& payload, DecodeLimits limits) {
  DecoderSession decoder(tree, kEot, payload.data(), payload.size(), limits);
  REQUIRE(decoder.status() == Status::kOk);
  const std::vector<float> logits = peakedLogits();
  Status status = Status::kOk;
  uint32_t token = 0;
  while (!decoder.done() && status == Status::kOk) status = decoder.decodeStep(logits.data(), kVocab, &token);
  return {status, decoder.stats().steps};
}

}  // namespace

TEST_SUITE("hostile_link") {
  TEST_CASE("the decoder's default bound is the encoder side's") {
    CHECK(DecodeLimits{}.maxTokens == kMaxLmTokens);
    CHECK(kMaxLmTokens == size_t{1} << 16);
  }

  TEST_CASE("a 70,000-token stream of a few dozen bytes is refused after kMaxLmTokens steps") {
    TokenTree tree;
    REQUIRE(TokenTree::build(kolmo_test::syntheticCounts(kVocab), kVocab, &tree) == Status::kOk);
    const size_t crafted = 70000;
    const std::vector<uint8_t> payload = craftPayload(tree, crafted);
    MESSAGE("crafted payload: " << payload.size() << " bytes for " << crafted + 1 << " tokens");
    CHECK(payload.size() < 64);

    const Run bounded = decodeAll(tree, payload, DecodeLimits{});
    CHECK(bounded.status == Status::kLengthOverLimit);
    CHECK(bounded.steps == kMaxLmTokens);

    DecodeLimits raised;
    raised.maxTokens = crafted + 1;
    const Run full = decodeAll(tree, payload, raised);
    CHECK(full.status == Status::kOk);
    CHECK(full.steps == crafted + 1);
  }

  TEST_CASE("a stream of exactly kMaxLmTokens tokens (EOT included) still decodes") {
    TokenTree tree;
    REQUIRE(TokenTree::build(kolmo_test::syntheticCounts(kVocab), kVocab, &tree) == Status::kOk);
    const std::vector<uint8_t> payload = craftPayload(tree, kMaxLmTokens - 1);
    const Run run = decodeAll(tree, payload, DecodeLimits{});
    CHECK(run.status == Status::kOk);
    CHECK(run.steps == kMaxLmTokens);
  }
}
