// Tests of the link container: exact header bytes, field round trips, every parse error,
// limits, integrity check on damaged links, mode choice in packBest, and the file form.
#include <doctest/doctest.h>

#include "test_util.h"

#include <cstdint>
#include <string>
#include <vector>

#include "kolmo/checksum.h"
#include "cm_codec.h"
#include "kolmo/container.h"

using namespace kolmo;

namespace {

using kolmo_test::splitMix;

std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> randomBytes(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(splitMix(&seed));
  return v;
}

const ContainerLimits kDefaults;

// This file tests the framing of versions 1 to 5 (what earlier releases wrote and every reader
// keeps reading); tests/link_check_test.cpp tests version 6, which new links use.
Status packLegacy(ContainerMode mode, uint32_t modelIndex, uint64_t id, const uint8_t* text, size_t textSize,
                  const uint8_t* body, size_t bodySize, const ContainerLimits& limits, std::vector<uint8_t>* out,
                  int lmPayloadVersion = 1, bool crlf = false) {
  return pack(mode, modelIndex, id, text, textSize, body, bodySize, limits, out, lmPayloadVersion, crlf,
              LinkFraming::kLegacy);
}
Status packBestLegacy(const uint8_t* text, size_t textSize, const LmBody* bodies, size_t n, uint32_t modelIndex,
                      uint64_t id, const ContainerLimits& limits, unsigned allowed, std::vector<uint8_t>* out,
                      ContainerMode* chosen = nullptr, size_t* chosenLm = nullptr) {
  return packBest(text, textSize, bodies, n, modelIndex, id, limits, allowed, out, chosen, chosenLm,
                  LinkFraming::kLegacy);
}
Status packBestLegacy(const uint8_t* text, size_t textSize, const std::vector<uint8_t>* lmBody, uint32_t modelIndex,
                      uint64_t id, const ContainerLimits& limits, std::vector<uint8_t>* out,
                      ContainerMode* chosen = nullptr, int lmPayloadVersion = 1, bool crlf = false) {
  return packBest(text, textSize, lmBody, modelIndex, id, limits, out, chosen, lmPayloadVersion, crlf,
                  LinkFraming::kLegacy);
}
const uint64_t kModelA = modelIdHash("test-model-a");
const uint64_t kModelB = modelIdHash("test-model-b");

std::vector<uint8_t> packOk(ContainerMode mode, uint32_t modelIndex, uint64_t id,
                            const std::vector<uint8_t>& text, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out;
  REQUIRE(packLegacy(mode, modelIndex, id, text.data(), text.size(), body.data(), body.size(),
               kDefaults, &out) == Status::kOk);
  return out;
}

Status parseBytes(const std::vector<uint8_t>& bytes, ContainerView* view,
                  const ContainerLimits& limits = kDefaults) {
  return parse(bytes.data(), bytes.size(), limits, view);
}

const std::string kSample =
    "kolmo shares text as a link: the text never leaves the browser. "
    "{\"a\": [1, 2, 3], \"b\": {\"c\": \"d\"}} function f(x) { return x * 2; }\n";

}  // namespace

