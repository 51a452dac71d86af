// EncoderSession / DecoderSession: the step machines that turn (logits, token) pairs into an
// LM payload and back. The model stays outside: the caller runs it and hands each step's
// logits in, so the same sessions serve native tests (synthetic models) and the browser
// (ONNX Runtime via WASM).
//
// Per token, both sides run the same rule (rounding.h explains the tree and the grids):
//   flag A (adaptive, integer counts): 0 = the path is robust on grid 0
//     -> the decisions along the token's path, each with its grid-0 bin probability;
//   1 -> flag B (adaptive): 0 = robust on grid 1 -> the decisions with grid-1 probabilities;
//        1 = escape -> the path coded with the tree's unigram probabilities (no model values).
// Only the encoder knows whether a path is fragile (it alone sees its own r values and
// epsilon); it says so with the flags, and the decoder follows them using its own logits.
//
// Payload version 3 replaces the per-token flags with span headers: the coded tokens are cut
// into blocks of kSpanBlockTokens, and each block into a binary tree of spans; a span's header
// says "split in halves" or names one of kGridFamilySize offset grids (quantizer.h) on which
// every decision of every token in the span is robust. A fragile decision thus costs a few
// header bits per span instead of a flag on every token, so finer bins pay for themselves
// (the rounding layer's cost: 1.5% -> ~0.75% over the ideal, bench/coder_bench section 7). A
// one-token span that splits is an escape (the tree's unigram probabilities, as before).
// The encoder buffers a block before coding it (it must see every token's fragility first).
// Nothing the decoder cannot see (float values, fragility results, epsilon) ever sets a
// probability used for coding.
//
// Token sequence and context (contextStart below): index 0 is BOS (= the EOT id), text tokens
// are 1..n, EOT is n+1 and is coded as the last token; the decoder is done after returning it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/status.h"
#include <memory>

#include "doc_model.h"
#include "range_coder.h"
#include "rounding.h"

namespace kolmo {

// Encoder-side choices. Nothing here except `grid` is needed to decode.
struct RoundingConfig {
  // Bound (max norm) on |encoder logits - decoder logits| that the stream is built to
  // survive. Choose it from the measured drift between backends, with a margin (>= 10x).
  double epsilon = 1e-4;
  // The quantization grids: a format constant. Only benches change it, and a decoder must
  // then be given the same spec.
  GridSpec grid;
  // LM payload version to write (kLmPayloadV1, V2 or V3; the container's version says which
  // one a link holds, docs/FORMAT.md §5.3-5.6). Version 3 uses GridSpec::payloadV3() and its
  // grid family, not `grid`.
  int payloadVersion = 1;
  // Versions 2 and 3: how many tokens will be coded, EOT included (1..kMaxTokensHardLimit). The
  // stream starts with its size class (bit length), which sizes the in-document model's tables
  // and bounds the decoder; coding more than 2^class - 1 tokens is kBadArgument.
  size_t tokenCount = 0;
  // Versions 2 and 3: the in-document model's constants (the defaults are the format).
  DocModelParams docModel;
};

// LM payload versions (docs/FORMAT.md): 1 codes each decision with the rounding layer's
// probability alone; 2 mixes it with the in-document model (doc_model.h); 3 is version 2 with
// span headers and the grid family instead of per-token flags.
constexpr int kLmPayloadV1 = 1;
constexpr int kLmPayloadV2 = 2;
constexpr int kLmPayloadV3 = 3;

// Payload version 3: tokens per block (the root span of a header tree) and the depth of that
// tree (spans of 256, 128, ..., 1 tokens).
constexpr size_t kSpanBlockTokens = 256;
constexpr int kSpanLevels = 9;

// Most tokens (EOT included) an LM payload holds: the encoder side (web/lib/worker/pipeline.js reads it
// through the WASM module) offers the model only texts within it, and the decoder refuses more
// by default, so a crafted link costs at most this many model steps (~3.5 min at 300 tokens/s),
// not the 2^20 it could cost before. Decoding costs one model step per token; this keeps opening
// any real link under about 4 minutes. Changing it changes which texts get an lm body, not the
// format: every link an encoder within the bound wrote decodes.
constexpr size_t kMaxLmTokens = size_t{1} << 16;

struct DecodeLimits {
  // Most tokens a stream may decode to (EOT included); clamped to kMaxTokensHardLimit.
  // A stream that has not ended by then fails with kLengthOverLimit.
  size_t maxTokens = kMaxLmTokens;
};

constexpr size_t kMaxTokensHardLimit = size_t{1} << 26;

struct SessionStats {
  uint64_t steps = 0;         // tokens coded, EOT included
  uint64_t fragileSteps = 0;  // tokens not coded on grid 0 (flag A = 1; version 3: span grid != 0)
  uint64_t escapes = 0;       // tokens fragile on every grid (coded without model values)
  double idealBits = 0;       // sum of -log2 softmax(logits)[token], in double
  double codedBits = 0;       // sum of -log2 of every coded probability (all of the below)
  double flagBits = 0;        // ... spent on flags A and B (version 3: on span headers)
  double escapeBits = 0;      // ... spent on escaped tokens' paths
};

// First token index the model sees when predicting the token at `position` (0-based index in
// the sequence BOS, text..., EOT). With H = contextLength / 2: 0 while position <=
// contextLength, then ((position - 1) / H - 1) * H, so the window restarts every H tokens and
// always holds between H + 1 and contextLength tokens (a KV cache can be rebuilt every H
// steps instead of sliding each step). contextLength < 2: the last contextLength tokens.
size_t contextStart(size_t position, size_t contextLength);

namespace detail {

// Flag priors, in virtual "robust" / "grid 1 robust" observations (part of the format).
// Fragile tokens are rare (~1% at epsilon = 1e-4) and escapes rarer still, so a prior that
// expects them to be rare saves bits on short texts, where the counts have seen little.
// Chosen with bench/coder_bench (flag cost on short texts; see docs/DETERMINISM.md).
constexpr uint32_t kFragileFlagPrior = 40;
constexpr uint32_t kEscapeFlagPrior = 12;
// Payload version 3: priors of the span header bits (virtual "no split" / "this grid" counts).
// A span rarely needs a split or a grid past the first few (bench/coder_bench section 7).
constexpr uint32_t kSpanSplitPrior = 4;
constexpr uint32_t kSpanGridPrior = 1;

// Adaptive probability of a binary event from integer counts (Krichevsky-Trofimov with a
// prior of `priorZeros` virtual zeros, counts halved past a limit so it keeps adapting).
// Integer-only, so encoder and decoder always agree.
class AdaptiveBit {
 public:
  explicit AdaptiveBit(uint32_t priorZeros) : zeros_(priorZeros) {}
  // P(bit == 0) in 1/65536 units, in [1, 65535].
  uint32_t prob0() const;
  void update(int bit);

