#include "transformer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>

#include "det_math.h"
#include "onnx_reader.h"
#include "simd4.h"

namespace kolmo {

using simd4::F32x4;

namespace detail {

// e^x in float32 (Cephes expf: x = n ln2 + r, |r| <= ln2/2, a degree-7 polynomial for e^r,
// then 2^n from the exponent bits). Inputs of the engine are <= 0 (softmax after the max).
float detExpf(float x) {
  if (!(x == x)) return x;
  if (x > 88.7f) return INFINITY;
  if (x < -87.3f) return 0.f;
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;  // ln 2 in two parts: the first exact in few bits
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = (p * (r * r) + r) + 1.f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;  // 2^n, n in [-126, 128)
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

// erf(x) in float32: the rational approximation of Eigen / TensorFlow on [-4, 4]
// (erf(x) = x P(x^2) / Q(x^2)), where erf is +-1 in float32 beyond.
float detErff(float x) {
  if (!(x == x)) return x;
  if (x > 4.f) x = 4.f;
  if (x < -4.f) x = -4.f;
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * x;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return p / q;
}

}  // namespace detail

namespace {

using detail::detErff;
using detail::detExpf;

// Sum of n floats (n a multiple of 4) in a fixed order: four lanes, then hsum.
float sum4(const float* x, size_t n) {
  F32x4 acc = simd4::splat(0.f);
  for (size_t i = 0; i < n; i += 4) acc = simd4::add(acc, simd4::load(x + i));
  return simd4::hsum(acc);
}

// Sum of x[i]^2 in the same order.
float sum4Squares(const float* x, size_t n) {
  F32x4 acc = simd4::splat(0.f);
  for (size_t i = 0; i < n; i += 4) {
    const F32x4 v = simd4::load(x + i);
    acc = simd4::add(acc, simd4::mul(v, v));
  }
  return simd4::hsum(acc);
}

// RMSNorm of one head in place (QK-norm): x / sqrt(mean(x^2) + eps) * gain.
void headNorm(float* x, const std::vector<float>& gain, float eps) {
  const size_t n = gain.size();
  const float inv = 1.f / std::sqrt(sum4Squares(x, n) / static_cast<float>(n) + eps);
  for (size_t i = 0; i < n; ++i) x[i] = (x[i] * inv) * gain[i];
}

// Resizes without exceptions: false if the memory is not there (std::vector would abort in a
// build without exceptions).
template <typename T>
bool tryResize(std::vector<T>* v, size_t n) {
  if (n > v->max_size()) return false;
  T* probe = new (std::nothrow) T[n == 0 ? 1 : n];
  if (probe == nullptr) return false;
  delete[] probe;
  v->resize(n);
  return true;
}

// ---- weights from the file ----

struct WeightReader {
  const OnnxFile& file;
  Status status = Status::kOk;

  bool fail() {
    if (isOk(status)) status = Status::kBadModel;
    return false;
  }

  // A float32 vector of `count` values named `name`; `optional`: absent is fine (out empty).
  bool floats(const std::string& name, size_t count, std::vector<float>* out, bool optional = false) {
    const OnnxTensor* t = file.find("model." + name);
    if (t == nullptr) return optional ? true : fail();
    if (t->dataType != kOnnxFloat || t->elementCount() != static_cast<int64_t>(count) ||
        t->size != count * sizeof(float)) {
      return fail();
    }
    if (!tryResize(out, count)) {
      status = Status::kOutOfMemory;
      return false;
    }
    std::memcpy(out->data(), t->data, t->size);  // little-endian, as every target of ours
    return true;
  }

