// Tests of the integrity hash: pinned values (links depend on them forever), avalanche,
// model-id sensitivity, and the measured false-acceptance rate of the 16-bit check.
#include <doctest/doctest.h>

#include "test_util.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kolmo/checksum.h"

using namespace kolmo;

namespace {

using kolmo_test::splitMix;

const uint8_t* bytesOf(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

int popcount64(uint64_t x) {
  int n = 0;
  while (x) {
    x &= x - 1;
    ++n;
  }
  return n;
}

}  // namespace

TEST_SUITE("checksum") {
  TEST_CASE("pinned values (also computed by an independent Python model of FORMAT.md)") {
    CHECK(hashBytes64(0, nullptr, 0) == 0x7bd3144f29c0cc9eull);
    std::string hello = "hello";
    CHECK(textCheckHash64(0, bytesOf(hello), hello.size()) == 0x0fc833fc50b91193ull);
    std::string mixed = "Hello, \xE4\xB8\x96\xE7\x95\x8C";  // "Hello, 世界"
    CHECK(textCheckHash64(0x0123456789abcdefull, bytesOf(mixed), mixed.size()) ==
          0x9ca5192bbfff1179ull);
    uint64_t id = modelIdHash("kolmo-test-model");
    CHECK(id == 0xf691cc8ac98603a2ull);
    CHECK(textCheck16(id, bytesOf(hello), hello.size()) == 0x2256);
    CHECK(textCheck16(0, bytesOf(hello), hello.size()) == 0x0fc8);
  }

  TEST_CASE("length and trailing zero bytes change the hash") {
    std::vector<uint8_t> z(64, 0);
    for (size_t n = 0; n < 64; ++n) {
      CHECK(hashBytes64(0, z.data(), n) != hashBytes64(0, z.data(), n + 1));
    }
  }

  TEST_CASE("avalanche: one flipped input bit flips about half of the output bits") {
    uint64_t seed = 7;
    std::vector<uint8_t> buf(48);
    double total = 0;
    int trials = 0;
    int perBit[64] = {};
    for (int rep = 0; rep < 40; ++rep) {
      for (auto& b : buf) b = static_cast<uint8_t>(splitMix(&seed));
      uint64_t base = hashBytes64(rep, buf.data(), buf.size());
      for (size_t bit = 0; bit < buf.size() * 8; ++bit) {
        buf[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        uint64_t diff = base ^ hashBytes64(rep, buf.data(), buf.size());
        buf[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        total += popcount64(diff);
        for (int o = 0; o < 64; ++o) perBit[o] += (diff >> o) & 1;
        ++trials;
      }
    }
    double mean = total / trials;
    CHECK(mean > 31.0);
    CHECK(mean < 33.0);
    for (int o = 0; o < 64; ++o) {
      double rate = static_cast<double>(perBit[o]) / trials;
      CHECK(rate > 0.45);
      CHECK(rate < 0.55);
    }
  }

  TEST_CASE("model id hash changes the check") {
    std::string text = "the same text under two models";
    int same = 0;
    for (int i = 0; i < 4096; ++i) {
      uint64_t a = modelIdHash("model-" + std::to_string(i));
      uint64_t b = modelIdHash("model-" + std::to_string(i + 1));
      CHECK(a != 0);
      same += textCheck16(a, bytesOf(text), text.size()) == textCheck16(b, bytesOf(text), text.size());
    }
    CHECK(same < 6);  // expected 4096 / 65536 = 0.06
  }

  TEST_CASE("16-bit check accepts a wrong text at about 2^-16") {
    // Random texts with random damage (a byte changed, inserted, deleted, or a tail cut):
    // the rate at which the check still matches must be close to 1/65536.
    uint64_t seed = 12345;
    const int trials = 1 << 20;
    int accepted = 0;
    std::vector<uint8_t> text, bad;
    for (int t = 0; t < trials; ++t) {
      size_t n = 1 + splitMix(&seed) % 40;
      text.resize(n);
      for (auto& b : text) b = static_cast<uint8_t>(splitMix(&seed) % 96 + 32);
      bad = text;
      size_t pos = splitMix(&seed) % n;
      switch (splitMix(&seed) % 4) {
        case 0: bad[pos] = static_cast<uint8_t>(bad[pos] ^ (1 + splitMix(&seed) % 255)); break;
        case 1: bad.insert(bad.begin() + static_cast<long>(pos), static_cast<uint8_t>(splitMix(&seed))); break;
        case 2: bad.erase(bad.begin() + static_cast<long>(pos)); break;
        default: bad.resize(pos); break;
      }
      if (bad == text) continue;
      accepted += textCheck16(0, text.data(), text.size()) == textCheck16(0, bad.data(), bad.size());
    }
    // Expected 16; a Poisson(16) count stays in [3, 40] with overwhelming probability.
    MESSAGE("wrong texts accepted: " << accepted << " of " << trials);
    CHECK(accepted >= 3);
    CHECK(accepted <= 40);
  }
}
