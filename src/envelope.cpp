// Password envelope layout (see envelope.h and docs/FORMAT.md §11).
#include "kolmo/envelope.h"

#include "kolmo/checksum.h"

namespace kolmo {

namespace {

constexpr uint8_t kVersionModeMask = 0xF8;  // bits 7..3: version and mode

size_t maxEnvelopeBytes(const ContainerLimits& limits) {
  return limits.maxContainerBytes + kEnvelopeOverheadBytes;
}

}  // namespace

bool isEnvelope(const uint8_t* data, size_t size) {
  return size > 0 && ((data[0] & kVersionModeMask) == (kEnvelopeHeader & kVersionModeMask) ||
                      data[0] == kEnvelopeHeaderTypoProof);
}

Status envelopeParse(const uint8_t* data, size_t size, const ContainerLimits& limits,
                     EnvelopeView* view) {
  if (!isEnvelope(data, size)) return Status::kBadArgument;
  if (data[0] == kEnvelopeHeaderTypoProof) {
    if (size < kEnvelopeOverheadBytes + kLinkSyndromeBytes + kContainerMinBytes) return Status::kTruncated;
    if (size > maxEnvelopeBytes(limits) + kLinkSyndromeBytes) return Status::kLengthOverLimit;
    if (linkSyndrome(data, size) != 0) return Status::kDamagedLink;
    view->kind = 0;
    view->salt = data + 1;
    view->aad = data;
    view->sealed = data + kEnvelopeAadBytes;
    view->sealedSize = size - kEnvelopeAadBytes - kLinkSyndromeBytes;
    return Status::kOk;
  }
  const uint8_t kind = data[0] & kEnvelopeKindMask;
  if (kind != (kEnvelopeHeader & kEnvelopeKindMask)) return Status::kUnknownMode;
  if (size < kEnvelopeOverheadBytes + kContainerMinBytes) return Status::kTruncated;
  if (size > maxEnvelopeBytes(limits)) return Status::kLengthOverLimit;
  view->kind = kind;
  view->salt = data + 1;
  view->aad = data;
  view->sealed = data + kEnvelopeAadBytes;
  view->sealedSize = size - kEnvelopeAadBytes;
  return Status::kOk;
}

Status envelopeWrap(const uint8_t* salt, size_t saltSize, const uint8_t* sealed, size_t sealedSize,
                    const ContainerLimits& limits, std::vector<uint8_t>* out) {
  out->clear();
  if (saltSize != kEnvelopeSaltBytes || sealedSize < kEnvelopeTagBytes + kContainerMinBytes) {
    return Status::kBadArgument;
  }
  if (kEnvelopeAadBytes + sealedSize > maxEnvelopeBytes(limits)) return Status::kLengthOverLimit;
  out->reserve(kEnvelopeAadBytes + sealedSize + kLinkSyndromeBytes);
  out->push_back(kEnvelopeHeaderTypoProof);
  out->insert(out->end(), salt, salt + saltSize);
  out->insert(out->end(), sealed, sealed + sealedSize);
  appendLinkSyndrome(out);
  return Status::kOk;
}

Status envelopeCheckInner(const uint8_t* inner, size_t size, const ContainerLimits& limits) {
  if (isEnvelope(inner, size)) return Status::kCorrupt;
  ContainerView view;
  return parse(inner, size, limits, &view);
}

}  // namespace kolmo
