// The public C++ API as a user sees it: this file includes <kolmo/kolmo.h> and nothing else of
// kolmo's, and its target (tests/CMakeLists.txt) has only kolmo_core's public include path, so
// it compiles only while the public headers stand on their own. It compresses and decompresses
// real texts the way an application would: the model-free modes through packBest, parse and
// decodeFallback, and the LM mode with a tokenizer and a model run by the caller (the synthetic
// model of synthetic_model.h, with a context window), through the URL text and the file form.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <kolmo/kolmo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "synthetic_model.h"

using kolmo::Status;

namespace {

std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// A small byte-level BPE: 256 byte tokens, a few merges over common English pairs, EOT.
kolmo::Tokenizer smallTokenizer() {
  const std::vector<std::pair<uint32_t, uint32_t>> merges = {
      {'t', 'h'}, {256, 'e'}, {' ', 't'}, {258, 'h'}, {259, 'e'}, {'i', 'n'}, {' ', 'a'}, {'e', 'r'},
      {'o', 'n'}, {'a', 'n'}, {261, 'g'}, {' ', 'o'}, {'e', 'n'}, {'r', 'e'}, {'o', 'r'}};
  kolmo::Tokenizer tokenizer;
  REQUIRE(kolmo::Tokenizer::fromMerges(merges, kolmo_test::syntheticCounts(256 + merges.size() + 1),
                                       &tokenizer) == Status::kOk);
  return tokenizer;
}

// The caller's model: the synthetic model over the tokens it sees, seq[contextStart(pos), pos).
constexpr size_t kContext = 16;
void modelLogits(const std::vector<uint32_t>& seq, size_t pos, size_t vocab, float* out) {
  const size_t start = kolmo::contextStart(pos, kContext);
  kolmo_test::syntheticLogits(seq[pos - 1] ^ (seq[start] * 31u), vocab, out);
}

// Fragment text -> container -> text, for every mode: what a link opener does.
std::vector<uint8_t> openLink(const std::string& fragment, const kolmo::LmVocabulary& vocabulary,
                              const kolmo::Tokenizer& tokenizer, uint64_t idHash) {
  std::vector<uint8_t> container;
  REQUIRE(kolmo::containerFromLinkText(fragment, &container) == Status::kOk);
  REQUIRE_FALSE(kolmo::isEnvelope(container.data(), container.size()));
  kolmo::ContainerView view;
  REQUIRE(kolmo::parse(container.data(), container.size(), kolmo::ContainerLimits{}, &view) == Status::kOk);
  std::vector<uint8_t> text;
  if (view.mode != kolmo::ContainerMode::kLm) {
    REQUIRE(kolmo::decodeFallback(view, kolmo::ContainerLimits{}, &text) == Status::kOk);
    return text;
  }
  kolmo::LmDecoderOptions options;
  options.payloadVersion = view.lmPayloadVersion();
  kolmo::LmDecoder decoder(vocabulary, view.body, view.bodySize, options);
  REQUIRE(decoder.status() == Status::kOk);
  std::vector<uint32_t> seq{vocabulary.eotId()};
  std::vector<float> logits(vocabulary.vocabSize());
  while (!decoder.done()) {
    modelLogits(seq, seq.size(), logits.size(), logits.data());
    uint32_t token = 0;
    REQUIRE(decoder.decodeStep(logits.data(), logits.size(), &token) == Status::kOk);
    seq.push_back(token);
  }
  CHECK(decoder.stats().steps == seq.size() - 1);
  std::vector<uint8_t> coded;
  REQUIRE(tokenizer.decode(seq.data() + 1, seq.size() - 2, &coded) == Status::kOk);
  if (view.crlfLineBreaks()) {
    REQUIRE(kolmo::restoreCrlfLineBreaks(coded.data(), coded.size(), kolmo::ContainerLimits{}.maxTextBytes,
                                         &text) == Status::kOk);
  } else {
    text = coded;
  }
  REQUIRE(kolmo::verify(view, idHash, text.data(), text.size()) == Status::kOk);
  return text;
}

// The LM payload of `coded` (the text, or its LF form) at payload version `version`.
std::vector<uint8_t> lmPayload(const kolmo::LmVocabulary& vocabulary, const kolmo::Tokenizer& tokenizer,
                               const std::vector<uint8_t>& coded, int version) {
  std::vector<uint32_t> seq{vocabulary.eotId()};
  REQUIRE(tokenizer.encode(coded.data(), coded.size(), &seq) == Status::kOk);
  seq.push_back(vocabulary.eotId());
  REQUIRE(seq.size() <= kolmo::maxLmTokens());
  kolmo::LmEncoderOptions options;
  options.payloadVersion = version;
  options.tokenCount = seq.size() - 1;
  kolmo::LmEncoder encoder(vocabulary, options);
  REQUIRE(encoder.status() == Status::kOk);
  std::vector<float> logits(vocabulary.vocabSize());
  for (size_t pos = 1; pos < seq.size(); ++pos) {
    modelLogits(seq, pos, logits.size(), logits.data());
    REQUIRE(encoder.encodeStep(logits.data(), logits.size(), seq[pos]) == Status::kOk);
  }
  std::vector<uint8_t> payload;
  REQUIRE(encoder.finish(&payload) == Status::kOk);
  const kolmo::LmStats stats = encoder.stats();
  CHECK(stats.steps == seq.size() - 1);
  CHECK(stats.codedBits > 0);
  CHECK(stats.idealBits > 0);
  return payload;
}

}  // namespace