TEST_SUITE("container") {
  TEST_CASE("header bytes: version 1, mode, model index") {
    std::vector<uint8_t> text = bytesOf("hi");
    std::vector<uint8_t> stored = packOk(ContainerMode::kStored, 0, 0, text, text);
    CHECK(stored.size() == 3 + 2);
    CHECK(stored[0] == 0x20);  // 001 00 000
    uint16_t check = textCheck16(0, text.data(), text.size());
    CHECK(stored[1] == (check >> 8));
    CHECK(stored[2] == (check & 0xFF));
    CHECK(stored[3] == 'h');

    std::vector<uint8_t> body{1, 2, 3};
    CHECK(packOk(ContainerMode::kCm, 0, 0, text, body)[0] == 0x28);  // 001 01 000
    CHECK(packOk(ContainerMode::kLm, 0, kModelA, text, body)[0] == 0x30);  // 001 10 000
    CHECK(packOk(ContainerMode::kLm, 6, kModelA, text, body)[0] == 0x36);
    std::vector<uint8_t> seven = packOk(ContainerMode::kLm, 7, kModelA, text, body);
    CHECK(seven[0] == 0x37);
    CHECK(seven[1] == 0x07);
    CHECK(seven.size() == 1 + 1 + 2 + 3);
    std::vector<uint8_t> big = packOk(ContainerMode::kLm, 300, kModelA, text, body);
    CHECK(big[1] == (0x80 | (300 & 0x7F)));
    CHECK(big[2] == (300 >> 7));
  }

  TEST_CASE("pack/parse round trip of every field") {
    std::vector<uint8_t> text = bytesOf(kSample);
    std::vector<uint8_t> body = randomBytes(50, 1);
    for (uint32_t index : {0u, 1u, 6u, 7u, 8u, 127u, 128u, 16383u, 16384u, 0xFFFFFFFFu}) {
      std::vector<uint8_t> c = packOk(ContainerMode::kLm, index, kModelA, text, body);
      ContainerView v;
      REQUIRE(parseBytes(c, &v) == Status::kOk);
      CHECK(v.version == 1);
      CHECK(v.mode == ContainerMode::kLm);
      CHECK(v.modelIndex == index);
      CHECK(std::vector<uint8_t>(v.body, v.body + v.bodySize) == body);
      CHECK(verify(v, kModelA, text.data(), text.size()) == Status::kOk);
    }
  }

  TEST_CASE("pack refuses inconsistent arguments") {
    std::vector<uint8_t> text = bytesOf("abc"), other = bytesOf("abd"), out;
    CHECK(packLegacy(ContainerMode::kStored, 1, 0, text.data(), 3, text.data(), 3, kDefaults, &out) ==
          Status::kBadArgument);
    CHECK(packLegacy(ContainerMode::kCm, 2, 0, text.data(), 3, text.data(), 3, kDefaults, &out) ==
          Status::kBadArgument);
    CHECK(packLegacy(ContainerMode::kStored, 0, 0, text.data(), 3, other.data(), 3, kDefaults, &out) ==
          Status::kBadArgument);
    CHECK(packLegacy(static_cast<ContainerMode>(3), 0, 0, text.data(), 3, text.data(), 3, kDefaults,
               &out) == Status::kBadArgument);
    // Versions 3 and 5 (crlfLineBreaks) are for lm bodies of LM payload versions 2 and 3 only.
    CHECK(packLegacy(ContainerMode::kLm, 0, kModelA, text.data(), 3, text.data(), 3, kDefaults, &out, 1,
               true) == Status::kBadArgument);
    CHECK(packLegacy(ContainerMode::kCm, 0, 0, text.data(), 3, text.data(), 3, kDefaults, &out, 1,
               true) == Status::kBadArgument);
    REQUIRE(packLegacy(ContainerMode::kLm, 1, kModelA, text.data(), 3, text.data(), 3, kDefaults, &out, 2,
                 true) == Status::kOk);
    CHECK(out[0] == 0x71);  // 011 10 001: version 3, lm, model 1
    // LM payload version 3: container version 4, or 5 for a CRLF text; lm only.
    REQUIRE(packLegacy(ContainerMode::kLm, 1, kModelA, text.data(), 3, text.data(), 3, kDefaults, &out, 3) == Status::kOk);
    CHECK(out[0] == 0x91);  // 100 10 001
    REQUIRE(packLegacy(ContainerMode::kLm, 1, kModelA, text.data(), 3, text.data(), 3, kDefaults, &out, 3, true) ==
            Status::kOk);
    CHECK(out[0] == 0xB1);  // 101 10 001
    CHECK(packLegacy(ContainerMode::kCm, 0, 0, text.data(), 3, text.data(), 3, kDefaults, &out, 3) == Status::kBadArgument);
    CHECK(packLegacy(ContainerMode::kLm, 0, kModelA, text.data(), 3, text.data(), 3, kDefaults, &out, 4) ==
          Status::kBadArgument);
    ContainerLimits tight;
    tight.maxTextBytes = 2;
    CHECK(packLegacy(ContainerMode::kLm, 0, kModelA, text.data(), 3, text.data(), 1, tight, &out) ==
          Status::kLengthOverLimit);
    tight = ContainerLimits();
    tight.maxContainerBytes = 5;
    CHECK(packLegacy(ContainerMode::kStored, 0, 0, text.data(), 3, text.data(), 3, tight, &out) ==
          Status::kLengthOverLimit);
    CHECK(out.empty());
  }

  TEST_CASE("parse errors, each with its own status") {
    ContainerView v;
    CHECK(parseBytes({}, &v) == Status::kTruncated);
    for (int version : {0, 7}) {
      CHECK(parseBytes({static_cast<uint8_t>(version << 5), 0, 0}, &v) == Status::kUnknownVersion);
    }
    CHECK(parseBytes({0xC0, 0, 0}, &v) == Status::kTruncated);  // version 6: under 5 bytes
    // Version 2 holds only lm bodies (LM payload version 2).
    CHECK(parseBytes({0x40, 0, 0}, &v) == Status::kCorrupt);  // 010 00 000: stored
    CHECK(parseBytes({0x48, 0, 0}, &v) == Status::kCorrupt);  // cm
    CHECK(parseBytes({0x58, 0, 0}, &v) == Status::kUnknownMode);
    REQUIRE(parseBytes({0x50, 0, 0}, &v) == Status::kOk);     // lm, model 0
    CHECK(v.version == 2);
    CHECK(v.lmPayloadVersion() == 2);
    CHECK_FALSE(v.crlfLineBreaks());
    // Version 3 likewise (LM payload version 2 of the text with LF line breaks).
    CHECK(parseBytes({0x60, 0, 0}, &v) == Status::kCorrupt);  // 011 00 000: stored
    CHECK(parseBytes({0x68, 0, 0}, &v) == Status::kCorrupt);  // cm
    CHECK(parseBytes({0x78, 0, 0}, &v) == Status::kUnknownMode);
    REQUIRE(parseBytes({0x71, 0, 0}, &v) == Status::kOk);     // lm, model 1
    CHECK(v.version == 3);
    CHECK(v.modelIndex == 1);
    CHECK(v.lmPayloadVersion() == 2);
    CHECK(v.crlfLineBreaks());
    // Versions 4 and 5 likewise, with LM payload version 3 (5: the text with LF line breaks).
    CHECK(parseBytes({0x80, 0, 0}, &v) == Status::kCorrupt);  // 100 00 000: stored
    CHECK(parseBytes({0xA8, 0, 0}, &v) == Status::kCorrupt);  // 101 01 000: cm
    CHECK(parseBytes({0x98, 0, 0}, &v) == Status::kUnknownMode);
    REQUIRE(parseBytes({0x91, 0, 0}, &v) == Status::kOk);     // 100 10 001: lm, model 1
    CHECK(v.version == 4);
    CHECK(v.lmPayloadVersion() == 3);
    CHECK_FALSE(v.crlfLineBreaks());
    REQUIRE(parseBytes({0xB1, 0, 0}, &v) == Status::kOk);     // 101 10 001
    CHECK(v.version == 5);
    CHECK(v.lmPayloadVersion() == 3);
    CHECK(v.crlfLineBreaks());
    REQUIRE(parseBytes({0x30, 0, 0}, &v) == Status::kOk);
    CHECK(v.lmPayloadVersion() == 1);
    CHECK_FALSE(v.crlfLineBreaks());
    CHECK(parseBytes({0x38, 0, 0}, &v) == Status::kUnknownMode);  // 001 11 000
    CHECK(parseBytes({0x21, 0, 0}, &v) == Status::kCorrupt);      // stored, model 1
    CHECK(parseBytes({0x2F, 0, 0}, &v) == Status::kCorrupt);      // cm, model 7
    CHECK(parseBytes({0x20}, &v) == Status::kTruncated);
    CHECK(parseBytes({0x20, 0}, &v) == Status::kTruncated);
    CHECK(parseBytes({0x30, 0}, &v) == Status::kTruncated);
    CHECK(parseBytes({0x37}, &v) == Status::kTruncated);             // varint missing
    CHECK(parseBytes({0x37, 0x80}, &v) == Status::kTruncated);       // varint cut
    CHECK(parseBytes({0x37, 0x07}, &v) == Status::kTruncated);       // check missing
    CHECK(parseBytes({0x37, 0x06, 0, 0}, &v) == Status::kCorrupt);   // 6 fits in 3 bits
    CHECK(parseBytes({0x37, 0x87, 0x00, 0, 0}, &v) == Status::kCorrupt);  // non-canonical 7
    CHECK(parseBytes({0x37, 0xFF, 0xFF, 0xFF, 0xFF, 0x10, 0, 0}, &v) == Status::kCorrupt);  // > 2^32
    CHECK(parseBytes({0x37, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x01, 0, 0}, &v) == Status::kCorrupt);
    CHECK(parseBytes({0x37, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0}, &v) == Status::kOk);
    CHECK(v.modelIndex == 0xFFFFFFFFu);
    // Empty text, stored: the smallest valid container.
    std::vector<uint8_t> empty;
    std::vector<uint8_t> c = packOk(ContainerMode::kStored, 0, 0, empty, empty);
    CHECK(c.size() == 3);
    CHECK(parseBytes(c, &v) == Status::kOk);
    CHECK(v.bodySize == 0);
  }

  TEST_CASE("limits: container and stored text sizes") {
    std::vector<uint8_t> text(1000, 'x');
    std::vector<uint8_t> c = packOk(ContainerMode::kStored, 0, 0, text, text);
    ContainerView v;
    ContainerLimits limits;
    limits.maxContainerBytes = 1002;
    CHECK(parseBytes(c, &v, limits) == Status::kLengthOverLimit);
    limits.maxContainerBytes = 1003;
    CHECK(parseBytes(c, &v, limits) == Status::kOk);
    limits.maxTextBytes = 999;
    CHECK(parseBytes(c, &v, limits) == Status::kLengthOverLimit);
    // A cm body claiming more text than allowed is refused while decoding.
    std::vector<uint8_t> cm;
    REQUIRE(packBestLegacy(text.data(), text.size(), nullptr, 0, 0, kDefaults, &cm) == Status::kOk);
    REQUIRE(parseBytes(cm, &v, limits) == Status::kOk);
    CHECK(v.mode == ContainerMode::kCm);
    std::vector<uint8_t> out;
    CHECK(decodeFallback(v, limits, &out) == Status::kLengthOverLimit);
    CHECK(packBestLegacy(text.data(), text.size(), nullptr, 0, 0, limits, &out) == Status::kLengthOverLimit);
  }

  TEST_CASE("verify: lm checks depend on the model id, fallback checks do not") {
    std::vector<uint8_t> text = bytesOf(kSample), body{9, 9, 9};
    ContainerView v;
    REQUIRE(parseBytes(packOk(ContainerMode::kLm, 0, kModelA, text, body), &v) == Status::kOk);
    CHECK(verify(v, kModelA, text.data(), text.size()) == Status::kOk);
    REQUIRE(textCheck16(kModelA, text.data(), text.size()) !=
            textCheck16(kModelB, text.data(), text.size()));
    CHECK(verify(v, kModelB, text.data(), text.size()) == Status::kChecksumMismatch);
    std::vector<uint8_t> wrong = text;
    wrong[5] ^= 1;
    CHECK(verify(v, kModelA, wrong.data(), wrong.size()) == Status::kChecksumMismatch);
    REQUIRE(parseBytes(packOk(ContainerMode::kStored, 0, 0, text, text), &v) == Status::kOk);
    CHECK(verify(v, kModelB, text.data(), text.size()) == Status::kOk);
  }

  TEST_CASE("decodeFallback round trips stored and cm, refuses lm") {
    for (const std::string& s : {std::string(), std::string("a"), kSample, kSample + kSample}) {
      std::vector<uint8_t> text = bytesOf(s), c, out;
      ContainerMode mode;
      REQUIRE(packBestLegacy(text.data(), text.size(), nullptr, 0, 0, kDefaults, &c, &mode) == Status::kOk);
      ContainerView v;
      REQUIRE(parseBytes(c, &v) == Status::kOk);
      CHECK(v.mode == mode);
      REQUIRE(decodeFallback(v, kDefaults, &out) == Status::kOk);
      CHECK(out == text);
    }
    std::vector<uint8_t> text = bytesOf(kSample), body{1}, out{1};
    ContainerView v;
    REQUIRE(parseBytes(packOk(ContainerMode::kLm, 0, kModelA, text, body), &v) == Status::kOk);
    CHECK(decodeFallback(v, kDefaults, &out) == Status::kBadArgument);
    CHECK(out.empty());
  }

  TEST_CASE("packBest: smallest mode, never above the stored fallback") {
    std::vector<uint8_t> out;
    ContainerMode mode;
    // Random bytes: cm cannot win, stored is picked.
    std::vector<uint8_t> noise = randomBytes(500, 3);
    REQUIRE(packBestLegacy(noise.data(), noise.size(), nullptr, 0, 0, kDefaults, &out, &mode) == Status::kOk);
    CHECK(mode == ContainerMode::kStored);
    CHECK(out.size() == noise.size() + 3);
    // Text: cm wins.
    std::vector<uint8_t> text = bytesOf(kSample + kSample + kSample);
    REQUIRE(packBestLegacy(text.data(), text.size(), nullptr, 0, 0, kDefaults, &out, &mode) == Status::kOk);
    CHECK(mode == ContainerMode::kCm);
    size_t cmSize = out.size();
    CHECK(cmSize < text.size() / 2);
    // An lm body: chosen only when strictly smaller than the best fallback.
    std::vector<uint8_t> lmSmall(cmSize - 4, 0xAB), lmTie(cmSize - 3, 0xAB);
    REQUIRE(packBestLegacy(text.data(), text.size(), &lmSmall, 0, kModelA, kDefaults, &out, &mode) == Status::kOk);
    CHECK(mode == ContainerMode::kLm);
    CHECK(out.size() == cmSize - 1);
    REQUIRE(packBestLegacy(text.data(), text.size(), &lmTie, 0, kModelA, kDefaults, &out, &mode) == Status::kOk);
    CHECK(mode == ContainerMode::kCm);
    CHECK(out.size() == cmSize);
    // With a varint model index the lm candidate pays its extra byte.
    REQUIRE(packBestLegacy(text.data(), text.size(), &lmSmall, 9, kModelA, kDefaults, &out, &mode) == Status::kOk);
    CHECK(mode == ContainerMode::kCm);
    // Empty text: 3 bytes, stored.
    REQUIRE(packBestLegacy(nullptr, 0, nullptr, 0, 0, kDefaults, &out, &mode) == Status::kOk);
    CHECK(out.size() == 3);
    CHECK(mode == ContainerMode::kStored);
  }

  TEST_CASE("packBest over several lm bodies and a set of allowed modes") {
    std::vector<uint8_t> text = bytesOf(kSample + kSample + kSample), out, cm;
    ContainerMode mode;
    size_t lm = 99;
    REQUIRE(packBestLegacy(text.data(), text.size(), nullptr, 0, 0, kDefaults, &cm) == Status::kOk);
    std::vector<uint8_t> small(cm.size() - 10, 0x11), smaller(cm.size() - 12, 0x22), same(cm.size() - 12, 0x33);
    // The smaller body wins, whichever version it is; of equal ones the earlier.
    const LmBody bodies[3] = {{small.data(), small.size(), 2, false}, {smaller.data(), smaller.size(), 1, false},
                              {same.data(), same.size(), 2, false}};
    REQUIRE(packBestLegacy(text.data(), text.size(), bodies, 3, 1, kModelA, kDefaults, kAllModes, &out, &mode, &lm) == Status::kOk);
    CHECK(mode == ContainerMode::kLm);
    CHECK(lm == 1);
    CHECK(out[0] == 0x31);  // version 1, lm, model 1
    CHECK(std::vector<uint8_t>(out.end() - static_cast<long>(smaller.size()), out.end()) == smaller);
    REQUIRE(packBestLegacy(text.data(), text.size(), bodies, 1, 1, kModelA, kDefaults, kAllModes, &out, &mode, &lm) == Status::kOk);
    CHECK(lm == 0);
    CHECK(out[0] == 0x51);  // version 2
    const LmBody crlf = {small.data(), small.size(), 2, true};
    REQUIRE(packBestLegacy(text.data(), text.size(), &crlf, 1, 1, kModelA, kDefaults, kAllModes, &out, &mode) == Status::kOk);
    CHECK(out[0] == 0x71);  // version 3
    // Allowed modes: without lm, cm; only stored, stored; only lm without a body: refused.
    REQUIRE(packBestLegacy(text.data(), text.size(), bodies, 3, 1, kModelA, kDefaults,
                     modeBit(ContainerMode::kStored) | modeBit(ContainerMode::kCm), &out, &mode) == Status::kOk);
    CHECK(mode == ContainerMode::kCm);
    CHECK(out == cm);
    REQUIRE(packBestLegacy(text.data(), text.size(), bodies, 3, 1, kModelA, kDefaults, modeBit(ContainerMode::kStored), &out, &mode) == Status::kOk);
    CHECK(mode == ContainerMode::kStored);
    CHECK(out.size() == text.size() + 3);
    // Only lm, even when lm is larger than cm: the model is insisted on.
    std::vector<uint8_t> large(cm.size() + 50, 0x44);
    const LmBody big = {large.data(), large.size(), 2, false};
    REQUIRE(packBestLegacy(text.data(), text.size(), &big, 1, 0, kModelA, kDefaults, modeBit(ContainerMode::kLm), &out, &mode) == Status::kOk);
    CHECK(mode == ContainerMode::kLm);
    CHECK(packBestLegacy(text.data(), text.size(), nullptr, 0, 0, kModelA, kDefaults, modeBit(ContainerMode::kLm), &out, &mode) == Status::kBadArgument);
    CHECK(packBestLegacy(text.data(), text.size(), bodies, 3, 0, kModelA, kDefaults, 0, &out, &mode) == Status::kBadArgument);
    CHECK(out.empty());
    const LmBody badForm = {small.data(), small.size(), 1, true};  // CRLF needs payload version 2
    CHECK(packBestLegacy(text.data(), text.size(), &badForm, 1, 0, kModelA, kDefaults, kAllModes, &out, &mode) == Status::kBadArgument);
  }

  TEST_CASE("damaged links: a specific error or the original text, never a wrong text") {
    // Stored container: every single-byte change (255 values at each position) and every
    // truncation. cm container (each decode costs a model setup, ~10 ms): every bit flip of
    // the header and check, one random change per body byte, every truncation. The 16-bit
    // check lets a wrong text through with probability 2^-16 per damaged link; count those.
    std::vector<uint8_t> text = bytesOf(kSample);
    std::vector<uint8_t> cm, stored = packOk(ContainerMode::kStored, 0, 0, text, text);
    REQUIRE(packBestLegacy(text.data(), text.size(), nullptr, 0, 0, kDefaults, &cm) == Status::kOk);
    REQUIRE(cm[0] == 0x28);
    long trials = 0, wrongAccepted = 0, refused = 0;
    auto tryDamaged = [&](const std::vector<uint8_t>& bad) {
      ContainerView v;
      std::vector<uint8_t> out;
      ++trials;
      if (parseBytes(bad, &v) != Status::kOk) {
        ++refused;
        return;
      }
      if (v.mode == ContainerMode::kLm) {  // needs a model: the caller's step
        ++refused;
        return;
      }
      Status s = decodeFallback(v, kDefaults, &out);
      if (s != Status::kOk) {
        ++refused;
        CHECK(out.empty());
      } else if (out != text) {
        ++wrongAccepted;
      }
    };
    for (size_t pos = 0; pos < stored.size(); ++pos) {
      for (int x = 1; x < 256; ++x) {
        std::vector<uint8_t> bad = stored;
        bad[pos] = static_cast<uint8_t>(bad[pos] ^ x);
        tryDamaged(bad);
      }
    }
    uint64_t seed = 99;
    for (size_t pos = 0; pos < cm.size(); ++pos) {
      for (int bit = 0; bit < 8; ++bit) {
        if (pos >= 3 && bit > 0) break;
        std::vector<uint8_t> bad = cm;
        bad[pos] = static_cast<uint8_t>(bad[pos] ^ (pos < 3 ? 1 << bit : 1 + splitMix(&seed) % 255));
        tryDamaged(bad);
      }
    }
    for (const auto* c : {&cm, &stored}) {
      for (size_t cut = 0; cut < c->size(); ++cut) {
        tryDamaged(std::vector<uint8_t>(c->begin(), c->begin() + static_cast<long>(cut)));
      }
    }
    MESSAGE("damaged links: " << trials << ", refused: " << refused
                              << ", wrong text accepted: " << wrongAccepted);
    CHECK(wrongAccepted <= 3 + trials / 65536 * 4);
  }

  TEST_CASE("file form: magic, then the link container") {
    std::vector<uint8_t> text = bytesOf(kSample), c, file;
    REQUIRE(packBestLegacy(text.data(), text.size(), nullptr, 0, 0, kDefaults, &c) == Status::kOk);
    toFile(c.data(), c.size(), &file);
    CHECK(file.size() == c.size() + 4);
    CHECK(std::string(file.begin(), file.begin() + 4) == "KLMO");
    ContainerView v;
    REQUIRE(parseFile(file.data(), file.size(), kDefaults, &v) == Status::kOk);
    std::vector<uint8_t> out;
    REQUIRE(decodeFallback(v, kDefaults, &out) == Status::kOk);
    CHECK(out == text);
    CHECK(parseFile(c.data(), c.size(), kDefaults, &v) == Status::kBadMagic);
    CHECK(parseFile(nullptr, 0, kDefaults, &v) == Status::kBadMagic);
    CHECK(parseFile(file.data(), 3, kDefaults, &v) == Status::kTruncated);
    CHECK(parseFile(file.data(), 4, kDefaults, &v) == Status::kTruncated);
    std::vector<uint8_t> gz{0x1F, 0x8B, 0x08, 0x00, 0x00};
    CHECK(parseFile(gz.data(), gz.size(), kDefaults, &v) == Status::kBadMagic);
    CHECK(isFileForm(file.data(), file.size()));
    CHECK(isFileForm(file.data(), 4));
    CHECK_FALSE(isFileForm(file.data(), 3));
    CHECK_FALSE(isFileForm(c.data(), c.size()));
    CHECK_FALSE(isFileForm(gz.data(), gz.size()));
  }
}
