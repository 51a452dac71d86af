// libFuzzer target: the model engine's weight reader (src/onnx_reader.*) and loader
// (Transformer::load) on untrusted model files. Properties: never crashes or reads out of
// bounds; a file the loader accepts runs a few tokens (finite weights may still give NaN
// logits, which the sessions refuse as non_finite_logits: no crash either way).
// Seeds: tests/fuzz/corpus/onnx_reader/ (a tiny model of the family, tests/fuzz/make_tiny_onnx.py).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "onnx_reader.h"
#include "transformer.h"

using namespace kolmo;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  OnnxFile file;
  if (readOnnx(data, size, &file) == Status::kOk) {
    for (const OnnxTensor& t : file.initializers) {
      if (t.size > 0 && (t.data < data || t.data + t.size > data + size)) std::abort();
    }
  }
  std::unique_ptr<Transformer> engine;
  const Status status = Transformer::load(data, size, 1 + size % 2, 8, &engine);
  if (status == Status::kOk) {
    if (!engine) std::abort();
    const size_t vocab = engine->shape().vocab;
    if (vocab > 4096 || engine->shape().dModel > 256) return 0;  // keep each run cheap
    const uint32_t tokens[3] = {0, static_cast<uint32_t>(vocab - 1), static_cast<uint32_t>(size % vocab)};
    std::vector<float> logits(3 * vocab);
    if (engine->append(tokens, 3, logits.data()) != Status::kOk) std::abort();
    if (engine->append(tokens, 1, nullptr) != Status::kOk) std::abort();
  } else if (engine) {
    std::abort();
  }
  return 0;
}
