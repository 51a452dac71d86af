// Link container framing, fallback decoding and mode choice (see container.h, docs/FORMAT.md).
#include "kolmo/container.h"

#include <cstring>

#include "kolmo/checksum.h"
#include "kolmo/url_codec.h"
#include "cm_codec.h"
#include "segments.h"
#include "varint.h"

namespace kolmo {

namespace {

constexpr int kMaxVarintBytes = 5;  // a 32-bit model index

uint64_t checkSeed(ContainerMode mode, uint64_t modelIdHash) {
  return mode == ContainerMode::kLm ? modelIdHash : 0;
}

size_t varintSize(uint32_t modelIndex) {
  size_t n = 0;
  if (modelIndex >= kModelIndexVarint) {
    do {
      ++n;
      modelIndex >>= 7;
    } while (modelIndex != 0);
  }
  return n;
}

constexpr size_t kTypoProofMinBytes = 1 + 1 + kLinkSyndromeBytes;  // header + check + trailer

// The kinds version 6 assigns (FORMAT.md §2.1): stored, cm, envelope, segmented lm, and the lm groups.
bool isAssignedKind(uint8_t kind) { return kind <= kTypoProofKindLmSegmentedCrlf || kind >= kTypoProofKindLmV1; }

bool isSegmentedKind(uint8_t kind) {
  return kind == kTypoProofKindLmSegmented || kind == kTypoProofKindLmSegmentedCrlf;
}

// The version-6 kind of a link (FORMAT.md §2.1).
uint8_t typoProofKindOf(ContainerMode mode, uint32_t modelField, int lmPayloadVersion, bool crlf) {
  switch (mode) {
    case ContainerMode::kStored:
      return kTypoProofKindStored;
    case ContainerMode::kCm:
      return kTypoProofKindCm;
    default:
      return static_cast<uint8_t>((lmPayloadVersion == 1 ? kTypoProofKindLmV1
                                   : crlf               ? kTypoProofKindLmV3Crlf
                                                        : kTypoProofKindLmV3) +
                                  modelField);
  }
}

// Reads the varint model index at data[*pos] (FORMAT.md §2): a 32-bit value of at least 7 (else
// the 3-bit field holds it). kTruncated / kCorrupt.
Status readVarintIndex(const uint8_t* data, size_t size, size_t* pos, uint32_t* modelIndex) {
  uint64_t v = 0;
  const Status s = readVarint(data, size, pos, kMaxVarintBytes, 0xFFFFFFFFull, &v);
  if (s != Status::kOk) return s;
  if (v < kModelIndexVarint) return Status::kCorrupt;
  *modelIndex = static_cast<uint32_t>(v);
  return Status::kOk;
}

Status parseTypoProof(const uint8_t* data, size_t size, const ContainerLimits& limits,
                      ContainerView* view) {
  if (size < kTypoProofMinBytes) return Status::kTruncated;
  if (size > limits.maxContainerBytes) return Status::kLengthOverLimit;
  // The syndrome first: any change is named as what it is, before a damaged field is read.
  if (linkSyndrome(data, size) != 0) return Status::kDamagedLink;
  const uint8_t kind = data[0] & 0x1F;
  if (!isAssignedKind(kind)) return Status::kCorrupt;
  if (kind == kTypoProofKindEnvelope) return Status::kUnknownMode;  // envelopeParse() reads it
  ContainerMode mode;
  uint32_t modelField = 0;
  size_t pos = 1;
  uint32_t modelIndex = 0;
  if (isSegmentedKind(kind)) {
    mode = ContainerMode::kLm;
    uint64_t index = 0;
    Status s = readVarint(data, size, &pos, kMaxVarintBytes, 0xFFFFFFFFull, &index);
    if (s != Status::kOk) return s;
    modelIndex = static_cast<uint32_t>(index);
  } else if (kind == kTypoProofKindStored) {
    mode = ContainerMode::kStored;
  } else if (kind == kTypoProofKindCm) {
    mode = ContainerMode::kCm;
  } else {
    mode = ContainerMode::kLm;
    modelField = kind & 7;
    modelIndex = modelField;
  }
  if (kind >= kTypoProofKindLmV1 && modelField == kModelIndexVarint) {
    Status s = readVarintIndex(data, size, &pos, &modelIndex);
    if (s != Status::kOk) return s;
  }
  if (size - pos < 1 + kLinkSyndromeBytes) return Status::kTruncated;
  const size_t bodySize = size - pos - 1 - kLinkSyndromeBytes;
  if (mode == ContainerMode::kStored && bodySize > limits.maxTextBytes) return Status::kLengthOverLimit;
  view->version = kContainerVersionTypoProof;
  view->mode = mode;
  view->modelIndex = modelIndex;
  view->check = data[pos];
  view->body = data + pos + 1;
  view->bodySize = bodySize;
  view->typoProofKind = kind;
  return Status::kOk;
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
            std::vector<uint8_t>* out, int lmPayloadVersion, bool crlfLineBreaks,
            LinkFraming framing, bool segmented) {
  out->clear();
  if (mode != ContainerMode::kStored && mode != ContainerMode::kCm && mode != ContainerMode::kLm) {
    return Status::kBadArgument;
  }
  if (lmPayloadVersion < 1 || lmPayloadVersion > 3 || (lmPayloadVersion != 1 && mode != ContainerMode::kLm)) {
    return Status::kBadArgument;
  }
  if (crlfLineBreaks && lmPayloadVersion == 1) return Status::kBadArgument;
  const bool typoProof = framing == LinkFraming::kTypoProof;
  // Version 6 writes LM payloads 1 and 3 only (payload 2 is no longer written by anyone).
  if (typoProof && lmPayloadVersion == 2) return Status::kBadArgument;
  if (segmented && (!typoProof || mode != ContainerMode::kLm || lmPayloadVersion != 3)) return Status::kBadArgument;
  const uint8_t version = typoProof ? kContainerVersionTypoProof : containerVersionOf(lmPayloadVersion, crlfLineBreaks);
  if (mode != ContainerMode::kLm && modelIndex != 0) return Status::kBadArgument;
  if (mode == ContainerMode::kStored &&
      (bodySize != textSize || (textSize > 0 && std::memcmp(body, text, textSize) != 0))) {
    return Status::kBadArgument;
  }
  if (textSize > limits.maxTextBytes) return Status::kLengthOverLimit;
  size_t total = containerFramingBytes(modelIndex, framing, segmented) + bodySize;
  if (total > limits.maxContainerBytes) return Status::kLengthOverLimit;

  out->reserve(total);
  uint32_t field = modelIndex < kModelIndexVarint ? modelIndex : kModelIndexVarint;
  if (segmented) {
    out->push_back(static_cast<uint8_t>((version << 5) | (crlfLineBreaks ? kTypoProofKindLmSegmentedCrlf
                                                                         : kTypoProofKindLmSegmented)));
    appendVarint(modelIndex, out);
  } else {
    const uint32_t low = typoProof ? typoProofKindOf(mode, field, lmPayloadVersion, crlfLineBreaks)
                                   : (static_cast<uint32_t>(mode) << 3) | field;
    out->push_back(static_cast<uint8_t>((version << 5) | low));
    if (field == kModelIndexVarint) appendVarint(modelIndex, out);
  }
  if (typoProof) {
    out->push_back(textCheck8(checkSeed(mode, modelIdHash), text, textSize));
  } else {
    uint16_t check = textCheck16(checkSeed(mode, modelIdHash), text, textSize);
    out->push_back(static_cast<uint8_t>(check >> 8));
    out->push_back(static_cast<uint8_t>(check));
  }
  if (bodySize > 0) out->insert(out->end(), body, body + bodySize);
  if (typoProof) appendLinkSyndrome(out);
  return Status::kOk;
}

size_t containerFramingBytes(uint32_t modelIndex, LinkFraming framing, bool segmented) {
  if (segmented) return 1 + varintBytes(modelIndex) + 1 + kLinkSyndromeBytes;
  return framing == LinkFraming::kTypoProof ? 1 + varintSize(modelIndex) + 1 + kLinkSyndromeBytes
                                            : 1 + varintSize(modelIndex) + 2;
}

Status parse(const uint8_t* data, size_t size, const ContainerLimits& limits, ContainerView* view) {
  if (size == 0) return Status::kTruncated;
  uint8_t header = data[0];
  uint8_t version = header >> 5;
  uint32_t modeField = (header >> 3) & 3;
  uint32_t modelField = header & 7;
  if (version == kContainerVersionTypoProof) return parseTypoProof(data, size, limits, view);
  if (version < kContainerVersion || version > kContainerVersionLmV3Crlf) return Status::kUnknownVersion;
  if (modeField == 3) return Status::kUnknownMode;
  ContainerMode mode = static_cast<ContainerMode>(modeField);
  if (version != kContainerVersion && mode != ContainerMode::kLm) return Status::kCorrupt;
  if (mode != ContainerMode::kLm && modelField != 0) return Status::kCorrupt;

  size_t pos = 1;
  uint32_t modelIndex = modelField;
  if (modelField == kModelIndexVarint) {
    Status s = readVarintIndex(data, size, &pos, &modelIndex);
    if (s != Status::kOk) return s;
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
  view->typoProofKind = 0;
  return Status::kOk;
}

Status verify(const ContainerView& view, uint64_t modelIdHash, const uint8_t* text, size_t size) {
  const uint64_t seed = checkSeed(view.mode, modelIdHash);
  const uint16_t expected = view.version == kContainerVersionTypoProof ? textCheck8(seed, text, size)
                                                                       : textCheck16(seed, text, size);
  if (expected != view.check) return Status::kChecksumMismatch;
  if (view.segmented()) {
    // The index's length and 32 more check bits (segments.h).
    SegmentIndex index;
    ContainerLimits unbounded;
    unbounded.maxTextBytes = ~size_t{0};
    if (!isOk(parseSegmentIndex(view.body, view.bodySize, unbounded, &index)) || index.textBytes != size ||
        index.textCheck != segmentedTextCheck(seed, text, size)) {
      return Status::kChecksumMismatch;
    }
  }
  return Status::kOk;
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
                size_t* chosenLm, LinkFraming framing) {
  const size_t plainFraming = containerFramingBytes(0, framing);
  out->clear();
  if (textSize > limits.maxTextBytes) return Status::kLengthOverLimit;
  if (numLmBodies > 0 && lmBodies == nullptr) return Status::kBadArgument;

  // Candidates in order of preference on a tie; ~size_t{0} = none yet.
  size_t bestSize = ~size_t{0};
  ContainerMode best = ContainerMode::kStored;
  size_t bestLm = 0;
  if (allowedModes & modeBit(ContainerMode::kStored)) bestSize = plainFraming + textSize;
  std::vector<uint8_t> cmBody;
  if (allowedModes & modeBit(ContainerMode::kCm)) {
    Status s = cmEncode(text, textSize, &cmBody);
    if (s == Status::kOk && plainFraming + cmBody.size() < bestSize) {
      best = ContainerMode::kCm;
      bestSize = plainFraming + cmBody.size();
    }
  }
  if (allowedModes & modeBit(ContainerMode::kLm)) {
    for (size_t i = 0; i < numLmBodies; ++i) {
      const size_t lmFraming = containerFramingBytes(modelIndex, framing, lmBodies[i].segmented);
      if (lmFraming + lmBodies[i].size < bestSize) {
        best = ContainerMode::kLm;
        bestLm = i;
        bestSize = lmFraming + lmBodies[i].size;
      }
    }
  }
  if (bestSize == ~size_t{0}) return Status::kBadArgument;
  if (chosen != nullptr) *chosen = best;
  if (chosenLm != nullptr) *chosenLm = bestLm;
  switch (best) {
    case ContainerMode::kCm:
      return pack(best, 0, 0, text, textSize, cmBody.data(), cmBody.size(), limits, out, 1, false, framing);
    case ContainerMode::kLm: {
      const LmBody& lm = lmBodies[bestLm];
      return pack(best, modelIndex, modelIdHash, text, textSize, lm.data, lm.size, limits, out,
                  lm.payloadVersion, lm.crlfLineBreaks, framing, lm.segmented);
    }
    default:
      return pack(best, 0, 0, text, textSize, text, textSize, limits, out, 1, false, framing);
  }
}

Status packBest(const uint8_t* text, size_t textSize, const std::vector<uint8_t>* lmBody,
                uint32_t modelIndex, uint64_t modelIdHash, const ContainerLimits& limits,
                std::vector<uint8_t>* out, ContainerMode* chosen, int lmPayloadVersion,
                bool crlfLineBreaks, LinkFraming framing) {
  LmBody body;
  if (lmBody != nullptr) {
    body = LmBody{lmBody->data(), lmBody->size(), lmPayloadVersion, crlfLineBreaks};
  }
  return packBest(text, textSize, &body, lmBody != nullptr ? 1 : 0, modelIndex, modelIdHash,
                  limits, kAllModes, out, chosen, nullptr, framing);
}

namespace {

// A version-6 header with an assigned kind, read from the first bytes only.
bool isTypoProofHeader(uint8_t header) {
  return (header >> 5) == kContainerVersionTypoProof && isAssignedKind(header & 0x1F);
}

// The header byte of a fragment text, decoding its first chunk only (cheap for long texts);
// false if that chunk does not decode.
bool headerOfLinkText(const std::string& text, uint8_t* header, std::vector<uint8_t>* scratch) {
  const bool qr = urlFormOf(text.data(), text.size()) == UrlForm::kQr;
  const size_t firstChunkEnd = (qr ? 1 : 0) + (qr ? kUrlQrChunkChars : kUrlChunkChars);
  const size_t n = text.size() > firstChunkEnd ? firstChunkEnd : text.size();
  if (!isOk(urlDecodeAnyForm(text.data(), n, scratch)) || scratch->empty()) return false;
  *header = (*scratch)[0];
  return true;
}

// Is `text` the fragment of an intact version-6 container?
bool isIntactTypoProofText(const std::string& text, std::vector<uint8_t>* scratch) {
  uint8_t header = 0;
  if (!headerOfLinkText(text, &header, scratch) || !isTypoProofHeader(header)) return false;
  return isOk(urlDecodeAnyForm(text.data(), text.size(), scratch)) &&
         scratch->size() >= kTypoProofMinBytes && linkSyndrome(scratch->data(), scratch->size()) == 0;
}

}  // namespace

Status containerFromLinkText(const char* text, size_t length, std::vector<uint8_t>* out) {
  Status s = urlDecodeAnyForm(text, length, out);
  if (!isOk(s) || out->empty()) return s;
  const uint8_t version = (*out)[0] >> 5;
  if (version < kContainerVersion || version > kContainerVersionLmV3Crlf) return s;
  // An earlier version: is it a typo-proof link with its first characters damaged? Edits past
  // the 4th character change a multi-chunk text's header byte by at most one (a carry), which
  // keeps a version-6 header in version 6 or makes it 0xBF / 0xE0, both refused; in a text of
  // one chunk an insertion or deletion anywhere re-aligns the chunk, so all positions count.
  static const char kAnyChar[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz$*+-./:";
  const std::string original(text, length);
  const bool qr = urlFormOf(text, length) == UrlForm::kQr;
  const size_t oneChunk = (qr ? 1 + kUrlQrChunkChars : kUrlChunkChars) + 1;
  const size_t editEnd = length <= oneChunk ? length : 4;
  std::vector<uint8_t> scratch;
  std::string candidate;
  for (size_t pos = 0; pos <= length && pos <= editEnd; ++pos) {
    for (const char* c = kAnyChar; *c != '\0'; ++c) {
      candidate = original;
      candidate.insert(pos, 1, *c);  // the damage was a deletion at pos
      if (isIntactTypoProofText(candidate, &scratch)) return Status::kDamagedLink;
      if (pos < length && pos < 4 && *c != original[pos]) {  // a changed character
        candidate = original;
        candidate[pos] = *c;
        if (isIntactTypoProofText(candidate, &scratch)) return Status::kDamagedLink;
      }
    }
    if (pos < length) {  // the damage was an insertion at pos
      candidate = original;
      candidate.erase(pos, 1);
      if (isIntactTypoProofText(candidate, &scratch)) return Status::kDamagedLink;
    }
    if (pos + 1 < length && pos < 4 && original[pos] != original[pos + 1]) {  // a swap
      candidate = original;
      std::swap(candidate[pos], candidate[pos + 1]);
      if (isIntactTypoProofText(candidate, &scratch)) return Status::kDamagedLink;
    }
  }
  return s;
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
