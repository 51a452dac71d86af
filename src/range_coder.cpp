// Range encoder/decoder (see range_coder.h for the design and the stream contract).
#include "range_coder.h"

#include <cassert>

namespace kolmo {

namespace {

constexpr int kWindowBits = 48;
constexpr uint64_t kWindowMask = (uint64_t{1} << kWindowBits) - 1;
constexpr uint64_t kTopByteShift = kWindowBits - 8;  // bits 40..47 leave next
constexpr uint64_t kMinRange = uint64_t{1} << 40;
// Start one below 2^48 so that range < 2^48 holds at all times, not just after a shift.
constexpr uint64_t kInitialRange = kWindowMask;
constexpr int kWindowBytes = kWindowBits / 8;

uint32_t clampProb(uint32_t prob0) {
  if (prob0 < 1) return 1;
  if (prob0 > kBitProbOne - 1) return kBitProbOne - 1;
  return prob0;
}

}  // namespace

// ---- encoder ----

RangeEncoder::RangeEncoder() : low_(0), range_(kInitialRange) {}

// Moves the top byte of the window out. The byte is held back in cache_ (and 0xFF bytes
// after it are only counted) because a later carry out of the window may still add 1 to
// them. Unlike LZMA we do not emit the always-zero byte that precedes the first real one.
void RangeEncoder::shiftLow() {
  const uint64_t window = low_ & kWindowMask;
  const uint8_t carry = static_cast<uint8_t>(low_ >> kWindowBits);
  const uint8_t top = static_cast<uint8_t>(window >> kTopByteShift);
  if (top != 0xFF || carry != 0) {
    if (hasCache_) bytes_.push_back(static_cast<uint8_t>(cache_ + carry));
    for (; pendingFF_ > 0; --pendingFF_) bytes_.push_back(static_cast<uint8_t>(0xFF + carry));
    cache_ = top;
    hasCache_ = true;
  } else {
    ++pendingFF_;
  }
  low_ = (window << 8) & kWindowMask;
}

void RangeEncoder::normalize() {
  while (range_ < kMinRange) {
    shiftLow();
    range_ <<= 8;
  }
}

void RangeEncoder::encode(uint32_t cumFreq, uint32_t freq, uint32_t totalFreq) {
  const bool valid = !finished_ && freq > 0 && totalFreq <= kMaxTotalFreq &&
                     cumFreq < totalFreq && freq <= totalFreq - cumFreq;
  assert(valid);
  if (!valid) {
    error_ = true;
    return;
  }
  const uint64_t step = range_ / totalFreq;
  low_ += step * cumFreq;
  // The last symbol also takes the division remainder: nothing of the range is wasted,
  // and the decoder can never see a value outside every symbol.
  if (cumFreq + freq == totalFreq) {
    range_ -= step * cumFreq;
  } else {
    range_ = step * freq;
  }
  normalize();
}

void RangeEncoder::encodeBit(uint32_t prob0, int bit) {
  if (finished_) {
    error_ = true;
    return;
  }
  const uint64_t bound = (range_ >> 16) * clampProb(prob0);
  if (bit == 0) {
    range_ = bound;
  } else {
    low_ += bound;
    range_ -= bound;
  }
  normalize();
}

void RangeEncoder::finish(std::vector<uint8_t>* out, size_t maxDroppedZeros) {
  if (finished_) {
    error_ = true;
    return;
  }
  finished_ = true;
  // Pick the value in [low, low + range) with the most trailing zero bits: the
  // largest power of two 2^k that has a multiple inside the interval.
  const uint64_t last = low_ + range_ - 1;  // < 2^49, no overflow
  for (int k = 63; k >= 0; --k) {
    const uint64_t unit = uint64_t{1} << k;
    const uint64_t candidate = (low_ + unit - 1) & ~(unit - 1);  // low rounded up to 2^k
    if (candidate >= low_ && candidate <= last) {
      low_ = candidate;
      break;
    }
  }
  // Push the whole window out, then one more shift to release the cache byte.
  for (int i = 0; i < kWindowBytes + 1; ++i) shiftLow();
  // The last shift saw an all-zero window and so left only zero bytes behind; what is
  // still held back (cache + pending) is the real tail.
  size_t emitted = bytes_.size();
  size_t end = emitted;
  while (end > 0 && bytes_[end - 1] == 0 && emitted - end < maxDroppedZeros) --end;
  out->insert(out->end(), bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(end));
}

// ---- decoder ----

RangeDecoder::RangeDecoder(const uint8_t* data, size_t size)
    : data_(data), size_(size), range_(kInitialRange) {
  for (int i = 0; i < kWindowBytes; ++i) code_ = (code_ << 8) | nextByte();
  // A stream whose first window exceeds the initial range is garbage (a valid encoder
  // never produces it); clamp so that the invariant code_ < range_ holds.
  if (code_ >= range_) {
    error_ = true;
    code_ = range_ - 1;
  }
}

uint8_t RangeDecoder::nextByte() {
  if (pos_ < size_) return data_[pos_++];
  ++pastEnd_;
  return 0;
}

void RangeDecoder::normalize() {
  while (range_ < kMinRange) {
    code_ = (code_ << 8) | nextByte();
    range_ <<= 8;
  }
}

uint32_t RangeDecoder::decodeFreq(uint32_t totalFreq) {
  if (totalFreq == 0 || totalFreq > kMaxTotalFreq) {
    assert(false && "decodeFreq: totalFreq out of range");
    error_ = true;
    step_ = range_;
    return 0;
  }
  step_ = range_ / totalFreq;
  const uint64_t value = code_ / step_;
  // Values past the last full step belong to the last symbol (it owns the remainder).
  return value >= totalFreq ? totalFreq - 1 : static_cast<uint32_t>(value);
}

void RangeDecoder::consume(uint32_t cumFreq, uint32_t freq, uint32_t totalFreq) {
  const bool valid = freq > 0 && totalFreq > 0 && totalFreq <= kMaxTotalFreq &&
                     cumFreq < totalFreq && freq <= totalFreq - cumFreq &&
                     step_ == range_ / totalFreq;
  if (!valid) {
    assert(false && "consume: bad symbol");
    error_ = true;
    return;
  }
  const uint64_t start = step_ * cumFreq;
  const uint64_t size = (cumFreq + freq == totalFreq) ? range_ - start : step_ * freq;
  if (code_ < start || code_ - start >= size) {
    // The caller picked a symbol that does not contain the decoded value. Keep the state
    // consistent (code < range) so that decoding garbage stays safe.
    error_ = true;
    code_ = code_ < start ? 0 : size - 1;
  } else {
    code_ -= start;
  }
  range_ = size;
  normalize();
}

int RangeDecoder::decodeBit(uint32_t prob0) {
  const uint64_t bound = (range_ >> 16) * clampProb(prob0);
  int bit;
  if (code_ < bound) {
    range_ = bound;
    bit = 0;
  } else {
    code_ -= bound;
    range_ -= bound;
    bit = 1;
  }
  normalize();
  return bit;
}

}  // namespace kolmo
