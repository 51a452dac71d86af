// The link jobs (link_jobs.h) on the shipped default model: a whole link coded and opened inside
// the core — the smallest container, CRLF texts, modes, damaged containers, a model that is not
// the link's, and tokens decoded outside the core (finishWithTokens).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "kolmo/checksum.h"
#include "link_jobs.h"
#include "test_util.h"

namespace {

using namespace kolmo;

struct Shipped {
  Tokenizer tokenizer = kolmo_test::shippedTokenizer();
  TokenTree tree;
  std::unique_ptr<Transformer> engine;
  LinkModel model;

  Shipped() {
    REQUIRE(TokenTree::build(tokenizer.tokenCounts(), tokenizer.vocabSize(), &tree) == Status::kOk);
    const std::string bytes = kolmo_test::readFile(kolmo_test::shippedModelDir() + "/model.onnx");
    REQUIRE(Transformer::load(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 4, 256, &engine) ==
            Status::kOk);
    model = LinkModel{engine.get(), &tokenizer, &tree, 1, modelIdHash("km2-test")};
  }
};

Shipped& shipped() {
  static Shipped s;
  return s;
}

std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> encode(const std::vector<uint8_t>& text, unsigned modes, ContainerMode* mode, size_t budget = 16) {
  LinkEncodeJob job(text.data(), text.size(), modes, &shipped().model, 1e-4, ContainerLimits());
  bool done = false;
  while (!done) REQUIRE(job.run(budget, &done) == Status::kOk);
  *mode = job.mode();
  return job.container();
}

Status decode(const std::vector<uint8_t>& container, std::vector<uint8_t>* text, const LinkModel* model = nullptr) {
  LinkDecodeJob job(container.data(), container.size(), ContainerLimits());
  if (!isOk(job.status())) return job.status();
  if (job.view().mode == ContainerMode::kLm) {
    const Status started = job.start(model ? *model : shipped().model, kMaxLmTokens);
    if (!isOk(started)) return started;
  }
  bool done = false;
  Status status = Status::kOk;
  while (!done && isOk(status)) status = job.run(16, &done);
  *text = job.text();
  return status;
}

}  // namespace

