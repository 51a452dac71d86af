// engine_bench: the core model engine (src/transformer.h) natively on a real model and text:
// time per decode step (single tokens with the KV cache, the context-window rule applied) and
// per token of a batched pass (encoder), and whether both give bit-identical logits.
// The WASM figures, which are what users get, come from bench/speed.mjs.
//
// Usage: engine_bench <model.onnx> <tokenizer.kbpe> <text file> [nHeads=4] [context=256]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "kolmo/tokenizer.h"
#include "session.h"
#include "transformer.h"

namespace {

std::vector<uint8_t> readFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kolmo;
  if (argc < 4) {
    std::fprintf(stderr, "usage: engine_bench <model.onnx> <tokenizer.kbpe> <text> [nHeads] [context]\n");
    return 2;
  }
  const size_t nHeads = argc > 4 ? std::stoul(argv[4]) : 4, context = argc > 5 ? std::stoul(argv[5]) : 256;
  const std::vector<uint8_t> model = readFile(argv[1]), tok = readFile(argv[2]), text = readFile(argv[3]);
  Tokenizer tokenizer;
  std::vector<uint32_t> ids;
  if (!isOk(Tokenizer::parse(tok.data(), tok.size(), &tokenizer)) ||
      !isOk(tokenizer.encode(text.data(), text.size(), &ids))) {
    std::fprintf(stderr, "engine_bench: cannot read the tokenizer or tokenize the text\n");
    return 1;
  }
  std::vector<uint32_t> seq{tokenizer.eotId()};
  seq.insert(seq.end(), ids.begin(), ids.end());
  std::unique_ptr<Transformer> engine;
  double t0 = seconds();
  Status status = Transformer::load(model.data(), model.size(), nHeads, context, &engine);
  if (!isOk(status)) {
    std::fprintf(stderr, "engine_bench: load: %s\n", statusName(status));
    return 1;
  }
  const double loadMs = (seconds() - t0) * 1e3;
  const size_t vocab = engine->shape().vocab;
  const size_t n = seq.size() - 1;  // predicted positions 1..n

  // Decoder: windows by the context-window rule, single steps inside a window.
  std::vector<float> stepwise(n * vocab);
  size_t windowStart = SIZE_MAX;
  t0 = seconds();
  for (size_t pos = 1; pos <= n; ++pos) {
    const size_t start = contextStart(pos, context);
    if (start != windowStart) {
      engine->reset();
      windowStart = start;
      std::vector<float> rows((pos - start) * vocab);
      engine->append(&seq[start], pos - start, rows.data());
      std::memcpy(&stepwise[(pos - 1) * vocab], &rows[(pos - 1 - start) * vocab], vocab * sizeof(float));
    } else {
      engine->append(&seq[pos - 1], 1, &stepwise[(pos - 1) * vocab]);
    }
  }
  const double stepSeconds = seconds() - t0;

  // Encoder: one batched pass per window start.
  std::vector<float> batched(n * vocab);
  t0 = seconds();
  for (size_t pos = 1; pos <= n;) {
    const size_t start = contextStart(pos, context);
    size_t last = pos;
    while (last + 1 <= n && contextStart(last + 1, context) == start) ++last;
    std::vector<float> rows((last - start) * vocab);
    engine->reset();
    engine->append(&seq[start], last - start, rows.data());
    std::memcpy(&batched[(pos - 1) * vocab], &rows[(pos - 1 - start) * vocab], (last - pos + 1) * vocab * sizeof(float));
    pos = last + 1;
  }
  const double batchSeconds = seconds() - t0;
  size_t differ = 0;
  for (size_t i = 0; i < batched.size(); ++i) differ += std::memcmp(&batched[i], &stepwise[i], 4) != 0;
  std::printf("engine_bench: %zu tokens, load %.1f ms; decode %.3f ms/token (%.0f tokens/s); "
              "batched %.3f ms/token (%.0f tokens/s); batched vs stepwise: %zu of %zu logits differ\n",
              n, loadMs, stepSeconds * 1e3 / n, n / stepSeconds, batchSeconds * 1e3 / n, n / batchSeconds,
              differ, batched.size());
  return differ == 0 ? 0 : 1;
}
