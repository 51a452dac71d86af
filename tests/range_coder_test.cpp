// Range coder tests: Nayuki's list (empty, one symbol repeated, every byte value, skewed
// and random distributions) plus carries, degenerate zero tails, near-certain symbols in a
// 2^24 table, determinism, and truncated/altered/garbage streams that must never crash.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "range_coder.h"

namespace {

using kolmo::RangeDecoder;
using kolmo::RangeEncoder;

// A frequency table: cum[i] = sum of freq[0..i), total = cum.back().
struct FreqTable {
  std::vector<uint32_t> freq;
  std::vector<uint32_t> cum;

  explicit FreqTable(std::vector<uint32_t> f) : freq(std::move(f)), cum(freq.size() + 1, 0) {
    for (size_t i = 0; i < freq.size(); ++i) cum[i + 1] = cum[i] + freq[i];
  }
  uint32_t total() const { return cum.back(); }
  // The symbol whose [cum, cum + freq) contains value (symbols with freq 0 are skipped).
  uint32_t symbolAt(uint32_t value) const {
    auto it = std::upper_bound(cum.begin(), cum.end(), value);
    return static_cast<uint32_t>(it - cum.begin()) - 1;
  }
  double idealBits(uint32_t symbol) const {
    return -std::log2(static_cast<double>(freq[symbol]) / total());
  }
};

std::vector<uint8_t> encodeAll(const FreqTable& table, const std::vector<uint32_t>& symbols) {
  RangeEncoder encoder;
  for (uint32_t s : symbols) encoder.encode(table.cum[s], table.freq[s], table.total());
  std::vector<uint8_t> out;
  encoder.finish(&out);
  REQUIRE_FALSE(encoder.hasError());
  return out;
}

// Decodes `count` symbols; checks the stream contract on the way.
std::vector<uint32_t> decodeAll(const FreqTable& table, const std::vector<uint8_t>& bytes,
                                size_t count, size_t* pastEnd = nullptr) {
  RangeDecoder decoder(bytes.data(), bytes.size());
  std::vector<uint32_t> symbols;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t value = decoder.decodeFreq(table.total());
    REQUIRE(value < table.total());
    const uint32_t s = table.symbolAt(value);
    decoder.consume(table.cum[s], table.freq[s], table.total());
    symbols.push_back(s);
  }
  CHECK_FALSE(decoder.hasError());
  CHECK(decoder.bytesReadPastEnd() <= kolmo::kMaxPastEndBytes);
  CHECK(decoder.bytesConsumed() == bytes.size());  // a valid stream has no unread bytes
  if (pastEnd) *pastEnd = decoder.bytesReadPastEnd();
  return symbols;
}

void checkRoundTrip(const FreqTable& table, const std::vector<uint32_t>& symbols,
                    double maxOverheadBitsPerSymbol = 1e-3, double maxOverheadBytes = 4) {
  const std::vector<uint8_t> bytes = encodeAll(table, symbols);
  size_t pastEnd = 0;
  CHECK(decodeAll(table, bytes, symbols.size(), &pastEnd) == symbols);
  double ideal = 0;
  for (uint32_t s : symbols) ideal += table.idealBits(s);
  CHECK(bytes.size() * 8.0 <= ideal + maxOverheadBitsPerSymbol * symbols.size() +
                                  8 * maxOverheadBytes);
  // Minimal flush: no trailing zeros, unless the padding limit made the encoder keep some.
  if (!bytes.empty() && bytes.back() == 0) CHECK(pastEnd == kolmo::kMaxPastEndBytes);
}

std::vector<uint32_t> drawSymbols(const FreqTable& table, size_t count, std::mt19937_64& rng) {
  std::uniform_int_distribution<uint32_t> uniform(0, table.total() - 1);
  std::vector<uint32_t> symbols(count);
  for (auto& s : symbols) s = table.symbolAt(uniform(rng));
  return symbols;
}

}  // namespace

