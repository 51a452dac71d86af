// URL text codec: container bytes <-> the text after '#' in a kolmo link.
// The alphabet is base62 (0-9A-Za-z): every character is RFC 3986 "unreserved", is never
// percent-encoded by browsers, is never trimmed as trailing punctuation by chat/Markdown
// linkifiers, and a double click selects the whole token. Bytes are coded in chunks of 32
// bytes -> 43 characters (one big-number conversion per chunk, so the cost is O(n)); a last
// chunk of n < 32 bytes takes the fewest characters m with 62^m >= 256^n. docs/FORMAT.md
// gives the exact rules and the measured cost (1.344 chars/byte against base64url's 1.333).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

// The 62 characters in digit order: '0'..'9' = 0..9, 'A'..'Z' = 10..35, 'a'..'z' = 36..61.
// ASCII order equals digit order, so texts of equal length sort like their values.
extern const char kUrlAlphabet[63];

constexpr size_t kUrlChunkBytes = 32;
constexpr size_t kUrlChunkChars = 43;

// Characters that a chunk of `numBytes` (0..32) bytes takes: 0, 2, 3, 5, 6, 7, 9, ... 43.
size_t urlChunkChars(size_t numBytes);

// Length in characters of urlEncode() of `size` bytes.
size_t urlEncodedLength(size_t size);

// Appends nothing else: replaces *out with the base62 text of data[0, size).
// data may be null when size is 0.
void urlEncode(const uint8_t* data, size_t size, std::string* out);

// Replaces *out with the bytes of `text`. Errors (all Status::kBadUrlText, *out cleared):
// a character outside the alphabet (including whitespace, '%', '#', any byte >= 0x80), a
// length whose last chunk has a character count no byte count maps to, or a chunk whose
// value is >= 256^n for its byte count n (non-canonical text). Never reads outside text.
Status urlDecode(const char* text, size_t length, std::vector<uint8_t>* out);
inline Status urlDecode(const std::string& text, std::vector<uint8_t>* out) {
  return urlDecode(text.data(), text.size(), out);
}

}  // namespace kolmo
