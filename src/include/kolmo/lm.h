// kolmo/lm.h — the language-model coder: a token sequence and the model's logits for it become an
// LM payload (the body of an lm link, kolmo/container.h), and back.
//
// This API is for a caller that runs its own model (kolmo's own links run the model engine inside
// the core's link jobs, src/link_jobs.h, and the WebGPU path feeds ONNX Runtime's logits to the
// coder sessions this API wraps, through the WASM bindings). For every token the caller runs its model
// on the tokens before it (contextStart() says which ones it sees) and hands the (vocab,) float32
// logits in. The decoder must be given the same logits the encoder saw, up to a small drift: a
// payload written with LmEncoderOptions::epsilon decodes exactly with logits that differ from the
// encoder's by at most epsilon in every entry (another device, batched vs step by step). Logits
// that drift further give a wrong text (which the container's check then rejects, with
// probability 1 - 2^-16) or an error, never undefined behaviour.
//
// The sequence: position 0 is BOS (= the EOT id), the text's tokens (Tokenizer::encode) are
// positions 1..n, and EOT at position n + 1 ends it. Position 0 is never coded: the encoder codes
// positions 1..n+1, each with the logits that predict it, and the decoder returns them in order.
//
//   compress:   LmVocabulary::fromTokenizer (once per model) -> LmEncoder -> per position p in
//               1..n+1: logits predicting p from positions [contextStart(p), p) -> encodeStep
//               -> finish (the payload) -> packBest (kolmo/container.h)
//   decompress: parse (kolmo/container.h) -> LmDecoder over the view's body with its
//               lmPayloadVersion() -> per position: logits -> decodeStep, until done() ->
//               Tokenizer::decode of the tokens before EOT -> verify
//
// Nothing throws (an allocation failure aside); every fallible call returns a Status
// (kolmo/status.h). The rounding grids and the in-document model's constants are format constants
// and not options here: every LmEncoder and LmDecoder uses the ones the link format defines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kolmo/status.h"
#include "kolmo/tokenizer.h"

namespace kolmo {

// ---- the model's window, bounds, defaults ----

// First position the model sees when predicting the token at `position` (0-based, in the
// sequence BOS, text..., EOT): the model predicts position p from positions
// [contextStart(p, contextLength), p). With H = contextLength / 2 the window is every position
// up to contextLength, then restarts every H positions, so it always holds between H + 1 and
// contextLength positions (a KV cache can be rebuilt every H steps instead of sliding every
// step); contextLength < 2: the last contextLength positions. Encoder and decoder must use the
// same rule and contextLength, and so must the model run to produce their logits.
size_t contextStart(size_t position, size_t contextLength);

// Most positions an LM payload codes (EOT included): an encoder should offer the model only
// texts within it (longer ones go to the model-free modes of packBest), and LmDecoder refuses
// more by default, so a crafted link costs at most this many model steps.
size_t maxLmTokens();

// The default LmEncoderOptions::epsilon: the logit drift (max norm) between encoder and decoder
// that a payload survives, chosen from the drift measured between kolmo's backends with a margin.
double defaultEpsilon();

// ---- the vocabulary ----

// What the coder knows of a model's vocabulary: the token tree built from the tokenizer's
// per-token counts (each token is coded as its path of binary decisions down this tree) and the
// EOT id. Build it once per model (O(V log V)); it is immutable, copies share it, and every
// LmEncoder and LmDecoder holds its own reference, so it may be destroyed before them.
class LmVocabulary {
 public:
  LmVocabulary();  // empty: vocabSize() == 0; encoders and decoders over it fail with kBadArgument
  ~LmVocabulary();
  LmVocabulary(const LmVocabulary&);
  LmVocabulary& operator=(const LmVocabulary&);

  // From a tokenizer: its tokenCounts() and eotId(). The tree depends only on the model's
  // files, so encoder and decoder build the same one.
  static Status fromTokenizer(const Tokenizer& tokenizer, LmVocabulary* out);
  // From per-token counts (one per token id, zeros count as 1) and the EOT id. Errors
  // (kBadArgument): fewer than 2 or more than 2^24 tokens, eotId >= counts.size(), null out.
  // On error *out is unchanged.
  static Status build(const std::vector<uint64_t>& counts, uint32_t eotId, LmVocabulary* out);

  size_t vocabSize() const;  // the logits length every step takes
  uint32_t eotId() const;

