#include "segments.h"

#include <algorithm>

#include "kolmo/checksum.h"
#include "session.h"
#include "varint.h"

namespace kolmo {

namespace {

constexpr int kMaxBodyVarintBytes = 9;  // text bytes and payload lengths: up to 63 bits
constexpr size_t kTextCheckBytes = 4;
constexpr size_t kMaxSegmentTokens = 32768;
static_assert(kMaxSegmentTokens + kMaxSegmentTokens / 8 + 1 <= kMaxLmTokens, "a segment fits one LM payload");

}  // namespace

uint32_t segmentedTextCheck(uint64_t modelIdHash, const uint8_t* text, size_t size) {
  // Bits 55..24: beside the header's textCheck8 (bits 63..56), not overlapping it.
  return static_cast<uint32_t>(textCheckHash64(modelIdHash, text, size) >> 24);
}

void writeSegmentedBody(uint64_t modelIdHash, const uint8_t* text, size_t textSize,
                        const std::vector<std::vector<uint8_t>>& payloads, std::vector<uint8_t>* out) {
  out->clear();
  appendVarint(textSize, out);
  const uint32_t check = segmentedTextCheck(modelIdHash, text, textSize);
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<uint8_t>(check >> shift));
  appendVarint(payloads.size(), out);
  for (const std::vector<uint8_t>& p : payloads) appendVarint(p.size(), out);
  for (const std::vector<uint8_t>& p : payloads) out->insert(out->end(), p.begin(), p.end());
}

Status parseSegmentIndex(const uint8_t* body, size_t size, const ContainerLimits& limits, SegmentIndex* out) {
  SegmentIndex index;
  size_t pos = 0;
  // Inside an intact container (the syndrome held) a field that runs past the body is a lie, not
  // a truncation: kCorrupt either way.
  auto field = [&](uint64_t maxValue, uint64_t* value) {
    const Status s = readVarint(body, size, &pos, kMaxBodyVarintBytes, maxValue, value);
    return s == Status::kTruncated ? Status::kCorrupt : s;
  };
  Status s = field(~uint64_t{0} >> 1, &index.textBytes);
  if (!isOk(s)) return s;
  if (size - pos < kTextCheckBytes) return Status::kCorrupt;
  for (size_t i = 0; i < kTextCheckBytes; ++i) index.textCheck = (index.textCheck << 8) | body[pos++];
  uint64_t count = 0;
  s = field(kMaxSegments, &count);
  if (!isOk(s)) return s;
  if (count < 2) return Status::kCorrupt;
  std::vector<uint64_t> lengths(count);
  for (uint64_t& length : lengths) {
    s = field(size, &length);
    if (!isOk(s)) return s;
    if (length == 0) return Status::kCorrupt;
  }
  size_t offset = pos;
  for (uint64_t length : lengths) {
    if (length > size - offset) return Status::kCorrupt;
    index.segments.push_back(SegmentSpan{offset, static_cast<size_t>(length)});
    offset += length;
  }
  if (offset != size) return Status::kCorrupt;
  // Last, so that a damaged index is named as such whatever length it claims.
  if (index.textBytes > limits.maxTextBytes) return Status::kLengthOverLimit;
  *out = std::move(index);
  return Status::kOk;
}

std::vector<size_t> segmentCuts(const Tokenizer& tokenizer, const std::vector<uint32_t>& ids, const SegmentRule& rule) {
  const size_t tokens = ids.size();
  const size_t length = std::min<size_t>(std::max<size_t>(rule.segmentTokens, 16), kMaxSegmentTokens);
  if (tokens + 1 <= rule.aboveTokens || tokens < 2) return {};
  const size_t count = std::max<size_t>(2, (tokens + length - 1) / length);
  if (tokens + count > std::min(rule.maxTokens, kMaxSegmentedTokens) || count > kMaxSegments) return {};
  // How far back a cut may move to land after a line break: a segment stays within
  // length * 9 / 8 tokens (under kMaxLmTokens).
  const size_t reach = length / 8;
  std::vector<size_t> cuts;
  size_t previous = 0;
  for (size_t k = 1; k < count; ++k) {
    const size_t target = static_cast<size_t>((static_cast<uint64_t>(tokens) * k) / count);
    size_t cut = target;
    for (size_t j = target; j > previous + 1 && target - j < reach; --j) {
      const std::string& bytes = tokenizer.tokenBytes(ids[j - 1]);
      if (!bytes.empty() && bytes.back() == '\n') {
        cut = j;
        break;
      }
    }
    cuts.push_back(cut);
    previous = cut;
  }
  return cuts;
}

}  // namespace kolmo
