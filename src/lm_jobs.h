// LmEncodeJob / LmDecodeJob: a whole LM payload coded with the model engine inside the core —
// text tokens -> model -> sessions -> payload, and back — as one object per link, advanced in
// bounded slices so that the caller (web/lib/worker/pipeline.js) can report progress, yield to
// its event loop and abort between slices. The model's logits leave the core only to travel
// from core to core: an encoder's windows computed by other workers (EncoderWindow below).
//
// Windows (contextStart, session.h): the encoder and the decoder feed the engine the same
// positions in the same order — at a window's start the context tokens without logits, then
// one token per coded position — and the engine gives bit-identical logits however many tokens
// are passed at once (transformer.h), so a batched encoder and a stepping decoder agree exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kolmo/status.h"
#include "segments.h"
#include "session.h"
#include "transformer.h"

namespace kolmo {

// The encoder's model work cut into windows that other engine instances can compute: window k
// holds positions first .. first + count - 1, whose logits come from one pass of the engine over
// seq[start, first + count - 1), its first contextTokens() tokens context only (read, without
// logits). Windows follow the rule (contextStart): every window of the rule after the first is
// one window here (context / 2 positions, re-reading the context / 2 before them); the first
// (positions 1 .. context) is cut in two halves, so that no window holds more than context / 2
// positions (128 x vocab 8192 floats = 4 MB for kolmo's models) and a text of more than
// context / 2 tokens already has two.
struct EncoderWindow {
  size_t start = 0;
  size_t first = 1;
  size_t count = 0;
  size_t contextTokens() const { return first - 1 - start; }
  size_t passTokens() const { return first - 1 - start + count; }
};

// The windows of a coded sequence of `sequenceLength` tokens (BOS, text, EOT): every position
// 1 .. sequenceLength - 1 in exactly one window, in order. Decided here once, for the encode job
// and for whoever computes windows elsewhere (web/lib/worker/windows.js).
std::vector<EncoderWindow> encoderWindowPlan(size_t sequenceLength, size_t context);

// One window's logits from its pass tokens (`passCount` = window.passTokens(), the first
// `contextTokens` context only) into out (passCount - contextTokens rows x vocab), on any engine
// loaded with the same model: the same bits as an encode job computes for that window itself,
// since the engine gives the same logits however its tokens are batched (transformer.h). The
// engine's window is reset first and left holding the pass.
Status windowLogits(Transformer* engine, const uint32_t* passTokens, size_t passCount, size_t contextTokens, float* out);

// Feeds the engine the window rule's positions: logits(pos) -> the (vocab,) logits predicting
// seq[pos] from seq[contextStart(pos), pos), for pos = 1, 2, ... in order; several at once with
// logitsRun.
class WindowFeeder {
 public:
  explicit WindowFeeder(Transformer* engine);
  // Logits rows for positions pos .. pos + count - 1 (all in one window of the rule, e.g. within
  // one EncoderWindow) into out (count x vocab), from seq (which holds positions < pos + count).
  Status logitsRun(const uint32_t* seq, size_t pos, size_t count, float* out);
  // The engine's window was used for something else: the next logitsRun re-reads its context.
  void forget() { windowStart_ = SIZE_MAX; }

 private:
  Transformer* engine_;
  size_t windowStart_ = SIZE_MAX;
};

class LmEncodeJob {
 public:
  // ids: the text's tokens (without BOS/EOT); versions: LM payload versions to code at once
  // from the same model pass (the first is the main one). The engine and tree must outlive the
  // job; the engine's window is the job's until it is done.
  LmEncodeJob(Transformer* engine, const TokenTree& tree, uint32_t eotId, const uint32_t* ids,
              size_t count, const std::vector<int>& versions, double epsilon);

  // Codes up to `budget` more positions (>= 1); *done once every payload is finished.
  Status run(size_t budget, bool* done);
  size_t positionsDone() const { return nextPos_ - 1; }
  size_t positionsTotal() const { return seq_.size() - 1; }  // text tokens + EOT
  size_t payloadCount() const { return sessions_.size(); }
  int version(size_t i) const { return versions_[i]; }
  const std::vector<uint8_t>& payload(size_t i) const { return payloads_[i]; }
  const SessionStats& stats(size_t i) const { return sessions_[i]->stats(); }
  const std::vector<float>& stepBits(size_t i) const { return sessions_[i]->stepBits(); }

