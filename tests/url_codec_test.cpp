// Tests of the base62 URL text codec: exact chunk lengths, round trips at every length,
// canonical-form rejection, and decoding of arbitrary text without crashing.
#include <doctest/doctest.h>

#include "test_util.h"

#include <cstdint>
#include <string>
#include <vector>

#include "kolmo/url_codec.h"

using namespace kolmo;

namespace {

using kolmo_test::splitMix;

std::vector<uint8_t> randomBytes(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(splitMix(&seed) >> 56);
  return v;
}

// Little-endian base 2^32 big numbers, just enough to compare powers exactly.
using Big = std::vector<uint32_t>;
Big bigPow(uint32_t base, size_t exp) {
  Big r{1};
  for (size_t e = 0; e < exp; ++e) {
    uint64_t carry = 0;
    for (auto& limb : r) {
      uint64_t cur = static_cast<uint64_t>(limb) * base + carry;
      limb = static_cast<uint32_t>(cur);
      carry = cur >> 32;
    }
    if (carry) r.push_back(static_cast<uint32_t>(carry));
  }
  return r;
}
bool bigGreaterEq(const Big& a, const Big& b) {
  if (a.size() != b.size()) return a.size() > b.size();
  for (size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] > b[i];
  }
  return true;
}

void checkRoundTrip(const std::vector<uint8_t>& data) {
  std::string text;
  urlEncode(data.data(), data.size(), &text);
  REQUIRE(text.size() == urlEncodedLength(data.size()));
  for (char c : text) {
    REQUIRE(((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')));
  }
  std::vector<uint8_t> back;
  REQUIRE(urlDecode(text, &back) == Status::kOk);
  REQUIRE(back == data);
}

}  // namespace

TEST_SUITE("url_codec") {
  TEST_CASE("chunk lengths are the minimal m with 62^m >= 256^n") {
    for (size_t n = 1; n <= kUrlChunkBytes; ++n) {
      size_t m = urlChunkChars(n);
      CHECK(bigGreaterEq(bigPow(62, m), bigPow(256, n)));
      CHECK_FALSE(bigGreaterEq(bigPow(62, m - 1), bigPow(256, n)));
    }
    CHECK(urlChunkChars(0) == 0);
    CHECK(urlChunkChars(32) == 43);
    CHECK(urlEncodedLength(0) == 0);
    CHECK(urlEncodedLength(1) == 2);
    CHECK(urlEncodedLength(33) == 45);
    CHECK(urlEncodedLength(64) == 86);
  }

  TEST_CASE("alphabet is 0-9A-Za-z in ASCII order") {
    std::string a(kUrlAlphabet);
    REQUIRE(a.size() == 62);
    for (size_t i = 1; i < a.size(); ++i) CHECK(a[i - 1] < a[i]);
  }

  TEST_CASE("round trip every length 0..300 with random bytes") {
    for (size_t n = 0; n <= 300; ++n) {
      checkRoundTrip(randomBytes(n, n * 7919 + 1));
    }
  }

  TEST_CASE("round trip big inputs") {
    checkRoundTrip(randomBytes(100000, 42));
    checkRoundTrip(randomBytes(32 * 1000 + 17, 43));
  }

  TEST_CASE("all-zero and all-0xFF chunks") {
    for (size_t n : {1, 2, 5, 31, 32, 33, 64, 95}) {
      std::vector<uint8_t> zeros(n, 0), ones(n, 0xFF);
      checkRoundTrip(zeros);
      checkRoundTrip(ones);
      std::string text;
      urlEncode(zeros.data(), zeros.size(), &text);
      CHECK(text == std::string(text.size(), '0'));
    }
    std::string text;
    std::vector<uint8_t> one{0xFF};
    urlEncode(one.data(), 1, &text);
    CHECK(text == "47");  // 255 = 4*62 + 7
    std::vector<uint8_t> full(32, 0xFF);
    urlEncode(full.data(), full.size(), &text);
    CHECK(text.size() == 43);
    CHECK(text[0] == 'y');  // (2^256 - 1) / 62^42 = 60.7: the top digit is nearly full
  }

  TEST_CASE("known vector") {
    std::vector<uint8_t> bytes{0x01, 0x00};
    std::string text;
    urlEncode(bytes.data(), bytes.size(), &text);
    CHECK(text == "048");  // 256 = 0*62^2 + 4*62 + 8
  }

  TEST_CASE("rejects characters outside the alphabet") {
    std::vector<uint8_t> data = randomBytes(40, 5);
    std::string text;
    urlEncode(data.data(), data.size(), &text);
    std::vector<uint8_t> out;
    for (char bad : {'-', '_', '.', '~', '+', '/', '=', '%', '#', ' ', '\n', '\0', '\x80', '\xFF'}) {
      for (size_t pos : {size_t{0}, size_t{20}, text.size() - 1}) {
        std::string t = text;
        t[pos] = bad;
        CHECK(urlDecode(t, &out) == Status::kBadUrlText);
        CHECK(out.empty());
      }
    }
  }

  TEST_CASE("rejects lengths no byte count maps to") {
    std::vector<uint8_t> out;
    for (size_t len = 0; len <= 200; ++len) {
      size_t tail = len % kUrlChunkChars;
      int tailBytes = -1;
      for (size_t n = 0; n < kUrlChunkBytes; ++n) {
        if (urlChunkChars(n) == tail) tailBytes = static_cast<int>(n);
      }
      Status s = urlDecode(std::string(len, '0'), &out);
      CHECK(s == (tailBytes >= 0 ? Status::kOk : Status::kBadUrlText));
      if (tailBytes >= 0) CHECK(out.size() == len / 43 * 32 + static_cast<size_t>(tailBytes));
    }
    CHECK(urlDecode(std::string(1, '0'), &out) == Status::kBadUrlText);
    CHECK(urlDecode(std::string(4, '0'), &out) == Status::kBadUrlText);
  }

  TEST_CASE("rejects chunk values >= 256^n") {
    std::vector<uint8_t> out;
    CHECK(urlDecode(std::string("47"), &out) == Status::kOk);   // 255
    CHECK(urlDecode(std::string("48"), &out) == Status::kBadUrlText);  // 256
    CHECK(urlDecode(std::string("zz"), &out) == Status::kBadUrlText);
    CHECK(urlDecode(std::string(43, 'z'), &out) == Status::kBadUrlText);
    // Largest valid full chunk is the encoding of 32 x 0xFF; one more must fail.
    std::vector<uint8_t> full(32, 0xFF);
    std::string text;
    urlEncode(full.data(), full.size(), &text);
    size_t i = text.size() - 1;
    while (text[i] == 'z') text[i--] = '0';
    text[i] = kUrlAlphabet[std::string(kUrlAlphabet).find(text[i]) + 1];
    CHECK(urlDecode(text, &out) == Status::kBadUrlText);
    // The same overflowing chunk in the middle of a longer text.
    std::string longer = std::string(43, '0') + text + std::string(43, '0');
    CHECK(urlDecode(longer, &out) == Status::kBadUrlText);
    // Every tail length: the value 256^n itself is rejected, 256^n - 1 accepted.
    for (size_t n = 1; n < kUrlChunkBytes; ++n) {
      std::vector<uint8_t> maxTail(n, 0xFF);
      urlEncode(maxTail.data(), n, &text);
      CHECK(urlDecode(text, &out) == Status::kOk);
      size_t j = text.size() - 1;
      while (text[j] == 'z') text[j--] = '0';
      text[j] = kUrlAlphabet[std::string(kUrlAlphabet).find(text[j]) + 1];
      CHECK(urlDecode(text, &out) == Status::kBadUrlText);
    }
  }

  TEST_CASE("decoding arbitrary text never crashes and valid texts re-encode identically") {
    uint64_t seed = 99;
    std::vector<uint8_t> out;
    size_t accepted = 0;
    for (int iter = 0; iter < 20000; ++iter) {
      size_t len = splitMix(&seed) % 120;
      std::string t(len, '0');
      bool alphabetOnly = splitMix(&seed) & 1;
      for (auto& c : t) {
        uint64_t r = splitMix(&seed);
        c = alphabetOnly ? kUrlAlphabet[r % 62] : static_cast<char>(r & 0xFF);
      }
      if (urlDecode(t, &out) == Status::kOk) {
        ++accepted;
        std::string again;
        urlEncode(out.data(), out.size(), &again);
        REQUIRE(again == t);  // the text form is canonical
      } else {
        REQUIRE(out.empty());
      }
    }
    CHECK(accepted > 100);
  }
}
