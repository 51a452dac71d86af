// Integrity check of kolmo links: a well-mixed 64-bit hash of (model id hash, original
// text bytes), of which the container stores the top 16 bits. Error detection only, not
// cryptographic: a link decoded into any wrong text (damaged link, another model, logit
// drift beyond epsilon) is accepted with probability 2^-16 per attempt, see docs/FORMAT.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

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

// Hash of a model id string (e.g. "kolmo-en-zh-v1"), the value callers pass as modelIdHash.
// Never 0, so it always differs from the model-free value used by stored/cm links.
uint64_t modelIdHash(const std::string& modelId);

}  // namespace kolmo
