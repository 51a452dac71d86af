// expandInt8Weights: the shipped model's int8 rows expanded to float32 give the same logits as
// the graph's own Cast + Mul, and models without int8 rows pass through untouched.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { repoRoot } from './helpers.mjs';
import { manifestEntry } from '../../web/lib/worker/model_manifest.js';
import { expandInt8Weights } from '../../web/lib/worker/onnx_weights.js';
import { decoderFeeds } from '../../web/lib/worker/model.js';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
const entry = manifestEntry(manifest);
const modelBytes = new Uint8Array(readFileSync(join(repoRoot, 'models', entry.id, 'model.onnx')));

async function logits(bytes, ids) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const feeds = decoderFeeds(ort, entry, ids, 0, null);
  const out = await session.run(feeds);
  return { data: out.logits.data, inputs: session.inputNames, outputs: session.outputNames };
}

test('expanded weights: same graph I/O, logits equal to the Cast + Mul graph within float32 noise', async () => {
  const expanded = expandInt8Weights(modelBytes);
  assert.ok(expanded.length > 3 * modelBytes.length, 'int8 rows should have become float32');
  const ids = [entry.eot_id, 100, 2000, 300, 4000];
  const a = await logits(modelBytes, ids);
  const b = await logits(expanded, ids);
  assert.deepEqual(b.inputs, a.inputs);
  assert.deepEqual(b.outputs, a.outputs);
  let maxDiff = 0;
  for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
  assert.ok(maxDiff < 1e-4, `max diff ${maxDiff}`);
});

test('a model without int8 rows passes through unchanged; garbage is rejected', () => {
  const once = expandInt8Weights(modelBytes);
  assert.equal(expandInt8Weights(once), once);
  assert.throws(() => expandInt8Weights(Uint8Array.from([0x3a, 0x05, 0x01])), /truncated/);
});
