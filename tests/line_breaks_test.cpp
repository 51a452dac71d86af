// Tests of the line-break transform of container version 3: which texts take it, exact
// inversion, and the length bound a crafted link cannot pass.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kolmo/line_breaks.h"

using namespace kolmo;

namespace {

std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// lfLineBreaks of s, or "<none>" when the transform does not apply.
std::string lfOf(const std::string& s) {
  std::vector<uint8_t> text = bytesOf(s), lf;
  if (!lfLineBreaks(text.data(), text.size(), &lf)) {
    CHECK(lf.empty());
    return "<none>";
  }
  return std::string(lf.begin(), lf.end());
}

}  // namespace

TEST_SUITE("line_breaks") {
  TEST_CASE("only texts whose every line break is CRLF take the transform") {
    CHECK(lfOf("a\r\nb\r\n") == "a\nb\n");
    CHECK(lfOf("\r\n") == "\n");
    CHECK(lfOf("a\r\r\nb") == "a\r\nb");  // a lone CR before a CRLF stays
    CHECK(lfOf("a\rb\r\nc") == "a\rb\nc");
    CHECK(lfOf("") == "<none>");
    CHECK(lfOf("no line break") == "<none>");
    CHECK(lfOf("a\rb\r") == "<none>");        // CR alone is no line break
    CHECK(lfOf("a\nb") == "<none>");
    CHECK(lfOf("a\r\nb\nc") == "<none>");     // mixed
    CHECK(lfOf("\na\r\n") == "<none>");       // LF first
  }

  TEST_CASE("restoring CRs inverts the transform exactly") {
    for (const std::string s : {"a\r\nb\r\n", "\r\n\r\n\r\n", "x\r\r\n\r\ny", "\r\n\xE4\xB8\xAD\r\n\xff"}) {
      std::vector<uint8_t> text = bytesOf(s), lf, back;
      REQUIRE(lfLineBreaks(text.data(), text.size(), &lf));
      REQUIRE(restoreCrlfLineBreaks(lf.data(), lf.size(), 1 << 20, &back) == Status::kOk);
      CHECK(back == text);
    }
    std::vector<uint8_t> none, out = bytesOf("stale");
    CHECK(restoreCrlfLineBreaks(none.data(), 0, 0, &out) == Status::kOk);
    CHECK(out.empty());
  }

  TEST_CASE("the restored text is bounded by maxTextBytes") {
    std::vector<uint8_t> lf(1000, '\n'), out;
    CHECK(restoreCrlfLineBreaks(lf.data(), lf.size(), 2000, &out) == Status::kOk);
    CHECK(out.size() == 2000);
    CHECK(restoreCrlfLineBreaks(lf.data(), lf.size(), 1999, &out) == Status::kLengthOverLimit);
    CHECK(out.empty());
  }
}
