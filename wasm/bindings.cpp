// Embind bindings of the kolmo core: the product module, kolmo_wasm.{js,wasm}, which the page
// and the npm package ship. What only tests and benches call (the rounding layer's insides) is
// in test_bindings.cpp, built into a separate module that is never shipped (wasm/CMakeLists.txt).
//
// Thin by design: one binding per public call of the core, no logic beyond moving data across
// the boundary (boundary.h). web/lib/worker/codec.js wraps these into the idiomatic JS API
// (KolmoError, no .delete()); wasm/kolmo_wasm.d.ts types them. Conventions:
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

#include "kolmo/checksum.h"
#include "kolmo/container.h"
#include "kolmo/envelope.h"
#include "kolmo/line_breaks.h"
#include "kolmo/lm.h"
#include "kolmo/status.h"
#include "kolmo/tokenizer.h"
#include "kolmo/url_codec.h"

// Internals (kolmo_internal): the token tree and sessions the JS API hands out as handles.
#include "cm_codec.h"
#include "link_jobs.h"
#include "rounding.h"
#include "session.h"
#include "transformer.h"

#include "boundary.h"

namespace kolmo {
namespace {

using emscripten::val;
using namespace js;  // boundary.h

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

// ---- sessions ----
// The JS-visible EncoderSession / DecoderSession wrap the core's sessions together with what
// those only reference: the TokenTree (a shared_ptr, so the tree handle may be deleted
// first), the payload bytes (decoder), and the C++-owned logits buffer that JS fills.
//
// Logits protocol, per step (see READ ME FIRST at the top about views):
//   view = session.logitsBuffer(rows)   // Float32Array over rows x vocab floats in the heap
//   view.set(logits)                    // one bulk copy
//   session.encodeStep(token) / session.encodeSteps(tokens) / session.decodeStep()
// logitsBuffer() may allocate (and so detach older views); the step calls do not touch it.

val statsToJs(const SessionStats& stats) {
  val v = val::object();
  v.set("steps", static_cast<double>(stats.steps));
  v.set("fragileSteps", static_cast<double>(stats.fragileSteps));
  v.set("escapes", static_cast<double>(stats.escapes));
  v.set("idealBits", stats.idealBits);
  v.set("codedBits", stats.codedBits);
  v.set("flagBits", stats.flagBits);
  v.set("escapeBits", stats.escapeBits);
  return v;
}

class LogitsBuffer {
 public:
  explicit LogitsBuffer(size_t vocab) : vocab_(vocab) {}
  // A (rows, vocab) float32 view of the buffer, grown as needed. Dies on memory growth.
  val view(size_t rows) {
    if (rows * vocab_ > data_.size()) data_.resize(rows * vocab_);
    return val(emscripten::typed_memory_view(rows * vocab_, data_.data()));
  }
  size_t rows() const { return vocab_ ? data_.size() / vocab_ : 0; }
  size_t vocab() const { return vocab_; }
  const float* data() const { return data_.data(); }

 private:
  size_t vocab_;
  std::vector<float> data_;  // (rows, vocab) float32, row-major
};

RoundingConfig roundingConfigFor(double epsilon, int payloadVersion, size_t tokenCount) {
  RoundingConfig config;
  config.epsilon = epsilon;
  config.payloadVersion = payloadVersion;
  config.tokenCount = tokenCount;
  return config;
}

// new EncoderSession(tree, eotId, epsilon, payloadVersion, tokenCount) — JS owns the handle
// (.delete()). epsilon: the logit drift (max norm) the stream must survive; the grids are the
// default (format) ones; payloadVersion 1, 2 or 3 (2, 3: tokenCount = tokens to code, EOT included).
// Check status() once after construction: a bad eotId is reported there and by every call.
class WasmEncoderSession {
 public:
  WasmEncoderSession(std::shared_ptr<TokenTree> tree, uint32_t eotId, double epsilon, int payloadVersion,
                     size_t tokenCount)
      : tree_(std::move(tree)), session_(*tree_, eotId, roundingConfigFor(epsilon, payloadVersion, tokenCount)),
        logits_(tree_->vocabSize()) {}

  int status() const { return static_cast<int>(session_.status()); }
  val logitsBuffer(size_t rows) { return logits_.view(rows); }
  // Codes `token` with row 0 of the logits buffer. Returns a Status int.
  int encodeStep(uint32_t token) {
    if (logits_.rows() < 1) return static_cast<int>(Status::kBadArgument);
    return static_cast<int>(session_.encodeStep(logits_.data(), logits_.vocab(), token));
  }
  // Codes tokens.length steps with rows 0..n-1 of the logits buffer. Returns a Status int;
  // on error the steps before the failing one stay coded (stats().steps counts them).
  int encodeSteps(const val& tokenArray) {
    std::vector<uint32_t> tokens = vectorFromJs<uint32_t>(tokenArray);
    if (logits_.rows() < tokens.size()) return static_cast<int>(Status::kBadArgument);
    return static_cast<int>(
        session_.encodeSteps(logits_.data(), tokens.size(), logits_.vocab(), tokens.data()));
  }
  // Float32Array of the bits each coded step cost (payload 3 codes a block's steps when the
  // block is complete: every step once EOT is coded).
  val stepBits() const {
    const std::vector<float>& bits = session_.stepBits();
    return typedArrayCopy("Float32Array", bits.data(), bits.size());
  }
  // -> {status, value: Uint8Array payload}
  val finish() {
    std::vector<uint8_t> payload;
    Status status = session_.finish(&payload);
    return result(status, isOk(status) ? bytesToJs(payload) : val::undefined());
  }
  val stats() const { return statsToJs(session_.stats()); }

