// LM payload version 3 (span headers over the grid family, src/session.h): round trips across
// block boundaries, with and without the in-document model; every header path (grids past the
// first, splits, escapes) under logits that drift by up to 0.99 epsilon; per-step bits; the
// pinned stream; and bad input (truncation, damage, the size class bound).
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <vector>

#include "session.h"
#include "synthetic_model.h"
#include "tree_probe.h"

using namespace kolmo;

namespace {

constexpr size_t kV = 8192;
constexpr uint32_t kEotId = kV - 1;
// The pinned stream of the "pinned payload" case: its size and FNV-1a hash.
constexpr size_t kPinnedSize = 599;
constexpr uint64_t kPinnedHash = 13506056574898165555ull;

const TokenTree& tree() { return kolmo_test::syntheticTree(kV); }

// The logits of a step: the synthetic model given the previous token, optionally with one token
// pushed 800 below the max, so that its path is near the logit floor and must escape.
std::vector<float> stepLogits(uint32_t prev, uint32_t floorToken) {
  std::vector<float> logits = kolmo_test::syntheticLogits(prev, kV);
  if (floorToken < kV) {
    float max = logits[0];
    for (float l : logits) max = l > max ? l : max;
    logits[floorToken] = max - 800.0f;
  }
  return logits;
}

struct Options {
  double epsilon = 1e-4;
  bool mix = true;
  uint32_t floorToken = ~0u;  // a token coded from the logit floor (escape), if < kV
};

struct Encoded {
  std::vector<uint8_t> payload;
  SessionStats stats;
  std::vector<float> stepBits;
};

Encoded encode(const std::vector<uint32_t>& seq, const Options& options) {
  RoundingConfig config;
  config.epsilon = options.epsilon;
  config.payloadVersion = kLmPayloadV3;
  config.tokenCount = seq.size();
  config.docModel.enabled = options.mix;
  EncoderSession enc(tree(), kEotId, config);
  REQUIRE(enc.status() == Status::kOk);
  uint32_t prev = kEotId;
  for (uint32_t t : seq) {
    REQUIRE(enc.encodeStep(stepLogits(prev, options.floorToken).data(), kV, t) == Status::kOk);
    prev = t;
  }
  Encoded out;
  REQUIRE(enc.finish(&out.payload) == Status::kOk);
  out.stats = enc.stats();
  out.stepBits = enc.stepBits();
  return out;
}

// Decodes with logits moved by up to `noise` per entry (a seeded uniform draw); kOk only if every
// token matched and EOT ended the stream.
Status decode(const std::vector<uint8_t>& payload, const std::vector<uint32_t>& seq, const Options& options,
              double noise = 0.0, DecodeLimits limits = DecodeLimits()) {
  DocModelParams docModel;
  docModel.enabled = options.mix;
  DecoderSession dec(tree(), kEotId, payload.data(), payload.size(), limits, GridSpec(), kLmPayloadV3, docModel);
  if (dec.status() != Status::kOk) return dec.status();
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  uint32_t prev = kEotId;
  for (size_t i = 0; i < seq.size() + 8 && !dec.done(); ++i) {
    std::vector<float> logits = stepLogits(prev, options.floorToken);
    for (float& l : logits) l = static_cast<float>(l + unit(rng) * noise);
    uint32_t t = 0;
    const Status s = dec.decodeStep(logits.data(), kV, &t);
    if (s != Status::kOk) return s;
    if (i >= seq.size() || t != seq[i]) return Status::kChecksumMismatch;  // a wrong token
    prev = t;
  }
  return dec.done() ? Status::kOk : Status::kCorrupt;
}

std::vector<uint32_t> randomText(size_t length, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> seq;
  while (seq.size() + 1 < length) seq.push_back(static_cast<uint32_t>(rng() % (kV - 1)));
  seq.push_back(kEotId);
  return seq;
}

}  // namespace