TEST_CASE("stored and cm links: packBest, the URL text, parse, decodeFallback, the file form") {
  const std::string repetitive = std::string("{\"key\": [1, 2, 3], \"value\": \"abcabc\"}\n") + std::string(40, '-');
  for (const std::string& s : {std::string(), std::string("hi"), repetitive + repetitive + repetitive}) {
    const std::vector<uint8_t> text = bytesOf(s);
    std::vector<uint8_t> container;
    kolmo::ContainerMode mode = kolmo::ContainerMode::kLm;
    REQUIRE(kolmo::packBest(text.data(), text.size(), nullptr, 0, 0, 0, kolmo::ContainerLimits{},
                            kolmo::kAllModes, &container, &mode) == Status::kOk);
    CHECK(mode == (s.size() > 100 ? kolmo::ContainerMode::kCm : kolmo::ContainerMode::kStored));
    CHECK(container.size() <= kolmo::containerFramingBytes(0) + text.size());

    std::string fragment;
    kolmo::urlEncode(container.data(), container.size(), &fragment);
    CHECK(fragment.size() == kolmo::urlEncodedLength(container.size()));
    std::string qr;
    kolmo::urlEncodeQr(container.data(), container.size(), &qr);
    for (const std::string& link : {fragment, qr}) {
      std::vector<uint8_t> received;
      REQUIRE(kolmo::urlDecodeAnyForm(link, &received) == Status::kOk);
      REQUIRE(received == container);
      kolmo::ContainerView view;
      REQUIRE(kolmo::parse(received.data(), received.size(), kolmo::ContainerLimits{}, &view) == Status::kOk);
      CHECK(view.mode == mode);
      std::vector<uint8_t> back;
      REQUIRE(kolmo::decodeFallback(view, kolmo::ContainerLimits{}, &back) == Status::kOk);
      CHECK(back == text);
    }

    std::vector<uint8_t> file;
    kolmo::toFile(container.data(), container.size(), &file);
    CHECK(kolmo::isFileForm(file.data(), file.size()));
    kolmo::ContainerView view;
    REQUIRE(kolmo::parseFile(file.data(), file.size(), kolmo::ContainerLimits{}, &view) == Status::kOk);
    std::vector<uint8_t> back;
    REQUIRE(kolmo::decodeFallback(view, kolmo::ContainerLimits{}, &back) == Status::kOk);
    CHECK(back == text);
  }
}

