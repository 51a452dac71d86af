// Byte-level BPE tokenizer runtime over the vocabulary shipped in models/<id>/tokenizer.kbpe.
//
// Ids 0..255 are the 256 byte values, ids 256..256+M-1 are merges in rank order (a merge's id is
// 256 + its rank), and the last id is <|endoftext|> (EOT; also used as BOS). encode() splits the
// input with the pretokenizer, then inside each pretoken repeatedly applies the lowest-rank merge
// (leftmost first), as Hugging Face's BPE does; any byte sequence, invalid UTF-8 included, maps to
// ids and back. The file also carries per-token corpus counts that the rounding layer's token tree
// is built from, so the tree is fixed by the model files.
//
// File format (text, '\n' line ends):
//   kolmo-bpe 1
//   vocab_size <V>
//   merges <M>                     (M = V - 257)
//   <left> <right>                 M lines, in rank order
//   counts <V>
//   <count>                        V lines, one per token id
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

class Tokenizer {
 public:
  // Parses a tokenizer file. On error *out is left unchanged.
  static Status parse(const uint8_t* data, size_t size, Tokenizer* out);
  // Builds a tokenizer from merges (pairs of ids, in rank order) and per-token counts (V values,
  // or empty for all ones). Used by the trainer.
  static Status fromMerges(const std::vector<std::pair<uint32_t, uint32_t>>& merges,
                           const std::vector<uint64_t>& counts, Tokenizer* out);

  // Appends the ids of `bytes` to *ids. Never fails on content; kLengthOverLimit above 2^31 bytes.
  Status encode(const uint8_t* bytes, size_t size, std::vector<uint32_t>* ids) const;
  // Appends the bytes of `ids` to *bytes. kBadArgument on an id >= vocabSize() or on EOT.
  Status decode(const uint32_t* ids, size_t count, std::vector<uint8_t>* bytes) const;

  // The file text of this tokenizer (parse(serialize()) gives an equal tokenizer).
  std::string serialize() const;

  size_t vocabSize() const { return tokenBytes_.size() + 1; }
  uint32_t eotId() const { return static_cast<uint32_t>(tokenBytes_.size()); }
  const std::vector<uint64_t>& tokenCounts() const { return counts_; }
  const std::vector<std::pair<uint32_t, uint32_t>>& merges() const { return merges_; }
  // Bytes of a (non-EOT) token.
  const std::string& tokenBytes(uint32_t id) const { return tokenBytes_[id]; }

 private:
  void encodePretoken(const uint8_t* bytes, size_t size, std::vector<uint32_t>* ids) const;

  std::vector<std::pair<uint32_t, uint32_t>> merges_;
  std::vector<std::string> tokenBytes_;                 // per id except EOT
  std::unordered_map<uint64_t, uint32_t> mergeRank_;    // (left << 32 | right) -> rank
  std::vector<uint64_t> counts_;                        // per id, EOT included
};

}  // namespace kolmo
