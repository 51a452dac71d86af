// The longest text the model path codes (just under kMaxLmTokens tokens: 150 KiB here) round-trips
// through the whole native chain: shipped tokenizer -> encoder session with the context-window
// rule -> container -> URL text -> and back. (Up to 2026-12 it was 1 MiB, ~400,000 tokens, far
// past what the pipeline gives the model and 2 minutes of npm test; the cm codec's suite keeps a
// 1 MiB round trip.) The model is synthetic
// (tests/synthetic_model.h) but sees its window: its logits depend on the previous token and on
// the token at contextStart(), so encoder and decoder must apply the window rule identically.
#include <doctest/doctest.h>

#include "test_util.h"

#include <string>
#include <vector>

#include "kolmo/kolmo.h"
#include "session.h"
#include "synthetic_model.h"

using kolmo::Status;

namespace {

using kolmo_test::shippedTokenizer;

// Deterministic mixed text: English words, Chinese, digits, punctuation and newlines.
std::string longText(size_t size) {
  static const char* kPieces[] = {"the ", "river ", "ran ", "past ", "old ", "mill", ", ", ". ",
                                  "and ", "counted ", "1984 ", "grain ", "\n", "我们", "今天",
                                  "的", "。", "emoji 😀 ", "\t", "(x + y) * 2 "};
  std::string s;
  uint32_t state = 12345;
  while (s.size() < size) {
    state = kolmo_test::mix32(state + 0x9E3779B9u);
    s += kPieces[state % (sizeof(kPieces) / sizeof(kPieces[0]))];
  }
  s.resize(size);  // may cut a UTF-8 sequence: invalid bytes must round-trip too
  return s;
}

constexpr size_t kContext = 256;
// Bytes of longText() that tokenize to just under kMaxLmTokens with the shipped tokenizer (the
// test checks the bound, so a tokenizer change that moves it shows).
constexpr size_t kTextBytes = 150 * 1024;

// The synthetic model with a window: predicts seq[pos] from seq[contextStart(pos)..pos).
void windowLogits(const std::vector<uint32_t>& seq, size_t pos, size_t vocab, float* out) {
  const size_t start = kolmo::contextStart(pos, kContext);
  kolmo_test::syntheticLogits(seq[pos - 1] ^ (seq[start] * 31u), vocab, out);
}

}  // namespace

TEST_SUITE("long_text") {
  TEST_CASE("the longest model text round-trips through tokenizer, windowed sessions, container and URL") {
    const kolmo::Tokenizer tok = shippedTokenizer();
    const size_t vocab = tok.vocabSize();
    kolmo::TokenTree tree;
    REQUIRE(kolmo::TokenTree::build(tok.tokenCounts(), vocab, &tree) == Status::kOk);
    const std::string text = longText(kTextBytes);
    const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());

    std::vector<uint32_t> seq{tok.eotId()};
    REQUIRE(tok.encode(bytes, text.size(), &seq) == Status::kOk);
    seq.push_back(tok.eotId());
    REQUIRE(seq.size() > 100 * kContext);
    REQUIRE(seq.size() <= kolmo::kMaxLmTokens);  // what the pipeline would still give the model

    kolmo::EncoderSession encoder(tree, tok.eotId(), kolmo::RoundingConfig{});
    REQUIRE(encoder.status() == Status::kOk);
    std::vector<float> logits(vocab);
    Status status = Status::kOk;  // one assertion per phase: doctest's per-check cost is not free
    for (size_t pos = 1; pos < seq.size() && status == Status::kOk; ++pos) {
      windowLogits(seq, pos, vocab, logits.data());
      status = encoder.encodeStep(logits.data(), vocab, seq[pos]);
    }
    REQUIRE(status == Status::kOk);
    std::vector<uint8_t> payload, container;
    REQUIRE(encoder.finish(&payload) == Status::kOk);
    const uint64_t idHash = kolmo::modelIdHash("long-text-test-model");
    REQUIRE(kolmo::pack(kolmo::ContainerMode::kLm, 0, idHash, bytes, text.size(), payload.data(),
                        payload.size(), kolmo::ContainerLimits{}, &container) == Status::kOk);
    std::string url;
    kolmo::urlEncode(container.data(), container.size(), &url);

    std::vector<uint8_t> received;
    REQUIRE(kolmo::urlDecode(url, &received) == Status::kOk);
    kolmo::ContainerView view;
    REQUIRE(kolmo::parse(received.data(), received.size(), kolmo::ContainerLimits{}, &view) == Status::kOk);
    REQUIRE(view.mode == kolmo::ContainerMode::kLm);
    kolmo::DecoderSession decoder(tree, tok.eotId(), view.body, view.bodySize, kolmo::DecodeLimits{});
    REQUIRE(decoder.status() == Status::kOk);
    std::vector<uint32_t> decoded{tok.eotId()};
    while (!decoder.done() && status == Status::kOk) {
      windowLogits(decoded, decoded.size(), vocab, logits.data());
      uint32_t token = 0;
      status = decoder.decodeStep(logits.data(), vocab, &token);
      decoded.push_back(token);
    }
    REQUIRE(status == Status::kOk);
    REQUIRE(decoded == seq);
    std::vector<uint8_t> back;
    REQUIRE(tok.decode(decoded.data() + 1, decoded.size() - 2, &back) == Status::kOk);
    CHECK(kolmo::verify(view, idHash, back.data(), back.size()) == Status::kOk);
    CHECK(std::string(back.begin(), back.end()) == text);
  }
}
