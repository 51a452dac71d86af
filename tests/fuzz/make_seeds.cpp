// make_seeds: writes the small seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/)
// from valid encodings, so libFuzzer starts inside the formats instead of at random bytes.
// Seeds only steer the search; regenerate them after a format change:
//
//   build-fuzz/tests/fuzz/make_seeds tests/fuzz/corpus
#include <cstdio>
#include <string>
#include <vector>

#include "kolmo/checksum.h"
#include "kolmo/container.h"
#include "session.h"
#include "synthetic_model.h"
#include "kolmo/url_codec.h"

using namespace kolmo;

namespace {

bool writeFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> withSelector(uint8_t selector, const std::vector<uint8_t>& rest) {
  std::vector<uint8_t> v{selector};
  v.insert(v.end(), rest.begin(), rest.end());
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR (with container/, url/, decoder/ inside)\n");
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = true;
  const std::vector<std::string> texts = {
      "",
      "hi",
      "Hello, world! Hello, world! Hello, world!",
      "{\"id\": 1, \"name\": \"kolmo\", \"tags\": [\"url\", \"text\"]}",
      "def f(x):\n    return x * 2\n\nprint(f(21))\n",
      "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C",  // 你好，世界
  };
  ContainerLimits limits;
  int n = 0;
  for (const std::string& t : texts) {
    std::vector<uint8_t> text = bytesOf(t), c, file;
    ok &= packBest(text.data(), text.size(), nullptr, 0, 0, limits, &c) == Status::kOk;
    ok &= writeFile(dir + "/container/best_" + std::to_string(n) + ".bin", withSelector(0, c));
    toFile(c.data(), c.size(), &file);
    ok &= writeFile(dir + "/container/file_" + std::to_string(n) + ".bin", withSelector(2, file));
    ok &= writeFile(dir + "/container/text_" + std::to_string(n) + ".bin", withSelector(1, text));
    std::string url;
    urlEncode(c.data(), c.size(), &url);
    ok &= writeFile(dir + "/url/link_" + std::to_string(n) + ".txt", bytesOf(url));
    ++n;
  }
  std::vector<uint8_t> lm;
  std::vector<uint8_t> body{0x12, 0x34, 0x56};
  std::vector<uint8_t> text = bytesOf("lm");
  ok &= pack(ContainerMode::kLm, 9, modelIdHash("m"), text.data(), text.size(), body.data(),
             body.size(), limits, &lm) == Status::kOk;
  ok &= writeFile(dir + "/container/lm_varint.bin", withSelector(0, lm));

  // LM payloads (versions 1 to 3) of short synthetic token sequences (vocabulary 512 as in
  // decoder_fuzz, which tries every input as every version).
  const size_t vocab = 512;
  const uint32_t eot = vocab - 1;
  TokenTree tree;
  ok &= TokenTree::build(kolmo_test::syntheticCounts(vocab), vocab, &tree) == Status::kOk;
  std::mt19937_64 rng(7);
  for (int version : {kLmPayloadV1, kLmPayloadV2, kLmPayloadV3})
  for (size_t len : {0, 1, 5, 40}) {
    std::vector<uint32_t> tokens = kolmo_test::sampleSequence(vocab, eot, len, rng);
    tokens.push_back(eot);
    RoundingConfig config;
    config.payloadVersion = version;
    config.tokenCount = tokens.size();
    EncoderSession encoder(tree, eot, config);
    uint32_t prev = eot;
    for (uint32_t tok : tokens) {
      std::vector<float> logits = kolmo_test::syntheticLogits(prev, vocab);
      ok &= encoder.encodeStep(logits.data(), vocab, tok) == Status::kOk;
      prev = tok;
    }
    std::vector<uint8_t> payload;
    ok &= encoder.finish(&payload) == Status::kOk;
    const std::string prefix = version == kLmPayloadV1   ? "/decoder/tokens_"
                               : version == kLmPayloadV2 ? "/decoder/v2_tokens_"
                                                         : "/decoder/v3_tokens_";
    ok &= writeFile(dir + prefix + std::to_string(len) + ".bin", payload);
  }
  if (!ok) std::fprintf(stderr, "make_seeds: something failed\n");
  return ok ? 0 : 1;
}