 private:
  friend class LmEncoder;
  friend class LmDecoder;
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// ---- statistics ----

// What a coder has done so far (the same values on both sides of a link, except idealBits,
// which each side computes from its own logits).
struct LmStats {
  uint64_t steps = 0;         // positions coded, EOT included
  uint64_t fragileSteps = 0;  // positions not coded on the first grid (payloads 1-2: flagged; 3: in a span of another grid)
  uint64_t escapes = 0;       // positions coded without the model's values (drift-fragile on every grid)
  double idealBits = 0;       // sum of -log2 softmax(logits)[token]: what an ideal coder would pay
  double codedBits = 0;       // what the payload pays, all of it (flags and escapes included)
};

// ---- encoding ----

struct LmEncoderOptions {
  // The logit drift (max norm) between encoder and decoder logits the payload must survive.
  double epsilon = defaultEpsilon();
  // LM payload version to write: 1 (the model alone, container version 1), 2 (the model mixed
  // with an in-document model of the text so far, per-token grid flags; containers 2 and 3) or
  // 3 (2 with span headers over a family of grids: what kolmo's links use; containers 4 and 5).
  // Give packBest the version with the body (LmBody::payloadVersion).
  int payloadVersion = 1;
  // Versions 2 and 3: how many positions will be coded, EOT included (1..2^26). The payload
  // starts with its size class (the count's bit length), so coding more than 2^class - 1
  // positions is kBadArgument.
  size_t tokenCount = 0;
};

// Codes a token sequence into an LM payload. Usage: construct, check status(), encodeStep() once
// per position 1..n+1 (the last token EOT), finish(). Movable, not copyable (a moved-from
// encoder answers kBadArgument).
class LmEncoder {
 public:
  // Construction errors (kBadArgument: an empty vocabulary, a payload version other than 1, 2 or
  // 3, a tokenCount out of range for versions 2 and 3) are reported by status() and by every call.
  explicit LmEncoder(const LmVocabulary& vocabulary, const LmEncoderOptions& options = LmEncoderOptions());
  ~LmEncoder();
  LmEncoder(LmEncoder&&) noexcept;
  LmEncoder& operator=(LmEncoder&&) noexcept;

  Status status() const;

  // Codes `token` given the (vocab,) float32 logits that predict it. Errors: kNonFiniteLogits
  // (NaN or Inf in logits), kBadArgument (vocab != vocabulary's size, token >= vocab, null
  // logits, a step after EOT or after finish()). On these errors nothing is coded and the
  // encoder is unchanged, so the caller may retry the step.
  Status encodeStep(const float* logits, size_t vocab, uint32_t token);

  // numSteps steps at once: logits (numSteps, vocab) row-major, as a batched model pass gives
  // them; tokens (numSteps,). Stops at the first failing step (those before it stay coded).
  Status encodeSteps(const float* logits, size_t numSteps, size_t vocab, const uint32_t* tokens);

  // Appends the payload to *payload. kBadArgument unless the last coded token was EOT.
  Status finish(std::vector<uint8_t>* payload);

  // Statistics so far (version 3 codes a block of up to 256 positions once it is complete: its
  // coded bits count from then on; all of them once EOT is coded).
  LmStats stats() const;
  // The bits each coded position cost (grid flags or span header, path, escape): what the link
  // pays per token, in order; complete once EOT is coded (version 3 codes blocks at a time).
  std::vector<float> stepBits() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- decoding ----

struct LmDecoderOptions {
  // The link's LM payload version: ContainerView::lmPayloadVersion() (kolmo/container.h).
  int payloadVersion = 1;
  // Most positions the payload may decode to (EOT included); clamped to 2^26. A payload that
  // has not ended by then fails with kLengthOverLimit.
  size_t maxTokens = maxLmTokens();
};

// Decodes an LM payload position by position. The payload is copied in. Movable, not copyable
// (a moved-from decoder answers kBadArgument).
class LmDecoder {
 public:
  // Construction errors are reported by status() and by every call: kBadArgument (an empty
  // vocabulary, a null payload with size > 0, a payload version other than 1, 2 or 3),
  // kLengthOverLimit (a version-2 or 3 payload whose size class needs more than maxTokens
  // positions), kCorrupt (an impossible size class).
  LmDecoder(const LmVocabulary& vocabulary, const uint8_t* payload, size_t size,
            const LmDecoderOptions& options = LmDecoderOptions());
  ~LmDecoder();
  LmDecoder(LmDecoder&&) noexcept;
  LmDecoder& operator=(LmDecoder&&) noexcept;

  Status status() const;

  // Decodes the next token with the (vocab,) float32 logits that predict it (from the tokens
  // decoded so far); *token is < vocab on kOk. Call it until done(): the last token is EOT.
  // Errors: kNonFiniteLogits and kBadArgument (bad logits, vocab, null token, a call after
  // done()) leave the decoder unchanged; the stream's errors are final: kLengthOverLimit (no EOT
  // within maxTokens), kTruncated, kCorrupt (a damaged payload). Every call does bounded work.
  Status decodeStep(const float* logits, size_t vocab, uint32_t* token);

  // True once EOT has been decoded and the payload ended there.
  bool done() const;

  LmStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kolmo
