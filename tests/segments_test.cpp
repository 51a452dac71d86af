// Segmented LM bodies (segments.h; container version 6, kinds 3 and 4) on the shipped default
// model, with a small segment rule so that a few kilobytes make several segments: the index and
// its lies, links coded and opened in the core, segments coded and decoded by "other workers"
// (separate jobs, as web/lib/worker/segments.js runs them) giving the same link and text, damage
// that never yields a text, and the length a link declares before any model step.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "kolmo/checksum.h"
#include "link_jobs.h"
#include "segments.h"
#include "test_util.h"
#include "varint.h"

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

const SegmentRule kSmallRule{48, 96};  // segments of ~48 tokens above 96 positions

// An English prose text of the eval set (6 KB, ~1,500 tokens), a sentence per line.
std::vector<uint8_t> longText(const char* lineBreak = "\n") {
  const std::string prose = kolmo_test::readFile(std::string(KOLMO_SOURCE_DIR) + "/tests/data/eval/en-prose/009.txt");
  std::string s;
  for (size_t i = 0; i < prose.size(); ++i) {
    if (prose[i] == '\n') {
      s += lineBreak;
    } else if (prose[i] == ' ' && i > 0 && prose[i - 1] == '.') {
      s += lineBreak;
    } else {
      s += prose[i];
    }
  }
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::vector<uint8_t> encode(const std::vector<uint8_t>& text, const SegmentRule& rule = kSmallRule,
                            size_t provideFrom = SIZE_MAX) {
  LinkEncodeJob job(text.data(), text.size(), kAllModes, &shipped().model, 1e-4, ContainerLimits(), rule);
  if (job.segmented() != nullptr && provideFrom != SIZE_MAX) {
    // Segments from provideFrom on coded "elsewhere": their own LmEncodeJob over their tokens.
    SegmentedEncodeJob* seg = job.segmented();
    for (size_t i = provideFrom; i < seg->segmentCount(); ++i) {
      const size_t start = seg->segmentStart(i), end = seg->segmentStart(i + 1);
      LmEncodeJob other(shipped().engine.get(), shipped().tree, shipped().tokenizer.eotId(),
                        job.input().ids.data() + start, end - start, {kLmPayloadV3}, 1e-4);
      bool done = false;
      while (!done) REQUIRE(other.run(1000, &done) == Status::kOk);
      REQUIRE(seg->provide(i, other.payload(0).data(), other.payload(0).size()) == Status::kOk);
    }
  }
  bool done = false;
  while (!done) REQUIRE(job.run(7, &done) == Status::kOk);
  return job.container();
}

Status decode(const std::vector<uint8_t>& container, std::vector<uint8_t>* text, size_t maxTokens = kMaxLmTokens,
              const ContainerLimits& limits = ContainerLimits()) {
  LinkDecodeJob job(container.data(), container.size(), limits);
  if (!isOk(job.status())) return job.status();
  if (job.view().mode == ContainerMode::kLm) {
    const Status started = job.start(shipped().model, maxTokens);
    if (!isOk(started)) return started;
  }
  bool done = false;
  Status status = Status::kOk;
  while (!done && isOk(status)) status = job.run(5, &done);
  *text = job.text();
  return status;
}

// A container with its body replaced (header, model index and check kept), framed again so that
// the syndrome holds: what a crafted link looks like.
std::vector<uint8_t> withBody(const std::vector<uint8_t>& container, const std::vector<uint8_t>& body) {
  ContainerView view;
  REQUIRE(parse(container.data(), container.size(), ContainerLimits(), &view) == Status::kOk);
  std::vector<uint8_t> out(container.data(), view.body);
  out.insert(out.end(), body.begin(), body.end());
  appendLinkSyndrome(&out);
  return out;
}

std::vector<uint8_t> bodyOf(const std::vector<uint8_t>& container) {
  ContainerView view;
  REQUIRE(parse(container.data(), container.size(), ContainerLimits(), &view) == Status::kOk);
  return std::vector<uint8_t>(view.body, view.body + view.bodySize);
}

}  // namespace