TEST_SUITE("range_coder") {
  TEST_CASE("empty stream encodes to zero bytes and decodes from them") {
    RangeEncoder encoder;
    std::vector<uint8_t> out;
    encoder.finish(&out);
    CHECK(out.empty());
    RangeDecoder decoder(out.data(), 0);
    CHECK(decoder.bytesReadPastEnd() == 6);  // the initial window, all padding
    CHECK(decoder.bytesConsumed() == 0);
  }

  TEST_CASE("one symbol repeated 100k times") {
    SUBCASE("middle symbol of a small table") {
      FreqTable table({3, 5, 7, 1});
      checkRoundTrip(table, std::vector<uint32_t>(100000, 1));
    }
    SUBCASE("first symbol with probability 1/2") {
      FreqTable table({1, 1});
      checkRoundTrip(table, std::vector<uint32_t>(100000, 0));
    }
    SUBCASE("last symbol of a 2^24 table") {
      FreqTable table({(1u << 24) - 1000, 1000});
      checkRoundTrip(table, std::vector<uint32_t>(100000, 1));
    }
  }

  TEST_CASE("every byte value with a uniform table") {
    FreqTable table(std::vector<uint32_t>(256, 1));
    std::vector<uint32_t> symbols;
    for (uint32_t b = 0; b < 256; ++b) symbols.push_back(b);
    const std::vector<uint8_t> bytes = encodeAll(table, symbols);
    CHECK(decodeAll(table, bytes, symbols.size()) == symbols);
    CHECK(bytes.size() <= 257);  // 256 bytes of information + at most one byte of flush
  }

  TEST_CASE("random and skewed distributions over many table sizes") {
    std::mt19937_64 rng(12345);
    for (uint32_t size : {2u, 3u, 5u, 17u, 256u, 1000u, 4096u, 65536u}) {
      for (int shape = 0; shape < 3; ++shape) {
        std::vector<uint32_t> freq(size);
        for (uint32_t i = 0; i < size; ++i) {
          if (shape == 0) freq[i] = 1 + static_cast<uint32_t>(rng() % 200);    // random
          if (shape == 1) freq[i] = 1 + static_cast<uint32_t>((1ull << 20) / (uint64_t{i + 1} * (i + 1)));
          if (shape == 2) freq[i] = (i == size / 2) ? (1u << 23) : 1;          // one dominant
        }
        FreqTable table(freq);
        REQUIRE(table.total() <= kolmo::kMaxTotalFreq);
        CAPTURE(size);
        CAPTURE(shape);
        checkRoundTrip(table, drawSymbols(table, 20000, rng));
      }
    }
  }

  TEST_CASE("65536-symbol table, floor frequency 1, total 2^24") {
    std::vector<uint32_t> freq(65536, 1);
    freq[0] = (1u << 24) - 65535;
    FreqTable table(freq);
    REQUIRE(table.total() == (1u << 24));
    SUBCASE("near-certain symbol costs <= 0.01 bit") {
      const size_t count = 100000;
      const std::vector<uint8_t> bytes = encodeAll(table, std::vector<uint32_t>(count, 0));
      CHECK(bytes.size() * 8.0 / count <= 0.01);
      CHECK(decodeAll(table, bytes, count) == std::vector<uint32_t>(count, 0));
    }
    SUBCASE("rare symbols cost ~24 bits each") {
      std::mt19937_64 rng(7);
      std::vector<uint32_t> symbols;
      for (int i = 0; i < 2000; ++i) symbols.push_back(1 + static_cast<uint32_t>(rng() % 65535));
      checkRoundTrip(table, symbols);
    }
  }

  TEST_CASE("carries through long 0xFF runs") {
    // Bits coded as 1 with P(0) = 65535/65536 push low to the top of the range over and
    // over: the output fills with 0xFF runs that a later carry must turn into 0x00.
    std::mt19937_64 rng(99);
    for (int round = 0; round < 50; ++round) {
      std::vector<int> bits;
      for (int i = 0; i < 300; ++i) bits.push_back(rng() % 8 == 0 ? 0 : 1);
      RangeEncoder encoder;
      for (int b : bits) encoder.encodeBit(65535, b);
      std::vector<uint8_t> out;
      encoder.finish(&out);
      RangeDecoder decoder(out.data(), out.size());
      std::vector<int> decoded;
      for (size_t i = 0; i < bits.size(); ++i) decoded.push_back(decoder.decodeBit(65535));
      CHECK(decoded == bits);
      CHECK(decoder.bytesConsumed() == out.size());
    }
  }

  TEST_CASE("degenerate zero tail keeps bytes so the decoder stays within its padding limit") {
    // P(0) = 1/65536 coded as 0, 30 times: 480 bits of information, all zero.
    RangeEncoder encoder;
    for (int i = 0; i < 30; ++i) encoder.encodeBit(1, 0);
    std::vector<uint8_t> out;
    encoder.finish(&out);
    CHECK(out.size() >= 50);
    RangeDecoder decoder(out.data(), out.size());
    for (int i = 0; i < 30; ++i) CHECK(decoder.decodeBit(1) == 0);
    CHECK(decoder.bytesReadPastEnd() == kolmo::kMaxPastEndBytes);
    CHECK(decoder.bytesConsumed() == out.size());
    // Callers that know the symbol count may drop every zero byte: here, all of them.
    RangeEncoder dropAll;
    for (int i = 0; i < 30; ++i) dropAll.encodeBit(1, 0);
    std::vector<uint8_t> shortest;
    dropAll.finish(&shortest, kolmo::kDropAllZeros);
    CHECK(shortest.empty());
    RangeDecoder fromNothing(shortest.data(), 0);
    for (int i = 0; i < 30; ++i) CHECK(fromNothing.decodeBit(1) == 0);
  }

  TEST_CASE("bits with random probabilities, including out-of-range ones that clamp") {
    std::mt19937_64 rng(2024);
    std::vector<uint32_t> probs;
    std::vector<int> bits;
    for (int i = 0; i < 50000; ++i) {
      uint32_t p = static_cast<uint32_t>(rng() % 65538);  // 0 and 65536/65537 clamp
      probs.push_back(p);
      const uint32_t pc = std::min<uint32_t>(std::max<uint32_t>(p, 1), 65535);
      bits.push_back((rng() % 65536) < pc ? 0 : 1);
    }
    RangeEncoder encoder;
    for (size_t i = 0; i < bits.size(); ++i) encoder.encodeBit(probs[i], bits[i]);
    std::vector<uint8_t> out;
    encoder.finish(&out);
    RangeDecoder decoder(out.data(), out.size());
    for (size_t i = 0; i < bits.size(); ++i) REQUIRE(decoder.decodeBit(probs[i]) == bits[i]);
    CHECK(decoder.bytesConsumed() == out.size());
    CHECK(decoder.bytesReadPastEnd() <= kolmo::kMaxPastEndBytes);
  }

  TEST_CASE("mixed bits and table symbols in one stream") {
    std::mt19937_64 rng(5);
    FreqTable table({100, 1, 30000, 7, 12});
    std::vector<int> kinds, values;
    RangeEncoder encoder;
    for (int i = 0; i < 20000; ++i) {
      const int kind = static_cast<int>(rng() % 2);
      kinds.push_back(kind);
      if (kind == 0) {
        values.push_back(static_cast<int>(rng() % 2));
        encoder.encodeBit(40000, values.back());
      } else {
        values.push_back(static_cast<int>(rng() % 5));
        const uint32_t s = static_cast<uint32_t>(values.back());
        encoder.encode(table.cum[s], table.freq[s], table.total());
      }
    }
    std::vector<uint8_t> out;
    encoder.finish(&out);
    RangeDecoder decoder(out.data(), out.size());
    for (size_t i = 0; i < kinds.size(); ++i) {
      if (kinds[i] == 0) {
        REQUIRE(decoder.decodeBit(40000) == values[i]);
      } else {
        const uint32_t s = table.symbolAt(decoder.decodeFreq(table.total()));
        REQUIRE(static_cast<int>(s) == values[i]);
        decoder.consume(table.cum[s], table.freq[s], table.total());
      }
    }
    CHECK_FALSE(decoder.hasError());
  }

  TEST_CASE("encoding twice gives identical bytes") {
    std::mt19937_64 rng(77);
    FreqTable table({5, 900, 3, 77, 1, 1, 20000});
    const std::vector<uint32_t> symbols = drawSymbols(table, 5000, rng);
    CHECK(encodeAll(table, symbols) == encodeAll(table, symbols));
  }

  TEST_CASE("truncated, altered and random streams never crash") {
    std::mt19937_64 rng(31337);
    FreqTable table({1000, 1, 50, 3000, 7, 65536, 12, 1});
    const std::vector<uint32_t> symbols = drawSymbols(table, 3000, rng);
    const std::vector<uint8_t> good = encodeAll(table, symbols);
    auto decodeGarbage = [&](const std::vector<uint8_t>& bytes) {
      RangeDecoder decoder(bytes.data(), bytes.size());
      for (size_t i = 0; i < symbols.size() + 100; ++i) {
        const uint32_t value = decoder.decodeFreq(table.total());
        REQUIRE(value < table.total());
        const uint32_t s = table.symbolAt(value);
        decoder.consume(table.cum[s], table.freq[s], table.total());
        const int bit = decoder.decodeBit(static_cast<uint32_t>(rng() % 65536));
        REQUIRE((bit == 0 || bit == 1));
      }
      // Symbols found via decodeFreq are always consistent; only a first window that no
      // encoder can produce (six 0xFF bytes) is flagged.
      const bool impossibleStart = bytes.size() >= 6 && std::all_of(bytes.begin(), bytes.begin() + 6,
                                                                    [](uint8_t b) { return b == 0xFF; });
      CHECK(decoder.hasError() == impossibleStart);
    };
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<uint8_t> bytes = good;
      switch (trial % 4) {
        case 0: bytes.resize(rng() % (bytes.size() + 1)); break;        // truncated
        case 1: bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255); break;
        case 2: bytes.insert(bytes.begin() + static_cast<long>(rng() % bytes.size()), 0xFF); break;
        case 3:  // pure noise, including all-0xFF streams
          bytes.assign(rng() % 64, 0);
          for (auto& b : bytes) b = (trial % 8 == 3) ? 0xFF : static_cast<uint8_t>(rng());
          break;
      }
      decodeGarbage(bytes);
    }
  }

  TEST_CASE("a symbol that does not contain the decoded value is reported, not fatal") {
    FreqTable table({10, 10});
    const std::vector<uint8_t> bytes = encodeAll(table, {0, 0, 0, 0});
    RangeDecoder decoder(bytes.data(), bytes.size());
    const uint32_t value = decoder.decodeFreq(table.total());
    REQUIRE(value < 10);
    decoder.consume(10, 10, 20);  // wrong symbol: the decoded value lies in symbol 0
    CHECK(decoder.hasError());
    for (int i = 0; i < 10; ++i) CHECK(decoder.decodeFreq(20) < 20);
  }
}
