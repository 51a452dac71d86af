// Segmented LM bodies (container version 6, kinds 3 and 4; docs/FORMAT.md §5.7): a long text's
// tokens cut into segments, each coded as its own LM payload-3 stream with its own context window
// and in-document model, behind an index that gives every stream's place, so that decoders can
// start all of them at once (several workers, web/lib/worker/segments.js) and the text's length is
// known before any model step.
//
//   varint   text bytes: the length of the original text (checked, and shown before opening)
//   4 bytes  text check: bits 55..24 of textCheckHash64(model id hash, text), big endian (with
//            the header's 8 bits, 40 bits of text check: long texts are where a wrong decode
//            would cost most)
//   varint   n, the number of segments (2 .. kMaxSegments)
//   n varints  each segment's payload bytes (>= 1); they add up to the rest of the body exactly
//   ...      the n payloads, in text order
//
// Why independent segments cost little (bench/segment_cost.cpp): the model's window is 256
// tokens and restarts every 128 anyway; what a segment loses is its in-document model's history
// and one window's warm-up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/container.h"
#include "kolmo/status.h"
#include "kolmo/tokenizer.h"

namespace kolmo {

// The encoder's rule (not the format's: a decoder reads any cut): texts of more than
// kSegmentedAboveTokens coded positions (and at most rule.maxTokens) are cut into ceil(tokens / kSegmentTokens) segments of
// about equal length, each cut moved back to just after a line break when one is near.
// Why 8192 (bench/results/long-open-km2.md, bench/long_open.mjs): on a 157 KB held-out novel
// independence costs +0.90% of the bits against one stream at 8192-token segments, +1.47% at
// 4096 and +2.32% at 2048 (the bound: 1.5%); 8192 still gives 2 workers equal shares of
// any long text (a 150 KB novel: 6 segments).
constexpr size_t kSegmentTokens = 8192;
constexpr size_t kSegmentedAboveTokens = 8192;
// The rule's two numbers (tests and benches choose others; any choice gives valid links).
// The most positions the encoder offers the model by default: 2^19 (~2 MB of prose, ~4 minutes
// to code and to open on 2 threads); longer texts get the cm codec at once (a 4 MiB paste would
// otherwise keep the page coding for ~10 minutes). Decoders read up to kMaxSegmentedTokens.
constexpr size_t kSegmentedEncodeMaxTokens = size_t{1} << 19;
struct SegmentRule {
  size_t segmentTokens = kSegmentTokens;       // clamped to [16, 32768]
  size_t aboveTokens = kSegmentedAboveTokens;  // coded positions (EOT included) above which a text is cut
  size_t maxTokens = kSegmentedEncodeMaxTokens;  // coded positions in all; at most kMaxSegmentedTokens
};
// Most tokens a segmented link holds (EOT of every segment included): each segment within
// kMaxLmTokens (session.h), 2^22 in all.
constexpr size_t kMaxSegmentedTokens = size_t{1} << 22;
constexpr size_t kMaxSegments = 2048;

struct SegmentSpan {
  size_t offset = 0;  // into the body
  size_t size = 0;
};

struct SegmentIndex {
  uint64_t textBytes = 0;
  uint32_t textCheck = 0;
  std::vector<SegmentSpan> segments;
};

// The index of a segmented body. kCorrupt: a field that is not canonical, n out of range, a
// payload of 0 bytes, lengths that do not add up to the body; then kLengthOverLimit: text bytes
// over limits.maxTextBytes (before any model step: the number is in the index).
Status parseSegmentIndex(const uint8_t* body, size_t size, const ContainerLimits& limits, SegmentIndex* out);

// The most positions a segmented link may decode to: its declared text bytes + one EOT per
// segment (every token holds at least one byte), within kMaxSegmentedTokens. The one rule of the
// work a crafted link can demand; decoders in the core and in JS (view().tokenBound) read it here.
inline uint64_t segmentedTokenBound(const SegmentIndex& index) {
  const uint64_t declared = index.textBytes + index.segments.size();
  return declared < kMaxSegmentedTokens ? declared : kMaxSegmentedTokens;
}

// The body of a segmented link: the index for `text` (the original text) and the payloads.
void writeSegmentedBody(uint64_t modelIdHash, const uint8_t* text, size_t textSize,
                        const std::vector<std::vector<uint8_t>>& payloads, std::vector<uint8_t>* out);

// The 32 check bits a segmented body carries for a text.
uint32_t segmentedTextCheck(uint64_t modelIdHash, const uint8_t* text, size_t size);

// Where the encoder cuts `ids` (the text's tokens, without EOT): the start of every segment
// after the first, increasing; empty when the text is not segmented (at most rule.aboveTokens
// coded positions, or more than rule.maxTokens, kMaxSegmentedTokens or kMaxSegments).
std::vector<size_t> segmentCuts(const Tokenizer& tokenizer, const std::vector<uint32_t>& ids,
                                const SegmentRule& rule = SegmentRule());

}  // namespace kolmo
