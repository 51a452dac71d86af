// link_bench: one whole link natively, the way the product codes it (src/link_jobs.h): text ->
// LinkEncodeJob (model input, the model, LM payloads, packBest) -> LinkDecodeJob -> text, with
// the time of each direction in tokens per second. For profiling the CPU path
// (`perf record build-native/bench/link_bench ...`); the WASM figures users get come from
// bench/speed.mjs.
//
// Usage: link_bench <model.onnx> <tokenizer.kbpe> <text file>...
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "kolmo/container.h"
#include "kolmo/tokenizer.h"
#include "link_jobs.h"
#include "token_tree.h"
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
    std::fprintf(stderr, "usage: link_bench <model.onnx> <tokenizer.kbpe> <text>...\n");
    return 2;
  }
  const std::vector<uint8_t> model = readFile(argv[1]), tok = readFile(argv[2]);
  Tokenizer tokenizer;
  TokenTree tree;
  std::unique_ptr<Transformer> engine;
  if (!isOk(Tokenizer::parse(tok.data(), tok.size(), &tokenizer)) ||
      !isOk(TokenTree::build(tokenizer.tokenCounts(), tokenizer.vocabSize(), &tree)) ||
      !isOk(Transformer::load(model.data(), model.size(), 4, 256, &engine))) {
    std::fprintf(stderr, "link_bench: cannot load the model or the tokenizer\n");
    return 1;
  }
  const LinkModel linkModel{engine.get(), &tokenizer, &tree, 1, 0x1234};
  double encodeSeconds = 0, decodeSeconds = 0;
  size_t positions = 0;
  for (int f = 3; f < argc; ++f) {
    const std::vector<uint8_t> text = readFile(argv[f]);
    double t0 = seconds();
    LinkEncodeJob encode(text.data(), text.size(), kAllModes, &linkModel, 1e-4, ContainerLimits{});
    bool done = false;
    Status s = Status::kOk;
    while (!done && isOk(s)) s = encode.run(1 << 20, &done);
    encodeSeconds += seconds() - t0;
    if (!isOk(s)) {
      std::fprintf(stderr, "link_bench: encode %s: %s\n", argv[f], statusName(s));
      return 1;
    }
    positions += encode.positionsTotal();
    const std::vector<uint8_t> container = encode.container();
    t0 = seconds();
    LinkDecodeJob decode(container.data(), container.size(), ContainerLimits{});
    if (decode.view().mode == ContainerMode::kLm) decode.start(linkModel, 1 << 16);
    done = false;
    s = decode.status();
    while (!done && isOk(s)) s = decode.run(1 << 20, &done);
    decodeSeconds += seconds() - t0;
    if (!isOk(s) || decode.text() != text) {
      std::fprintf(stderr, "link_bench: decode %s: %s\n", argv[f], statusName(s));
      return 1;
    }
  }
  std::printf("%zu positions: encode %.0f tokens/s (%.3f s), decode %.0f tokens/s (%.3f s)\n", positions,
              positions / encodeSeconds, encodeSeconds, positions / decodeSeconds, decodeSeconds);
  return 0;
}
