// Model-free context-mixing byte codec (see cm_codec.h and docs/FORMAT.md, "cm body").
//
// READ ME FIRST: every number this file computes is part of the link format. The encoder
// and decoder run the same Predictor over the same history, so any change to a constant,
// a table, a hash, a rounding or the order of updates changes the produced bytes: that is
// a container version bump (docs/FORMAT.md, "Versioning"). Integer arithmetic only; right
// shifts of negative values are arithmetic in every compiler kolmo supports (g++, clang,
// emcc; C++20 makes it the rule). Tables are constexpr, computed by the compiler from the
// same integer code, so there is no floating point anywhere.
//
// Shape of the model, per bit (the byte's bits are coded MSB first):
//   inputs  6 hashed contexts (orders 1, 2, 3, 4, 6 and a word context), each a bit-history
//           state byte -> adaptive probability; order 0; a match model (longest earlier
//           repeat of the last >= 5 bytes predicts the next bit, confidence by length); bias
//   mixers  two gated linear mixers in the stretch domain, weights selected by (match
//           state, partial byte) and by the previous byte; their outputs are averaged
//   APM     two adaptive probability maps (SSE) on the partial byte and on a hash of the
//           previous two bytes; final P = (2 * mixer + apm1 + apm2) / 4, 16-bit
// Before the text, the model reads kPrimer (8 KB of sample text in common formats) without
// coding it, so short texts start from learned statistics. Stream: length code, then bits.
#include "cm_codec.h"

#include <array>
#include <cstring>
#include <memory>

#include "mixing.h"
#include "range_coder.h"

