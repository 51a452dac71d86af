// coder_bench — what the range coder and the rounding layer cost, in bits and in time.
//
// Sections (see bench/README.md for how to read them):
//   1. range coder: coded size vs sum(-log2(f/total)) for several distributions
//      (target <= 0.01 bit/symbol and <= 4 bytes/stream);
//   2. speed of the per-step evaluator and of encode/decode steps at V = 8192;
//   3. rounding-layer cost on the synthetic model (tests/synthetic_model.h), plain and sharpened: ideal bits,
//      coded bits, overhead %, fragile and escape rates at eps = 1e-4, 3e-4, 1e-3;
//   4. grid sweep (the measurement behind the GridSpec defaults);
//   5. flag prior on short texts (behind kFragileFlagPrior);
//   6. with --dump FILE: sections 3 and 4 on a logits dump from a real model.
//
// Usage: coder_bench [--dump FILE [--dump-only]] [--counts FILE] [--max-steps N] [--synthetic-texts N]
// Dump format (little-endian): uint32 vocab, uint32 numSteps, then per step uint32 token
// followed by vocab float32 logits (the logits the model produced for predicting that token).
// Counts file: vocab uint64 unigram counts for the tree; without it the tree is built from the
// dump's own tokens (+1 each), which is slightly optimistic for the tree shape only.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "det_math.h"
#include "range_coder.h"
#include "rounding.h"
#include "session.h"
#include "synthetic_model.h"

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---- 1. range coder ----

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
  std::printf("== 1. range coder: coded size vs ideal (N symbols drawn from each distribution)\n");
  std::printf("%-40s %9s %12s %12s %14s %10s\n", "distribution", "N", "ideal bytes", "coded bytes",
              "bits/sym over", "Msym/s enc");
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
      const auto start = Clock::now();
      kolmo::RangeEncoder encoder;
      for (uint32_t s : symbols) encoder.encode(cum[s], d.freq[s], total);
      std::vector<uint8_t> out;
      encoder.finish(&out);
      const double seconds = secondsSince(start);
      std::printf("%-40s %9zu %12.1f %12zu %14.6f %10.1f\n", d.name.c_str(), n, ideal / 8, out.size(),
                  (out.size() * 8.0 - ideal) / n, n / seconds / 1e6);
    }
  }
  double sumOver = 0, maxOver = -1e9;
  for (int t = 0; t < 10000; ++t) {
    kolmo::RangeEncoder encoder;
    for (int i = 0; i < 20; ++i) encoder.encode(static_cast<uint32_t>(rng() % 256), 1, 256);
    std::vector<uint8_t> out;
    encoder.finish(&out);
    sumOver += static_cast<double>(out.size()) - 20.0;
    maxOver = std::max(maxOver, static_cast<double>(out.size()) - 20.0);
  }
  std::printf("per-stream overhead, 10000 streams of 20 random bytes: mean %.3f bytes, max %.0f bytes\n\n",
              sumOver / 10000, maxOver);
}

// ---- step sources: the synthetic model or a dump ----

// Calls visit(token, logits) for each step; returns false on a read error.
using StepVisitor = std::function<void(uint32_t token, const std::vector<float>& logits)>;
using StepSource = std::function<bool(const StepVisitor&)>;

// Texts drawn from the synthetic model (logits optionally multiplied by `sharpen`), each
// followed by EOT: `numTexts` texts of `textLength` tokens. Tokens are sampled once (the
// expensive part) and kept; each pass regenerates the logits from the previous token.
StepSource syntheticSource(size_t vocab, float sharpen, size_t numTexts, size_t textLength, uint64_t seed) {
  auto tokens = std::make_shared<std::vector<uint32_t>>();
  const uint32_t eot = static_cast<uint32_t>(vocab - 1);
  auto logitsAfter = [vocab, sharpen](uint32_t prev) {
    std::vector<float> logits = kolmo_test::syntheticLogits(prev, vocab);
    for (auto& l : logits) l *= sharpen;
    return logits;
  };
  std::mt19937_64 rng(seed);
  for (size_t text = 0; text < numTexts; ++text) {
    uint32_t prev = eot;
    for (size_t i = 0; i < textLength; ++i) {
      const std::vector<float> logits = logitsAfter(prev);
      uint32_t token;
      do token = kolmo_test::sampleToken(logits, rng);
      while (token == eot);
      tokens->push_back(token);
      prev = token;
    }
    tokens->push_back(eot);
  }
  return [=](const StepVisitor& visit) {
    uint32_t prev = eot;
    for (uint32_t token : *tokens) {
      visit(token, logitsAfter(prev));
      prev = token;
    }
    return true;
  };
}

