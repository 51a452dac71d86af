// Tests of the password envelope's layout (src/include/kolmo/envelope.h): the header every reader sees, the
// 16-byte overhead, splitting and framing, the refusals (short, unknown kind, over the limit,
// nested), and that a reader without envelopes (parse()) answers unknown_mode for one.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "kolmo/container.h"
#include "kolmo/checksum.h"
#include "kolmo/envelope.h"

using namespace kolmo;

namespace {

std::vector<uint8_t> storedContainer(const char* text) {
  std::vector<uint8_t> out;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text);
  const size_t n = std::strlen(text);
  REQUIRE(pack(ContainerMode::kStored, 0, 0, bytes, n, bytes, n, ContainerLimits{}, &out) == Status::kOk);
  return out;
}

// Stands in for AES-GCM output: any bytes of the right length (the layout does not look inside).
std::vector<uint8_t> fakeSealed(size_t innerSize) {
  std::vector<uint8_t> sealed(innerSize + kEnvelopeTagBytes);
  for (size_t i = 0; i < sealed.size(); ++i) sealed[i] = static_cast<uint8_t>(i * 37 + 11);
  return sealed;
}

const uint8_t kSalt[kEnvelopeSaltBytes] = {1, 2, 3, 4, 5, 6, 7};

}  // namespace

