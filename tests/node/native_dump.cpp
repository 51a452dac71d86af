// kolmo_native_dump: prints, as JSON, what the native build of the core computes for the
// synthetic model, so tests/node/native_wasm.test.mjs can check that the WASM build computes
// the same bits (rounding tables, and encoder payloads once sessions exist). Not a doctest:
// a plain executable built beside kolmo_tests (tests/node/CMakeLists.txt).
//
// Usage: kolmo_native_dump rounding <vocab> <numVectors> <epsilon>
//          -> {"vocab":V,"vectors":[[words of dumpNodeTable]...]}
//        kolmo_native_dump encode <vocab> <seed> <numTokens> <epsilon> [<payloadVersion>]
//          -> {"tokens":[...],"payload":"hex","steps":N,"fragileSteps":N,"escapes":N}
//          (payloadVersion 1, the default; 2: the in-document model mixed in, FORMAT.md §5.4;
//          3: version 2 with span headers over the grid family, §5.6)
//        kolmo_native_dump engine <model.onnx> <nHeads> <context> <id,id,...>
//          -> {"rows":N,"vocab":V,"logitsHash":"hex","first":[...]}: the model engine's logits for
//          the ids (a batched pass from an empty window), hashed bit for bit (FNV-1a 64 over the
//          float32 words, mirrored in tests/node/engine.test.mjs)
// On an error: {"error":"status_name"} and exit 1. The logit vectors (testLogitVector) and
// token sequences (testTokenSequence) are defined identically in
// tests/node/synthetic_model.mjs, so both builds see the same float32 values.
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <string>
#include <vector>

#include <fstream>
#include <iterator>
#include <memory>

#include "kolmo/status.h"
#include "transformer.h"
#include "rounding.h"
#include "session.h"
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

// Mirrors testTokenSequence in synthetic_model.mjs: mostly the model's peak token, sometimes
// a pseudo-random one; EOT (= vocab - 1) appended.
std::vector<uint32_t> testTokenSequence(uint32_t seed, size_t count, size_t vocab) {
  const uint32_t v = static_cast<uint32_t>(vocab);
  const uint32_t eotId = v - 1;
  std::vector<uint32_t> ids;
  uint32_t prev = eotId;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t h = mix32(seed * 0x01000193u + static_cast<uint32_t>(i));
    const uint32_t peak = mix32(prev) % v;
    const uint32_t token = ((h & 3) != 0 && peak != eotId) ? peak : (h >> 2) % eotId;
    ids.push_back(token);
    prev = token;
  }
  ids.push_back(eotId);
  return ids;
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

// Encodes testTokenSequence(seed, numTokens) step by step, each step with
// syntheticLogits(previous token) (BOS = EOT id first), over the syntheticCounts tree.
int dumpEncode(size_t vocab, uint32_t seed, size_t numTokens, double epsilon, int payloadVersion) {
  kolmo::TokenTree tree;
  kolmo::Status status = kolmo::TokenTree::build(kolmo_test::syntheticCounts(vocab), vocab, &tree);
  if (!kolmo::isOk(status)) return fail(status);
  const uint32_t eotId = static_cast<uint32_t>(vocab - 1);
  kolmo::RoundingConfig config;
  config.epsilon = epsilon;
  config.payloadVersion = payloadVersion;
  const std::vector<uint32_t> tokens = testTokenSequence(seed, numTokens, vocab);
  config.tokenCount = tokens.size();
  kolmo::EncoderSession encoder(tree, eotId, config);
  uint32_t prev = eotId;
  std::vector<float> logits(vocab);
  for (uint32_t token : tokens) {
    kolmo_test::syntheticLogits(prev, vocab, logits.data());
    status = encoder.encodeStep(logits.data(), vocab, token);
    if (!kolmo::isOk(status)) return fail(status);
    prev = token;
  }
  std::vector<uint8_t> payload;
  status = encoder.finish(&payload);
  if (!kolmo::isOk(status)) return fail(status);
  std::string out = "{\"tokens\":[";
  for (size_t i = 0; i < tokens.size(); ++i) out += (i ? "," : "") + std::to_string(tokens[i]);
  out += "],\"payload\":\"";
  static const char kHex[] = "0123456789abcdef";
  for (uint8_t b : payload) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  const kolmo::SessionStats& stats = encoder.stats();
  out += "\",\"steps\":" + std::to_string(stats.steps) +
         ",\"fragileSteps\":" + std::to_string(stats.fragileSteps) +
         ",\"escapes\":" + std::to_string(stats.escapes) + "}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

int dumpEngine(const char* modelPath, size_t nHeads, size_t context, const std::string& idList) {
  std::ifstream in(modelPath, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::unique_ptr<kolmo::Transformer> engine;
  kolmo::Status status = kolmo::Transformer::load(bytes.data(), bytes.size(), nHeads, context, &engine);
  std::vector<uint32_t> ids;
  for (size_t at = 0; at < idList.size();) {
    size_t end = idList.find(',', at);
    if (end == std::string::npos) end = idList.size();
    ids.push_back(static_cast<uint32_t>(std::strtoul(idList.substr(at, end - at).c_str(), nullptr, 10)));
    at = end + 1;
  }
  std::vector<float> logits;
  if (kolmo::isOk(status)) {
    logits.resize(ids.size() * engine->shape().vocab);
    status = engine->append(ids.data(), ids.size(), logits.data());
  }
  if (!kolmo::isOk(status)) {
    std::printf("{\"error\":\"%s\"}\n", kolmo::statusName(status));
    return 1;
  }
  uint64_t hash = 0xcbf29ce484222325ull;
  for (float v : logits) {
    uint32_t word;
    std::memcpy(&word, &v, 4);
    hash = (hash ^ word) * 0x100000001b3ull;
  }
  std::printf("{\"rows\":%zu,\"vocab\":%zu,\"logitsHash\":\"%016llx\",\"first\":[%.9g,%.9g,%.9g]}\n", ids.size(),
              engine->shape().vocab, static_cast<unsigned long long>(hash), logits[0], logits[1], logits[2]);
  return 0;
}

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "rounding" && argc == 5) {
    return dumpRounding(std::strtoul(argv[2], nullptr, 10),
                        static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)),
                        std::strtod(argv[4], nullptr));
  }
  if (command == "encode" && (argc == 6 || argc == 7)) {
    return dumpEncode(std::strtoul(argv[2], nullptr, 10),
                      static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)),
                      std::strtoul(argv[4], nullptr, 10), std::strtod(argv[5], nullptr),
                      argc == 7 ? std::atoi(argv[6]) : kolmo::kLmPayloadV1);
  }
  if (command == "engine" && argc == 6) {
    return dumpEngine(argv[2], std::strtoul(argv[3], nullptr, 10), std::strtoul(argv[4], nullptr, 10), argv[5]);
  }
  std::fprintf(stderr,
               "usage: kolmo_native_dump engine <model.onnx> <nHeads> <context> <id,id,...>\n"
               "       kolmo_native_dump rounding <vocab> <numVectors> <epsilon>\n"
               "       kolmo_native_dump encode <vocab> <seed> <numTokens> <epsilon> [<payloadVersion>]\n");
  return 2;
}
