// The shipped default model: its files hash to its id, tampered or mislabelled files are rejected
// naming what is wrong, and its ONNX graph follows the decoder convention under ONNX Runtime Node
// and ONNX Runtime Web (WASM), with KV-cache steps matching the batched pass.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { repoRoot } from './helpers.mjs';
import {
  manifestEntry, entryForLinkIndex, verifyModelFiles, checkGraphConvention, modelIdHash, sha256Hex,
} from '../../web/lib/worker/model_manifest.js';
import { decoderFeeds } from '../../web/lib/worker/model.js';

const require = createRequire(import.meta.url);
const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
const entry = manifestEntry(manifest);
const modelDir = join(repoRoot, 'models', entry.id);
const files = {
  'model.onnx': new Uint8Array(readFileSync(join(modelDir, 'model.onnx'))),
  'tokenizer.kbpe': new Uint8Array(readFileSync(join(modelDir, 'tokenizer.kbpe'))),
};

test('the default model files hash to its id and match the manifest', async () => {
  await verifyModelFiles(entry, files);
  assert.equal(entryForLinkIndex(manifest, entry.index).id, entry.id);
  assert.equal(modelIdHash(entry.id).toString(16).padStart(16, '0'), entry.id_hash);
  const json = new Uint8Array(readFileSync(join(modelDir, 'tokenizer.json')));
  assert.equal(await sha256Hex(json), entry.files['tokenizer.json'].sha256);
});

test('tampered, truncated, missing or mislabelled files are rejected, naming the problem', async () => {
  const flipped = files['model.onnx'].slice();
  flipped[flipped.length >> 1] ^= 1;
  await assert.rejects(verifyModelFiles(entry, { ...files, 'model.onnx': flipped }),
    { code: 'model_mismatch', message: /model\.onnx sha256/ });
  await assert.rejects(verifyModelFiles(entry, { ...files, 'tokenizer.kbpe': files['tokenizer.kbpe'].slice(1) }),
    { code: 'model_mismatch', message: /tokenizer\.kbpe has \d+ bytes/ });
  await assert.rejects(verifyModelFiles(entry, { 'model.onnx': files['model.onnx'] }),
    { code: 'model_mismatch', message: /tokenizer\.kbpe is missing/ });
  await assert.rejects(verifyModelFiles({ ...entry, id: 'km1-0000000000000000' }, files),
    { code: 'model_mismatch', message: /hash to model id hash [0-9a-f]{16}, not that of km1-0{16}/ });
  // The family label is for people: the files must hash to the 64 bits whatever it says.
  const relabelled = `km9-${entry.id.slice(4)}`;
  await verifyModelFiles({ ...entry, id: relabelled }, files);
  assert.equal(modelIdHash(relabelled), modelIdHash(entry.id));
  assert.throws(() => manifestEntry(manifest, 'km1-ffffffffffffffff'), { code: 'unknown_model' });
  assert.throws(() => entryForLinkIndex(manifest, 6), { code: 'unknown_model', message: /model #6/ });
  assert.throws(() => modelIdHash('gpt2'), { code: 'unknown_model' });
  assert.throws(() => modelIdHash(`km1-${'A'.repeat(16)}`), { code: 'unknown_model' });
});

test('graph convention check names missing and unexpected inputs and outputs', () => {
  assert.throws(() => checkGraphConvention(['input_ids', 'past_key_values.0.key', 'foo'], ['logits'], 1),
    { code: 'bad_model', message: /missing input past_key_values\.0\.value.*missing output present\.0\.key.*unexpected input foo/ });
});

// Runs the graph: batched pass from an empty cache, then the same tokens one by one with the
// cache; the logits must agree to float32 precision and the I/O must follow the convention.
async function checkRuntime(ort, options) {
  const session = await ort.InferenceSession.create(files['model.onnx'], options);
  checkGraphConvention(session.inputNames, session.outputNames, entry.n_layers);
  const ids = [entry.eot_id, 464, 2048, 17, 999, 5000, 12];
  const feeds = (tokens, pastLength, past) => decoderFeeds(ort, entry, tokens, pastLength, past);
  const batched = await session.run(feeds(ids, 0, null));
  assert.deepEqual(batched.logits.dims, [1, ids.length, entry.vocab_size]);
  let past = null;
  let maxDiff = 0;
  for (let t = 0; t < ids.length; t++) {
    const out = await session.run(feeds([ids[t]], t, past));
    assert.deepEqual(out['present.0.key'].dims, [1, entry.n_heads, t + 1, entry.head_dim]);
    const row = batched.logits.data.subarray(t * entry.vocab_size, (t + 1) * entry.vocab_size);
    for (let v = 0; v < entry.vocab_size; v++) maxDiff = Math.max(maxDiff, Math.abs(out.logits.data[v] - row[v]));
    assert.ok(out.logits.data.every(Number.isFinite));
    past = out;
  }
  assert.ok(maxDiff < 1e-4, `single-step vs batched logits differ by ${maxDiff}`);
}

test('ONNX Runtime Node runs the model; single steps match the batched pass', async () => {
  await checkRuntime(require('onnxruntime-node'), { executionProviders: ['cpu'] });
});

test('ONNX Runtime Web (WASM) runs the model; single steps match the batched pass', async () => {
  const ort = require('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  await checkRuntime(ort, { executionProviders: ['wasm'] });
});