 private:
  std::shared_ptr<TokenTree> tree_;  // first: session_ references *tree_
  EncoderSession session_;
  LogitsBuffer logits_;
};

// new DecoderSession(tree, eotId, payload, limits, payloadVersion) — JS owns the handle
// (.delete()). payloadVersion: the LM payload version of the container (1, 2 or 3).
// The payload is copied in (the core session only references it).
class WasmDecoderSession {
 public:
  WasmDecoderSession(std::shared_ptr<TokenTree> tree, uint32_t eotId, const val& payload,
                     const DecodeLimits& limits, int payloadVersion)
      : tree_(std::move(tree)),
        payload_(vectorFromJs<uint8_t>(payload)),
        session_(*tree_, eotId, payload_.data(), payload_.size(), limits, GridSpec(), payloadVersion),
        logits_(tree_->vocabSize()) {}

  int status() const { return static_cast<int>(session_.status()); }
  val logitsBuffer(size_t rows) { return logits_.view(rows); }
  // Decodes one token with row 0 of the logits buffer: returns the token id (>= 0), or
  // -status (< 0) on error. Token ids are < 2^24, so the two never collide.
  int decodeStep() {
    if (logits_.rows() < 1) return -static_cast<int>(Status::kBadArgument);
    uint32_t token = 0;
    Status status = session_.decodeStep(logits_.data(), logits_.vocab(), &token);
    return isOk(status) ? static_cast<int>(token) : -static_cast<int>(status);
  }
  bool done() const { return session_.done(); }
  val stats() const { return statsToJs(session_.stats()); }

