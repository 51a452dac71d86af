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
#include "cm_codec.h"

#include <array>
#include <cstring>
#include <memory>

#include "range_coder.h"

namespace kolmo {

namespace {

// ---- logistic helpers: the stretch domain is ln(p/(1-p)) * 256, clamped to [-2047, 2047] ----

// 12-bit probability of a stretch value (interpolated from 33 points of 4096/(1+e^-x/256)).
constexpr int squash(int d) {
  constexpr int kPoints[33] = {1,    2,    3,    6,    10,   16,   27,   45,   73,   120,  194,
                               310,  488,  747,  1101, 1546, 2047, 2549, 2994, 3348, 3607, 3785,
                               3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094};
  if (d > 2047) return 4095;
  if (d < -2047) return 1;
  int w = d & 127;
  int i = (d >> 7) + 16;
  return (kPoints[i] * (128 - w) + kPoints[i + 1] * w + 64) >> 7;
}

// stretch(p) = the smallest x with squash(x) >= p: the inverse of squash on 12-bit p.
constexpr std::array<int16_t, 4096> makeStretchTable() {
  std::array<int16_t, 4096> t{};
  int pi = 0;
  for (int x = -2047; x <= 2047; ++x) {
    int v = squash(x);
    for (int i = pi; i <= v; ++i) t[i] = static_cast<int16_t>(x);
    pi = v + 1;
  }
  for (int i = pi; i < 4096; ++i) t[i] = 2047;
  return t;
}
constexpr std::array<int16_t, 4096> kStretch = makeStretchTable();

constexpr int clampStretch(int64_t x) {
  return x > 2047 ? 2047 : (x < -2047 ? -2047 : static_cast<int>(x));
}

constexpr uint64_t mixHash(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9FB21C651E98DF25ull;
  x ^= x >> 29;
  return x;
}

// ---- bit histories: a state byte is (n0 << 4) | n1, the counts of 0s and 1s seen in a
// context, each <= 15; a bit halves a large opposite count, so recent bits weigh more ----

constexpr std::array<uint8_t, 512> makeNextState() {
  std::array<uint8_t, 512> t{};
  for (int s = 0; s < 256; ++s) {
    for (int bit = 0; bit < 2; ++bit) {
      int n0 = s >> 4;
      int n1 = s & 15;
      int& same = bit ? n1 : n0;
      int& other = bit ? n0 : n1;
      if (same < 15) ++same;
      if (other > 2) other = other / 2 + 1;
      t[s * 2 + bit] = static_cast<uint8_t>((n0 << 4) | n1);
    }
  }
  return t;
}
constexpr std::array<uint8_t, 512> kNextState = makeNextState();

// 65536 / (n + 1.5): the adaptation rate of a probability seen n times.
constexpr std::array<int32_t, 1024> makeReciprocals() {
  std::array<int32_t, 1024> t{};
  for (int n = 0; n < 1024; ++n) t[n] = 65536 * 2 / (2 * n + 3);
  return t;
}
constexpr std::array<int32_t, 1024> kReciprocal = makeReciprocals();

// Adaptive probability per context: p (P(1) * 2^22) moves toward each bit by 1/(n + 1.5)
// until n reaches `limit`, then at that fixed rate.
template <int N>
class AdaptiveMap {
 public:
  void init(int limit) {
    limit_ = limit;
    for (int i = 0; i < N; ++i) {
      p_[i] = 1u << 21;
      n_[i] = 0;
    }
  }
  void set(int cx, uint32_t p22) { p_[cx] = p22; }
  int p12(int cx) const { return static_cast<int>(p_[cx] >> 10); }
  void update(int cx, int bit) {
    int64_t target = bit ? (int64_t{1} << 22) - 1 : 0;
    int64_t p = p_[cx];
    p += ((target - p) * kReciprocal[n_[cx]]) >> 16;
    p_[cx] = static_cast<uint32_t>(p);
    if (n_[cx] < limit_) ++n_[cx];
  }

 private:
  uint32_t p_[N];
  uint16_t n_[N];
  int limit_ = 0;
};

// Gated linear mixing in the stretch domain: one weight vector (16.16 fixed point) per
// selector value, trained online on the coding loss.
template <int N>
class Mixer {
 public:
  void init(int numSets, int32_t initialWeight) {
    weights_.assign(static_cast<size_t>(N) * numSets, initialWeight);
  }
  // Stretch of the mixed prediction with weight set `set`; remembers it for train().
  int mix(const int* inputs, int set) {
    inputs_ = inputs;
    w_ = &weights_[static_cast<size_t>(set) * N];
    int64_t dot = 0;
    for (int i = 0; i < N; ++i) dot += int64_t{w_[i]} * inputs[i];
    pr_ = squash(clampStretch(dot >> 16));
    return clampStretch(dot >> 16);
  }
  void train(int bit, int rate) {
    int err = ((bit << 12) - pr_) * rate;
    for (int i = 0; i < N; ++i) w_[i] += (inputs_[i] * err) >> 11;
  }

