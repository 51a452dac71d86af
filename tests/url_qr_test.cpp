// Tests of the QR form of the URL text (src/include/kolmo/url_codec.h): exact chunk lengths against big-number
// powers of 43, round trips at every length, the alphabet (43 characters of QR's alphanumeric
// set, all carried by a URL fragment unchanged), canonical-form rejection, and that the form of
// a fragment is read from its first character while base62 texts decode as before.
#include <doctest/doctest.h>

#include "test_util.h"

#include <cstdint>
#include <cstring>
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

// log2 comparisons are not exact enough near equality: compare 43^m with 256^n as big numbers.
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

// QR alphanumeric mode's 45 characters, in QR's table order.
const char kQrAlphanumeric[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

}  // namespace

TEST_SUITE("url_qr") {
  TEST_CASE("alphabet: 43 distinct characters of QR alphanumeric, without space and '%'") {
    CHECK(std::strlen(kUrlQrAlphabet) == 43);
    for (size_t i = 0; i < 43; ++i) {
      const char c = kUrlQrAlphabet[i];
      CHECK(std::strchr(kQrAlphanumeric, c) != nullptr);
      CHECK(c != ' ');
      CHECK(c != '%');
      CHECK(std::strchr(kUrlQrAlphabet + i + 1, c) == nullptr);
    }
    CHECK(std::strchr(kUrlAlphabet, kUrlQrMarker) == nullptr);  // never starts a base62 text
    CHECK(std::strchr(kUrlQrAlphabet, kUrlQrMarker) != nullptr);
  }

  TEST_CASE("chunk lengths are the least m with 43^m >= 256^n") {
    for (size_t n = 0; n <= kUrlQrChunkBytes; ++n) {
      const size_t m = urlQrChunkChars(n);
      CHECK(bigGreaterEq(bigPow(43, m), bigPow(256, n)));
      if (m > 0) CHECK_FALSE(bigGreaterEq(bigPow(43, m - 1), bigPow(256, n)));
    }
    CHECK(urlQrChunkChars(kUrlQrChunkBytes) == kUrlQrChunkChars);
    CHECK(urlQrEncodedLength(0) == 1);
    CHECK(urlQrEncodedLength(21) == 32);
    CHECK(urlQrEncodedLength(1000) == 1 + 47 * 31 + urlQrChunkChars(13));
  }

  TEST_CASE("round trips at every length up to 200 bytes and at chunk edges") {
    for (size_t n = 0; n <= 200; ++n) {
      for (uint64_t seed : {uint64_t{1}, uint64_t{2}}) {
        const std::vector<uint8_t> data = seed == 1 ? randomBytes(n, n) : std::vector<uint8_t>(n, 0xFF);
        std::string text;
        urlEncodeQr(data.data(), data.size(), &text);
        REQUIRE(text.size() == urlQrEncodedLength(n));
        REQUIRE(text[0] == kUrlQrMarker);
        for (char c : text) REQUIRE(std::strchr(kUrlQrAlphabet, c) != nullptr);
        CHECK(urlFormOf(text.data(), text.size()) == UrlForm::kQr);
        std::vector<uint8_t> back;
        REQUIRE(urlDecodeAnyForm(text, &back) == Status::kOk);
        REQUIRE(back == data);
      }
    }
  }

  TEST_CASE("pinned texts (a QR-form change is a format change)") {
    std::string text;
    const uint8_t hi[5] = {0x20, 0x00, 0x8b, 0x68, 0x69};  // "hi", stored
    urlEncodeQr(hi, 5, &text);
    CHECK(text == "-0LV/POOJ");
    const uint8_t zero = 0;
    urlEncodeQr(&zero, 1, &text);
    CHECK(text == "-00");
    const uint8_t ff = 0xFF;
    urlEncodeQr(&ff, 1, &text);
    CHECK(text == "-5.");
  }

  TEST_CASE("refusals: characters, lengths, non-canonical chunks; base62 unaffected") {
    std::vector<uint8_t> out;
    CHECK(urlDecodeAnyForm(std::string("-5a"), &out) == Status::kBadUrlText);   // lowercase
    CHECK(urlDecodeAnyForm(std::string("-5 "), &out) == Status::kBadUrlText);   // space
    CHECK(urlDecodeAnyForm(std::string("-5%"), &out) == Status::kBadUrlText);
    CHECK(urlDecodeAnyForm(std::string("-0"), &out) == Status::kBadUrlText);    // 1 char: no n
    CHECK(urlDecodeAnyForm(std::string("-60"), &out) == Status::kBadUrlText);   // 6*43 >= 256
    CHECK(urlDecodeAnyForm(std::string("-5:"), &out) == Status::kBadUrlText);  // 257
    CHECK(urlDecodeAnyForm(std::string("-5."), &out) == Status::kOk);
    CHECK(out == std::vector<uint8_t>{0xFF});
    CHECK(urlDecodeAnyForm(std::string("-"), &out) == Status::kOk);
    CHECK(out.empty());
    // Base62 texts decode exactly as urlDecode() does, and keep refusing the QR characters.
    for (size_t n : {0, 1, 5, 32, 33, 100}) {
      const std::vector<uint8_t> data = randomBytes(n, 100 + n);
      std::string text;
      urlEncode(data.data(), data.size(), &text);
      CHECK(urlFormOf(text.data(), text.size()) == UrlForm::kBase62);
      REQUIRE(urlDecodeAnyForm(text, &out) == Status::kOk);
      CHECK(out == data);
    }
    CHECK(urlDecode(std::string("-5."), &out) == Status::kBadUrlText);
    CHECK(urlDecodeAnyForm(std::string("2Q1uAy-"), &out) == Status::kBadUrlText);
  }

  TEST_CASE("arbitrary text never crashes and accepted QR texts are canonical") {
    uint64_t seed = 7;
    for (int i = 0; i < 20000; ++i) {
      const size_t n = splitMix(&seed) % 40;
      std::string text(1, kUrlQrMarker);
      for (size_t k = 0; k < n; ++k) text += kUrlQrAlphabet[splitMix(&seed) % 43];
      std::vector<uint8_t> out;
      if (urlDecodeAnyForm(text, &out) == Status::kOk) {
        std::string again;
        urlEncodeQr(out.data(), out.size(), &again);
        REQUIRE(again == text);
      }
    }
  }
}
