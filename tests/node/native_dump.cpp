// kolmo_native_dump: prints, as JSON, what the native build of the core computes for the
// synthetic model, so tests/node/native_wasm.test.mjs can check that the WASM build computes
// the same bits (rounding tables, and encoder payloads once sessions exist). Not a doctest:
// a plain executable built beside kolmo_tests (tests/node/CMakeLists.txt).
//
// Usage: kolmo_native_dump rounding <vocab> <numVectors> <epsilon>
//        -> {"vocab":V,"vectors":[[words of dumpNodeTable]...]} (or {"error":"status_name"})
// The logit vectors are testLogitVector(k) below; tests/node/synthetic_model.mjs defines the
// same function, so both sides feed identical float32 values into the rounding layer.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kolmo/status.h"
#include "rounding.h"
#include "synthetic_model.h"

namespace {

using kolmo_test::mix32;

// Logit vector k for vocab V (mirrored in synthetic_model.mjs, testLogitVector):
//   kind = k % 7; prev = mix32(k) % V; base = syntheticLogits(prev, V)
//   kinds 0..4: base * scale, scale = {1, 0.05, 0.5, 3, 40}[kind] (float multiply)
//   kind 5:     base, with the entries where mix32(k + i) is odd set to -1e30 (logit floor)
//   kind 6:     all zeros (every decision exactly balanced)
std::vector<float> testLogitVector(uint32_t k, size_t vocab) {
  static const float kScales[5] = {1.0f, 0.05f, 0.5f, 3.0f, 40.0f};
  const uint32_t kind = k % 7;
  std::vector<float> logits = kolmo_test::syntheticLogits(mix32(k) % static_cast<uint32_t>(vocab), vocab);
  if (kind < 5) {
    for (float& l : logits) l = l * kScales[kind];
  } else if (kind == 5) {
    for (size_t i = 0; i < vocab; ++i) {
      if (mix32(k + static_cast<uint32_t>(i)) & 1) logits[i] = -1e30f;
    }
  } else {
    for (float& l : logits) l = 0.0f;
  }
  return logits;
}

int fail(kolmo::Status status) {
  std::printf("{\"error\":\"%s\"}\n", kolmo::statusName(status));
  return 1;
}

int dumpRounding(size_t vocab, uint32_t numVectors, double epsilon) {
  kolmo::TokenTree tree;
  kolmo::Status status = kolmo::TokenTree::build(kolmo_test::syntheticCounts(vocab), vocab, &tree);
  if (!kolmo::isOk(status)) return fail(status);
  kolmo::Quantizer quantizer;
  status = kolmo::Quantizer::build(kolmo::GridSpec{}, &quantizer);
  if (!kolmo::isOk(status)) return fail(status);
  std::string out = "{\"vocab\":" + std::to_string(vocab) + ",\"vectors\":[";
  std::vector<uint32_t> words;
  for (uint32_t k = 0; k < numVectors; ++k) {
    const std::vector<float> logits = testLogitVector(k, vocab);
    status = kolmo::dumpNodeTable(tree, quantizer, logits.data(), logits.size(), epsilon, &words);
    if (!kolmo::isOk(status)) return fail(status);
    out += k ? ",[" : "[";
    for (size_t i = 0; i < words.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(words[i]);
    }
    out += ']';
  }
  out += "]}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "rounding" && argc == 5) {
    return dumpRounding(std::strtoul(argv[2], nullptr, 10),
                        static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)),
                        std::strtod(argv[4], nullptr));
  }
  std::fprintf(stderr, "usage: kolmo_native_dump rounding <vocab> <numVectors> <epsilon>\n");
  return 2;
}
