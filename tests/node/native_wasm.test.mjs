// Native == WASM: the rounding layer's per-node tables (bins, flags, probabilities and the
// raw log-odds bits) and the encoder's payload bytes (LM payload v1 and v2) must be identical in the native build
// (build-native/tests/node/kolmo_native_dump) and the WASM build, for the same float32
// logits. Run after scripts/build.sh (npm test does). The tables come from the test module
// (tests/node/test_codec.mjs: the same core objects, plus the dump); everything else is the
// product module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCodec } from '../../web/lib/worker/codec.js';
import { repoRoot } from './helpers.mjs';
import { loadTestCodec } from './test_codec.mjs';
import { syntheticCounts, syntheticLogits, testLogitVector, testTokenSequence } from './synthetic_model.mjs';

const codec = await loadCodec();
const testCodec = await loadTestCodec();
const dumper = join(repoRoot, 'build-native', 'tests', 'node', 'kolmo_native_dump');

function runNative(...args) {
  assert.ok(existsSync(dumper), `${dumper} is missing: run scripts/build.sh (npm run build) first`);
  return JSON.parse(execFileSync(dumper, args.map(String), { maxBuffer: 256 << 20, encoding: 'utf8' }));
}

// Index of the first differing word, or -1.
function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

for (const [vocab, numVectors] of [[2, 7], [3, 7], [300, 28], [4099, 14]]) {
  test(`rounding tables: native == WASM, V=${vocab}, ${numVectors} logit vectors`, () => {
    const epsilon = 1e-4;
    const native = runNative('rounding', vocab, numVectors, epsilon);
    assert.equal(native.error, undefined);
    assert.equal(native.vectors.length, numVectors);
    const tree = testCodec.buildTokenTree(syntheticCounts(vocab));
    const quantizer = testCodec.buildQuantizer();
    try {
      for (let k = 0; k < numVectors; k++) {
        const words = testCodec.dumpNodeTable(tree, quantizer, testLogitVector(k, vocab), epsilon);
        assert.equal(words.length, (vocab - 1) * testCodec.wasm.kNodeDumpWords);
        const at = firstDifference(native.vectors[k], words);
        assert.equal(at, -1, `vector ${k}: first difference at node ${Math.floor(at / 6)}, word ${at % 6}: ` +
          `native ${native.vectors[k][at]}, wasm ${words[at]}`);
      }
    } finally {
      tree.dispose();
      quantizer.dispose();
    }
  });
}

const fromHex = (/** @type {string} */ hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

// LM payload v1 (the rounding layer alone), v2 (every decision mixed with the in-document
// model: bit histories, match model, mixers, APMs; integer arithmetic that must not differ) and
// v3 (v2 with span headers over the grid family: block buffering, header trees, escapes).
const encoderCases = [[2, 1, 40, 1e-4], [300, 2, 500, 1e-4], [4099, 3, 800, 1e-3], [4099, 4, 300, 0.05]];
for (const [vocab, seed, count, epsilon, payloadVersion] of [
  ...encoderCases.map((c) => [...c, 1]),
  ...encoderCases.map((c) => [...c, 2]), [4099, 5, 3000, 1e-4, 2], [8192, 6, 2000, 1e-4, 2],
  ...encoderCases.map((c) => [...c, 3]), [4099, 5, 3000, 1e-4, 3], [8192, 6, 2000, 3e-3, 3],
]) {
  test(`encoder payload v${payloadVersion}: native == WASM, V=${vocab}, ${count} tokens, epsilon ${epsilon}`, () => {
    const native = runNative('encode', vocab, seed, count, epsilon, payloadVersion);
    assert.equal(native.error, undefined);
    const tokens = testTokenSequence(seed, count, vocab);
    assert.deepEqual(native.tokens, Array.from(tokens), 'same token sequence');
    const tree = codec.buildTokenTree(syntheticCounts(vocab));
    try {
      const eotId = vocab - 1;
      const encoder = codec.createEncoder({ tree, eotId, epsilon, payloadVersion, tokenCount: tokens.length });
      let prev = eotId;
      for (const token of tokens) {
        encoder.encode(syntheticLogits(prev, vocab), token);
        prev = token;
      }
      const payload = encoder.finish();
      const stats = encoder.stats();
      assert.equal(toHex(payload), native.payload);
      assert.deepEqual([stats.steps, stats.fragileSteps, stats.escapes], [native.steps, native.fragileSteps, native.escapes]);
      if (payloadVersion > 1) {
        assert.notEqual(native.payload, runNative('encode', vocab, seed, count, epsilon, payloadVersion - 1).payload, `v${payloadVersion} codes differently from v${payloadVersion - 1}`);
      }
      if (payloadVersion === 3 && epsilon >= 3e-3) assert.ok(stats.fragileSteps > 0, 'spans off grid 0 are exercised');
      // The WASM decoder reads the native payload back to the same tokens.
      const decoder = codec.createDecoder({ tree, eotId, payload: fromHex(native.payload), payloadVersion });
      prev = eotId;
      const decoded = [];
      while (!decoder.done) {
        const token = decoder.decode(syntheticLogits(prev, vocab));
        decoded.push(token);
        prev = token;
      }
      assert.deepEqual(decoded, Array.from(tokens));
    } finally {
      tree.dispose();
    }
  });
}
