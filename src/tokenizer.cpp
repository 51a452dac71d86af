// Byte-level BPE runtime; see tokenizer.h for the algorithm and the file format.
#include "kolmo/tokenizer.h"

#include <cstring>
#include <queue>

#include "pretokenizer.h"

namespace kolmo {
namespace {

uint64_t pairKey(uint32_t left, uint32_t right) { return (uint64_t{left} << 32) | right; }

// Minimal line reader over a byte buffer: no locale, no exceptions.
class LineReader {
 public:
  LineReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool next(std::string* line) {
    if (pos_ >= size_) return false;
    const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
    const size_t end = nl ? static_cast<size_t>(static_cast<const uint8_t*>(nl) - data_) : size_;
    line->assign(reinterpret_cast<const char*>(data_ + pos_), end - pos_);
    pos_ = end + 1;
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Parses "<keyword> <number>" or "<number>" / "<number> <number>" lines strictly.
bool parseUint(const char*& p, uint64_t* value) {
  if (*p < '0' || *p > '9') return false;
  uint64_t v = 0;
  while (*p >= '0' && *p <= '9') {
    if (v > (~uint64_t{0} - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(*p - '0');
    ++p;
  }
  *value = v;
  return true;
}

bool parseKeyword(const std::string& line, const char* keyword, uint64_t* value) {
  const size_t n = std::strlen(keyword);
  if (line.compare(0, n, keyword) != 0 || line.size() <= n || line[n] != ' ') return false;
  const char* p = line.c_str() + n + 1;
  return parseUint(p, value) && *p == '\0';
}

constexpr uint64_t kMaxVocab = 1u << 20;

}  // namespace

Status Tokenizer::fromMerges(const std::vector<std::pair<uint32_t, uint32_t>>& merges,
                             const std::vector<uint64_t>& counts, Tokenizer* out) {
  const size_t vocab = 256 + merges.size() + 1;
  if (vocab > kMaxVocab) return Status::kBadTokenizer;
  if (!counts.empty() && counts.size() != vocab) return Status::kBadTokenizer;
  Tokenizer t;
  t.merges_ = merges;
  t.tokenBytes_.reserve(256 + merges.size());
  for (int b = 0; b < 256; ++b) t.tokenBytes_.emplace_back(1, static_cast<char>(b));
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const uint32_t id = static_cast<uint32_t>(256 + rank);
    const auto [left, right] = merges[rank];
    if (left >= id || right >= id) return Status::kBadTokenizer;  // must refer to earlier ids
    if (!t.mergeRank_.emplace(pairKey(left, right), static_cast<uint32_t>(rank)).second)
      return Status::kBadTokenizer;  // duplicate merge
    t.tokenBytes_.push_back(t.tokenBytes_[left] + t.tokenBytes_[right]);
  }
  t.counts_ = counts.empty() ? std::vector<uint64_t>(vocab, 1) : counts;
  *out = std::move(t);
  return Status::kOk;
}

Status Tokenizer::parse(const uint8_t* data, size_t size, Tokenizer* out) {
  LineReader reader(data, size);
  std::string line;
  uint64_t vocab = 0, numMerges = 0, numCounts = 0;
  if (!reader.next(&line) || line != "kolmo-bpe 1") return Status::kBadTokenizer;
  if (!reader.next(&line) || !parseKeyword(line, "vocab_size", &vocab)) return Status::kBadTokenizer;
  if (vocab < 257 || vocab > kMaxVocab) return Status::kBadTokenizer;
  if (!reader.next(&line) || !parseKeyword(line, "merges", &numMerges)) return Status::kBadTokenizer;
  if (numMerges != vocab - 257) return Status::kBadTokenizer;
  std::vector<std::pair<uint32_t, uint32_t>> merges;
  merges.reserve(numMerges);
  for (uint64_t i = 0; i < numMerges; ++i) {
    uint64_t left, right;
    if (!reader.next(&line)) return Status::kBadTokenizer;
    const char* p = line.c_str();
    if (!parseUint(p, &left) || *p++ != ' ' || !parseUint(p, &right) || *p != '\0')
      return Status::kBadTokenizer;
    if (left >= vocab || right >= vocab) return Status::kBadTokenizer;
    merges.emplace_back(static_cast<uint32_t>(left), static_cast<uint32_t>(right));
  }
  if (!reader.next(&line) || !parseKeyword(line, "counts", &numCounts) || numCounts != vocab)
    return Status::kBadTokenizer;
  std::vector<uint64_t> counts(vocab);
  for (uint64_t i = 0; i < vocab; ++i) {
    if (!reader.next(&line)) return Status::kBadTokenizer;
    const char* p = line.c_str();
    if (!parseUint(p, &counts[i]) || *p != '\0') return Status::kBadTokenizer;
  }
  while (reader.next(&line)) {
    if (!line.empty()) return Status::kBadTokenizer;  // trailing garbage
  }
  return fromMerges(merges, counts, out);
}

std::string Tokenizer::serialize() const {
  std::string s = "kolmo-bpe 1\nvocab_size " + std::to_string(vocabSize()) + "\nmerges " +
                  std::to_string(merges_.size()) + "\n";
  for (const auto& [left, right] : merges_)
    s += std::to_string(left) + " " + std::to_string(right) + "\n";
  s += "counts " + std::to_string(counts_.size()) + "\n";
  for (uint64_t c : counts_) s += std::to_string(c) + "\n";
  return s;
}

void Tokenizer::encodePretoken(const uint8_t* bytes, size_t size, std::vector<uint32_t>* ids) const {
  // Symbols form a doubly linked list; a min-heap of candidate pairs ordered by (rank, position)
  // gives "lowest rank first, leftmost first" in O(n log n). Heap entries go stale when a
  // neighbour merges; they carry the ids they expect and are skipped when those changed.
  struct Symbol {
    uint32_t id;
    int32_t prev, next;
  };
  struct Candidate {
    uint32_t rank;
    int32_t pos;
    uint32_t left, right;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::vector<Symbol> sym(size);
  for (size_t i = 0; i < size; ++i)
    sym[i] = {bytes[i], static_cast<int32_t>(i) - 1,
              i + 1 < size ? static_cast<int32_t>(i + 1) : -1};
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  auto pushPair = [&](int32_t pos) {
    if (pos < 0 || sym[pos].next < 0) return;
    const uint32_t l = sym[pos].id, r = sym[sym[pos].next].id;
    const auto it = mergeRank_.find(pairKey(l, r));
    if (it != mergeRank_.end()) heap.push({it->second, pos, l, r});
  };
  for (size_t i = 0; i + 1 < size; ++i) pushPair(static_cast<int32_t>(i));
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Symbol& s = sym[c.pos];
    if (s.id != c.left || s.next < 0 || sym[s.next].id != c.right) continue;  // stale
    const int32_t dead = s.next;
    s.id = 256 + c.rank;
    s.next = sym[dead].next;
    if (s.next >= 0) sym[s.next].prev = c.pos;
    sym[dead].id = ~0u;  // removed: never matches a candidate again
    pushPair(s.prev);
    pushPair(c.pos);
  }
  for (int32_t i = 0; i >= 0 && i < static_cast<int32_t>(size); i = sym[i].next)
    ids->push_back(sym[i].id);
}

Status Tokenizer::encode(const uint8_t* bytes, size_t size, std::vector<uint32_t>* ids) const {
  if (size > (size_t{1} << 31)) return Status::kLengthOverLimit;
  // Short pretokens repeat a lot in real text (words); caching them makes big inputs fast.
  std::unordered_map<std::string, std::vector<uint32_t>> cache;
  std::vector<uint32_t> piece;
  for (size_t pos = 0; pos < size;) {
    const size_t end = nextPretokenEnd(bytes, size, pos);
    const size_t len = end - pos;
    if (len <= 24) {
      std::string key(reinterpret_cast<const char*>(bytes + pos), len);
      auto it = cache.find(key);
      if (it == cache.end()) {
        piece.clear();
        encodePretoken(bytes + pos, len, &piece);
        it = cache.emplace(std::move(key), piece).first;
      }
      ids->insert(ids->end(), it->second.begin(), it->second.end());
    } else {
      encodePretoken(bytes + pos, len, ids);
    }
    pos = end;
  }
  return Status::kOk;
}

Status Tokenizer::decode(const uint32_t* ids, size_t count, std::vector<uint8_t>* bytes) const {
  for (size_t i = 0; i < count; ++i) {
    if (ids[i] >= tokenBytes_.size()) return Status::kBadArgument;  // out of range or EOT
    const std::string& b = tokenBytes_[ids[i]];
    bytes->insert(bytes->end(), b.begin(), b.end());
  }
  return Status::kOk;
}

}  // namespace kolmo
