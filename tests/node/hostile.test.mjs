// Hostile links cost bounded work, on every Node backend: one token bound shared by encoder side
// and decoder (read from the WASM module), a short crafted stream refused after exactly that many
// tokens (synthetic model, through the WASM codec), a crafted link for the shipped model that
// does not end by itself (refused at the limit the decoder is given), and abort: a decode of it
// yields to the event loop (timers run during it) and stops within a step of the signal, on ONNX
// Runtime Node (CPU) and ONNX Runtime Web's WASM in Node (where a decode used to block the process
// and ignore AbortSignal.timeout).
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadCodec } from '../../web/lib/worker/codec.js';
import { Kolmo } from '../../web/lib/index.js';
import { decodeTokens } from '../../web/lib/worker/pipeline.js';
import { openShippedModel } from '../conformance/shipped_model.mjs';
import { craftLink } from '../hostile/craft.mjs';
import { syntheticCounts } from './synthetic_model.mjs';

const codec = await loadCodec();

test('one token bound: the encoder side and the decoder read the same value from the module', () => {
  assert.equal(codec.maxLmTokens(), 1 << 16);
  assert.equal(codec.wasm.defaultDecodeLimits().maxTokens, codec.maxLmTokens());
});

test('a crafted stream of 12-odd bytes for 70,001 tokens is refused after exactly maxLmTokens tokens', () => {
  const vocab = 256;
  const eotId = vocab - 1;
  const tree = codec.buildTokenTree(syntheticCounts(vocab));
  const logits = new Float32Array(vocab);
  logits[17] = 40; // a model all but certain of one token: the cheapest stream to craft
  const encoder = codec.createEncoder({ tree, eotId });
  const crafted = 70000;
  encoder.encodeMany(new Float32Array(crafted * vocab).map((_, i) => logits[i % vocab]), new Uint32Array(crafted).fill(17));
  encoder.encode(logits, eotId);
  const payload = encoder.finish();
  assert.ok(payload.length < 64, `payload of ${payload.length} bytes`);

  const run = (/** @type {number|undefined} */ maxTokens) => {
    const decoder = codec.createDecoder({ tree, eotId, payload, maxTokens });
    let steps = 0;
    try {
      while (!decoder.done) {
        steps++;
        decoder.decode(logits);
      }
      return { steps, code: 'ok' };
    } catch (error) {
      return { steps, code: /** @type {any} */ (error).code };
    } finally {
      decoder.dispose();
    }
  };
  assert.deepEqual(run(undefined), { steps: codec.maxLmTokens(), code: 'length_over_limit' });
  assert.deepEqual(run(crafted + 1), { steps: crafted + 1, code: 'ok' });
});

// The crafted link of the shipped model: 70,000 spaces' tokens and no EOT within the bound.
const shipped = await openShippedModel({ backend: 'node' });
const space = shipped.tokenizer.encode(new TextEncoder().encode(' '))[0];
const hostile = await craftLink(shipped, 70000, space);

test('the shipped model: the crafted link decodes on and on, and stops at the decoder\'s limit', async () => {
  let decoded = 0;
  await assert.rejects(
    decodeTokens({ codec, lm: shipped.lm, payload: codec.containerParse(hostile.container).body, maxTokens: 300, onToken: () => decoded++ }),
    (error) => /** @type {any} */ (error).code === 'length_over_limit',
  );
  assert.equal(decoded, 299); // every token but the one that would pass the limit
});

for (const backend of /** @type {const} */ (['node', 'wasm'])) {
  test(`abort: a decode of the crafted link on ${backend} lets timers run and stops within a step of the signal`, async (t) => {
    const kolmo = new Kolmo({ backends: [backend], cache: false });
    t.after(() => kolmo.dispose());
    await kolmo.load();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    t.after(() => clearInterval(timer));
    const timeoutMs = 1500;
    const started = performance.now();
    let tokens = 0;
    await assert.rejects(
      kolmo.decompress(hostile.fragment, { signal: AbortSignal.timeout(timeoutMs), onProgress: (p) => (tokens = p.done) }),
      (error) => /** @type {any} */ (error).code === 'aborted',
    );
    const latency = performance.now() - started - timeoutMs;
    t.diagnostic(`${backend}: ${tokens} tokens decoded, aborted ${latency.toFixed(0)} ms after the signal; timer ticks during the decode: ${ticks}`);
    assert.ok(tokens > 0, 'the decode had started');
    // A blocked event loop gives 0 ticks; a paced one at least one per yield (every 20 ms or
    // every model step, whichever is longer: a WASM step takes tens of ms on a busy machine).
    assert.ok(ticks >= 5, `timers ran during the decode (${ticks} ticks of 10 ms in ${timeoutMs} ms)`);
    assert.ok(latency < 1000, `aborted ${latency.toFixed(0)} ms after the signal`);
  });
}
