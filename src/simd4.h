// F32x4: four float32 lanes, the one vector type of the model engine (transformer.cpp).
//
// Why a layer of our own: the engine's logits must be bit-identical in the native and the WASM
// builds (docs/MODEL.md). Every operation here is a per-lane IEEE-754 float32 operation (add,
// sub, mul, div, max, int -> float conversion), each correctly rounded by the standard, so the
// three implementations below — WASM SIMD128, SSE2, plain loops — compute the same bits as long
// as callers fix the order of every sum (they do: dot() below, and the kernels in
// transformer.cpp). No fused multiply-add (the build passes -ffp-contract=off; nothing here
// uses an FMA instruction), no relaxed SIMD, no reciprocal estimates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define KOLMO_SIMD4_WASM 1
#elif defined(__SSE2__)
#include <emmintrin.h>
#define KOLMO_SIMD4_SSE2 1
#endif

namespace kolmo {
namespace simd4 {

#if defined(KOLMO_SIMD4_WASM)
struct F32x4 {
  v128_t v;
};
inline F32x4 load(const float* p) { return {wasm_v128_load(p)}; }
inline void store(float* p, F32x4 a) { wasm_v128_store(p, a.v); }
inline F32x4 splat(float x) { return {wasm_f32x4_splat(x)}; }
inline F32x4 add(F32x4 a, F32x4 b) { return {wasm_f32x4_add(a.v, b.v)}; }
inline F32x4 sub(F32x4 a, F32x4 b) { return {wasm_f32x4_sub(a.v, b.v)}; }
inline F32x4 mul(F32x4 a, F32x4 b) { return {wasm_f32x4_mul(a.v, b.v)}; }
inline float lane(F32x4 a, int i) {
  float out[4];
  wasm_v128_store(out, a.v);
  return out[i];
}
#elif defined(KOLMO_SIMD4_SSE2)
struct F32x4 {
  __m128 v;
};
inline F32x4 load(const float* p) { return {_mm_loadu_ps(p)}; }
inline void store(float* p, F32x4 a) { _mm_storeu_ps(p, a.v); }
inline F32x4 splat(float x) { return {_mm_set1_ps(x)}; }
inline F32x4 add(F32x4 a, F32x4 b) { return {_mm_add_ps(a.v, b.v)}; }
inline F32x4 sub(F32x4 a, F32x4 b) { return {_mm_sub_ps(a.v, b.v)}; }
inline F32x4 mul(F32x4 a, F32x4 b) { return {_mm_mul_ps(a.v, b.v)}; }
inline float lane(F32x4 a, int i) {
  float out[4];
  _mm_storeu_ps(out, a.v);
  return out[i];
}
#else
struct F32x4 {
  float v[4];
};
inline F32x4 load(const float* p) {
  F32x4 a;
  std::memcpy(a.v, p, sizeof a.v);
  return a;
}
inline void store(float* p, F32x4 a) { std::memcpy(p, a.v, sizeof a.v); }
inline F32x4 splat(float x) { return {{x, x, x, x}}; }
inline F32x4 add(F32x4 a, F32x4 b) { return {{a.v[0] + b.v[0], a.v[1] + b.v[1], a.v[2] + b.v[2], a.v[3] + b.v[3]}}; }
inline F32x4 sub(F32x4 a, F32x4 b) { return {{a.v[0] - b.v[0], a.v[1] - b.v[1], a.v[2] - b.v[2], a.v[3] - b.v[3]}}; }
inline F32x4 mul(F32x4 a, F32x4 b) { return {{a.v[0] * b.v[0], a.v[1] * b.v[1], a.v[2] * b.v[2], a.v[3] * b.v[3]}}; }
inline float lane(F32x4 a, int i) { return a.v[i]; }
#endif

// The one horizontal sum: (l0 + l1) + (l2 + l3).
inline float hsum(F32x4 a) { return (lane(a, 0) + lane(a, 1)) + (lane(a, 2) + lane(a, 3)); }



// ---- int8 weights x int16 activation parts, exact integer sums ----
//
// The weight products of the engine (transformer.cpp) take the activations as two int16 parts,
// x ~= hi * 2^e + lo * 2^(e - 14) (about 30 significant bits: finer than float32's rounding of
// the sum), and the weights as shipped (int8). Each part's sum of products is an exact int32,
// so the order of summation cannot change a bit, and each step of 16 weights is half the work
// of widening them to float32 (i32x4.dot_i16x8_s / pmaddwd: two products per lane per
// instruction). Exactness needs n <= 2048 (|q| <= 127, |hi| <= 32767: each int32 lane sums n / 4
// products, 512 * 127 * 32767 < 2^31; the four lanes are added in int64).
constexpr size_t kMaxDotColumns = 2048;

// Sums of w[i] * hi[i] and w[i] * lo[i] over i < n (n a multiple of 16, <= kMaxDotColumns).
inline void dotInt8Int16x2(const int8_t* w, const int16_t* hi, const int16_t* lo, size_t n,
                           int64_t* sumHi, int64_t* sumLo) {
#if defined(KOLMO_SIMD4_WASM)
  v128_t accHi = wasm_i32x4_splat(0), accLo = wasm_i32x4_splat(0);
  for (size_t i = 0; i < n; i += 16) {
    const v128_t bytes = wasm_v128_load(w + i);
    const v128_t w0 = wasm_i16x8_extend_low_i8x16(bytes), w1 = wasm_i16x8_extend_high_i8x16(bytes);
    accHi = wasm_i32x4_add(accHi, wasm_i32x4_dot_i16x8(w0, wasm_v128_load(hi + i)));
    accHi = wasm_i32x4_add(accHi, wasm_i32x4_dot_i16x8(w1, wasm_v128_load(hi + i + 8)));
    accLo = wasm_i32x4_add(accLo, wasm_i32x4_dot_i16x8(w0, wasm_v128_load(lo + i)));
    accLo = wasm_i32x4_add(accLo, wasm_i32x4_dot_i16x8(w1, wasm_v128_load(lo + i + 8)));
  }
  *sumHi = int64_t{wasm_i32x4_extract_lane(accHi, 0)} + wasm_i32x4_extract_lane(accHi, 1) +
           wasm_i32x4_extract_lane(accHi, 2) + wasm_i32x4_extract_lane(accHi, 3);
  *sumLo = int64_t{wasm_i32x4_extract_lane(accLo, 0)} + wasm_i32x4_extract_lane(accLo, 1) +
           wasm_i32x4_extract_lane(accLo, 2) + wasm_i32x4_extract_lane(accLo, 3);
#elif defined(KOLMO_SIMD4_SSE2)
  __m128i accHi = _mm_setzero_si128(), accLo = _mm_setzero_si128();
  for (size_t i = 0; i < n; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
    const __m128i w0 = _mm_srai_epi16(_mm_unpacklo_epi8(bytes, bytes), 8);
    const __m128i w1 = _mm_srai_epi16(_mm_unpackhi_epi8(bytes, bytes), 8);
    const __m128i* h = reinterpret_cast<const __m128i*>(hi + i);
    const __m128i* l = reinterpret_cast<const __m128i*>(lo + i);
    accHi = _mm_add_epi32(accHi, _mm_madd_epi16(w0, _mm_loadu_si128(h)));
    accHi = _mm_add_epi32(accHi, _mm_madd_epi16(w1, _mm_loadu_si128(h + 1)));
    accLo = _mm_add_epi32(accLo, _mm_madd_epi16(w0, _mm_loadu_si128(l)));
    accLo = _mm_add_epi32(accLo, _mm_madd_epi16(w1, _mm_loadu_si128(l + 1)));
  }
  int32_t h4[4], l4[4];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h4), accHi);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(l4), accLo);
  *sumHi = int64_t{h4[0]} + h4[1] + h4[2] + h4[3];
  *sumLo = int64_t{l4[0]} + l4[1] + l4[2] + l4[3];
