// The core's model engine (src/transformer.h) on the real shipped models: its logits are
// bit-identical in the native build (build-native/tests/node/kolmo_native_dump) and the WASM
// build; within epsilon / 2 of ONNX Runtime (Node CPU and Web WASM) on eval texts of every
// category; its links open on ONNX Runtime and ONNX Runtime's open on it; damaged model files
// are refused with bad_model. The full drift table over all 160 texts: bench/drift.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { loadCodec } from '../../web/lib/worker/codec.js';
import { createCoreModel } from '../../web/lib/worker/core_model.js';
import { createLanguageModel } from '../../web/lib/worker/model.js';
import { codedSequence, sequenceLogits } from '../../web/lib/worker/pipeline.js';
import { Kolmo } from '../../web/lib/index.js';
import { evalTexts, shortestPerCategory } from '../conformance/eval_texts.mjs';
import { repoRoot } from './helpers.mjs';

const require = createRequire(import.meta.url);
const codec = await loadCodec();
const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
const dumper = join(repoRoot, 'build-native', 'tests', 'node', 'kolmo_native_dump');
const kEpsilon = codec.defaultEpsilon();

function modelFiles(id) {
  const dir = join(repoRoot, 'models', id);
  return {
    entry: { id, ...manifest.models[id] },
    modelPath: join(dir, 'model.onnx'),
    modelBytes: new Uint8Array(readFileSync(join(dir, 'model.onnx'))),
    tokenizer: codec.parseTokenizer(readFileSync(join(dir, 'tokenizer.kbpe'))),
  };
}

// FNV-1a 64 over the float32 words, as kolmo_native_dump hashes them.
function logitsHash(logits) {
  const words = new Uint32Array(logits.buffer, logits.byteOffset, logits.length);
  let h = 0xcbf29ce484222325n;
  for (const w of words) h = ((h ^ BigInt(w)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

const maxAbsDiff = (a, b) => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

for (const id of Object.keys(manifest.models)) {
  test(`${id}: native == WASM logits, bit for bit, on real text`, () => {
    assert.ok(existsSync(dumper), `${dumper} is missing: run scripts/build.sh first`);
    const { entry, modelPath, modelBytes, tokenizer } = modelFiles(id);
    const model = createCoreModel(codec, modelBytes, entry);
    try {
      for (const text of shortestPerCategory(evalTexts(), 1).slice(0, 4)) {
        const seq = codedSequence(tokenizer.encode(text.bytes), entry.eot_id).subarray(0, entry.context);
        const wasm = model.engine.append(seq, true);
        model.engine.reset();
        const native = JSON.parse(execFileSync(dumper, ['engine', modelPath, String(entry.n_heads), String(entry.context), Array.from(seq).join(',')], { encoding: 'utf8' }));
        assert.equal(native.rows, seq.length);
        assert.equal(native.logitsHash, logitsHash(wasm), `${text.name}: native and WASM logits differ`);
      }
    } finally {
      model.dispose();
    }
  });
}

test('the engine stays within epsilon / 2 of ONNX Runtime Node and Web WASM on every category', async (t) => {
  const { entry, modelBytes, tokenizer } = modelFiles(manifest.default);
  const core = createCoreModel(codec, modelBytes, entry);
  const orts = [
    await createLanguageModel({ ort: require('onnxruntime-node'), modelBytes, shape: entry, backends: ['node'] }),
    await createLanguageModel({ ort: require('onnxruntime-web'), modelBytes, shape: entry, backends: ['wasm'] }),
  ];
  try {
    for (const text of shortestPerCategory(evalTexts(), 1)) {
      const seq = codedSequence(tokenizer.encode(text.bytes), entry.eot_id);
      const batched = await sequenceLogits(codec, core, seq, 'batched');
      const stepwise = await sequenceLogits(codec, core, seq, 'stepwise');
      assert.equal(maxAbsDiff(batched, stepwise), 0, `${text.name}: the engine's batched and stepwise logits differ`);
      for (const ort of orts) {
        const drift = maxAbsDiff(batched, await sequenceLogits(codec, ort, seq, 'batched'));
        t.diagnostic(`${text.name} (${seq.length} tokens): engine vs ORT ${ort.backend}: max |Δlogit| ${drift.toExponential(2)}`);
        assert.ok(drift <= kEpsilon / 2, `${text.name}: engine vs ORT ${ort.backend} drift ${drift} > ${kEpsilon / 2}`);
      }
    }
  } finally {
    core.dispose();
    for (const ort of orts) await ort.dispose();
  }
});

test('links made on the engine open on ONNX Runtime, and the other way round', async () => {
  const core = new Kolmo({ backends: ['core'], cache: false });
  const ort = new Kolmo({ backends: ['wasm'], cache: false });
  const texts = shortestPerCategory(evalTexts(), 1).slice(0, 3);
  for (const text of texts) {
    const fromCore = await core.compress(text.bytes, { modes: ['lm'] });
    const fromOrt = await ort.compress(text.bytes, { modes: ['lm'] });
    assert.equal(fromCore.stats.backend, 'core');
    assert.equal(fromOrt.stats.backend, 'wasm');
    assert.deepEqual(await ort.decompress(fromCore.fragment, { output: 'bytes' }), text.bytes, text.name);
    assert.deepEqual(await core.decompress(fromOrt.fragment, { output: 'bytes' }), text.bytes, text.name);
  }
});

test('a damaged, truncated or foreign model file is refused with bad_model, and a good one loads after', () => {
  const { entry, modelBytes } = modelFiles(manifest.default);
  const html = new TextEncoder().encode('<!doctype html><title>404</title>');
  for (const bytes of [modelBytes.subarray(0, modelBytes.length >> 1), modelBytes.subarray(0, 9), html, new Uint8Array(0)]) {
    assert.throws(() => createCoreModel(codec, bytes, entry), (e) => e.code === 'bad_model' && /kolmo model/.test(e.message));
  }
  assert.throws(() => createCoreModel(codec, modelBytes, { ...entry, vocab_size: 4096 }), (e) => e.code === 'bad_model');
  createCoreModel(codec, modelBytes, entry).dispose();
});
