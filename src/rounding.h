// The deterministic rounding layer: the one place where float logits meet the coded stream.
//
// READ ME FIRST. Encoder and decoder run the model on different devices (or batched vs
// stepwise), so their logits differ by up to epsilon per entry. Quantizing all V logits
// would put hundreds of values near rounding boundaries every step. Instead a token is coded
// as the path of binary decisions down a FIXED binary tree over token ids (TokenTree, built
// once from unigram counts, Huffman-shaped). At internal node n with children A and B,
//
//     r(n) = ln S(A) - ln S(B),   S(X) = sum over tokens t in X of exp(l_t - max l)
//
// is the log-odds of going to A. LSE is 1-Lipschitz in the max norm, so logits that differ by
// <= epsilon move r(n) by <= 2 epsilon. Only the ~log2(V) nodes on the coded path matter.
// r(n) is quantized on one of two grids (Quantizer: bins uniform in theta = 2 asin(sqrt(p)),
// log-odds bins in the tails; grid 1 is offset half a step), and each bin maps to a fixed
// 16-bit probability. The encoder checks that every r on the path lies >= 2 epsilon + tau
// from a boundary of the grid it uses (isFragile); the decoder never needs epsilon.
//
// Determinism: the arithmetic below uses det_math (no libm) and a fixed summation order, so
// native and WASM builds produce identical bits for identical logits (pinned by
// tests/rounding_test.cpp and compared natively vs WASM through dumpNodeTable()).
// docs/DETERMINISM.md has the full argument, including the choice of tau.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/status.h"
#include "quantizer.h"
#include "step_evaluator.h"
#include "token_tree.h"

namespace kolmo {

// ---- cross-build comparison ----

// Fields per internal node written by dumpNodeTable().
constexpr size_t kNodeDumpWords = 6;

// Flags word of dumpNodeTable().
enum NodeDumpFlag : uint32_t {
  kDumpFragileGrid0 = 1u << 0,
  kDumpFragileGrid1 = 1u << 1,
  kDumpNearFloor = 1u << 2,
};

// For one logits vector, writes for every internal node (index order) kNodeDumpWords words:
//   [0] bin on grid 0, [1] bin on grid 1, [2] NodeDumpFlag bits at `epsilon`,
//   [3] probLeft on grid 0 | probLeft on grid 1 << 16, [4] low and [5] high 32 bits of r.
// out is cleared first. A native and a WASM build given the same logits must produce the
// same words, bit for bit. Errors as StepEvaluator::load.
Status dumpNodeTable(const TokenTree& tree, const Quantizer& quantizer, const float* logits,
                     size_t vocab, double epsilon, std::vector<uint32_t>* out);

}  // namespace kolmo