  // Encoding on several threads (web/lib/worker/windows.js): the model's logits depend only on
  // the window rule, so windows are independent computations; only the coder sessions must run
  // in order. run() codes the windows in order and computes itself any window whose logits were
  // not handed in; the payloads are byte for byte those of a job that computed every window.
  const std::vector<EncoderWindow>& windows() const { return windows_; }
  // The window holding the next position to code (windows().size() once every one is coded).
  size_t currentWindow() const { return window_; }
  // Window k's pass tokens: windows()[k].passTokens() ids from here.
  const uint32_t* windowTokens(size_t k) const { return seq_.data() + windows_[k].start; }
  // Window k's logits computed elsewhere (windowLogits over passTokens), copied and coded by
  // run() instead of computing them. kBadArgument, and nothing kept, unless window k has not
  // begun and has no logits yet, passTokens are exactly its pass tokens (logits computed for
  // another text or window are refused, never coded) and floatCount is its count x vocab.
  Status provideWindowLogits(size_t k, const uint32_t* passTokens, size_t passCount, const float* logits,
                             size_t floatCount);
  // Computes window k's logits on this job's engine, ahead of the window run() codes (a thread
  // waiting for a helper's window does one of its own meanwhile), up to `budget` (>= 1) more of
  // its pass tokens per call, and keeps them as if provided once *done. One window at a time:
  // calls for another window, and a run() that needs the engine for its own window, drop a
  // preparation in progress. kBadArgument as provideWindowLogits; the engine's errors are final.
  Status prepareWindow(size_t k, size_t budget, bool* done);
  // Whether window k's logits are held (provided or prepared), waiting to be coded.
  bool windowHasLogits(size_t k) const { return k < held_.size() && !held_[k].empty() && k != preparing_; }

 private:
  bool windowBegun(size_t k) const { return k < window_ || (k == window_ && nextPos_ > windows_[k].first); }
  void dropPreparation();

  Transformer* engine_;
  WindowFeeder feeder_;
  std::vector<uint32_t> seq_;  // BOS (= EOT), ids, EOT
  std::vector<int> versions_;
  std::vector<std::unique_ptr<EncoderSession>> sessions_;
  std::vector<std::vector<uint8_t>> payloads_;
  std::vector<float> logits_;
  std::vector<EncoderWindow> windows_;
  std::vector<std::vector<float>> held_;  // logits of windows computed ahead (provided / prepared), freed once coded
  size_t window_ = 0;
  size_t preparing_ = SIZE_MAX;  // the window prepareWindow is computing, and its pass tokens read so far
  size_t preparedTokens_ = 0;
  size_t nextPos_ = 1;
  Status status_ = Status::kOk;
};

class LmDecodeJob {
 public:
  // payload: the container's LM body (copied), of LM payload version `version`.
  LmDecodeJob(Transformer* engine, const TokenTree& tree, uint32_t eotId, const uint8_t* payload,
              size_t size, int version, size_t maxTokens);

  // Decodes up to `budget` more tokens (>= 1); *done once EOT is decoded. Errors are final.
  Status run(size_t budget, bool* done);
  // The text's tokens decoded so far (not verified: the container's check is the caller's).
  const std::vector<uint32_t>& tokens() const { return tokens_; }
  // The bits the payload coded for each decoded position (text tokens, then EOT).
  const std::vector<float>& tokenBits() const { return tokenBits_; }
  // Share of the payload read so far (coded bits over payload bits), an estimate in [0, 1].
  double fraction() const;
  const SessionStats& stats() const { return session_->stats(); }

