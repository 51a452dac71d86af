// The public LM coder (kolmo/lm.h) over the core's sessions (session.h): the public types own
// what the sessions only reference (the token tree, the payload bytes) and leave the rounding
// grids and the in-document model's constants at their format defaults.
#include "kolmo/lm.h"

#include "session.h"

namespace kolmo {

namespace {

LmStats publicStats(const SessionStats& stats) {
  LmStats out;
  out.steps = stats.steps;
  out.fragileSteps = stats.fragileSteps;
  out.escapes = stats.escapes;
  out.idealBits = stats.idealBits;
  out.codedBits = stats.codedBits;
  return out;
}

}  // namespace

size_t maxLmTokens() { return kMaxLmTokens; }

double defaultEpsilon() { return RoundingConfig{}.epsilon; }

// ---- LmVocabulary ----

struct LmVocabulary::Impl {
  TokenTree tree;
  uint32_t eotId = 0;
};

LmVocabulary::LmVocabulary() = default;
LmVocabulary::~LmVocabulary() = default;
LmVocabulary::LmVocabulary(const LmVocabulary&) = default;
LmVocabulary& LmVocabulary::operator=(const LmVocabulary&) = default;

Status LmVocabulary::fromTokenizer(const Tokenizer& tokenizer, LmVocabulary* out) {
  return build(tokenizer.tokenCounts(), tokenizer.eotId(), out);
}

Status LmVocabulary::build(const std::vector<uint64_t>& counts, uint32_t eotId, LmVocabulary* out) {
  if (out == nullptr || eotId >= counts.size()) return Status::kBadArgument;
  auto impl = std::make_shared<Impl>();
  const Status status = TokenTree::build(counts, counts.size(), &impl->tree);
  if (!isOk(status)) return status;
  impl->eotId = eotId;
  out->impl_ = std::move(impl);
  return Status::kOk;
}

size_t LmVocabulary::vocabSize() const { return impl_ ? impl_->tree.vocabSize() : 0; }
uint32_t LmVocabulary::eotId() const { return impl_ ? impl_->eotId : 0; }

// ---- LmEncoder ----

struct LmEncoder::Impl {
  Impl(std::shared_ptr<const LmVocabulary::Impl> vocabulary, const RoundingConfig& config)
      : vocab(std::move(vocabulary)), session(vocab->tree, vocab->eotId, config) {}
  std::shared_ptr<const LmVocabulary::Impl> vocab;  // before session, which references its tree
  EncoderSession session;
};

LmEncoder::LmEncoder(const LmVocabulary& vocabulary, const LmEncoderOptions& options) {
  if (!vocabulary.impl_) return;
  RoundingConfig config;
  config.epsilon = options.epsilon;
  config.payloadVersion = options.payloadVersion;
  config.tokenCount = options.tokenCount;
  impl_ = std::make_unique<Impl>(vocabulary.impl_, config);
}
LmEncoder::~LmEncoder() = default;
LmEncoder::LmEncoder(LmEncoder&&) noexcept = default;
LmEncoder& LmEncoder::operator=(LmEncoder&&) noexcept = default;

Status LmEncoder::status() const { return impl_ ? impl_->session.status() : Status::kBadArgument; }

Status LmEncoder::encodeStep(const float* logits, size_t vocab, uint32_t token) {
  return impl_ ? impl_->session.encodeStep(logits, vocab, token) : Status::kBadArgument;
}

Status LmEncoder::encodeSteps(const float* logits, size_t numSteps, size_t vocab, const uint32_t* tokens) {
  return impl_ ? impl_->session.encodeSteps(logits, numSteps, vocab, tokens) : Status::kBadArgument;
}

std::vector<float> LmEncoder::stepBits() const { return impl_ ? impl_->session.stepBits() : std::vector<float>(); }

Status LmEncoder::finish(std::vector<uint8_t>* payload) {
  return impl_ ? impl_->session.finish(payload) : Status::kBadArgument;
}

LmStats LmEncoder::stats() const { return impl_ ? publicStats(impl_->session.stats()) : LmStats(); }

// ---- LmDecoder ----

struct LmDecoder::Impl {
  Impl(std::shared_ptr<const LmVocabulary::Impl> vocabulary, const uint8_t* data, size_t size,
       const LmDecoderOptions& options)
      : vocab(std::move(vocabulary)),
        payload(data, data + size),
        session(vocab->tree, vocab->eotId, payload.data(), payload.size(), DecodeLimits{options.maxTokens},
                GridSpec(), options.payloadVersion) {}
  // Order matters: session references vocab's tree and payload.
  std::shared_ptr<const LmVocabulary::Impl> vocab;
  std::vector<uint8_t> payload;
  DecoderSession session;
};

LmDecoder::LmDecoder(const LmVocabulary& vocabulary, const uint8_t* payload, size_t size,
                     const LmDecoderOptions& options) {
  if (!vocabulary.impl_ || (payload == nullptr && size != 0)) return;
  impl_ = std::make_unique<Impl>(vocabulary.impl_, payload, size, options);
}
LmDecoder::~LmDecoder() = default;
LmDecoder::LmDecoder(LmDecoder&&) noexcept = default;
LmDecoder& LmDecoder::operator=(LmDecoder&&) noexcept = default;

Status LmDecoder::status() const { return impl_ ? impl_->session.status() : Status::kBadArgument; }

Status LmDecoder::decodeStep(const float* logits, size_t vocab, uint32_t* token) {
  return impl_ ? impl_->session.decodeStep(logits, vocab, token) : Status::kBadArgument;
}

bool LmDecoder::done() const { return impl_ && impl_->session.done(); }

LmStats LmDecoder::stats() const { return impl_ ? publicStats(impl_->session.stats()) : LmStats(); }

}  // namespace kolmo
