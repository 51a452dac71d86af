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

#include "cm_primer.h"
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

// ---- primer (cm_primer.h): read before every cm text, in both directions ----
constexpr auto& kPrimer = detail::kCmPrimer;
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

Status cmDeclaredLength(const uint8_t* data, size_t size, uint64_t* length) {
  RangeDecoder rd(data, size);
  const uint32_t n = decodeLength(&rd);
  if (rd.hasError()) return Status::kCorrupt;
  *length = n;
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
