// kolmo_bpe — trains the byte-level BPE vocabulary and tokenizes corpus shards for training.
//
//   kolmo_bpe train  --vocab V --out tokenizer.kbpe INPUT...
//   kolmo_bpe encode --tokenizer tokenizer.kbpe --out ids.u16 INPUT...
//
// INPUT files hold documents separated by NUL bytes. `train` learns V-257 merges over the
// pretokens of all inputs (the most frequent adjacent pair first; ties to the smaller pair of
// ids), then tokenizes the inputs with the runtime tokenizer to record per-token counts (EOT
// counted once per document), which fix the rounding layer's token tree. `encode` writes one
// little-endian uint16 per token: EOT, then the document's tokens, for every document.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pretokenizer.h"
#include "kolmo/tokenizer.h"

namespace {

using kolmo::Status;

bool readFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

template <typename F>
void forEachDocument(const std::string& text, F&& f) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) f(reinterpret_cast<const uint8_t*>(text.data()) + start, end - start);
    start = end + 1;
  }
}

uint64_t pairKey(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

int train(size_t vocab, const std::string& outPath, const std::vector<std::string>& inputs) {
  if (vocab < 258) {
    std::cerr << "kolmo_bpe: --vocab must be >= 258\n";
    return 2;
  }
  // 1. Unique pretokens with their counts.
  std::unordered_map<std::string, uint64_t> wordCounts;
  std::vector<std::string> texts;
  for (const auto& path : inputs) {
    std::string text;
    if (!readFile(path, &text)) {
      std::cerr << "kolmo_bpe: cannot read " << path << "\n";
      return 1;
    }
    forEachDocument(text, [&](const uint8_t* d, size_t n) {
      for (size_t pos = 0; pos < n;) {
        const size_t end = kolmo::nextPretokenEnd(d, n, pos);
        ++wordCounts[std::string(reinterpret_cast<const char*>(d + pos), end - pos)];
        pos = end;
      }
    });
    texts.push_back(std::move(text));
  }
  std::vector<std::vector<uint32_t>> words;
  std::vector<uint64_t> counts;
  words.reserve(wordCounts.size());
  for (auto& [w, c] : wordCounts) {
    if (w.size() < 2) continue;
    words.emplace_back(w.begin(), w.end());
    for (auto& s : words.back()) s &= 0xFF;
    counts.push_back(c);
  }
  std::cerr << "kolmo_bpe: " << wordCounts.size() << " unique pretokens\n";
  wordCounts.clear();

  // 2. Pair counts and where each pair occurs; a lazy max-heap of (count, pair).
  std::unordered_map<uint64_t, int64_t> pairCount;
  std::unordered_map<uint64_t, std::vector<uint32_t>> pairWords;
  for (uint32_t w = 0; w < words.size(); ++w) {
    const auto& s = words[w];
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const uint64_t k = pairKey(s[i], s[i + 1]);
      pairCount[k] += static_cast<int64_t>(counts[w]);
      pairWords[k].push_back(w);
    }
  }
  struct Entry {
    int64_t count;
    uint64_t key;
    bool operator<(const Entry& o) const {  // max count first, then smallest key
      return count != o.count ? count < o.count : key > o.key;
    }
  };
  std::priority_queue<Entry> heap;
  for (const auto& [k, c] : pairCount) heap.push({c, k});

  std::vector<std::pair<uint32_t, uint32_t>> merges;
  const size_t numMerges = vocab - 257;
  while (merges.size() < numMerges && !heap.empty()) {
    const Entry top = heap.top();
    heap.pop();
    const auto it = pairCount.find(top.key);
    const int64_t current = it == pairCount.end() ? 0 : it->second;
    if (current != top.count) {
      if (current > 0) heap.push({current, top.key});
      continue;
    }
    if (current <= 0) break;
    const uint32_t a = static_cast<uint32_t>(top.key >> 32), b = static_cast<uint32_t>(top.key);
    const uint32_t id = static_cast<uint32_t>(256 + merges.size());
    merges.emplace_back(a, b);
    std::vector<uint32_t> where = std::move(pairWords[top.key]);
    pairWords.erase(top.key);
    pairCount.erase(top.key);
    std::unordered_set<uint64_t> touched;
    uint32_t lastWord = ~0u;
    for (uint32_t w : where) {
      if (w == lastWord) continue;  // duplicates are adjacent: indices are appended in order
      lastWord = w;
      auto& s = words[w];
      const int64_t c = static_cast<int64_t>(counts[w]);
      std::vector<uint32_t> merged;
      merged.reserve(s.size());
      bool changed = false;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          merged.push_back(id);
          ++i;
          changed = true;
        } else {
          merged.push_back(s[i]);
        }
      }
      if (!changed) continue;
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        const uint64_t k = pairKey(s[i], s[i + 1]);
        if (k == top.key) continue;
        pairCount[k] -= c;
        touched.insert(k);
      }
      for (size_t i = 0; i + 1 < merged.size(); ++i) {
        const uint64_t k = pairKey(merged[i], merged[i + 1]);
        pairCount[k] += c;
        touched.insert(k);
        auto& list = pairWords[k];
        if (list.empty() || list.back() != w) list.push_back(w);
      }
      s = std::move(merged);
    }
    for (uint64_t k : touched) {
      const auto jt = pairCount.find(k);
      if (jt != pairCount.end() && jt->second > 0) heap.push({jt->second, k});
    }
    if (merges.size() % 500 == 0) std::cerr << "kolmo_bpe: " << merges.size() << " merges\n";
  }
  if (merges.size() < numMerges) {
    std::cerr << "kolmo_bpe: input too small: only " << merges.size() << " merges possible\n";
    return 1;
  }

  // 3. Token counts with the runtime tokenizer (what the model will actually see).
  kolmo::Tokenizer tok;
  if (kolmo::Tokenizer::fromMerges(merges, {}, &tok) != Status::kOk) return 1;
  std::vector<uint64_t> tokenCounts(tok.vocabSize(), 1);
  std::vector<uint32_t> ids;
  for (const auto& text : texts) {
    forEachDocument(text, [&](const uint8_t* d, size_t n) {
      ids.clear();
      tok.encode(d, n, &ids);
      for (uint32_t id : ids) ++tokenCounts[id];
      ++tokenCounts[tok.eotId()];
    });
  }
  if (kolmo::Tokenizer::fromMerges(merges, tokenCounts, &tok) != Status::kOk) return 1;
  std::ofstream out(outPath, std::ios::binary);
  out << tok.serialize();
  if (!out) {
    std::cerr << "kolmo_bpe: cannot write " << outPath << "\n";
    return 1;
  }
  return 0;
}

