// LEB128 varints as the link formats write them (docs/FORMAT.md §2 and §5.7): 7 bits per byte,
// low group first, canonical (no redundant zero group at the end), so that every value has one
// form and a link has one byte string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

inline void appendVarint(uint64_t value, std::vector<uint8_t>* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<uint8_t>(value));
}

inline size_t varintBytes(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    ++n;
    value >>= 7;
  }
  return n;
}

// Reads a varint at data[*pos] of at most maxBytes bytes and at most maxValue. kTruncated when
// the data ends inside it; kCorrupt when it is not canonical, longer than maxBytes or over maxValue.
inline Status readVarint(const uint8_t* data, size_t size, size_t* pos, int maxBytes, uint64_t maxValue,
                         uint64_t* value) {
  uint64_t v = 0;
  int shift = 0;
  for (;;) {
    if (*pos >= size) return Status::kTruncated;
    const uint8_t b = data[(*pos)++];
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    shift += 7;
    if (!(b & 0x80)) {
      if (b == 0 && shift > 7) return Status::kCorrupt;
      break;
    }
    if (shift >= 7 * maxBytes) return Status::kCorrupt;
  }
  if (v > maxValue) return Status::kCorrupt;
  *value = v;
  return Status::kOk;
}

}  // namespace kolmo
