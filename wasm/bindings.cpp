// Embind bindings of the kolmo core: the only file that includes <emscripten/bind.h>.
//
// Thin by design: one binding per public call of the core, no logic beyond moving data across
// the boundary. web/lib/codec.js wraps these into the idiomatic JS API (KolmoError, no
// .delete()); wasm/kolmo_wasm.d.ts types them. Conventions:
//   - Status crosses as an int (kolmo::Status value); statusName(int) gives its stable name.
//   - A fallible call with a result returns a plain JS object {status: int, value}; value is
//     undefined unless status == 0. Hot per-token calls return a bare int instead.
//   - Bytes and ids cross as typed arrays (Uint8Array, Uint32Array) with one bulk copy each
//     way (TypedArray.set / TypedArray constructor), never an element-by-element loop: embind's
//     std::string conversion of a Uint8Array copies byte by byte in emcc 3.1.6, so bytes are
//     taken as emscripten::val here.
//   - Objects (Tokenizer, TokenTree, sessions) are class_ handles holding a std::shared_ptr:
//     whoever receives one must call .delete() exactly once (codec.js does), which drops that
//     reference. Sessions hold their own reference to their TokenTree, so deleting a tree
//     handle before its sessions is safe.
//
// READ ME FIRST — typed_memory_view: a view returned by logitsBuffer() (and any other view
// into the WASM heap) aliases the heap's current ArrayBuffer. Any call that can allocate may
// grow memory (ALLOW_MEMORY_GROWTH), which replaces that ArrayBuffer and leaves every old
// view detached (length 0; writes silently go nowhere). Take the view again right before
// filling it, after any other call into the module.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checksum.h"
#include "cm_codec.h"
#include "container.h"
#include "kolmo/status.h"
#include "rounding.h"
#include "tokenizer.h"
#include "url_codec.h"

