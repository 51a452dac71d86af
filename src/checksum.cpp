// FNV-1a-64 + fmix64 integrity hash (see checksum.h).
#include "kolmo/checksum.h"

namespace kolmo {

namespace {

constexpr uint64_t kFnvOffset = 0xCBF29CE484222325ull;
constexpr uint64_t kFnvPrime = 0x00000100000001B3ull;
// Domain tag so modelIdHash("x") never equals a text hash of the same bytes.
constexpr uint64_t kModelIdSeed = 0x6B6F6C6D6F2D6964ull;  // "kolmo-id"

uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xFF51AFD7ED558CCDull;
  k ^= k >> 33;
  k *= 0xC4CEB9FE1A85EC53ull;
  k ^= k >> 33;
  return k;
}

}  // namespace

uint64_t hashBytes64(uint64_t seed, const uint8_t* data, size_t size) {
  uint64_t h = kFnvOffset;
  for (int i = 0; i < 8; ++i) {
    h ^= (seed >> (8 * i)) & 0xFF;
    h *= kFnvPrime;
  }
  for (size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= kFnvPrime;
  }
  // FNV's low bits mix poorly and its state ignores the length only through the bytes;
  // fold the length in and finalise so that all 64 output bits are usable.
  return fmix64(h ^ (static_cast<uint64_t>(size) * 0x9E3779B97F4A7C15ull));
}

uint64_t textCheckHash64(uint64_t modelIdHash, const uint8_t* text, size_t size) {
  return hashBytes64(modelIdHash, text, size);
}

uint16_t textCheck16(uint64_t modelIdHash, const uint8_t* text, size_t size) {
  return static_cast<uint16_t>(textCheckHash64(modelIdHash, text, size) >> (64 - kCheckBits));
}

uint8_t textCheck8(uint64_t modelIdHash, const uint8_t* text, size_t size) {
  return static_cast<uint8_t>(textCheckHash64(modelIdHash, text, size) >> 56);
}

uint32_t linkSyndrome(const uint8_t* data, size_t size) {
  uint64_t r = 0;
  for (size_t i = 0; i < size; ++i) r = ((r << 8) | data[i]) % kLinkSyndromePrime;
  return static_cast<uint32_t>(r);
}

uint32_t linkSyndromeTrailer(const uint8_t* data, size_t size) {
  // (I * 2^24 + X) mod P = 0  =>  X = -(I * 2^24) mod P
  uint64_t shifted = (static_cast<uint64_t>(linkSyndrome(data, size)) << 24) % kLinkSyndromePrime;
  return static_cast<uint32_t>((kLinkSyndromePrime - shifted) % kLinkSyndromePrime);
}

void appendLinkSyndrome(std::vector<uint8_t>* bytes) {
  const uint32_t trailer = linkSyndromeTrailer(bytes->data(), bytes->size());
  bytes->push_back(static_cast<uint8_t>(trailer >> 16));
  bytes->push_back(static_cast<uint8_t>(trailer >> 8));
  bytes->push_back(static_cast<uint8_t>(trailer));
}

uint64_t modelIdHash(const std::string& modelId) {
  uint64_t h = hashBytes64(kModelIdSeed, reinterpret_cast<const uint8_t*>(modelId.data()),
                           modelId.size());
  return h == 0 ? 1 : h;
}

}  // namespace kolmo
