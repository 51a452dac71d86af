// Tokenizer and pretokenizer: the rule's pretoken boundaries, BPE merge order, round trips of any
// byte sequence (invalid UTF-8 included) with the shipped vocabulary, and malformed files.
#include <doctest/doctest.h>

#include "test_util.h"

#include <random>
#include <string>
#include <vector>

#include "pretokenizer.h"
#include "kolmo/tokenizer.h"

using kolmo::Status;
using kolmo::Tokenizer;

namespace {

std::vector<std::string> pretokens(const std::string& s) {
  std::vector<std::string> out;
  const auto* d = reinterpret_cast<const uint8_t*>(s.data());
  for (size_t pos = 0; pos < s.size();) {
    const size_t end = kolmo::nextPretokenEnd(d, s.size(), pos);
    REQUIRE(end > pos);
    REQUIRE(end <= s.size());
    out.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

using kolmo_test::shippedTokenizer;

std::vector<uint32_t> encode(const Tokenizer& tok, const std::string& s) {
  std::vector<uint32_t> ids;
  REQUIRE(tok.encode(reinterpret_cast<const uint8_t*>(s.data()), s.size(), &ids) == Status::kOk);
  return ids;
}

std::string decode(const Tokenizer& tok, const std::vector<uint32_t>& ids) {
  std::vector<uint8_t> bytes;
  REQUIRE(tok.decode(ids.data(), ids.size(), &bytes) == Status::kOk);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

TEST_SUITE("pretokenizer") {
  TEST_CASE("words take the space before them, contractions split off") {
    CHECK(pretokens("Hello world, it's 12345!") ==
          std::vector<std::string>{"Hello", " world", ",", " it", "'s", " 123", "45", "!"});
  }
  TEST_CASE("runs of spaces leave the last space to the next word; newlines end whitespace") {
    CHECK(pretokens("a   b") == std::vector<std::string>{"a", "  ", " b"});
    CHECK(pretokens("x.\n\n  y  \n") == std::vector<std::string>{"x", ".\n\n", " ", " y", "  \n"});
    CHECK(pretokens("\tz") == std::vector<std::string>{"\t", "z"});
    CHECK(pretokens("end   ") == std::vector<std::string>{"end", "   "});
  }
  TEST_CASE("CJK runs stay together, CJK punctuation is its own class") {
    CHECK(pretokens("我们是中国人。你好") ==
          std::vector<std::string>{"我们是中国人", "。", "你好"});
    CHECK(pretokens("Привет мир") == std::vector<std::string>{"Привет", " мир"});
  }
  TEST_CASE("invalid UTF-8 bytes are pretokens of their own") {
    CHECK(pretokens("a\xff\xfe b\xc3") ==
          std::vector<std::string>{"a", "\xff", "\xfe", " b", "\xc3"});
    // Overlong encoding of '/' and a UTF-16 surrogate are invalid too.
    CHECK(pretokens("\xc0\xaf") == std::vector<std::string>{"\xc0", "\xaf"});
    CHECK(pretokens("\xed\xa0\x80").size() == 3);
  }
}

TEST_SUITE("tokenizer") {
  TEST_CASE("merges apply lowest rank first, leftmost first, inside pretokens only") {
    // 256: "a"+"b", 257: "b"+"c", 258: "ab"+"c"
    Tokenizer tok;
    REQUIRE(Tokenizer::fromMerges({{'a', 'b'}, {'b', 'c'}, {256, 'c'}}, {}, &tok) == Status::kOk);
    CHECK(tok.vocabSize() == 260);
    CHECK(tok.eotId() == 259);
    CHECK(encode(tok, "abc") == std::vector<uint32_t>{258});
    CHECK(encode(tok, "bc") == std::vector<uint32_t>{257});
    CHECK(encode(tok, "ab abc") == std::vector<uint32_t>{256, ' ', 258});
    CHECK(encode(tok, "a.bc") == std::vector<uint32_t>{'a', '.', 257});
    CHECK(encode(tok, "").empty());
  }
  TEST_CASE("serialize and parse round trip; malformed files are rejected") {
    Tokenizer tok, back;
    REQUIRE(Tokenizer::fromMerges({{'a', 'b'}, {256, 'c'}}, {5, 6}, &tok) == Status::kBadTokenizer);
    REQUIRE(Tokenizer::fromMerges({{'a', 'b'}, {256, 'c'}}, {}, &tok) == Status::kOk);
    const std::string file = tok.serialize();
    REQUIRE(Tokenizer::parse(reinterpret_cast<const uint8_t*>(file.data()), file.size(), &back) ==
            Status::kOk);
    CHECK(back.serialize() == file);
    const auto parse = [](const std::string& s) {
      Tokenizer t;
      return Tokenizer::parse(reinterpret_cast<const uint8_t*>(s.data()), s.size(), &t);
    };
    CHECK(parse("") == Status::kBadTokenizer);
    CHECK(parse("kolmo-bpe 2\n") == Status::kBadTokenizer);
    CHECK(parse(file.substr(0, file.size() / 2)) == Status::kBadTokenizer);
    std::string forward = file;
    forward.replace(forward.find("97 98"), 5, "97 300");  // refers to a later id
    CHECK(parse(forward) == Status::kBadTokenizer);
    CHECK(parse(file + "junk\n") == Status::kBadTokenizer);
  }
  TEST_CASE("decode rejects EOT and out-of-range ids") {
    Tokenizer tok;
    REQUIRE(Tokenizer::fromMerges({}, {}, &tok) == Status::kOk);
    std::vector<uint8_t> out;
    const uint32_t eot = tok.eotId(), big = 1000;
    CHECK(tok.decode(&eot, 1, &out) == Status::kBadArgument);
    CHECK(tok.decode(&big, 1, &out) == Status::kBadArgument);
  }
  TEST_CASE("shipped vocabulary: any bytes round-trip, Chinese characters are tokens") {
    const Tokenizer tok = shippedTokenizer();
    CHECK(tok.vocabSize() == 8192);
    for (const std::string& s :
         {std::string(""), std::string("Hello, world! The quick brown fox."),
          std::string("我们是中国人，今天天气很好。"), std::string("emoji 😀👍🏽 mixed"),
          std::string("   \n\n\t  "), std::string("\xff\xfe\x00\x80 broken \xc3", 13),
          std::string("def f(x):\n    return x ** 2\n")}) {
      CHECK(decode(tok, encode(tok, s)) == s);
    }
    // Common Chinese characters and words must be tokens, not raw bytes.
    for (const char* w : {"的", "是", "中国", "我们"}) {
      const auto ids = encode(tok, w);
      CHECK_MESSAGE(ids.size() == 1, w);
    }
    std::mt19937 rng(7);
    for (int trial = 0; trial < 200; ++trial) {
      std::string s(rng() % 300, '\0');
      for (auto& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : "ab 中\n."[rng() % 6]);
      CHECK(decode(tok, encode(tok, s)) == s);
    }
  }
}
