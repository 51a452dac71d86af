// kolmo::Status — every fallible call in the core returns one of these values.
// Errors are values, never exceptions: the same codes cross the WASM boundary as
// integers and become KolmoError codes in JS (statusName() gives the stable name).
#pragma once

namespace kolmo {

// The values are pinned: they cross the WASM boundary as integers (wasm/bindings.cpp,
// web/lib/worker/codec.js) and a C++ caller may store them, so a value never changes meaning. A new
// status takes the next free value; tests/status_test.cpp pins every value and name.
enum class Status : int {
  kOk = 0,
  kTruncated = 1,          // input ends before the format says it should
  kBadMagic = 2,           // file does not start with the kolmo file magic
  kUnknownVersion = 3,     // container version this build does not know
  kUnknownMode = 4,        // container mode this build does not know
  kUnknownModel = 5,       // link names a model index/id that is not loaded
  kChecksumMismatch = 6,   // decoded bytes fail the integrity check (damaged link or logit drift > epsilon)
  kLengthOverLimit = 7,    // text, token count or payload over the configured limit
  kCorrupt = 8,            // stream is internally inconsistent (reserved bits set, bad symbol, trailing garbage)
  kBadUrlText = 9,         // fragment text has characters or a length outside the URL alphabet
  kNonFiniteLogits = 10,   // NaN or Inf in model logits (a broken backend)
  kBadArgument = 11,       // caller error: wrong sizes, token id out of range, call out of order
  kBadTokenizer = 12,      // tokenizer file malformed
  kOutOfMemory = 13,       // allocation failed
  kBadModel = 14,          // model file malformed, truncated, or of a shape the engine cannot run
  kDamagedLink = 15,       // a typo-proof link (container version 6) whose syndrome fails: changed or cut on the way
};

// Stable lowercase name of a status, e.g. "checksum_mismatch". Never null.
const char* statusName(Status status);

inline bool isOk(Status status) { return status == Status::kOk; }

}  // namespace kolmo
