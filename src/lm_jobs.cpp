#include "lm_jobs.h"

#include <algorithm>

namespace kolmo {

WindowFeeder::WindowFeeder(Transformer* engine) : engine_(engine) {}

size_t WindowFeeder::rowsInWindow(size_t pos, size_t sequenceLength) const {
  const size_t context = engine_->shape().context;
  const size_t start = contextStart(pos, context);
  size_t last = pos;
  while (last + 1 < sequenceLength && contextStart(last + 1, context) == start) ++last;
  return last - pos + 1;
}

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
}

Status LmEncodeJob::run(size_t budget, bool* done) {
  *done = false;
  if (!isOk(status_)) return status_;
  const size_t vocab = engine_->shape().vocab;
  while (budget > 0 && nextPos_ < seq_.size()) {
    const size_t rows = std::min(budget, feeder_.rowsInWindow(nextPos_, seq_.size()));
    if (logits_.size() < rows * vocab) logits_.resize(rows * vocab);
    status_ = feeder_.logitsRun(seq_.data(), nextPos_, rows, logits_.data());
    for (size_t i = 0; i < sessions_.size() && isOk(status_); ++i) {
      status_ = sessions_[i]->encodeSteps(logits_.data(), rows, vocab, &seq_[nextPos_]);
    }
    if (!isOk(status_)) return status_;
    nextPos_ += rows;
    budget -= rows;
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

}  // namespace kolmo
