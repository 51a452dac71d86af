// An encoder's windows computed elsewhere (lm_jobs.h EncoderWindow, windowLogits,
// LmEncodeJob::provideWindowLogits / prepareWindow), on the shipped default model: the window
// plan covers every position once within the rule's windows, a window's logits computed on
// another engine are bit for bit the job's own, and a link coded from them — all windows, some,
// prepared ahead, in any slicing — is byte for byte the link coded on one engine. Logits of
// another text or window are refused, never coded.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kolmo/checksum.h"
#include "link_jobs.h"
#include "session.h"
#include "test_util.h"

namespace {

using namespace kolmo;

struct Model {
  Tokenizer tokenizer = kolmo_test::shippedTokenizer();
  TokenTree tree;
  std::unique_ptr<Transformer> engine;  // the job's
  std::unique_ptr<Transformer> helper;  // another instance: a helper worker's
  LinkModel link;

  Model() {
    REQUIRE(TokenTree::build(tokenizer.tokenCounts(), tokenizer.vocabSize(), &tree) == Status::kOk);
    const std::string bytes = kolmo_test::readFile(kolmo_test::shippedModelDir() + "/model.onnx");
    for (std::unique_ptr<Transformer>* out : {&engine, &helper}) {
      REQUIRE(Transformer::load(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 4, 256, out) ==
              Status::kOk);
    }
    link = LinkModel{engine.get(), &tokenizer, &tree, 1, modelIdHash("windows-test")};
  }
};

Model& model() {
  static Model m;
  return m;
}

// A text of about `tokens` tokens (prose, code and JSON, so that the coder sees some variety);
// another variant is another text from its first token on.
std::vector<uint8_t> textOf(size_t tokens, size_t variant = 0) {
  static const std::string kParts[] = {
      "The windows of one text are independent computations of the model. ",
      "for (size_t i = 0; i < n; ++i) total += weights[i] * x[i];\n",
      "{\"id\": 17, \"name\": \"kolmo\", \"tags\": [\"short\", \"links\"]}\n",
      "Only the coder must run in order, one position after another. ",
  };
  std::string text;
  std::vector<uint32_t> ids;
  for (size_t i = 0; ids.size() < tokens; ++i) {
    text += kParts[(i + variant) % 4] + std::to_string((i + variant) * 7919 % 1000) + " ";
    ids.clear();
    REQUIRE(model().tokenizer.encode(reinterpret_cast<const uint8_t*>(text.data()), text.size(), &ids) == Status::kOk);
  }
  return std::vector<uint8_t>(text.begin(), text.end());
}

// What a link job does with its windows while it codes (a helper's share, in the words of
// web/lib/worker/windows.js).
// kPreparedAhead: the job's own engine computes the window after the current one between run()
// slices, as a coordinating worker does while it waits for a helper: whole, or 16 tokens per
// slice (then run() often reaches that window first and drops the preparation).
enum class Helping { kNone, kEveryWindow, kEveryOtherWindow, kPreparedAhead, kPreparedInSlices };

std::vector<uint8_t> encodeLink(const std::vector<uint8_t>& text, Helping helping, size_t budget) {
  LinkEncodeJob job(text.data(), text.size(), kAllModes, &model().link, 1e-4, ContainerLimits());
  LmEncodeJob* stream = job.stream();
  REQUIRE(stream != nullptr);
  const std::vector<EncoderWindow>& windows = stream->windows();
  const size_t vocab = model().engine->shape().vocab;
  for (size_t k = 0; k < windows.size() && helping != Helping::kNone; ++k) {
    if (helping == Helping::kEveryOtherWindow && k % 2 == 0) continue;
    if (helping == Helping::kPreparedAhead || helping == Helping::kPreparedInSlices) continue;
    std::vector<float> logits(windows[k].count * vocab);
    REQUIRE(windowLogits(model().helper.get(), stream->windowTokens(k), windows[k].passTokens(),
                         windows[k].contextTokens(), logits.data()) == Status::kOk);
    REQUIRE(stream->provideWindowLogits(k, stream->windowTokens(k), windows[k].passTokens(), logits.data(),
                                        logits.size()) == Status::kOk);
  }
  bool done = false;
  while (!done) {
    const size_t next = stream->currentWindow() + 1;
    const bool prepares = helping == Helping::kPreparedAhead || helping == Helping::kPreparedInSlices;
    if (prepares && next < windows.size() && !stream->windowHasLogits(next)) {
      bool prepared = false;
      REQUIRE(stream->prepareWindow(next, helping == Helping::kPreparedAhead ? 1000 : 16, &prepared) == Status::kOk);
      CHECK(prepared == stream->windowHasLogits(next));
    }
    REQUIRE(job.run(budget, &done) == Status::kOk);
  }
  CHECK(stream->currentWindow() == windows.size());
  return job.container();
}

}  // namespace

