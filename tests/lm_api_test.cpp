// The public LM coder (kolmo/lm.h) is the core's sessions (session.h) and nothing else: the same
// payload bytes for the same steps, at both payload versions, and the same tokens and statistics
// back; its defaults are the sessions' and the format's.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "kolmo/lm.h"
#include "session.h"
#include "synthetic_model.h"

using kolmo::Status;

TEST_SUITE("lm_api") {
  TEST_CASE("LmEncoder and LmDecoder code exactly what EncoderSession and DecoderSession code") {
    const size_t vocab = 777;
    const uint32_t eot = 5;  // not the last id: the vocabulary keeps the caller's EOT
    const std::vector<uint64_t> counts = kolmo_test::syntheticCounts(vocab);
    kolmo::TokenTree tree;
    REQUIRE(kolmo::TokenTree::build(counts, vocab, &tree) == Status::kOk);
    kolmo::LmVocabulary vocabulary;
    REQUIRE(kolmo::LmVocabulary::build(counts, eot, &vocabulary) == Status::kOk);
    CHECK(vocabulary.vocabSize() == vocab);
    CHECK(vocabulary.eotId() == eot);

    std::mt19937_64 rng(11);
    std::vector<uint32_t> seq{eot};
    for (uint32_t t : kolmo_test::sampleSequence(vocab, eot, 300, rng)) seq.push_back(t);
    seq.push_back(eot);
    for (int version : {kolmo::kLmPayloadV1, kolmo::kLmPayloadV2, kolmo::kLmPayloadV3}) {
      CAPTURE(version);
      kolmo::RoundingConfig config;
      config.epsilon = 3e-4;
      config.payloadVersion = version;
      config.tokenCount = seq.size() - 1;
      kolmo::EncoderSession session(tree, eot, config);
      kolmo::LmEncoderOptions options;
      options.epsilon = config.epsilon;
      options.payloadVersion = version;
      options.tokenCount = config.tokenCount;
      kolmo::LmEncoder encoder(vocabulary, options);
      REQUIRE(encoder.status() == Status::kOk);
      for (size_t pos = 1; pos < seq.size(); ++pos) {
        const std::vector<float> logits = kolmo_test::syntheticLogits(seq[pos - 1], vocab);
        REQUIRE(session.encodeStep(logits.data(), vocab, seq[pos]) == Status::kOk);
        REQUIRE(encoder.encodeStep(logits.data(), vocab, seq[pos]) == Status::kOk);
      }
      std::vector<uint8_t> expected, payload;
      REQUIRE(session.finish(&expected) == Status::kOk);
      REQUIRE(encoder.finish(&payload) == Status::kOk);
      CHECK(payload == expected);
      const kolmo::LmStats stats = encoder.stats();
      CHECK(stats.steps == session.stats().steps);
      CHECK(stats.fragileSteps == session.stats().fragileSteps);
      CHECK(stats.escapes == session.stats().escapes);
      CHECK(stats.idealBits == session.stats().idealBits);
      CHECK(stats.codedBits == session.stats().codedBits);

      kolmo::LmDecoderOptions decoderOptions;
      decoderOptions.payloadVersion = version;
      kolmo::LmDecoder decoder(vocabulary, payload.data(), payload.size(), decoderOptions);
      REQUIRE(decoder.status() == Status::kOk);
      std::vector<uint32_t> decoded{eot};
      while (!decoder.done()) {
        const std::vector<float> logits = kolmo_test::syntheticLogits(decoded.back(), vocab);
        uint32_t token = 0;
        REQUIRE(decoder.decodeStep(logits.data(), vocab, &token) == Status::kOk);
        decoded.push_back(token);
      }
      CHECK(decoded == seq);
      CHECK(decoder.stats().codedBits == stats.codedBits);
    }
  }

  TEST_CASE("the public defaults are the sessions' defaults") {
    CHECK(kolmo::defaultEpsilon() == kolmo::RoundingConfig{}.epsilon);
    CHECK(kolmo::LmEncoderOptions{}.epsilon == kolmo::RoundingConfig{}.epsilon);
    CHECK(kolmo::LmEncoderOptions{}.payloadVersion == kolmo::RoundingConfig{}.payloadVersion);
    CHECK(kolmo::maxLmTokens() == kolmo::kMaxLmTokens);
    CHECK(kolmo::LmDecoderOptions{}.maxTokens == kolmo::DecodeLimits{}.maxTokens);
    CHECK(kolmo::LmDecoderOptions{}.payloadVersion == kolmo::kLmPayloadV1);
  }

  TEST_CASE("construction errors are the sessions' errors, reported by status() and every call") {
    kolmo::LmVocabulary vocabulary;
    REQUIRE(kolmo::LmVocabulary::build(kolmo_test::syntheticCounts(64), 63, &vocabulary) == Status::kOk);
    kolmo::LmEncoderOptions badVersion;
    badVersion.payloadVersion = 4;
    kolmo::LmEncoder encoder(vocabulary, badVersion);
    CHECK(encoder.status() == Status::kBadArgument);
    const std::vector<float> logits(64, 0.0f);
    CHECK(encoder.encodeStep(logits.data(), 64, 63) == Status::kBadArgument);
    kolmo::LmEncoderOptions noCount;
    noCount.payloadVersion = kolmo::kLmPayloadV2;
    CHECK(kolmo::LmEncoder(vocabulary, noCount).status() == Status::kBadArgument);

    const uint8_t payload[1] = {0};
    kolmo::LmDecoderOptions decoderOptions;
    decoderOptions.payloadVersion = 0;
    CHECK(kolmo::LmDecoder(vocabulary, payload, 1, decoderOptions).status() == Status::kBadArgument);
    CHECK(kolmo::LmDecoder(vocabulary, nullptr, 1).status() == Status::kBadArgument);
    CHECK(kolmo::LmDecoder(kolmo::LmVocabulary(), payload, 1).status() == Status::kBadArgument);

    // Moved-from coders report kBadArgument rather than crash.
    kolmo::LmEncoder moved(vocabulary);
    kolmo::LmEncoder target(std::move(moved));
    CHECK(target.status() == Status::kOk);
    CHECK(moved.status() == Status::kBadArgument);  // NOLINT(bugprone-use-after-move): documented state
  }
}