 private:
  std::shared_ptr<TokenTree> tree_;  // order matters: session_ references *tree_ and payload_
  std::vector<uint8_t> payload_;
  DecoderSession session_;
  LogitsBuffer logits_;
};

DecodeLimits defaultDecodeLimits() { return DecodeLimits{}; }

val viewToJs(const ContainerView& view, bool withBody = true);

// ---- the model engine (transformer.h) and the link jobs (link_jobs.h) ----
// ModelEngine.load(modelOnnxBytes, nHeads, context) -> {status, value: ModelEngine (JS owns:
// .delete())}. The bytes are copied into the engine and may be dropped by JS afterwards.
// Jobs hold a shared reference to their engine and tree, so handles may be deleted in any
// order; one engine runs one job at a time (the job owns its window until it is done).
val modelEngineLoad(const val& bytes, size_t nHeads, size_t context) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  std::unique_ptr<Transformer> engine;
  Status status = Transformer::load(data.data(), data.size(), nHeads, context, &engine);
  if (!isOk(status)) return result(status);
  return result(status, val(std::shared_ptr<Transformer>(std::move(engine))));
}
size_t modelEngineVocabSize(const Transformer& engine) { return engine.shape().vocab; }
size_t modelEngineContext(const Transformer& engine) { return engine.shape().context; }
// engine.append(tokens, wantLogits) -> {status, value: Float32Array (tokens.length x vocab) or
// undefined}: the low-level pass that the drift bench and the conformance tests compare
// with ONNX Runtime; links go through the jobs.
val modelEngineAppend(Transformer& engine, const val& tokenArray, bool wantLogits) {
  std::vector<uint32_t> tokens = vectorFromJs<uint32_t>(tokenArray);
  std::vector<float> logits(wantLogits ? tokens.size() * engine.shape().vocab : 0);
  Status status = engine.append(tokens.data(), tokens.size(), wantLogits ? logits.data() : nullptr);
  if (!isOk(status) || !wantLogits) return result(status);
  return result(status, typedArrayCopy("Float32Array", logits.data(), logits.size()));
}
void modelEngineReset(Transformer& engine) { engine.reset(); }
size_t modelEngineWindowLength(const Transformer& engine) { return engine.windowLength(); }

// The link jobs (link_jobs.h): a whole link in one object of the core, run in slices.
// new LinkEncodeJob(text, allowedModes, engine, tokenizer, tree, modelIndex, idHashHex, epsilon,
//   limits); check status() after construction (kLengthOverLimit, kBadArgument: a bad hash).
class WasmLinkEncodeJob {
 public:
  WasmLinkEncodeJob(const val& text, unsigned allowedModes, std::shared_ptr<Transformer> engine,
                    std::shared_ptr<Tokenizer> tokenizer, std::shared_ptr<TokenTree> tree, uint32_t modelIndex,
                    const std::string& idHashHex, double epsilon, const ContainerLimits& limits,
                    size_t segmentTokens, size_t segmentedAboveTokens)
      : engine_(std::move(engine)), tokenizer_(std::move(tokenizer)), tree_(std::move(tree)) {
    LinkModel model{engine_.get(), tokenizer_.get(), tree_.get(), modelIndex, 0};
    const bool hashOk = parseHex64(idHashHex, &model.idHash);
    const std::vector<uint8_t> bytes = vectorFromJs<uint8_t>(text);
    SegmentRule rule;  // 0: the product's rule (segments.h)
    if (segmentTokens > 0) rule.segmentTokens = segmentTokens;
    if (segmentedAboveTokens > 0) rule.aboveTokens = segmentedAboveTokens;
    job_ = std::make_unique<LinkEncodeJob>(bytes.data(), bytes.size(), allowedModes, &model, epsilon, limits, rule);
    if (!hashOk) status_ = Status::kBadArgument;
  }
  // A long text (segments.h): how many segments the model codes (0: not segmented), segment i's
  // tokens (Uint32Array), and a segment coded elsewhere (PayloadEncodeJob), a Status int.
  size_t segmentCount() { return job_->segmented() ? job_->segmented()->segmentCount() : 0; }
  val segmentIds(size_t i) {
    SegmentedEncodeJob* seg = job_->segmented();
    if (seg == nullptr || i >= seg->segmentCount()) return val::null();
    const std::vector<uint32_t>& ids = job_->input().ids;
    return typedArrayCopy("Uint32Array", ids.data() + seg->segmentStart(i), seg->segmentStart(i + 1) - seg->segmentStart(i));
  }
  int provideSegment(size_t i, const val& payload) {
    if (job_->segmented() == nullptr) return static_cast<int>(Status::kBadArgument);
    const std::vector<uint8_t> bytes = vectorFromJs<uint8_t>(payload);
    return static_cast<int>(job_->segmented()->provide(i, bytes.data(), bytes.size()));
  }
  // A text coded as one stream (lm_jobs.h EncoderWindow): its windows, which other workers may
  // compute (windowLogits) while run() codes them in order (web/lib/worker/windows.js). 0 / null /
  // kBadArgument when the text is not one stream.
  size_t windowCount() { return job_->stream() ? job_->stream()->windows().size() : 0; }
  // {start, first, count, contextTokens} of window k, or null.
  val window(size_t k) {
    if (k >= windowCount()) return val::null();
    const EncoderWindow& w = job_->stream()->windows()[k];
    val v = val::object();
    v.set("start", static_cast<double>(w.start));
    v.set("first", static_cast<double>(w.first));
    v.set("count", static_cast<double>(w.count));
    v.set("contextTokens", static_cast<double>(w.contextTokens()));
    return v;
  }
  // Window k's pass tokens (Uint32Array), or null.
  val windowTokens(size_t k) {
    if (k >= windowCount()) return val::null();
    return typedArrayCopy("Uint32Array", job_->stream()->windowTokens(k), job_->stream()->windows()[k].passTokens());
  }
  size_t currentWindow() { return job_->stream() ? job_->stream()->currentWindow() : 0; }
  bool windowHasLogits(size_t k) { return job_->stream() && job_->stream()->windowHasLogits(k); }
  // Window k's logits computed elsewhere, with the pass tokens they were computed from: a Status int.
  int provideWindowLogits(size_t k, const val& passTokens, const val& logits) {
    if (job_->stream() == nullptr) return static_cast<int>(Status::kBadArgument);
    const std::vector<uint32_t> tokens = vectorFromJs<uint32_t>(passTokens);
    const std::vector<float> rows = vectorFromJs<float>(logits);
    return static_cast<int>(job_->stream()->provideWindowLogits(k, tokens.data(), tokens.size(), rows.data(), rows.size()));
  }
  // Up to `budget` more pass tokens of window k computed on this job's engine, ahead of the one
  // run() codes: a Status int; windowHasLogits(k) once it is prepared.
  int prepareWindow(size_t k, size_t budget) {
    if (job_->stream() == nullptr) return static_cast<int>(Status::kBadArgument);
    bool done = false;
    return static_cast<int>(job_->stream()->prepareWindow(k, budget, &done));
  }
  // Runs up to `budget` model positions: a Status int; done() once the container is packed.
  int run(size_t budget) {
    if (!isOk(status_)) return static_cast<int>(status_);
    return static_cast<int>(job_->run(budget, &done_));
  }
  bool done() const { return done_; }
  size_t positionsDone() const { return job_->positionsDone(); }
  size_t positionsTotal() const { return job_->positionsTotal(); }
  val container() const { return bytesToJs(job_->container()); }
  int mode() const { return static_cast<int>(job_->mode()); }
  // {ids: Uint32Array, crlfLineBreaks}: what the model codes for the text.
  val input() const {
    val v = val::object();
    v.set("ids", idsToJs(job_->input().ids));
    v.set("crlfLineBreaks", job_->input().crlfLineBreaks);
    return v;
  }
  // The LM payload the link holds (version 3's when the link is not lm), or null when the
  // model did not code the text: {payloadVersion, stats, bits: Float32Array per position}.
  val usedPayload() const {
    if (!job_->modelCoded() || !done_) return val::null();
    val v = val::object();
    v.set("payloadVersion", job_->usedPayloadVersion());
    v.set("stats", statsToJs(job_->usedStats()));
    const std::vector<float>& bits = job_->usedTokenBits();
    v.set("bits", typedArrayCopy("Float32Array", bits.data(), bits.size()));
    return v;
  }

