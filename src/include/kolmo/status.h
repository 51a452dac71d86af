// kolmo::Status — every fallible call in the core returns one of these values.
// Errors are values, never exceptions: the same codes cross the WASM boundary as
// integers and become KolmoError codes in JS (statusName() gives the stable name).
#pragma once

namespace kolmo {

enum class Status : int {
  kOk = 0,
  kTruncated,          // input ends before the format says it should
  kBadMagic,           // file does not start with the kolmo file magic
  kUnknownVersion,     // container version this build does not know
  kUnknownMode,        // container mode this build does not know
  kUnknownModel,       // link names a model index/id that is not loaded
  kChecksumMismatch,   // decoded bytes fail the integrity check (damaged link or logit drift > epsilon)
  kLengthOverLimit,    // text, token count or payload over the configured limit
  kCorrupt,            // stream is internally inconsistent (reserved bits set, bad symbol, trailing garbage)
  kBadUrlText,         // fragment text has characters or a length outside the URL alphabet
  kNonFiniteLogits,    // NaN or Inf in model logits (a broken backend)
  kBadArgument,        // caller error: wrong sizes, token id out of range, call out of order
  kBadTokenizer,       // tokenizer file malformed
  kOutOfMemory,        // allocation failed
};

// Stable lowercase name of a status, e.g. "checksum_mismatch". Never null.
const char* statusName(Status status);

inline bool isOk(Status status) { return status == Status::kOk; }

}  // namespace kolmo
