// Transformer: kolmo's model engine — the forward pass of the model family (models/recipe/
// model.py) in the core, reading the weights of a shipped model.onnx (docs/MODEL.md).
//
// Why our own: the model is small (5M parameters, one token at a time), and a general runtime
// spends most of a step on what this case does not need (fp32 copies of int8 weights, the KV
// cache copied in and out every step, a warm-up). Here the int8 weights stay int8 (one float32
// scale per row, as shipped) and are widened to float32 in registers; the KV cache lives in the
// engine; activations stay float32, so the function is the one ONNX Runtime computes on the
// same file, within float rounding (bench/drift.mjs measures how close).
//
// Determinism: every sum has one fixed order (simd4.h), exp and erf are ours (no libm), and
// there is no FMA contraction, so the native and the WASM build give bit-identical logits
// (tests/transformer_test.cpp, tests/node/engine.test.mjs). A batched pass over a window and
// single steps give bit-identical logits too: a token's arithmetic does not depend on how many
// tokens are passed at once.
//
// The family: pre-norm blocks (LayerNorm, or RMSNorm), attention with RoPE (optionally QK-norm),
// MLP with GELU (erf form) or ReLU², a tied or untied output layer. Which of these a file uses is
// read from its initializers and its `kolmo.arch` metadata (absent: km1/km2's choices).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

struct TransformerShape {
  size_t vocab = 0;
  size_t dModel = 0;
  size_t nLayers = 0;
  size_t nHeads = 0;
  size_t headDim = 0;
  size_t dFf = 0;
  size_t context = 0;  // most tokens in a window (the KV cache's size)
  bool rmsNorm = false;     // RMSNorm (gain only) instead of LayerNorm (gain + bias)
  bool relu2 = false;       // ReLU(x)^2 instead of GELU in the MLP
  bool qkNorm = false;      // RMSNorm over each head of q and k before RoPE
  bool tiedHead = true;     // the output layer is the embedding matrix
  float normEps = 1e-5f;    // epsilon of every norm
};

// A weight matrix as shipped: int8 rows, one float32 scale per row (w ~= q * scale[row]).
struct Int8Matrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<int8_t> q;      // rows x cols, row-major
  std::vector<float> scale;   // rows
};

class Transformer {
 public:
  // Reads a model.onnx (kolmo's export, models/recipe/export.py): nHeads and context come from
  // the model's manifest entry (the file does not state them). kBadModel for a file that is not
  // such a model (missing or misshapen weights, sizes that are not multiples of 16, an
  // architecture the engine does not know); kOutOfMemory if the weights or the cache cannot
  // be allocated. The bytes are copied: the caller may free them afterwards.
  static Status load(const uint8_t* onnx, size_t size, size_t nHeads, size_t context,
                     std::unique_ptr<Transformer>* out);

  const TransformerShape& shape() const { return shape_; }

  // Empties the window: the next token is at position 0.
  void reset() { length_ = 0; }
  // Tokens in the window (positions 0 .. windowLength() - 1 are cached).
  size_t windowLength() const { return length_; }

  // Appends `count` tokens at positions windowLength().., and writes each one's logits (what
  // it predicts for the next position) to logits[i * vocab ..]: (count, vocab) row-major;
  // logits == nullptr: the tokens are context only (their logits are not computed).
  // kBadArgument if a token is >= vocab or the window would exceed `context`; nothing is
  // appended then.
  Status append(const uint32_t* tokens, size_t count, float* logits);

 private:
  struct Layer {
    std::vector<float> norm1Gain, norm1Bias, norm2Gain, norm2Bias;
    std::vector<float> qNormGain, kNormGain;  // QK-norm (headDim each)
    Int8Matrix qkv, proj, fc1, fc2;
    std::vector<float> qkvBias, projBias, fc1Bias, fc2Bias;  // empty: no bias
    std::vector<float> keys, values;  // the KV cache: context x dModel each
  };

  // Rows of a weight matrix taken together in a batched pass (each token runs over the block
  // while it is in the cache).
  static constexpr size_t kRowBlock = 32;

  Transformer() = default;
  // out[t * m.rows + r] = dot(m.q[r], in[t]) * m.scale[r] + bias[r], for t < count; the
  // activations go in as exact int16 parts (simd4.h), so every sum is exact.
  void matmul(const Int8Matrix& m, const std::vector<float>& bias, const float* in, size_t count,
              float* out);
  void norm(const float* x, const std::vector<float>& gain, const std::vector<float>& bias,
            float* out) const;
  void rope(float* x, size_t position) const;  // one head's headDim values
  void attend(const Layer& layer, const float* q, size_t position, float* out);

  TransformerShape shape_;
  Int8Matrix embedding_;  // vocab x dModel (also the output layer when tied)
  Int8Matrix head_;       // untied output layer
  std::vector<Layer> layers_;
  std::vector<float> finalGain_, finalBias_;
  std::vector<float> ropeCos_, ropeSin_;  // context x headDim/2: angle position * invFreq[i]
  size_t length_ = 0;

  // Scratch, sized for `context` tokens at once.
  std::vector<float> x_, h_, qkv_, y_, ff_, scores_;
  std::vector<int16_t> hi_, lo_;  // activations split for the weight products
  std::vector<int> exponents_;
};

namespace detail {
// The engine's deterministic elementary functions (float32; only IEEE + - * / and bit casts,
// in a fixed order). detExpf: relative error <= 3e-7; detErff: absolute error <= 5e-7
// (tests/transformer_test.cpp measures both against the platform's libm).
float detExpf(float x);
float detErff(float x);
}  // namespace detail

}  // namespace kolmo
