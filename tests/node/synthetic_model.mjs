// The synthetic deterministic "language model" of docs (DESIGN.md), in JS: identical logits
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

// A deterministic token sequence for tests: `count` text tokens in [0, eotId), drawn from
// mix32(seed, i), framed as the codec expects: no BOS (the sessions add the context), the EOT
// id as the last token. Returns a Uint32Array of count + 1 ids.
export function syntheticTokens(seed, count, eotId) {
  const ids = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) ids[i] = mix32(Math.imul(seed >>> 0, 0x01000193) + i) % eotId;
  ids[count] = eotId;
  return ids;
}
