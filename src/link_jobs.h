// LinkEncodeJob / LinkDecodeJob: a whole link as one operation of the core — text -> tokens ->
// model -> LM payloads -> the smallest container, and container -> text, verified — advanced in
// bounded slices (run(budget)) so that the caller can report progress, yield and abort between
// them. Every decision about the format is made here: which LM payload versions to code, which
// container wins (packBest), CRLF texts, the integrity check. The JS layer moves bytes in and out.
//
// The model runs inside the core (transformer.h) on this path; where it runs outside (ONNX Runtime
// on WebGPU, in JS), the caller codes the tokens itself and uses the same policy
// (lmPayloadVersionsFor) and the decode job's finishWithTokens().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kolmo/container.h"
#include "kolmo/status.h"
#include "kolmo/tokenizer.h"
#include "lm_jobs.h"
#include "token_tree.h"
#include "transformer.h"

namespace kolmo {

// What the model codes for a text: its tokens, of the text with LF line breaks when every line
// break is CRLF (container versions 3 and 5: the models were trained on LF text).
struct ModelInput {
  std::vector<uint32_t> ids;
  bool crlfLineBreaks = false;
};
Status modelInput(const Tokenizer& tokenizer, const uint8_t* text, size_t size, ModelInput* out);

// The LM payload versions an encoder codes for a text of `codedTokens` positions (EOT
// included), the main one first: version 3; also version 1 for texts of at most
// kAlsoPayloadV1MaxTokens positions that are not CRLF texts (the in-document model needs some
// text to learn from: version 1 can be smaller on short texts); packBest keeps the smaller.
// None above maxLmTokens() (such texts go to cm or stored).
// Why 512: a second payload is a second coder pass over every position. On the 160 eval texts
// (km2, bench/v1_wins.mjs) version 1 was smaller on 78 texts, by 1-6 bytes; above 512 positions
// on 3 texts, by 4 bytes in all (4096, the bound before, coded both up to 4096).
constexpr size_t kAlsoPayloadV1MaxTokens = 512;
std::vector<int> lmPayloadVersionsFor(size_t codedTokens, bool crlfLineBreaks);

// A model as the link jobs use it: the engine, its tokenizer and token tree, and its identity in
// links (the manifest's link index and id hash). Everything must outlive the job.
struct LinkModel {
  Transformer* engine = nullptr;
  const Tokenizer* tokenizer = nullptr;
  const TokenTree* tree = nullptr;
  uint32_t modelIndex = 0;
  uint64_t idHash = 0;
};

class LinkEncodeJob {
 public:
  // text is copied. allowedModes: bits modeBit(ContainerMode) (kAllModes: the smallest of all).
  // model: null for a link without the model (cm or stored); with one and lm allowed, the text
  // is tokenized (input()) and coded.
  // segmentRule: where a long text is cut (segments.h; the default is the product's).
  LinkEncodeJob(const uint8_t* text, size_t size, unsigned allowedModes, const LinkModel* model, double epsilon,
                const ContainerLimits& limits, const SegmentRule& segmentRule = SegmentRule());

  // Runs up to `budget` model positions (>= 1); *done once the container is packed. Errors
  // are final: kLengthOverLimit (text over the limit), kBadArgument (only lm allowed and the
  // model cannot code the text), the model's and coder's errors.
  Status run(size_t budget, bool* done);

  size_t positionsDone() const { return lm_ ? lm_->positionsDone() : segmented_ ? segmented_->positionsDone() : 0; }
  size_t positionsTotal() const { return lm_ ? lm_->positionsTotal() : segmented_ ? segmented_->positionsTotal() : 0; }
  // A long text (segments.h): the model codes it as segments, which other workers may code
  // (segmented()->segmentStart(i), provide(i, payload)) while run() codes the rest. Null otherwise.
  SegmentedEncodeJob* segmented() { return segmented_.get(); }
  // A text the model codes as one stream: its LM job, whose windows other workers may compute
  // (windows(), windowTokens(k), provideWindowLogits(k, ...)) while run() codes them in order.
  // Null otherwise (segmented, no model work).
  LmEncodeJob* stream() { return lm_.get(); }
  // After done:
  const std::vector<uint8_t>& container() const { return container_; }
  ContainerMode mode() const { return mode_; }
  // The model input (empty without a model or when lm is not allowed); whether the model coded
  // it (lm allowed, within the token bound).
  const ModelInput& input() const { return input_; }
  bool modelCoded() const { return lm_ != nullptr || segmented_ != nullptr; }
  // The LM payload the link holds, or version 3's when the link is not lm: its version, stats
  // and the bits of each position (text tokens, then EOT). Only when modelCoded(). Segmented:
  // over the segments coded by this job (not those provided).
  int usedPayloadVersion() const { return lm_ ? lm_->version(used_) : segmented_ ? kLmPayloadV3 : 0; }
  const SessionStats& usedStats() const { return lm_ ? lm_->stats(used_) : segmented_->stats(); }
  const std::vector<float>& usedTokenBits() const { return lm_ ? lm_->stepBits(used_) : segmented_->stepBits(); }

