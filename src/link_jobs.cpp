#include "link_jobs.h"

#include <algorithm>

#include "kolmo/line_breaks.h"
#include "cm_codec.h"
#include "session.h"

namespace kolmo {

Status modelInput(const Tokenizer& tokenizer, const uint8_t* text, size_t size, ModelInput* out) {
  std::vector<uint8_t> lf;
  out->crlfLineBreaks = lfLineBreaks(text, size, &lf);
  return out->crlfLineBreaks ? tokenizer.encode(lf.data(), lf.size(), &out->ids)
                             : tokenizer.encode(text, size, &out->ids);
}

std::vector<int> lmPayloadVersionsFor(size_t codedTokens, bool crlfLineBreaks) {
  if (codedTokens > kMaxLmTokens) return {};
  // A CRLF text has no payload-1 form (containers 3 and 5 are for payloads 2 and 3).
  if (!crlfLineBreaks && codedTokens <= kAlsoPayloadV1MaxTokens) return {kLmPayloadV3, kLmPayloadV1};
  return {kLmPayloadV3};
}

// ---- encode ----

LinkEncodeJob::LinkEncodeJob(const uint8_t* text, size_t size, unsigned allowedModes, const LinkModel* model,
                             double epsilon, const ContainerLimits& limits, const SegmentRule& segmentRule)
    : allowedModes_(allowedModes), limits_(limits) {
  if ((text == nullptr && size > 0) || allowedModes == 0 || (allowedModes & ~kAllModes) != 0) {
    status_ = Status::kBadArgument;
    return;
  }
  if (size > limits.maxTextBytes) {
    status_ = Status::kLengthOverLimit;
    return;
  }
  text_.assign(text, text + size);
  if (model == nullptr) return;
  model_ = *model;
  if (model_.engine == nullptr || model_.tokenizer == nullptr || model_.tree == nullptr) {
    status_ = Status::kBadArgument;
    return;
  }
  if ((allowedModes & modeBit(ContainerMode::kLm)) == 0) return;  // no model work for cm / stored
  status_ = modelInput(*model_.tokenizer, text_.data(), text_.size(), &input_);
  if (!isOk(status_)) return;
  cuts_ = segmentCuts(*model_.tokenizer, input_.ids, segmentRule);
  if (!cuts_.empty()) {
    segmented_ = std::make_unique<SegmentedEncodeJob>(model_.engine, *model_.tree, model_.tokenizer->eotId(),
                                                      input_.ids, cuts_, epsilon);
    return;
  }
  const std::vector<int> versions = lmPayloadVersionsFor(input_.ids.size() + 1, input_.crlfLineBreaks);
  if (versions.empty()) return;
  lm_ = std::make_unique<LmEncodeJob>(model_.engine, *model_.tree, model_.tokenizer->eotId(), input_.ids.data(),
                                      input_.ids.size(), versions, epsilon);
}

Status LinkEncodeJob::run(size_t budget, bool* done) {
  *done = done_;
  if (!isOk(status_) || done_) return status_;
  if (lm_) {
    bool lmDone = false;
    status_ = lm_->run(budget, &lmDone);
    if (!isOk(status_) || !lmDone) return status_;
  }
  std::vector<LmBody> bodies;
  std::vector<uint8_t> segmentedBody;
  if (segmented_) {
    bool segmentsDone = false;
    status_ = segmented_->run(budget, &segmentsDone);
    if (!isOk(status_) || !segmentsDone) return status_;
    writeSegmentedBody(model_.idHash, text_.data(), text_.size(), segmented_->payloads(), &segmentedBody);
    bodies.push_back(LmBody{segmentedBody.data(), segmentedBody.size(), kLmPayloadV3, input_.crlfLineBreaks, true});
  }
  for (size_t i = 0; lm_ && i < lm_->payloadCount(); ++i) {
    const std::vector<uint8_t>& payload = lm_->payload(i);
    bodies.push_back(LmBody{payload.data(), payload.size(), lm_->version(i), input_.crlfLineBreaks});
  }
  size_t chosenLm = 0;
  status_ = packBest(text_.data(), text_.size(), bodies.data(), bodies.size(), model_.modelIndex, model_.idHash,
                     limits_, allowedModes_, &container_, &mode_, &chosenLm);
  if (!isOk(status_)) return status_;
  used_ = mode_ == ContainerMode::kLm ? chosenLm : 0;
  done_ = true;
  *done = true;
  return Status::kOk;
}

// ---- decode ----

LinkDecodeJob::LinkDecodeJob(const uint8_t* container, size_t size, const ContainerLimits& limits)
    : limits_(limits) {
  if (container == nullptr && size > 0) {
    status_ = Status::kBadArgument;
    return;
  }
  container_.assign(container, container + size);
  status_ = parse(container_.data(), container_.size(), limits_, &view_);
  if (!isOk(status_)) return;
  uint64_t cmLength = 0;
  switch (view_.mode) {
    case ContainerMode::kStored:
      declaredTextBytes_ = static_cast<int64_t>(view_.bodySize);
      break;
    case ContainerMode::kCm:
      if (isOk(cmDeclaredLength(view_.body, view_.bodySize, &cmLength))) declaredTextBytes_ = static_cast<int64_t>(cmLength);
      break;
    default:
      if (view_.segmented()) {
        // Read whatever length it declares, so that a refusal can say it.
        ContainerLimits unbounded = limits_;
        unbounded.maxTextBytes = ~size_t{0};
        status_ = parseSegmentIndex(view_.body, view_.bodySize, unbounded, &segmentIndex_);
        if (!isOk(status_)) return;
        declaredTextBytes_ = static_cast<int64_t>(segmentIndex_.textBytes);
        if (segmentIndex_.textBytes > limits_.maxTextBytes) {
          status_ = Status::kLengthOverLimit;
          return;
        }
        for (const SegmentSpan& span : segmentIndex_.segments) {
          declaredMaxTokens_ += std::min<uint64_t>(kMaxLmTokens, lmDeclaredMaxTokens(view_.body + span.offset, span.size,
                                                                                      kLmPayloadV3));
        }
      } else {
        declaredMaxTokens_ = lmDeclaredMaxTokens(view_.body, view_.bodySize, view_.lmPayloadVersion());
      }
  }
}

Status LinkDecodeJob::start(const LinkModel& model, size_t maxTokens) {
  if (!isOk(status_)) return status_;
  if (view_.mode != ContainerMode::kLm || lm_ || segmented_ || model.engine == nullptr || model.tokenizer == nullptr ||
      model.tree == nullptr) {
    return status_ = Status::kBadArgument;
  }
  if (model.modelIndex != view_.modelIndex) return status_ = Status::kUnknownModel;
  model_ = model;
  if (view_.segmented()) {
    const uint64_t bound = segmentedTokenBound(segmentIndex_);
    segmented_ = std::make_unique<SegmentedDecodeJob>(model.engine, *model.tree, model.tokenizer->eotId(), view_.body,
                                                      segmentIndex_, maxTokens == 0 ? bound : std::min<uint64_t>(bound, maxTokens));
    return Status::kOk;
  }
  if (maxTokens == 0) maxTokens = kMaxLmTokens;
  lm_ = std::make_unique<LmDecodeJob>(model.engine, *model.tree, model.tokenizer->eotId(), view_.body, view_.bodySize,
                                      view_.lmPayloadVersion(), maxTokens);
  return Status::kOk;
}

Status LinkDecodeJob::run(size_t budget, bool* done) {
  *done = done_;
  if (!isOk(status_) || done_) return status_;
  if (view_.mode != ContainerMode::kLm) {
    status_ = decodeFallback(view_, limits_, &text_);  // decodes and verifies
  } else {
    if (!lm_ && !segmented_) return status_ = Status::kBadArgument;  // start() first
    bool lmDone = false;
    status_ = lm_ ? lm_->run(budget, &lmDone) : segmented_->run(budget, &lmDone);
    if (!isOk(status_) || !lmDone) return status_;
    status_ = finish(*model_.tokenizer, model_.idHash, tokens().data(), tokens().size());
  }
  if (!isOk(status_)) return status_;
  done_ = true;
  *done = true;
  return Status::kOk;
}

Status LinkDecodeJob::finishWithTokens(const Tokenizer& tokenizer, uint64_t idHash, const uint32_t* ids, size_t count) {
  if (!isOk(status_) || done_ || view_.mode != ContainerMode::kLm || lm_ || segmented_) return isOk(status_) ? Status::kBadArgument : status_;
  status_ = finish(tokenizer, idHash, ids, count);
  done_ = isOk(status_);
  return status_;
}

Status LinkDecodeJob::finish(const Tokenizer& tokenizer, uint64_t idHash, const uint32_t* ids, size_t count) {
  std::vector<uint8_t> decoded;
  Status status = tokenizer.decode(ids, count, &decoded);
  if (isOk(status) && view_.crlfLineBreaks()) {
    status = restoreCrlfLineBreaks(decoded.data(), decoded.size(), limits_.maxTextBytes, &text_);
  } else if (isOk(status)) {
    text_ = std::move(decoded);
  }
  if (isOk(status) && text_.size() > limits_.maxTextBytes) status = Status::kLengthOverLimit;
  if (isOk(status)) status = verify(view_, idHash, text_.data(), text_.size());
  if (!isOk(status)) text_.clear();  // never a text that did not pass the check
  return status;
}

const std::vector<uint32_t>& LinkDecodeJob::tokens() const {
  static const std::vector<uint32_t> kNone;
  return lm_ ? lm_->tokens() : segmented_ ? segmented_->tokens() : kNone;
}

const std::vector<float>& LinkDecodeJob::tokenBits() const {
  static const std::vector<float> kNone;
  return lm_ ? lm_->tokenBits() : segmented_ ? segmented_->tokenBits() : kNone;
}

}  // namespace kolmo
