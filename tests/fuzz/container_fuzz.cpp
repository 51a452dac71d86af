// libFuzzer target: the link container and the model-free fallback on untrusted bytes.
//
// Input byte 0 picks a direction:
//   even: the rest is a container (or, with bit 1 set, a file-form container); parse it,
//         decode stored/cm bodies, verify lm checks against two model hashes. Properties:
//         no crash, no leak, bounded time; a decoded fallback text always verifies and
//         re-packs to a container that decodes to the same text.
//   odd:  the rest is a text; packBest it (with a fake lm body taken from the text itself),
//         then parse + decode must give the text back, and cm encoding is deterministic.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kolmo/checksum.h"
#include "cm_codec.h"
#include "kolmo/container.h"
#include "kolmo/line_breaks.h"

using namespace kolmo;

namespace {

// Small limits keep every input fast (the cm codec runs at ~1 MB/s without sanitizers,
// several times slower under them); the size classes of the format are all reachable.
ContainerLimits fuzzLimits() {
  ContainerLimits limits;
  limits.maxTextBytes = 1 << 14;
  limits.maxContainerBytes = (1 << 14) + 64;
  return limits;
}
constexpr size_t kMaxFuzzTextBytes = 4096;  // the text direction codes it three times

void require(bool ok) {
  if (!ok) std::abort();
}

void checkContainer(const uint8_t* data, size_t size, bool fileForm) {
  const ContainerLimits limits = fuzzLimits();
  ContainerView view;
  Status s = fileForm ? parseFile(data, size, limits, &view) : parse(data, size, limits, &view);
  if (s != Status::kOk) return;
  const uint8_t* container = fileForm ? data + sizeof(kFileMagic) : data;
  const size_t containerSize = fileForm ? size - sizeof(kFileMagic) : size;
  if (view.version == kContainerVersionTypoProof) {
    // Version 6: only an intact syndrome parses; the kind says payload and CRLF; the trailer follows the body.
    require(linkSyndrome(container, containerSize) == 0);
    const uint8_t kind = container[0] & 0x1F;
    require(view.mode != ContainerMode::kLm ||
            view.lmPayloadVersion() == (kind >= kTypoProofKindLmV3 ? 3 : 1));
    require(view.crlfLineBreaks() == (view.mode == ContainerMode::kLm && kind >= kTypoProofKindLmV3Crlf));
    require(view.body + view.bodySize + kLinkSyndromeBytes == data + size);
  } else {
    // Versions 2 to 5 exist only for mode lm (LM payload 2: versions 2, 3; payload 3: 4, 5);
    // everything else is version 1.
    require(view.version == kContainerVersion ||
            (view.version >= kContainerVersionLmV2 && view.version <= kContainerVersionLmV3Crlf &&
             view.mode == ContainerMode::kLm));
    require(view.lmPayloadVersion() ==
            (view.version == kContainerVersion ? 1 : (view.version <= kContainerVersionLmV2Crlf ? 2 : 3)));
    require(view.crlfLineBreaks() ==
            (view.version == kContainerVersionLmV2Crlf || view.version == kContainerVersionLmV3Crlf));
    require(view.body + view.bodySize == data + size);
  }
  if (view.mode == ContainerMode::kLm) {
    // Without a model only the check can be exercised.
    uint8_t probe[3] = {1, 2, 3};
    (void)verify(view, modelIdHash("fuzz-a"), probe, sizeof(probe));
    (void)verify(view, modelIdHash("fuzz-b"), view.body, view.bodySize);
    return;
  }
  require(view.modelIndex == 0);
  std::vector<uint8_t> text;
  s = decodeFallback(view, limits, &text);
  if (s != Status::kOk) {
    require(text.empty());
    return;
  }
  require(text.size() <= limits.maxTextBytes);
  require(verify(view, 0, text.data(), text.size()) == Status::kOk);
  std::vector<uint8_t> again, back;
  require(packBest(text.data(), text.size(), nullptr, 0, 0, limits, &again) == Status::kOk);
  ContainerView view2;
  require(parse(again.data(), again.size(), limits, &view2) == Status::kOk);
  require(decodeFallback(view2, limits, &back) == Status::kOk);
  require(back == text);
}

void checkText(const uint8_t* data, size_t size) {
  const ContainerLimits limits = fuzzLimits();
  if (size > kMaxFuzzTextBytes) return;
  std::vector<uint8_t> lmBody(data, data + size / 3);
  std::vector<uint8_t> packed, back;
  ContainerMode mode;
  uint64_t id = modelIdHash("fuzz-model");
  // Every lm container version (1; 2; 3 = 2 with CRLF line breaks; 4; 5 = 4 with CRLF line
  // breaks): the input's length picks one.
  const int lmVersion = 1 + static_cast<int>(size % 5);
  const int lmPayloadVersion = lmVersion == 1 ? 1 : (lmVersion <= 3 ? 2 : 3);
  const bool crlf = lmVersion == 3 || lmVersion == 5;
  // New links are typo-proof (version 6, payloads 1 and 3); the framing of earlier releases too.
  const bool typoProof = lmPayloadVersion != 2 && (size / 5) % 2 == 0;
  const LinkFraming framing = typoProof ? LinkFraming::kTypoProof : LinkFraming::kLegacy;
  require(packBest(data, size, &lmBody, size % 11, id, limits, &packed, &mode, lmPayloadVersion, crlf, framing) ==
          Status::kOk);
  ContainerView view;
  require(parse(packed.data(), packed.size(), limits, &view) == Status::kOk);
  require(view.mode == mode);
  if (typoProof) {
    require(view.version == kContainerVersionTypoProof);
    if (mode == ContainerMode::kLm) {
      require(view.lmPayloadVersion() == lmPayloadVersion);
      require(view.crlfLineBreaks() == crlf);
    }
  } else {
    require(view.version == (mode == ContainerMode::kLm ? lmVersion : kContainerVersion));
  }
  // The line-break transform of versions 3 and 5 is exact where it applies.
  std::vector<uint8_t> lf, restored;
  if (lfLineBreaks(data, size, &lf)) {
    require(lf.size() < size);
    require(restoreCrlfLineBreaks(lf.data(), lf.size(), size, &restored) == Status::kOk);
    require(restored == std::vector<uint8_t>(data, data + size));
  }
  if (mode == ContainerMode::kLm) {
    require(verify(view, id, data, size) == Status::kOk);
    return;
  }
  require(decodeFallback(view, limits, &back) == Status::kOk);
  require(back == std::vector<uint8_t>(data, data + size));
  if (size <= 256) {  // determinism, on short texts only (each encode costs a model setup)
    std::vector<uint8_t> a, b;
    require(cmEncode(data, size, &a) == Status::kOk);
    require(cmEncode(data, size, &b) == Status::kOk);
    require(a == b);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    checkText(data + 1, size - 1);
  } else {
    checkContainer(data + 1, size - 1, (data[0] & 2) != 0);
  }
  return 0;
}