 private:
  Transformer* engine_;
  WindowFeeder feeder_;
  std::vector<uint8_t> payload_;
  std::unique_ptr<DecoderSession> session_;
  std::vector<uint32_t> seq_;  // BOS, the tokens decoded so far
  std::vector<uint32_t> tokens_;
  std::vector<float> tokenBits_;
  std::vector<float> logits_;
  bool done_ = false;
  Status status_ = Status::kOk;
};

// The sum of two sessions' stats (the segments of one link).
void addStats(const SessionStats& add, SessionStats* total);

// A segmented LM body (segments.h) coded in the core: every segment an LM payload 3 of its own
// (a fresh LmEncodeJob, so its own window and in-document model), one after another. Segments
// coded elsewhere (other workers: web/lib/worker/segments.js) are handed in with provide() and
// skipped.
class SegmentedEncodeJob {
 public:
  // ids: the text's tokens; cuts: segmentCuts(ids). Both must outlive the job.
  SegmentedEncodeJob(Transformer* engine, const TokenTree& tree, uint32_t eotId, const std::vector<uint32_t>& ids,
                     const std::vector<size_t>& cuts, double epsilon);

  size_t segmentCount() const { return payloads_.size(); }
  // Segment i's tokens: ids[segmentStart(i), segmentStart(i + 1)).
  size_t segmentStart(size_t i) const { return i == 0 ? 0 : i > cuts_.size() ? ids_.size() : cuts_[i - 1]; }
  // Segment i coded elsewhere (an LM payload 3 of its tokens, same model and epsilon).
  // kBadArgument: i out of range, an empty payload, or segment i already coded.
  Status provide(size_t i, const uint8_t* payload, size_t size);

  Status run(size_t budget, bool* done);
  size_t positionsDone() const { return positionsDone_; }
  size_t positionsTotal() const { return ids_.size() + payloads_.size(); }
  const std::vector<std::vector<uint8_t>>& payloads() const { return payloads_; }
  // Over the segments coded here (not those provided): stats, and bits per token + one for the
  // last EOT (each other segment's EOT added to its last token).
  const SessionStats& stats() const { return stats_; }
  const std::vector<float>& stepBits() const { return stepBits_; }

 private:
  Transformer* engine_;
  const TokenTree& tree_;
  uint32_t eotId_;
  const std::vector<uint32_t>& ids_;
  const std::vector<size_t>& cuts_;
  double epsilon_;
  std::vector<std::vector<uint8_t>> payloads_;
  std::unique_ptr<LmEncodeJob> current_;
  size_t segment_ = 0;
  size_t positionsDone_ = 0;
  SessionStats stats_;
  std::vector<float> stepBits_;
  Status status_ = Status::kOk;
};

// A segmented LM body decoded in the core, segment after segment: the text's tokens (EOTs
// dropped) and their bits (one per token, then the last EOT's; the other EOTs' bits added to the
// token before them).
class SegmentedDecodeJob {
 public:
  // body: the container's body (it must outlive the job), index: parseSegmentIndex's;
  // maxTokens: most positions in all (each segment also within kMaxLmTokens).
  SegmentedDecodeJob(Transformer* engine, const TokenTree& tree, uint32_t eotId, const uint8_t* body,
                     const SegmentIndex& index, size_t maxTokens);
  Status run(size_t budget, bool* done);
  const std::vector<uint32_t>& tokens() const { return tokens_; }
  const std::vector<float>& tokenBits() const { return tokenBits_; }
  double fraction() const;

 private:
  void collect(bool segmentDone);  // the current segment's new tokens and bits into tokens_, tokenBits_

  Transformer* engine_;
  const TokenTree& tree_;
  uint32_t eotId_;
  const uint8_t* body_;
  SegmentIndex index_;
  size_t maxTokens_;
  std::unique_ptr<LmDecodeJob> current_;
  size_t segment_ = 0;
  size_t positions_ = 0;        // positions of finished segments (EOT included)
  size_t collectedTokens_ = 0;  // of the current segment
  size_t collectedBits_ = 0;
  size_t bytesDone_ = 0;        // payload bytes of finished segments
  std::vector<uint32_t> tokens_;
  std::vector<float> tokenBits_;
  bool done_ = false;
  Status status_ = Status::kOk;
};

}  // namespace kolmo
