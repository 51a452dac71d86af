// The model engine (transformer.h) and the link jobs (lm_jobs.h) on the shipped default model:
// its elementary functions against libm, batched == stepwise bit for bit, damaged model files
// refused, and links coded and decoded with the engine inside the core. The cross-build
// (native == WASM) and cross-runtime (engine vs ONNX Runtime) checks are in
// tests/node/engine.test.mjs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lm_jobs.h"
#include "onnx_reader.h"
#include "test_util.h"
#include "token_tree.h"
#include "transformer.h"

namespace {

using namespace kolmo;

const std::string& shippedModelBytes() {
  static const std::string bytes = kolmo_test::readFile(kolmo_test::shippedModelDir() + "/model.onnx");
  return bytes;
}

Status loadEngine(const std::string& bytes, std::unique_ptr<Transformer>* out, size_t nHeads = 4) {
  return Transformer::load(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), nHeads, 256, out);
}

std::vector<uint32_t> textIds(const std::string& text) {
  static const Tokenizer tokenizer = kolmo_test::shippedTokenizer();
  std::vector<uint32_t> ids;
  REQUIRE(tokenizer.encode(reinterpret_cast<const uint8_t*>(text.data()), text.size(), &ids) == Status::kOk);
  return ids;
}

const char* const kText =
    "The model runs inside the core: a forward pass in C++ with int8 weights and the KV cache in "
    "place, bit-identical in the native and the WASM build. {\"id\": 42, \"name\": \"kolmo\"}\n"
    "for (int i = 0; i < n; ++i) sum += x[i];\n";

}  // namespace

TEST_SUITE("transformer") {

TEST_CASE("detExpf and detErff stay within their stated error of libm") {
  double worstExp = 0, worstErf = 0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = -87.f + 87.f * static_cast<float>(i) / 200000.f;
    const double ref = std::exp(static_cast<double>(x));
    worstExp = std::max(worstExp, std::fabs(detail::detExpf(x) - ref) / ref);
    const float y = -6.f + 12.f * static_cast<float>(i) / 200000.f;
    worstErf = std::max(worstErf, std::fabs(detail::detErff(y) - std::erf(static_cast<double>(y))));
  }
  CHECK(worstExp <= 3e-7);
  CHECK(worstErf <= 5e-7);
  CHECK(detail::detExpf(-100.f) == 0.f);
  CHECK(detail::detExpf(0.f) == 1.f);
}

TEST_CASE("the shipped model loads with its shape") {
  std::unique_ptr<Transformer> engine;
  REQUIRE(loadEngine(shippedModelBytes(), &engine) == Status::kOk);
  const TransformerShape& s = engine->shape();
  CHECK(s.vocab == 8192);
  CHECK(s.dModel == 256);
  CHECK(s.nLayers == 4);
  CHECK(s.headDim == 64);
  CHECK(s.dFf == 1024);
  CHECK(s.tiedHead);
  CHECK_FALSE(s.rmsNorm);
}