 private:
  static constexpr uint32_t kHalveAt = 4096;
  uint32_t zeros_;
  uint32_t ones_ = 0;
};

// State both sessions share and update identically.
struct CodingState {
  CodingState(const TokenTree& tree, uint32_t eotId, const GridSpec& grid);

  // SEAM for the in-document model: the probability of child 0 used to code a decision at
  // `node` on `grid` (grid < 0: an escaped token, whose base is the tree's unigram
  // probability; `bin` is then unused). Payload version 1: the bin's table probability (or the
  // unigram one). Version 2 (doc != null): that probability mixed with the in-document model,
  // in the integer domain and only from state both sides share: the bin index, the node, and
  // the decisions and tokens already coded (fed through observeDecision() and observeToken()).
  // It never reads r, logits or any encoder-only value, and it clamps to [1, 65535].
  uint32_t decisionProbLeft(int grid, uint32_t bin, uint32_t node);
  // Called by both sessions after every coded decision of a token's path (the child taken).
  void observeDecision(int bit);
  // Called by both sessions after every coded token.
  void observeToken(uint32_t token);
  // Switches to payload version 2: the in-document model with tables for `sizeClass`.
  void enableDocModel(int sizeClass, const DocModelParams& params);
  // Switches to payload version 3's grids (GridSpec::payloadV3(), the family); sets status.
  void enableGridFamily();
  // Payload version 3: the adaptive models of span headers, and the cost of coding `bit` with
  // one of them (header bits, counted in stats.flagBits).
  AdaptiveBit* spanSplitModel(int level) { return &spanSplit[level]; }
  AdaptiveBit* spanGridModel(int step) { return &spanGrid[step < kSpanGridContexts ? step : kSpanGridContexts - 1]; }

  const TokenTree& tree;
  uint32_t eotId;
  Status status = Status::kOk;  // construction result (bad eotId or grid spec)
  Quantizer quantizer;
  StepEvaluator evaluator;
  AdaptiveBit fragileFlag;  // flag A
  AdaptiveBit escapeFlag;   // flag B
  // Payload version 3 span headers: "split" (at a one-token span: escape) per level, and the
  // unary code of the grid index ("> j?" for j = 0, 1, 2, then one context for the rest).
  static constexpr int kSpanGridContexts = 4;
  std::vector<AdaptiveBit> spanSplit;
  std::vector<AdaptiveBit> spanGrid;
  SessionStats stats;
  std::unique_ptr<DocModel> doc;  // payload versions 2 and 3
};

}  // namespace detail

// Codes a token sequence. Usage: construct, encodeStep() once per token (the last one EOT),
// finish(). The tree must outlive the session.
class EncoderSession {
 public:
  EncoderSession(const TokenTree& tree, uint32_t eotId, RoundingConfig config = RoundingConfig());

  // Codes `token` given this step's (vocab,) float32 logits. Errors: kNonFiniteLogits (NaN or
  // Inf in logits), kBadArgument (vocab != tree size, token >= vocab, null logits, a step
  // after EOT or after finish()); on these errors nothing is coded and the session is
  // unchanged, so the caller may retry the step. A construction error is returned by every call.
  Status encodeStep(const float* logits, size_t vocab, uint32_t token);

  // numSteps steps at once: logits is (numSteps, vocab) row-major, tokens (numSteps,).
  // Stops at the first failing step (the ones before it stay coded; stats().steps counts them).
  Status encodeSteps(const float* logits, size_t numSteps, size_t vocab, const uint32_t* tokens);