TEST_CASE("errors are values: a damaged link, limits, a bad argument") {
  const std::vector<uint8_t> text = bytesOf("a text that is long enough to be coded by the cm codec, the cm codec");
  std::vector<uint8_t> container;
  REQUIRE(kolmo::packBest(text.data(), text.size(), nullptr, 0, 0, 0, kolmo::ContainerLimits{},
                          kolmo::modeBit(kolmo::ContainerMode::kCm), &container) == Status::kOk);
  container[1] ^= 0x40;  // the text check: the link syndrome sees the change before any decoding
  kolmo::ContainerView view;
  CHECK(kolmo::parse(container.data(), container.size(), kolmo::ContainerLimits{}, &view) == Status::kDamagedLink);
  CHECK(std::string(kolmo::statusName(Status::kDamagedLink)) == "damaged_link");
  // A link of an earlier release (version 1) has no syndrome: the text check finds the change.
  REQUIRE(kolmo::packBest(text.data(), text.size(), nullptr, 0, 0, kolmo::ContainerLimits{}, &container, nullptr, 1,
                          false, kolmo::LinkFraming::kLegacy) == Status::kOk);
  container[1] ^= 0x40;
  REQUIRE(kolmo::parse(container.data(), container.size(), kolmo::ContainerLimits{}, &view) == Status::kOk);
  std::vector<uint8_t> back;
  CHECK(kolmo::decodeFallback(view, kolmo::ContainerLimits{}, &back) == Status::kChecksumMismatch);
  CHECK(std::string(kolmo::statusName(Status::kChecksumMismatch)) == "checksum_mismatch");

  kolmo::ContainerLimits small;
  small.maxTextBytes = 8;
  CHECK(kolmo::packBest(text.data(), text.size(), nullptr, 0, 0, 0, small, kolmo::kAllModes, &container) ==
        Status::kLengthOverLimit);
  CHECK(kolmo::urlDecodeAnyForm("not base62!", &back) == Status::kBadUrlText);

  kolmo::LmVocabulary vocabulary;
  CHECK(kolmo::LmVocabulary::build({1, 2, 3}, 3, &vocabulary) == Status::kBadArgument);
  CHECK(vocabulary.vocabSize() == 0);
  kolmo::LmEncoder unbuilt(vocabulary);
  CHECK(unbuilt.status() == Status::kBadArgument);
  REQUIRE(kolmo::LmVocabulary::build({1, 2, 3}, 2, &vocabulary) == Status::kOk);
  kolmo::LmEncoder encoder(vocabulary);
  REQUIRE(encoder.status() == Status::kOk);
  const float nan[3] = {0.0f, std::nanf(""), 1.0f};
  CHECK(encoder.encodeStep(nan, 3, 0) == Status::kNonFiniteLogits);
  const float logits[3] = {0.0f, 1.0f, 2.0f};
  CHECK(encoder.encodeStep(logits, 2, 0) == Status::kBadArgument);
  std::vector<uint8_t> payload;
  CHECK(encoder.finish(&payload) == Status::kBadArgument);  // no EOT coded yet
  CHECK(encoder.encodeStep(logits, 3, 2) == Status::kOk);
  CHECK(encoder.finish(&payload) == Status::kOk);
}

TEST_CASE("lm links: tokenizer, the caller's model with a window, LmEncoder, packBest, LmDecoder") {
  const kolmo::Tokenizer tokenizer = smallTokenizer();
  kolmo::LmVocabulary vocabulary;
  REQUIRE(kolmo::LmVocabulary::fromTokenizer(tokenizer, &vocabulary) == Status::kOk);
  REQUIRE(vocabulary.vocabSize() == tokenizer.vocabSize());
  REQUIRE(vocabulary.eotId() == tokenizer.eotId());
  const uint64_t idHash = kolmo::modelIdHash("public-api-test-model");

  const std::string english = "the other one went in there, and then another one ran on there. ";
  const std::string crlf = "line one\r\nline two\r\nthe end\r\n";
  for (const std::string& s : {english + english, crlf, std::string("x")}) {
    const std::vector<uint8_t> text = bytesOf(s);
    std::vector<uint8_t> lf;
    const bool crlfForm = kolmo::lfLineBreaks(text.data(), text.size(), &lf);
    CHECK(crlfForm == (s == crlf));
    const std::vector<uint8_t> v1 = lmPayload(vocabulary, tokenizer, text, 1);
    const std::vector<uint8_t> v2 = lmPayload(vocabulary, tokenizer, crlfForm ? lf : text, 2);
    const std::vector<uint8_t> v3 = lmPayload(vocabulary, tokenizer, crlfForm ? lf : text, 3);
    const kolmo::LmBody bodies[3] = {
        {v1.data(), v1.size(), 1, false}, {v3.data(), v3.size(), 3, crlfForm}, {v2.data(), v2.size(), 2, crlfForm}};

    // Only lm: the link must decode through the model. Then every mode: the smallest wins.
    for (const unsigned modes : {kolmo::modeBit(kolmo::ContainerMode::kLm), kolmo::kAllModes}) {
      std::vector<uint8_t> container;
      kolmo::ContainerMode mode = kolmo::ContainerMode::kStored;
      size_t body = 9;
      // New links (version 6) carry LM payloads 1 and 3.
      REQUIRE(kolmo::packBest(text.data(), text.size(), bodies, 2, 0, idHash, kolmo::ContainerLimits{}, modes,
                              &container, &mode, &body) == Status::kOk);
      if (modes != kolmo::kAllModes) REQUIRE(mode == kolmo::ContainerMode::kLm);
      if (mode == kolmo::ContainerMode::kLm) {
        CHECK(container.size() <= kolmo::containerFramingBytes(0) + std::min({v1.size(), v3.size()}));
      }
      // Each body on its own opens too, whatever its container version (1 to 6).
      std::vector<uint8_t> one;
      for (const kolmo::LinkFraming framing : {kolmo::LinkFraming::kLegacy, kolmo::LinkFraming::kTypoProof}) {
        for (const kolmo::LmBody& lmBody : bodies) {
          if (framing == kolmo::LinkFraming::kTypoProof && lmBody.payloadVersion == 2) continue;
          REQUIRE(kolmo::packBest(text.data(), text.size(), &lmBody, 1, 0, idHash, kolmo::ContainerLimits{},
                                  kolmo::modeBit(kolmo::ContainerMode::kLm), &one, nullptr, nullptr, framing) ==
                  Status::kOk);
          std::string link;
          kolmo::urlEncode(one.data(), one.size(), &link);
          CHECK(openLink(link, vocabulary, tokenizer, idHash) == text);
        }
      }
      std::string fragment;
      kolmo::urlEncode(container.data(), container.size(), &fragment);
      CHECK(openLink(fragment, vocabulary, tokenizer, idHash) == text);
      std::string qr;
      kolmo::urlEncodeQr(container.data(), container.size(), &qr);
      CHECK(openLink(qr, vocabulary, tokenizer, idHash) == text);
    }
  }
}