TEST_CASE("a batched pass and single steps give bit-identical logits, and context-only tokens change nothing") {
  std::unique_ptr<Transformer> engine;
  REQUIRE(loadEngine(shippedModelBytes(), &engine) == Status::kOk);
  std::vector<uint32_t> seq{8191};
  const std::vector<uint32_t> ids = textIds(kText);
  seq.insert(seq.end(), ids.begin(), ids.end());
  const size_t n = seq.size(), vocab = engine->shape().vocab;
  std::vector<float> batched(n * vocab), stepwise(n * vocab);
  REQUIRE(engine->append(seq.data(), n, batched.data()) == Status::kOk);
  CHECK(engine->windowLength() == n);
  engine->reset();
  for (size_t i = 0; i < n; ++i) REQUIRE(engine->append(&seq[i], 1, &stepwise[i * vocab]) == Status::kOk);
  CHECK(std::memcmp(batched.data(), stepwise.data(), batched.size() * sizeof(float)) == 0);
  // The first half as context only, then the rest: the same rows.
  engine->reset();
  const size_t half = n / 2;
  REQUIRE(engine->append(seq.data(), half, nullptr) == Status::kOk);
  std::vector<float> rest((n - half) * vocab);
  REQUIRE(engine->append(&seq[half], n - half, rest.data()) == Status::kOk);
  CHECK(std::memcmp(rest.data(), &batched[half * vocab], rest.size() * sizeof(float)) == 0);
  // Logits are finite and not degenerate.
  float lo = batched[0], hi = batched[0];
  for (float v : batched) {
    REQUIRE(std::isfinite(v));
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(hi - lo > 5.f);
}

// The architecture fixtures (tests/data/engine/make_fixtures.py): tiny models exported by
// export.py with PyTorch's logits beside them.
TEST_CASE("every architecture the engine knows computes PyTorch's function") {
  for (const char* name : {"km2-arch", "km3-arch"}) {
    CAPTURE(name);
    const std::string dir = std::string(KOLMO_SOURCE_DIR) + "/tests/data/engine/" + name;
    const std::string model = kolmo_test::readFile(dir + "/model.onnx");
    const std::string reference = kolmo_test::readFile(dir + "/reference.bin");
    REQUIRE(reference.size() > 20);
    uint32_t header[5];
    std::memcpy(header, reference.data(), sizeof header);
    const size_t vocab = header[0], count = header[1];
    REQUIRE(reference.size() == 20 + count * 8 + count * vocab * 4);
    std::vector<uint32_t> ids(count);
    for (size_t i = 0; i < count; ++i) {
      int64_t id;
      std::memcpy(&id, reference.data() + 20 + i * 8, 8);
      ids[i] = static_cast<uint32_t>(id);
    }
    std::vector<float> expected(count * vocab);
    std::memcpy(expected.data(), reference.data() + 20 + count * 8, expected.size() * 4);
    std::unique_ptr<Transformer> engine;
    REQUIRE(Transformer::load(reinterpret_cast<const uint8_t*>(model.data()), model.size(), header[3], 64, &engine) ==
            Status::kOk);
    CHECK(engine->shape().nLayers == header[2]);
    CHECK(engine->shape().headDim == header[4]);
    const bool km3 = std::string(name) == "km3-arch";
    CHECK(engine->shape().rmsNorm == km3);
    CHECK(engine->shape().relu2 == km3);
    CHECK(engine->shape().qkNorm == km3);
    CHECK(engine->shape().tiedHead == !km3);
    std::vector<float> logits(count * vocab);
    REQUIRE(engine->append(ids.data(), count, logits.data()) == Status::kOk);
    double worst = 0, spread = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      worst = std::max(worst, static_cast<double>(std::fabs(logits[i] - expected[i])));
      spread = std::max(spread, static_cast<double>(std::fabs(expected[i])));
    }
    MESSAGE(std::string(name) << ": max |engine - PyTorch| = " << worst << " (max |logit| " << spread << ")");
    CHECK(spread > 1.0);
    CHECK(worst <= 2e-5 * std::max(1.0, spread));
  }
}

TEST_CASE("the window bound and token ids are checked") {
  std::unique_ptr<Transformer> engine;
  REQUIRE(loadEngine(shippedModelBytes(), &engine) == Status::kOk);
  std::vector<float> logits(8192);
  const uint32_t bad = 8192;
  CHECK(engine->append(&bad, 1, logits.data()) == Status::kBadArgument);
  CHECK(engine->windowLength() == 0);
  std::vector<uint32_t> full(256, 17);
  REQUIRE(engine->append(full.data(), full.size(), nullptr) == Status::kOk);
  const uint32_t one = 5;
  CHECK(engine->append(&one, 1, logits.data()) == Status::kBadArgument);
  engine->reset();
  CHECK(engine->append(&one, 1, logits.data()) == Status::kOk);
}

