// Pretokenizer: splits raw bytes into pretokens; BPE merges never cross a pretoken.
//
// The rule is GPT-4-like, defined on UTF-8 code point classes that need no Unicode tables:
//   letter  A-Za-z, U+00C0..U+1FFF (Latin-1 letters .. Greek extended: Latin, Greek, Cyrillic,
//           Armenian, Hebrew, Arabic, Indic, Thai, ... scripts with spaces between words)
//   digit   0-9
//   cjk     U+2E80..U+2FFF, U+3040..U+9FFF, U+AC00..U+D7AF, U+F900..U+FAFF, U+20000..U+2FFFF
//           (Han, kana, Hangul; CJK punctuation U+3000..U+303F and full-width forms are "other")
//   space   ' ' '\t' '\n' '\r' '\v' '\f'   (newline = '\n' or '\r')
//   other   every other valid code point (punctuation, symbols, emoji, ...)
//   invalid a byte that does not start a valid UTF-8 sequence: always a pretoken of its own
// At each position, the first rule that matches wins (as an ordered regex alternation):
//   1. '(?:[sdmt]|ll|ve|re)            English contractions
//   2. ' '? letter+                     words take the single space before them
//   3. ' '? digit{1,3}
//   4. ' '? cjk+
//   5. ' '? other+ newline*
//   6. space* newline                   whitespace up to and including its last newline
//   7. space+ (?!non-space)             a run of spaces leaves its last one to the next word
//   8. space+
// models/<id>/tokenizer.json carries the same rule as a regex (valid UTF-8 only).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kolmo {

// Returns the end (exclusive) of the pretoken that starts at `pos` (< size); always > pos.
size_t nextPretokenEnd(const uint8_t* data, size_t size, size_t pos);

}  // namespace kolmo