struct DumpHeader {
  uint32_t vocab = 0;
  uint32_t numSteps = 0;
};

bool readDumpHeader(std::FILE* file, DumpHeader* header) {
  uint32_t words[2];
  if (std::fread(words, sizeof(uint32_t), 2, file) != 2) return false;
  header->vocab = words[0];
  header->numSteps = words[1];
  return header->vocab >= 2 && header->vocab <= kolmo::TokenTree::kMaxVocab;
}

StepSource dumpSource(const std::string& path, size_t maxSteps) {
  return [=](const StepVisitor& visit) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) return false;
    DumpHeader header;
    bool ok = readDumpHeader(file, &header);
    std::vector<float> logits(header.vocab);
    for (uint32_t step = 0; ok && step < header.numSteps && step < maxSteps; ++step) {
      uint32_t token;
      ok = std::fread(&token, sizeof token, 1, file) == 1 &&
           std::fread(logits.data(), sizeof(float), header.vocab, file) == header.vocab && token < header.vocab;
      if (ok) visit(token, logits);
    }
    std::fclose(file);
    return ok;
  };
}

// ---- simulation of the session's coding rule over many configurations at once ----

// Mirrors EncoderSession::encodeStep (same flags, same models, same probabilities) but only
// adds up -log2 of the coded probabilities, so one pass over the data can price many
// (grid, epsilon) pairs. Checked against a real EncoderSession in section 3.
struct SimulatedCoder {
  kolmo::Quantizer quantizer;
  double epsilon = 1e-4;
  kolmo::detail::AdaptiveBit fragileFlag{kolmo::detail::kFragileFlagPrior};
  kolmo::detail::AdaptiveBit escapeFlag{kolmo::detail::kEscapeFlagPrior};
  uint64_t steps = 0, fragile = 0, escapes = 0;
  double flagBits = 0, decisionBits = 0, escapeBits = 0;

  SimulatedCoder(const kolmo::GridSpec& grid, double eps, uint32_t fragilePrior = kolmo::detail::kFragileFlagPrior)
      : epsilon(eps), fragileFlag(fragilePrior) {
    if (kolmo::Quantizer::build(grid, &quantizer) != kolmo::Status::kOk) std::abort();
  }

  static double cost(uint32_t prob0, int bit) {
    return -std::log2((bit ? 65536.0 - prob0 : static_cast<double>(prob0)) / 65536.0);
  }
  void flag(kolmo::detail::AdaptiveBit* model, int bit) {
    flagBits += cost(model->prob0(), bit);
    model->update(bit);
  }
  void step(const kolmo::TokenTree& tree, const std::vector<kolmo::TokenTree::PathStep>& path,
            const std::vector<double>& logOdds, bool nearFloor) {
    auto robustOn = [&](int grid) {
      if (nearFloor) return false;
      for (double r : logOdds) {
        if (quantizer.isFragile(grid, r, epsilon)) return false;
      }
      return true;
    };
    int grid = 0;
    if (robustOn(0)) {
      flag(&fragileFlag, 0);
    } else {
      ++fragile;
      flag(&fragileFlag, 1);
      grid = robustOn(1) ? 1 : -1;
      flag(&escapeFlag, grid < 0);
    }
    for (size_t i = 0; i < path.size(); ++i) {
      const int bit = static_cast<int>(path[i].bit);
      if (grid < 0) {
        escapeBits += cost(tree.unigramProbLeft(path[i].node), bit);
      } else {
        decisionBits += cost(quantizer.probLeft(grid, quantizer.bin(grid, logOdds[i])), bit);
      }
    }
    escapes += grid < 0;
    ++steps;
  }
  double codedBits() const { return flagBits + decisionBits + escapeBits; }
};