TEST_SUITE("encode_windows") {

TEST_CASE("the window plan covers every position once, within the rule's windows, at most context / 2 each") {
  for (size_t context : {size_t{256}, size_t{8}, size_t{3}, size_t{2}, size_t{1}}) {
    for (size_t length : {size_t{2}, size_t{3}, size_t{9}, size_t{129}, size_t{130}, size_t{256}, size_t{257},
                          size_t{258}, size_t{385}, size_t{1000}}) {
      CAPTURE(context);
      CAPTURE(length);
      const std::vector<EncoderWindow> plan = encoderWindowPlan(length, context);
      size_t next = 1;
      for (const EncoderWindow& w : plan) {
        CHECK(w.first == next);
        CHECK(w.count >= 1);
        CHECK(w.count <= std::max<size_t>(1, context / 2));
        for (size_t pos = w.first; pos < w.first + w.count; ++pos) CHECK(contextStart(pos, context) == w.start);
        next = w.first + w.count;
      }
      CHECK(next == length);
    }
  }
  // kolmo's models (context 256): the first window of the rule in two halves, then one per restart.
  const std::vector<EncoderWindow> plan = encoderWindowPlan(600, 256);
  REQUIRE(plan.size() == 5);
  CHECK((plan[0].start == 0 && plan[0].first == 1 && plan[0].count == 128 && plan[0].contextTokens() == 0));
  CHECK((plan[1].start == 0 && plan[1].first == 129 && plan[1].count == 128 && plan[1].contextTokens() == 128));
  CHECK((plan[2].start == 128 && plan[2].first == 257 && plan[2].count == 128 && plan[2].passTokens() == 256));
  CHECK((plan[4].first == 513 && plan[4].count == 87));
}

TEST_CASE("a window's logits on another engine are the job's own, bit for bit") {
  std::vector<uint32_t> ids;
  const std::vector<uint8_t> text = textOf(560);
  REQUIRE(model().tokenizer.encode(text.data(), text.size(), &ids) == Status::kOk);
  std::vector<uint32_t> seq{model().tokenizer.eotId()};
  seq.insert(seq.end(), ids.begin(), ids.end());
  seq.push_back(model().tokenizer.eotId());
  const size_t vocab = model().engine->shape().vocab;
  // The job's own way: the rule's positions in order, in slices of 16 (WindowFeeder).
  std::vector<float> own((seq.size() - 1) * vocab);
  WindowFeeder feeder(model().engine.get());
  for (size_t pos = 1; pos < seq.size();) {
    size_t rows = 1;
    while (rows < 16 && pos + rows < seq.size() &&
           contextStart(pos + rows, 256) == contextStart(pos, 256)) {
      ++rows;
    }
    REQUIRE(feeder.logitsRun(seq.data(), pos, rows, own.data() + (pos - 1) * vocab) == Status::kOk);
    pos += rows;
  }
  // Each window alone, in reverse order, on the other engine.
  const std::vector<EncoderWindow> plan = encoderWindowPlan(seq.size(), 256);
  REQUIRE(plan.size() >= 4);
  for (size_t k = plan.size(); k-- > 0;) {
    CAPTURE(k);
    const EncoderWindow& w = plan[k];
    std::vector<float> logits(w.count * vocab);
    REQUIRE(windowLogits(model().helper.get(), seq.data() + w.start, w.passTokens(), w.contextTokens(),
                         logits.data()) == Status::kOk);
    CHECK(std::memcmp(logits.data(), own.data() + (w.first - 1) * vocab, logits.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("a link coded from windows computed elsewhere is byte for byte the link coded on one engine") {
  // 2 windows (just over the first half-window), 3 (just over the rule's first window), 5.
  for (size_t tokens : {size_t{140}, size_t{258}, size_t{560}}) {
    CAPTURE(tokens);
    const std::vector<uint8_t> text = textOf(tokens);
    const std::vector<uint8_t> alone = encodeLink(text, Helping::kNone, 16);
    for (Helping helping : {Helping::kEveryWindow, Helping::kEveryOtherWindow, Helping::kPreparedAhead,
                            Helping::kPreparedInSlices}) {
      for (size_t budget : {size_t{16}, size_t{1000000}}) {
        CAPTURE(static_cast<int>(helping));
        CAPTURE(budget);
        CHECK(encodeLink(text, helping, budget) == alone);
      }
    }
  }
}

TEST_CASE("logits of another text, another window or a window already begun are refused") {
  const std::vector<uint8_t> text = textOf(300);
  const std::vector<uint8_t> other = textOf(300, 1);
  LinkEncodeJob job(text.data(), text.size(), kAllModes, &model().link, 1e-4, ContainerLimits());
  LinkEncodeJob otherJob(other.data(), other.size(), kAllModes, &model().link, 1e-4, ContainerLimits());
  LmEncodeJob* stream = job.stream();
  REQUIRE(stream != nullptr);
  REQUIRE(stream->windows().size() == 3);
  const size_t vocab = model().engine->shape().vocab;
  auto logitsOf = [&](LmEncodeJob* of, size_t k) {
    const EncoderWindow& w = of->windows()[k];
    std::vector<float> logits(w.count * vocab);
    REQUIRE(windowLogits(model().helper.get(), of->windowTokens(k), w.passTokens(), w.contextTokens(),
                         logits.data()) == Status::kOk);
    return logits;
  };
  auto provide = [&](size_t k, const uint32_t* tokens, size_t count, const std::vector<float>& logits) {
    return stream->provideWindowLogits(k, tokens, count, logits.data(), logits.size());
  };
  const std::vector<float> w1 = logitsOf(stream, 1);
  const EncoderWindow& one = stream->windows()[1];
  // Another text's window 1 (the same span of positions, other tokens).
  const std::vector<float> other1 = logitsOf(otherJob.stream(), 1);
  CHECK(provide(1, otherJob.stream()->windowTokens(1), one.passTokens(), other1) == Status::kBadArgument);
  // Window 2's tokens offered as window 1's, a count that is not the window's, out of range.
  CHECK(provide(1, stream->windowTokens(2), one.passTokens(), w1) == Status::kBadArgument);
  CHECK(provide(1, stream->windowTokens(1), one.passTokens() - 1, w1) == Status::kBadArgument);
  CHECK(stream->provideWindowLogits(1, stream->windowTokens(1), one.passTokens(), w1.data(), w1.size() - 1) ==
        Status::kBadArgument);
  CHECK(provide(3, stream->windowTokens(1), one.passTokens(), w1) == Status::kBadArgument);
  CHECK(!stream->windowHasLogits(1));
  // Accepted once; then neither again nor prepared.
  CHECK(provide(1, stream->windowTokens(1), one.passTokens(), w1) == Status::kOk);
  CHECK(stream->windowHasLogits(1));
  CHECK(provide(1, stream->windowTokens(1), one.passTokens(), w1) == Status::kBadArgument);
  bool done = false;
  CHECK(stream->prepareWindow(1, 16, &done) == Status::kBadArgument);
  // Window 0 begun: too late for it. Window 2 being prepared: not provided meanwhile.
  REQUIRE(job.run(1, &done) == Status::kOk);
  CHECK(stream->prepareWindow(0, 16, &done) == Status::kBadArgument);
  CHECK(stream->prepareWindow(2, 16, &done) == Status::kOk);
  CHECK(!done);
  CHECK(!stream->windowHasLogits(2));
  const std::vector<float> w2 = logitsOf(stream, 2);
  CHECK(provide(2, stream->windowTokens(2), stream->windows()[2].passTokens(), w2) == Status::kBadArgument);
  while (!done) REQUIRE(stream->prepareWindow(2, 16, &done) == Status::kOk);
  CHECK(stream->windowHasLogits(2));
  done = false;
  while (!done) REQUIRE(job.run(16, &done) == Status::kOk);
  CHECK(job.container() == encodeLink(text, Helping::kNone, 16));
}

}  // TEST_SUITE
