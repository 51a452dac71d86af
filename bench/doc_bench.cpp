// doc_bench: LM payload version 1 vs version 2 (the in-document model, src/doc_model.h) on a real
// model's logits, without running the model: the logits come from bench/dump_logits.mjs dumps
// (one per category), so every mixer experiment reuses one model run.
//
//   node bench/dump_logits.mjs DUMP COUNTS FILE...       (once per category)
//   doc_bench --counts COUNTS [--eps 1e-4] [--version 2|3] [--verify] [--set name=value ...] [--json OUT]
//             CATEGORY=DUMP ...
//
// A dump holds the steps of its files in order; each file's steps end with EOT, which is how
// the texts are told apart. Prints per category the payload bytes of both versions (each text
// coded alone, as a link would be) and the change; --verify decodes every v2 payload with the
// same logits and checks the tokens; --set changes a DocModelParams field (for tuning; the
// defaults are the format); --version 3 codes the mixed column as LM payload 3 (span headers)
// instead of 2; --json writes the per-text sizes. Timing: µs per token of the
// version-2 encoder, the doc model's share included.
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <vector>

#include "cm_codec.h"
#include "session.h"

using namespace kolmo;

namespace {

struct Dump {
  std::string category;
  std::vector<std::string> files;  // the dump's texts, in order (optional: for cm and auto links)
  uint32_t vocab = 0;
  uint32_t steps = 0;
  const uint8_t* data = nullptr;  // past the header
  const uint32_t* token(size_t step) const {
    return reinterpret_cast<const uint32_t*>(data + step * (4 + 4 * size_t{vocab}));
  }
  const float* logits(size_t step) const {
    return reinterpret_cast<const float*>(data + step * (4 + 4 * size_t{vocab}) + 4);
  }
};

bool mapDump(const std::string& path, Dump* dump) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < 8) return false;
  void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return false;
  const uint32_t* head = static_cast<const uint32_t*>(p);
  dump->vocab = head[0];
  dump->steps = head[1];
  dump->data = static_cast<const uint8_t*>(p) + 8;
  return static_cast<uint64_t>(st.st_size) == 8 + uint64_t{dump->steps} * (4 + 4 * uint64_t{dump->vocab});
}

