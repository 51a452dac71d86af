// The lean link container: what the URL fragment (after base62) and the file form carry.
//
//   byte 0      header  [version:3][mode:2][model index:3]   (bit 7 = version MSB)
//   (varint)    model index, only when the 3-bit field is 7 (LEB128, value >= 7, canonical)
//   2 bytes     integrity check, big endian: top 16 bits of textCheckHash64(...) of the
//               ORIGINAL text; lm links hash the full 64-bit model id hash in too
//   rest        body: stored = the text itself; cm = the model-free codec's stream (coded here);
//               lm = the payload of an LmEncoder (kolmo/lm.h; opaque here)
//
// So a link with the default model pays 3 framing bytes. The file form (CLI) is "KLMO" + the
// same bytes. docs/FORMAT.md is the normative description; every change that alters a
// produced link bumps the version and old versions keep decoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

constexpr uint8_t kContainerVersion = 1;     // stored, cm and lm (payload version 1) links
// Version 2: the same framing, only mode lm, whose body is LM payload version 2 (the language
// model mixed with the in-document model, kolmo/lm.h). New lm links use it;
// stored and cm links stay version 1, so every reader of version 1 still opens them.
constexpr uint8_t kContainerVersionLmV2 = 2;
// Version 3: as version 2, for a text whose every line break is CRLF: the payload codes the text
// with LF line breaks (line_breaks.h), which the model knows from training; a reader restores the
// CRs before the check. New lm links of such texts use it; every other lm link stays version 2.
constexpr uint8_t kContainerVersionLmV2Crlf = 3;
// Versions 4 and 5: as versions 2 and 3 with LM payload version 3 (span headers over a family of
// grids instead of per-token flags: session.h). New lm links use them.
constexpr uint8_t kContainerVersionLmV3 = 4;
constexpr uint8_t kContainerVersionLmV3Crlf = 5;
// Version 6: the typo-proof framing of every kind of link (docs/FORMAT.md §2.1). Header
// [110][kind:5] (kinds below), the varint model index (lm, model field 7), an 8-bit text check
// (textCheck8), the body, then a 3-byte link syndrome trailer (checksum.h: the whole container
// is a multiple of a 24-bit prime), so a changed character or two swapped ones are refused with
// certainty before any decoding, and any other damage passes with probability 2^-32 (24 + 8
// bits). New links use it for every mode; versions 1 to 5 keep decoding.
constexpr uint8_t kContainerVersionTypoProof = 6;
constexpr uint8_t kTypoProofKindStored = 0;
constexpr uint8_t kTypoProofKindCm = 1;
constexpr uint8_t kTypoProofKindEnvelope = 2;   // envelope.h; parse() answers kUnknownMode
// A long text as independent segments (segments.h, FORMAT.md §5.7): LM payload 3 streams behind
// a segment index; the varint model index always follows the header (no model field here).
constexpr uint8_t kTypoProofKindLmSegmented = 3;
constexpr uint8_t kTypoProofKindLmSegmentedCrlf = 4;  // ... of a text whose every line break is CRLF
constexpr uint8_t kTypoProofKindLmV1 = 8;       // + model field (0..6, 7 = varint): LM payload 1
constexpr uint8_t kTypoProofKindLmV3 = 16;      // + model field: LM payload 3
constexpr uint8_t kTypoProofKindLmV3Crlf = 24;  // + model field: LM payload 3 of a CRLF text
// Which framing pack() writes: the typo-proof version 6 (every new link), or versions 1 to 5
// (kept for tests and tools that must produce the links of earlier releases).
enum class LinkFraming { kLegacy, kTypoProof };
constexpr uint32_t kModelIndexVarint = 7;    // 3-bit field value: "a varint index follows"
constexpr size_t kContainerMinBytes = 3;     // header + check
constexpr uint8_t kFileMagic[4] = {'K', 'L', 'M', 'O'};

enum class ContainerMode : uint8_t {
  kStored = 0,  // body = text bytes
  kCm = 1,      // body = the model-free codec's stream (coded by packBest)
  kLm = 2,      // body = LM payload (needs the model named by the model index)
  // 3 is reserved: parse() answers kUnknownMode
};

struct ContainerLimits {
  size_t maxTextBytes = size_t{4} << 20;                // decoded text (and packed text) bound
  size_t maxContainerBytes = (size_t{4} << 20) + 64;    // whole container bound (file form:
                                                        // excluding the 4 magic bytes)
};