 private:
  std::vector<int32_t> weights_;
  const int* inputs_ = nullptr;
  int32_t* w_ = nullptr;
  int pr_ = 2048;
};

// ---- model shape ----
constexpr int kNumHashed = 6;               // orders 1, 2, 3, 4, 6 and the word context
constexpr int kNumInputs = kNumHashed + 3;  // + order 0, match, bias
constexpr int kBucketBytes = 16;  // [check byte][15 bit-history states of one nibble tree]
constexpr int kMinTableBits = 10;
constexpr int kMaxTableBits = 16;  // 2^16 buckets * 16 B = 1 MiB per hashed context
constexpr int kMatchMinLen = 5;
constexpr int kMaxMatchBits = 18;  // 2^18 positions * 4 B = 1 MiB
constexpr int kApmBins = 33;
constexpr int kApm2Bits = 8;  // hashed order-2 contexts of the second APM
constexpr int kStateLimit = 1023;
constexpr int kInitialWeight = 12000;  // ~0.18 per input
constexpr int kMixerRate = 3;          // plus kMixerWarmRate * 64 / (64 + bytes coded)
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

    for (auto& sm : stateMaps_) {
      sm.init(kStateLimit);
      for (int s = 0; s < 256; ++s) {
        uint32_t n0 = static_cast<uint32_t>(s >> 4), n1 = static_cast<uint32_t>(s & 15);
        sm.set(s, static_cast<uint32_t>(((uint64_t{2} * n1 + 1) << 22) / (2 * (n0 + n1) + 2)));
      }
    }
    order0_.init(255);
    matchMap_.init(kStateLimit);
    mixer1_.init(3 * 256, kInitialWeight);
    mixer2_.init(256, kInitialWeight);
    apm1_.resize(size_t{kApmBins} * 256);
    apm2_.resize(size_t{kApmBins} << kApm2Bits);
    for (size_t i = 0; i < apm1_.size(); ++i) {
      apm1_[i] = static_cast<uint16_t>(squash((static_cast<int>(i % kApmBins) - 16) * 128) * 16);
    }
    for (size_t i = 0; i < apm2_.size(); ++i) apm2_[i] = apm1_[i % kApmBins];
    startByte();
    startNibble();
    predict();
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
    updateApm(apm1_.data(), apm1Idx_, bit);
    updateApm(apm2_.data(), apm2Idx_, bit);

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
      // One bit before the nibble boundary: fetch both possible next buckets early,
      // since for long texts the tables outgrow the caches.
      for (int i = 1; i < kNumHashed; ++i) {
        for (uint32_t b = 0; b < 2; ++b) prefetch(bucketAddress(i, nibbleHash(i, c0_ * 2 + b)));
      }
    }
    predict();
  }

 private:
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
    ctxHash_[0] = mixHash((hist8_ & 0xFF) + (uint64_t{1} << 56));
    ctxHash_[1] = mixHash((hist8_ & 0xFFFF) + (uint64_t{2} << 56));
    ctxHash_[2] = mixHash((hist8_ & 0xFFFFFF) + (uint64_t{3} << 56));
    ctxHash_[3] = mixHash((hist8_ & 0xFFFFFFFF) + (uint64_t{4} << 56));
    ctxHash_[4] = mixHash((hist8_ & 0xFFFFFFFFFFFFull) + (uint64_t{5} << 56));
    ctxHash_[5] = mixHash((uint64_t{word_} << 24) ^ (uint64_t{prevWord_} << 8) ^
                          (word_ ? 0 : c) ^ (uint64_t{6} << 56));
    apm2Base_ = static_cast<uint32_t>(mixHash((hist8_ & 0xFFFF) + (uint64_t{7} << 56)));
    mixerRate_ = kMixerRate + static_cast<int>(kMixerWarmRate * 64 / (64 + pos_));
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
        while (len < 65535 && len < cand && history_[cand - 1 - len] == history_[pos_ - 1 - len]) {
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

  static int apmIndex(int cx, int st) { return cx * kApmBins + ((st + 2048) >> 7); }
  static int apmRead(const uint16_t* t, int idx, int st) {
    int w = (st + 2048) & 127;
    return (t[idx] * (128 - w) + t[idx + 1] * w) >> 7;
  }
  // Moves the nearer of the two interpolated bins toward the bit.
  void updateApm(uint16_t* t, int idx, int bit) {
    int w = (mixStretch_ + 2048) & 127;
    int target = bit ? 65535 : 0;
    int j = w < 64 ? idx : idx + 1;
    t[j] = static_cast<uint16_t>(t[j] + ((target - t[j]) >> kApmRate));
  }

  const uint8_t* history_;
  size_t pos_ = 0;      // bytes coded so far
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
    std::unique_ptr<Predictor> model(new Predictor(size, text));
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
  if (n > 0) {
    text->assign(n, 0);
    uint8_t* dst = text->data();
    std::unique_ptr<Predictor> model(new Predictor(n, dst));
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
      if (rd.bytesReadPastEnd() > kMaxPastEndBytes) {
        text->clear();
        return Status::kTruncated;
      }
    }
  }
  Status s = Status::kOk;
  if (rd.hasError()) s = Status::kCorrupt;
  else if (rd.bytesReadPastEnd() > kMaxPastEndBytes) s = Status::kTruncated;
  else if (rd.bytesConsumed() < size) s = Status::kCorrupt;  // trailing garbage
  if (s != Status::kOk) text->clear();
  return s;
}

}  // namespace kolmo
