// LmEncodeJob / LmDecodeJob: a whole LM payload coded with the model engine inside the core —
// text tokens -> model -> sessions -> payload, and back — as one object per link, advanced in
// bounded slices so that the caller (web/lib/worker/pipeline.js) can report progress, yield to
// its event loop and abort between slices. The model's logits never leave the core.
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
#include "session.h"
#include "transformer.h"

namespace kolmo {

// Feeds the engine the window rule's positions: logits(pos) -> the (vocab,) logits predicting
// seq[pos] from seq[contextStart(pos), pos), for pos = 1, 2, ... in order; several at once with
// logitsRun.
class WindowFeeder {
 public:
  explicit WindowFeeder(Transformer* engine);
  // Logits rows for positions pos .. pos + count - 1 (all in one window: count <=
  // rowsInWindow(pos)) into out (count x vocab), from seq (which holds positions < pos + count).
  Status logitsRun(const uint32_t* seq, size_t pos, size_t count, float* out);
  // How many positions from pos on share pos's window.
  size_t rowsInWindow(size_t pos, size_t sequenceLength) const;

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

 private:
  Transformer* engine_;
  WindowFeeder feeder_;
  std::vector<uint32_t> seq_;  // BOS (= EOT), ids, EOT
  std::vector<int> versions_;
  std::vector<std::unique_ptr<EncoderSession>> sessions_;
  std::vector<std::vector<uint8_t>> payloads_;
  std::vector<float> logits_;
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

}  // namespace kolmo