// A parsed container. body points into the parsed buffer: valid while that buffer lives.
struct ContainerView {
  uint8_t version = 0;
  ContainerMode mode = ContainerMode::kStored;
  uint32_t modelIndex = 0;  // registry index chosen by the caller; always 0 for stored/cm
  uint16_t check = 0;       // 16 bits (versions 1 to 5) or 8 bits (version 6)
  const uint8_t* body = nullptr;
  size_t bodySize = 0;
  uint8_t typoProofKind = 0;  // version 6: the header's kind (it says payload version and CRLF)

  // The LM payload version of an lm body (1 for version 1, 2 for versions 2 and 3, 3 for 4 and 5;
  // version 6: by kind).
  int lmPayloadVersion() const {
    if (segmented()) return 3;
    if (version == kContainerVersionTypoProof) return typoProofKind >= kTypoProofKindLmV3 ? 3 : 1;
    return version == kContainerVersion ? 1 : (version <= kContainerVersionLmV2Crlf ? 2 : 3);
  }
  // Versions 3 and 5 (and kind LmV3Crlf of 6): the payload's text has LF where the text has CRLF
  // (restoreCrlfLineBreaks).
  bool crlfLineBreaks() const {
    if (segmented()) return typoProofKind == kTypoProofKindLmSegmentedCrlf;
    if (version == kContainerVersionTypoProof) return typoProofKind >= kTypoProofKindLmV3Crlf;
    return version == kContainerVersionLmV2Crlf || version == kContainerVersionLmV3Crlf;
  }
  // Version 6, kinds 3 and 4: the body is a segment index and its LM payload-3 streams (segments.h).
  bool segmented() const {
    return version == kContainerVersionTypoProof &&
           (typoProofKind == kTypoProofKindLmSegmented || typoProofKind == kTypoProofKindLmSegmentedCrlf);
  }
};

// Writes header, check and body to *out (replacing it). For stored/cm, modelIndex must be
// 0 and modelIdHash is ignored (the check uses 0); the caller provides the matching body
// (pack() does not code). Errors: kBadArgument (mode not stored/cm/lm, modelIndex != 0 for
// stored/cm, stored body != text), kLengthOverLimit (text or container over limits).
// lmPayloadVersion (1, 2 or 3; 2 and 3 lm only; else kBadArgument) sets the container version of
// an lm link: 1 -> version 1, 2 -> version 2 (3 with crlfLineBreaks), 3 -> version 4 (5 with
// crlfLineBreaks). crlfLineBreaks needs payload 2 or 3 (else kBadArgument): the body codes
// lfLineBreaks(text), the check covers `text` itself.
// segmented: the body is a segment index and its streams (segments.h): version 6, payload 3 only
// (else kBadArgument), kind 3 or 4.
Status pack(ContainerMode mode, uint32_t modelIndex, uint64_t modelIdHash, const uint8_t* text,
            size_t textSize, const uint8_t* body, size_t bodySize, const ContainerLimits& limits,
            std::vector<uint8_t>* out, int lmPayloadVersion = 1, bool crlfLineBreaks = false,
            LinkFraming framing = LinkFraming::kTypoProof, bool segmented = false);

// Bytes a container adds to its body: header (+ varint) + check (+ the version-6 trailer).
size_t containerFramingBytes(uint32_t modelIndex, LinkFraming framing = LinkFraming::kTypoProof,
                             bool segmented = false);

// Splits a container into its fields without decoding the body. Errors, in this order:
// kTruncated (no header byte), kUnknownVersion (version field 0 or 7), then for version 6
// kTruncated (under 5 bytes), kLengthOverLimit, kDamagedLink (the syndrome fails: checked before
// anything else is read), kUnknownMode (the envelope kind), kCorrupt (an unassigned kind);
// for versions 1 to 5 kUnknownMode (mode 3),
// kCorrupt (version 2 to 5 with a mode other than lm; model field != 0 for stored/cm;
// non-canonical or > 32-bit varint index),
// kTruncated (ends inside the varint or the check), kLengthOverLimit (container over
// maxContainerBytes, or a stored body over maxTextBytes). *view is only written on kOk.
// Does not know the caller's model registry: mapping modelIndex to a model (and answering
// kUnknownModel) is the caller's step.
Status parse(const uint8_t* data, size_t size, const ContainerLimits& limits, ContainerView* view);

// kOk if `text` matches the view's check, else kChecksumMismatch. modelIdHash is used for
// lm views only (stored/cm checks are model-free).
Status verify(const ContainerView& view, uint64_t modelIdHash, const uint8_t* text, size_t size);