 private:
  std::shared_ptr<Transformer> engine_;  // before job_: the job references them
  std::shared_ptr<Tokenizer> tokenizer_;
  std::shared_ptr<TokenTree> tree_;
  std::unique_ptr<LinkEncodeJob> job_;
  Status status_ = Status::kOk;
  bool done_ = false;
};

// new LinkDecodeJob(container, limits); status(): parse()'s result.
class WasmLinkDecodeJob {
 public:
  WasmLinkDecodeJob(const val& container, const ContainerLimits& limits) {
    const std::vector<uint8_t> bytes = vectorFromJs<uint8_t>(container);
    job_ = std::make_unique<LinkDecodeJob>(bytes.data(), bytes.size(), limits);
  }
  int status() const { return static_cast<int>(job_->status()); }
  double declaredTextBytes() const { return static_cast<double>(job_->declaredTextBytes()); }
  // The parsed container without its body: {version, mode, modelIndex, check, lmPayloadVersion,
  // crlfLineBreaks, declaredTextBytes, declaredMaxTokens} (the last two: what the link declares
  // before decoding, -1 / 0 when unknown; link_jobs.h). The body stays in the core unless body()
  // asks for it (the ORT path).
  val view() const {
    val v = viewToJs(job_->view(), false);
    v.set("declaredTextBytes", static_cast<double>(job_->declaredTextBytes()));
    v.set("declaredMaxTokens", static_cast<double>(job_->declaredMaxTokens()));
    v.set("segments", static_cast<double>(job_->segmentIndex().segments.size()));
    v.set("tokenBound", static_cast<double>(segmentedTokenBound(job_->segmentIndex())));
    return v;
  }
  // A copy of the container's body (Uint8Array).
  val body() const { return bytesToJs(job_->view().body, job_->view().bodySize); }
  // A segmented link (segments.h): its segments' LM payload-3 streams (Uint8Array each), for
  // other workers (PayloadDecodeJob); 0 / null otherwise.
  size_t segmentCount() const { return job_->segmentIndex().segments.size(); }
  val segmentPayload(size_t i) const {
    const std::vector<SegmentSpan>& spans = job_->segmentIndex().segments;
    if (i >= spans.size()) return val::null();
    return bytesToJs(job_->view().body + spans[i].offset, spans[i].size);
  }
  // Mode lm on the engine: a Status int (kUnknownModel: the model's index is not the link's).
  int start(std::shared_ptr<Transformer> engine, std::shared_ptr<Tokenizer> tokenizer, std::shared_ptr<TokenTree> tree,
            uint32_t modelIndex, const std::string& idHashHex, size_t maxTokens) {
    engine_ = std::move(engine);
    tokenizer_ = std::move(tokenizer);
    tree_ = std::move(tree);
    LinkModel model{engine_.get(), tokenizer_.get(), tree_.get(), modelIndex, 0};
    if (!parseHex64(idHashHex, &model.idHash)) return static_cast<int>(Status::kBadArgument);
    return static_cast<int>(job_->start(model, maxTokens));
  }
  int run(size_t budget) { return static_cast<int>(job_->run(budget, &done_)); }
  bool done() const { return done_; }
  // The verified text (after done()).
  val text() const { return bytesToJs(job_->text()); }
  size_t tokenCount() const { return job_->tokens().size(); }
  // Tokens [from, tokenCount()) decoded so far, not verified (Uint32Array).
  val tokens(size_t from) const {
    const std::vector<uint32_t>& t = job_->tokens();
    from = std::min(from, t.size());
    return typedArrayCopy("Uint32Array", t.data() + from, t.size() - from);
  }
  // The coded bits of positions [from, ...) (Float32Array; the last one is EOT's once done).
  val tokenBits(size_t from) const {
    const std::vector<float>& b = job_->tokenBits();
    from = std::min(from, b.size());
    return typedArrayCopy("Float32Array", b.data() + from, b.size() - from);
  }
  double fraction() const { return job_->fraction(); }
  // Mode lm decoded outside the core (ONNX Runtime): the tokens -> the verified text. A Status int.
  int finishWithTokens(const Tokenizer& tokenizer, const std::string& idHashHex, const val& ids) {
    uint64_t idHash = 0;
    if (!parseHex64(idHashHex, &idHash)) return static_cast<int>(Status::kBadArgument);
    const std::vector<uint32_t> tokens = vectorFromJs<uint32_t>(ids);
    const Status status = job_->finishWithTokens(tokenizer, idHash, tokens.data(), tokens.size());
    done_ = isOk(status);
    return static_cast<int>(status);
  }

 private:
  std::shared_ptr<Transformer> engine_;  // kept alive while the job decodes with them
  std::shared_ptr<Tokenizer> tokenizer_;
  std::shared_ptr<TokenTree> tree_;
  std::unique_ptr<LinkDecodeJob> job_;
  bool done_ = false;
};

// One LM payload-3 stream coded or decoded in the core (lm_jobs.h): a segment of a long text,
// in a worker beside the one that holds the link (web/lib/worker/segments.js).
// new PayloadEncodeJob(ids, engine, tree, eotId, epsilon): status(), run(budget), payload().
class WasmPayloadEncodeJob {
 public:
  WasmPayloadEncodeJob(const val& ids, std::shared_ptr<Transformer> engine, std::shared_ptr<TokenTree> tree,
                       uint32_t eotId, double epsilon)
      : engine_(std::move(engine)), tree_(std::move(tree)), ids_(vectorFromJs<uint32_t>(ids)),
        job_(engine_.get(), *tree_, eotId, ids_.data(), ids_.size(), {kLmPayloadV3}, epsilon) {}
  int run(size_t budget) { return static_cast<int>(job_.run(budget, &done_)); }
  bool done() const { return done_; }
  size_t positionsDone() const { return job_.positionsDone(); }
  size_t positionsTotal() const { return job_.positionsTotal(); }
  val payload() const { return bytesToJs(job_.payload(0)); }
  val stats() const { return statsToJs(job_.stats(0)); }
  val bits() const { return typedArrayCopy("Float32Array", job_.stepBits(0).data(), job_.stepBits(0).size()); }