namespace kolmo {
namespace {

using emscripten::val;

// ---- boundary helpers ----

// Copies a JS typed array (or array of numbers) into a vector with one TypedArray.set().
template <typename T>
std::vector<T> vectorFromJs(const val& array) {
  std::vector<T> out(array["length"].as<size_t>());
  if (!out.empty()) val(emscripten::typed_memory_view(out.size(), out.data())).call<void>("set", array);
  return out;
}

// A new JS typed array (owning its own buffer, not a heap view) holding a copy of data[0, n).
template <typename T>
val typedArrayCopy(const char* jsType, const T* data, size_t n) {
  if (n == 0) return val::global(jsType).new_(0);
  return val::global(jsType).new_(emscripten::typed_memory_view(n, data));
}
val bytesToJs(const uint8_t* data, size_t n) { return typedArrayCopy("Uint8Array", data, n); }
val bytesToJs(const std::vector<uint8_t>& v) { return bytesToJs(v.data(), v.size()); }
val idsToJs(const std::vector<uint32_t>& v) { return typedArrayCopy("Uint32Array", v.data(), v.size()); }

val result(Status status, val value) {
  val r = val::object();
  r.set("status", static_cast<int>(status));
  r.set("value", isOk(status) ? value : val::undefined());
  return r;
}
val result(Status status) { return result(status, val::undefined()); }

// u64 values cross as 16-digit lowercase hex strings: emcc 3.1.6 without WASM_BIGINT has no
// 64-bit integer binding.
std::string hex64(uint64_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = kDigits[v & 15];
  return s;
}
bool parseHex64(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
          : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// ---- status ----

std::string statusNameOf(int status) { return statusName(static_cast<Status>(status)); }

// ---- tokenizer ----

// Tokenizer.parse(bytes) -> {status, value: Tokenizer (JS owns: .delete())}.
val tokenizerParse(const val& bytes) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  auto tokenizer = std::make_shared<Tokenizer>();
  Status status = Tokenizer::parse(data.data(), data.size(), tokenizer.get());
  if (!isOk(status)) return result(status);
  return result(status, val(std::move(tokenizer)));
}
// tokenizer.encode(bytes) -> {status, value: Uint32Array of ids}
val tokenizerEncode(const Tokenizer& tokenizer, const val& bytes) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  std::vector<uint32_t> ids;
  Status status = tokenizer.encode(data.data(), data.size(), &ids);
  return result(status, isOk(status) ? idsToJs(ids) : val::undefined());
}
// tokenizer.decode(ids) -> {status, value: Uint8Array}; ids must not contain EOT.
val tokenizerDecode(const Tokenizer& tokenizer, const val& idArray) {
  std::vector<uint32_t> ids = vectorFromJs<uint32_t>(idArray);
  std::vector<uint8_t> bytes;
  Status status = tokenizer.decode(ids.data(), ids.size(), &bytes);
  return result(status, isOk(status) ? bytesToJs(bytes) : val::undefined());
}
size_t tokenizerVocabSize(const Tokenizer& tokenizer) { return tokenizer.vocabSize(); }
uint32_t tokenizerEotId(const Tokenizer& tokenizer) { return tokenizer.eotId(); }
// Per-token corpus counts as a Float64Array (exact up to 2^53).
val tokenizerTokenCounts(const Tokenizer& tokenizer) {
  const std::vector<uint64_t>& counts = tokenizer.tokenCounts();
  std::vector<double> asDouble(counts.begin(), counts.end());
  return typedArrayCopy("Float64Array", asDouble.data(), asDouble.size());
}

// ---- rounding layer ----

// TokenTree.build(counts, vocabSize) -> {status, value: TokenTree (JS owns: .delete())}.
// counts: Float64Array / array of non-negative integers (< 2^53), one per token id.
val tokenTreeBuild(const val& countArray, size_t vocabSize) {
  std::vector<double> countsAsDouble = vectorFromJs<double>(countArray);
  std::vector<uint64_t> counts(countsAsDouble.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    const double c = countsAsDouble[i];
    if (!(c >= 0 && c <= 9007199254740992.0)) return result(Status::kBadArgument);
    counts[i] = static_cast<uint64_t>(c);
  }
  auto tree = std::make_shared<TokenTree>();
  Status status = TokenTree::build(counts, vocabSize, tree.get());
  if (!isOk(status)) return result(status);
  return result(status, val(std::move(tree)));
}
size_t tokenTreeVocabSize(const TokenTree& tree) { return tree.vocabSize(); }
size_t tokenTreeMaxDepth(const TokenTree& tree) { return tree.maxDepth(); }
// Path length of `token` in decisions; 0 for an id out of range.
size_t tokenTreeDepth(const TokenTree& tree, uint32_t token) {
  return token < tree.vocabSize() ? tree.depth(token) : 0;
}

GridSpec defaultGridSpec() { return GridSpec{}; }

// Quantizer.build(spec) -> {status, value: Quantizer (JS owns: .delete())}
val quantizerBuild(const GridSpec& spec) {
  auto quantizer = std::make_shared<Quantizer>();
  Status status = Quantizer::build(spec, quantizer.get());
  if (!isOk(status)) return result(status);
  return result(status, val(std::move(quantizer)));
}

// dumpNodeTable(tree, quantizer, logits, epsilon) -> {status, value: Uint32Array of
// (V-1) x kNodeDumpWords words}: the cross-build comparison of rounding.h.
val dumpNodeTableJs(const TokenTree& tree, const Quantizer& quantizer, const val& logitArray,
                    double epsilon) {
  std::vector<float> logits = vectorFromJs<float>(logitArray);
  std::vector<uint32_t> words;
  Status status = dumpNodeTable(tree, quantizer, logits.data(), logits.size(), epsilon, &words);
  return result(status, isOk(status) ? idsToJs(words) : val::undefined());
}

// ---- url codec ----

std::string urlEncodeJs(const val& bytes) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  std::string text;
  urlEncode(data.data(), data.size(), &text);
  return text;
}
// urlDecode(text) -> {status, value: Uint8Array}
val urlDecodeJs(const std::string& text) {
  std::vector<uint8_t> bytes;
  Status status = urlDecode(text, &bytes);
  return result(status, isOk(status) ? bytesToJs(bytes) : val::undefined());
}

// ---- checksum ----

std::string modelIdHashJs(const std::string& modelId) { return hex64(modelIdHash(modelId)); }
// textCheck16(modelIdHashHex, bytes) -> the 16-bit check a container stores (-1: bad hex).
int textCheck16Js(const std::string& modelIdHashHex, const val& bytes) {
  uint64_t idHash = 0;
  if (!parseHex64(modelIdHashHex, &idHash)) return -1;
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  return textCheck16(idHash, data.data(), data.size());
}

