// Model-free fallback codec ("cm" mode of the link container): an adaptive bitwise
// context-mixing byte coder in the style of lpaq1 (order-1..6 and word contexts with
// bit-history states, a match model, a gated logistic mixer, two APM/SSE stages) driving the
// shared RangeEncoder/RangeDecoder. It wins over the language model on code, JSON and
// repetitive text. Integer arithmetic only (no floats, no libm), so native and WASM builds
// produce the same bytes. The stream starts with the text length, arithmetic-coded, so it
// is self-delimiting and the decoder knows its output size (and rejects it) before work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

// Largest text the cm stream can describe (its length code has 32 magnitude classes).
constexpr uint64_t kCmMaxTextBytes = (uint64_t{1} << 31) - 1;

// Replaces *out with the cm stream of text[0, size). size <= kCmMaxTextBytes (else
// kLengthOverLimit and *out is cleared). text may be null when size is 0. Memory (both
// directions): model tables of 0.2 MiB for short texts, growing with the text to at most
// 6.2 MiB (reached at 16 KiB of text for the context tables, 64 KiB for the match index).
// Speed: about 1 MB/s per direction natively (tests/fuzz/cm_compare.sh measures it).
Status cmEncode(const uint8_t* text, size_t size, std::vector<uint8_t>* out);

// Replaces *text with the decoding of data[0, size). Errors (*text cleared):
// kLengthOverLimit if the coded length exceeds maxTextBytes; kTruncated if decoding needed
// more padding bytes past the end of data than a complete stream ever does; kCorrupt for an
// impossible length code. A damaged stream that still decodes gives a wrong text: callers
// must verify the container's integrity check (container.h does).
Status cmDecode(const uint8_t* data, size_t size, size_t maxTextBytes, std::vector<uint8_t>* text);

}  // namespace kolmo
