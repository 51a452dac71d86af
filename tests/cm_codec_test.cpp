// Tests of the model-free cm codec: Nayuki's list (empty, one symbol repeated, every byte
// value, random data), kolmo's additions (truncated and altered streams, length limits),
// determinism, and compression sanity on text-like and repetitive inputs.
#include <doctest/doctest.h>

#include "test_util.h"

#include <cstdint>
#include <string>
#include <vector>

#include "kolmo/checksum.h"
#include "cm_codec.h"
#include "range_coder.h"

using namespace kolmo;

namespace {

using kolmo_test::splitMix;

// hashBytes64(0, cm stream of pseudoText(5000, 3)): changes only with the cm format.
constexpr uint64_t kPinnedHash = 7373971090368362822ull;

std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// Pseudo-English: words drawn with a skewed distribution, punctuation and line breaks.
std::vector<uint8_t> pseudoText(size_t n, uint64_t seed) {
  static const char* kWords[] = {"the", "of", "and", "to", "in", "a", "is", "that", "for",
                                 "it", "as", "was", "with", "be", "by", "on", "not", "he",
                                 "this", "are", "or", "his", "from", "at", "which", "but",
                                 "have", "an", "had", "they", "you", "were", "their", "one",
                                 "all", "we", "can", "her", "has", "there", "been", "if",
                                 "more", "when", "will", "would", "who", "so", "no", "compression",
                                 "language", "model", "arithmetic", "coder", "fragment", "link"};
  const size_t numWords = sizeof(kWords) / sizeof(kWords[0]);
  std::string s;
  bool capital = true;
  while (s.size() < n) {
    uint64_t r = splitMix(&seed);
    size_t w = (r % numWords) * (r % numWords) / numWords;  // skew toward common words
    std::string word = kWords[w];
    if (capital) word[0] = static_cast<char>(word[0] - 32);
    s += word;
    capital = false;
    uint64_t p = (r >> 32) % 100;
    if (p < 6) {
      s += ". ";
      capital = true;
    } else if (p < 9) {
      s += ", ";
    } else if (p < 10) {
      s += ".\n";
      capital = true;
    } else {
      s += ' ';
    }
  }
  s.resize(n);
  return bytesOf(s);
}

std::vector<uint8_t> encodeOk(const std::vector<uint8_t>& text) {
  std::vector<uint8_t> packed;
  REQUIRE(cmEncode(text.data(), text.size(), &packed) == Status::kOk);
  return packed;
}

void checkRoundTrip(const std::vector<uint8_t>& text) {
  std::vector<uint8_t> packed = encodeOk(text), back;
  REQUIRE(cmDecode(packed.data(), packed.size(), text.size(), &back) == Status::kOk);
  REQUIRE(back == text);
}

}  // namespace