 private:
  std::shared_ptr<Transformer> engine_;
  std::shared_ptr<TokenTree> tree_;
  std::vector<uint32_t> ids_;
  LmEncodeJob job_;
  bool done_ = false;
};

// new PayloadDecodeJob(payload, engine, tree, eotId, maxTokens): run(budget), tokens(from).
class WasmPayloadDecodeJob {
 public:
  WasmPayloadDecodeJob(const val& payload, std::shared_ptr<Transformer> engine, std::shared_ptr<TokenTree> tree,
                       uint32_t eotId, size_t maxTokens)
      : engine_(std::move(engine)), tree_(std::move(tree)), payload_(vectorFromJs<uint8_t>(payload)),
        job_(engine_.get(), *tree_, eotId, payload_.data(), payload_.size(), kLmPayloadV3, maxTokens) {}
  int run(size_t budget) { return static_cast<int>(job_.run(budget, &done_)); }
  bool done() const { return done_; }
  size_t tokenCount() const { return job_.tokens().size(); }
  val tokens(size_t from) const {
    const std::vector<uint32_t>& t = job_.tokens();
    from = std::min(from, t.size());
    return typedArrayCopy("Uint32Array", t.data() + from, t.size() - from);
  }
  val tokenBits(size_t from) const {
    const std::vector<float>& b = job_.tokenBits();
    from = std::min(from, b.size());
    return typedArrayCopy("Float32Array", b.data() + from, b.size() - from);
  }
  double fraction() const { return job_.fraction(); }