// One pass over a source: evaluates each step once and feeds every simulated coder.
struct PassTotals {
  uint64_t steps = 0;
  double idealBits = 0;
  double meanDepth = 0;
};

PassTotals runSimulation(const kolmo::TokenTree& tree, const StepSource& source, std::vector<SimulatedCoder>* coders) {
  kolmo::StepEvaluator evaluator(tree);
  std::vector<kolmo::TokenTree::PathStep> path;
  std::vector<double> logOdds;
  PassTotals totals;
  const bool ok = source([&](uint32_t token, const std::vector<float>& logits) {
    if (evaluator.load(logits.data(), logits.size()) != kolmo::Status::kOk) {
      std::fprintf(stderr, "step %llu: bad logits\n", static_cast<unsigned long long>(totals.steps));
      std::exit(1);
    }
    tree.path(token, &path);
    logOdds.resize(path.size());
    bool nearFloor = false;
    for (size_t i = 0; i < path.size(); ++i) {
      logOdds[i] = evaluator.logOdds(path[i].node);
      nearFloor = nearFloor || evaluator.isNearFloor(path[i].node);
    }
    totals.idealBits -= evaluator.logProb(token) / kolmo::kDetLn2;
    totals.meanDepth += static_cast<double>(path.size());
    ++totals.steps;
    for (SimulatedCoder& coder : *coders) coder.step(tree, path, logOdds, nearFloor);
  });
  if (!ok) {
    std::fprintf(stderr, "error reading steps\n");
    std::exit(1);
  }
  if (totals.steps > 0) totals.meanDepth /= static_cast<double>(totals.steps);
  return totals;
}

// ---- 3. rounding-layer cost table ----

void printCostTable(const char* title, const kolmo::TokenTree& tree, const StepSource& source) {
  std::vector<SimulatedCoder> coders;
  const double epsilons[] = {1e-4, 3e-4, 1e-3};
  for (double eps : epsilons) coders.emplace_back(kolmo::GridSpec(), eps);
  const PassTotals totals = runSimulation(tree, source, &coders);
  const double n = static_cast<double>(totals.steps);
  const kolmo::GridSpec grid;
  std::printf("-- %s: %llu steps, ideal %.4f bits/token, mean path %.2f decisions\n"
              "   default grid: width %.2f (4pq)^-%.2f, max %g, tail limit %g\n",
              title, static_cast<unsigned long long>(totals.steps), totals.idealBits / n, totals.meanDepth,
              grid.centralWidth, grid.widthExponent, grid.maxWidth, grid.tailLimit);
  std::printf("%8s %12s %12s %10s %10s %10s %12s %12s\n", "eps", "ideal b/tok", "coded b/tok", "overhead", "fragile",
              "escape", "flag b/tok", "quant b/tok");
  for (const SimulatedCoder& c : coders) {
    std::printf("%8.0e %12.4f %12.4f %9.2f%% %9.3f%% %9.4f%% %12.4f %12.4f\n", c.epsilon, totals.idealBits / n,
                c.codedBits() / n, 100 * (c.codedBits() / totals.idealBits - 1), 100.0 * c.fragile / n,
                100.0 * c.escapes / n, c.flagBits / n, (c.decisionBits + c.escapeBits - totals.idealBits) / n);
  }
}