TEST_SUITE("cm_codec") {
  TEST_CASE("empty text") {
    std::vector<uint8_t> packed = encodeOk({});
    CHECK(packed.size() <= 1);
    std::vector<uint8_t> back{1, 2, 3};
    CHECK(cmDecode(packed.data(), packed.size(), 0, &back) == Status::kOk);
    CHECK(back.empty());
  }

  TEST_CASE("one-byte texts across the byte range") {
    // Every value would cost 256 model setups (~10 ms each); every value appears in the
    // 256-byte texts of the next case.
    for (int c = 0; c < 256; c += 15) checkRoundTrip({static_cast<uint8_t>(c)});
    checkRoundTrip({0xFF});
  }

  TEST_CASE("all byte values, ascending and descending, and short lengths") {
    std::vector<uint8_t> all(256);
    for (int c = 0; c < 256; ++c) all[c] = static_cast<uint8_t>(c);
    checkRoundTrip(all);
    checkRoundTrip(std::vector<uint8_t>(all.rbegin(), all.rend()));
    for (size_t n = 0; n < 40; n += 3) {
      std::vector<uint8_t> v(n);
      uint64_t seed = n;
      for (auto& b : v) b = static_cast<uint8_t>(splitMix(&seed));
      checkRoundTrip(v);
    }
  }

  TEST_CASE("one symbol repeated compresses to almost nothing") {
    for (uint8_t c : {uint8_t{0}, uint8_t{'a'}, uint8_t{0xFF}}) {
      std::vector<uint8_t> text(100000, c);
      checkRoundTrip(text);
      CHECK(encodeOk(text).size() < 80);  // ~0.005 bit per byte: the probability cap
    }
    std::vector<uint8_t> abc;
    for (int i = 0; i < 30000; ++i) abc.push_back(static_cast<uint8_t>("abc"[i % 3]));
    checkRoundTrip(abc);
    CHECK(encodeOk(abc).size() < 80);
  }

  TEST_CASE("1 MB random bytes: round trip, expansion under 0.5%") {
    std::vector<uint8_t> text(1 << 20);
    uint64_t seed = 2024;
    for (size_t i = 0; i < text.size(); i += 8) {
      uint64_t r = splitMix(&seed);
      for (int k = 0; k < 8; ++k) text[i + k] = static_cast<uint8_t>(r >> (8 * k));
    }
    std::vector<uint8_t> packed = encodeOk(text), back;
    CHECK(packed.size() < text.size() + text.size() / 200);
    REQUIRE(cmDecode(packed.data(), packed.size(), text.size(), &back) == Status::kOk);
    CHECK(back == text);
  }

  TEST_CASE("1 MB text-like input: round trip and real compression") {
    std::vector<uint8_t> text = pseudoText(1 << 20, 77);
    std::vector<uint8_t> packed = encodeOk(text), back;
    MESSAGE("pseudo-text 1 MiB -> " << packed.size() << " bytes");
    CHECK(packed.size() * 3 < text.size());
    REQUIRE(cmDecode(packed.data(), packed.size(), text.size(), &back) == Status::kOk);
    CHECK(back == text);
  }

  TEST_CASE("short texts: JSON and code beat 8 bits per byte by far") {
    std::string json =
        R"({"name": "kolmo", "version": "0.1.0", "type": "module", "files": ["web/lib", "bin"],)"
        R"( "scripts": {"test": "node --test", "start": "node scripts/serve.mjs"}, "keywords":)"
        R"( ["compression", "url", "wasm"], "license": "MIT"})";
    std::vector<uint8_t> packed = encodeOk(bytesOf(json));
    checkRoundTrip(bytesOf(json));
    CHECK(packed.size() * 8 < json.size() * 6);
  }

  TEST_CASE("deterministic: encoding twice gives the same bytes; pinned hash") {
    std::vector<uint8_t> text = pseudoText(5000, 3);
    std::vector<uint8_t> a = encodeOk(text), b = encodeOk(text);
    CHECK(a == b);
    // Pinned: the cm format is frozen for container version 1. If this changes, links
    // change: bump the container version (docs/FORMAT.md, "Versioning").
    std::vector<uint8_t> hello = encodeOk(bytesOf("Hello, kolmo! Hello, kolmo! Hello, kolmo!\n"));
    MESSAGE("pinned sizes: " << a.size() << " " << hello.size() << " hash "
                             << hashBytes64(0, a.data(), a.size()));
    CHECK(hashBytes64(0, a.data(), a.size()) == kPinnedHash);
  }

  TEST_CASE("length over the decoder's limit is refused before decoding") {
    std::vector<uint8_t> text = pseudoText(1000, 9);
    std::vector<uint8_t> packed = encodeOk(text), back{7};
    CHECK(cmDecode(packed.data(), packed.size(), 999, &back) == Status::kLengthOverLimit);
    CHECK(back.empty());
    CHECK(cmDecode(packed.data(), packed.size(), 1000, &back) == Status::kOk);
  }

  TEST_CASE("truncated streams never crash and are mostly detected by the codec itself") {
    // Every cut near the end (where truncation is hardest to see), every 7th elsewhere:
    // each decode costs a model setup (~10 ms).
    std::vector<uint8_t> text = pseudoText(1500, 11);
    std::vector<uint8_t> packed = encodeOk(text), back;
    int detected = 0, wrong = 0, tried = 0;
    for (size_t cut = 0; cut < packed.size(); ++cut) {
      if (cut + 24 < packed.size() && cut % 7 != 0) continue;
      ++tried;
      Status s = cmDecode(packed.data(), cut, 1 << 20, &back);
      if (s != Status::kOk) {
        ++detected;
        CHECK(back.empty());
      } else {
        CHECK(back != text);  // a cut stream cannot decode to the original
        ++wrong;
      }
    }
    MESSAGE("truncations: " << detected << " refused by cm, " << wrong
                            << " decoded to a wrong text (left to the container check)");
    CHECK(detected >= tried * 8 / 10);
  }

  TEST_CASE("altered streams never crash; trailing garbage is refused") {
    std::vector<uint8_t> text = pseudoText(2000, 13);
    std::vector<uint8_t> packed = encodeOk(text), back;
    uint64_t seed = 5;
    int same = 0;
    for (int iter = 0; iter < 40; ++iter) {
      std::vector<uint8_t> bad = packed;
      size_t pos = splitMix(&seed) % bad.size();
      bad[pos] ^= static_cast<uint8_t>(1 + splitMix(&seed) % 255);
      Status s = cmDecode(bad.data(), bad.size(), 1 << 16, &back);
      if (s == Status::kOk && back == text) ++same;
    }
    CHECK(same == 0);
    // Garbage within the decoder's 6-byte look-ahead cannot be seen (and does not change
    // the text); more than that is refused.
    std::vector<uint8_t> longer = packed;
    for (int i = 0; i < 8; ++i) longer.push_back(0x5A);
    CHECK(cmDecode(longer.data(), longer.size(), 1 << 20, &back) == Status::kCorrupt);
  }

  TEST_CASE("random garbage never crashes, bounded by the limit") {
    uint64_t seed = 31337;
    std::vector<uint8_t> back;
    int lengthRefused = 0;
    for (int iter = 0; iter < 300; ++iter) {
      std::vector<uint8_t> junk(splitMix(&seed) % 40);
      for (auto& b : junk) b = static_cast<uint8_t>(splitMix(&seed));
      Status s = cmDecode(junk.data(), junk.size(), 64, &back);
      lengthRefused += s == Status::kLengthOverLimit;
      if (s == Status::kOk) CHECK(back.size() <= 64);
      else CHECK(back.empty());
    }
    CHECK(lengthRefused > 100);
  }
}
