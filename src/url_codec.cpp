// base62 chunked URL text codec (see url_codec.h and docs/FORMAT.md, "URL text").
#include "url_codec.h"

#include <cstring>

namespace kolmo {

const char kUrlAlphabet[63] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

namespace {

// kChunkChars[n] = min m with 62^m >= 256^n (checked with exact big numbers in the tests).
constexpr uint8_t kChunkChars[kUrlChunkBytes + 1] = {0,  2,  3,  5,  6,  7,  9,  10, 11, 13, 14,
                                                     15, 17, 18, 19, 21, 22, 23, 25, 26, 27, 29,
                                                     30, 31, 33, 34, 35, 37, 38, 39, 41, 42, 43};

// A chunk value as little-endian 32-bit limbs. 9 limbs (288 bits) hold any 43-digit base62
// number (62^43 < 2^257), so decoding can see an overflowing value before rejecting it.
constexpr int kLimbs = 9;
constexpr uint32_t kPow62_5 = 62u * 62u * 62u * 62u * 62u;  // 916132832 < 2^32

// Digit of an ASCII character, or -1.
int digitOf(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

// Byte count of a last chunk of `numChars` characters, or -1 if no byte count maps there.
int bytesForChars(size_t numChars) {
  for (size_t n = 0; n <= kUrlChunkBytes; ++n) {
    if (kChunkChars[n] == numChars) return static_cast<int>(n);
  }
  return -1;
}

void encodeChunk(const uint8_t* data, size_t numBytes, char* out) {
  uint32_t limbs[kLimbs] = {};
  for (size_t i = 0; i < numBytes; ++i) {  // big-endian bytes -> little-endian limbs
    size_t bitPos = 8 * (numBytes - 1 - i);
    limbs[bitPos / 32] |= static_cast<uint32_t>(data[i]) << (bitPos % 32);
  }
  size_t numChars = kChunkChars[numBytes];
  size_t written = 0;
  int top = kLimbs - 1;
  while (written < numChars) {
    // One long division by 62^5 yields five digits, least significant first.
    uint64_t rem = 0;
    while (top > 0 && limbs[top] == 0) --top;
    for (int i = top; i >= 0; --i) {
      uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = static_cast<uint32_t>(cur / kPow62_5);
      rem = cur % kPow62_5;
    }
    for (int k = 0; k < 5 && written < numChars; ++k) {
      out[numChars - 1 - written] = kUrlAlphabet[rem % 62];
      rem /= 62;
      ++written;
    }
  }
}

// False if a character is outside the alphabet or the value is >= 256^numBytes.
bool decodeChunk(const char* text, size_t numChars, size_t numBytes, uint8_t* out) {
  uint32_t limbs[kLimbs] = {};
  for (size_t c = 0; c < numChars; ++c) {
    int d = digitOf(static_cast<unsigned char>(text[c]));
    if (d < 0) return false;
    uint64_t carry = static_cast<uint64_t>(d);
    for (int i = 0; i < kLimbs; ++i) {
      uint64_t cur = static_cast<uint64_t>(limbs[i]) * 62u + carry;
      limbs[i] = static_cast<uint32_t>(cur);
      carry = cur >> 32;
    }
    // carry is 0 here: 62^43 < 2^288.
  }
  // Reject a value with any bit at or above 8 * numBytes.
  size_t bits = 8 * numBytes;
  for (int i = 0; i < kLimbs; ++i) {
    size_t lo = 32 * static_cast<size_t>(i);
    uint32_t allowed = bits >= lo + 32 ? 0xFFFFFFFFu
                       : bits <= lo    ? 0u
                                       : ((1u << (bits - lo)) - 1u);
    if (limbs[i] & ~allowed) return false;
  }
  for (size_t i = 0; i < numBytes; ++i) {
    size_t bitPos = 8 * (numBytes - 1 - i);
    out[i] = static_cast<uint8_t>(limbs[bitPos / 32] >> (bitPos % 32));
  }
  return true;
}

}  // namespace

size_t urlChunkChars(size_t numBytes) {
  return numBytes <= kUrlChunkBytes ? kChunkChars[numBytes] : 0;
}

size_t urlEncodedLength(size_t size) {
  return size / kUrlChunkBytes * kUrlChunkChars + kChunkChars[size % kUrlChunkBytes];
}

void urlEncode(const uint8_t* data, size_t size, std::string* out) {
  out->assign(urlEncodedLength(size), '0');
  size_t pos = 0;
  char* dst = out->empty() ? nullptr : &(*out)[0];
  while (pos < size) {
    size_t n = size - pos < kUrlChunkBytes ? size - pos : kUrlChunkBytes;
    encodeChunk(data + pos, n, dst);
    dst += kChunkChars[n];
    pos += n;
  }
}

Status urlDecode(const char* text, size_t length, std::vector<uint8_t>* out) {
  out->clear();
  size_t fullChunks = length / kUrlChunkChars;
  size_t tailChars = length % kUrlChunkChars;
  int tailBytes = bytesForChars(tailChars);
  if (tailBytes < 0) return Status::kBadUrlText;
  out->resize(fullChunks * kUrlChunkBytes + static_cast<size_t>(tailBytes));
  uint8_t* dst = out->data();
  for (size_t i = 0; i < fullChunks; ++i) {
    if (!decodeChunk(text + i * kUrlChunkChars, kUrlChunkChars, kUrlChunkBytes, dst)) {
      out->clear();
      return Status::kBadUrlText;
    }
    dst += kUrlChunkBytes;
  }
  if (tailChars > 0 && !decodeChunk(text + fullChunks * kUrlChunkChars, tailChars,
                                    static_cast<size_t>(tailBytes), dst)) {
    out->clear();
    return Status::kBadUrlText;
  }
  return Status::kOk;
}

}  // namespace kolmo