// Real sessions on the same steps (default config): payload bytes vs the simulated coded
// bits, and a decode of every payload. Two streaming passes (encode, then decode), one
// session per EOT-terminated text, so memory does not grow with the dump.
void checkAgainstSessions(const kolmo::TokenTree& tree, const StepSource& source, uint32_t eot) {
  std::vector<std::vector<uint8_t>> payloads;
  double coded = 0;
  size_t bytes = 0;
  {
    std::unique_ptr<kolmo::EncoderSession> encoder;
    source([&](uint32_t token, const std::vector<float>& logits) {
      if (!encoder) encoder = std::make_unique<kolmo::EncoderSession>(tree, eot);
      encoder->encodeStep(logits.data(), logits.size(), token);
      if (token != eot) return;
      payloads.emplace_back();
      encoder->finish(&payloads.back());
      coded += encoder->stats().codedBits;
      bytes += payloads.back().size();
      encoder.reset();
    });
  }
  bool allExact = true;
  {
    size_t text = 0;
    std::unique_ptr<kolmo::DecoderSession> decoder;
    source([&](uint32_t token, const std::vector<float>& logits) {
      if (text >= payloads.size()) return;  // a dump cut mid-text: nothing was finished
      if (!decoder) {
        decoder = std::make_unique<kolmo::DecoderSession>(tree, eot, payloads[text].data(), payloads[text].size());
      }
      uint32_t decoded = ~0u;
      allExact = allExact && decoder->decodeStep(logits.data(), logits.size(), &decoded) == kolmo::Status::kOk &&
                 decoded == token;
      if (token != eot) return;
      allExact = allExact && decoder->done();
      decoder.reset();
      ++text;
    });
  }
  if (!payloads.empty()) {
    std::printf("   sessions (eps 1e-4): %zu texts, payload %zu bytes vs coded %.1f bytes (%.2f bytes/text over), "
                "decoded exactly: %s\n",
                payloads.size(), bytes, coded / 8, (bytes - coded / 8) / payloads.size(), allExact ? "yes" : "NO");
  }
}

// ---- 7. payload versions on real sessions ----

// Real EncoderSession / DecoderSession per EOT-terminated text for each payload version, the
// in-document model off ("rounding only": the layer's own cost, what the <= 1% target prices)
// and on (what links pay): coded bits over the ideal, payload bytes, how many tokens left grid
// 0, header/flag bits; then every payload is decoded from logits with noise of up to 0.99 eps
// added to every entry (a different backend's drift), and must give the exact tokens.
void comparePayloadVersions(const kolmo::TokenTree& tree, const StepSource& source, uint32_t eot, double epsilon) {
  std::vector<size_t> textTokens(1, 0);
  source([&](uint32_t token, const std::vector<float>&) {
    ++textTokens.back();
    if (token == eot) textTokens.push_back(0);
  });
  textTokens.pop_back();
  struct Variant {
    const char* name;
    int version;
    bool mix;
  };
  const Variant variants[] = {{"v1 (flags per token)", 1, false},
                              {"v3 rounding only (span headers)", 3, false},
                              {"v2 (v1 + in-document model)", 2, true},
                              {"v3 (span headers + in-document model)", 3, true}};
  std::printf("-- payload versions on real sessions (eps %g, %zu texts, each alone)\n", epsilon, textTokens.size());
  std::printf("%-40s %10s %10s %10s %10s %12s %8s\n", "", "bytes", "overhead", "not grid0", "escapes", "flag b/tok",
              "noisy decode");
  for (const Variant& variant : variants) {
    std::vector<std::vector<uint8_t>> payloads;
    kolmo::SessionStats total;
    {
      std::unique_ptr<kolmo::EncoderSession> encoder;
      source([&](uint32_t token, const std::vector<float>& logits) {
        if (!encoder) {
          kolmo::RoundingConfig config;
          config.epsilon = epsilon;
          config.payloadVersion = variant.version;
          config.tokenCount = textTokens[payloads.size()];
          config.docModel.enabled = variant.mix;
          encoder = std::make_unique<kolmo::EncoderSession>(tree, eot, config);
        }
        if (encoder->encodeStep(logits.data(), logits.size(), token) != kolmo::Status::kOk) std::abort();
        if (token != eot) return;
        payloads.emplace_back();
        if (encoder->finish(&payloads.back()) != kolmo::Status::kOk) std::abort();
        const kolmo::SessionStats& st = encoder->stats();
        total.steps += st.steps;
        total.fragileSteps += st.fragileSteps;
        total.escapes += st.escapes;
        total.idealBits += st.idealBits;
        total.codedBits += st.codedBits;
        total.flagBits += st.flagBits;
        encoder.reset();
      });
    }
    size_t bytes = 0;
    for (const auto& p : payloads) bytes += p.size();
    bool allExact = true;
    {
      size_t text = 0;
      uint64_t noiseState = 12345;
      std::vector<float> noisy;
      std::unique_ptr<kolmo::DecoderSession> decoder;
      kolmo::DocModelParams docModel;
      docModel.enabled = variant.mix;
      source([&](uint32_t token, const std::vector<float>& logits) {
        if (text >= payloads.size()) return;
        if (!decoder) {
          decoder = std::make_unique<kolmo::DecoderSession>(tree, eot, payloads[text].data(), payloads[text].size(),
                                                            kolmo::DecodeLimits(), kolmo::GridSpec(), variant.version,
                                                            docModel);
        }
        noisy = logits;
        for (float& l : noisy) {
          noiseState = noiseState * 6364136223846793005ull + 1442695040888963407ull;
          const double u = static_cast<double>(noiseState >> 11) / 9007199254740992.0;  // [0, 1)
          l = static_cast<float>(l + (2.0 * u - 1.0) * 0.99 * epsilon);
        }
        uint32_t decoded = ~0u;
        allExact = allExact && decoder->decodeStep(noisy.data(), noisy.size(), &decoded) == kolmo::Status::kOk &&
                   decoded == token;
        if (token != eot) return;
        allExact = allExact && decoder->done();
        decoder.reset();
        ++text;
      });
    }
    const double n = static_cast<double>(total.steps);
    std::printf("%-40s %10zu %9.3f%% %9.3f%% %9.4f%% %12.4f %8s\n", variant.name, bytes,
                100 * (total.codedBits / total.idealBits - 1), 100.0 * total.fragileSteps / n,
                100.0 * total.escapes / n, total.flagBits / n, allExact ? "exact" : "WRONG");
  }
}