TEST_SUITE("segments") {
  TEST_CASE("the index: written, read back, and every lie refused before a model step") {
    const std::vector<uint8_t> text = {'a', 'b', 'c'};
    std::vector<uint8_t> body;
    writeSegmentedBody(7, text.data(), text.size(), {{1, 2, 3}, {4}, {5, 6}}, &body);
    SegmentIndex index;
    REQUIRE(parseSegmentIndex(body.data(), body.size(), ContainerLimits(), &index) == Status::kOk);
    CHECK(index.textBytes == 3);
    CHECK(index.textCheck == segmentedTextCheck(7, text.data(), text.size()));
    REQUIRE(index.segments.size() == 3);
    CHECK(body[index.segments[1].offset] == 4);
    CHECK(index.segments[2].size == 2);
    CHECK(index.segments[2].offset + 2 == body.size());

    auto indexWith = [&](uint64_t textBytes, std::vector<uint64_t> lengths, size_t payloadBytes) {
      std::vector<uint8_t> b;
      appendVarint(textBytes, &b);
      b.insert(b.end(), {0, 0, 0, 0});
      appendVarint(lengths.size(), &b);
      for (uint64_t l : lengths) appendVarint(l, &b);
      b.insert(b.end(), payloadBytes, 9);
      return b;
    };
    auto status = [&](const std::vector<uint8_t>& b, size_t maxText = size_t{4} << 20) {
      ContainerLimits limits;
      limits.maxTextBytes = maxText;
      SegmentIndex out;
      return parseSegmentIndex(b.data(), b.size(), limits, &out);
    };
    CHECK(status(indexWith(10, {2, 3}, 5)) == Status::kOk);
    CHECK(status(indexWith(10, {2, 3}, 6)) == Status::kCorrupt);      // bytes left over
    CHECK(status(indexWith(10, {2, 3}, 4)) == Status::kCorrupt);      // past the end
    CHECK(status(indexWith(10, {2, 0, 3}, 5)) == Status::kCorrupt);   // an empty segment
    CHECK(status(indexWith(10, {5}, 5)) == Status::kCorrupt);         // one segment is not segmented
    CHECK(status(indexWith(10, std::vector<uint64_t>(kMaxSegments + 1, 1), kMaxSegments + 1)) == Status::kCorrupt);
    CHECK(status(indexWith(10, {uint64_t{1} << 40, 3}, 5)) == Status::kCorrupt);  // a length past everything
    CHECK(status(indexWith(5000, {2, 3}, 5), 4999) == Status::kLengthOverLimit);  // refused with the number
    CHECK(status({0x80, 0x00, 0, 0, 0, 0, 2, 1, 1, 9, 9}) == Status::kCorrupt);   // a non-canonical varint
    CHECK(status({10, 0, 0}) == Status::kCorrupt);                                // ends inside the check
  }

  TEST_CASE("cuts: several segments of about equal length, after line breaks; none for short texts") {
    std::vector<uint32_t> ids;
    REQUIRE(shipped().tokenizer.encode(longText().data(), longText().size(), &ids) == Status::kOk);
    const std::vector<size_t> cuts = segmentCuts(shipped().tokenizer, ids, kSmallRule);
    const size_t count = (ids.size() + 47) / 48;
    REQUIRE(cuts.size() + 1 == count);
    // Each cut: just after the last line break among the 6 tokens before its target, else at
    // the target.
    size_t afterLineBreak = 0;
    for (size_t k = 1; k < count; ++k) {
      const size_t target = ids.size() * k / count;
      size_t expected = target;
      for (size_t j = target; j > target - 6; --j) {
        if (shipped().tokenizer.tokenBytes(ids[j - 1]).back() == '\n') {
          expected = j;
          break;
        }
      }
      CHECK(cuts[k - 1] == expected);
      afterLineBreak += expected != target;
    }
    CHECK(afterLineBreak > 0);
    CHECK(segmentCuts(shipped().tokenizer, ids).empty());  // the product's rule: far too short
    // The bound: up to 2^22 positions in all (every segment's EOT included), then cm or stored.
    SegmentRule formatBound;
    formatBound.maxTokens = kMaxSegmentedTokens;
    std::vector<uint32_t> huge(kMaxSegmentedTokens - kMaxSegmentedTokens / kSegmentTokens, ids[0]);
    CHECK(segmentCuts(shipped().tokenizer, huge, formatBound).size() + 1 == kMaxSegmentedTokens / kSegmentTokens);
    CHECK(segmentCuts(shipped().tokenizer, huge).empty());  // over the encoder's default, 2^19
    huge.push_back(ids[0]);
    CHECK(segmentCuts(shipped().tokenizer, huge, formatBound).empty());
    // The encoder's default: 2^19 positions in all.
    std::vector<uint32_t> most(kSegmentedEncodeMaxTokens - kSegmentedEncodeMaxTokens / kSegmentTokens, ids[0]);
    CHECK(segmentCuts(shipped().tokenizer, most).size() + 1 == kSegmentedEncodeMaxTokens / kSegmentTokens);
    most.push_back(ids[0]);
    CHECK(segmentCuts(shipped().tokenizer, most).empty());
    CHECK(lmPayloadVersionsFor(kMaxLmTokens + 1, false).empty());
    const std::vector<uint32_t> few(ids.begin(), ids.begin() + 95);
    CHECK(segmentCuts(shipped().tokenizer, few, kSmallRule).empty());
  }

  TEST_CASE("a long text becomes a segmented link that opens to the same text") {
    for (const char* lineBreak : {"\n", "\r\n"}) {
      const std::vector<uint8_t> text = longText(lineBreak);
      const std::vector<uint8_t> container = encode(text);
      ContainerView view;
      REQUIRE(parse(container.data(), container.size(), ContainerLimits(), &view) == Status::kOk);
      CHECK(view.segmented());
      CHECK(view.modelIndex == 1);
      CHECK(view.crlfLineBreaks() == (std::string(lineBreak) == "\r\n"));
      CHECK(container[0] == ((6 << 5) | (view.crlfLineBreaks() ? 4 : 3)));
      std::vector<uint8_t> decoded;
      CHECK(decode(container, &decoded) == Status::kOk);
      CHECK(decoded == text);

      LinkDecodeJob job(container.data(), container.size(), ContainerLimits());
      REQUIRE(job.status() == Status::kOk);
      REQUIRE(job.start(shipped().model, 0) == Status::kOk);  // the link's own bound
      bool done = false;
      while (!done) REQUIRE(job.run(1000, &done) == Status::kOk);
      CHECK(job.text() == text);
      // Bits: one per token and the last EOT's (the other EOTs' added to the token before).
      CHECK(job.tokenBits().size() == job.tokens().size() + 1);
      CHECK(job.declaredTextBytes() == static_cast<int64_t>(text.size()));
      CHECK(job.segmentIndex().segments.size() >= 4);
      CHECK(job.declaredMaxTokens() >= text.size() / 8);
    }
    // Independence costs a little against one stream: each segment relearns the document.
    const std::vector<uint8_t> text = longText();
    const size_t oneStream = encode(text, SegmentRule{48, 1u << 20}).size();
    const size_t segmented = encode(text).size();
    MESSAGE("one stream " << oneStream << " B, segments of 48 tokens " << segmented << " B");
    CHECK(segmented > oneStream);
    LinkEncodeJob job(text.data(), text.size(), kAllModes, &shipped().model, 1e-4, ContainerLimits(), kSmallRule);
    bool done = false;
    while (!done) REQUIRE(job.run(1000, &done) == Status::kOk);
    REQUIRE(job.modelCoded());
    CHECK(job.usedTokenBits().size() == job.input().ids.size() + 1);
    CHECK(segmented < oneStream * 2);
  }

  TEST_CASE("segments coded or decoded by other workers give the same link and the same text") {
    const std::vector<uint8_t> text = longText();
    const std::vector<uint8_t> inCore = encode(text);
    CHECK(encode(text, kSmallRule, 0) == inCore);  // every segment provided
    CHECK(encode(text, kSmallRule, 2) == inCore);  // some here, the rest provided

    LinkDecodeJob job(inCore.data(), inCore.size(), ContainerLimits());
    REQUIRE(job.status() == Status::kOk);
    std::vector<uint32_t> all;
    for (const SegmentSpan& span : job.segmentIndex().segments) {
      LmDecodeJob segment(shipped().engine.get(), shipped().tree, shipped().tokenizer.eotId(),
                          job.view().body + span.offset, span.size, kLmPayloadV3, kMaxLmTokens);
      bool done = false;
      while (!done) REQUIRE(segment.run(1000, &done) == Status::kOk);
      all.insert(all.end(), segment.tokens().begin(), segment.tokens().end());
    }
    REQUIRE(job.finishWithTokens(shipped().tokenizer, shipped().model.idHash, all.data(), all.size()) == Status::kOk);
    CHECK(job.text() == text);
  }

  TEST_CASE("a damaged or lying segmented link ends in an error, never in a text") {
    const std::vector<uint8_t> text = longText();
    const std::vector<uint8_t> container = encode(text);
    const std::vector<uint8_t> body = bodyOf(container);
    SegmentIndex index;
    REQUIRE(parseSegmentIndex(body.data(), body.size(), ContainerLimits(), &index) == Status::kOk);
    std::vector<uint8_t> decoded;

    // Two segments swapped (each stream intact): the 40-bit text check refuses the text.
    {
      std::vector<uint8_t> swapped;
      const size_t n = index.segments.size();
      std::vector<std::vector<uint8_t>> payloads;
      for (const SegmentSpan& span : index.segments) {
        payloads.emplace_back(body.begin() + static_cast<std::ptrdiff_t>(span.offset),
                              body.begin() + static_cast<std::ptrdiff_t>(span.offset + span.size));
      }
      std::swap(payloads[0], payloads[n - 1]);
      writeSegmentedBody(shipped().model.idHash, text.data(), text.size(), payloads, &swapped);
      CHECK(decode(withBody(container, swapped), &decoded) == Status::kChecksumMismatch);
      CHECK(decoded.empty());
    }
    // A byte of one stream changed (the syndrome made to hold): an error, never a text.
    for (size_t at : {index.segments[1].offset + 2, index.segments.back().offset + 1}) {
      std::vector<uint8_t> damaged = body;
      damaged[at] ^= 0x10;
      const Status s = decode(withBody(container, damaged), &decoded);
      CHECK(!isOk(s));
      CHECK(decoded.empty());
    }
    // The declared length: over the caller's limit, refused when the link is read.
    ContainerLimits small;
    small.maxTextBytes = text.size() - 1;
    LinkDecodeJob over(container.data(), container.size(), small);
    CHECK(over.status() == Status::kLengthOverLimit);
    // A declared length that is not the text's: the check refuses it.
    {
      std::vector<uint8_t> lie;
      appendVarint(text.size() + 1, &lie);
      size_t pos = 0;
      uint64_t v = 0;
      REQUIRE(readVarint(body.data(), body.size(), &pos, 9, ~uint64_t{0}, &v) == Status::kOk);
      lie.insert(lie.end(), body.begin() + static_cast<std::ptrdiff_t>(pos), body.end());
      CHECK(decode(withBody(container, lie), &decoded) == Status::kChecksumMismatch);
      CHECK(decoded.empty());
    }
    // Fewer tokens allowed than the text has: kLengthOverLimit, no text.
    CHECK(decode(container, &decoded, 40) == Status::kLengthOverLimit);
    CHECK(decoded.empty());
  }
}