 private:
  std::vector<uint8_t> text_;
  unsigned allowedModes_;
  LinkModel model_;
  ContainerLimits limits_;
  ModelInput input_;
  std::unique_ptr<LmEncodeJob> lm_;
  std::vector<size_t> cuts_;
  std::unique_ptr<SegmentedEncodeJob> segmented_;
  std::vector<uint8_t> container_;
  ContainerMode mode_ = ContainerMode::kStored;
  size_t used_ = 0;
  bool done_ = false;
  Status status_ = Status::kOk;
};

class LinkDecodeJob {
 public:
  // Parses the container (copied): status() is parse()'s result; for a segmented link also its
  // index's (kLengthOverLimit when it declares more than limits.maxTextBytes: declaredTextBytes()
  // then says how much).
  LinkDecodeJob(const uint8_t* container, size_t size, const ContainerLimits& limits);
  Status status() const { return status_; }
  const ContainerView& view() const { return view_; }
  // What the link declares before any decoding, for a reader to show what opening will take:
  // the text's bytes (stored; cm: its length code), -1 when unknown (lm); the most tokens an
  // lm payload's size class allows (payloads 2 and 3), 0 when it has none (payload 1, the
  // decoder's bound applies).
  int64_t declaredTextBytes() const { return declaredTextBytes_; }
  uint64_t declaredMaxTokens() const { return declaredMaxTokens_; }

  // Mode lm: decodes with `model` (its modelIndex must be the view's; kUnknownModel if not),
  // at most maxTokens positions (0: the link's own bound, kMaxLmTokens for one stream, and for a
  // segmented link its declared text bytes + one EOT per segment, within kMaxSegmentedTokens).
  // Not needed for stored and cm.
  Status start(const LinkModel& model, size_t maxTokens);
  // Runs up to `budget` positions (>= 1; stored/cm: the whole body at once); *done once the text
  // is decoded and verified (text()). Errors are final: the coder's, kChecksumMismatch, ...
  Status run(size_t budget, bool* done);
  // Mode lm decoded outside the core (ONNX Runtime, or a segmented link's segments decoded by
  // several workers, concatenated): the decoded tokens -> text, verified.
  Status finishWithTokens(const Tokenizer& tokenizer, uint64_t idHash, const uint32_t* ids, size_t count);

  const std::vector<uint8_t>& text() const { return text_; }
  // Mode lm on the engine: tokens decoded so far (not verified) and their coded bits.
  const std::vector<uint32_t>& tokens() const;
  const std::vector<float>& tokenBits() const;
  double fraction() const { return lm_ ? lm_->fraction() : segmented_ ? segmented_->fraction() : 0; }
  // A segmented link (view().segmented()): its index (parsed with the view), so that other
  // workers can decode segments (the payload at view().body + segments[i].offset) and hand the
  // tokens to finishWithTokens.
  const SegmentIndex& segmentIndex() const { return segmentIndex_; }

 private:
  Status finish(const Tokenizer& tokenizer, uint64_t idHash, const uint32_t* ids, size_t count);

  std::vector<uint8_t> container_;
  ContainerLimits limits_;
  ContainerView view_;
  LinkModel model_;
  std::unique_ptr<LmDecodeJob> lm_;
  SegmentIndex segmentIndex_;
  std::unique_ptr<SegmentedDecodeJob> segmented_;
  std::vector<uint8_t> text_;
  int64_t declaredTextBytes_ = -1;
  uint64_t declaredMaxTokens_ = 0;
  bool done_ = false;
  Status status_ = Status::kOk;
};

}  // namespace kolmo