// ---- container ----
// Modes cross as ints (ContainerMode values: 0 stored, 1 cm, 2 lm). A parsed view crosses as
// a plain object {version, mode, modelIndex, check, body: Uint8Array (a copy)}; verify() and
// decodeFallback() take such an object back.

val viewToJs(const ContainerView& view) {
  val v = val::object();
  v.set("version", view.version);
  v.set("mode", static_cast<int>(view.mode));
  v.set("modelIndex", view.modelIndex);
  v.set("check", view.check);
  v.set("body", bytesToJs(view.body, view.bodySize));
  return v;
}
// Rebuilds a ContainerView from its JS object; the body is copied into *bodyStorage, which
// must outlive the view.
ContainerView viewFromJs(const val& v, std::vector<uint8_t>* bodyStorage) {
  *bodyStorage = vectorFromJs<uint8_t>(v["body"]);
  ContainerView view;
  view.version = static_cast<uint8_t>(v["version"].as<unsigned>());
  view.mode = static_cast<ContainerMode>(v["mode"].as<unsigned>());
  view.modelIndex = v["modelIndex"].as<uint32_t>();
  view.check = static_cast<uint16_t>(v["check"].as<unsigned>());
  view.body = bodyStorage->data();
  view.bodySize = bodyStorage->size();
  return view;
}

ContainerLimits defaultContainerLimits() { return ContainerLimits{}; }

// containerPack(mode, modelIndex, modelIdHashHex, text, body, limits) -> {status, value: Uint8Array}
val containerPack(int mode, uint32_t modelIndex, const std::string& modelIdHashHex, const val& text,
                  const val& body, const ContainerLimits& limits) {
  uint64_t idHash = 0;
  if (!parseHex64(modelIdHashHex, &idHash)) return result(Status::kBadArgument);
  std::vector<uint8_t> textBytes = vectorFromJs<uint8_t>(text);
  std::vector<uint8_t> bodyBytes = vectorFromJs<uint8_t>(body);
  std::vector<uint8_t> out;
  Status status = pack(static_cast<ContainerMode>(mode), modelIndex, idHash, textBytes.data(),
                       textBytes.size(), bodyBytes.data(), bodyBytes.size(), limits, &out);
  return result(status, isOk(status) ? bytesToJs(out) : val::undefined());
}

// containerParse(bytes, limits) -> {status, value: view object}
val containerParse(const val& bytes, const ContainerLimits& limits) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  ContainerView view;
  Status status = parse(data.data(), data.size(), limits, &view);
  return result(status, isOk(status) ? viewToJs(view) : val::undefined());
}

// containerVerify(view, modelIdHashHex, text) -> int status
int containerVerify(const val& viewObject, const std::string& modelIdHashHex, const val& text) {
  uint64_t idHash = 0;
  if (!parseHex64(modelIdHashHex, &idHash)) return static_cast<int>(Status::kBadArgument);
  std::vector<uint8_t> body;
  ContainerView view = viewFromJs(viewObject, &body);
  std::vector<uint8_t> textBytes = vectorFromJs<uint8_t>(text);
  return static_cast<int>(verify(view, idHash, textBytes.data(), textBytes.size()));
}

// containerDecodeFallback(view, limits) -> {status, value: Uint8Array text}
val containerDecodeFallback(const val& viewObject, const ContainerLimits& limits) {
  std::vector<uint8_t> body;
  ContainerView view = viewFromJs(viewObject, &body);
  std::vector<uint8_t> text;
  Status status = decodeFallback(view, limits, &text);
  return result(status, isOk(status) ? bytesToJs(text) : val::undefined());
}

// containerPackBest(text, lmBody | null, modelIndex, modelIdHashHex, limits)
//   -> {status, value: {bytes: Uint8Array, mode: int}}
val containerPackBest(const val& text, const val& lmBody, uint32_t modelIndex,
                      const std::string& modelIdHashHex, const ContainerLimits& limits) {
  uint64_t idHash = 0;
  if (!parseHex64(modelIdHashHex, &idHash)) return result(Status::kBadArgument);
  std::vector<uint8_t> textBytes = vectorFromJs<uint8_t>(text);
  const bool hasLm = !lmBody.isNull() && !lmBody.isUndefined();
  std::vector<uint8_t> lmBytes;
  if (hasLm) lmBytes = vectorFromJs<uint8_t>(lmBody);
  std::vector<uint8_t> out;
  ContainerMode chosen = ContainerMode::kStored;
  Status status = packBest(textBytes.data(), textBytes.size(), hasLm ? &lmBytes : nullptr,
                           modelIndex, idHash, limits, &out, &chosen);
  if (!isOk(status)) return result(status);
  val packed = val::object();
  packed.set("bytes", bytesToJs(out));
  packed.set("mode", static_cast<int>(chosen));
  return result(status, packed);
}