#else
  int64_t sh = 0, sl = 0;
  for (size_t i = 0; i < n; ++i) {
    sh += static_cast<int32_t>(w[i]) * hi[i];
    sl += static_cast<int32_t>(w[i]) * lo[i];
  }
  *sumHi = sh;
  *sumLo = sl;
#endif
}

// The same sums for four rows at once (w0..w3, each n weights), sharing the loads of hi and lo:
// sumHi[r], sumLo[r] for r < 4. Exact, so equal to four dotInt8Int16x2 calls.
inline void dotInt8Int16x2Rows4(const int8_t* const w[4], const int16_t* hi, const int16_t* lo, size_t n,
                                int64_t sumHi[4], int64_t sumLo[4]) {
#if defined(KOLMO_SIMD4_WASM)
  v128_t accHi[4], accLo[4];
  for (int r = 0; r < 4; ++r) accHi[r] = accLo[r] = wasm_i32x4_splat(0);
  for (size_t i = 0; i < n; i += 16) {
    const v128_t h0 = wasm_v128_load(hi + i), h1 = wasm_v128_load(hi + i + 8);
    const v128_t l0 = wasm_v128_load(lo + i), l1 = wasm_v128_load(lo + i + 8);
    for (int r = 0; r < 4; ++r) {
      const v128_t bytes = wasm_v128_load(w[r] + i);
      const v128_t w0 = wasm_i16x8_extend_low_i8x16(bytes), w1 = wasm_i16x8_extend_high_i8x16(bytes);
      accHi[r] = wasm_i32x4_add(accHi[r], wasm_i32x4_add(wasm_i32x4_dot_i16x8(w0, h0), wasm_i32x4_dot_i16x8(w1, h1)));
      accLo[r] = wasm_i32x4_add(accLo[r], wasm_i32x4_add(wasm_i32x4_dot_i16x8(w0, l0), wasm_i32x4_dot_i16x8(w1, l1)));
    }
  }
  for (int r = 0; r < 4; ++r) {
    sumHi[r] = int64_t{wasm_i32x4_extract_lane(accHi[r], 0)} + wasm_i32x4_extract_lane(accHi[r], 1) +
               wasm_i32x4_extract_lane(accHi[r], 2) + wasm_i32x4_extract_lane(accHi[r], 3);
    sumLo[r] = int64_t{wasm_i32x4_extract_lane(accLo[r], 0)} + wasm_i32x4_extract_lane(accLo[r], 1) +
               wasm_i32x4_extract_lane(accLo[r], 2) + wasm_i32x4_extract_lane(accLo[r], 3);
  }
#elif defined(KOLMO_SIMD4_SSE2)
  __m128i accHi[4], accLo[4];
  for (int r = 0; r < 4; ++r) accHi[r] = accLo[r] = _mm_setzero_si128();
  for (size_t i = 0; i < n; i += 16) {
    const __m128i* h = reinterpret_cast<const __m128i*>(hi + i);
    const __m128i* l = reinterpret_cast<const __m128i*>(lo + i);
    const __m128i h0 = _mm_loadu_si128(h), h1 = _mm_loadu_si128(h + 1);
    const __m128i l0 = _mm_loadu_si128(l), l1 = _mm_loadu_si128(l + 1);
    for (int r = 0; r < 4; ++r) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[r] + i));
      const __m128i w0 = _mm_srai_epi16(_mm_unpacklo_epi8(bytes, bytes), 8);
      const __m128i w1 = _mm_srai_epi16(_mm_unpackhi_epi8(bytes, bytes), 8);
      accHi[r] = _mm_add_epi32(accHi[r], _mm_add_epi32(_mm_madd_epi16(w0, h0), _mm_madd_epi16(w1, h1)));
      accLo[r] = _mm_add_epi32(accLo[r], _mm_add_epi32(_mm_madd_epi16(w0, l0), _mm_madd_epi16(w1, l1)));
    }
  }
  for (int r = 0; r < 4; ++r) {
    int32_t h4[4], l4[4];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h4), accHi[r]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(l4), accLo[r]);
    sumHi[r] = int64_t{h4[0]} + h4[1] + h4[2] + h4[3];
    sumLo[r] = int64_t{l4[0]} + l4[1] + l4[2] + l4[3];
  }
#else
  for (int r = 0; r < 4; ++r) dotInt8Int16x2(w[r], hi, lo, n, &sumHi[r], &sumLo[r]);
#endif
}

}  // namespace simd4
}  // namespace kolmo
