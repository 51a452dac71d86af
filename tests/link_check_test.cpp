// Tests of typo-proof links (container version 6, docs/FORMAT.md §2.1 and §4.1): the syndrome's
// prime has the properties the certainty argument needs, every kind round-trips, and every
// single-character change, adjacent swap, insertion and deletion of version-6 links in both URL
// forms is refused before any decoding, while links of earlier releases keep opening.
#include <doctest/doctest.h>

#include "test_util.h"

#include <cstdint>
#include <string>
#include <vector>

#include "kolmo/checksum.h"
#include "kolmo/container.h"
#include "kolmo/envelope.h"
#include "kolmo/url_codec.h"

using namespace kolmo;

namespace {

using kolmo_test::splitMix;

const ContainerLimits kDefaults;
const uint64_t kModel = modelIdHash("link-check-test-model");
// Every character a fragment may hold in either form, and the QR marker.
const std::string kAnyChar = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz$*+-./:";

std::vector<uint8_t> randomBytes(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(splitMix(&seed));
  return v;
}

uint64_t powMod(uint64_t base, uint64_t exp, uint64_t mod) {
  uint64_t r = 1 % mod;
  base %= mod;
  while (exp > 0) {
    if (exp & 1) r = r * base % mod;
    base = base * base % mod;
    exp >>= 1;
  }
  return r;
}

// What a reader does with a fragment before any model work: the container, then its framing.
Status openFraming(const std::string& fragment) {
  std::vector<uint8_t> bytes;
  Status s = containerFromLinkText(fragment, &bytes);
  if (!isOk(s)) return s;
  if (isEnvelope(bytes.data(), bytes.size())) {
    EnvelopeView envelope;
    return envelopeParse(bytes.data(), bytes.size(), kDefaults, &envelope);
  }
  ContainerView view;
  return parse(bytes.data(), bytes.size(), kDefaults, &view);
}

struct DamageCounts {
  size_t tried = 0;
  size_t accepted = 0;   // passed the framing (would reach decoding and the text check)
  size_t damaged = 0;    // refused as damaged_link
};

// Every single-character substitution, adjacent swap, insertion and deletion of a fragment.
void damageAll(const std::string& link, DamageCounts* substitutionsAndSwaps, DamageCounts* insertionsAndDeletions) {
  auto count = [](DamageCounts* c, Status s) {
    ++c->tried;
    if (isOk(s)) ++c->accepted;
    if (s == Status::kDamagedLink) ++c->damaged;
  };
  std::string d;
  for (size_t pos = 0; pos <= link.size(); ++pos) {
    for (char c : kAnyChar) {
      d = link;
      d.insert(pos, 1, c);
      count(insertionsAndDeletions, openFraming(d));
      if (pos < link.size() && c != link[pos]) {
        d = link;
        d[pos] = c;
        count(substitutionsAndSwaps, openFraming(d));
      }
    }
    if (pos < link.size()) {
      d = link;
      d.erase(pos, 1);
      count(insertionsAndDeletions, openFraming(d));
    }
    if (pos + 1 < link.size() && link[pos] != link[pos + 1]) {
      d = link;
      std::swap(d[pos], d[pos + 1]);
      count(substitutionsAndSwaps, openFraming(d));
    }
  }
}

std::vector<uint8_t> typoProof(ContainerMode mode, uint32_t modelIndex, const std::vector<uint8_t>& text,
                               const std::vector<uint8_t>& body, int payload = 1, bool crlf = false) {
  std::vector<uint8_t> out;
  REQUIRE(pack(mode, modelIndex, mode == ContainerMode::kLm ? kModel : 0, text.data(), text.size(), body.data(),
               body.size(), kDefaults, &out, payload, crlf) == Status::kOk);
  return out;
}

}  // namespace