// ---- 4. grid sweep ----

struct NamedGrid {
  std::string name;
  kolmo::GridSpec spec;
};

std::vector<NamedGrid> sweepGrids() {
  std::vector<NamedGrid> grids;
  auto add = [&](double centralWidth, double exponent, double maxWidth) {
    kolmo::GridSpec spec;
    spec.centralWidth = centralWidth;
    spec.widthExponent = exponent;
    spec.maxWidth = maxWidth;
    char name[96];
    if (exponent == 0.5) {
      std::snprintf(name, sizeof name, "theta step %.2f, max width %g", centralWidth / 2, maxWidth);
    } else {
      std::snprintf(name, sizeof name, "width %.2f (4pq)^-%.2f, max %g", centralWidth, exponent, maxWidth);
    }
    grids.push_back({name, spec});
  };
  for (double w : {0.2, 0.3, 0.4, 0.5, 0.6}) add(w, 0.5, 1.0);
  for (double w : {0.4, 0.6}) add(w, 0.5, 4.0);
  for (double w : {0.4, 0.6}) add(w, 0.5, 16.0);
  for (double w : {0.3, 0.4, 0.5, 0.6, 0.8}) add(w, 1.0 / 3, 16.0);
  for (double w : {0.5, 0.7}) add(w, 0.25, 16.0);
  add(0.5, 0.0, 0.5);
  return grids;
}

void sweepGrids(const kolmo::TokenTree& tree, const StepSource& source) {
  const std::vector<NamedGrid> grids = sweepGrids();
  const double epsilons[] = {1e-4, 3e-4, 1e-3};
  std::vector<SimulatedCoder> coders;
  for (const NamedGrid& grid : grids) {
    for (double eps : epsilons) coders.emplace_back(grid.spec, eps);
  }
  const PassTotals totals = runSimulation(tree, source, &coders);
  std::printf("   grid sweep: overhead %% of ideal (fragile tokens %%), %llu steps\n",
              static_cast<unsigned long long>(totals.steps));
  std::printf("   %-40s", "grid");
  for (double eps : epsilons) std::printf("  %18.0e", eps);
  std::printf("\n");
  for (size_t i = 0; i < grids.size(); ++i) {
    std::printf("   %-40s", grids[i].name.c_str());
    for (size_t j = 0; j < std::size(epsilons); ++j) {
      const SimulatedCoder& c = coders[i * std::size(epsilons) + j];
      std::printf("  %8.2f%% (%6.3f%%)", 100 * (c.codedBits() / totals.idealBits - 1),
                  100.0 * c.fragile / static_cast<double>(totals.steps));
    }
    std::printf("\n");
  }
}