bool setParam(DocModelParams* p, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos) return false;
  const std::string name = assignment.substr(0, eq);
  const long v = std::strtol(assignment.c_str() + eq + 1, nullptr, 10);
  struct Field { const char* name; int32_t* field; };
  const Field fields[] = {
      {"lmWeight", &p->lmWeight}, {"contextWeight", &p->contextWeight}, {"matchWeight", &p->matchWeight},
      {"mixerRate", &p->mixerRate}, {"mixerWarmRate", &p->mixerWarmRate}, {"warmTokens", &p->warmTokens},
      {"apmRate", &p->apmRate}, {"stateLimit", &p->stateLimit}, {"matchMinTokens", &p->matchMinTokens},
  };
  for (const Field& f : fields) {
    if (name == f.name) {
      *f.field = static_cast<int32_t>(v);
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string countsPath, jsonPath;
  double epsilon = 1e-4;
  bool verify = false;
  DocModelParams params;
  int mixedVersion = kLmPayloadV2;
  std::vector<Dump> dumps;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--counts" && i + 1 < argc) {
      countsPath = argv[++i];
    } else if (a == "--eps" && i + 1 < argc) {
      epsilon = std::atof(argv[++i]);
    } else if (a == "--version" && i + 1 < argc) {
      mixedVersion = std::atoi(argv[++i]);
      if (mixedVersion != kLmPayloadV2 && mixedVersion != kLmPayloadV3) {
        std::fprintf(stderr, "doc_bench: --version takes 2 or 3\n");
        return 2;
      }
    } else if (a == "--verify") {
      verify = true;
    } else if (a == "--json" && i + 1 < argc) {
      jsonPath = argv[++i];
    } else if (a == "--set" && i + 1 < argc) {
      if (!setParam(&params, argv[++i])) {
        std::fprintf(stderr, "doc_bench: unknown parameter %s\n", argv[i]);
        return 2;
      }
    } else if (a.find('=') != std::string::npos) {
      Dump d;
      d.category = a.substr(0, a.find('='));
      std::string path = a.substr(a.find('=') + 1);
      if (path.find(':') != std::string::npos) {
        std::FILE* list = std::fopen(path.substr(path.find(':') + 1).c_str(), "r");
        char line[4096];
        while (list != nullptr && std::fgets(line, sizeof line, list) != nullptr) {
          std::string name = line;
          while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
          if (!name.empty()) d.files.push_back(name);
        }
        if (list != nullptr) std::fclose(list);
        path = path.substr(0, path.find(':'));
      }
      if (!mapDump(path, &d)) {
        std::fprintf(stderr, "doc_bench: cannot read dump %s\n", a.c_str());
        return 2;
      }
      dumps.push_back(d);
    } else {
      std::fprintf(stderr, "usage: doc_bench --counts COUNTS [--eps E] [--verify] [--set k=v] [--json OUT] CAT=DUMP...\n");
      return 2;
    }
  }
  if (countsPath.empty() || dumps.empty()) {
    std::fprintf(stderr, "doc_bench: --counts and at least one CAT=DUMP are needed\n");
    return 2;
  }
  const uint32_t vocab = dumps[0].vocab;
  std::vector<uint64_t> counts(vocab);
  std::FILE* cf = std::fopen(countsPath.c_str(), "rb");
  if (cf == nullptr || std::fread(counts.data(), sizeof(uint64_t), vocab, cf) != vocab) {
    std::fprintf(stderr, "doc_bench: cannot read counts\n");
    return 2;
  }
  std::fclose(cf);
  TokenTree tree;
  if (TokenTree::build(counts, vocab, &tree) != Status::kOk) return 2;
  const uint32_t eot = vocab - 1;

  std::FILE* json = jsonPath.empty() ? nullptr : std::fopen(jsonPath.c_str(), "w");
  if (json) std::fprintf(json, "[\n");
  bool firstJson = true;
  std::printf("%-10s %5s %7s %9s %9s %8s %8s %9s %9s %9s %8s\n", "category", "texts", "tokens", "v1 bytes",
              "v2 bytes", "change", "us/tok", "cm link", "auto old", "auto new", "change");
  uint64_t all1 = 0, all2 = 0, allTokens = 0;
  double allSeconds = 0;
  bool allDecoded = true;
  for (const Dump& d : dumps) {
    uint64_t sum1 = 0, sum2 = 0, sumCm = 0, sumOld = 0, sumNew = 0;
    int texts = 0;
    double seconds = 0;
    for (size_t begin = 0; begin < d.steps;) {
      size_t end = begin;
      while (end < d.steps && *d.token(end) != eot) ++end;
      if (end == d.steps) break;
      const size_t n = end - begin + 1;
      std::vector<uint32_t> tokens(n);
      for (size_t s = 0; s < n; ++s) tokens[s] = *d.token(begin + s);
      std::vector<uint8_t> p1, p2;
      RoundingConfig c1;
      c1.epsilon = epsilon;
      EncoderSession e1(tree, eot, c1);
      for (size_t s = 0; s < n; ++s) e1.encodeStep(d.logits(begin + s), vocab, tokens[s]);
      e1.finish(&p1);
      RoundingConfig c2 = c1;
      c2.payloadVersion = mixedVersion;
      c2.tokenCount = n;
      c2.docModel = params;
      const auto t0 = std::chrono::steady_clock::now();
      EncoderSession e2(tree, eot, c2);
      for (size_t s = 0; s < n; ++s) e2.encodeStep(d.logits(begin + s), vocab, tokens[s]);
      e2.finish(&p2);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (verify) {
        DecodeLimits limits;
        limits.maxTokens = kMaxTokensHardLimit;
        DecoderSession dec(tree, eot, p2.data(), p2.size(), limits, GridSpec(), mixedVersion, params);
        bool ok = dec.status() == Status::kOk;
        for (size_t s = 0; ok && s < n; ++s) {
          uint32_t t = 0;
          ok = dec.decodeStep(d.logits(begin + s), vocab, &t) == Status::kOk && t == tokens[s];
        }
        ok = ok && dec.done();
        if (!ok) {
          allDecoded = false;
          std::fprintf(stderr, "doc_bench: %s text %d did not decode\n", d.category.c_str(), texts);
        }
      }
      if (json) {
        std::fprintf(json, "%s {\"category\": \"%s\", \"index\": %d, \"tokens\": %zu, \"v1\": %zu, \"v2\": %zu}",
                     firstJson ? "" : ",\n", d.category.c_str(), texts, n, p1.size(), p2.size());
        firstJson = false;
      }
      sum1 += p1.size();
      sum2 += p2.size();
      if (static_cast<size_t>(texts) < d.files.size()) {
        // Links as packBest makes them: the smallest of stored, cm and lm, plus 3 bytes.
        std::vector<uint8_t> text, cm;
        std::FILE* tf = std::fopen(d.files[texts].c_str(), "rb");
        int c;
        while (tf != nullptr && (c = std::fgetc(tf)) != EOF) text.push_back(static_cast<uint8_t>(c));
        if (tf != nullptr) std::fclose(tf);
        cmEncode(text.data(), text.size(), &cm);
        const size_t fallback = std::min(text.size(), cm.size());
        sumCm += cm.size() + 3;
        sumOld += std::min(fallback, p1.size()) + 3;
        sumNew += std::min(fallback, p2.size()) + 3;
      }
      ++texts;
      begin = end + 1;
    }
    std::printf("%-10s %5d %7u %9llu %9llu %+7.2f%% %8.2f", d.category.c_str(), texts, d.steps,
                static_cast<unsigned long long>(sum1), static_cast<unsigned long long>(sum2),
                100.0 * (static_cast<double>(sum2) / static_cast<double>(sum1) - 1), 1e6 * seconds / d.steps);
    if (sumOld > 0) {
      std::printf(" %9llu %9llu %9llu %+7.2f%%", static_cast<unsigned long long>(sumCm),
                  static_cast<unsigned long long>(sumOld), static_cast<unsigned long long>(sumNew),
                  100.0 * (static_cast<double>(sumNew) / static_cast<double>(sumOld) - 1));
    }
    std::printf("\n");
    all1 += sum1;
    all2 += sum2;
    allTokens += d.steps;
    allSeconds += seconds;
  }
  std::printf("%-10s %5s %7llu %9llu %9llu %+7.2f%% %8.2f\n", "all", "", static_cast<unsigned long long>(allTokens),
              static_cast<unsigned long long>(all1), static_cast<unsigned long long>(all2),
              100.0 * (static_cast<double>(all2) / static_cast<double>(all1) - 1), 1e6 * allSeconds / allTokens);
  if (verify) std::printf("v2 decode: %s\n", allDecoded ? "every text exact" : "FAILED");
  if (json) {
    std::fprintf(json, "\n]\n");
    std::fclose(json);
  }
  return allDecoded ? 0 : 1;
}