TEST_SUITE("payload_v3") {
  TEST_CASE("round trips across block boundaries, with and without the in-document model") {
    for (size_t length : {1, 2, 255, 256, 257, 513, 1100}) {
      for (bool mix : {true, false}) {
        Options options;
        options.mix = mix;
        const std::vector<uint32_t> seq = randomText(length, length * 7 + (mix ? 1 : 0));
        const Encoded e = encode(seq, options);
        CHECK(e.stats.steps == seq.size());
        CHECK(decode(e.payload, seq, options) == Status::kOk);
      }
    }
  }

  TEST_CASE("logits that drift by up to 0.99 epsilon decode exactly, through every header path") {
    // A large epsilon makes many decisions fragile: spans then use grids past the first, split,
    // and (with a token at the logit floor) escape.
    for (double epsilon : {1e-4, 3e-3, 2e-2}) {
      Options options;
      options.epsilon = epsilon;
      std::vector<uint32_t> seq = randomText(700, 11);
      options.floorToken = seq[300];
      const Encoded e = encode(seq, options);
      CHECK(e.stats.escapes >= 1);  // the floor token, at least
      if (epsilon >= 3e-3) CHECK(e.stats.fragileSteps > 0);
      CHECK(decode(e.payload, seq, options, 0.99 * epsilon) == Status::kOk);
    }
  }

  TEST_CASE("payload 3 costs less than payload 2 on the same steps") {
    Options options;
    const std::vector<uint32_t> seq = randomText(2000, 5);
    const Encoded v3 = encode(seq, options);
    RoundingConfig config;
    config.payloadVersion = kLmPayloadV2;
    config.tokenCount = seq.size();
    EncoderSession v2(tree(), kEotId, config);
    uint32_t prev = kEotId;
    for (uint32_t t : seq) {
      REQUIRE(v2.encodeStep(stepLogits(prev, ~0u).data(), kV, t) == Status::kOk);
      prev = t;
    }
    std::vector<uint8_t> v2Payload;
    REQUIRE(v2.finish(&v2Payload) == Status::kOk);
    CHECK(v3.payload.size() < v2Payload.size());
    CHECK(v3.stats.flagBits < v2.stats().flagBits);
  }

  TEST_CASE("per-step bits: one per step, headers on their span's first token, summing to the total") {
    Options options;
    options.epsilon = 3e-3;
    const std::vector<uint32_t> seq = randomText(600, 3);
    const Encoded e = encode(seq, options);
    REQUIRE(e.stepBits.size() == seq.size());
    double sum = 0;
    for (float bits : e.stepBits) {
      CHECK(bits > 0.0f);
      sum += bits;
    }
    CHECK(sum == doctest::Approx(e.stats.codedBits).epsilon(1e-5));
  }

  TEST_CASE("pinned payload: the stream format of a fixed text") {
    // Text and logits from mix32 only, so every build must produce these exact bytes. A change
    // here is a format change: links of container versions 4 and 5 would stop opening.
    std::vector<uint32_t> seq;
    for (uint32_t i = 0; i < 300; ++i) seq.push_back(kolmo_test::mix32(i) % (kV - 1));
    seq.push_back(kEotId);
    Options options;
    options.epsilon = 3e-3;  // some spans off grid 0 and split
    const Encoded e = encode(seq, options);
    uint64_t hash = 1469598103934665603ull;
    for (uint8_t b : e.payload) hash = (hash ^ b) * 1099511628211ull;
    CHECK(e.payload.size() == kPinnedSize);
    CHECK(hash == kPinnedHash);
  }

  TEST_CASE("bad input: every truncation, damage, the size class bound") {
    Options options;
    // A short text for truncation and damage (each try decodes up to its length), a longer one
    // for the size class, which is refused before any work.
    const std::vector<uint32_t> seq = randomText(150, 8);
    const Encoded e = encode(seq, options);
    for (size_t cut = 0; cut < e.payload.size(); ++cut) {
      const std::vector<uint8_t> part(e.payload.begin(), e.payload.begin() + static_cast<std::ptrdiff_t>(cut));
      CHECK(decode(part, seq, options) != Status::kOk);
    }
    // A damaged byte ends the decode with a status or a different token sequence (which the
    // container's check refuses): only the last bytes, whose low bits the flush leaves free,
    // may still give the original tokens.
    for (size_t at = 0; at + 2 < e.payload.size(); at += 3) {
      std::vector<uint8_t> damaged = e.payload;
      damaged[at] ^= 0x24;
      CHECK(decode(damaged, seq, options) != Status::kOk);
    }
    const std::vector<uint32_t> longer = randomText(400, 8);
    DecodeLimits small;
    small.maxTokens = 200;  // the stream's class (400 tokens: 2^8..2^9-1) needs at least 256
    CHECK(decode(encode(longer, options).payload, longer, options, 0.0, small) == Status::kLengthOverLimit);
    RoundingConfig noCount;
    noCount.payloadVersion = kLmPayloadV3;
    CHECK(EncoderSession(tree(), kEotId, noCount).status() == Status::kBadArgument);
  }
}
