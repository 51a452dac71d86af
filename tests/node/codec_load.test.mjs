// web/lib/worker/codec.js itself: loading options, shared vs separate instances, load failures, and
// the typed_memory_view trap (WASM memory growth between steps must not lose logits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadCodec, KolmoError } from '../../web/lib/worker/codec.js';
import { syntheticCounts, syntheticLogits, testTokenSequence } from './synthetic_model.mjs';
import { pseudoRandomBytes } from './helpers.mjs';

test('loadCodec() shares one instance; options make a new one', async () => {
  const a = await loadCodec();
  assert.equal(await loadCodec(), a);
  const wasmBinary = await readFile(new URL('../../web/lib/wasm/kolmo_wasm.wasm', import.meta.url));
  const b = await loadCodec({ wasmBinary });
  assert.notEqual(b, a);
  assert.equal(b.urlEncode(new Uint8Array([1, 2, 3])), a.urlEncode(new Uint8Array([1, 2, 3])));
});

test('a missing .wasm rejects the load promise', async () => {
  await assert.rejects(loadCodec({ wasmUrl: new URL('./does_not_exist.wasm', import.meta.url) }));
});

test('KolmoError carries the status name as code', () => {
  const e = new KolmoError('truncated', 'detail');
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'truncated');
  assert.equal(e.name, 'KolmoError');
  assert.match(e.message, /truncated: detail/);
});

test('memory growth between steps does not lose logits (views are taken per call)', async () => {
  // A fresh instance, so its heap starts small and really grows below.
  const wasmBinary = await readFile(new URL('../../web/lib/wasm/kolmo_wasm.wasm', import.meta.url));
  const codec = await loadCodec({ wasmBinary });
  const vocab = 300;
  const eotId = vocab - 1;
  const tree = codec.buildTokenTree(syntheticCounts(vocab));
  const tokens = testTokenSequence(21, 60, vocab);
  const encode = (growEvery) => {
    const encoder = codec.createEncoder({ tree, eotId });
    let prev = eotId;
    tokens.forEach((token, i) => {
      if (growEvery && i % growEvery === 0) {
        // Large allocations in between: the cm codec's tables and a multi-MB output.
        assert.ok(codec.cmEncode(pseudoRandomBytes(i, 3 << 20)).length > 0);
      }
      encoder.encode(syntheticLogits(prev, vocab), token);
      prev = token;
    });
    return encoder.finish();
  };
  const heapBefore = codec.wasm.HEAPU8.length;
  const grown = encode(20);
  assert.ok(codec.wasm.HEAPU8.length > heapBefore, 'the heap grew during the test');
  assert.deepEqual(grown, encode(0));
  tree.dispose();
});