 private:
  std::shared_ptr<Transformer> engine_;
  std::shared_ptr<TokenTree> tree_;
  std::vector<uint8_t> payload_;
  LmDecodeJob job_;
  bool done_ = false;
};

// windowLogits(engine, passTokens, contextTokens) -> {status, value: Float32Array (rows x vocab)}:
// one window of another worker's encode job (LinkEncodeJob.window / windowTokens), computed on
// this worker's engine: the logits that job would compute itself, bit for bit (lm_jobs.h).
val windowLogitsJs(Transformer& engine, const val& passTokens, size_t contextTokens) {
  const std::vector<uint32_t> tokens = vectorFromJs<uint32_t>(passTokens);
  if (contextTokens >= tokens.size()) return result(Status::kBadArgument);
  std::vector<float> logits((tokens.size() - contextTokens) * engine.shape().vocab);
  const Status status = windowLogits(&engine, tokens.data(), tokens.size(), contextTokens, logits.data());
  if (!isOk(status)) return result(status);
  return result(status, typedArrayCopy("Float32Array", logits.data(), logits.size()));
}

// segmentCuts(tokenizer, ids, segmentTokens, aboveTokens) -> Uint32Array: where the encoder cuts a
// long text's tokens (segments.h; 0, 0: the product's rule). For the ONNX Runtime path.
val segmentCutsJs(const Tokenizer& tokenizer, const val& ids, size_t segmentTokens, size_t aboveTokens) {
  SegmentRule rule;
  if (segmentTokens > 0) rule.segmentTokens = segmentTokens;
  if (aboveTokens > 0) rule.aboveTokens = aboveTokens;
  const std::vector<size_t> cuts = segmentCuts(tokenizer, vectorFromJs<uint32_t>(ids), rule);
  const std::vector<uint32_t> out(cuts.begin(), cuts.end());
  return typedArrayCopy("Uint32Array", out.data(), out.size());
}

// segmentedBody(idHashHex, text, payloads) -> Uint8Array|null: a segmented link's body (segments.h).
val segmentedBodyJs(const std::string& idHashHex, const val& text, const val& payloads) {
  uint64_t idHash = 0;
  if (!parseHex64(idHashHex, &idHash)) return val::null();
  const std::vector<uint8_t> bytes = vectorFromJs<uint8_t>(text);
  std::vector<std::vector<uint8_t>> parts(payloads["length"].as<unsigned>());
  for (size_t i = 0; i < parts.size(); ++i) parts[i] = vectorFromJs<uint8_t>(payloads[i]);
  std::vector<uint8_t> body;
  writeSegmentedBody(idHash, bytes.data(), bytes.size(), parts, &body);
  return bytesToJs(body);
}

// modelInput(tokenizer, text) -> {status, value: {ids, crlfLineBreaks}} (link_jobs.h)
val modelInputJs(const Tokenizer& tokenizer, const val& text) {
  const std::vector<uint8_t> bytes = vectorFromJs<uint8_t>(text);
  ModelInput input;
  Status status = modelInput(tokenizer, bytes.data(), bytes.size(), &input);
  if (!isOk(status)) return result(status);
  val v = val::object();
  v.set("ids", idsToJs(input.ids));
  v.set("crlfLineBreaks", input.crlfLineBreaks);
  return result(status, v);
}
// lmPayloadVersionsFor(codedTokens, crlfLineBreaks) -> array of versions, the main one first.
val lmPayloadVersionsForJs(size_t codedTokens, bool crlfLineBreaks) {
  val out = val::array();
  for (int version : lmPayloadVersionsFor(codedTokens, crlfLineBreaks)) out.call<void>("push", version);
  return out;
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
// a plain object {version, mode, modelIndex, check, body: Uint8Array (a copy), lmPayloadVersion,
// crlfLineBreaks} (the last two derived from version in C++); verify() and decodeFallback() take
// such an object back.

val viewToJs(const ContainerView& view, bool withBody) {
  val v = val::object();
  v.set("version", view.version);
  v.set("mode", static_cast<int>(view.mode));
  v.set("modelIndex", view.modelIndex);
  v.set("check", view.check);
  if (withBody) v.set("body", bytesToJs(view.body, view.bodySize));
  v.set("lmPayloadVersion", view.lmPayloadVersion());
  v.set("crlfLineBreaks", view.crlfLineBreaks());
  v.set("typoProofKind", view.typoProofKind);
  v.set("segmented", view.segmented());
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
  if (!v["typoProofKind"].isUndefined()) view.typoProofKind = static_cast<uint8_t>(v["typoProofKind"].as<unsigned>());
  view.body = bodyStorage->data();
  view.bodySize = bodyStorage->size();
  return view;
}

ContainerLimits defaultContainerLimits() { return ContainerLimits{}; }

// containerPack(mode, modelIndex, modelIdHashHex, text, body, limits, lmPayloadVersion,
//   crlfLineBreaks, legacy) -> {status, value: Uint8Array}; legacy: versions 1 to 5 (earlier releases)
val containerPack(int mode, uint32_t modelIndex, const std::string& modelIdHashHex, const val& text,
                  const val& body, const ContainerLimits& limits, int lmPayloadVersion,
                  bool crlfLineBreaks, bool legacy) {
  uint64_t idHash = 0;
  if (!parseHex64(modelIdHashHex, &idHash)) return result(Status::kBadArgument);
  std::vector<uint8_t> textBytes = vectorFromJs<uint8_t>(text);
  std::vector<uint8_t> bodyBytes = vectorFromJs<uint8_t>(body);
  std::vector<uint8_t> out;
  Status status = pack(static_cast<ContainerMode>(mode), modelIndex, idHash, textBytes.data(),
                       textBytes.size(), bodyBytes.data(), bodyBytes.size(), limits, &out, lmPayloadVersion,
                       crlfLineBreaks, legacy ? LinkFraming::kLegacy : LinkFraming::kTypoProof);
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

// containerPackBest(text, lmBodies, modelIndex, modelIdHashHex, limits, allowedModes)
//   lmBodies: [{body: Uint8Array, payloadVersion, crlfLineBreaks}], allowedModes: bits 1 << mode
//   -> {status, value: {bytes: Uint8Array, mode: int, lmBody: index of the lm body used}}
val containerPackBest(const val& text, const val& lmBodies, uint32_t modelIndex,
                      const std::string& modelIdHashHex, const ContainerLimits& limits,
                      unsigned allowedModes) {
  uint64_t idHash = 0;
  if (!parseHex64(modelIdHashHex, &idHash)) return result(Status::kBadArgument);
  std::vector<uint8_t> textBytes = vectorFromJs<uint8_t>(text);
  const unsigned count = lmBodies["length"].as<unsigned>();
  std::vector<std::vector<uint8_t>> storage(count);
  std::vector<LmBody> bodies(count);
  for (unsigned i = 0; i < count; ++i) {
    const val candidate = lmBodies[i];
    storage[i] = vectorFromJs<uint8_t>(candidate["body"]);
    bodies[i] = LmBody{storage[i].data(), storage[i].size(), candidate["payloadVersion"].as<int>(),
                       candidate["crlfLineBreaks"].as<bool>(), candidate["segmented"].isTrue()};
  }
  std::vector<uint8_t> out;
  ContainerMode chosen = ContainerMode::kStored;
  size_t chosenLm = 0;
  Status status = packBest(textBytes.data(), textBytes.size(), bodies.data(), bodies.size(), modelIndex,
                           idHash, limits, allowedModes, &out, &chosen, &chosenLm);
  if (!isOk(status)) return result(status);
  val packed = val::object();
  packed.set("bytes", bytesToJs(out));
  packed.set("mode", static_cast<int>(chosen));
  packed.set("lmBody", chosen == ContainerMode::kLm ? val(static_cast<unsigned>(chosenLm)) : val::null());
  return result(status, packed);
}

bool isFileFormJs(const val& bytes) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  return isFileForm(data.data(), data.size());
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

// ---- line breaks (container version 3) ----

// lfLineBreaks(text) -> Uint8Array (every CRLF made LF) or null (not every line break is CRLF)
val lfLineBreaksJs(const val& text) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(text);
  std::vector<uint8_t> lf;
  return lfLineBreaks(data.data(), data.size(), &lf) ? bytesToJs(lf) : val::null();
}
// restoreCrlfLineBreaks(lf, maxTextBytes) -> {status, value: Uint8Array text}
val restoreCrlfLineBreaksJs(const val& lf, size_t maxTextBytes) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(lf);
  std::vector<uint8_t> text;
  Status status = restoreCrlfLineBreaks(data.data(), data.size(), maxTextBytes, &text);
  return result(status, isOk(status) ? bytesToJs(text) : val::undefined());
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

// ---- hostile-link bound, QR form, password envelope ----

// urlEncodeQr(bytes) -> the QR form of the fragment text (url_codec.h)
std::string urlEncodeQrJs(const val& bytes) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  std::string text;
  urlEncodeQr(data.data(), data.size(), &text);
  return text;
}
// urlDecodeAnyForm(text) -> {status, value: Uint8Array}: base62 or the QR form, by its first character
val urlDecodeAnyFormJs(const std::string& text) {
  std::vector<uint8_t> bytes;
  Status status = urlDecodeAnyForm(text, &bytes);
  return result(status, isOk(status) ? bytesToJs(bytes) : val::undefined());
}

// containerFromLinkText(text) -> {status, value: Uint8Array}: what a reader does with a fragment
// (either form; damaged_link for one typo from a typo-proof link that reads as an earlier version)
val containerFromLinkTextJs(const std::string& text) {
  std::vector<uint8_t> bytes;
  Status status = containerFromLinkText(text, &bytes);
  return result(status, isOk(status) ? bytesToJs(bytes) : val::undefined());
}

// The envelope's constants for web/lib/worker/crypto.js, which runs the WebCrypto calls they describe.
val envelopeParams() {
  val v = val::object();
  v.set("header", kEnvelopeHeaderTypoProof);  // what envelopeWrap writes
  v.set("saltBytes", kEnvelopeSaltBytes);
  v.set("tagBytes", kEnvelopeTagBytes);
  v.set("ivBytes", kEnvelopeIvBytes);
  v.set("keyBits", kEnvelopeKeyBits);
  v.set("iterations", kEnvelopePbkdf2Iterations);
  v.set("aadBytes", kEnvelopeAadBytes);
  v.set("overheadBytes", kEnvelopeOverheadBytes + kLinkSyndromeBytes);  // + the typo-proof trailer
  return v;
}
bool isEnvelopeJs(const val& bytes) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  return isEnvelope(data.data(), data.size());
}
// envelopeParse(bytes, limits) -> {status, value: {salt, aad, sealed}} (copies)
val envelopeParseJs(const val& bytes, const ContainerLimits& limits) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  EnvelopeView view;
  Status status = envelopeParse(data.data(), data.size(), limits, &view);
  if (!isOk(status)) return result(status);
  val v = val::object();
  v.set("salt", bytesToJs(view.salt, kEnvelopeSaltBytes));
  v.set("aad", bytesToJs(view.aad, kEnvelopeAadBytes));
  v.set("sealed", bytesToJs(view.sealed, view.sealedSize));
  return result(status, v);
}
// envelopeWrap(salt, sealed, limits) -> {status, value: Uint8Array envelope}
val envelopeWrapJs(const val& salt, const val& sealed, const ContainerLimits& limits) {
  std::vector<uint8_t> saltBytes = vectorFromJs<uint8_t>(salt);
  std::vector<uint8_t> sealedBytes = vectorFromJs<uint8_t>(sealed);
  std::vector<uint8_t> out;
  Status status = envelopeWrap(saltBytes.data(), saltBytes.size(), sealedBytes.data(),
                               sealedBytes.size(), limits, &out);
  return result(status, isOk(status) ? bytesToJs(out) : val::undefined());
}
// envelopeCheckInner(container, limits) -> int status
int envelopeCheckInnerJs(const val& bytes, const ContainerLimits& limits) {
  std::vector<uint8_t> data = vectorFromJs<uint8_t>(bytes);
  return static_cast<int>(envelopeCheckInner(data.data(), data.size(), limits));
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

  function("defaultEpsilon", &defaultEpsilon);  // kolmo/lm.h
  value_object<DecodeLimits>("DecodeLimits").field("maxTokens", &DecodeLimits::maxTokens);
  function("defaultDecodeLimits", &defaultDecodeLimits);
  function("contextStart", &contextStart);

  // Handles: JS owns them and must .delete() each once (web/lib/worker/codec.js does).
  class_<WasmEncoderSession>("EncoderSession")
      .constructor<std::shared_ptr<TokenTree>, uint32_t, double, int, size_t>()
      .function("status", &WasmEncoderSession::status)
      .function("logitsBuffer", &WasmEncoderSession::logitsBuffer)
      .function("encodeStep", &WasmEncoderSession::encodeStep)
      .function("encodeSteps", &WasmEncoderSession::encodeSteps)
      .function("stepBits", &WasmEncoderSession::stepBits)
      .function("finish", &WasmEncoderSession::finish)
      .function("stats", &WasmEncoderSession::stats);
  class_<WasmDecoderSession>("DecoderSession")
      .constructor<std::shared_ptr<TokenTree>, uint32_t, const val&, const DecodeLimits&, int>()
      .function("status", &WasmDecoderSession::status)
      .function("logitsBuffer", &WasmDecoderSession::logitsBuffer)
      .function("decodeStep", &WasmDecoderSession::decodeStep)
      .function("done", &WasmDecoderSession::done)
      .function("stats", &WasmDecoderSession::stats);

  class_<Transformer>("ModelEngine")
      .smart_ptr<std::shared_ptr<Transformer>>("ModelEnginePtr")
      .class_function("load", &modelEngineLoad)
      .function("vocabSize", &modelEngineVocabSize)
      .function("context", &modelEngineContext)
      .function("append", &modelEngineAppend)
      .function("reset", &modelEngineReset)
      .function("windowLength", &modelEngineWindowLength);
  class_<WasmLinkEncodeJob>("LinkEncodeJob")
      .constructor<const val&, unsigned, std::shared_ptr<Transformer>, std::shared_ptr<Tokenizer>, std::shared_ptr<TokenTree>,
                   uint32_t, const std::string&, double, const ContainerLimits&, size_t, size_t>()
      .function("run", &WasmLinkEncodeJob::run)
      .function("segmentCount", &WasmLinkEncodeJob::segmentCount)
      .function("segmentIds", &WasmLinkEncodeJob::segmentIds)
      .function("provideSegment", &WasmLinkEncodeJob::provideSegment)
      .function("windowCount", &WasmLinkEncodeJob::windowCount)
      .function("window", &WasmLinkEncodeJob::window)
      .function("windowTokens", &WasmLinkEncodeJob::windowTokens)
      .function("currentWindow", &WasmLinkEncodeJob::currentWindow)
      .function("windowHasLogits", &WasmLinkEncodeJob::windowHasLogits)
      .function("provideWindowLogits", &WasmLinkEncodeJob::provideWindowLogits)
      .function("prepareWindow", &WasmLinkEncodeJob::prepareWindow)
      .function("done", &WasmLinkEncodeJob::done)
      .function("positionsDone", &WasmLinkEncodeJob::positionsDone)
      .function("positionsTotal", &WasmLinkEncodeJob::positionsTotal)
      .function("container", &WasmLinkEncodeJob::container)
      .function("mode", &WasmLinkEncodeJob::mode)
      .function("input", &WasmLinkEncodeJob::input)
      .function("usedPayload", &WasmLinkEncodeJob::usedPayload);
  class_<WasmLinkDecodeJob>("LinkDecodeJob")
      .constructor<const val&, const ContainerLimits&>()
      .function("status", &WasmLinkDecodeJob::status)
      .function("declaredTextBytes", &WasmLinkDecodeJob::declaredTextBytes)
      .function("view", &WasmLinkDecodeJob::view)
      .function("body", &WasmLinkDecodeJob::body)
      .function("start", &WasmLinkDecodeJob::start)
      .function("run", &WasmLinkDecodeJob::run)
      .function("done", &WasmLinkDecodeJob::done)
      .function("text", &WasmLinkDecodeJob::text)
      .function("tokenCount", &WasmLinkDecodeJob::tokenCount)
      .function("tokens", &WasmLinkDecodeJob::tokens)
      .function("tokenBits", &WasmLinkDecodeJob::tokenBits)
      .function("fraction", &WasmLinkDecodeJob::fraction)
      .function("finishWithTokens", &WasmLinkDecodeJob::finishWithTokens)
      .function("segmentCount", &WasmLinkDecodeJob::segmentCount)
      .function("segmentPayload", &WasmLinkDecodeJob::segmentPayload);
  class_<WasmPayloadEncodeJob>("PayloadEncodeJob")
      .constructor<const val&, std::shared_ptr<Transformer>, std::shared_ptr<TokenTree>, uint32_t, double>()
      .function("run", &WasmPayloadEncodeJob::run)
      .function("done", &WasmPayloadEncodeJob::done)
      .function("positionsDone", &WasmPayloadEncodeJob::positionsDone)
      .function("positionsTotal", &WasmPayloadEncodeJob::positionsTotal)
      .function("payload", &WasmPayloadEncodeJob::payload)
      .function("stats", &WasmPayloadEncodeJob::stats)
      .function("bits", &WasmPayloadEncodeJob::bits);
  class_<WasmPayloadDecodeJob>("PayloadDecodeJob")
      .constructor<const val&, std::shared_ptr<Transformer>, std::shared_ptr<TokenTree>, uint32_t, size_t>()
      .function("run", &WasmPayloadDecodeJob::run)
      .function("done", &WasmPayloadDecodeJob::done)
      .function("tokenCount", &WasmPayloadDecodeJob::tokenCount)
      .function("tokens", &WasmPayloadDecodeJob::tokens)
      .function("tokenBits", &WasmPayloadDecodeJob::tokenBits)
      .function("fraction", &WasmPayloadDecodeJob::fraction);
  function("modelInput", &modelInputJs);
  function("segmentCuts", &segmentCutsJs);
  function("windowLogits", &windowLogitsJs);
  function("segmentedBody", &segmentedBodyJs);
  function("lmPayloadVersionsFor", &lmPayloadVersionsForJs);

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
  function("isFileForm", &isFileFormJs);
  function("containerParseFile", &containerParseFile);

  function("lfLineBreaks", &lfLineBreaksJs);
  function("restoreCrlfLineBreaks", &restoreCrlfLineBreaksJs);
  function("cmEncode", &cmEncodeJs);
  function("cmDecode", &cmDecodeJs);

  function("modelIdHash", &modelIdHashJs);
  function("textCheck16", &textCheck16Js);

  function("maxLmTokens", &maxLmTokens);  // kolmo/lm.h
  function("urlEncodeQr", &urlEncodeQrJs);
  function("urlDecodeAnyForm", &urlDecodeAnyFormJs);
  function("containerFromLinkText", &containerFromLinkTextJs);
  function("urlQrEncodedLength", &urlQrEncodedLength);
  function("envelopeParams", &envelopeParams);
  function("isEnvelope", &isEnvelopeJs);
  function("envelopeParse", &envelopeParseJs);
  function("envelopeWrap", &envelopeWrapJs);
  function("envelopeCheckInner", &envelopeCheckInnerJs);
}