TEST_SUITE("envelope") {
  TEST_CASE("format constants: version 1 / mode 3 header, 16 bytes of overhead, 600k iterations") {
    CHECK((kEnvelopeHeader >> 5) == kContainerVersion);
    CHECK(((kEnvelopeHeader >> 3) & 3) == 3);
    CHECK(kEnvelopeOverheadBytes == 16);
    CHECK(kEnvelopeAadBytes == 1 + kEnvelopeSaltBytes);
    CHECK(kEnvelopePbkdf2Iterations >= 600000);
    CHECK(kEnvelopeTagBytes * 8 >= 64);
  }

  TEST_CASE("wrap then parse gives back salt, sealed bytes and the additional data") {
    const std::vector<uint8_t> sealed = fakeSealed(storedContainer("hi").size());
    std::vector<uint8_t> envelope;
    REQUIRE(envelopeWrap(kSalt, sizeof kSalt, sealed.data(), sealed.size(), ContainerLimits{}, &envelope) == Status::kOk);
    // New envelopes are typo-proof (container version 6): 3 more bytes, the syndrome trailer.
    CHECK(envelope.size() == sealed.size() + kEnvelopeAadBytes + kLinkSyndromeBytes);
    CHECK(envelope.size() - (sealed.size() - kEnvelopeTagBytes) == kEnvelopeOverheadBytes + kLinkSyndromeBytes);
    CHECK(envelope[0] == kEnvelopeHeaderTypoProof);
    CHECK(linkSyndrome(envelope.data(), envelope.size()) == 0);
    CHECK(isEnvelope(envelope.data(), envelope.size()));
    EnvelopeView view;
    REQUIRE(envelopeParse(envelope.data(), envelope.size(), ContainerLimits{}, &view) == Status::kOk);
    CHECK(view.kind == 0);
    CHECK(std::vector<uint8_t>(view.salt, view.salt + kEnvelopeSaltBytes) == std::vector<uint8_t>(kSalt, kSalt + 7));
    CHECK(view.aad == envelope.data());
    CHECK(std::vector<uint8_t>(view.sealed, view.sealed + view.sealedSize) == sealed);
    // Every changed byte is named as damage, before any password is tried.
    for (size_t i = 0; i < envelope.size(); ++i) {
      std::vector<uint8_t> damaged = envelope;
      damaged[i] ^= 0x01;
      if (!isEnvelope(damaged.data(), damaged.size())) continue;  // the header left the envelope kinds
      CHECK(envelopeParse(damaged.data(), damaged.size(), ContainerLimits{}, &view) != Status::kOk);
    }
    // An envelope of an earlier release (version 1, header 0x38, no trailer) keeps opening.
    std::vector<uint8_t> legacy = {kEnvelopeHeader};
    legacy.insert(legacy.end(), kSalt, kSalt + kEnvelopeSaltBytes);
    legacy.insert(legacy.end(), sealed.begin(), sealed.end());
    REQUIRE(envelopeParse(legacy.data(), legacy.size(), ContainerLimits{}, &view) == Status::kOk);
    CHECK(std::vector<uint8_t>(view.sealed, view.sealed + view.sealedSize) == sealed);
  }

  TEST_CASE("a reader without envelopes refuses one as unknown_mode; ordinary containers are no envelope") {
    const std::vector<uint8_t> sealed = fakeSealed(8);
    std::vector<uint8_t> envelope;
    REQUIRE(envelopeWrap(kSalt, sizeof kSalt, sealed.data(), sealed.size(), ContainerLimits{}, &envelope) == Status::kOk);
    ContainerView view;
    CHECK(parse(envelope.data(), envelope.size(), ContainerLimits{}, &view) == Status::kUnknownMode);
    for (int header = 0; header < 256; ++header) {
      const uint8_t byte = static_cast<uint8_t>(header);
      CHECK(isEnvelope(&byte, 1) == ((header >= 0x38 && header <= 0x3F) || header == kEnvelopeHeaderTypoProof));
    }
    const std::vector<uint8_t> plain = storedContainer("hello");
    CHECK_FALSE(isEnvelope(plain.data(), plain.size()));
    CHECK_FALSE(isEnvelope(nullptr, 0));
  }

  TEST_CASE("refusals: not an envelope, unknown kind, too short, over the limit, bad wrap arguments") {
    const std::vector<uint8_t> sealed = fakeSealed(3);
    std::vector<uint8_t> envelope;
    REQUIRE(envelopeWrap(kSalt, sizeof kSalt, sealed.data(), sealed.size(), ContainerLimits{}, &envelope) == Status::kOk);
    EnvelopeView view;
    REQUIRE(envelopeParse(envelope.data(), envelope.size(), ContainerLimits{}, &view) == Status::kOk);
    // Every cut: shorter than the smallest envelope (header + salt + 3-byte container + tag +
    // trailer) is truncated; this envelope is the smallest, so every cut is.
    for (size_t cut = 1; cut < envelope.size(); ++cut) {
      CHECK(envelopeParse(envelope.data(), cut, ContainerLimits{}, &view) == Status::kTruncated);
    }
    for (uint8_t kind = 1; kind < 8; ++kind) {
      std::vector<uint8_t> newer = envelope;
      newer[0] = static_cast<uint8_t>(kEnvelopeHeader | kind);
      CHECK(envelopeParse(newer.data(), newer.size(), ContainerLimits{}, &view) == Status::kUnknownMode);
    }
    const std::vector<uint8_t> plain = storedContainer("hello");
    CHECK(envelopeParse(plain.data(), plain.size(), ContainerLimits{}, &view) == Status::kBadArgument);
    ContainerLimits small;
    small.maxContainerBytes = 2;  // the envelope may exceed it by its overhead only
    CHECK(envelopeParse(envelope.data(), envelope.size(), small, &view) == Status::kLengthOverLimit);
    CHECK(envelopeWrap(kSalt, sizeof kSalt, sealed.data(), sealed.size(), small, &envelope) == Status::kLengthOverLimit);
    CHECK(envelopeWrap(kSalt, 6, sealed.data(), sealed.size(), ContainerLimits{}, &envelope) == Status::kBadArgument);
    CHECK(envelopeWrap(kSalt, 7, sealed.data(), kEnvelopeTagBytes + 2, ContainerLimits{}, &envelope) == Status::kBadArgument);
    CHECK(envelope.empty());
  }

  TEST_CASE("the decrypted inner container must parse and must not be an envelope itself") {
    const std::vector<uint8_t> plain = storedContainer("hello");
    CHECK(envelopeCheckInner(plain.data(), plain.size(), ContainerLimits{}) == Status::kOk);
    const std::vector<uint8_t> sealed = fakeSealed(plain.size());
    std::vector<uint8_t> nested;
    REQUIRE(envelopeWrap(kSalt, sizeof kSalt, sealed.data(), sealed.size(), ContainerLimits{}, &nested) == Status::kOk);
    CHECK(envelopeCheckInner(nested.data(), nested.size(), ContainerLimits{}) == Status::kCorrupt);
    const uint8_t newerVersion[3] = {0xE0, 0, 0};  // version 7
    CHECK(envelopeCheckInner(newerVersion, 3, ContainerLimits{}) == Status::kUnknownVersion);
    CHECK(envelopeCheckInner(plain.data(), 2, ContainerLimits{}) == Status::kTruncated);
  }
}