// ---- 5. flag prior on short texts ----

void sweepFlagPrior(const kolmo::TokenTree& tree, size_t vocab) {
  const uint32_t priors[] = {4, 10, 20, 40, 80, 160};
  const double epsilons[] = {1e-4, 3e-4, 1e-3};
  const int numTexts = 200;
  std::printf("== 5. flag prior: flag bits per text, %d texts of 30 tokens, synthetic model\n", numTexts);
  std::vector<double> flagBits(std::size(priors) * std::size(epsilons), 0.0);
  const StepSource texts = syntheticSource(vocab, 1.0f, numTexts, 30, 1000);
  // Each text gets fresh coders (a short text starts with fresh flag counts).
  std::vector<SimulatedCoder> coders;
  auto freshCoders = [&]() {
    coders.clear();
    for (uint32_t prior : priors) {
      for (double eps : epsilons) coders.emplace_back(kolmo::GridSpec(), eps, prior);
    }
  };
  freshCoders();
  const uint32_t eot = static_cast<uint32_t>(vocab - 1);
  StepSource oneByOne = [&](const StepVisitor& visit) {
    return texts([&](uint32_t token, const std::vector<float>& logits) {
      visit(token, logits);
      if (token != eot) return;
      for (size_t i = 0; i < coders.size(); ++i) flagBits[i] += coders[i].flagBits;
      freshCoders();
    });
  };
  runSimulation(tree, oneByOne, &coders);
  std::printf("%8s %14s %14s %14s\n", "prior", "eps 1e-4", "eps 3e-4", "eps 1e-3");
  for (size_t i = 0; i < std::size(priors); ++i) {
    std::printf("%8u", priors[i]);
    for (size_t j = 0; j < std::size(epsilons); ++j) {
      std::printf(" %14.3f", flagBits[i * std::size(epsilons) + j] / numTexts);
    }
    std::printf("\n");
  }
  std::printf("\n");
}

// ---- 2. speed ----

void benchSpeed(const kolmo::TokenTree& tree, size_t vocab) {
  std::printf("== 2. speed at V = %zu (median of 7 runs of 200 steps)\n", vocab);
  std::vector<std::vector<float>> logits;
  for (uint32_t i = 0; i < 200; ++i) logits.push_back(kolmo_test::syntheticLogits(i, vocab));
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> loadTimes, encodeTimes, decodeTimes;
  kolmo::StepEvaluator evaluator(tree);
  const uint32_t eot = static_cast<uint32_t>(vocab - 1);
  for (int run = 0; run < 7; ++run) {
    auto start = Clock::now();
    for (const auto& l : logits) evaluator.load(l.data(), vocab);
    loadTimes.push_back(secondsSince(start) / logits.size());
    kolmo::EncoderSession encoder(tree, eot);
    start = Clock::now();
    for (size_t i = 0; i < logits.size(); ++i) {
      encoder.encodeStep(logits[i].data(), vocab, i + 1 == logits.size() ? eot : static_cast<uint32_t>(i * 37));
    }
    encodeTimes.push_back(secondsSince(start) / logits.size());
    std::vector<uint8_t> payload;
    encoder.finish(&payload);
    kolmo::DecoderSession decoder(tree, eot, payload.data(), payload.size());
    start = Clock::now();
    for (const auto& l : logits) {
      uint32_t t;
      decoder.decodeStep(l.data(), vocab, &t);
    }
    decodeTimes.push_back(secondsSince(start) / logits.size());
  }
  std::printf("evaluator load %.1f us/step, encodeStep %.1f us/step, decodeStep %.1f us/step\n\n",
              1e6 * median(loadTimes), 1e6 * median(encodeTimes), 1e6 * median(decodeTimes));
}

