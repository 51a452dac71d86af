// Model-free fallback codec ("cm" mode of the link container): an adaptive bitwise
// context-mixing byte coder in the style of lpaq1 (order-1..6 and word contexts with
// bit-history states, a match model, a gated logistic mixer, two APM/SSE stages) driving the
// shared RangeEncoder/RangeDecoder. It wins over the language model on code, JSON and
// repetitive text, and it needs no model download. Integer arithmetic only (no floats, no
// libm), so native and WASM builds produce the same bytes. The stream starts with the text length, arithmetic-coded, so it
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
// kLengthOverLimit and *out is cleared). text may be null when size is 0.
// Cost, both directions: every call first runs the model over a built-in 8 KB primer
// (~6-10 ms natively), then ~1 MB/s (tests/fuzz/cm_bench measures it). Memory: ~2.8 MiB of
// model tables up to 8 KB of text, growing to at most 6.2 MiB, plus a copy of the text.
Status cmEncode(const uint8_t* text, size_t size, std::vector<uint8_t>* out);

// Replaces *text with the decoding of data[0, size). Errors (*text cleared):
// kLengthOverLimit if the coded length exceeds maxTextBytes; kTruncated if decoding needed
// more padding bytes past the end of data than a complete stream ever does; kCorrupt for an
// impossible length code. A damaged stream that still decodes gives a wrong text: callers
// must verify the container's integrity check (container.h does).
Status cmDecode(const uint8_t* data, size_t size, size_t maxTextBytes, std::vector<uint8_t>* text);

// The text length a cm stream declares (its first symbol), without decoding the text: what a
// reader can say before the work. kCorrupt for an impossible length code.
Status cmDeclaredLength(const uint8_t* data, size_t size, uint64_t* length);

}  // namespace kolmo
