// Session tests: round trips with the synthetic model (V = 8192), the empty text, the
// context-window rule, the flag models; decoding with logits perturbed within epsilon
// (always exact, including adversarial logits placed at quantization boundaries) and beyond
// it (counted; never a crash, an endless loop or a limit overrun); NaN/Inf logits on both
// sides; bad calls; truncated, altered and random payloads.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "session.h"
#include "synthetic_model.h"
#include "tree_probe.h"

namespace {

using kolmo::DecodeLimits;
using kolmo::DecoderSession;
using kolmo::EncoderSession;
using kolmo::RoundingConfig;
using kolmo::SessionStats;
using kolmo::Status;
using kolmo::TokenTree;
using kolmo_test::syntheticLogits;

constexpr size_t kVocab = 8192;
constexpr uint32_t kEot = kVocab - 1;

const TokenTree& syntheticTree() { return kolmo_test::syntheticTree(kVocab); }

// Logits for step `step` given the previous token (the synthetic model only looks at prev).
using Model = std::function<std::vector<float>(size_t step, uint32_t prev)>;

std::vector<float> syntheticModel(size_t, uint32_t prev) { return syntheticLogits(prev, kVocab); }

struct Encoded {
  std::vector<uint8_t> payload;
  SessionStats stats;
};

// Encodes text + EOT (the BOS before the first token is the EOT id).
Encoded encodeText(const TokenTree& tree, const std::vector<uint32_t>& text, const Model& model,
                   RoundingConfig config = RoundingConfig()) {
  EncoderSession encoder(tree, kEot, config);
  REQUIRE(encoder.status() == Status::kOk);
  uint32_t prev = kEot;
  std::vector<uint32_t> tokens = text;
  tokens.push_back(kEot);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::vector<float> logits = model(i, prev);
    REQUIRE(encoder.encodeStep(logits.data(), logits.size(), tokens[i]) == Status::kOk);
    prev = tokens[i];
  }
  Encoded out;
  REQUIRE(encoder.finish(&out.payload) == Status::kOk);
  out.stats = encoder.stats();
  return out;
}

struct Decoded {
  Status status = Status::kOk;
  bool done = false;
  std::vector<uint32_t> text;  // without the EOT
  SessionStats stats;
};

// Decodes until done or an error; the model sees the tokens as decoded (as a real decoder
// would). Asserts the decoder's own guarantees on the way: ids < vocab, bounded steps.
Decoded decodeText(const TokenTree& tree, const std::vector<uint8_t>& payload, const Model& model,
                   DecodeLimits limits = DecodeLimits()) {
  DecoderSession decoder(tree, kEot, payload.data(), payload.size(), limits);
  Decoded out;
  uint32_t prev = kEot;
  for (size_t step = 0;; ++step) {
    REQUIRE(step <= limits.maxTokens);  // terminates within the limit
    const std::vector<float> logits = model(step, prev);
    uint32_t token = ~0u;
    out.status = decoder.decodeStep(logits.data(), logits.size(), &token);
    if (out.status != Status::kOk) break;
    REQUIRE(token < tree.vocabSize());
    if (decoder.done()) {
      REQUIRE(token == kEot);
      out.done = true;
      break;
    }
    out.text.push_back(token);
    prev = token;
  }
  out.stats = decoder.stats();
  return out;
}

std::vector<uint32_t> randomText(size_t length, std::mt19937_64& rng) {
  std::vector<uint32_t> text(length);
  for (auto& t : text) t = static_cast<uint32_t>(rng() % (kVocab - 1));  // no EOT inside
  return text;
}

// The synthetic model with every logit moved by up to eps (exactly bounded).
Model perturbedModel(double eps, std::mt19937_64* rng, bool extremes = false) {
  return [=](size_t, uint32_t prev) {
    return kolmo_test::perturbWithin(syntheticLogits(prev, kVocab), eps, *rng, extremes);
  };
}

}  // namespace