TEST_CASE("lm payloads survive logit drift within epsilon; the vocabulary may go first") {
  const size_t vocab = 300;
  const uint32_t eot = vocab - 1;
  std::mt19937_64 rng(7);
  std::vector<uint32_t> seq{eot};
  for (uint32_t t : kolmo_test::sampleSequence(vocab, eot, 200, rng)) seq.push_back(t);
  seq.push_back(eot);

  std::vector<uint8_t> payload;
  std::unique_ptr<kolmo::LmDecoder> decoder;
  {
    kolmo::LmVocabulary vocabulary;
    REQUIRE(kolmo::LmVocabulary::build(kolmo_test::syntheticCounts(vocab), eot, &vocabulary) == Status::kOk);
    kolmo::LmEncoder encoder(vocabulary);
    std::vector<float> logits(vocab * (seq.size() - 1));
    for (size_t pos = 1; pos < seq.size(); ++pos) modelLogits(seq, pos, vocab, &logits[(pos - 1) * vocab]);
    REQUIRE(encoder.encodeSteps(logits.data(), seq.size() - 1, vocab, seq.data() + 1) == Status::kOk);
    REQUIRE(encoder.finish(&payload) == Status::kOk);
    const std::vector<float> stepBits = encoder.stepBits();
    REQUIRE(stepBits.size() == seq.size() - 1);
    double total = 0;
    for (float b : stepBits) total += b;
    CHECK(total == doctest::Approx(encoder.stats().codedBits).epsilon(1e-4));
    decoder = std::make_unique<kolmo::LmDecoder>(vocabulary, payload.data(), payload.size());
  }  // the vocabulary is gone; the decoder holds its own reference
  REQUIRE(decoder->status() == Status::kOk);
  std::vector<uint32_t> decoded{eot};
  while (!decoder->done()) {
    std::vector<float> exact(vocab);
    modelLogits(decoded, decoded.size(), vocab, exact.data());
    const std::vector<float> drifted = kolmo_test::perturbWithin(exact, kolmo::defaultEpsilon(), rng);
    uint32_t token = 0;
    REQUIRE(decoder->decodeStep(drifted.data(), vocab, &token) == Status::kOk);
    decoded.push_back(token);
  }
  CHECK(decoded == seq);
  uint32_t token = 0;
  const std::vector<float> logits(vocab, 0.0f);
  CHECK(decoder->decodeStep(logits.data(), vocab, &token) == Status::kBadArgument);  // after done()
}
