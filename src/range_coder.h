// Range coder over integer frequency tables: the entropy-coding back end of every
// kolmo payload (LM sessions and the model-free cm codec both feed it).
//
// Design (a 64-bit cousin of LZMA's rc): the coder keeps a 48-bit window of the code
// value; `low` carries into bit 48, resolved with LZMA's cache byte + pending-0xFF count.
// `range` is renormalised (one byte shifted out) whenever it drops below 2^40, so it always
// lies in [2^40, 2^48). With totalFreq <= 2^24, range / totalFreq keeps >= 16 bits of
// precision: the truncation costs < 2^-16 relative, i.e. < 2.3e-5 bit per symbol.
//
// Stream shape: the encoder's flush picks the value in [low, low + range) with the most
// trailing zero bits and drops trailing zero bytes; the decoder reads bytes past the end
// as zeros. So a payload has no trailing zero bytes (except in the rare case described
// at kMaxPastEndBytes), and a payload that encodes "nothing surprising" can be empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kolmo {

// Largest totalFreq accepted by encode/decodeFreq (keeps >= 16 bits of precision).
constexpr uint32_t kMaxTotalFreq = 1u << 24;

// Probabilities for encodeBit/decodeBit are 16-bit: prob0 / 65536 is P(bit == 0),
// valid range [1, 65535].
constexpr uint32_t kBitProbOne = 1u << 16;

// READ ME FIRST — padding contract between encoder and decoder.
// A decoder fed a valid payload reads exactly as many bytes past the end as the encoder
// dropped as trailing zeros. Callers reject streams that read more than kMaxPastEndBytes
// past the end (a sign of truncation or garbage). To make that rule never reject a valid
// stream, finish() drops at most kMaxPastEndBytes trailing zero bytes and keeps the rest.
// Only degenerate streams (long runs of the most likely choice at the very end) hit this;
// the flush alone never needs more than 6.
constexpr size_t kMaxPastEndBytes = 12;
constexpr size_t kDropAllZeros = ~size_t{0};

class RangeEncoder {
 public:
  RangeEncoder();

  // Codes the symbol occupying [cumFreq, cumFreq + freq) of totalFreq.
  // Requires 0 < freq, cumFreq + freq <= totalFreq <= kMaxTotalFreq (asserted in debug;
  // in release a violating call is ignored and sets hasError()).
  void encode(uint32_t cumFreq, uint32_t freq, uint32_t totalFreq);

  // Codes one bit; prob0 in [1, 65535] is P(bit == 0) in units of 1/65536
  // (values outside are clamped into that range).
  void encodeBit(uint32_t prob0, int bit);

  // Flushes the minimal tail and returns the whole payload (appended to *out).
  // The encoder must not be used afterwards (further calls are ignored).
  // maxDroppedZeros: how many trailing zero bytes may be dropped (see kMaxPastEndBytes).
  // A caller whose decoder never rejects a stream for reading past its end (because it
  // knows how many symbols to decode) may pass kDropAllZeros for the shortest output.
  void finish(std::vector<uint8_t>* out, size_t maxDroppedZeros = kMaxPastEndBytes);

  // Bytes emitted so far (excluding the up-to-6 bytes still held in the window).
  size_t bytesEmitted() const { return bytes_.size() + pendingFF_ + (hasCache_ ? 1 : 0); }

  // True when a call violated the preconditions above (caller bug).
  bool hasError() const { return error_; }

 private:
  void shiftLow();
  void normalize();

  uint64_t low_;          // 48-bit window, bit 48 = carry
  uint64_t range_;        // in [2^40, 2^48) between calls
  uint8_t cache_ = 0;     // last byte not yet written (a carry may still reach it)
  bool hasCache_ = false; // false until the first byte leaves the window
  uint64_t pendingFF_ = 0;  // 0xFF bytes after cache_ that a carry would turn into 0x00
  bool finished_ = false;
  bool error_ = false;
  std::vector<uint8_t> bytes_;
};

class RangeDecoder {
 public:
  // Decodes from data[0, size); the bytes are not copied and must outlive the decoder.
  RangeDecoder(const uint8_t* data, size_t size);

  // Returns the cumulative frequency value in [0, totalFreq) of the next symbol; the
  // caller maps it to the symbol whose [cumFreq, cumFreq + freq) contains it and then
  // calls consume() with that symbol. Requires 0 < totalFreq <= kMaxTotalFreq.
  uint32_t decodeFreq(uint32_t totalFreq);

  // Removes the symbol [cumFreq, cumFreq + freq) of totalFreq found via decodeFreq.
  // A symbol that does not contain the decoded value is a caller bug: it sets
  // hasError() and the decoder clamps its state so it stays safe to use.
  void consume(uint32_t cumFreq, uint32_t freq, uint32_t totalFreq);

  // Decodes one bit coded with encodeBit(prob0, bit).
  int decodeBit(uint32_t prob0);

  // Bytes read beyond the end of the input (each read as 0). A valid stream decoded to its
  // end reads at most kMaxPastEndBytes past the end.
  size_t bytesReadPastEnd() const { return pastEnd_; }

  // Bytes of the input read so far. After decoding a valid stream to its last symbol,
  // every byte has been read: a smaller count means trailing garbage.
  size_t bytesConsumed() const { return pos_; }

  // True when the input started with a window no encoder produces (six 0xFF bytes) or
  // the caller consumed a symbol that does not contain the decoded value. Decoding stays
  // memory-safe and bounded either way; this is only a corruption hint.
  bool hasError() const { return error_; }

 private:
  uint8_t nextByte();
  void normalize();

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t pastEnd_ = 0;
  uint64_t code_ = 0;   // code value minus low, always < range_
  uint64_t range_;
  uint64_t step_ = 1;   // range_ / totalFreq of the pending decodeFreq
  bool error_ = false;
};

}  // namespace kolmo
