// Tests of kolmo::Status: every value and its name are pinned (they cross the WASM boundary as
// integers and are the JS error codes; tests/node/container.test.mjs pins the same table there).
#include <doctest/doctest.h>

#include <string>

#include "kolmo/status.h"

using namespace kolmo;

TEST_SUITE("status") {

TEST_CASE("every status keeps its value and its name") {
  struct Pinned { Status status; int value; const char* name; };
  const Pinned pinned[] = {
      {Status::kOk, 0, "ok"},
      {Status::kTruncated, 1, "truncated"},
      {Status::kBadMagic, 2, "bad_magic"},
      {Status::kUnknownVersion, 3, "unknown_version"},
      {Status::kUnknownMode, 4, "unknown_mode"},
      {Status::kUnknownModel, 5, "unknown_model"},
      {Status::kChecksumMismatch, 6, "checksum_mismatch"},
      {Status::kLengthOverLimit, 7, "length_over_limit"},
      {Status::kCorrupt, 8, "corrupt"},
      {Status::kBadUrlText, 9, "bad_url_text"},
      {Status::kNonFiniteLogits, 10, "non_finite_logits"},
      {Status::kBadArgument, 11, "bad_argument"},
      {Status::kBadTokenizer, 12, "bad_tokenizer"},
      {Status::kOutOfMemory, 13, "out_of_memory"},
      {Status::kBadModel, 14, "bad_model"},
      {Status::kDamagedLink, 15, "damaged_link"},
  };
  for (const Pinned& p : pinned) {
    CAPTURE(p.name);
    CHECK(static_cast<int>(p.status) == p.value);
    CHECK(std::string(statusName(p.status)) == p.name);
    CHECK(isOk(p.status) == (p.value == 0));
  }
}

TEST_CASE("a value outside the enum has a name too") {
  CHECK(std::string(statusName(static_cast<Status>(16))) == "unknown_status");
  CHECK(std::string(statusName(static_cast<Status>(-1))) == "unknown_status");
}

}  // TEST_SUITE
