// Integrity check of kolmo links: a well-mixed 64-bit hash of (model id hash, original
// text bytes), of which the container stores the top 16 bits. Error detection only, not
// cryptographic: a link decoded into any wrong text (damaged link, another model, logit
// drift beyond epsilon) is accepted with probability 2^-16 per attempt, see docs/FORMAT.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kolmo {

// Number of check bits stored in a link container.
constexpr int kCheckBits = 16;

// FNV-1a-64 over the 8 little-endian bytes of `seed` followed by data[0, size), then the
// length folded in and the murmur3 fmix64 finaliser (so every input bit reaches every
// output bit). Pure integer code: identical in every build. data may be null if size is 0.
uint64_t hashBytes64(uint64_t seed, const uint8_t* data, size_t size);

// The 64-bit integrity hash of a text: hashBytes64(modelIdHash, text). Stored/cm links use
// modelIdHash = 0 (they do not depend on a model); lm links use the model's id hash.
uint64_t textCheckHash64(uint64_t modelIdHash, const uint8_t* text, size_t size);

// The check stored in a container: the top kCheckBits bits of textCheckHash64.
uint16_t textCheck16(uint64_t modelIdHash, const uint8_t* text, size_t size);

// The text check of a typo-proof container (version 6): the top 8 bits of textCheckHash64. The
// link syndrome below carries the other 24 bits of its 32.
uint8_t textCheck8(uint64_t modelIdHash, const uint8_t* text, size_t size);

// ---- the link syndrome of typo-proof containers (version 6, docs/FORMAT.md §4.1) ----
// A version-6 container, read as one big-endian number I, satisfies I mod P = 0 for the prime
// P = 2^24 - 3; its last 3 bytes are the value that makes it so. A character changed or two
// neighbours swapped in either URL form (base62 or the QR form), or a byte changed or two
// swapped in the file form, changes I by a multiple of a digit weight that P never divides
// (P is prime, larger than every digit difference, and no chunk boundary weight is 0 mod P:
// checked for every chunk size in tests/link_check_test.cpp), so such damage is refused with
// certainty; any other damage passes with probability 2^-24, and then meets textCheck8.
constexpr uint32_t kLinkSyndromePrime = 16777213;  // 2^24 - 3
constexpr size_t kLinkSyndromeBytes = 3;
// I mod P of data[0, size) (big-endian). O(size).
uint32_t linkSyndrome(const uint8_t* data, size_t size);
// The 3-byte value X (< P, big-endian) that makes data + X a multiple of P.
uint32_t linkSyndromeTrailer(const uint8_t* data, size_t size);
// Appends that trailer to *bytes (a version-6 container or envelope, complete but for it).
void appendLinkSyndrome(std::vector<uint8_t>* bytes);

// Hash of a model id string (e.g. "kolmo-en-zh-v1"), the value callers pass as modelIdHash.
// Never 0, so it always differs from the model-free value used by stored/cm links.
uint64_t modelIdHash(const std::string& modelId);

}  // namespace kolmo
