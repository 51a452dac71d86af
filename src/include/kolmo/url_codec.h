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

// ---- the QR form ----
// An uppercase form of the same bytes for QR codes: QR's alphanumeric mode stores its 45
// characters (0-9 A-Z space $%*+-./:) at 5.5 bits each against 8 in byte mode. The form uses
// the 43 of them that a URL fragment carries unchanged (no space, no '%'): 5.43 bits of data per
// character, so a QR of a link in this form is about 25% smaller than one of the base62 form.
// The text is kUrlQrMarker, then base43 in chunks of 21 bytes -> 31 characters (a last chunk of
// n bytes takes the fewest m with 43^m >= 256^n); the marker is never a base62 character, so the
// form of any fragment is known from its first character. Same decoding rules as base62:
// characters outside the alphabet, impossible lengths and non-canonical chunks are kBadUrlText.
// docs/FORMAT.md §1.1.

// The 43 characters in digit order: '0'..'9' = 0..9, 'A'..'Z' = 10..35, then $ * + - . / :
// (QR's own table order).
extern const char kUrlQrAlphabet[44];
constexpr char kUrlQrMarker = '-';
constexpr size_t kUrlQrChunkBytes = 21;
constexpr size_t kUrlQrChunkChars = 31;

enum class UrlForm { kBase62, kQr };

// Characters that a QR-form chunk of `numBytes` (0..21) bytes takes.
size_t urlQrChunkChars(size_t numBytes);
// Length of urlEncodeQr() of `size` bytes, marker included.
size_t urlQrEncodedLength(size_t size);
// Replaces *out with the QR form of data[0, size): the marker, then the base43 digits.
void urlEncodeQr(const uint8_t* data, size_t size, std::string* out);

// Which form a fragment text is in (from its first character alone).
UrlForm urlFormOf(const char* text, size_t length);
// Decodes a fragment text of either form: urlDecode() for base62, the QR form's rules after
// its marker. What links, the page and the CLI read.
Status urlDecodeAnyForm(const char* text, size_t length, std::vector<uint8_t>* out);
inline Status urlDecodeAnyForm(const std::string& text, std::vector<uint8_t>* out) {
  return urlDecodeAnyForm(text.data(), text.size(), out);
}

}  // namespace kolmo