  // An int8-rows matrix: `name`_int8 (rows, cols) and `name`_scale (rows, 1). rows/cols: 0 =
  // take it from the file.
  bool matrix(const std::string& name, size_t rows, size_t cols, Int8Matrix* out) {
    const OnnxTensor* q = file.find("model." + name + "_int8");
    const OnnxTensor* s = file.find("model." + name + "_scale");
    if (q == nullptr || s == nullptr || q->dataType != kOnnxInt8 || s->dataType != kOnnxFloat ||
        q->dims.size() != 2) {
      return fail();
    }
    const int64_t r = q->dims[0], c = q->dims[1];
    if (r <= 0 || c <= 0 || r > (1 << 20) || c > static_cast<int64_t>(simd4::kMaxDotColumns) || (rows && static_cast<size_t>(r) != rows) ||
        (cols && static_cast<size_t>(c) != cols) || c % 16 != 0 ||
        q->size != static_cast<size_t>(r * c) || s->elementCount() != r || s->size != static_cast<size_t>(r) * 4) {
      return fail();
    }
    out->rows = static_cast<size_t>(r);
    out->cols = static_cast<size_t>(c);
    if (!tryResize(&out->q, out->rows * out->cols) || !tryResize(&out->scale, out->rows)) {
      status = Status::kOutOfMemory;
      return false;
    }
    std::memcpy(out->q.data(), q->data, q->size);
    std::memcpy(out->scale.data(), s->data, s->size);
    for (float v : out->scale) {
      if (!std::isfinite(v)) return fail();
    }
    return true;
  }
};

// The value of "key": in the small JSON object of `kolmo.arch` (export.py writes it): the
// characters up to the next ',' or '}', without quotes or spaces. Empty if absent.
std::string archValue(const std::string& json, const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  size_t at = json.find(quoted);
  if (at == std::string::npos) return "";
  at = json.find(':', at + quoted.size());
  if (at == std::string::npos) return "";
  std::string value;
  for (size_t i = at + 1; i < json.size() && json[i] != ',' && json[i] != '}'; ++i) {
    if (json[i] != '"' && json[i] != ' ') value += json[i];
  }
  return value;
}

// Reads the architecture choices of `kolmo.arch`; false for a value the engine does not know.
bool readArch(const std::string& json, TransformerShape* shape) {
  const std::string norm = archValue(json, "norm"), act = archValue(json, "activation"),
                    qk = archValue(json, "qk_norm"), tied = archValue(json, "tied"),
                    eps = archValue(json, "norm_eps");
  if (!(norm.empty() || norm == "layer" || norm == "rms")) return false;
  if (!(act.empty() || act == "gelu" || act == "relu2")) return false;
  if (!(qk.empty() || qk == "true" || qk == "false")) return false;
  if (!(tied.empty() || tied == "true" || tied == "false")) return false;
  shape->rmsNorm = norm == "rms";
  shape->relu2 = act == "relu2";
  shape->qkNorm = qk == "true";
  shape->tiedHead = tied != "false";
  if (!eps.empty()) {
    char* end = nullptr;
    const double e = std::strtod(eps.c_str(), &end);
    if (end == eps.c_str() || *end != 0 || !(e > 0 && e < 1)) return false;
    shape->normEps = static_cast<float>(e);
  }
  return true;
}

// Reduces a float32 angle >= 0 to [0, 2 pi) and evaluates cos and sin in double with det_math
// (libm-free, so every build gets the same table).
void detCosSin(float angle, float* c, float* s) {
  const double twoPi = 2 * kDetPi, halfPi = kDetPi / 2;
  double a = static_cast<double>(angle);
  a -= std::floor(a / twoPi) * twoPi;
  int quadrant = static_cast<int>(std::floor(a / halfPi));
  if (quadrant > 3) quadrant = 3;
  const double t = a - quadrant * halfPi;  // in [0, pi/2]
  const double ct = detCos(t), st = detSin(t);
  const double cosine[4] = {ct, -st, -ct, st}, sine[4] = {st, ct, -st, -ct};
  *c = static_cast<float>(cosine[quadrant]);
  *s = static_cast<float>(sine[quadrant]);
}

// Splits float32 activations into the two int16 parts of the weight products (simd4.h):
// x[i] ~= hi[i] * 2^e + lo[i] * 2^(e - 14), e chosen so that max |x| / 2^e is in [2^14, 2^15);
// the error is at most 2^(e - 15), i.e. 2^-29 of max |x|. Every step is exact or one IEEE
// rounding in double (the scalings are by powers of two). *exponent = kNonFinite when an
// input is NaN or infinite (the products are then NaN).
constexpr int kNonFinite = 1 << 20;
void splitActivations(const float* x, size_t n, int16_t* hi, int16_t* lo, int* exponent) {
  float largest = 0.f;
  for (size_t i = 0; i < n; ++i) largest = std::max(largest, std::fabs(x[i]));
  bool finite = std::isfinite(largest);
  for (size_t i = 0; i < n && finite; ++i) finite = !std::isnan(x[i]);
  if (!finite || largest == 0.f) {
    std::fill(hi, hi + n, int16_t{0});
    std::fill(lo, lo + n, int16_t{0});
    *exponent = finite ? 0 : kNonFinite;
    return;
  }
  int k;
  std::frexp(largest, &k);  // largest = f * 2^k, f in [0.5, 1): exact
  const int e = k - 15;
  const double down = std::ldexp(1.0, -e), up = std::ldexp(1.0, e), loDown = std::ldexp(1.0, 14 - e);
  for (size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    double h = std::floor(v * down + 0.5);
    h = std::min(32767.0, std::max(-32767.0, h));
    const double rest = v - h * up;  // exact: |rest| <= 2^e
    hi[i] = static_cast<int16_t>(h);
    lo[i] = static_cast<int16_t>(std::floor(rest * loDown + 0.5));
  }
  *exponent = e;
}

// The power of two that turns (sumHi * 2^14 + sumLo) into the product's value: 2^(e - 14).
double partsUnit(int exponent) { return exponent == kNonFinite ? NAN : std::ldexp(1.0, exponent - 14); }

// One weight product from its exact parts: (sumHi * 2^14 + sumLo) * unit * scale, in double
// (the integer is exact below 2^53; times a power of two, exact), rounded once to float32.
float combine(int64_t sumHi, int64_t sumLo, double unit, float scale) {
  return static_cast<float>(static_cast<double>(sumHi * 16384 + sumLo) * unit * static_cast<double>(scale));
}

}  // namespace

Status Transformer::load(const uint8_t* onnx, size_t size, size_t nHeads, size_t context,
                         std::unique_ptr<Transformer>* out) {
  if (out == nullptr || (onnx == nullptr && size > 0)) return Status::kBadArgument;
  OnnxFile file;
  Status status = readOnnx(onnx, size, &file);
  if (!isOk(status)) return status;
  std::unique_ptr<Transformer> t(new (std::nothrow) Transformer());
  if (!t) return Status::kOutOfMemory;
  TransformerShape& shape = t->shape_;
  if (const std::string* arch = file.meta("kolmo.arch")) {
    if (!readArch(*arch, &shape)) return Status::kBadModel;
  }
  WeightReader read{file};
  if (!read.matrix("wte.weight", 0, 0, &t->embedding_)) return read.status;
  shape.vocab = t->embedding_.rows;
  shape.dModel = t->embedding_.cols;
  shape.nHeads = nHeads;
  shape.context = context;
  while (file.find("model.blocks." + std::to_string(shape.nLayers) + ".qkv.weight_int8")) ++shape.nLayers;
  if (nHeads == 0 || shape.dModel % nHeads != 0 || (shape.dModel / nHeads) % 4 != 0 ||
      context == 0 || context > 8192 || shape.nLayers == 0 || shape.nLayers > 64) {
    return Status::kBadModel;
  }
  shape.headDim = shape.dModel / nHeads;
  const size_t d = shape.dModel;
  if (!tryResize(&t->layers_, shape.nLayers)) return Status::kOutOfMemory;
  for (size_t i = 0; i < shape.nLayers; ++i) {
    Layer& layer = t->layers_[i];
    const std::string p = "blocks." + std::to_string(i) + ".";
    const bool layerNorm = !shape.rmsNorm;
    if (!read.floats(p + "ln1.weight", d, &layer.norm1Gain) ||
        (layerNorm && !read.floats(p + "ln1.bias", d, &layer.norm1Bias)) ||
        !read.floats(p + "ln2.weight", d, &layer.norm2Gain) ||
        (layerNorm && !read.floats(p + "ln2.bias", d, &layer.norm2Bias)) ||
        !read.matrix(p + "qkv.weight", 3 * d, d, &layer.qkv) ||
        !read.floats(p + "qkv.bias", 3 * d, &layer.qkvBias, true) ||
        !read.matrix(p + "proj.weight", d, d, &layer.proj) ||
        !read.floats(p + "proj.bias", d, &layer.projBias, true) ||
        !read.matrix(p + "fc1.weight", 0, d, &layer.fc1) ||
        !read.floats(p + "fc1.bias", layer.fc1.rows, &layer.fc1Bias, true) ||
        !read.matrix(p + "fc2.weight", d, layer.fc1.rows, &layer.fc2) ||
        !read.floats(p + "fc2.bias", d, &layer.fc2Bias, true)) {
      return read.status;
    }
    if (shape.qkNorm && (!read.floats(p + "q_norm.weight", shape.headDim, &layer.qNormGain) ||
                         !read.floats(p + "k_norm.weight", shape.headDim, &layer.kNormGain))) {
      return read.status;
    }
    if (i > 0 && layer.fc1.rows != t->layers_[0].fc1.rows) return Status::kBadModel;
    if (!tryResize(&layer.keys, context * d) || !tryResize(&layer.values, context * d)) {
      return Status::kOutOfMemory;
    }
  }
  shape.dFf = t->layers_[0].fc1.rows;
  if (!read.floats("ln_f.weight", d, &t->finalGain_) ||
      (!shape.rmsNorm && !read.floats("ln_f.bias", d, &t->finalBias_))) {
    return read.status;
  }
  if (!shape.tiedHead && !read.matrix("lm_head.weight", shape.vocab, d, &t->head_)) return read.status;

  // RoPE angles as model.py computes them in float32: invFreq[i] = 1 / 10000^(2i / headDim),
  // angle = position * invFreq[i]; 10000^e in double (det_math) rounded to float32.
  const size_t half = shape.headDim / 2;
  if (!tryResize(&t->ropeCos_, context * half) || !tryResize(&t->ropeSin_, context * half)) {
    return Status::kOutOfMemory;
  }
  for (size_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(shape.headDim);
    const float power = static_cast<float>(detExp(static_cast<double>(exponent) * detLog(10000.0)));
    const float invFreq = 1.f / power;
    for (size_t pos = 0; pos < context; ++pos) {
      detCosSin(static_cast<float>(pos) * invFreq, &t->ropeCos_[pos * half + i], &t->ropeSin_[pos * half + i]);
    }
  }
  if (!tryResize(&t->x_, context * d) || !tryResize(&t->h_, context * d) ||
      !tryResize(&t->qkv_, context * 3 * d) || !tryResize(&t->y_, context * d) ||
      !tryResize(&t->ff_, context * shape.dFf) || !tryResize(&t->hi_, context * std::max(d, shape.dFf)) ||
      !tryResize(&t->lo_, context * std::max(d, shape.dFf)) || !tryResize(&t->exponents_, context) ||
      !tryResize(&t->scores_, context)) {
    return Status::kOutOfMemory;
  }
  *out = std::move(t);
  return Status::kOk;
}

void Transformer::matmul(const Int8Matrix& m, const std::vector<float>& bias, const float* in,
                         size_t count, float* out) {
  const size_t cols = m.cols;
  for (size_t t = 0; t < count; ++t) {
    splitActivations(in + t * cols, cols, &hi_[t * cols], &lo_[t * cols], &exponents_[t]);
  }
  // Rows in blocks, tokens inside: a block of weights is read from memory once per pass.
  for (size_t r0 = 0; r0 < m.rows; r0 += kRowBlock) {
    const size_t r1 = std::min(m.rows, r0 + kRowBlock);
    for (size_t t = 0; t < count; ++t) {
      const int16_t* hi = &hi_[t * cols];
      const int16_t* lo = &lo_[t * cols];
      float* y = out + t * m.rows;
      const double unit = partsUnit(exponents_[t]);
      size_t r = r0;
      for (; r + 4 <= r1; r += 4) {
        const int8_t* const rows[4] = {&m.q[r * cols], &m.q[(r + 1) * cols], &m.q[(r + 2) * cols], &m.q[(r + 3) * cols]};
        int64_t sumHi[4], sumLo[4];
        simd4::dotInt8Int16x2Rows4(rows, hi, lo, cols, sumHi, sumLo);
        for (size_t k = 0; k < 4; ++k) {
          const float v = combine(sumHi[k], sumLo[k], unit, m.scale[r + k]);
          y[r + k] = bias.empty() ? v : bias[r + k] + v;
        }
      }
      for (; r < r1; ++r) {
        int64_t sumHi, sumLo;
        simd4::dotInt8Int16x2(&m.q[r * cols], hi, lo, cols, &sumHi, &sumLo);
        const float v = combine(sumHi, sumLo, unit, m.scale[r]);
        y[r] = bias.empty() ? v : bias[r] + v;
      }
    }
  }
}

// LayerNorm: (x - mean) / sqrt(var + eps) * gain + bias; RMSNorm: x / sqrt(mean(x^2) + eps) * gain.
void Transformer::norm(const float* x, const std::vector<float>& gain, const std::vector<float>& bias,
                       float* out) const {
  const size_t d = shape_.dModel;
  const float n = static_cast<float>(d);
  float* centered = out;  // reused in place
  float mean = 0.f;
  if (!shape_.rmsNorm) mean = sum4(x, d) / n;
  for (size_t i = 0; i < d; ++i) centered[i] = x[i] - mean;
  const float inv = 1.f / std::sqrt(sum4Squares(centered, d) / n + shape_.normEps);
  for (size_t i = 0; i < d; ++i) {
    const float v = (centered[i] * inv) * gain[i];
    out[i] = bias.empty() ? v : v + bias[i];
  }
}

// RoPE on one head: pairs (x[i], x[i + half]) -> (x1 cos - x2 sin, x2 cos + x1 sin), as
// model.py's x * cos + rotate_half(x) * sin.
void Transformer::rope(float* x, size_t position) const {
  const size_t half = shape_.headDim / 2;
  const float* c = &ropeCos_[position * half];
  const float* s = &ropeSin_[position * half];
  for (size_t i = 0; i < half; ++i) {
    const float x1 = x[i], x2 = x[i + half];
    x[i] = x1 * c[i] + (-x2) * s[i];
    x[i + half] = x2 * c[i] + x1 * s[i];
  }
}

// Attention of one token (query q, all heads, at `position`) over cached positions
// 0..position: per head, softmax(q.k / sqrt(headDim)) weighted sum of values.
void Transformer::attend(const Layer& layer, const float* q, size_t position, float* out) {
  const size_t d = shape_.dModel, hd = shape_.headDim;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  float* scores = scores_.data();
  for (size_t h = 0; h < shape_.nHeads; ++h) {
    const float* qh = q + h * hd;
    float maxScore = -INFINITY;
    for (size_t j = 0; j <= position; ++j) {
      const float* k = &layer.keys[j * d + h * hd];
      F32x4 acc = simd4::splat(0.f);
      for (size_t i = 0; i < hd; i += 4) acc = simd4::add(acc, simd4::mul(simd4::load(qh + i), simd4::load(k + i)));
      scores[j] = simd4::hsum(acc) * scale;
      if (scores[j] > maxScore) maxScore = scores[j];
    }
    float total = 0.f;
    for (size_t j = 0; j <= position; ++j) {
      scores[j] = detExpf(scores[j] - maxScore);
      total += scores[j];
    }
    float* oh = out + h * hd;
    for (size_t i = 0; i < hd; i += 4) simd4::store(oh + i, simd4::splat(0.f));
    for (size_t j = 0; j <= position; ++j) {
      const F32x4 a = simd4::splat(scores[j] / total);
      const float* v = &layer.values[j * d + h * hd];
      for (size_t i = 0; i < hd; i += 4) {
        simd4::store(oh + i, simd4::add(simd4::load(oh + i), simd4::mul(a, simd4::load(v + i))));
      }
    }
  }
}

Status Transformer::append(const uint32_t* tokens, size_t count, float* logits) {
  const TransformerShape& s = shape_;
  if (count == 0) return Status::kOk;
  if (tokens == nullptr || count > s.context - length_) return Status::kBadArgument;
  for (size_t t = 0; t < count; ++t) {
    if (tokens[t] >= s.vocab) return Status::kBadArgument;
  }
  const size_t d = s.dModel, hd = s.headDim;
  float* x = x_.data();
  float* h = h_.data();
  for (size_t t = 0; t < count; ++t) {
    const int8_t* row = &embedding_.q[tokens[t] * d];
    const float rowScale = embedding_.scale[tokens[t]];
    for (size_t i = 0; i < d; ++i) x[t * d + i] = static_cast<float>(row[i]) * rowScale;
  }
  for (Layer& layer : layers_) {
    for (size_t t = 0; t < count; ++t) norm(x + t * d, layer.norm1Gain, layer.norm1Bias, h + t * d);
    matmul(layer.qkv, layer.qkvBias, h, count, qkv_.data());
    for (size_t t = 0; t < count; ++t) {
      float* q = &qkv_[t * 3 * d];
      float* k = q + d;
      const float* v = q + 2 * d;
      const size_t position = length_ + t;
      for (size_t head = 0; head < s.nHeads; ++head) {
        if (s.qkNorm) {
          headNorm(q + head * hd, layer.qNormGain, s.normEps);
          headNorm(k + head * hd, layer.kNormGain, s.normEps);
        }
        rope(q + head * hd, position);
        rope(k + head * hd, position);
      }
      std::memcpy(&layer.keys[position * d], k, d * sizeof(float));
      std::memcpy(&layer.values[position * d], v, d * sizeof(float));
    }
    // Context-only tokens need every layer's keys and values, but nothing of the last layer
    // past them: its attention output and MLP only feed the logits (~19% of a token's work).
    if (logits == nullptr && &layer == &layers_.back()) break;
    for (size_t t = 0; t < count; ++t) attend(layer, &qkv_[t * 3 * d], length_ + t, &y_[t * d]);
    matmul(layer.proj, layer.projBias, y_.data(), count, h);
    for (size_t i = 0; i < count * d; ++i) x[i] = x[i] + h[i];
    for (size_t t = 0; t < count; ++t) norm(x + t * d, layer.norm2Gain, layer.norm2Bias, h + t * d);
    matmul(layer.fc1, layer.fc1Bias, h, count, ff_.data());
    for (size_t i = 0; i < count * s.dFf; ++i) {
      const float a = ff_[i];
      if (s.relu2) {
        const float r = a > 0.f ? a : 0.f;
        ff_[i] = r * r;
      } else {
        // model.py's F.gelu as exported: (x * (erf(x / sqrt 2) + 1)) * 0.5
        ff_[i] = (a * (detErff(a / 1.41421354f) + 1.f)) * 0.5f;
      }
    }
    matmul(layer.fc2, layer.fc2Bias, ff_.data(), count, h);
    for (size_t i = 0; i < count * d; ++i) x[i] = x[i] + h[i];
  }
  length_ += count;
  if (logits == nullptr) return Status::kOk;  // context only: the output layer is 40% of a step
  for (size_t t = 0; t < count; ++t) norm(x + t * d, finalGain_, finalBias_, h + t * d);
  static const std::vector<float> kNoBias;
  matmul(s.tiedHead ? embedding_ : head_, kNoBias, h, count, logits);
  return Status::kOk;
}

}  // namespace kolmo