bool readCounts(const std::string& path, size_t vocab, std::vector<uint64_t>* counts) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  counts->assign(vocab, 0);
  const bool ok = std::fread(counts->data(), sizeof(uint64_t), vocab, file) == vocab;
  std::fclose(file);
  return ok;
}

// Sections 1-5 (everything that needs no dump).
void runSyntheticSections(size_t syntheticTexts) {
  benchRangeCoder();

  const size_t vocab = 8192;
  kolmo::TokenTree tree;
  kolmo::TokenTree::build(kolmo_test::syntheticCounts(vocab), vocab, &tree);
  benchSpeed(tree, vocab);

  std::printf("== 3+4. rounding layer on the synthetic model (V = %zu, %zu texts of 300 tokens + EOT)\n", vocab,
              syntheticTexts);
  for (float sharpen : {1.0f, 2.0f}) {
    const StepSource source = syntheticSource(vocab, sharpen, syntheticTexts, 300, 7);
    const std::string title = sharpen == 1.0f ? "synthetic model" : "synthetic model, logits x2 (peakier)";
    printCostTable(title.c_str(), tree, source);
    checkAgainstSessions(tree, source, static_cast<uint32_t>(vocab - 1));
    sweepGrids(tree, source);
    std::printf("\n");
  }

  sweepFlagPrior(tree, vocab);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dumpPath, countsPath;
  size_t maxSteps = ~size_t{0};
  size_t syntheticTexts = 10;
  bool dumpOnly = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--dump" && i + 1 < argc) {
      dumpPath = argv[++i];
    } else if (arg == "--counts" && i + 1 < argc) {
      countsPath = argv[++i];
    } else if (arg == "--max-steps" && i + 1 < argc) {
      maxSteps = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--synthetic-texts" && i + 1 < argc) {
      syntheticTexts = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--dump-only") {
      dumpOnly = true;
    } else {
      std::fprintf(stderr,
                   "usage: coder_bench [--dump FILE [--dump-only]] [--counts FILE] [--max-steps N] [--synthetic-texts N]\n");
      return 2;
    }
  }

  if (!dumpOnly) runSyntheticSections(syntheticTexts);

  if (!dumpPath.empty()) {
    std::FILE* file = std::fopen(dumpPath.c_str(), "rb");
    DumpHeader header;
    if (file == nullptr || !readDumpHeader(file, &header)) {
      std::fprintf(stderr, "cannot read dump header of %s\n", dumpPath.c_str());
      return 1;
    }
    std::fclose(file);
    std::vector<uint64_t> counts;
    if (!countsPath.empty()) {
      if (!readCounts(countsPath, header.vocab, &counts)) {
        std::fprintf(stderr, "cannot read %u counts from %s\n", header.vocab, countsPath.c_str());
        return 1;
      }
    } else {
      counts.assign(header.vocab, 1);
      dumpSource(dumpPath, maxSteps)([&](uint32_t token, const std::vector<float>&) { ++counts[token]; });
    }
    kolmo::TokenTree dumpTree;
    if (kolmo::TokenTree::build(counts, header.vocab, &dumpTree) != kolmo::Status::kOk) return 1;
    std::printf("== 6. logits dump %s (V = %u, %u steps%s)\n", dumpPath.c_str(), header.vocab, header.numSteps,
                countsPath.empty() ? ", tree from the dump's own tokens" : "");
    const StepSource source = dumpSource(dumpPath, maxSteps);
    printCostTable("dump", dumpTree, source);
    checkAgainstSessions(dumpTree, source, header.vocab - 1);
    sweepGrids(dumpTree, source);
    std::printf("== 7. payload versions (real sessions on the dump)\n");
    comparePayloadVersions(dumpTree, source, header.vocab - 1, 1e-4);
  }
  return 0;
}