TEST_SUITE("link check") {
  TEST_CASE("the prime: no digit difference and no chunk-boundary weight is a multiple of it") {
    const uint64_t p = kLinkSyndromePrime;
    for (uint64_t d = 2; d * d <= p; ++d) REQUIRE(p % d != 0);  // prime
    CHECK(p > 255);  // larger than any byte or digit difference, so never divides one
    // A swap across a chunk boundary changes the number by (a - b) * 256^e * (256^n - b^(m(n)-1)),
    // n the next chunk's bytes; inside a chunk by (a - b) * b^k * (b - 1).
    for (size_t n = 1; n <= kUrlChunkBytes; ++n) {
      CHECK(powMod(256, n, p) != powMod(62, urlChunkChars(n) - 1, p));
    }
    for (size_t n = 1; n <= kUrlQrChunkBytes; ++n) {
      CHECK(powMod(256, n, p) != powMod(43, urlQrChunkChars(n) - 1, p));
    }
    CHECK(61 % p != 0);
    CHECK(42 % p != 0);
    CHECK(255 % p != 0);
  }

  TEST_CASE("every kind round-trips: header, model index, payload version, CRLF, check, body") {
    const std::vector<uint8_t> text = {'h', 'i', '\r', '\n'};
    const std::vector<uint8_t> body = randomBytes(40, 7);
    struct Case { ContainerMode mode; uint32_t model; int payload; bool crlf; uint8_t header; };
    const Case cases[] = {{ContainerMode::kStored, 0, 1, false, 0xC0}, {ContainerMode::kCm, 0, 1, false, 0xC1},
                          {ContainerMode::kLm, 0, 1, false, 0xC8},     {ContainerMode::kLm, 2, 3, false, 0xD2},
                          {ContainerMode::kLm, 1, 3, true, 0xD9},      {ContainerMode::kLm, 300, 3, false, 0xD7}};
    for (const Case& c : cases) {
      const std::vector<uint8_t>& b = c.mode == ContainerMode::kStored ? text : body;
      const std::vector<uint8_t> link = typoProof(c.mode, c.model, text, b, c.payload, c.crlf);
      CHECK(link[0] == c.header);
      CHECK(link.size() == containerFramingBytes(c.model) + b.size());
      CHECK(linkSyndrome(link.data(), link.size()) == 0);
      ContainerView view;
      REQUIRE(parse(link.data(), link.size(), kDefaults, &view) == Status::kOk);
      CHECK(view.version == kContainerVersionTypoProof);
      CHECK(view.mode == c.mode);
      CHECK(view.modelIndex == c.model);
      CHECK(std::vector<uint8_t>(view.body, view.body + view.bodySize) == b);
      if (c.mode == ContainerMode::kLm) {
        CHECK(view.lmPayloadVersion() == c.payload);
        CHECK(view.crlfLineBreaks() == c.crlf);
      }
      CHECK(verify(view, c.mode == ContainerMode::kLm ? kModel : 0, text.data(), text.size()) == Status::kOk);
      const std::vector<uint8_t> other = {'h', 'o'};
      // The 8-bit text check: this other text happens to differ; the suite below measures damage.
      CHECK(verify(view, 7, text.data(), text.size()) == (c.mode == ContainerMode::kLm ? Status::kChecksumMismatch : Status::kOk));
      (void)other;
    }
    // Payload 2 is not written in version 6; an unassigned kind is corrupt.
    std::vector<uint8_t> out;
    CHECK(pack(ContainerMode::kLm, 0, kModel, text.data(), text.size(), body.data(), body.size(), kDefaults, &out, 2) ==
          Status::kBadArgument);
    std::vector<uint8_t> unassigned = {0xC5, 0};  // kind 5 (3 and 4: segmented, segments_test.cpp)
    const uint32_t t = linkSyndromeTrailer(unassigned.data(), unassigned.size());
    unassigned.insert(unassigned.end(), {static_cast<uint8_t>(t >> 16), static_cast<uint8_t>(t >> 8), static_cast<uint8_t>(t)});
    ContainerView view;
    CHECK(parse(unassigned.data(), unassigned.size(), kDefaults, &view) == Status::kCorrupt);
  }

  TEST_CASE("every single-character damage of version-6 links, both URL forms: refused before decoding") {
    std::vector<std::vector<uint8_t>> links;
    const std::vector<uint8_t> hi = {'h', 'i'};
    links.push_back(typoProof(ContainerMode::kStored, 0, hi, hi));
    const std::string keyText = "key: zy7xj9sRv9VBTrmXNsjN92zc";
    const std::vector<uint8_t> key(keyText.begin(), keyText.end());
    links.push_back(typoProof(ContainerMode::kStored, 0, key, key));
    std::vector<uint8_t> cm;
    REQUIRE(packBest(key.data(), key.size(), nullptr, 0, 0, 0, kDefaults, kAllModes & ~modeBit(ContainerMode::kStored),
                     &cm) == Status::kOk);
    links.push_back(cm);
    links.push_back(typoProof(ContainerMode::kLm, 1, key, randomBytes(37, 11), 3));
    links.push_back(typoProof(ContainerMode::kLm, 2, key, randomBytes(120, 12), 3, true));
    links.push_back(typoProof(ContainerMode::kLm, 0, key, randomBytes(29, 13), 1));
    std::vector<uint8_t> envelope;
    const uint8_t salt[kEnvelopeSaltBytes] = {9, 8, 7, 6, 5, 4, 3};
    const std::vector<uint8_t> sealed = randomBytes(30, 14);
    REQUIRE(envelopeWrap(salt, sizeof salt, sealed.data(), sealed.size(), kDefaults, &envelope) == Status::kOk);
    links.push_back(envelope);

    DamageCounts subs, indels;
    for (const std::vector<uint8_t>& link : links) {
      std::string base62, qr;
      urlEncode(link.data(), link.size(), &base62);
      urlEncodeQr(link.data(), link.size(), &qr);
      REQUIRE(openFraming(base62) == Status::kOk);
      REQUIRE(openFraming(qr) == Status::kOk);
      damageAll(base62, &subs, &indels);
      damageAll(qr, &subs, &indels);
    }
    MESSAGE("substitutions and swaps: " << subs.tried << " tried, " << subs.accepted << " accepted, " << subs.damaged
            << " named damaged_link; insertions and deletions: " << indels.tried << " tried, " << indels.accepted
            << " accepted, " << indels.damaged << " named damaged_link");
    CHECK(subs.tried > 20000);
    CHECK(subs.accepted == 0);  // certain
    CHECK(indels.accepted == 0);  // 2^-24 each at the syndrome alone
  }

  TEST_CASE("the file form: every changed byte and every swap of two bytes is refused") {
    const std::string s = "a stored text of some length, to be damaged byte by byte";
    const std::vector<uint8_t> text(s.begin(), s.end());
    const std::vector<uint8_t> link = typoProof(ContainerMode::kStored, 0, text, text);
    size_t tried = 0;
    for (size_t i = 0; i < link.size(); ++i) {
      for (int v = 0; v < 256; ++v) {
        if (v == link[i]) continue;
        std::vector<uint8_t> d = link;
        d[i] = static_cast<uint8_t>(v);
        ContainerView view;
        ++tried;
        if ((d[0] >> 5) == kContainerVersionTypoProof) CHECK(parse(d.data(), d.size(), kDefaults, &view) != Status::kOk);
      }
      if (i + 1 < link.size() && link[i] != link[i + 1] && i > 0) {
        std::vector<uint8_t> d = link;
        std::swap(d[i], d[i + 1]);
        ContainerView view;
        CHECK(parse(d.data(), d.size(), kDefaults, &view) == Status::kDamagedLink);
      }
    }
    CHECK(tried > 10000);
  }

  TEST_CASE("links of earlier releases keep opening: no false alarm over 3,000 of them") {
    uint64_t seed = 99;
    size_t flagged = 0;
    for (int i = 0; i < 3000; ++i) {
      const size_t n = 1 + splitMix(&seed) % 120;
      const std::vector<uint8_t> text = randomBytes(n, splitMix(&seed));
      std::vector<uint8_t> legacy;
      const bool lm = i % 2 == 1;
      const std::vector<uint8_t> body = lm ? randomBytes(n, splitMix(&seed)) : text;
      REQUIRE(pack(lm ? ContainerMode::kLm : ContainerMode::kStored, lm ? i % 2 : 0, lm ? kModel : 0, text.data(),
                   text.size(), body.data(), body.size(), kDefaults, &legacy, lm ? 3 : 1, false,
                   LinkFraming::kLegacy) == Status::kOk);
      std::string fragment;
      if (i % 3 == 0) {
        urlEncodeQr(legacy.data(), legacy.size(), &fragment);
      } else {
        urlEncode(legacy.data(), legacy.size(), &fragment);
      }
      std::vector<uint8_t> back;
      const Status s = containerFromLinkText(fragment, &back);
      if (s == Status::kDamagedLink) ++flagged;
      if (isOk(s)) CHECK(back == legacy);
    }
    MESSAGE("earlier-release links taken for a damaged version-6 link: " << flagged << " of 3000");
    CHECK(flagged == 0);
  }
}