val containerToFile(const val& container) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(container);
  std::vector<uint8_t> out;
  toFile(data.data(), data.size(), &out);
  return bytesToJs(out);
}

// containerParseFile(bytes, limits) -> {status, value: view object}
val containerParseFile(const val& bytes, const ContainerLimits& limits) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  ContainerView view;
  Status status = parseFile(data.data(), data.size(), limits, &view);
  return result(status, isOk(status) ? viewToJs(view) : val::undefined());
}

// ---- cm codec ----

// cmEncode(text) -> {status, value: Uint8Array stream}
val cmEncodeJs(const val& text) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(text);
  std::vector<uint8_t> out;
  Status status = cmEncode(data.data(), data.size(), &out);
  return result(status, isOk(status) ? bytesToJs(out) : val::undefined());
}
// cmDecode(stream, maxTextBytes) -> {status, value: Uint8Array text}
val cmDecodeJs(const val& stream, size_t maxTextBytes) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(stream);
  std::vector<uint8_t> text;
  Status status = cmDecode(data.data(), data.size(), maxTextBytes, &text);
  return result(status, isOk(status) ? bytesToJs(text) : val::undefined());
}

}  // namespace
}  // namespace kolmo

EMSCRIPTEN_BINDINGS(kolmo) {
  using namespace emscripten;
  using namespace kolmo;

  function("statusName", &statusNameOf);

  class_<Tokenizer>("Tokenizer")
      .smart_ptr<std::shared_ptr<Tokenizer>>("TokenizerPtr")
      .class_function("parse", &tokenizerParse)
      .function("encode", &tokenizerEncode)
      .function("decode", &tokenizerDecode)
      .function("vocabSize", &tokenizerVocabSize)
      .function("eotId", &tokenizerEotId)
      .function("tokenCounts", &tokenizerTokenCounts);

  class_<TokenTree>("TokenTree")
      .smart_ptr<std::shared_ptr<TokenTree>>("TokenTreePtr")
      .class_function("build", &tokenTreeBuild)
      .function("vocabSize", &tokenTreeVocabSize)
      .function("maxDepth", &tokenTreeMaxDepth)
      .function("depth", &tokenTreeDepth);

  value_object<GridSpec>("GridSpec")
      .field("thetaStep", &GridSpec::thetaStep)
      .field("tailWidth", &GridSpec::tailWidth)
      .field("tailLimit", &GridSpec::tailLimit);
  function("defaultGridSpec", &defaultGridSpec);
  class_<Quantizer>("Quantizer")
      .smart_ptr<std::shared_ptr<Quantizer>>("QuantizerPtr")
      .class_function("build", &quantizerBuild);
  constant("kNodeDumpWords", kNodeDumpWords);
  function("dumpNodeTable", &dumpNodeTableJs);

  function("urlEncode", &urlEncodeJs);
  function("urlDecode", &urlDecodeJs);
  function("urlEncodedLength", &urlEncodedLength);

  value_object<ContainerLimits>("ContainerLimits")
      .field("maxTextBytes", &ContainerLimits::maxTextBytes)
      .field("maxContainerBytes", &ContainerLimits::maxContainerBytes);
  function("defaultContainerLimits", &defaultContainerLimits);
  function("containerPack", &containerPack);
  function("containerParse", &containerParse);
  function("containerVerify", &containerVerify);
  function("containerDecodeFallback", &containerDecodeFallback);
  function("containerPackBest", &containerPackBest);
  function("containerToFile", &containerToFile);
  function("containerParseFile", &containerParseFile);

  function("cmEncode", &cmEncodeJs);
  function("cmDecode", &cmDecodeJs);

  function("modelIdHash", &modelIdHashJs);
  function("textCheck16", &textCheck16Js);
}