TEST_SUITE("link_jobs") {

TEST_CASE("texts round-trip through the link jobs, in the smallest container") {
  const std::string crlf = "Line one\r\nLine two\r\nand the last line of a Windows text\r\n";
  for (const std::string& s : {std::string(""), std::string("a"), std::string("The quick brown fox jumps over the lazy dog."),
                               crlf, std::string(300, 'x'), std::string("{\"id\": 7, \"tags\": [\"a\", \"b\"]}\n")}) {
    CAPTURE(s);
    const std::vector<uint8_t> text = bytesOf(s);
    ContainerMode mode;
    const std::vector<uint8_t> container = encode(text, kAllModes, &mode);
    std::vector<uint8_t> back;
    REQUIRE(decode(container, &back) == Status::kOk);
    CHECK(back == text);
    if (s == crlf) {
      ContainerView view;
      REQUIRE(parse(container.data(), container.size(), ContainerLimits(), &view) == Status::kOk);
      CHECK(view.mode == ContainerMode::kLm);
      CHECK(view.crlfLineBreaks());
    }
  }
}

TEST_CASE("what a link declares before decoding: its text's bytes (stored, cm) or its tokens' bound (lm)") {
  const std::vector<uint8_t> text = bytesOf("Meet me at 8 by the old mill, and bring the map. Meet me at 8, at the mill.");
  for (const ContainerMode m : {ContainerMode::kStored, ContainerMode::kCm, ContainerMode::kLm}) {
    ContainerMode mode;
    const std::vector<uint8_t> container = encode(text, modeBit(m), &mode);
    REQUIRE(mode == m);
    LinkDecodeJob job(container.data(), container.size(), ContainerLimits());
    REQUIRE(job.status() == Status::kOk);
    if (m == ContainerMode::kLm) {
      CHECK(job.declaredTextBytes() == -1);
      std::vector<uint32_t> ids;
      REQUIRE(shipped().tokenizer.encode(text.data(), text.size(), &ids) == Status::kOk);
      const uint64_t coded = ids.size() + 1;  // + EOT
      if (job.view().lmPayloadVersion() == 1) {
        CHECK(job.declaredMaxTokens() == 0);
      } else {  // the size class: 2^(k-1) <= coded < 2^k
        CHECK(job.declaredMaxTokens() >= coded);
        CHECK(job.declaredMaxTokens() < 2 * coded);
      }
    } else {
      CHECK(job.declaredTextBytes() == static_cast<int64_t>(text.size()));
      CHECK(job.declaredMaxTokens() == 0);
    }
  }
}

TEST_CASE("modes restrict the choice, and only-lm over a text the model cannot code is refused") {
  const std::vector<uint8_t> text = bytesOf("Meet me at 8 by the old mill, and bring the map.");
  ContainerMode mode;
  encode(text, modeBit(ContainerMode::kLm), &mode);
  CHECK(mode == ContainerMode::kLm);
  encode(text, modeBit(ContainerMode::kCm) | modeBit(ContainerMode::kStored), &mode);
  CHECK(mode != ContainerMode::kLm);
  LinkEncodeJob none(text.data(), text.size(), modeBit(ContainerMode::kLm), nullptr, 1e-4, ContainerLimits());
  bool done = false;
  CHECK(none.run(16, &done) == Status::kBadArgument);
  ContainerLimits small;
  small.maxTextBytes = 8;
  LinkEncodeJob over(text.data(), text.size(), kAllModes, &shipped().model, 1e-4, small);
  CHECK(over.run(16, &done) == Status::kLengthOverLimit);
}

TEST_CASE("a damaged container or another model ends in an error, never in a text") {
  const std::vector<uint8_t> text = bytesOf("The river ran past the old mill, where the miller kept his accounts.");
  ContainerMode mode;
  const std::vector<uint8_t> container = encode(text, kAllModes, &mode);
  REQUIRE(mode == ContainerMode::kLm);
  std::vector<uint8_t> back;
  for (size_t i = 1; i < container.size(); ++i) {
    std::vector<uint8_t> damaged = container;
    damaged[i] ^= 0x04;
    const Status status = decode(damaged, &back);
    CHECK((status != Status::kOk || back == text));
    if (status != Status::kOk) CHECK(back.empty());
  }
  CHECK(decode(std::vector<uint8_t>(container.begin(), container.begin() + 2), &back) == Status::kTruncated);
  LinkModel other = shipped().model;
  other.modelIndex = 0;
  CHECK(decode(container, &back, &other) == Status::kUnknownModel);
  other = shipped().model;
  other.idHash ^= 1;  // same index, another model's identity: the check fails
  CHECK(decode(container, &back, &other) == Status::kChecksumMismatch);
  CHECK(back.empty());
}

TEST_CASE("tokens decoded outside the core finish the same link") {
  const std::vector<uint8_t> text = bytesOf("Tokens decoded by another runtime are checked here.\r\nTwice.\r\n");
  ContainerMode mode;
  const std::vector<uint8_t> container = encode(text, modeBit(ContainerMode::kLm), &mode);
  ModelInput input;
  REQUIRE(modelInput(shipped().tokenizer, text.data(), text.size(), &input) == Status::kOk);
  CHECK(input.crlfLineBreaks);
  LinkDecodeJob job(container.data(), container.size(), ContainerLimits());
  REQUIRE(job.finishWithTokens(shipped().tokenizer, shipped().model.idHash, input.ids.data(), input.ids.size()) ==
          Status::kOk);
  CHECK(job.text() == text);
  LinkDecodeJob wrong(container.data(), container.size(), ContainerLimits());
  input.ids.pop_back();
  CHECK(wrong.finishWithTokens(shipped().tokenizer, shipped().model.idHash, input.ids.data(), input.ids.size()) ==
        Status::kChecksumMismatch);
  CHECK(wrong.text().empty());
}

TEST_CASE("the payload-version policy") {
  CHECK(lmPayloadVersionsFor(10, false) == std::vector<int>{3, 1});
  CHECK(lmPayloadVersionsFor(10, true) == std::vector<int>{3});
  CHECK(lmPayloadVersionsFor(kAlsoPayloadV1MaxTokens + 1, false) == std::vector<int>{3});
  CHECK(lmPayloadVersionsFor(kMaxLmTokens + 1, false).empty());
}

}  // TEST_SUITE
