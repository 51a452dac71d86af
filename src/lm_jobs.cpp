#include "lm_jobs.h"

#include <algorithm>

namespace kolmo {

WindowFeeder::WindowFeeder(Transformer* engine) : engine_(engine) {}

Status WindowFeeder::logitsRun(const uint32_t* seq, size_t pos, size_t count, float* out) {
  const size_t start = contextStart(pos, engine_->shape().context);
  if (start != windowStart_ || engine_->windowLength() != pos - 1 - start) {
    // A new window: its context tokens before pos - 1, without logits.
    engine_->reset();
    windowStart_ = start;
    Status status = engine_->append(seq + start, pos - 1 - start, nullptr);
    if (!isOk(status)) return status;
  }
  return engine_->append(seq + pos - 1, count, out);
}

// ---- windows ----

std::vector<EncoderWindow> encoderWindowPlan(size_t sequenceLength, size_t context) {
  std::vector<EncoderWindow> plan;
  const size_t most = std::max<size_t>(1, context / 2);
  for (size_t pos = 1; pos < sequenceLength;) {
    EncoderWindow window;
    window.start = contextStart(pos, context);
    window.first = pos;
    while (pos < sequenceLength && window.count < most && contextStart(pos, context) == window.start) {
      ++pos;
      ++window.count;
    }
    plan.push_back(window);
  }
  return plan;
}

Status windowLogits(Transformer* engine, const uint32_t* passTokens, size_t passCount, size_t contextTokens, float* out) {
  if (engine == nullptr || passTokens == nullptr || out == nullptr || contextTokens >= passCount) {
    return Status::kBadArgument;
  }
  engine->reset();
  const Status status = engine->append(passTokens, contextTokens, nullptr);
  if (!isOk(status)) return status;
  return engine->append(passTokens + contextTokens, passCount - contextTokens, out);
}

// ---- encoder ----

LmEncodeJob::LmEncodeJob(Transformer* engine, const TokenTree& tree, uint32_t eotId, const uint32_t* ids,
                         size_t count, const std::vector<int>& versions, double epsilon)
    : engine_(engine), feeder_(engine), versions_(versions) {
  if (engine == nullptr || (ids == nullptr && count > 0) || versions.empty() ||
      engine->shape().vocab != tree.vocabSize()) {
    status_ = Status::kBadArgument;
    return;
  }
  seq_.reserve(count + 2);
  seq_.push_back(eotId);
  seq_.insert(seq_.end(), ids, ids + count);
  seq_.push_back(eotId);
  for (int version : versions) {
    RoundingConfig config;
    config.epsilon = epsilon;
    config.payloadVersion = version;
    config.tokenCount = seq_.size() - 1;
    sessions_.push_back(std::make_unique<EncoderSession>(tree, eotId, config));
    if (!isOk(sessions_.back()->status())) status_ = sessions_.back()->status();
  }
  payloads_.resize(versions.size());
  windows_ = encoderWindowPlan(seq_.size(), engine->shape().context);
  held_.resize(windows_.size());
}

Status LmEncodeJob::provideWindowLogits(size_t k, const uint32_t* passTokens, size_t passCount, const float* logits,
                                        size_t floatCount) {
  if (!isOk(status_)) return status_;
  if (k >= windows_.size() || windowBegun(k) || windowHasLogits(k) || k == preparing_ || logits == nullptr ||
      passTokens == nullptr) {
    return Status::kBadArgument;
  }
  const EncoderWindow& window = windows_[k];
  if (passCount != window.passTokens() || floatCount != window.count * engine_->shape().vocab ||
      !std::equal(passTokens, passTokens + passCount, windowTokens(k))) {
    return Status::kBadArgument;
  }
  held_[k].assign(logits, logits + floatCount);
  return Status::kOk;
}

Status LmEncodeJob::prepareWindow(size_t k, size_t budget, bool* done) {
  *done = false;
  if (!isOk(status_)) return status_;
  if (k != preparing_) {
    if (k >= windows_.size() || windowBegun(k) || windowHasLogits(k) || budget == 0) return Status::kBadArgument;
    dropPreparation();
    held_[k].resize(windows_[k].count * engine_->shape().vocab);
    engine_->reset();
    feeder_.forget();  // the engine's window now holds this pass
    preparing_ = k;
    preparedTokens_ = 0;
  }
  // The pass of windowLogits, in slices: the context tokens without logits, then the rows.
  const EncoderWindow& window = windows_[k];
  const uint32_t* tokens = windowTokens(k);
  while (budget > 0 && preparedTokens_ < window.passTokens()) {
    const bool context = preparedTokens_ < window.contextTokens();
    const size_t n = std::min(budget, context ? window.contextTokens() - preparedTokens_
                                              : window.passTokens() - preparedTokens_);
    float* rows = context ? nullptr : held_[k].data() + (preparedTokens_ - window.contextTokens()) * engine_->shape().vocab;
    status_ = engine_->append(tokens + preparedTokens_, n, rows);
    if (!isOk(status_)) {
      dropPreparation();
      return status_;
    }
    preparedTokens_ += n;
    budget -= n;
  }
  if (preparedTokens_ == window.passTokens()) {
    preparing_ = SIZE_MAX;
    *done = true;
  }
  return Status::kOk;
}

void LmEncodeJob::dropPreparation() {
  if (preparing_ == SIZE_MAX) return;
  std::vector<float>().swap(held_[preparing_]);
  preparing_ = SIZE_MAX;
  feeder_.forget();
}

Status LmEncodeJob::run(size_t budget, bool* done) {
  *done = false;
  if (!isOk(status_)) return status_;
  const size_t vocab = engine_->shape().vocab;
  while (budget > 0 && nextPos_ < seq_.size()) {
    const EncoderWindow& window = windows_[window_];
    const size_t rows = std::min(budget, window.first + window.count - nextPos_);
    const float* logits = nullptr;
    if (windowHasLogits(window_)) {
      logits = held_[window_].data() + (nextPos_ - window.first) * vocab;
    } else {
      dropPreparation();  // the engine is this window's now
      if (logits_.size() < rows * vocab) logits_.resize(rows * vocab);
      status_ = feeder_.logitsRun(seq_.data(), nextPos_, rows, logits_.data());
      logits = logits_.data();
    }
    for (size_t i = 0; i < sessions_.size() && isOk(status_); ++i) {
      status_ = sessions_[i]->encodeSteps(logits, rows, vocab, &seq_[nextPos_]);
    }
    if (!isOk(status_)) return status_;
    nextPos_ += rows;
    budget -= rows;
    if (nextPos_ == window.first + window.count) {
      std::vector<float>().swap(held_[window_]);  // up to 4 MB each: freed as soon as coded
      ++window_;
    }
  }
  if (nextPos_ == seq_.size()) {
    for (size_t i = 0; i < sessions_.size() && payloads_[i].empty(); ++i) {
      status_ = sessions_[i]->finish(&payloads_[i]);
      if (!isOk(status_)) return status_;
    }
    *done = true;
  }
  return Status::kOk;
}

// ---- decoder ----

LmDecodeJob::LmDecodeJob(Transformer* engine, const TokenTree& tree, uint32_t eotId, const uint8_t* payload,
                         size_t size, int version, size_t maxTokens)
    : engine_(engine), feeder_(engine), payload_(payload, payload + size) {
  if (engine == nullptr || engine->shape().vocab != tree.vocabSize()) {
    status_ = Status::kBadArgument;
    return;
  }
  DecodeLimits limits;
  limits.maxTokens = maxTokens;
  session_ = std::make_unique<DecoderSession>(tree, eotId, payload_.data(), payload_.size(), limits, GridSpec(),
                                              version);
  status_ = session_->status();
  seq_.push_back(eotId);
}

Status LmDecodeJob::run(size_t budget, bool* done) {
  *done = done_;
  if (!isOk(status_) || done_) return status_;
  const size_t vocab = engine_->shape().vocab;
  if (logits_.size() < vocab) logits_.resize(vocab);
  for (; budget > 0; --budget) {
    const size_t pos = seq_.size();
    status_ = feeder_.logitsRun(seq_.data(), pos, 1, logits_.data());
    if (!isOk(status_)) return status_;
    const double bitsBefore = session_->stats().codedBits;
    uint32_t token = 0;
    status_ = session_->decodeStep(logits_.data(), vocab, &token);
    if (!isOk(status_)) return status_;
    tokenBits_.push_back(static_cast<float>(session_->stats().codedBits - bitsBefore));
    if (session_->done()) {
      done_ = true;
      *done = true;
      return Status::kOk;
    }
    seq_.push_back(token);
    tokens_.push_back(token);
  }
  return Status::kOk;
}

double LmDecodeJob::fraction() const {
  if (!session_ || payload_.empty()) return 0;
  return std::min(1.0, session_->stats().codedBits / (8.0 * static_cast<double>(payload_.size())));
}

// ---- segmented ----

void addStats(const SessionStats& add, SessionStats* total) {
  total->steps += add.steps;
  total->fragileSteps += add.fragileSteps;
  total->escapes += add.escapes;
  total->idealBits += add.idealBits;
  total->codedBits += add.codedBits;
  total->flagBits += add.flagBits;
  total->escapeBits += add.escapeBits;
}

SegmentedEncodeJob::SegmentedEncodeJob(Transformer* engine, const TokenTree& tree, uint32_t eotId,
                                       const std::vector<uint32_t>& ids, const std::vector<size_t>& cuts,
                                       double epsilon)
    : engine_(engine), tree_(tree), eotId_(eotId), ids_(ids), cuts_(cuts), epsilon_(epsilon),
      payloads_(cuts.size() + 1) {}

Status SegmentedEncodeJob::provide(size_t i, const uint8_t* payload, size_t size) {
  if (i >= payloads_.size() || size == 0 || payload == nullptr || !payloads_[i].empty() ||
      (i == segment_ && current_)) {
    return Status::kBadArgument;
  }
  payloads_[i].assign(payload, payload + size);
  return Status::kOk;
}

Status SegmentedEncodeJob::run(size_t budget, bool* done) {
  *done = false;
  if (!isOk(status_)) return status_;
  while (segment_ < payloads_.size() && budget > 0) {
    const size_t start = segmentStart(segment_), end = segmentStart(segment_ + 1);
    if (!payloads_[segment_].empty() && !current_) {  // provided
      positionsDone_ += end - start + 1;
      ++segment_;
      continue;
    }
    if (!current_) {
      current_ = std::make_unique<LmEncodeJob>(engine_, tree_, eotId_, ids_.data() + start, end - start,
                                               std::vector<int>{kLmPayloadV3}, epsilon_);
    }
    const size_t before = current_->positionsDone();
    bool segmentDone = false;
    status_ = current_->run(budget, &segmentDone);
    if (!isOk(status_)) return status_;
    const size_t ran = current_->positionsDone() - before;
    positionsDone_ += ran;
    budget -= std::min(budget, std::max<size_t>(ran, 1));
    if (segmentDone) {
      payloads_[segment_] = current_->payload(0);
      addStats(current_->stats(0), &stats_);
      // One bit count per token and one EOT for the link: a segment's EOT but the last is added
      // to the token before it (as SegmentedDecodeJob reports them).
      const std::vector<float>& bits = current_->stepBits(0);
      stepBits_.insert(stepBits_.end(), bits.begin(), bits.end());
      if (segment_ + 1 < payloads_.size() && stepBits_.size() >= 2) {
        stepBits_[stepBits_.size() - 2] += stepBits_.back();
        stepBits_.pop_back();
      }
      current_.reset();
      ++segment_;
    }
  }
  *done = segment_ == payloads_.size();
  return Status::kOk;
}

SegmentedDecodeJob::SegmentedDecodeJob(Transformer* engine, const TokenTree& tree, uint32_t eotId,
                                       const uint8_t* body, const SegmentIndex& index, size_t maxTokens)
    : engine_(engine), tree_(tree), eotId_(eotId), body_(body), index_(index), maxTokens_(maxTokens) {}

void SegmentedDecodeJob::collect(bool segmentDone) {
  const std::vector<uint32_t>& t = current_->tokens();
  tokens_.insert(tokens_.end(), t.begin() + static_cast<std::ptrdiff_t>(collectedTokens_), t.end());
  collectedTokens_ = t.size();
  // Bits of the text's tokens; a segment's EOT: the link's last one kept, the others' bits
  // added to the token before them (bits stay one per token + one EOT, and add up).
  const std::vector<float>& b = current_->tokenBits();
  const size_t upTo = std::min(b.size(), t.size());
  tokenBits_.insert(tokenBits_.end(), b.begin() + static_cast<std::ptrdiff_t>(collectedBits_),
                    b.begin() + static_cast<std::ptrdiff_t>(std::max(upTo, collectedBits_)));
  collectedBits_ = std::max(upTo, collectedBits_);
  if (segmentDone && b.size() > t.size()) {
    if (segment_ + 1 == index_.segments.size()) {
      tokenBits_.push_back(b.back());
    } else if (!tokenBits_.empty()) {
      tokenBits_.back() += b.back();
    }
  }
}

Status SegmentedDecodeJob::run(size_t budget, bool* done) {
  *done = done_;
  if (!isOk(status_) || done_) return status_;
  while (budget > 0) {
    if (!current_) {
      if (positions_ >= maxTokens_) return status_ = Status::kLengthOverLimit;
      const SegmentSpan& span = index_.segments[segment_];
      const size_t allowed = std::min(kMaxLmTokens, maxTokens_ - positions_);
      current_ = std::make_unique<LmDecodeJob>(engine_, tree_, eotId_, body_ + span.offset, span.size, kLmPayloadV3,
                                               allowed);
      collectedTokens_ = collectedBits_ = 0;
    }
    const size_t before = current_->tokenBits().size();
    bool segmentDone = false;
    status_ = current_->run(budget, &segmentDone);
    collect(segmentDone);
    if (!isOk(status_)) return status_;
    budget -= std::min(budget, std::max<size_t>(current_->tokenBits().size() - before, 1));
    if (segmentDone) {
      positions_ += current_->tokenBits().size();
      bytesDone_ += index_.segments[segment_].size;
      current_.reset();
      if (++segment_ == index_.segments.size()) {
        done_ = true;
        *done = true;
        return Status::kOk;
      }
    }
  }
  return Status::kOk;
}

double SegmentedDecodeJob::fraction() const {
  size_t total = 0;
  for (const SegmentSpan& span : index_.segments) total += span.size;
  const double current = current_ ? current_->fraction() * static_cast<double>(index_.segments[segment_].size) : 0;
  return std::min(1.0, (static_cast<double>(bytesDone_) + current) / static_cast<double>(std::max<size_t>(total, 1)));
}

}  // namespace kolmo