// Decodes a stored or cm body and verifies it. *text is cleared on any error:
// kBadArgument (lm view), kTruncated / kCorrupt (a damaged cm stream), kLengthOverLimit,
// kChecksumMismatch.
Status decodeFallback(const ContainerView& view, const ContainerLimits& limits,
                      std::vector<uint8_t>* text);

// An lm body the caller coded (LmEncoder, kolmo/lm.h): one candidate of packBest. data is only
// read during the call.
struct LmBody {
  const uint8_t* data = nullptr;
  size_t size = 0;
  int payloadVersion = 1;       // 1, 2 or 3 (sets the container version, as for pack())
  bool crlfLineBreaks = false;  // the body codes lfLineBreaks(text): payload 2 or 3 only
  bool segmented = false;       // a segment index and its payload-3 streams (segments.h)
};

// Modes packBest may choose from: a set of bits 1 << ContainerMode.
constexpr unsigned kAllModes = 7;
constexpr unsigned modeBit(ContainerMode mode) { return 1u << static_cast<unsigned>(mode); }

// THE mode choice of every link: the smallest container of the allowed modes among stored, cm
// (coded here) and each lm body given (the same text coded by the model, e.g. as LM payload
// versions 1 and 2: whichever is smaller). Ties prefer stored, then cm, then the earlier lm
// body (cheapest to decode first). *chosen and *chosenLm (optional) receive the mode and, for
// lm, the index of the body used. Errors: kLengthOverLimit (text or result over limits),
// kBadArgument (no allowed mode can be packed: e.g. only lm and no body; a bad body form).
Status packBest(const uint8_t* text, size_t textSize, const LmBody* lmBodies, size_t numLmBodies,
                uint32_t modelIndex, uint64_t modelIdHash, const ContainerLimits& limits,
                unsigned allowedModes, std::vector<uint8_t>* out, ContainerMode* chosen = nullptr,
                size_t* chosenLm = nullptr, LinkFraming framing = LinkFraming::kTypoProof);

// Packs text in the smallest of: stored, cm (coded here), and lm (lmBody, produced by the
// caller's LmEncoder, when not null): packBest above with one body and every mode. Ties prefer stored, then cm, then lm (cheapest to
// decode), so the result is never larger than the smallest fallback. *chosen (optional)
// receives the mode used. Errors: kLengthOverLimit (text or result over limits).
// lmPayloadVersion: the version of lmBody (1 or 2), which sets the container version of an lm
// result; crlfLineBreaks: lmBody codes lfLineBreaks(text) (version 3, as for pack()).
Status packBest(const uint8_t* text, size_t textSize, const std::vector<uint8_t>* lmBody,
                uint32_t modelIndex, uint64_t modelIdHash, const ContainerLimits& limits,
                std::vector<uint8_t>* out, ContainerMode* chosen = nullptr, int lmPayloadVersion = 1,
                bool crlfLineBreaks = false, LinkFraming framing = LinkFraming::kTypoProof);

// The container of a link's fragment text (either URL form, urlDecodeAnyForm), refusing a text
// that is one typo away from a typo-proof link: a version-6 link whose damage fell on its first
// characters can decode to the header of an earlier version, which only a 16-bit check guards.
// So when the text decodes to a version 1 to 5 header, every text one single-character change,
// adjacent swap, insertion or deletion away that could have produced that header (the edits of
// its first 4 characters; every insertion and deletion when the text is a single chunk) is
// tried, and if one is a version-6 container whose syndrome holds, the answer is kDamagedLink.
// An untouched earlier link meets such a neighbour with probability ~1e-5 (docs/FORMAT.md §4.1).
// Errors: urlDecodeAnyForm's (kBadUrlText), kDamagedLink.
Status containerFromLinkText(const char* text, size_t length, std::vector<uint8_t>* out);
inline Status containerFromLinkText(const std::string& text, std::vector<uint8_t>* out) {
  return containerFromLinkText(text.data(), text.size(), out);
}

// File form: kFileMagic followed by a link container.
void toFile(const uint8_t* container, size_t size, std::vector<uint8_t>* out);
// True when data starts with kFileMagic (the file form of a container or an envelope).
bool isFileForm(const uint8_t* data, size_t size);
// kBadMagic if data does not start with the magic (kTruncated if it is a strict prefix of
// it), else parse() of the rest.
Status parseFile(const uint8_t* data, size_t size, const ContainerLimits& limits,
                 ContainerView* view);

}  // namespace kolmo
