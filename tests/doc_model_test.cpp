// LM payload version 2 (the in-document model, src/doc_model.h): round trips on the synthetic
// model, repeats cost less than in version 1, and truncated or over-limit streams are refused.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "session.h"
#include "synthetic_model.h"
#include "tree_probe.h"

using namespace kolmo;

namespace {

constexpr size_t kV = 8192;
constexpr uint32_t kEotId = kV - 1;

const TokenTree& docTree() { return kolmo_test::syntheticTree(kV); }

// Encodes seq (ending with EOT) with logits that depend on the previous token.
std::vector<uint8_t> encode(const std::vector<uint32_t>& seq, int version) {
  RoundingConfig config;
  config.payloadVersion = version;
  config.tokenCount = seq.size();
  EncoderSession enc(docTree(), kEotId, config);
  REQUIRE(enc.status() == Status::kOk);
  uint32_t prev = kEotId;
  for (uint32_t t : seq) {
    REQUIRE(enc.encodeStep(kolmo_test::syntheticLogits(prev, kV).data(), kV, t) == Status::kOk);
    prev = t;
  }
  std::vector<uint8_t> out;
  REQUIRE(enc.finish(&out) == Status::kOk);
  return out;
}

// Decodes; returns the final status (kOk only if every token matched and EOT ended it).
Status decode(const std::vector<uint8_t>& payload, const std::vector<uint32_t>& seq, DecodeLimits limits = DecodeLimits()) {
  DecoderSession dec(docTree(), kEotId, payload.data(), payload.size(), limits, GridSpec(), kLmPayloadV2);
  if (dec.status() != Status::kOk) return dec.status();
  uint32_t prev = kEotId;
  for (size_t i = 0; i < seq.size() + 8 && !dec.done(); ++i) {
    uint32_t t = 0;
    const Status s = dec.decodeStep(kolmo_test::syntheticLogits(prev, kV).data(), kV, &t);
    if (s != Status::kOk) return s;
    if (i >= seq.size() || t != seq[i]) return Status::kChecksumMismatch;  // a wrong token
    prev = t;
  }
  return dec.done() ? Status::kOk : Status::kCorrupt;
}

// Decodes whatever the payload holds (logits follow the decoded tokens) until it ends or fails.
Status decodeAny(const std::vector<uint8_t>& payload) {
  DecoderSession dec(docTree(), kEotId, payload.data(), payload.size(), DecodeLimits(), GridSpec(), kLmPayloadV2);
  uint32_t prev = kEotId;
  while (dec.status() == Status::kOk && !dec.done()) {
    uint32_t t = 0;
    if (dec.decodeStep(kolmo_test::syntheticLogits(prev, kV).data(), kV, &t) != Status::kOk) break;
    prev = t;
  }
  return dec.status();
}

std::vector<uint32_t> repeatedText(size_t length, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> phrase(40);
  for (auto& t : phrase) t = static_cast<uint32_t>(rng() % (kV - 1));
  std::vector<uint32_t> seq;
  while (seq.size() + 1 < length) seq.push_back(phrase[seq.size() % phrase.size()]);
  seq.push_back(kEotId);
  return seq;
}

}  // namespace

TEST_SUITE("doc_model") {
  TEST_CASE("version 2 round trips; repeats cost far less than in version 1") {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      const std::vector<uint32_t> seq = repeatedText(300, seed);
      const std::vector<uint8_t> v1 = encode(seq, kLmPayloadV1);
      const std::vector<uint8_t> v2 = encode(seq, kLmPayloadV2);
      CHECK(decode(v2, seq) == Status::kOk);
      CHECK(v2.size() * 3 < v1.size());
    }
    const std::vector<uint32_t> justEot{kEotId};
    CHECK(decode(encode(justEot, kLmPayloadV2), justEot) == Status::kOk);
  }

  TEST_CASE("deterministic: the same input gives the same bytes") {
    const std::vector<uint32_t> seq = repeatedText(120, 9);
    CHECK(encode(seq, kLmPayloadV2) == encode(seq, kLmPayloadV2));
  }

  TEST_CASE("bad input: every truncation, the size class bound") {
    const std::vector<uint32_t> seq = repeatedText(200, 5);
    const std::vector<uint8_t> full = encode(seq, kLmPayloadV2);
    for (size_t cut = 0; cut < full.size(); ++cut) {
      const std::vector<uint8_t> part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
      CHECK(decode(part, seq) != Status::kOk);
    }
    DecodeLimits small;
    small.maxTokens = 100;  // the stream's class (200 tokens: 2^7..2^8-1) needs at least 128
    CHECK(decode(full, seq, small) == Status::kLengthOverLimit);
    // A damaged stream that runs past its own size class is corrupt, not "too long": the
    // caller's limit (65,536 tokens) was never reached. Flip each byte's top bit.
    size_t pastClass = 0;
    for (size_t at = 0; at < full.size(); ++at) {
      std::vector<uint8_t> damaged = full;
      damaged[at] ^= 0x80;
      const Status s = decodeAny(damaged);
      CHECK(s != Status::kLengthOverLimit);
      if (s == Status::kCorrupt) ++pastClass;
    }
    CHECK(pastClass > 0);
    // The encoder refuses more tokens than its declared count's class holds.
    RoundingConfig config;
    config.payloadVersion = kLmPayloadV2;
    config.tokenCount = 1;
    EncoderSession enc(docTree(), kEotId, config);
    CHECK(enc.encodeStep(kolmo_test::syntheticLogits(kEotId, kV).data(), kV, 5) == Status::kOk);
    CHECK(enc.encodeStep(kolmo_test::syntheticLogits(5, kV).data(), kV, kEotId) == Status::kBadArgument);
    RoundingConfig noCount;
    noCount.payloadVersion = kLmPayloadV2;
    CHECK(EncoderSession(docTree(), kEotId, noCount).status() == Status::kBadArgument);
  }
}
