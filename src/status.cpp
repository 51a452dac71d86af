// Names of kolmo::Status values; stable strings, used by the JS layer as error codes.
#include "kolmo/status.h"

namespace kolmo {

const char* statusName(Status status) {
  switch (status) {
    case Status::kOk: return "ok";
    case Status::kTruncated: return "truncated";
    case Status::kBadMagic: return "bad_magic";
    case Status::kUnknownVersion: return "unknown_version";
    case Status::kUnknownMode: return "unknown_mode";
    case Status::kUnknownModel: return "unknown_model";
    case Status::kChecksumMismatch: return "checksum_mismatch";
    case Status::kLengthOverLimit: return "length_over_limit";
    case Status::kCorrupt: return "corrupt";
    case Status::kBadUrlText: return "bad_url_text";
    case Status::kNonFiniteLogits: return "non_finite_logits";
    case Status::kBadArgument: return "bad_argument";
    case Status::kBadTokenizer: return "bad_tokenizer";
    case Status::kOutOfMemory: return "out_of_memory";
    case Status::kBadModel: return "bad_model";
    case Status::kDamagedLink: return "damaged_link";
  }
  return "unknown_status";
}

}  // namespace kolmo
