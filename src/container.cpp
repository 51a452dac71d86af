// Link container framing, fallback decoding and mode choice (see container.h, docs/FORMAT.md).
#include "kolmo/container.h"

#include <cstring>

#include "kolmo/checksum.h"
#include "cm_codec.h"

namespace kolmo {

namespace {

constexpr int kMaxVarintBytes = 5;  // a 32-bit model index

uint64_t checkSeed(ContainerMode mode, uint64_t modelIdHash) {
  return mode == ContainerMode::kLm ? modelIdHash : 0;
}

size_t headerSize(uint32_t modelIndex) {
  size_t n = 1 + 2;
  if (modelIndex >= kModelIndexVarint) {
    do {
      ++n;
      modelIndex >>= 7;
    } while (modelIndex != 0);
  }
  return n;
}

// The container version of an lm link (docs/FORMAT.md §2): payload 1 -> 1; payload 2 -> 2, or
// 3 for a CRLF text; payload 3 -> 4, or 5 for a CRLF text. Stored and cm links are version 1.
uint8_t containerVersionOf(int lmPayloadVersion, bool crlfLineBreaks) {
  switch (lmPayloadVersion) {
    case 2:
      return crlfLineBreaks ? kContainerVersionLmV2Crlf : kContainerVersionLmV2;
    case 3:
      return crlfLineBreaks ? kContainerVersionLmV3Crlf : kContainerVersionLmV3;
    default:
      return kContainerVersion;
  }
}

}  // namespace

Status pack(ContainerMode mode, uint32_t modelIndex, uint64_t modelIdHash, const uint8_t* text,
            size_t textSize, const uint8_t* body, size_t bodySize, const ContainerLimits& limits,
            std::vector<uint8_t>* out, int lmPayloadVersion, bool crlfLineBreaks) {
  out->clear();
  if (mode != ContainerMode::kStored && mode != ContainerMode::kCm && mode != ContainerMode::kLm) {
    return Status::kBadArgument;
  }
  if (lmPayloadVersion < 1 || lmPayloadVersion > 3 || (lmPayloadVersion != 1 && mode != ContainerMode::kLm)) {
    return Status::kBadArgument;
  }
  if (crlfLineBreaks && lmPayloadVersion == 1) return Status::kBadArgument;
  const uint8_t version = containerVersionOf(lmPayloadVersion, crlfLineBreaks);
  if (mode != ContainerMode::kLm && modelIndex != 0) return Status::kBadArgument;
  if (mode == ContainerMode::kStored &&
      (bodySize != textSize || (textSize > 0 && std::memcmp(body, text, textSize) != 0))) {
    return Status::kBadArgument;
  }
  if (textSize > limits.maxTextBytes) return Status::kLengthOverLimit;
  size_t total = headerSize(modelIndex) + bodySize;
  if (total > limits.maxContainerBytes) return Status::kLengthOverLimit;

  out->reserve(total);
  uint32_t field = modelIndex < kModelIndexVarint ? modelIndex : kModelIndexVarint;
  out->push_back(static_cast<uint8_t>((version << 5) |
                                      (static_cast<uint32_t>(mode) << 3) | field));
  if (field == kModelIndexVarint) {
    uint32_t v = modelIndex;
    while (v >= 0x80) {
      out->push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    out->push_back(static_cast<uint8_t>(v));
  }
  uint16_t check = textCheck16(checkSeed(mode, modelIdHash), text, textSize);
  out->push_back(static_cast<uint8_t>(check >> 8));
  out->push_back(static_cast<uint8_t>(check));
  if (bodySize > 0) out->insert(out->end(), body, body + bodySize);
  return Status::kOk;
}

Status parse(const uint8_t* data, size_t size, const ContainerLimits& limits, ContainerView* view) {
  if (size == 0) return Status::kTruncated;
  uint8_t header = data[0];
  uint8_t version = header >> 5;
  uint32_t modeField = (header >> 3) & 3;
  uint32_t modelField = header & 7;
  if (version < kContainerVersion || version > kContainerVersionLmV3Crlf) return Status::kUnknownVersion;
  if (modeField == 3) return Status::kUnknownMode;
  ContainerMode mode = static_cast<ContainerMode>(modeField);
  if (version != kContainerVersion && mode != ContainerMode::kLm) return Status::kCorrupt;
  if (mode != ContainerMode::kLm && modelField != 0) return Status::kCorrupt;

  size_t pos = 1;
  uint32_t modelIndex = modelField;
  if (modelField == kModelIndexVarint) {
    uint64_t v = 0;
    int shift = 0;
    for (;;) {
      if (pos >= size) return Status::kTruncated;
      uint8_t b = data[pos++];
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      shift += 7;
      if (!(b & 0x80)) {
        // Canonical: no redundant zero group at the end, value not codable in 3 bits.
        if (b == 0 && shift > 7) return Status::kCorrupt;
        break;
      }
      if (shift >= 7 * kMaxVarintBytes) return Status::kCorrupt;
    }
    if (v > 0xFFFFFFFFull || v < kModelIndexVarint) return Status::kCorrupt;
    modelIndex = static_cast<uint32_t>(v);
  }
  if (size - pos < 2) return Status::kTruncated;
  if (size > limits.maxContainerBytes) return Status::kLengthOverLimit;
  uint16_t check = static_cast<uint16_t>((data[pos] << 8) | data[pos + 1]);
  pos += 2;
  if (mode == ContainerMode::kStored && size - pos > limits.maxTextBytes) {
    return Status::kLengthOverLimit;
  }
  view->version = version;
  view->mode = mode;
  view->modelIndex = modelIndex;
  view->check = check;
  view->body = data + pos;
  view->bodySize = size - pos;
  return Status::kOk;
}

Status verify(const ContainerView& view, uint64_t modelIdHash, const uint8_t* text, size_t size) {
  return textCheck16(checkSeed(view.mode, modelIdHash), text, size) == view.check
             ? Status::kOk
             : Status::kChecksumMismatch;
}

Status decodeFallback(const ContainerView& view, const ContainerLimits& limits,
                      std::vector<uint8_t>* text) {
  text->clear();
  Status s = Status::kOk;
  switch (view.mode) {
    case ContainerMode::kStored:
      if (view.bodySize > limits.maxTextBytes) return Status::kLengthOverLimit;
      text->assign(view.body, view.body + view.bodySize);
      break;
    case ContainerMode::kCm:
      s = cmDecode(view.body, view.bodySize, limits.maxTextBytes, text);
      break;
    default:
      return Status::kBadArgument;
  }
  if (s == Status::kOk) s = verify(view, 0, text->data(), text->size());
  if (s != Status::kOk) text->clear();
  return s;
}

Status packBest(const uint8_t* text, size_t textSize, const LmBody* lmBodies, size_t numLmBodies,
                uint32_t modelIndex, uint64_t modelIdHash, const ContainerLimits& limits,
                unsigned allowedModes, std::vector<uint8_t>* out, ContainerMode* chosen,
                size_t* chosenLm) {
  out->clear();
  if (textSize > limits.maxTextBytes) return Status::kLengthOverLimit;
  if (numLmBodies > 0 && lmBodies == nullptr) return Status::kBadArgument;

  // Candidates in order of preference on a tie; ~size_t{0} = none yet.
  size_t bestSize = ~size_t{0};
  ContainerMode best = ContainerMode::kStored;
  size_t bestLm = 0;
  if (allowedModes & modeBit(ContainerMode::kStored)) bestSize = headerSize(0) + textSize;
  std::vector<uint8_t> cmBody;
  if (allowedModes & modeBit(ContainerMode::kCm)) {
    Status s = cmEncode(text, textSize, &cmBody);
    if (s == Status::kOk && headerSize(0) + cmBody.size() < bestSize) {
      best = ContainerMode::kCm;
      bestSize = headerSize(0) + cmBody.size();
    }
  }
  if (allowedModes & modeBit(ContainerMode::kLm)) {
    for (size_t i = 0; i < numLmBodies; ++i) {
      if (headerSize(modelIndex) + lmBodies[i].size < bestSize) {
        best = ContainerMode::kLm;
        bestLm = i;
        bestSize = headerSize(modelIndex) + lmBodies[i].size;
      }
    }
  }
  if (bestSize == ~size_t{0}) return Status::kBadArgument;
  if (chosen != nullptr) *chosen = best;
  if (chosenLm != nullptr) *chosenLm = bestLm;
  switch (best) {
    case ContainerMode::kCm:
      return pack(best, 0, 0, text, textSize, cmBody.data(), cmBody.size(), limits, out);
    case ContainerMode::kLm: {
      const LmBody& lm = lmBodies[bestLm];
      return pack(best, modelIndex, modelIdHash, text, textSize, lm.data, lm.size, limits, out,
                  lm.payloadVersion, lm.crlfLineBreaks);
    }
    default:
      return pack(best, 0, 0, text, textSize, text, textSize, limits, out);
  }
}

Status packBest(const uint8_t* text, size_t textSize, const std::vector<uint8_t>* lmBody,
                uint32_t modelIndex, uint64_t modelIdHash, const ContainerLimits& limits,
                std::vector<uint8_t>* out, ContainerMode* chosen, int lmPayloadVersion,
                bool crlfLineBreaks) {
  LmBody body;
  if (lmBody != nullptr) {
    body = LmBody{lmBody->data(), lmBody->size(), lmPayloadVersion, crlfLineBreaks};
  }
  return packBest(text, textSize, &body, lmBody != nullptr ? 1 : 0, modelIndex, modelIdHash,
                  limits, kAllModes, out, chosen);
}

void toFile(const uint8_t* container, size_t size, std::vector<uint8_t>* out) {
  out->assign(kFileMagic, kFileMagic + sizeof(kFileMagic));
  if (size > 0) out->insert(out->end(), container, container + size);
}

bool isFileForm(const uint8_t* data, size_t size) {
  return size >= sizeof(kFileMagic) && std::memcmp(data, kFileMagic, sizeof(kFileMagic)) == 0;
}

Status parseFile(const uint8_t* data, size_t size, const ContainerLimits& limits,
                 ContainerView* view) {
  size_t n = size < sizeof(kFileMagic) ? size : sizeof(kFileMagic);
  if (n > 0 && std::memcmp(data, kFileMagic, n) != 0) return Status::kBadMagic;
  if (size < sizeof(kFileMagic)) return size == 0 ? Status::kBadMagic : Status::kTruncated;
  return parse(data + sizeof(kFileMagic), size - sizeof(kFileMagic), limits, view);
}

}  // namespace kolmo
