// The synthetic deterministic "language model" of tests/synthetic_model.h, in JS: identical logits
// to tests/synthetic_model.h in C++, so native and WASM tests drive the codec with the same
// float32 values. u32 arithmetic wraps via Math.imul and >>> 0; float casts via Math.fround
// (Float32Array stores round the same way).

// mix32: a 32-bit integer hash (wrapping u32 multiply).
export function mix32(x) {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

// Fills out (vocab,) float32 with the logits for the token after `prev` (the previous token
// id; the EOT/BOS id at the start) and returns it:
//   logit[i] = float(double(mix32(prev*0x9E3779B1 + i) % 4096) / 256.0 - 8.0)
//   logit[mix32(prev) % V] += 10.0f
export function syntheticLogits(prev, vocab, out = new Float32Array(vocab)) {
  const base = Math.imul(prev >>> 0, 0x9e3779b1);
  for (let i = 0; i < vocab; i++) {
    out[i] = (mix32(base + i) % 4096) / 256.0 - 8.0;  // exact in double; the store rounds to f32
  }
  const peak = mix32(prev) % vocab;
  out[peak] = Math.fround(out[peak] + 10.0);
  return out;
}

// Zipf-like unigram counts with a deterministic shuffle of ranks (tests/synthetic_model.h,
// syntheticCounts): count[i] = 1 + floor(10^7 / rank), rank = 1 + mix32(i ^ 0x5bd1e995) % V.
export function syntheticCounts(vocab) {
  const counts = new Float64Array(vocab);
  for (let i = 0; i < vocab; i++) {
    const rank = 1 + (mix32(i ^ 0x5bd1e995) % vocab);
    counts[i] = 1 + Math.floor(10000000 / rank);
  }
  return counts;
}

const kScales = [1.0, 0.05, 0.5, 3.0, 40.0].map(Math.fround);
const kMinusHuge = Math.fround(-1e30);

// Logit vector k of the native == WASM comparison (tests/node/native_dump.cpp,
// testLogitVector): kind = k % 7; base = syntheticLogits(mix32(k) % V, V);
// kinds 0..4: base * scale (float multiply; the double product of two floats is exact, so
// one rounding to float equals C++'s float multiply); kind 5: entries with mix32(k + i) odd
// set to -1e30; kind 6: all zeros.
export function testLogitVector(k, vocab) {
  const kind = k % 7;
  const logits = syntheticLogits(mix32(k) % vocab, vocab);
  if (kind < 5) {
    const scale = kScales[kind];
    for (let i = 0; i < vocab; i++) logits[i] = logits[i] * scale;
  } else if (kind === 5) {
    for (let i = 0; i < vocab; i++) if (mix32(k + i) & 1) logits[i] = kMinusHuge;
  } else {
    logits.fill(0);
  }
  return logits;
}

// A compressible token sequence for native == WASM payload tests, without libm (so C++ and JS
// build it identically; tests/node/native_dump.cpp, testTokenSequence): token i follows the
// model's peak (mix32(prev) % V) when h = mix32(seed * 0x01000193 + i) has low bits != 0,
// else it is (h >>> 2) % eotId; a peak equal to eotId counts as the latter. EOT (= V - 1)
// is appended. Returns Uint32Array(count + 1).
export function testTokenSequence(seed, count, vocab) {
  const eotId = vocab - 1;
  const ids = new Uint32Array(count + 1);
  let prev = eotId;
  for (let i = 0; i < count; i++) {
    const h = mix32(Math.imul(seed >>> 0, 0x01000193) + i);
    const peak = mix32(prev) % vocab;
    const token = (h & 3) !== 0 && peak !== eotId ? peak : (h >>> 2) % eotId;
    ids[i] = token;
    prev = token;
  }
  ids[count] = eotId;
  return ids;
}
