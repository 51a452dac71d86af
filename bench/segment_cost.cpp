// segment_cost: what independent segments would cost (issue 24, long documents). A long text is
// cut at line ends near every S tokens, each segment coded alone by the product's link job (the
// model with its own context windows and its own in-document model: what a decoder needs to
// start every segment at once), and the payload bytes are summed against the text coded as one
// stream. No format is involved: this measures the price of independence before one is chosen.
//
// Usage: segment_cost <model.onnx> <tokenizer.kbpe> <text file> S1 [S2 ...]   (S: tokens; 0 = one stream)
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "kolmo/container.h"
#include "kolmo/tokenizer.h"
#include "link_jobs.h"
#include "token_tree.h"
#include "transformer.h"

namespace {

using namespace kolmo;

std::vector<uint8_t> readFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Byte offsets where segments start: after at least `tokens` tokens (counted on the whole
// text's tokenization), at the next line end.
std::vector<size_t> cutPoints(const std::vector<uint8_t>& text, const Tokenizer& tokenizer, size_t tokens) {
  std::vector<size_t> cuts{0};
  if (tokens == 0) return cuts;
  std::vector<uint32_t> ids;
  if (!isOk(tokenizer.encode(text.data(), text.size(), &ids))) return cuts;
  size_t offset = 0, since = 0;
  std::vector<uint8_t> piece;
  for (uint32_t id : ids) {
    piece.clear();
    if (!isOk(tokenizer.decode(&id, 1, &piece))) break;  // (decode appends)
    ++since;
    // A line end inside this token (BPE merges '\n' with what follows): cut right after it.
    size_t lineEnd = piece.size();
    while (lineEnd > 0 && piece[lineEnd - 1] != '\n') --lineEnd;
    if (since >= tokens && lineEnd > 0 && offset + lineEnd < text.size()) {
      cuts.push_back(offset + lineEnd);
      since = 0;
    }
    offset += piece.size();
  }
  return cuts;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: segment_cost <model.onnx> <tokenizer.kbpe> <text> S1 [S2 ...]\n");
    return 2;
  }
  const std::vector<uint8_t> model = readFile(argv[1]), tok = readFile(argv[2]), text = readFile(argv[3]);
  Tokenizer tokenizer;
  TokenTree tree;
  std::unique_ptr<Transformer> engine;
  if (!isOk(Tokenizer::parse(tok.data(), tok.size(), &tokenizer)) ||
      !isOk(TokenTree::build(tokenizer.tokenCounts(), tokenizer.vocabSize(), &tree)) ||
      !isOk(Transformer::load(model.data(), model.size(), 4, 256, &engine))) {
    std::fprintf(stderr, "segment_cost: cannot load the model or the tokenizer\n");
    return 1;
  }
  const LinkModel linkModel{engine.get(), &tokenizer, &tree, 1, 0x1234};
  std::printf("%s, %zu bytes\n\n| S (tokens) | segments | payload bytes | bits per byte | vs one stream | encode s |\n"
              "|---:|---:|---:|---:|---:|---:|\n", argv[3], text.size());
  double whole = 0;
  for (int a = 4; a < argc; ++a) {
    const size_t s = std::stoul(argv[a]);
    std::vector<size_t> cuts = cutPoints(text, tokenizer, s);
    cuts.push_back(text.size());
    size_t payload = 0;
    const double t0 = seconds();
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      LinkEncodeJob job(text.data() + cuts[i], cuts[i + 1] - cuts[i], modeBit(ContainerMode::kLm), &linkModel, 1e-4,
                        ContainerLimits{});
      bool done = false;
      Status status = Status::kOk;
      while (!done && isOk(status)) status = job.run(1 << 20, &done);
      if (!isOk(status)) {
        std::fprintf(stderr, "segment_cost: S=%zu segment %zu: %s\n", s, i, statusName(status));
        return 1;
      }
      payload += job.container().size() - containerFramingBytes(1);
    }
    const double bits = 8.0 * payload / text.size();
    if (s == 0) whole = payload;
    const std::string versus = whole > 0 ? std::to_string(100.0 * (payload - whole) / whole).substr(0, 5) + "%" : "-";
    std::printf("| %s | %zu | %zu | %.4f | %s | %.0f |\n", s == 0 ? "one stream" : std::to_string(s).c_str(),
                cuts.size() - 1, payload, bits, s == 0 ? "-" : versus.c_str(), seconds() - t0);
    std::fflush(stdout);
  }
  return 0;
}
