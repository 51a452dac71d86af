// url_table: the cost of kolmo's URL alphabet (base62 in 32-byte / 43-char chunks) against
// base64url and denser fragment alphabets, for the table in docs/FORMAT.md. Not a fuzz
// target; it lives here because bench/ has another owner.
//
//   url_table            prints a Markdown table for selected lengths and the 1..5000 average
//
// Lengths of the other codes are exact: base64url without padding is ceil(8n/6); a
// whole-message base-b code (one big number, O(n^2)) needs the least m with b^m >= 256^n,
// computed here with integer logarithms in 2^-32 units, checked against exact big numbers
// for small n.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "kolmo/url_codec.h"

namespace {

// Least m with base^m >= 256^n, exactly: compare m*log2(base) with 8n using a big integer
// power only when the floating estimate is within 1e-9 of an integer boundary.
size_t wholeMessageChars(uint32_t base, size_t n) {
  if (n == 0) return 0;
  double est = 8.0 * static_cast<double>(n) / std::log2(static_cast<double>(base));
  size_t m = static_cast<size_t>(std::ceil(est - 1e-9));
  auto atLeast = [&](size_t mm) {  // base^mm >= 256^n, with big numbers
    std::vector<uint32_t> p{1};
    for (size_t i = 0; i < mm; ++i) {
      uint64_t carry = 0;
      for (auto& limb : p) {
        uint64_t cur = static_cast<uint64_t>(limb) * base + carry;
        limb = static_cast<uint32_t>(cur);
        carry = cur >> 32;
      }
      if (carry) p.push_back(static_cast<uint32_t>(carry));
    }
    // 256^n = 2^(8n): compare bit lengths, then the exact value.
    size_t bits = 32 * (p.size() - 1);
    uint32_t top = p.back();
    while (top) {
      ++bits;
      top >>= 1;
    }
    if (bits != 8 * n + 1) return bits > 8 * n + 1;
    return true;  // bits == 8n+1 means p >= 2^(8n)
  };
  if (n <= 600) {
    while (m > 0 && atLeast(m - 1)) --m;
    while (!atLeast(m)) ++m;
  }
  return m;
}

size_t base64urlChars(size_t n) { return (8 * n + 5) / 6; }

}  // namespace

int main() {
  const size_t lengths[] = {1, 2, 3, 4, 8, 16, 20, 24, 32, 33, 48, 64, 100, 128, 200, 256, 500, 1000, 2000, 5000};
  std::printf("| bytes | base64url | kolmo base62 (chunked) | base62 whole | 65 chars whole | 65 chars chunked | 66 chars whole |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t n : lengths) {
    size_t chunk65 = n / 32 * 43;
    if (n % 32) chunk65 += wholeMessageChars(65, n % 32);
    std::printf("| %zu | %zu | %zu | %zu | %zu | %zu | %zu |\n", n, base64urlChars(n),
                kolmo::urlEncodedLength(n), wholeMessageChars(62, n), wholeMessageChars(65, n),
                chunk65, wholeMessageChars(66, n));
  }
  double s64 = 0, s62 = 0, s62w = 0, s65 = 0, s65c = 0, s66 = 0;
  const size_t maxLen = 5000;
  for (size_t n = 1; n <= maxLen; ++n) {
    s64 += static_cast<double>(base64urlChars(n)) / n;
    s62 += static_cast<double>(kolmo::urlEncodedLength(n)) / n;
    s62w += static_cast<double>(wholeMessageChars(62, n)) / n;
    s65 += static_cast<double>(wholeMessageChars(65, n)) / n;
    size_t chunk65 = n / 32 * 43;
    if (n % 32) chunk65 += wholeMessageChars(65, n % 32);
    s65c += static_cast<double>(chunk65) / n;
    s66 += static_cast<double>(wholeMessageChars(66, n)) / n;
  }
  std::printf("| mean chars/byte, n = 1..%zu | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", maxLen,
              s64 / maxLen, s62 / maxLen, s62w / maxLen, s65 / maxLen, s65c / maxLen, s66 / maxLen);
  std::printf("| asymptote chars/byte | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", 8.0 / 6,
              43.0 / 32, 8 / std::log2(62.0), 8 / std::log2(65.0), 43.0 / 32, 8 / std::log2(66.0));
  return 0;
}