int encode(const std::string& tokPath, const std::string& outPath,
           const std::vector<std::string>& inputs) {
  std::string file;
  kolmo::Tokenizer tok;
  if (!readFile(tokPath, &file) ||
      kolmo::Tokenizer::parse(reinterpret_cast<const uint8_t*>(file.data()), file.size(), &tok) !=
          Status::kOk) {
    std::cerr << "kolmo_bpe: cannot load tokenizer " << tokPath << "\n";
    return 1;
  }
  if (tok.vocabSize() > 65536) {
    std::cerr << "kolmo_bpe: vocabulary too big for uint16 shards\n";
    return 1;
  }
  std::ofstream out(outPath, std::ios::binary);
  std::vector<uint32_t> ids;
  uint64_t numTokens = 0, numBytes = 0;
  for (const auto& path : inputs) {
    std::string text;
    if (!readFile(path, &text)) {
      std::cerr << "kolmo_bpe: cannot read " << path << "\n";
      return 1;
    }
    forEachDocument(text, [&](const uint8_t* d, size_t n) {
      ids.clear();
      ids.push_back(tok.eotId());
      tok.encode(d, n, &ids);
      std::vector<uint8_t> buf(ids.size() * 2);
      for (size_t i = 0; i < ids.size(); ++i) {
        buf[2 * i] = static_cast<uint8_t>(ids[i]);
        buf[2 * i + 1] = static_cast<uint8_t>(ids[i] >> 8);
      }
      out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
      numTokens += ids.size() - 1;
      numBytes += n;
    });
  }
  std::cerr << "kolmo_bpe: " << numBytes << " bytes -> " << numTokens << " tokens ("
            << (numTokens ? static_cast<double>(numBytes) / static_cast<double>(numTokens) : 0.0)
            << " bytes/token)\n";
  return out ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: kolmo_bpe train --vocab V --out FILE INPUT... | encode --tokenizer FILE "
                 "--out FILE INPUT...\n";
    return 2;
  }
  const std::string cmd = argv[1];
  std::string out, tokPath;
  size_t vocab = 8192;
  std::vector<std::string> inputs;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) out = argv[++i];
    else if (a == "--vocab" && i + 1 < argc) vocab = std::stoul(argv[++i]);
    else if (a == "--tokenizer" && i + 1 < argc) tokPath = argv[++i];
    else inputs.push_back(a);
  }
  if (out.empty() || inputs.empty()) {
    std::cerr << "kolmo_bpe: --out and at least one INPUT are required\n";
    return 2;
  }
  if (cmd == "train") return train(vocab, out, inputs);
  if (cmd == "encode" && !tokPath.empty()) return encode(tokPath, out, inputs);
  std::cerr << "kolmo_bpe: unknown command or missing --tokenizer\n";
  return 2;
}