  // Appends the payload to *payload. kBadArgument unless the last coded token was EOT.
  Status finish(std::vector<uint8_t>* payload);

  // Statistics of the steps given so far (version 3: codedBits, flagBits, fragileSteps and
  // escapes cover the blocks coded so far; every block is coded once EOT is given).
  const SessionStats& stats() const { return state_.stats; }
  Status status() const { return state_.status; }
  // The bits each step coded (flags or its span's header, path, escape), in step order: the
  // cost the link actually pays per token. Version 3 codes a block's steps when the block is
  // complete, so this holds every step once EOT is given.
  const std::vector<float>& stepBits() const { return stepBits_; }

 private:
  // A step of version 3 waiting for its block: its token, path, log-odds and grids.
  struct PendingStep {
    uint32_t token;
    uint32_t robustGrids;  // bit g set: every decision of the path is robust on grid g
    size_t firstDecision;  // into pendingPath_ / pendingLogOdds_
  };

  double codePath(int grid, const TokenTree::PathStep* path, const double* logOdds, size_t length);
  double codeBit(detail::AdaptiveBit* model, int bit);
  // The unary code of a span's grid index: calls bit(model, value) for each of its bits.
  template <typename BitFn>
  void forEachGridBit(int grid, BitFn bit);
  void finishStep(uint32_t token, double bits);
  void codeBlock();
  void codeSpan(size_t heap, size_t start, size_t size, int level, const std::vector<int>& choice);

  detail::CodingState state_;
  double epsilon_;
  int payloadVersion_ = kLmPayloadV1;
  RangeEncoder encoder_;
  std::vector<TokenTree::PathStep> path_;
  std::vector<double> logOdds_;
  std::vector<float> stepBits_;
  std::vector<PendingStep> pending_;  // version 3: the current block
  std::vector<TokenTree::PathStep> pendingPath_;
  std::vector<double> pendingLogOdds_;
  uint64_t maxSteps_ = ~uint64_t{0};  // versions 2 and 3: 2^(size class) - 1
  bool eotCoded_ = false;
  bool finished_ = false;
};

// Decodes a payload step by step. The payload bytes and the tree must outlive the session.
// The most tokens (EOT included) an LM payload of version 2 or 3 declares by its size class,
// 2^k - 1, read without decoding anything else; 0 for version 1 (no size class) or a stream
// that starts with no class.
uint64_t lmDeclaredMaxTokens(const uint8_t* payload, size_t size, int payloadVersion);

class DecoderSession {
 public:
  // `grid` must equal the encoder's RoundingConfig::grid (the default in the format; version 3
  // uses its own, GridSpec::payloadV3()); payloadVersion is the container's (kLmPayloadV1,
  // V2 or V3), docModel the encoder's
  // RoundingConfig::docModel (the default in the format). A version-2 or 3 payload starts with its
  // size class: one that needs more than limits.maxTokens tokens is refused here
  // (status() == kLengthOverLimit), an impossible one is kCorrupt.
  DecoderSession(const TokenTree& tree, uint32_t eotId, const uint8_t* payload, size_t size,
                 DecodeLimits limits = DecodeLimits(), const GridSpec& grid = GridSpec(),
                 int payloadVersion = kLmPayloadV1, const DocModelParams& docModel = DocModelParams());

  // Decodes the next token with this step's (vocab,) float32 logits; *token is always
  // < vocab when kOk. Errors: kNonFiniteLogits / kBadArgument (bad logits, vocab, null token,
  // a call after done()) leave the session unchanged; stream errors are final:
  // kLengthOverLimit (no EOT within limits.maxTokens), kTruncated (the stream needed more
  // than kMaxPastEndBytes of padding), kCorrupt (bytes left over after EOT, a start no
  // encoder produces, or a v2 stream running past its own size class). Every call does
  // bounded work.
  Status decodeStep(const float* logits, size_t vocab, uint32_t* token);

  // True once EOT has been decoded (and the stream was consistent).
  bool done() const { return done_; }

  const SessionStats& stats() const { return state_.stats; }
  Status status() const { return state_.status; }

 private:
  uint32_t descend(int grid);
  int decodeBit(detail::AdaptiveBit* model);
  int readSpanHeaders();

  // A span of version 3 whose header comes when decoding reaches its first token.
  struct PendingSpan {
    uint64_t start;
    size_t size;
    int level;  // kSpanBlockTokens >> level == size
  };

  detail::CodingState state_;
  RangeDecoder decoder_;
  size_t payloadSize_;
  size_t maxTokens_;
  int payloadVersion_ = kLmPayloadV1;
  bool sizeClassBounds_ = false;  // v2, v3: maxTokens_ is the size class's bound, not the caller's
  bool done_ = false;
  // Version 3: the grid of the current span (-1: an escaped token), where that span ends, and
  // the right halves of split spans still to come (at most kSpanLevels - 1).
  int spanGrid_ = 0;
  uint64_t spanEnd_ = 0;
  std::vector<PendingSpan> pendingSpans_;
};

}  // namespace kolmo
