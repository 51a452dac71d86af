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

uint64_t lmDeclaredMaxTokens(const uint8_t* payload, size_t size, int payloadVersion) {
  if (payloadVersion != kLmPayloadV2 && payloadVersion != kLmPayloadV3) return 0;
  RangeDecoder rd(payload, size);
  const int k = decodeSizeClass(&rd);
  return k == 0 ? 0 : (uint64_t{1} << k) - 1;
}

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
  if (params.enabled) doc.reset(new DocModel(tree, eotId, sizeClass, params));
}

void CodingState::enableGridFamily() {
  status = Quantizer::buildFamily(GridSpec::payloadV3(), &quantizer);
  spanSplit.assign(kSpanLevels, AdaptiveBit(kSpanSplitPrior));
  spanGrid.assign(kSpanGridContexts, AdaptiveBit(kSpanGridPrior));
}

}  // namespace detail

// ---- encoder ----

EncoderSession::EncoderSession(const TokenTree& tree, uint32_t eotId, RoundingConfig config)
    : state_(tree, eotId, config.grid), epsilon_(config.epsilon), payloadVersion_(config.payloadVersion) {
  if (state_.status == Status::kOk && !(epsilon_ >= 0.0 && epsilon_ < 1.0)) {
    state_.status = Status::kBadArgument;
  }
  if (state_.status != Status::kOk) return;
  if (payloadVersion_ == kLmPayloadV2 || payloadVersion_ == kLmPayloadV3) {
    if (config.tokenCount == 0 || config.tokenCount > kMaxTokensHardLimit) {
      state_.status = Status::kBadArgument;
      return;
    }
    const int sizeClass = sizeClassOf(config.tokenCount);
    encodeSizeClass(&encoder_, sizeClass);
    maxSteps_ = (uint64_t{1} << sizeClass) - 1;
    state_.enableDocModel(sizeClass, config.docModel);
    if (payloadVersion_ == kLmPayloadV3) state_.enableGridFamily();
  } else if (payloadVersion_ != kLmPayloadV1) {
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

  SessionStats& stats = state_.stats;
  stats.idealBits -= state_.evaluator.logProb(token) * kInvLn2;
  ++stats.steps;
  if (token == state_.eotId) eotCoded_ = true;

  if (payloadVersion_ == kLmPayloadV3) {
    // Buffer the step; its block is coded once complete (or at EOT).
    PendingStep step{token, 0, pendingPath_.size()};
    for (int grid = 0; grid < state_.quantizer.numGrids(); ++grid) {
      if (robustOn(grid)) step.robustGrids |= 1u << grid;
    }
    pending_.push_back(step);
    pendingPath_.insert(pendingPath_.end(), path_.begin(), path_.end());
    pendingLogOdds_.insert(pendingLogOdds_.end(), logOdds_.begin(), logOdds_.end());
    if (eotCoded_ || pending_.size() == kSpanBlockTokens) codeBlock();
    return Status::kOk;
  }

  double bits = 0;
  int grid = 0;
  if (robustOn(0)) {
    bits += codeBit(&state_.fragileFlag, 0);
  } else {
    ++stats.fragileSteps;
    bits += codeBit(&state_.fragileFlag, 1);
    grid = robustOn(1) ? 1 : -1;
    bits += codeBit(&state_.escapeFlag, grid < 0 ? 1 : 0);
    if (grid < 0) ++stats.escapes;
  }
  bits += codePath(grid, path_.data(), logOdds_.data(), path_.size());
  finishStep(token, bits);
  return Status::kOk;
}

// Codes a flag or span header bit with an adaptive model; returns its cost.
double EncoderSession::codeBit(detail::AdaptiveBit* model, int bit) {
  const uint32_t p = model->prob0();
  encoder_.encodeBit(p, bit);
  const double cost = bitCost(p, bit);
  state_.stats.flagBits += cost;
  state_.stats.codedBits += cost;
  model->update(bit);
  return cost;
}

// Codes the decisions of a path on `grid`, or with unigram probabilities (-1); returns their cost.
double EncoderSession::codePath(int grid, const TokenTree::PathStep* path, const double* logOdds, size_t length) {
  double bits = 0;
  for (size_t i = 0; i < length; ++i) {
    const uint32_t node = path[i].node;
    const int bit = static_cast<int>(path[i].bit);
    const uint32_t bin = grid < 0 ? 0 : state_.quantizer.bin(grid, logOdds[i]);
    const uint32_t p = state_.decisionProbLeft(grid, bin, node);
    encoder_.encodeBit(p, bit);
    state_.observeDecision(bit);
    const double cost = bitCost(p, bit);
    bits += cost;
    state_.stats.codedBits += cost;
    if (grid < 0) state_.stats.escapeBits += cost;
  }
  return bits;
}

void EncoderSession::finishStep(uint32_t token, double bits) {
  stepBits_.push_back(static_cast<float>(bits));
  state_.observeToken(token);
}

// "grid > j?" for j = 0, 1, ... until the answer is no; the last grid needs no terminator.
template <typename BitFn>
void EncoderSession::forEachGridBit(int grid, BitFn bit) {
  for (int j = 0; j < state_.quantizer.numGrids() - 1 && j <= grid; ++j) bit(state_.spanGridModel(j), j < grid ? 1 : 0);
}

// Version 3: chooses the header tree of the buffered block and codes it. Each span takes the
// cheaper of "the first grid on which all its tokens are robust" and "split", priced with the
// header models as they stand (an estimate: the choice is the encoder's alone; the decoder
// just reads it). Heap layout: span h covers [(h - 2^l) * size, ...) at level l = floor(log2 h),
// size = kSpanBlockTokens >> l; the leaves h = kSpanBlockTokens + t are single tokens.
void EncoderSession::codeBlock() {
  const size_t n = pending_.size();
  const size_t k = kSpanBlockTokens;
  const uint32_t allGrids = (state_.quantizer.numGrids() >= 32) ? ~0u : (1u << state_.quantizer.numGrids()) - 1;
  std::vector<uint32_t> robust(2 * k, allGrids);  // tokens past the end constrain nothing
  for (size_t t = 0; t < n; ++t) robust[k + t] = pending_[t].robustGrids;
  for (size_t h = k; h-- > 1;) robust[h] = robust[2 * h] & robust[2 * h + 1];

  auto cost = [&](detail::AdaptiveBit* model, int bit) { return bitCost(model->prob0(), bit); };
  std::vector<double> estimate(2 * k, 0.0);
  std::vector<int> choice(2 * k, -1);  // grid index, or -1: split (a leaf: escape)
  for (size_t h = 2 * k; h-- > 1;) {
    int level = 0;
    while ((size_t{2} << level) <= h) ++level;
    const size_t size = k >> level;
    const size_t start = (h - (size_t{1} << level)) * size;
    if (start >= n) continue;  // past the end of the text: never coded
    // A one-token span's "split" is an escape: its unigram path costs far more than any header,
    // so a rough stand-in keeps the comparison honest.
    constexpr double kEscapeBitsEstimate = 64.0;
    const double splitCost = cost(state_.spanSplitModel(level), 1) +
                             (size == 1 ? kEscapeBitsEstimate : estimate[2 * h] + estimate[2 * h + 1]);
    estimate[h] = splitCost;
    if (robust[h] != 0) {
      int grid = 0;
      while (((robust[h] >> grid) & 1) == 0) ++grid;
      double gridCost = cost(state_.spanSplitModel(level), 0);
      forEachGridBit(grid, [&](detail::AdaptiveBit* model, int bit) { gridCost += cost(model, bit); });
      if (size == 1 || gridCost <= splitCost) {
        estimate[h] = gridCost;
        choice[h] = grid;
      }
    }
  }
  codeSpan(1, 0, k, 0, choice);
  pending_.clear();
  pendingPath_.clear();
  pendingLogOdds_.clear();
}

void EncoderSession::codeSpan(size_t heap, size_t start, size_t size, int level, const std::vector<int>& choice) {
  if (start >= pending_.size()) return;
  const int grid = choice[heap];
  double headerBits = codeBit(state_.spanSplitModel(level), grid < 0 ? 1 : 0);
  if (grid < 0 && size > 1) {
    // The header of the left half follows at once; the right half's comes with its first token.
    // The split bit is paid at the span's first token, which is the left half's first step.
    const size_t before = stepBits_.size();
    codeSpan(2 * heap, start, size / 2, level + 1, choice);
    stepBits_[before] += static_cast<float>(headerBits);
    codeSpan(2 * heap + 1, start + size / 2, size / 2, level + 1, choice);
    return;
  }
  if (grid >= 0) {
    forEachGridBit(grid, [&](detail::AdaptiveBit* model, int bit) { headerBits += codeBit(model, bit); });
  }
  const size_t end = start + size < pending_.size() ? start + size : pending_.size();
  for (size_t t = start; t < end; ++t) {
    const PendingStep& step = pending_[t];
    const size_t length = (t + 1 < pending_.size() ? pending_[t + 1].firstDecision : pendingPath_.size()) - step.firstDecision;
    if (grid != 0) ++state_.stats.fragileSteps;
    if (grid < 0) ++state_.stats.escapes;
    const double bits = codePath(grid, pendingPath_.data() + step.firstDecision,
                                 pendingLogOdds_.data() + step.firstDecision, length);
    finishStep(step.token, bits + (t == start ? headerBits : 0.0));
  }
}

Status EncoderSession::encodeSteps(const float* logits, size_t numSteps, size_t vocab, const uint32_t* tokens) {
  if (numSteps > 0 && (logits == nullptr || tokens == nullptr)) return Status::kBadArgument;
  for (size_t i = 0; i < numSteps; ++i) {
    const Status status = encodeStep(logits + i * vocab, vocab, tokens[i]);
    if (status != Status::kOk) return status;
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
      maxTokens_(limits.maxTokens < kMaxTokensHardLimit ? limits.maxTokens : kMaxTokensHardLimit),
      payloadVersion_(payloadVersion) {
  if (state_.status == Status::kOk && payload == nullptr && size != 0) {
    state_.status = Status::kBadArgument;
  }
  if (state_.status != Status::kOk) return;
  if (payloadVersion == kLmPayloadV2 || payloadVersion == kLmPayloadV3) {
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
      if (payloadVersion == kLmPayloadV3) state_.enableGridFamily();
    }
  } else if (payloadVersion != kLmPayloadV1) {
    state_.status = Status::kBadArgument;
  }
}

int DecoderSession::decodeBit(detail::AdaptiveBit* model) {
  const uint32_t p = model->prob0();
  const int bit = decoder_.decodeBit(p);
  const double cost = bitCost(p, bit);
  state_.stats.flagBits += cost;
  state_.stats.codedBits += cost;
  model->update(bit);
  return bit;
}

// Version 3, at the first token of a span: reads the headers that start here (a split's left
// half starts where it does) and returns the grid of the token's span (-1: escape). At most
// kSpanLevels split bits and kGridFamilySize - 1 grid bits.
int DecoderSession::readSpanHeaders() {
  const uint64_t position = state_.stats.steps;
  size_t size = kSpanBlockTokens;
  int level = 0;
  if (!pendingSpans_.empty() && pendingSpans_.back().start == position) {
    size = pendingSpans_.back().size;
    level = pendingSpans_.back().level;
    pendingSpans_.pop_back();
  }
  for (;;) {
    if (decodeBit(state_.spanSplitModel(level))) {
      if (size == 1) {
        spanEnd_ = position + 1;
        return -1;
      }
      size /= 2;
      ++level;
      pendingSpans_.push_back({position + size, size, level});
      continue;
    }
    int grid = 0;
    while (grid < state_.quantizer.numGrids() - 1 && decodeBit(state_.spanGridModel(grid))) ++grid;
    spanEnd_ = position + size;
    return grid;
  }
}

// Walks from the root to a leaf, decoding one decision per node (grid >= 0, or unigram
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
  int grid = 0;
  if (payloadVersion_ == kLmPayloadV3) {
    if (stats.steps == spanEnd_) spanGrid_ = readSpanHeaders();
    grid = spanGrid_;
    if (grid != 0) ++stats.fragileSteps;
    if (grid < 0) ++stats.escapes;
  } else if (decodeBit(&state_.fragileFlag)) {
    ++stats.fragileSteps;
    if (decodeBit(&state_.escapeFlag)) {
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