TEST_CASE("damaged, truncated and foreign model files are refused with bad_model") {
  const std::string& good = shippedModelBytes();
  std::unique_ptr<Transformer> engine;
  // Truncated anywhere: never loads (the initializers are read whole).
  for (size_t cut : {size_t{0}, size_t{1}, size_t{100}, good.size() / 3, good.size() / 2, good.size() - 1}) {
    CAPTURE(cut);
    CHECK(loadEngine(good.substr(0, cut), &engine) == Status::kBadModel);
  }
  // An HTML page served instead of the file, and random bytes.
  CHECK(loadEngine("<!doctype html><html><body>Not found</body></html>", &engine) == Status::kBadModel);
  uint64_t state = 7;
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(kolmo_test::splitMix(&state));
  CHECK(loadEngine(noise, &engine) == Status::kBadModel);
  // A head count that does not divide the width into multiples of 4, or none.
  CHECK(loadEngine(good, &engine, 0) == Status::kBadModel);
  CHECK(loadEngine(good, &engine, 3) == Status::kBadModel);
  // An architecture the engine does not know (metadata_props, field 14, appended).
  std::string foreign = good;
  const std::string key = "kolmo.arch", value = "{\"activation\":\"swiglu\"}";
  std::string entry;
  entry += static_cast<char>(0x0a);
  entry += static_cast<char>(key.size());
  entry += key;
  entry += static_cast<char>(0x12);
  entry += static_cast<char>(value.size());
  entry += value;
  foreign += static_cast<char>(0x72);  // field 14, wire type 2
  foreign += static_cast<char>(entry.size());
  foreign += entry;
  OnnxFile file;
  REQUIRE(readOnnx(reinterpret_cast<const uint8_t*>(foreign.data()), foreign.size(), &file) == Status::kOk);
  REQUIRE(file.meta("kolmo.arch") != nullptr);
  CHECK(loadEngine(foreign, &engine) == Status::kBadModel);
}

TEST_CASE("links coded by the engine inside the core decode exactly, in any slicing") {
  std::unique_ptr<Transformer> engine;
  REQUIRE(loadEngine(shippedModelBytes(), &engine) == Status::kOk);
  const Tokenizer tokenizer = kolmo_test::shippedTokenizer();
  std::vector<uint64_t> counts = tokenizer.tokenCounts();
  TokenTree tree;
  REQUIRE(TokenTree::build(counts, counts.size(), &tree) == Status::kOk);
  // Long enough for a window restart (the rule restarts every 128 positions after 256).
  std::string text;
  for (int i = 0; i < 4; ++i) text += kText;
  const std::vector<uint32_t> ids = textIds(text);
  REQUIRE(ids.size() + 2 > 300);
  for (int version : {1, 2, 3}) {
    CAPTURE(version);
    std::vector<std::vector<uint8_t>> payloads;
    for (size_t budget : {size_t{1000000}, size_t{7}}) {
      LmEncodeJob job(engine.get(), tree, tokenizer.eotId(), ids.data(), ids.size(), {version}, 1e-4);
      bool done = false;
      int slices = 0;
      while (!done) {
        REQUIRE(job.run(budget, &done) == Status::kOk);
        ++slices;
      }
      CHECK(job.positionsDone() == ids.size() + 1);
      CHECK((budget == 7 ? slices > 10 : slices == 1));
      payloads.push_back(job.payload(0));
    }
    CHECK(payloads[0] == payloads[1]);
    LmDecodeJob decode(engine.get(), tree, tokenizer.eotId(), payloads[0].data(), payloads[0].size(), version,
                       kMaxLmTokens);
    bool done = false;
    while (!done) REQUIRE(decode.run(13, &done) == Status::kOk);
    CHECK(decode.tokens() == ids);
    CHECK(decode.tokenBits().size() == ids.size() + 1);
    // Further runs after EOT do nothing.
    CHECK(decode.run(5, &done) == Status::kOk);
    CHECK(decode.tokens().size() == ids.size());
  }
}

TEST_CASE("a damaged payload ends in an error or another token sequence, within its bound") {
  std::unique_ptr<Transformer> engine;
  REQUIRE(loadEngine(shippedModelBytes(), &engine) == Status::kOk);
  const Tokenizer tokenizer = kolmo_test::shippedTokenizer();
  TokenTree tree;
  REQUIRE(TokenTree::build(tokenizer.tokenCounts(), tokenizer.tokenCounts().size(), &tree) == Status::kOk);
  const std::vector<uint32_t> ids = textIds(kText);
  LmEncodeJob job(engine.get(), tree, tokenizer.eotId(), ids.data(), ids.size(), {3}, 1e-4);
  bool done = false;
  REQUIRE(job.run(1 << 20, &done) == Status::kOk);
  std::vector<uint8_t> damaged = job.payload(0);
  damaged[damaged.size() / 2] ^= 0x10;
  LmDecodeJob decode(engine.get(), tree, tokenizer.eotId(), damaged.data(), damaged.size(), 3, 400);
  Status status = Status::kOk;
  size_t steps = 0;
  for (done = false; !done && isOk(status); steps += 16) status = decode.run(16, &done);
  CHECK(steps <= 400 + 16);
  CHECK((!isOk(status) || decode.tokens() != ids));
}

}  // TEST_SUITE
