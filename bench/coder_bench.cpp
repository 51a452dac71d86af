// coder_bench — prints how far the range coder is from the ideal code length.
//
// For several symbol distributions it codes N symbols drawn from the distribution and
// reports the coded size against sum(-log2(f/total)): overhead in bits per symbol
// (coder precision) and bytes per stream (flush). Target: <= 0.01 bit/symbol and
// <= 4 bytes/stream. Run: build-coder/bench/coder_bench
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "range_coder.h"

namespace {

struct Distribution {
  std::string name;
  std::vector<uint32_t> freq;
};

std::vector<Distribution> makeDistributions() {
  std::vector<Distribution> out;
  out.push_back({"uniform 256", std::vector<uint32_t>(256, 1)});
  {
    std::vector<uint32_t> f(65536, 1);
    f[0] = (1u << 24) - 65535;
    out.push_back({"65536 syms, one at p=0.996, total 2^24", f});
  }
  {
    std::vector<uint32_t> f(4096);
    for (uint32_t i = 0; i < f.size(); ++i) f[i] = 1 + (1u << 22) / ((i + 1) * (i + 1));
    out.push_back({"zipf^2 4096", f});
  }
  {
    std::mt19937_64 rng(1);
    std::vector<uint32_t> f(1000);
    for (auto& x : f) x = 1 + static_cast<uint32_t>(rng() % 10000);
    out.push_back({"random 1000", f});
  }
  out.push_back({"binary 1:1", {1, 1}});
  out.push_back({"binary 1:65535 (2^16)", {1, 65535}});
  return out;
}

void benchRangeCoder() {
  std::printf("== range coder: coded size vs ideal (N symbols drawn from each distribution)\n");
  std::printf("%-40s %9s %12s %12s %14s %10s\n", "distribution", "N", "ideal bytes", "coded bytes",
              "bits/sym over", "MB/s enc");
  std::mt19937_64 rng(42);
  for (const Distribution& d : makeDistributions()) {
    std::vector<uint32_t> cum(d.freq.size() + 1, 0);
    for (size_t i = 0; i < d.freq.size(); ++i) cum[i + 1] = cum[i] + d.freq[i];
    const uint32_t total = cum.back();
    for (size_t n : {size_t{10}, size_t{1000}, size_t{1000000}}) {
      std::uniform_int_distribution<uint32_t> uniform(0, total - 1);
      std::vector<uint32_t> symbols(n);
      double ideal = 0;
      for (auto& s : symbols) {
        s = static_cast<uint32_t>(std::upper_bound(cum.begin(), cum.end(), uniform(rng)) - cum.begin() - 1);
        ideal += -std::log2(static_cast<double>(d.freq[s]) / total);
      }
      const auto start = std::chrono::steady_clock::now();
      kolmo::RangeEncoder encoder;
      for (uint32_t s : symbols) encoder.encode(cum[s], d.freq[s], total);
      std::vector<uint8_t> out;
      encoder.finish(&out);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double overBits = out.size() * 8.0 - ideal;
      std::printf("%-40s %9zu %12.1f %12zu %14.6f %10.1f\n", d.name.c_str(), n, ideal / 8, out.size(),
                  overBits / n, n / seconds / 1e6);
    }
  }
  // Per-stream overhead: many short streams, mean (coded - ideal) in bytes.
  std::printf("\nper-stream overhead, 10000 streams of 20 random bytes (uniform 256):\n");
  double sumOver = 0, maxOver = -1e9;
  for (int t = 0; t < 10000; ++t) {
    kolmo::RangeEncoder encoder;
    for (int i = 0; i < 20; ++i) encoder.encode(static_cast<uint32_t>(rng() % 256), 1, 256);
    std::vector<uint8_t> out;
    encoder.finish(&out);
    const double over = static_cast<double>(out.size()) - 20.0;
    sumOver += over;
    maxOver = std::max(maxOver, over);
  }
  std::printf("  mean %.3f bytes/stream, max %.0f bytes/stream\n\n", sumOver / 10000, maxOver);
}

}  // namespace

int main() {
  benchRangeCoder();
  return 0;
}
