// cm_bench: measures the model-free cm codec on files (not a fuzz target; it lives here
// because bench/ belongs to another owner). For each file: size, cm stream bytes, encode
// and decode time; the decode is checked against the input. Used by cm_compare.sh, which
// adds gzip/xz/brotli and aggregates bits/byte per directory.
//
//   cm_bench [-r N] FILE...   prints "path size cm_bytes encode_ms decode_ms" per file;
//                             with -r, times are the minimum of N runs (the machines here
//                             are shared, so the minimum is the least disturbed run)
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cm_codec.h"

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  int failures = 0;
  int repeats = 1;
  int first = 1;
  if (argc > 2 && std::string(argv[1]) == "-r") {
    repeats = std::atoi(argv[2]);
    first = 3;
  }
  for (int a = first; a < argc; ++a) {
    std::ifstream in(argv[a], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[a]);
      return 2;
    }
    std::vector<uint8_t> text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<uint8_t> packed, back;
    kolmo::Status s = kolmo::Status::kOk, d = kolmo::Status::kOk;
    double encodeMs = 1e300, decodeMs = 1e300;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = Clock::now();
      s = kolmo::cmEncode(text.data(), text.size(), &packed);
      auto t1 = Clock::now();
      d = kolmo::cmDecode(packed.data(), packed.size(), text.size(), &back);
      auto t2 = Clock::now();
      encodeMs = std::min(encodeMs, std::chrono::duration<double, std::milli>(t1 - t0).count());
      decodeMs = std::min(decodeMs, std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    if (s != kolmo::Status::kOk || d != kolmo::Status::kOk || back != text) {
      std::fprintf(stderr, "ROUND TRIP FAILED: %s (%s / %s)\n", argv[a], kolmo::statusName(s),
                   kolmo::statusName(d));
      ++failures;
    }
    std::printf("%s %zu %zu %.3f %.3f\n", argv[a], text.size(), packed.size(), encodeMs,
                decodeMs);
  }
  return failures ? 1 : 0;
}
