// base62 chunked URL text codec (see url_codec.h and docs/FORMAT.md, "URL text").
#include "kolmo/url_codec.h"

#include <cstring>

namespace kolmo {

const char kUrlAlphabet[63] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

namespace {

// kChunkChars[n] = min m with 62^m >= 256^n (checked with exact big numbers in the tests).
constexpr uint8_t kChunkChars[kUrlChunkBytes + 1] = {0,  2,  3,  5,  6,  7,  9,  10, 11, 13, 14,
                                                     15, 17, 18, 19, 21, 22, 23, 25, 26, 27, 29,
                                                     30, 31, 33, 34, 35, 37, 38, 39, 41, 42, 43};

// kQrChunkChars[n] = min m with 43^m >= 256^n (checked with exact big numbers in the tests).
constexpr uint8_t kQrChunkChars[kUrlQrChunkBytes + 1] = {0,  2,  3,  5,  6,  8,  9,  11,
                                                         12, 14, 15, 17, 18, 20, 21, 23,
                                                         24, 26, 27, 29, 30, 31};

// A chunk value as little-endian 32-bit limbs. 9 limbs (288 bits) hold any 43-digit base62
// number (62^43 < 2^257) and any 31-digit base43 one, so decoding can see an overflowing value
// before rejecting it.
constexpr int kLimbs = 9;

// One of the two URL text forms as a positional number system.
struct Radix {
  uint32_t base;
  const char* alphabet;
  uint32_t pow5;              // base^5 < 2^32: five digits per long division
  size_t chunkBytes;
  size_t chunkChars;
  const uint8_t* charsOfBytes;  // [0, chunkBytes]
  int (*digitOf)(unsigned char c);
};

// Digit of an ASCII character in base62, or -1.
int digitOf62(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

// Digit of an ASCII character in the QR form's base43, or -1.
int digitOf43(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  for (int i = 36; i < 43; ++i) {
    if (kUrlQrAlphabet[i] == c) return i;
  }
  return -1;
}

const Radix kBase62 = {62, kUrlAlphabet, 62u * 62u * 62u * 62u * 62u, kUrlChunkBytes,
                       kUrlChunkChars, kChunkChars, digitOf62};
const Radix kBase43 = {43, kUrlQrAlphabet, 43u * 43u * 43u * 43u * 43u, kUrlQrChunkBytes,
                       kUrlQrChunkChars, kQrChunkChars, digitOf43};

// Byte count of a last chunk of `numChars` characters, or -1 if no byte count maps there.
int bytesForChars(const Radix& radix, size_t numChars) {
  for (size_t n = 0; n <= radix.chunkBytes; ++n) {
    if (radix.charsOfBytes[n] == numChars) return static_cast<int>(n);
  }
  return -1;
}

void encodeChunk(const Radix& radix, const uint8_t* data, size_t numBytes, char* out) {
  uint32_t limbs[kLimbs] = {};
  for (size_t i = 0; i < numBytes; ++i) {  // big-endian bytes -> little-endian limbs
    size_t bitPos = 8 * (numBytes - 1 - i);
    limbs[bitPos / 32] |= static_cast<uint32_t>(data[i]) << (bitPos % 32);
  }
  size_t numChars = radix.charsOfBytes[numBytes];
  size_t written = 0;
  int top = kLimbs - 1;
  while (written < numChars) {
    // One long division by base^5 yields five digits, least significant first.
    uint64_t rem = 0;
    while (top > 0 && limbs[top] == 0) --top;
    for (int i = top; i >= 0; --i) {
      uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = static_cast<uint32_t>(cur / radix.pow5);
      rem = cur % radix.pow5;
    }
    for (int k = 0; k < 5 && written < numChars; ++k) {
      out[numChars - 1 - written] = radix.alphabet[rem % radix.base];
      rem /= radix.base;
      ++written;
    }
  }
}

// False if a character is outside the alphabet or the value is >= 256^numBytes.
bool decodeChunk(const Radix& radix, const char* text, size_t numChars, size_t numBytes,
                 uint8_t* out) {
  uint32_t limbs[kLimbs] = {};
  for (size_t c = 0; c < numChars; ++c) {
    int d = radix.digitOf(static_cast<unsigned char>(text[c]));
    if (d < 0) return false;
    uint64_t carry = static_cast<uint64_t>(d);
    for (int i = 0; i < kLimbs; ++i) {
      uint64_t cur = static_cast<uint64_t>(limbs[i]) * radix.base + carry;
      limbs[i] = static_cast<uint32_t>(cur);
      carry = cur >> 32;
    }
    // carry is 0 here: 62^43 < 2^288 and 43^31 < 2^288.
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

size_t encodedLength(const Radix& radix, size_t size) {
  return size / radix.chunkBytes * radix.chunkChars + radix.charsOfBytes[size % radix.chunkBytes];
}

// Writes the digits of data[0, size) at dst (encodedLength(radix, size) characters).
void encodeDigits(const Radix& radix, const uint8_t* data, size_t size, char* dst) {
  size_t pos = 0;
  while (pos < size) {
    size_t n = size - pos < radix.chunkBytes ? size - pos : radix.chunkBytes;
    encodeChunk(radix, data + pos, n, dst);
    dst += radix.charsOfBytes[n];
    pos += n;
  }
}

Status decodeDigits(const Radix& radix, const char* text, size_t length, std::vector<uint8_t>* out) {
  out->clear();
  size_t fullChunks = length / radix.chunkChars;
  size_t tailChars = length % radix.chunkChars;
  int tailBytes = bytesForChars(radix, tailChars);
  if (tailBytes < 0) return Status::kBadUrlText;
  out->resize(fullChunks * radix.chunkBytes + static_cast<size_t>(tailBytes));
  uint8_t* dst = out->data();
  for (size_t i = 0; i < fullChunks; ++i) {
    if (!decodeChunk(radix, text + i * radix.chunkChars, radix.chunkChars, radix.chunkBytes, dst)) {
      out->clear();
      return Status::kBadUrlText;
    }
    dst += radix.chunkBytes;
  }
  if (tailChars > 0 && !decodeChunk(radix, text + fullChunks * radix.chunkChars, tailChars,
                                    static_cast<size_t>(tailBytes), dst)) {
    out->clear();
    return Status::kBadUrlText;
  }
  return Status::kOk;
}

}  // namespace

const char kUrlQrAlphabet[44] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-./:";

size_t urlChunkChars(size_t numBytes) {
  return numBytes <= kUrlChunkBytes ? kChunkChars[numBytes] : 0;
}

size_t urlEncodedLength(size_t size) { return encodedLength(kBase62, size); }

void urlEncode(const uint8_t* data, size_t size, std::string* out) {
  out->assign(urlEncodedLength(size), '0');
  if (size > 0) encodeDigits(kBase62, data, size, &(*out)[0]);
}

Status urlDecode(const char* text, size_t length, std::vector<uint8_t>* out) {
  return decodeDigits(kBase62, text, length, out);
}

size_t urlQrChunkChars(size_t numBytes) {
  return numBytes <= kUrlQrChunkBytes ? kQrChunkChars[numBytes] : 0;
}

size_t urlQrEncodedLength(size_t size) { return 1 + encodedLength(kBase43, size); }

void urlEncodeQr(const uint8_t* data, size_t size, std::string* out) {
  out->assign(urlQrEncodedLength(size), '0');
  (*out)[0] = kUrlQrMarker;
  if (size > 0) encodeDigits(kBase43, data, size, &(*out)[1]);
}

UrlForm urlFormOf(const char* text, size_t length) {
  return length > 0 && text[0] == kUrlQrMarker ? UrlForm::kQr : UrlForm::kBase62;
}

Status urlDecodeAnyForm(const char* text, size_t length, std::vector<uint8_t>* out) {
  if (urlFormOf(text, length) == UrlForm::kQr) return decodeDigits(kBase43, text + 1, length - 1, out);
  return decodeDigits(kBase62, text, length, out);
}

}  // namespace kolmo
