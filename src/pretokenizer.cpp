// Pretokenizer rule; see pretokenizer.h for the rule itself.
#include "pretokenizer.h"

namespace kolmo {
namespace {

enum class CharClass { kLetter, kDigit, kCjk, kSpace, kOther, kInvalid };

struct CodePoint {
  uint32_t value;
  size_t length;  // bytes; 1 for an invalid byte
  CharClass cls;
};

bool isContinuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }

// Strict UTF-8: rejects overlong forms, surrogates and values above U+10FFFF.
bool decodeUtf8(const uint8_t* p, size_t avail, uint32_t* value, size_t* length) {
  const uint8_t b0 = p[0];
  if (b0 < 0x80) {
    *value = b0;
    *length = 1;
    return true;
  }
  size_t n;
  uint32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (avail < n) return false;
  for (size_t i = 1; i < n; ++i) {
    if (!isContinuation(p[i])) return false;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  *value = cp;
  *length = n;
  return true;
}

CharClass classify(uint32_t cp) {
  if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= 0xC0 && cp <= 0x1FFF))
    return CharClass::kLetter;
  if (cp >= '0' && cp <= '9') return CharClass::kDigit;
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C)
    return CharClass::kSpace;
  if ((cp >= 0x2E80 && cp <= 0x2FFF) || (cp >= 0x3040 && cp <= 0x9FFF) ||
      (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0x20000 && cp <= 0x2FFFF))
    return CharClass::kCjk;
  return CharClass::kOther;
}

CodePoint readCodePoint(const uint8_t* data, size_t size, size_t pos) {
  CodePoint c{0, 1, CharClass::kInvalid};
  if (decodeUtf8(data + pos, size - pos, &c.value, &c.length)) c.cls = classify(c.value);
  return c;
}

bool isNewline(uint8_t byte) { return byte == '\n' || byte == '\r'; }

// Length of a contraction ('s 't 'd 'm 'll 've 're) at pos, or 0.
size_t contractionLength(const uint8_t* data, size_t size, size_t pos) {
  if (data[pos] != '\'' || pos + 1 >= size) return 0;
  const uint8_t a = data[pos + 1];
  if (a == 's' || a == 't' || a == 'd' || a == 'm') return 2;
  if (pos + 2 < size) {
    const uint8_t b = data[pos + 2];
    if ((a == 'l' && b == 'l') || (a == 'v' && b == 'e') || (a == 'r' && b == 'e')) return 3;
  }
  return 0;
}

// End of the run of code points of class `cls` starting at pos, at most maxCount of them.
size_t runEnd(const uint8_t* data, size_t size, size_t pos, CharClass cls, size_t maxCount) {
  size_t count = 0;
  while (pos < size && count < maxCount) {
    const CodePoint c = readCodePoint(data, size, pos);
    if (c.cls != cls) break;
    pos += c.length;
    ++count;
  }
  return pos;
}

}  // namespace

size_t nextPretokenEnd(const uint8_t* data, size_t size, size_t pos) {
  if (const size_t n = contractionLength(data, size, pos)) return pos + n;

  size_t start = pos;
  CodePoint c = readCodePoint(data, size, pos);
  if (c.cls == CharClass::kInvalid) return pos + 1;
  if (data[pos] == ' ' && pos + 1 < size) {
    const CodePoint next = readCodePoint(data, size, pos + 1);
    if (next.cls != CharClass::kSpace && next.cls != CharClass::kInvalid) {
      start = pos + 1;
      c = next;
    }
  }
  constexpr size_t kUnbounded = ~size_t{0};
  switch (c.cls) {
    case CharClass::kLetter: return runEnd(data, size, start, CharClass::kLetter, kUnbounded);
    case CharClass::kDigit: return runEnd(data, size, start, CharClass::kDigit, 3);
    case CharClass::kCjk: return runEnd(data, size, start, CharClass::kCjk, kUnbounded);
    case CharClass::kOther: {
      size_t end = runEnd(data, size, start, CharClass::kOther, kUnbounded);
      while (end < size && isNewline(data[end])) ++end;
      return end;
    }
    case CharClass::kSpace:
    case CharClass::kInvalid: break;
  }
  // Whitespace at pos (a lone space before a word was handled above).
  size_t runStop = pos;
  size_t afterLastNewline = 0;
  while (runStop < size && readCodePoint(data, size, runStop).cls == CharClass::kSpace) {
    if (isNewline(data[runStop])) afterLastNewline = runStop + 1;
    ++runStop;
  }
  if (afterLastNewline != 0) return afterLastNewline;
  const bool followedByNonSpace = runStop < size;
  if (followedByNonSpace && runStop - pos >= 2) return runStop - 1;
  return runStop;
}

}  // namespace kolmo