namespace kolmo {

namespace {

using mixing::AdaptiveMap;
using mixing::apmIndex;
using mixing::apmRead;
using mixing::clampStretch;
using mixing::kApmBins;
using mixing::kNextState;
using mixing::kStretch;
using mixing::Mixer;
using mixing::mixHash;
using mixing::squash;

// ---- model shape ----
constexpr int kNumHashed = 6;               // orders 1, 2, 3, 4, 6 and the word context
constexpr int kNumInputs = kNumHashed + 3;  // + order 0, match, bias
constexpr int kBucketBytes = 16;  // [check byte][15 bit-history states of one nibble tree]
constexpr int kMinTableBits = 10;
constexpr int kMaxTableBits = 16;  // 2^16 buckets * 16 B = 1 MiB per hashed context
constexpr int kMatchMinLen = 5;
constexpr int kMaxMatchBits = 18;  // 2^18 positions * 4 B = 1 MiB
constexpr int kApm2Bits = 8;  // hashed order-2 contexts of the second APM
constexpr int kStateLimit = 1023;
constexpr int kInitialWeight = 12000;  // ~0.18 per input
constexpr int kMixerRate = 3;  // plus kMixerWarmRate * 64 / (64 + text bytes coded)
constexpr int kMixerWarmRate = 16;
constexpr int kApmRate = 5;

int ceilLog2(uint64_t n) {
  int b = 0;
  while ((uint64_t{1} << b) < n) ++b;
  return b;
}

int clampInt(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

bool isWordByte(uint8_t c) { return ((c | 32) >= 'a' && (c | 32) <= 'z') || c >= 0x80; }

void prefetch(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

// P(next bit = 1) for each bit of a byte stream, from the bytes before it. One instance per
// direction; `history` is the text (encoder) or the output being filled (decoder): only
// history[0, bytes coded so far) is read, and the byte being coded must be stored at its
// index before the update() of its last bit.
class Predictor {
 public:
  Predictor(size_t textSize, const uint8_t* history) : history_(history) {
    int bits = ceilLog2(2 * static_cast<uint64_t>(textSize) + 1);
    tableBits_ = clampInt(bits, kMinTableBits, kMaxTableBits);
    for (int i = 1; i < kNumHashed; ++i) tables_[i].assign(size_t{kBucketBytes} << tableBits_, 0);
    order1_.assign(size_t{256} * 17 * kBucketBytes, 0);
    matchBits_ = clampInt(bits, kMinTableBits, kMaxMatchBits);
    matchTable_.assign(size_t{1} << matchBits_, 0);

    for (auto& sm : stateMaps_) sm.initForStates(kStateLimit);
    order0_.init(255);
    matchMap_.init(kStateLimit);
    mixer1_.init(3 * 256, kInitialWeight);
    mixer2_.init(256, kInitialWeight);
    mixing::apmInit(&apm1_, 256);
    mixing::apmInit(&apm2_, size_t{1} << kApm2Bits);
    startByte();
    startNibble();
    predict();
  }

  // Feeds history[0, numBytes) through the model without coding it.
  void prime(size_t numBytes) {
    for (size_t i = 0; i < numBytes; ++i) {
      for (int b = 7; b >= 0; --b) update((history_[i] >> b) & 1);
    }
    textStart_ = pos_;
  }

  // P(next bit = 1) * 65536, in [1, 65535].
  int p16() const { return pr16_; }

  void update(int bit) {
    for (int i = 0; i < kNumHashed; ++i) {
      uint8_t* slot = buckets_[i] + node_;
      stateMaps_[i].update(*slot, bit);
      *slot = kNextState[*slot * 2 + bit];
    }
    order0_.update(static_cast<int>(c0_), bit);
    matchMap_.update(matchCx_, bit);
    mixer1_.train(bit, mixerRate_);
    mixer2_.train(bit, mixerRate_);
    mixing::apmUpdate(apm1_.data(), apm1Idx_, mixStretch_, bit, kApmRate);
    mixing::apmUpdate(apm2_.data(), apm2Idx_, mixStretch_, bit, kApmRate);

    c0_ = (c0_ << 1) | static_cast<uint32_t>(bit);
    node_ = (node_ << 1) | bit;
    ++bitPos_;
    if (bitPos_ == 8) {
      hist8_ = (hist8_ << 8) | (c0_ & 0xFF);
      ++pos_;
      c0_ = 1;
      bitPos_ = 0;
      startByte();
      startNibble();
    } else if (bitPos_ == 4) {
      startNibble();
    } else if (bitPos_ == 3) {
      // One bit before a nibble boundary, fetch both possible next buckets early: for long
      // texts the tables outgrow the caches. (Before a byte boundary, orders 2..6 only.)
      for (int i = 1; i < kNumHashed; ++i) {
        for (uint32_t b = 0; b < 2; ++b) prefetch(bucketAddress(i, nibbleHash(i, c0_ * 2 + b)));
      }
    } else if (bitPos_ == 7) {
      for (uint32_t b = 0; b < 2; ++b) {
        uint64_t h8 = (hist8_ << 8) | ((c0_ * 2 + b) & 0xFF);
        for (int i = 1; i < 5; ++i) {
          prefetch(bucketAddress(i, mixHash(orderHash(i, h8) ^ 0xA24BAED4963EE407ull)));
        }
      }
    }
    predict();
  }

 private:
  // Context hash of order slot i (0..4 = orders 1, 2, 3, 4, 6) for the byte history h8.
  static uint64_t orderHash(int i, uint64_t h8) {
    static constexpr uint64_t kMasks[5] = {0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFull};
    return mixHash((h8 & kMasks[i]) + (static_cast<uint64_t>(i + 1) << 56));
  }

  uint64_t nibbleHash(int i, uint32_t c0) const {
    return mixHash(ctxHash_[i] ^ (static_cast<uint64_t>(c0) * 0xA24BAED4963EE407ull));
  }
  const uint8_t* bucketAddress(int i, uint64_t h) const {
    return &tables_[i][static_cast<size_t>(h >> (64 - tableBits_)) * kBucketBytes];
  }

  void startByte() {
    uint8_t c = static_cast<uint8_t>(hist8_);
    if (pos_ > 0) {
      if (isWordByte(c)) {
        word_ = (word_ + ((c >= 'A' && c <= 'Z') ? c + 32u : c) + 1u) * 0x2F0F3A5Bu;
      } else if (word_ != 0) {
        prevWord_ = word_;
        word_ = 0;
      }
    }
    for (int i = 0; i < 5; ++i) ctxHash_[i] = orderHash(i, hist8_);
    ctxHash_[5] = mixHash((uint64_t{word_} << 24) ^ (uint64_t{prevWord_} << 8) ^
                          (word_ ? 0 : c) ^ (uint64_t{6} << 56));
    apm2Base_ = static_cast<uint32_t>(mixHash((hist8_ & 0xFFFF) + (uint64_t{7} << 56)));
    mixerRate_ = kMixerRate + static_cast<int>(kMixerWarmRate * 64 / (64 + pos_ - textStart_));
    updateMatch();
  }

  void startNibble() {
    node_ = 1;
    // Order 1 is a direct table: 17 nibble trees (first nibble, 16 second nibbles) per byte.
    size_t tree = bitPos_ == 0 ? 0 : 1 + (c0_ & 15);
    buckets_[0] = &order1_[((hist8_ & 0xFF) * 17 + tree) * kBucketBytes];
    for (int i = 1; i < kNumHashed; ++i) buckets_[i] = selectBucket(i, nibbleHash(i, c0_));
  }

  // The bucket of a context: its own slot or the neighbour (same cache line) if either
  // holds the context's check byte; else the one whose root history saw fewer bits is reset.
  uint8_t* selectBucket(int i, uint64_t h) {
    size_t idx = static_cast<size_t>(h >> (64 - tableBits_));
    uint8_t check = static_cast<uint8_t>(h);
    uint8_t* a = &tables_[i][idx * kBucketBytes];
    if (a[0] == check) return a;
    uint8_t* b = &tables_[i][(idx ^ 1) * kBucketBytes];
    if (b[0] == check) return b;
    int pa = (a[1] >> 4) + (a[1] & 15), pb = (b[1] >> 4) + (b[1] & 15);
    uint8_t* r = pa <= pb ? a : b;
    std::memset(r, 0, kBucketBytes);
    r[0] = check;
    return r;
  }

  // At a byte boundary: extend the current match, or look up the last kMatchMinLen bytes.
  void updateMatch() {
    if (pos_ == 0) return;
    uint8_t last = static_cast<uint8_t>(hist8_);
    if (matchLen_ > 0 && history_[matchPtr_] == last) {
      ++matchLen_;
      ++matchPtr_;
    } else {
      matchLen_ = 0;
    }
    if (pos_ < static_cast<size_t>(kMatchMinLen)) return;
    uint64_t h = 0;
    for (int i = 1; i <= kMatchMinLen; ++i) h = (h + history_[pos_ - i] + 1) * 0x100000001B3ull;
    size_t slot = static_cast<size_t>(mixHash(h) >> (64 - matchBits_));
    if (matchLen_ == 0) {
      size_t cand = matchTable_[slot];
      if (cand > 0) {
        size_t len = 0;
        // Lengths >= 64 all predict alike (see predict()), so the check stops there.
        while (len < 64 && len < cand && history_[cand - 1 - len] == history_[pos_ - 1 - len]) {
          ++len;
        }
        if (len >= static_cast<size_t>(kMatchMinLen)) {
          matchLen_ = len;
          matchPtr_ = cand;
        }
      }
    }
    matchTable_[slot] = static_cast<uint32_t>(pos_);
  }

  void predict() {
    for (int i = 0; i < kNumHashed; ++i) {
      inputs_[i] = kStretch[stateMaps_[i].p12(buckets_[i][node_])];
    }
    inputs_[kNumHashed] = kStretch[order0_.p12(static_cast<int>(c0_))];

    int matchState = 0;
    matchCx_ = 0;
    if (matchLen_ > 0) {
      uint32_t expected = history_[matchPtr_] | 256u;
      if ((expected >> (8 - bitPos_)) == c0_) {
        int expectedBit = static_cast<int>(expected >> (7 - bitPos_)) & 1;
        size_t len = matchLen_;
        int lenBucket = len < 16 ? static_cast<int>(len) : (len < 32 ? 16 : (len < 64 ? 17 : 18));
        matchCx_ = lenBucket * 2 + expectedBit;
        matchState = len < 16 ? 1 : 2;
      }
    }
    inputs_[kNumHashed + 1] = kStretch[matchMap_.p12(matchCx_)];
    inputs_[kNumHashed + 2] = 256;

    int s1 = mixer1_.mix(inputs_, matchState * 256 + static_cast<int>(c0_));
    int s2 = mixer2_.mix(inputs_, static_cast<int>(hist8_ & 0xFF));
    mixStretch_ = (s1 + s2) >> 1;
    int mixPr = squash(mixStretch_);

    apm1Idx_ = apmIndex(static_cast<int>(c0_), mixStretch_);
    uint32_t h2 = static_cast<uint32_t>(mixHash(apm2Base_ + c0_) >> (64 - kApm2Bits));
    apm2Idx_ = apmIndex(static_cast<int>(h2), mixStretch_);
    int a1 = apmRead(apm1_.data(), apm1Idx_, mixStretch_);
    int a2 = apmRead(apm2_.data(), apm2Idx_, mixStretch_);
    pr16_ = clampInt((mixPr * 16 * 2 + a1 + a2) >> 2, 1, 65535);
  }

  const uint8_t* history_;
  size_t pos_ = 0;      // bytes coded so far (primer included)
  size_t textStart_ = 0;
  uint32_t c0_ = 1;     // bits of the current byte with a leading 1
  uint64_t hist8_ = 0;  // last eight bytes, the most recent in the low byte
  int bitPos_ = 0;
  int node_ = 1;  // index of the current bit in its nibble tree, 1..15
  uint32_t word_ = 0, prevWord_ = 0;

  int tableBits_ = 0;
  std::vector<uint8_t> tables_[kNumHashed];  // [0] unused: order 1 lives in order1_
  std::vector<uint8_t> order1_;
  uint64_t ctxHash_[kNumHashed] = {};
  uint8_t* buckets_[kNumHashed] = {};
  AdaptiveMap<256> stateMaps_[kNumHashed];
  AdaptiveMap<256> order0_;

  int matchBits_ = 0;
  std::vector<uint32_t> matchTable_;
  size_t matchLen_ = 0, matchPtr_ = 0;
  int matchCx_ = 0;
  AdaptiveMap<64> matchMap_;

  int inputs_[kNumInputs] = {};
  Mixer<kNumInputs> mixer1_, mixer2_;
  int mixStretch_ = 0;
  int mixerRate_ = kMixerRate;
  std::vector<uint16_t> apm1_, apm2_;
  uint32_t apm2Base_ = 0;
  int apm1Idx_ = 0, apm2Idx_ = 0;
  int pr16_ = 32768;
};

// ---- primer: text the model reads before every cm text (both directions), so short texts
// start from learned statistics of common formats instead of from nothing, as brotli's
// built-in dictionary does. Written for kolmo (no third-party text). Part of the format. ----
constexpr char kPrimer[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "  <meta charset=\"utf-8\">\n"
    "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "  <title>Example page</title>\n"
    "  <link rel=\"stylesheet\" href=\"style.css\">\n"
    "</head>\n"
    "<body>\n"
    "  <div class=\"container\">\n"
    "    <h1 id=\"title\">Hello, world!</h1>\n"
    "    <p>This is a <a href=\"https://example.com/\">link</a> and an <img src=\"image.png\" alt=\"image\">.</p>\n"
    "    <button type=\"button\" onclick=\"handleClick()\">Click me</button>\n"
    "  </div>\n"
    "  <script src=\"main.js\"></script>\n"
    "</body>\n"
    "</html>\n"
    "\n"
    ".container {\n"
    "  display: flex;\n"
    "  margin: 0 auto;\n"
    "  padding: 16px;\n"
    "  max-width: 800px;\n"
    "  font-family: sans-serif;\n"
    "  color: #333;\n"
    "  background-color: #fff;\n"
    "}\n"
    "\n"
    "#!/usr/bin/env bash\n"
    "set -euo pipefail\n"
    "for file in \"$@\"; do\n"
    "  if [ -f \"$file\" ]; then\n"
    "    echo \"Processing $file...\"\n"
    "    grep -n \"error\" \"$file\" | sort | uniq -c > \"${file}.log\"\n"
    "  fi\n"
    "done\n"
    "git clone https://github.com/user/repo.git && cd repo && npm install && npm run build\n"
    "\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "\n"
    "int main(int argc, char **argv) {\n"
    "    size_t n = 0;\n"
    "    char *buffer = malloc(1024);\n"
    "    if (buffer == NULL) {\n"
    "        fprintf(stderr, \"out of memory\\n\");\n"
    "        return 1;\n"
    "    }\n"
    "    for (int i = 0; i < argc; i++) {\n"
    "        n += strlen(argv[i]);\n"
    "    }\n"
    "    printf(\"total: %zu\\n\", n);\n"
    "    free(buffer);\n"
    "    return 0;\n"
    "}\n"
    "\n"
    "SELECT id, name, email, created_at FROM users WHERE status = 'active' ORDER BY created_at DESC LIMIT 10;\n"
    "\n"
    "import os\n"
    "import sys\n"
    "import json\n"
    "from typing import List, Optional, Dict\n"
    "\n"
    "\n"
    "class Config:\n"
    "    \"\"\"Settings loaded from a JSON file.\"\"\"\n"
    "\n"
    "    def __init__(self, path: str, default: Optional[Dict] = None) -> None:\n"
    "        self.path = path\n"
    "        self.data = default or {}\n"
    "\n"
    "    def load(self) -> Dict:\n"
    "        if not os.path.exists(self.path):\n"
    "            raise FileNotFoundError(f\"no such file: {self.path}\")\n"
    "        with open(self.path, \"r\", encoding=\"utf-8\") as f:\n"
    "            self.data = json.load(f)\n"
    "        return self.data\n"
    "\n"
    "    def get(self, key: str, value=None):\n"
    "        return self.data.get(key, value)\n"
    "\n"
    "\n"
    "def parse_args(args: List[str]) -> dict:\n"
    "    result = {}\n"
    "    for i, arg in enumerate(args):\n"
    "        if arg.startswith(\"--\"):\n"
    "            name, _, value = arg[2:].partition(\"=\")\n"
    "            result[name] = value if value else True\n"
    "        elif arg == \"-h\":\n"
    "            print(\"usage: main.py [--name=value]\")\n"
    "            return None\n"
    "    return result\n"
    "\n"
    "\n"
    "def main():\n"
    "    try:\n"
    "        config = Config(sys.argv[1]).load()\n"
    "    except (IndexError, FileNotFoundError) as e:\n"
    "        print(\"error:\", e, file=sys.stderr)\n"
    "        sys.exit(1)\n"
    "    for key, value in sorted(config.items()):\n"
    "        print(f\"{key} = {value!r}\")\n"
    "\n"
    "\n"
    "if __name__ == \"__main__\":\n"
    "    main()\n"
    "\n"
    "import React, { useState, useEffect } from 'react';\n"
    "import { fetchData } from './api';\n"
    "\n"
    "export default function App({ initialCount = 0 }) {\n"
    "  const [count, setCount] = useState(initialCount);\n"
    "  const [items, setItems] = useState([]);\n"
    "\n"
    "  useEffect(() => {\n"
    "    let cancelled = false;\n"
    "    async function load() {\n"
    "      const response = await fetch(`/api/items?page=${count}`);\n"
    "      if (!response.ok) {\n"
    "        throw new Error('Request failed: ' + response.status);\n"
    "      }\n"
    "      const data = await response.json();\n"
    "      if (!cancelled) setItems(data.items);\n"
    "    }\n"
    "    load().catch((err) => console.error(err));\n"
    "    return () => {\n"
    "      cancelled = true;\n"
    "    };\n"
    "  }, [count]);\n"
    "\n"
    "  return (\n"
    "    <div className=\"app\">\n"
    "      <button onClick={() => setCount(count + 1)}>Next page</button>\n"
    "      <ul>\n"
    "        {items.map((item) => (\n"
    "          <li key={item.id}>{item.name}</li>\n"
    "        ))}\n"
    "      </ul>\n"
    "    </div>\n"
    "  );\n"
    "}\n"
    "\n"
    "function parseQuery(url) {\n"
    "  const params = {};\n"
    "  const query = url.split('?')[1] || '';\n"
    "  for (const pair of query.split('&')) {\n"
    "    const [key, value] = pair.split('=').map(decodeURIComponent);\n"
    "    if (key) params[key] = value === undefined ? true : value;\n"
    "  }\n"
    "  return params;\n"
    "}\n"
    "\n"
    "module.exports = { parseQuery };\n"
    "\n"
    "{\n"
    "  \"name\": \"example-package\",\n"
    "  \"version\": \"1.0.0\",\n"
    "  \"description\": \"A small example of a package description.\",\n"
    "  \"main\": \"index.js\",\n"
    "  \"type\": \"module\",\n"
    "  \"scripts\": {\n"
    "    \"start\": \"node index.js\",\n"
    "    \"test\": \"node --test\",\n"
    "    \"build\": \"tsc -p .\"\n"
    "  },\n"
    "  \"dependencies\": {\n"
    "    \"express\": \"^4.18.2\"\n"
    "  },\n"
    "  \"license\": \"MIT\"\n"
    "}\n"
    "{\"id\": 1, \"name\": \"Alice\", \"email\": \"alice@example.com\", \"age\": 30, \"active\": true, \"tags\": [\"admin\", \"user\"], \"address\": {\"city\": \"Paris\", \"country\": \"France\"}, \"score\": 9.5, \"manager\": null}\n"
    "{\"id\": 2, \"name\": \"Bob\", \"email\": \"bob@example.com\", \"age\": 25, \"active\": false, \"tags\": [], \"address\": {\"city\": \"Beijing\", \"country\": \"China\"}, \"score\": 7.25, \"manager\": 1}\n"
    "[{\"type\": \"text\", \"value\": \"hello\", \"count\": 3}, {\"type\": \"number\", \"value\": 42, \"count\": 0}]\n"
    "{\"status\": \"ok\", \"data\": {\"results\": [{\"title\": \"First result\", \"url\": \"https://example.org/a\", \"date\": \"2024-01-15T10:30:00Z\"}], \"total\": 1, \"page\": 1}, \"error\": null}\n"
    "\n"
    "# Project title\n"
    "\n"
    "A short description of what this project does and why it is useful.\n"
    "\n"
    "## Installation\n"
    "\n"
    "```sh\n"
    "npm install example-package\n"
    "```\n"
    "\n"
    "## Usage\n"
    "\n"
    "1. Import the module.\n"
    "2. Call `run()` with your options.\n"
    "3. Check the **result** and the *logs*.\n"
    "\n"
    "- See the [documentation](https://example.com/docs) for details.\n"
    "- Report bugs in the issue tracker.\n"
    "\n"
    "> **Note:** this feature is experimental and may change.\n"
    "\n"
    "| Option | Type | Default | Description |\n"
    "|--------|------|---------|-------------|\n"
    "| `name` | string | `\"\"` | The name to use. |\n"
    "| `debug` | boolean | `false` | Print debug output. |\n"
    "\n"
    "Hi! How are you doing today?\n"
    "I'm good, thanks. Are we still meeting at 3pm tomorrow?\n"
    "Yes, see you there. Don't forget to bring the documents.\n"
    "Ok, I will. Can you send me the address again?\n"
    "Sure, it's 42 Main Street, second floor. Call me if you can't find it.\n"
    "Thanks a lot! Have a nice evening :)\n"
    "lol ok, no problem. Let me know when you get home.\n"
    "\n"
    "\344\275\240\345\245\275\357\274\201\344\273\212\345\244\251\345\244\251\346\260\224\345\276\210\345\245\275\357\274\214\346\210\221\344\273\254\344\270\200\350\265\267\345\216\273\345\205\254\345\233\255\346\225\243\346\255\245\345\220\247\343\200\202\n"
    "\345\245\275\347\232\204\357\274\214\346\262\241\351\227\256\351\242\230\343\200\202\344\275\240\345\207\240\347\202\271\346\234\211\347\251\272\357\274\237\346\210\221\344\270\213\345\215\210\344\270\211\347\202\271\344\273\245\345\220\216\351\203\275\345\217\257\344\273\245\343\200\202\n"
    "\350\277\231\344\270\252\351\227\256\351\242\230\346\210\221\344\273\254\346\230\216\345\244\251\345\206\215\350\256\250\350\256\272\357\274\214\350\257\267\345\244\247\345\256\266\345\205\210\347\234\213\344\270\200\344\270\213\346\226\207\344\273\266\343\200\202\n"
    "\344\270\255\345\233\275\346\230\257\344\270\226\347\225\214\344\270\212\344\272\272\345\217\243\346\234\200\345\244\232\347\232\204\345\233\275\345\256\266\344\271\213\344\270\200\357\274\214\346\234\211\347\235\200\346\202\240\344\271\205\347\232\204\345\216\206\345\217\262\345\222\214\346\226\207\345\214\226\343\200\202\345\214\227\344\272\254\346\230\257\344\270\255\345\233\275\347\232\204\351\246\226\351\203\275\357\274\214\344\271\237\346\230\257\346\224\277\346\262\273\343\200\201\346\226\207\345\214\226\345\222\214\345\233\275\351\231\205\344\272\244\346\265\201\347\232\204\344\270\255\345\277\203\343\200\202\n"
    "\346\240\271\346\215\256\346\234\254\346\263\225\347\232\204\350\247\204\345\256\232\357\274\214\345\233\275\345\256\266\344\277\235\346\212\244\345\205\254\346\260\221\347\232\204\345\220\210\346\263\225\346\235\203\345\210\251\345\222\214\345\210\251\347\233\212\343\200\202\344\273\273\344\275\225\347\273\204\347\273\207\345\222\214\344\270\252\344\272\272\351\203\275\344\270\215\345\276\227\344\276\265\347\212\257\344\273\226\344\272\272\347\232\204\345\220\210\346\263\225\346\235\203\347\233\212\343\200\202\n"
    "\346\210\221\350\247\211\345\276\227\350\277\231\351\203\250\347\224\265\345\275\261\351\235\236\345\270\270\345\245\275\347\234\213\357\274\214\344\275\240\347\234\213\350\277\207\344\272\206\345\220\227\357\274\237\350\260\242\350\260\242\344\275\240\347\232\204\345\270\256\345\212\251\357\274\214\346\210\221\344\273\254\344\270\213\346\254\241\345\206\215\350\247\201\343\200\202\n"
    "\n"
    "Bonjour, comment \303\247a va ? Je suis tr\303\250s content de vous voir. C'est une bonne id\303\251e, merci beaucoup.\n"
    "Hola, \302\277c\303\263mo est\303\241s? Muy bien, gracias. \302\277D\303\263nde est\303\241 la estaci\303\263n? Est\303\241 a la derecha, despu\303\251s del parque.\n"
    "Guten Tag! Wie geht es Ihnen? Ich m\303\266chte einen Tisch f\303\274r zwei Personen reservieren, bitte.\n"
    "Ol\303\241, tudo bem? Obrigado pela ajuda, at\303\251 amanh\303\243.\n"
    "\320\237\321\200\320\270\320\262\320\265\321\202! \320\232\320\260\320\272 \320\264\320\265\320\273\320\260? \320\241\320\277\320\260\321\201\320\270\320\261\320\276, \320\262\321\201\321\221 \321\205\320\276\321\200\320\276\321\210\320\276. \320\255\321\202\320\276 \320\276\321\207\320\265\320\275\321\214 \320\270\320\275\321\202\320\265\321\200\320\265\321\201\320\275\320\260\321\217 \320\272\320\275\320\270\320\263\320\260.\n"
    "\343\201\223\343\202\223\343\201\253\343\201\241\343\201\257\343\200\202\344\273\212\346\227\245\343\201\257\343\201\204\343\201\204\345\244\251\346\260\227\343\201\247\343\201\231\343\201\255\343\200\202\343\201\202\343\202\212\343\201\214\343\201\250\343\201\206\343\201\224\343\201\226\343\201\204\343\201\276\343\201\231\343\200\202\n"
    "\n"
    "The history of the city goes back more than two thousand years. It was founded on the north bank of the river, where the water was shallow enough to cross, and it soon became an important place for trade between the people of the east and the west. In the following centuries the town grew slowly. Its population was about five thousand in the year 1500, and by 1900 it had reached almost one million.\n"
    "The new system was designed to be simple, fast and reliable. It can be used by anyone who has a computer and an internet connection, and it does not require any special training. However, there are some limits: the size of each message should not be more than a few thousand characters, and the service is not available in every country.\n"
    "She looked at him for a long time before she answered. \"I don't know what you want me to say,\" she said at last. \"You were the one who left, and now you come back and expect that everything will be the same as it was before.\" He did not reply. Outside, the rain had stopped, and the first light of the morning was coming through the window.\n"
    "According to the report, the number of people who use their phones to read the news has increased by more than twenty percent over the last three years. Most of them say that they prefer short articles, and many of them share the stories they like with their friends and family.\n";
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
// Fuzz builds (tests/fuzz/) read only the primer's last 256 bytes: the code paths are the
// same, but each model setup is ~30x cheaper, so libFuzzer runs ~30x more inputs. Streams of
// such builds do not decode in real builds, and the reverse.
constexpr size_t kPrimerSkip = sizeof(kPrimer) - 1 - 256;
#else
constexpr size_t kPrimerSkip = 0;
#endif
constexpr size_t kPrimerBytes = sizeof(kPrimer) - 1 - kPrimerSkip;

// ---- length code: the bit length k of the text size (0..31) with fixed frequencies that
// favour link-sized texts (32 B .. 16 KiB), then the k - 1 bits below the leading 1 ----
constexpr uint32_t kLengthFreq[32] = {8,   4,   4,   4,  8,  24, 80, 110, 120, 120, 120,
                                      110, 90,  60,  36, 20, 12, 8,  4,   4,   4,   4,
                                      4,   4,   4,   4,  4,  4,  4,  4,   4,   4};

uint32_t lengthCum(int k) {
  uint32_t c = 0;
  for (int i = 0; i < k; ++i) c += kLengthFreq[i];
  return c;
}

void encodeLength(RangeEncoder* rc, uint32_t n) {
  int k = 0;
  while (k < 32 && (n >> k) != 0) ++k;
  rc->encode(lengthCum(k), kLengthFreq[k], lengthCum(32));
  for (int b = k - 2; b >= 0; --b) rc->encodeBit(kBitProbOne / 2, (n >> b) & 1);
}

uint32_t decodeLength(RangeDecoder* rd) {
  uint32_t total = lengthCum(32);
  uint32_t f = rd->decodeFreq(total);
  int k = 0;
  while (k < 31 && lengthCum(k + 1) <= f) ++k;
  rd->consume(lengthCum(k), kLengthFreq[k], total);
  if (k == 0) return 0;
  uint32_t n = 1;
  for (int b = k - 2; b >= 0; --b) n = (n << 1) | static_cast<uint32_t>(rd->decodeBit(kBitProbOne / 2));
  return n;
}

}  // namespace

Status cmEncode(const uint8_t* text, size_t size, std::vector<uint8_t>* out) {
  out->clear();
  if (size > kCmMaxTextBytes) return Status::kLengthOverLimit;
  RangeEncoder rc;
  encodeLength(&rc, static_cast<uint32_t>(size));
  if (size > 0) {
    std::vector<uint8_t> history(kPrimerBytes + size);
    std::memcpy(history.data(), kPrimer + kPrimerSkip, kPrimerBytes);
    std::memcpy(history.data() + kPrimerBytes, text, size);
    std::unique_ptr<Predictor> model(new Predictor(history.size(), history.data()));
    model->prime(kPrimerBytes);
    for (size_t i = 0; i < size; ++i) {
      for (int b = 7; b >= 0; --b) {
        int bit = (text[i] >> b) & 1;
        rc.encodeBit(static_cast<uint32_t>(kBitProbOne - model->p16()), bit);
        model->update(bit);
      }
    }
  }
  rc.finish(out);
  return Status::kOk;
}

Status cmDecode(const uint8_t* data, size_t size, size_t maxTextBytes, std::vector<uint8_t>* text) {
  text->clear();
  RangeDecoder rd(data, size);
  uint32_t n = decodeLength(&rd);
  if (rd.hasError()) return Status::kCorrupt;
  if (n > maxTextBytes) return Status::kLengthOverLimit;
  if (rd.bytesReadPastEnd() > kMaxPastEndBytes) return Status::kTruncated;
  std::vector<uint8_t> history;  // primer, then the text as it is decoded
  if (n > 0) {
    history.resize(kPrimerBytes + n);
    std::memcpy(history.data(), kPrimer + kPrimerSkip, kPrimerBytes);
    uint8_t* dst = history.data() + kPrimerBytes;
    std::unique_ptr<Predictor> model(new Predictor(history.size(), history.data()));
    model->prime(kPrimerBytes);
    for (size_t i = 0; i < n; ++i) {
      int c = 0;
      for (int b = 0; b < 8; ++b) {
        int bit = rd.decodeBit(static_cast<uint32_t>(kBitProbOne - model->p16()));
        c = (c << 1) | bit;
        // The model reads the finished byte from history during its last update.
        if (b == 7) dst[i] = static_cast<uint8_t>(c);
        model->update(bit);
      }
      // A truncated stream reads zeros past its end; stop early instead of decoding
      // megabytes of garbage.
      if (rd.bytesReadPastEnd() > kMaxPastEndBytes) return Status::kTruncated;
    }
  }
  if (rd.hasError()) return Status::kCorrupt;
  if (rd.bytesReadPastEnd() > kMaxPastEndBytes) return Status::kTruncated;
  if (rd.bytesConsumed() < size) return Status::kCorrupt;  // trailing garbage
  if (n > 0) text->assign(history.begin() + static_cast<std::ptrdiff_t>(kPrimerBytes), history.end());
  return Status::kOk;
}

}  // namespace kolmo
