// Small helpers shared by the doctest suites: a deterministic PRNG step and the shipped default
// tokenizer (found through models/manifest.json, as every real user finds it).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "kolmo/tokenizer.h"

namespace kolmo_test {

// SplitMix64: advances *state and returns the next well-mixed 64-bit value.
inline uint64_t splitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The folder of the default model in models/manifest.json (models/<id>).
inline std::string shippedModelDir() {
  const std::string root = KOLMO_SOURCE_DIR;
  const std::string manifest = readFile(root + "/models/manifest.json");
  REQUIRE_MESSAGE(!manifest.empty(), "models/manifest.json missing");
  const std::string key = "\"default\": \"";
  const size_t at = manifest.find(key);
  REQUIRE(at != std::string::npos);
  const size_t start = at + key.size();
  return root + "/models/" + manifest.substr(start, manifest.find('"', start) - start);
}

// The tokenizer of the default model in models/manifest.json.
inline kolmo::Tokenizer shippedTokenizer() {
  const std::string file = readFile(shippedModelDir() + "/tokenizer.kbpe");
  kolmo::Tokenizer tok;
  REQUIRE(kolmo::Tokenizer::parse(reinterpret_cast<const uint8_t*>(file.data()), file.size(), &tok) ==
          kolmo::Status::kOk);
  return tok;
}

}  // namespace kolmo_test
