// End to end in Node with the shipped model: web/lib/worker/pipeline.js over the WASM codec, the
// core's engine (the core's link jobs) and real ONNX Runtime (the logits through JS). Texts
// encoded on one backend (core, ORT Node native CPU, ORT Web WASM) decode exactly on the others;
// damaged links fail with an error, never with a wrong text.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { repoRoot, utf8, invalidUtf8 } from './helpers.mjs';
import { loadCodec, KolmoError } from '../../web/lib/worker/codec.js';
import { createLanguageModel } from '../../web/lib/worker/model.js';
import { manifestEntry, entryForLinkIndex } from '../../web/lib/worker/model_manifest.js';
import { compressBytes, decompressContainer, encodeTokens, kLmPayloadVersion } from '../../web/lib/worker/pipeline.js';
import { createCoreModel } from '../../web/lib/worker/core_model.js';

const require = createRequire(import.meta.url);
const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
const entry = manifestEntry(manifest);
const modelDir = join(repoRoot, 'models', entry.id);
const codec = await loadCodec();
const tokenizer = codec.parseTokenizer(readFileSync(join(modelDir, 'tokenizer.kbpe')));
const tree = codec.buildTokenTree(tokenizer.tokenCounts());
const modelBytes = new Uint8Array(readFileSync(join(modelDir, 'model.onnx')));

const ortWeb = require('onnxruntime-web');
const backends = {
  node: await createLanguageModel({ ort: require('onnxruntime-node'), modelBytes, shape: entry, backends: ['node'] }),
  wasm: await createLanguageModel({ ort: ortWeb, modelBytes, shape: entry, backends: ['wasm'] }),
  core: createCoreModel(codec, modelBytes, entry),
};
const loaded = (backend) => ({ model: backends[backend], tokenizer, tree, entry });
const getModel = (backend) => async (index) => {
  if (entryForLinkIndex(manifest, index).id !== entry.id) throw new KolmoError('unknown_model', `#${index}`);
  return loaded(backend);
};

const texts = {
  empty: utf8(''),
  oneChar: utf8('a'),
  english: utf8('The quick brown fox jumps over the lazy dog, and then it goes home to sleep.'),
  chinese: utf8('北京的冬天很冷，但是南方的朋友常常不习惯没有暖气的房间。'),
  emoji: utf8('Party time 🎉🎉 see you at 8 👍🏽'),
  whitespace: utf8(' \n\t  \n\n   '),
  invalidUtf8: invalidUtf8[5],
  // Longer than the 256-token window: exercises the context-window rule on both sides.
  longProse: utf8(Array.from({ length: 12 }, (_, i) =>
    `Paragraph ${i + 1}. The river ran past the old mill, where the miller kept his accounts in a ` +
    `small green book and counted the sacks of grain twice every evening before he slept.\n`).join('')),
};

for (const [name, bytes] of Object.entries(texts)) {
  test(`${name}: encoded on each of core, node, wasm decodes exactly on the others`, async () => {
    for (const [from, to] of [['core', 'wasm'], ['wasm', 'core'], ['node', 'core'], ['core', 'node'], ['node', 'wasm']]) {
      const { container, mode } = await compressBytes(bytes, { codec, lm: loaded(from) });
      const back = await decompressContainer(container, { codec, getModel: getModel(to) });
      assert.deepEqual(back, bytes, `${from} -> ${to} (${mode})`);
      if (name === 'english') assert.equal(mode, 'lm');
      if (name === 'english' || name === 'chinese') {
        assert.ok(container.length < bytes.length * 0.6, `${name}: ${container.length} bytes for ${bytes.length}`);
      }
    }
  });
}

for (const backend of ['core', 'node']) test(`${backend}: an LM link holds the smaller of payload versions 1 and 3 for short texts, version 3 for long ones`, async () => {
  const lm = loaded(backend);
  const versionsSeen = new Set();
  for (const [name, bytes] of Object.entries(texts)) {
    const ids = tokenizer.encode(bytes);
    const { payloads } = await encodeTokens({ codec, lm, ids, payloadVersions: [kLmPayloadVersion, 1] });
    const [v3, v1] = payloads.map((p) => p.payload.length);
    const { container, mode, stats } = await compressBytes(bytes, { codec, lm, modes: ['lm'] });
    const view = codec.containerParse(container);
    const short = codec.lmPayloadVersionsFor(ids.length + 1, false).includes(1);
    const expected = short && v1 < v3 ? 1 : kLmPayloadVersion;
    assert.equal(mode, 'lm');
    assert.equal(view.lmPayloadVersion, expected, `${name}: v1 ${v1} B, v3 ${v3} B`);
    assert.equal(view.body.length, expected === 1 ? v1 : v3);
    assert.equal(/** @type {any} */ (stats).payloadVersion, expected);
    assert.deepEqual(await decompressContainer(container, { codec, getModel: getModel('wasm') }), bytes);
    versionsSeen.add(expected);
  }
  assert.deepEqual([...versionsSeen].sort(), [1, kLmPayloadVersion], 'the sample texts exercise both versions');
  // A text over the bound is coded as version 3 only.
  const long = utf8('The river ran past the old mill, and the miller counted. '.repeat(400));
  assert.deepEqual(codec.lmPayloadVersionsFor(tokenizer.encode(long).length + 1, false), [kLmPayloadVersion]);
  const { container } = await compressBytes(long, { codec, lm, modes: ['lm'] });
  assert.equal(codec.containerParse(container).lmPayloadVersion, kLmPayloadVersion);
});

for (const backend of ['core', 'wasm']) test(`${backend}: damaged LM links end in an error, never in a wrong text`, async () => {
  const bytes = texts.english;
  const { container, mode } = await compressBytes(bytes, { codec, lm: loaded('node') });
  assert.equal(mode, 'lm');
  let errors = 0;
  for (let i = 1; i < container.length; i++) {
    for (const flip of [0x01, 0x80]) {
      const damaged = container.slice();
      damaged[i] ^= flip;
      try {
        const back = await decompressContainer(damaged, { codec, getModel: getModel(backend) });
        assert.deepEqual(back, bytes, `a damaged link decoded to a different text (byte ${i})`);
      } catch (error) {
        assert.ok(error instanceof KolmoError, String(error));
        errors++;
      }
    }
  }
  assert.ok(errors > 0);
  await assert.rejects(decompressContainer(container.slice(0, container.length - 3), { codec, getModel: getModel(backend) }),
    KolmoError);
});

test('a link that names an unknown model says so', async () => {
  const { container } = await compressBytes(texts.english, { codec, lm: loaded('node') });
  // The same body framed for model index 5 (a typo-proof container cannot be edited in place:
  // its syndrome would fail first).
  const view = codec.containerParse(container);
  const other = codec.containerPack({ mode: 'lm', text: utf8(texts.english), body: view.body, modelIndex: 5, modelIdHash: '1', lmPayloadVersion: view.lmPayloadVersion });
  for (const backend of ['core', 'node']) {
    await assert.rejects(decompressContainer(other, { codec, getModel: getModel(backend) }),
      { code: 'unknown_model', message: /model #5/ });
  }
});