TEST_SUITE("session") {
  TEST_CASE("contextStart: documented examples and window properties") {
    CHECK(kolmo::contextStart(0, 8) == 0);
    CHECK(kolmo::contextStart(8, 8) == 0);
    CHECK(kolmo::contextStart(9, 8) == 4);
    CHECK(kolmo::contextStart(12, 8) == 4);
    CHECK(kolmo::contextStart(13, 8) == 8);
    CHECK(kolmo::contextStart(5, 0) == 5);
    CHECK(kolmo::contextStart(5, 1) == 4);
    CHECK(kolmo::contextStart(1, 1) == 0);
    for (size_t length : {2u, 3u, 7u, 64u, 512u, 1024u}) {
      const size_t half = length / 2;
      size_t previous = 0;
      for (size_t position = 0; position <= 100000; ++position) {
        const size_t start = kolmo::contextStart(position, length);
        REQUIRE(start <= position);
        REQUIRE(position - start <= length);                    // fits the model's context
        if (position > length) REQUIRE(position - start >= half + 1);  // keeps history
        REQUIRE(start % half == 0);                              // restarts on multiples of H
        REQUIRE(start >= previous);                              // never moves back
        previous = start;
      }
    }
  }

  TEST_CASE("adaptive flag model: bounded, adapts, deterministic") {
    kolmo::detail::AdaptiveBit model(40);
    CHECK(model.prob0() > 64000);
    for (int i = 0; i < 100000; ++i) {
      model.update(i % 3 == 0);
      REQUIRE(model.prob0() >= 1);
      REQUIRE(model.prob0() <= 65535);
    }
    CHECK(model.prob0() == doctest::Approx(65536 * 2.0 / 3).epsilon(0.05));
    kolmo::detail::AdaptiveBit ones(0);
    for (int i = 0; i < 100000; ++i) ones.update(1);
    CHECK(ones.prob0() >= 1);
    CHECK(ones.prob0() < 100);
  }

  TEST_CASE("round trip: random token sequences") {
    std::mt19937_64 rng(1);
    for (size_t length : {1u, 2u, 10u, 200u}) {
      const std::vector<uint32_t> text = randomText(length, rng);
      const Encoded enc = encodeText(syntheticTree(), text, syntheticModel);
      const Decoded dec = decodeText(syntheticTree(), enc.payload, syntheticModel);
      CHECK(dec.status == Status::kOk);
      CHECK(dec.done);
      CHECK(dec.text == text);
      CHECK(dec.stats.steps == enc.stats.steps);
      CHECK(dec.stats.fragileSteps == enc.stats.fragileSteps);
      CHECK(dec.stats.escapes == enc.stats.escapes);
      CHECK(dec.stats.codedBits == doctest::Approx(enc.stats.codedBits));
      // The payload is the coded bits, give or take a byte (flush, and trailing zero bits
      // that need not be sent).
      CHECK(enc.payload.size() * 8.0 <= enc.stats.codedBits + 9);
      CHECK(enc.payload.size() * 8.0 >= enc.stats.codedBits - 9);
    }
  }

  TEST_CASE("round trip: sequences drawn from the model, and overhead vs ideal") {
    std::mt19937_64 rng(2);
    double ideal = 0, coded = 0;
    uint64_t steps = 0, fragile = 0;
    for (int trial = 0; trial < 6; ++trial) {
      const std::vector<uint32_t> text = kolmo_test::sampleSequence(kVocab, kEot, 300, rng);
      const Encoded enc = encodeText(syntheticTree(), text, syntheticModel);
      const Decoded dec = decodeText(syntheticTree(), enc.payload, syntheticModel);
      CHECK(dec.status == Status::kOk);
      CHECK(dec.text == text);
      ideal += enc.stats.idealBits;
      coded += enc.stats.codedBits;
      steps += enc.stats.steps;
      fragile += enc.stats.fragileSteps;
    }
    MESSAGE("synthetic model: ideal " << ideal / steps << " bits/token, coded " << coded / steps
                                      << ", overhead " << 100 * (coded / ideal - 1) << "%, fragile "
                                      << 100.0 * fragile / steps << "%");
    CHECK(coded < ideal * 1.03);
  }

  TEST_CASE("empty text: just EOT") {
    const Encoded enc = encodeText(syntheticTree(), {}, syntheticModel);
    CHECK(enc.stats.steps == 1);
    const Decoded dec = decodeText(syntheticTree(), enc.payload, syntheticModel);
    CHECK(dec.status == Status::kOk);
    CHECK(dec.done);
    CHECK(dec.text.empty());
    SUBCASE("a model sure of EOT gives a payload of at most one byte") {
      const Model sure = [](size_t, uint32_t) {
        std::vector<float> logits(kVocab, -30.0f);
        logits[kEot] = 30.0f;
        return logits;
      };
      const Encoded confident = encodeText(syntheticTree(), {}, sure);
      CHECK(confident.payload.size() <= 1);
      const Decoded back = decodeText(syntheticTree(), confident.payload, sure);
      CHECK(back.done);
      CHECK(back.text.empty());
    }
  }

  TEST_CASE("encoding twice gives identical bytes; batched equals stepwise") {
    std::mt19937_64 rng(3);
    const std::vector<uint32_t> text = randomText(50, rng);
    const Encoded a = encodeText(syntheticTree(), text, syntheticModel);
    const Encoded b = encodeText(syntheticTree(), text, syntheticModel);
    CHECK(a.payload == b.payload);
    std::vector<uint32_t> tokens = text;
    tokens.push_back(kEot);
    std::vector<float> allLogits;
    uint32_t prev = kEot;
    for (uint32_t t : tokens) {
      const std::vector<float> l = syntheticLogits(prev, kVocab);
      allLogits.insert(allLogits.end(), l.begin(), l.end());
      prev = t;
    }
    EncoderSession batched(syntheticTree(), kEot);
    REQUIRE(batched.encodeSteps(allLogits.data(), tokens.size(), kVocab, tokens.data()) == Status::kOk);
    std::vector<uint8_t> payload;
    REQUIRE(batched.finish(&payload) == Status::kOk);
    CHECK(payload == a.payload);
    // The bits of each step add up to what the session coded; every step costs something.
    const std::vector<float>& stepBits = batched.stepBits();
    REQUIRE(stepBits.size() == tokens.size());
    double sum = 0;
    for (float bits : stepBits) {
      CHECK(bits > 0.0f);
      sum += bits;
    }
    CHECK(sum == doctest::Approx(batched.stats().codedBits).epsilon(1e-5));
  }

  TEST_CASE("pinned payload: the stream format of a fixed text") {
    // Text and logits from mix32 only (no <random>, whose distributions differ between
    // standard libraries), so every build must produce these exact bytes. A change here is
    // a format change: old links would stop opening.
    std::vector<uint32_t> text;
    for (uint32_t i = 0; i < 64; ++i) text.push_back(kolmo_test::mix32(i) % (kVocab - 1));
    RoundingConfig config;
    const Encoded enc = encodeText(syntheticTree(), text, syntheticModel, config);
    uint64_t hash = 0xcbf29ce484222325ull;
    for (uint8_t b : enc.payload) hash = (hash ^ b) * 0x100000001b3ull;
    MESSAGE("payload " << enc.payload.size() << " bytes, hash " << hash << ", fragile " << enc.stats.fragileSteps);
    CHECK(enc.payload.size() == 181u);
    CHECK(hash == 12979385390515760876ull);
    CHECK(decodeText(syntheticTree(), enc.payload, syntheticModel).text == text);
  }

  TEST_CASE("long sequence on a small vocabulary (flag counts halve on the way)") {
    const size_t vocab = 300;
    TokenTree tree;
    REQUIRE(TokenTree::build(kolmo_test::syntheticCounts(vocab), vocab, &tree) == Status::kOk);
    const uint32_t eot = vocab - 1;
    std::mt19937_64 rng(4);
    RoundingConfig config;
    config.epsilon = 2e-3;  // plenty of fragile steps and some escapes
    EncoderSession encoder(tree, eot, config);
    std::vector<uint32_t> tokens;
    uint32_t prev = eot;
    for (int i = 0; i < 12000; ++i) {
      const uint32_t t = i == 11999 ? eot : static_cast<uint32_t>(rng() % (vocab - 1));
      const std::vector<float> logits = syntheticLogits(prev, vocab);
      REQUIRE(encoder.encodeStep(logits.data(), vocab, t) == Status::kOk);
      tokens.push_back(t);
      prev = t;
    }
    std::vector<uint8_t> payload;
    REQUIRE(encoder.finish(&payload) == Status::kOk);
    DecoderSession decoder(tree, eot, payload.data(), payload.size());
    prev = eot;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::vector<float> logits = kolmo_test::perturbWithin(syntheticLogits(prev, vocab), 2e-3, rng);
      uint32_t t;
      REQUIRE(decoder.decodeStep(logits.data(), vocab, &t) == Status::kOk);
      REQUIRE(t == tokens[i]);
      prev = t;
    }
    CHECK(decoder.done());
    MESSAGE("12000 steps: fragile " << encoder.stats().fragileSteps << ", escapes " << encoder.stats().escapes);
    CHECK(encoder.stats().escapes > 0);
  }

  TEST_CASE("decoder logits within epsilon always decode exactly") {
    std::mt19937_64 rng(5);
    for (double eps : {1e-4, 1e-3, 1e-2}) {
      RoundingConfig config;
      config.epsilon = eps;
      uint64_t steps = 0, fragile = 0, escapes = 0;
      for (int trial = 0; trial < 6; ++trial) {
        const std::vector<uint32_t> text = trial % 2 ? randomText(150, rng)
                                                     : kolmo_test::sampleSequence(kVocab, kEot, 150, rng);
        const Encoded enc = encodeText(syntheticTree(), text, syntheticModel, config);
        const Decoded dec = decodeText(syntheticTree(), enc.payload, perturbedModel(eps, &rng, trial % 3 == 0));
        CHECK(dec.status == Status::kOk);
        CHECK(dec.text == text);
        steps += enc.stats.steps;
        fragile += enc.stats.fragileSteps;
        escapes += enc.stats.escapes;
      }
      MESSAGE("eps " << eps << ": " << steps << " steps, fragile " << fragile << ", escapes " << escapes);
      if (eps >= 1e-2) CHECK(escapes > 0);
    }
  }

  TEST_CASE("adversarial logits at grid boundaries decode exactly") {
    // Each step: dyadic logits with one (or two) nodes of the token's path placed on, just
    // inside or just outside 2 eps of a boundary; the decoder gets the worst push for the
    // first placed node and random within-eps noise elsewhere.
    const size_t vocab = 512;
    TokenTree tree;
    REQUIRE(TokenTree::build(kolmo_test::syntheticCounts(vocab), vocab, &tree) == Status::kOk);
    const uint32_t eot = vocab - 1;
    kolmo::Quantizer quantizer;
    REQUIRE(kolmo::Quantizer::build(kolmo::GridSpec(), &quantizer) == Status::kOk);
    const double eps = 1.0 / 8192;
    const double slack = 8.0 / 1048576;
    std::mt19937_64 rng(6);
    std::vector<std::vector<float>> encLogits, decLogits;
    std::vector<uint32_t> tokens;
    for (int step = 0; step < 400; ++step) {
      const uint32_t token = step == 399 ? eot : static_cast<uint32_t>(rng() % (vocab - 1));
      std::vector<float> logits = kolmo_test::dyadicLogits(vocab, rng);
      std::vector<TokenTree::PathStep> path;
      tree.path(token, &path);
      const size_t targetIndex = rng() % path.size();
      const auto& target = path[targetIndex];
      const int grid = static_cast<int>(rng() % 2);
      kolmo::StepEvaluator evaluator(tree);
      auto nearestBoundary = [&](int g, double r) {
        const std::vector<double>& bounds = quantizer.boundaries(g);
        return *std::min_element(bounds.begin(), bounds.end(),
                                 [&](double a, double b) { return std::fabs(a - r) < std::fabs(b - r); });
      };
      if (step % 4 == 0 && targetIndex + 1 < path.size()) {
        // A deeper node of the path on a boundary of the other grid. Placed first: shifting
        // the target's child subtree afterwards moves the deeper node's subtree as a whole,
        // which leaves its r unchanged.
        const uint32_t deeper = path[targetIndex + 1].node;
        evaluator.load(logits.data(), vocab);
        kolmo_test::placeLogOdds(tree, &logits, deeper, nearestBoundary(1 - grid, evaluator.logOdds(deeper)));
      }
      evaluator.load(logits.data(), vocab);
      const double boundary = nearestBoundary(grid, evaluator.logOdds(target.node));
      const double offsets[] = {0.0, 2 * eps - slack, 2 * eps + slack};
      const double side = (rng() % 2) ? 1.0 : -1.0;
      const double r = kolmo_test::placeLogOdds(tree, &logits, target.node, boundary + side * offsets[rng() % 3]);
      // Decoder: worst push toward the boundary for the target node, noise elsewhere.
      std::vector<uint32_t> left, right;
      kolmo_test::collectLeaves(tree, tree.childId(target.node, 0), &left);
      kolmo_test::collectLeaves(tree, tree.childId(target.node, 1), &right);
      std::vector<float> pushed = kolmo_test::perturbWithin(logits, eps, rng);
      const double towards = r > boundary ? -1.0 : 1.0;
      for (uint32_t t : left) pushed[t] = static_cast<float>(logits[t] + towards * eps);
      for (uint32_t t : right) pushed[t] = static_cast<float>(logits[t] - towards * eps);
      encLogits.push_back(logits);
      decLogits.push_back(pushed);
      tokens.push_back(token);
    }
    RoundingConfig config;
    config.epsilon = eps;
    EncoderSession encoder(tree, eot, config);
    for (size_t i = 0; i < tokens.size(); ++i) {
      REQUIRE(encoder.encodeStep(encLogits[i].data(), vocab, tokens[i]) == Status::kOk);
    }
    std::vector<uint8_t> payload;
    REQUIRE(encoder.finish(&payload) == Status::kOk);
    DecoderSession decoder(tree, eot, payload.data(), payload.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      uint32_t t;
      REQUIRE(decoder.decodeStep(decLogits[i].data(), vocab, &t) == Status::kOk);
      REQUIRE(t == tokens[i]);
    }
    CHECK(decoder.done());
    MESSAGE("adversarial: 400 steps, fragile " << encoder.stats().fragileSteps << ", escapes " << encoder.stats().escapes);
    CHECK(encoder.stats().fragileSteps > 100);
    CHECK(encoder.stats().escapes > 30);
  }

  TEST_CASE("beyond epsilon: decodes are exact or differ, never crash or overrun") {
    std::mt19937_64 rng(7);
    const double eps = 1e-4;
    size_t exact = 0, differ = 0, errors = 0;
    for (double factor : {10.0, 30.0, 100.0}) {
      for (int trial = 0; trial < 8; ++trial) {
        const std::vector<uint32_t> text = kolmo_test::sampleSequence(kVocab, kEot, 120, rng);
        const Encoded enc = encodeText(syntheticTree(), text, syntheticModel);
        const double scale = eps * factor;
        const Model noisy = [&rng, scale](size_t, uint32_t prev) {
          return kolmo_test::perturbBy(syntheticLogits(prev, kVocab), scale, rng);
        };
        DecodeLimits limits;
        limits.maxTokens = 4 * text.size() + 10;
        const Decoded dec = decodeText(syntheticTree(), enc.payload, noisy, limits);
        CHECK(dec.stats.steps <= limits.maxTokens);
        if (dec.status != Status::kOk) {
          ++errors;
          CHECK((dec.status == Status::kTruncated || dec.status == Status::kCorrupt ||
                 dec.status == Status::kLengthOverLimit));
        } else if (dec.text == text) {
          ++exact;
        } else {
          ++differ;  // the container's checksum reports these
        }
      }
    }
    MESSAGE("10-100x eps drift: exact " << exact << ", different " << differ << ", stream errors " << errors);
    CHECK(exact + differ + errors == 24);
  }

  TEST_CASE("NaN/Inf logits: kNonFiniteLogits on both sides, session unchanged") {
    std::mt19937_64 rng(8);
    const std::vector<uint32_t> text = randomText(20, rng);
    const Encoded reference = encodeText(syntheticTree(), text, syntheticModel);
    EncoderSession encoder(syntheticTree(), kEot);
    uint32_t prev = kEot;
    std::vector<uint32_t> tokens = text;
    tokens.push_back(kEot);
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::vector<float> logits = syntheticLogits(prev, kVocab);
      std::vector<float> broken = logits;
      broken[(i * 977) % kVocab] = (i % 2) ? std::nanf("") : -INFINITY;
      CHECK(encoder.encodeStep(broken.data(), kVocab, tokens[i]) == Status::kNonFiniteLogits);
      REQUIRE(encoder.encodeStep(logits.data(), kVocab, tokens[i]) == Status::kOk);
      prev = tokens[i];
    }
    std::vector<uint8_t> payload;
    REQUIRE(encoder.finish(&payload) == Status::kOk);
    CHECK(payload == reference.payload);

    DecoderSession decoder(syntheticTree(), kEot, payload.data(), payload.size());
    prev = kEot;
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::vector<float> logits = syntheticLogits(prev, kVocab);
      std::vector<float> broken = logits;
      broken[(i * 131) % kVocab] = (i % 2) ? INFINITY : std::nanf("");
      uint32_t t = 12345;
      CHECK(decoder.decodeStep(broken.data(), kVocab, &t) == Status::kNonFiniteLogits);
      CHECK(t == 12345);
      REQUIRE(decoder.decodeStep(logits.data(), kVocab, &t) == Status::kOk);
      REQUIRE(t == tokens[i]);
      prev = t;
    }
    CHECK(decoder.done());
  }

  TEST_CASE("bad calls are rejected") {
    const TokenTree& tree = syntheticTree();
    const std::vector<float> logits = syntheticLogits(kEot, kVocab);
    SUBCASE("constructor arguments") {
      CHECK(EncoderSession(tree, kVocab).status() == Status::kBadArgument);
      RoundingConfig badEps;
      badEps.epsilon = -1;
      CHECK(EncoderSession(tree, kEot, badEps).status() == Status::kBadArgument);
      RoundingConfig badGrid;
      badGrid.grid.centralWidth = 0;
      EncoderSession bad(tree, kEot, badGrid);
      CHECK(bad.encodeStep(logits.data(), kVocab, 1) == Status::kBadArgument);
      CHECK(DecoderSession(tree, kVocab, nullptr, 0).status() == Status::kBadArgument);
      const TokenTree unbuilt;  // never built: sessions over it fail cleanly
      EncoderSession overNothing(unbuilt, 0);
      CHECK(overNothing.status() == Status::kBadArgument);
      CHECK(overNothing.encodeStep(logits.data(), kVocab, 0) == Status::kBadArgument);
      DecoderSession fromNothing(unbuilt, 0, nullptr, 0);
      uint32_t t;
      CHECK(fromNothing.decodeStep(logits.data(), kVocab, &t) == Status::kBadArgument);
      CHECK(DecoderSession(tree, kEot, nullptr, 5).status() == Status::kBadArgument);
    }
    SUBCASE("encoder steps") {
      EncoderSession encoder(tree, kEot);
      CHECK(encoder.encodeStep(logits.data(), kVocab, kVocab) == Status::kBadArgument);
      CHECK(encoder.encodeStep(logits.data(), kVocab - 1, 5) == Status::kBadArgument);
      CHECK(encoder.encodeStep(nullptr, kVocab, 5) == Status::kBadArgument);
      std::vector<uint8_t> payload;
      CHECK(encoder.finish(&payload) == Status::kBadArgument);  // no EOT yet
      CHECK(encoder.encodeStep(logits.data(), kVocab, kEot) == Status::kOk);
      CHECK(encoder.encodeStep(logits.data(), kVocab, 5) == Status::kBadArgument);  // after EOT
      CHECK(encoder.finish(nullptr) == Status::kBadArgument);
      CHECK(encoder.finish(&payload) == Status::kOk);
      CHECK(encoder.finish(&payload) == Status::kBadArgument);
    }
    SUBCASE("decoder steps") {
      const Encoded enc = encodeText(tree, {}, syntheticModel);
      DecoderSession decoder(tree, kEot, enc.payload.data(), enc.payload.size());
      uint32_t t;
      CHECK(decoder.decodeStep(logits.data(), kVocab - 1, &t) == Status::kBadArgument);
      CHECK(decoder.decodeStep(logits.data(), kVocab, nullptr) == Status::kBadArgument);
      CHECK(decoder.decodeStep(logits.data(), kVocab, &t) == Status::kOk);
      CHECK(decoder.done());
      CHECK(decoder.decodeStep(logits.data(), kVocab, &t) == Status::kBadArgument);
    }
  }

  TEST_CASE("token limit") {
    std::mt19937_64 rng(9);
    const std::vector<uint32_t> text = randomText(30, rng);
    const Encoded enc = encodeText(syntheticTree(), text, syntheticModel);
    DecodeLimits limits;
    limits.maxTokens = text.size() + 1;  // text + EOT: fits exactly
    CHECK(decodeText(syntheticTree(), enc.payload, syntheticModel, limits).text == text);
    limits.maxTokens = text.size();
    const Decoded cut = decodeText(syntheticTree(), enc.payload, syntheticModel, limits);
    CHECK(cut.status == Status::kLengthOverLimit);
    CHECK(cut.stats.steps == text.size());
  }

  TEST_CASE("truncated, altered and random payloads never crash") {
    std::mt19937_64 rng(10);
    const std::vector<uint32_t> text = kolmo_test::sampleSequence(kVocab, kEot, 40, rng);
    const Encoded enc = encodeText(syntheticTree(), text, syntheticModel);
    REQUIRE(enc.payload.size() > 20);
    DecodeLimits limits;
    limits.maxTokens = 200;
    size_t counts[4] = {0, 0, 0, 0};  // exact, different text, stream error, other
    auto run = [&](const std::vector<uint8_t>& bytes) {
      const Decoded dec = decodeText(syntheticTree(), bytes, syntheticModel, limits);
      if (dec.status == Status::kOk) {
        CHECK(dec.done);
        ++counts[dec.text == text ? 0 : 1];
      } else {
        const bool streamError = dec.status == Status::kTruncated || dec.status == Status::kCorrupt ||
                                 dec.status == Status::kLengthOverLimit;
        CHECK(streamError);
        ++counts[streamError ? 2 : 3];
      }
      return dec;
    };
    for (size_t cut = 0; cut < enc.payload.size(); ++cut) {
      const Decoded dec = run(std::vector<uint8_t>(enc.payload.begin(), enc.payload.begin() + static_cast<long>(cut)));
      CHECK_FALSE((dec.status == Status::kOk && dec.text == text));  // the minimal flush needs every byte
    }
    for (int trial = 0; trial < 60; ++trial) {
      std::vector<uint8_t> bytes = enc.payload;
      bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      run(bytes);
    }
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<uint8_t> bytes(rng() % 80);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
      run(bytes);
    }
    run(std::vector<uint8_t>(40, 0xFF));
    run(std::vector<uint8_t>(40, 0x00));
    // 20 bytes appended after a valid payload: never accepted as the original text.
    std::vector<uint8_t> extended = enc.payload;
    for (int i = 0; i < 20; ++i) extended.push_back(static_cast<uint8_t>(rng() | 1));
    const Decoded dec = run(extended);
    CHECK_FALSE((dec.status == Status::kOk && dec.text == text));
    MESSAGE("damaged payloads: exact " << counts[0] << ", different text " << counts[1] << ", stream errors "
                                       << counts[2] << ", other " << counts[3]);
    CHECK(counts[3] == 0);
  }
}
