// Encoder and decoder step machines (see session.h for the per-token rule).
//
// The two sides are written to mirror each other line by line: every probability comes from
// detail::CodingState, every model update happens at the same point of a step on both sides.
#include "session.h"

#include "det_math.h"

namespace kolmo {

namespace {

constexpr double kInvLn2 = 1.0 / kDetLn2;

// Bits spent coding `bit` with P(0) = prob0 / 65536.
double bitCost(uint32_t prob0, int bit) {
  const uint32_t p = bit ? kBitProbOne - prob0 : prob0;
  return 16.0 - detLog(static_cast<double>(p)) * kInvLn2;
}

// ---- payload version 2: the size class k = bit length of the token count (EOT included),
// 1..26, coded first with fixed frequencies that favour link-sized texts (16..4095 tokens:
// k = 5..12 cost 2.2..3.8 bits) ----
constexpr int kMaxSizeClass = 26;  // 2^26 - 1 >= kMaxTokensHardLimit - 1
constexpr uint32_t kSizeClassFreq[kMaxSizeClass + 1] = {
    0, 2, 4, 8, 16, 40, 80, 110, 120, 120, 110, 80, 40, 20, 10, 6, 4, 4,
    1, 1, 1, 1, 1, 1, 1, 1, 1};

uint32_t sizeClassCum(int k) {
  uint32_t c = 0;
  for (int i = 0; i < k; ++i) c += kSizeClassFreq[i];
  return c;
}

int sizeClassOf(size_t tokenCount) {
  int k = 0;
  while (k < 63 && (tokenCount >> k) != 0) ++k;
  return k;
}

void encodeSizeClass(RangeEncoder* rc, int k) {
  rc->encode(sizeClassCum(k), kSizeClassFreq[k], sizeClassCum(kMaxSizeClass + 1));
}

// 0 if the coded value falls outside every class (a stream no encoder writes).
int decodeSizeClass(RangeDecoder* rd) {
  const uint32_t total = sizeClassCum(kMaxSizeClass + 1);
  const uint32_t f = rd->decodeFreq(total);
  int k = 1;
  while (k < kMaxSizeClass && sizeClassCum(k + 1) <= f) ++k;
  rd->consume(sizeClassCum(k), kSizeClassFreq[k], total);
  return rd->hasError() ? 0 : k;
}

}  // namespace

size_t contextStart(size_t position, size_t contextLength) {
  if (contextLength < 2) return position > contextLength ? position - contextLength : 0;
  if (position <= contextLength) return 0;
  const size_t half = contextLength / 2;
  return ((position - 1) / half - 1) * half;
}

namespace detail {

uint32_t AdaptiveBit::prob0() const {
  const uint64_t c0 = 2 * uint64_t{zeros_} + 1;
  const uint64_t c1 = 2 * uint64_t{ones_} + 1;
  uint64_t p = (c0 * kBitProbOne + (c0 + c1) / 2) / (c0 + c1);
  if (p < 1) p = 1;
  if (p > kBitProbOne - 1) p = kBitProbOne - 1;
  return static_cast<uint32_t>(p);
}

void AdaptiveBit::update(int bit) {
  if (bit) {
    ++ones_;
  } else {
    ++zeros_;
  }
  if (zeros_ + ones_ >= kHalveAt) {
    zeros_ = (zeros_ + 1) / 2;
    ones_ = (ones_ + 1) / 2;
  }
}

CodingState::CodingState(const TokenTree& treeRef, uint32_t eot, const GridSpec& grid)
    : tree(treeRef),
      eotId(eot),
      evaluator(treeRef),
      fragileFlag(kFragileFlagPrior),
      escapeFlag(kEscapeFlagPrior) {
  if (tree.vocabSize() < 2 || eotId >= tree.vocabSize()) {
    status = Status::kBadArgument;
    return;
  }
  status = Quantizer::build(grid, &quantizer);
}

uint32_t CodingState::decisionProbLeft(int grid, uint32_t bin, uint32_t node) {
  const uint32_t base = grid < 0 ? tree.unigramProbLeft(node) : quantizer.probLeft(grid, bin);
  return doc ? doc->probLeft(node, base, grid) : base;
}

void CodingState::observeDecision(int bit) {
  if (doc) doc->update(bit);
}

void CodingState::observeToken(uint32_t token) {
  if (doc) doc->observeToken(token);
}

void CodingState::enableDocModel(int sizeClass, const DocModelParams& params) {
  doc.reset(new DocModel(tree, eotId, sizeClass, params));
}

}  // namespace detail

// ---- encoder ----

EncoderSession::EncoderSession(const TokenTree& tree, uint32_t eotId, RoundingConfig config)
    : state_(tree, eotId, config.grid), epsilon_(config.epsilon) {
  if (state_.status == Status::kOk && !(epsilon_ >= 0.0 && epsilon_ < 1.0)) {
    state_.status = Status::kBadArgument;
  }
  if (state_.status != Status::kOk) return;
  if (config.payloadVersion == kLmPayloadV2) {
    if (config.tokenCount == 0 || config.tokenCount > kMaxTokensHardLimit) {
      state_.status = Status::kBadArgument;
      return;
    }
    const int sizeClass = sizeClassOf(config.tokenCount);
    encodeSizeClass(&encoder_, sizeClass);
    maxSteps_ = (uint64_t{1} << sizeClass) - 1;
    state_.enableDocModel(sizeClass, config.docModel);
  } else if (config.payloadVersion != kLmPayloadV1) {
    state_.status = Status::kBadArgument;
  }
}

Status EncoderSession::encodeStep(const float* logits, size_t vocab, uint32_t token) {
  if (state_.status != Status::kOk) return state_.status;
  if (eotCoded_ || finished_ || token >= state_.tree.vocabSize() || state_.stats.steps >= maxSteps_) {
    return Status::kBadArgument;
  }
  const Status loaded = state_.evaluator.load(logits, vocab);
  if (loaded != Status::kOk) return loaded;

  state_.tree.path(token, &path_);
  logOdds_.resize(path_.size());
  bool nearFloor = false;
  for (size_t i = 0; i < path_.size(); ++i) {
    logOdds_[i] = state_.evaluator.logOdds(path_[i].node);
    nearFloor = nearFloor || state_.evaluator.isNearFloor(path_[i].node);
  }
  auto robustOn = [&](int grid) {
    if (nearFloor) return false;
    for (double r : logOdds_) {
      if (state_.quantizer.isFragile(grid, r, epsilon_)) return false;
    }
    return true;
  };
  auto codeFlag = [&](detail::AdaptiveBit* model, int bit) {
    const uint32_t p = model->prob0();
    encoder_.encodeBit(p, bit);
    const double cost = bitCost(p, bit);
    state_.stats.flagBits += cost;
    state_.stats.codedBits += cost;
    model->update(bit);
  };

  SessionStats& stats = state_.stats;
  stats.idealBits -= state_.evaluator.logProb(token) * kInvLn2;
  if (robustOn(0)) {
    codeFlag(&state_.fragileFlag, 0);
    codePath(0);
  } else {
    ++stats.fragileSteps;
    codeFlag(&state_.fragileFlag, 1);
    if (robustOn(1)) {
      codeFlag(&state_.escapeFlag, 0);
      codePath(1);
    } else {
      ++stats.escapes;
      codeFlag(&state_.escapeFlag, 1);
      codePath(-1);
    }
  }
  ++stats.steps;
  state_.observeToken(token);
  if (token == state_.eotId) eotCoded_ = true;
  return Status::kOk;
}

// Codes the decisions of path_ on `grid` (0 or 1), or with unigram probabilities (-1).
void EncoderSession::codePath(int grid) {
  for (size_t i = 0; i < path_.size(); ++i) {
    const uint32_t node = path_[i].node;
    const int bit = static_cast<int>(path_[i].bit);
    const uint32_t bin = grid < 0 ? 0 : state_.quantizer.bin(grid, logOdds_[i]);
    const uint32_t p = state_.decisionProbLeft(grid, bin, node);
    encoder_.encodeBit(p, bit);
    state_.observeDecision(bit);
    const double cost = bitCost(p, bit);
    state_.stats.codedBits += cost;
    if (grid < 0) state_.stats.escapeBits += cost;
  }
}

Status EncoderSession::encodeSteps(const float* logits, size_t numSteps, size_t vocab,
                                   const uint32_t* tokens, float* stepBits) {
  if (numSteps > 0 && (logits == nullptr || tokens == nullptr)) return Status::kBadArgument;
  for (size_t i = 0; i < numSteps; ++i) {
    const double before = state_.stats.codedBits;
    const Status status = encodeStep(logits + i * vocab, vocab, tokens[i]);
    if (status != Status::kOk) return status;
    if (stepBits != nullptr) stepBits[i] = static_cast<float>(state_.stats.codedBits - before);
  }
  return Status::kOk;
}

Status EncoderSession::finish(std::vector<uint8_t>* payload) {
  if (state_.status != Status::kOk) return state_.status;
  if (payload == nullptr || !eotCoded_ || finished_) return Status::kBadArgument;
  finished_ = true;
  encoder_.finish(payload);
  return Status::kOk;
}

// ---- decoder ----

DecoderSession::DecoderSession(const TokenTree& tree, uint32_t eotId, const uint8_t* payload,
                               size_t size, DecodeLimits limits, const GridSpec& grid,
                               int payloadVersion, const DocModelParams& docModel)
    : state_(tree, eotId, grid),
      decoder_(payload, payload == nullptr ? 0 : size),
      payloadSize_(payload == nullptr ? 0 : size),
      maxTokens_(limits.maxTokens < kMaxTokensHardLimit ? limits.maxTokens : kMaxTokensHardLimit) {
  if (state_.status == Status::kOk && payload == nullptr && size != 0) {
    state_.status = Status::kBadArgument;
  }
  if (state_.status != Status::kOk) return;
  if (payloadVersion == kLmPayloadV2) {
    const int sizeClass = decodeSizeClass(&decoder_);
    if (sizeClass == 0) {
      state_.status = Status::kCorrupt;
    } else if ((size_t{1} << (sizeClass - 1)) > maxTokens_) {
      // The encoder coded at least 2^(class - 1) tokens: refuse before any work.
      state_.status = Status::kLengthOverLimit;
    } else {
      const size_t classMax = (size_t{1} << sizeClass) - 1;
      if (classMax < maxTokens_) {
        maxTokens_ = classMax;
        sizeClassBounds_ = true;
      }
      state_.enableDocModel(sizeClass, docModel);
    }
  } else if (payloadVersion != kLmPayloadV1) {
    state_.status = Status::kBadArgument;
  }
}

// Walks from the root to a leaf, decoding one decision per node (grid 0 or 1, or unigram
// probabilities for -1). At most tree.maxDepth() iterations.
uint32_t DecoderSession::descend(int grid) {
  const TokenTree& tree = state_.tree;
  const uint32_t vocab = static_cast<uint32_t>(tree.vocabSize());
  uint32_t id = vocab + tree.rootInternal();
  while (!tree.isLeafId(id)) {
    const uint32_t node = id - vocab;
    const uint32_t bin = grid < 0 ? 0 : state_.quantizer.bin(grid, state_.evaluator.logOdds(node));
    const uint32_t p = state_.decisionProbLeft(grid, bin, node);
    const int bit = decoder_.decodeBit(p);
    state_.observeDecision(bit);
    const double cost = bitCost(p, bit);
    state_.stats.codedBits += cost;
    if (grid < 0) state_.stats.escapeBits += cost;
    id = tree.childId(node, bit);
  }
  return id;
}

Status DecoderSession::decodeStep(const float* logits, size_t vocab, uint32_t* token) {
  if (state_.status != Status::kOk) return state_.status;
  if (done_ || token == nullptr) return Status::kBadArgument;
  const Status loaded = state_.evaluator.load(logits, vocab);
  if (loaded != Status::kOk) return loaded;

  SessionStats& stats = state_.stats;
  auto decodeFlag = [&](detail::AdaptiveBit* model) {
    const uint32_t p = model->prob0();
    const int bit = decoder_.decodeBit(p);
    const double cost = bitCost(p, bit);
    stats.flagBits += cost;
    stats.codedBits += cost;
    model->update(bit);
    return bit;
  };
  int grid = 0;
  if (decodeFlag(&state_.fragileFlag)) {
    ++stats.fragileSteps;
    if (decodeFlag(&state_.escapeFlag)) {
      ++stats.escapes;
      grid = -1;
    } else {
      grid = 1;
    }
  }
  const uint32_t decoded = descend(grid);
  stats.idealBits -= state_.evaluator.logProb(decoded) * kInvLn2;
  ++stats.steps;
  state_.observeToken(decoded);

  if (decoder_.hasError()) return state_.status = Status::kCorrupt;
  if (decoder_.bytesReadPastEnd() > kMaxPastEndBytes) return state_.status = Status::kTruncated;
  if (decoded == state_.eotId) {
    // A valid payload ends exactly where the encoder's flush ended: bytes left over mean the
    // stream is not what an encoder wrote.
    if (decoder_.bytesConsumed() != payloadSize_) return state_.status = Status::kCorrupt;
    done_ = true;
  } else if (stats.steps >= maxTokens_) {
    // Past the payload's own size class no encoder wrote this stream (a damaged link, not a
    // long one); past the caller's limit the link may be real but is too long to open here.
    return state_.status = sizeClassBounds_ ? Status::kCorrupt : Status::kLengthOverLimit;
  }
  *token = decoded;
  return Status::kOk;
}

}  // namespace kolmo
