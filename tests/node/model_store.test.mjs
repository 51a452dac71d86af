// loadModelFiles(entry, {use, discard}) (web/lib/worker/model_store.js): what the caller makes of
// the model files (the engine, in engine.js) is made while their sha256 is being checked, and is
// handed back only once they match. A damaged cached file: what was made of it is discarded, the
// files are downloaded and used again; a damaged download: discarded, model_mismatch; a file of
// the wrong size (truncated) never reaches use(). Served from a local HTTP server, cached in a
// temporary folder.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, serveModels } from './helpers.mjs';
import { loadModelFiles } from '../../web/lib/worker/model_store.js';
import { manifestEntry } from '../../web/lib/worker/model_manifest.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
const entry = manifestEntry(manifest);

/** A use/discard pair that records what it was given. */
function recorder({ fail = (/** @type {Record<string, Uint8Array>} */ _files) => false } = {}) {
  /** @type {Array<{id: number, bytes: number}>} */
  const made = [];
  /** @type {number[]} */
  const discarded = [];
  return {
    made,
    discarded,
    use: async (/** @type {Record<string, Uint8Array>} */ files) => {
      const thing = { id: made.length, bytes: files['model.onnx'].length, first: files['model.onnx'][1000] };
      made.push(thing);
      if (fail(files)) throw Object.assign(new Error('not a model'), { code: 'bad_model' });
      return thing;
    },
    discard: (/** @type {{id: number}} */ thing) => void discarded.push(thing.id),
  };
}

const cachedModel = (/** @type {string} */ cache) => join(cache, /** @type {string} */ (
  readdirSync(cache, { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith('model.onnx') && statSync(join(cache, p)).isFile())));

test('use() gets the files and its result comes back once they match; nothing is discarded', async (t) => {
  const server = await serveModels();
  t.after(() => server.close());
  const record = recorder();
  const made = await loadModelFiles(entry, { baseUrl: server.url, cache: false, use: record.use, discard: record.discard });
  assert.deepEqual(made, record.made[0]);
  assert.equal(record.made.length, 1);
  assert.deepEqual(record.discarded, []);
  // Without use: the files, as before.
  const files = await loadModelFiles(entry, { baseUrl: server.url, cache: false });
  assert.equal(files['model.onnx'].length, entry.files['model.onnx'].bytes);
});

test('a damaged cached model: what was made of it is discarded, the fresh download is used', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'kolmo-store-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const server = await serveModels();
  t.after(() => server.close());
  await loadModelFiles(entry, { baseUrl: server.url, cache });
  const onnx = cachedModel(cache);
  const bytes = readFileSync(onnx);
  bytes[1000] ^= 1; // same size: only the hash tells
  writeFileSync(onnx, bytes);
  const record = recorder();
  const made = await loadModelFiles(entry, { baseUrl: server.url, cache, use: record.use, discard: record.discard });
  assert.equal(record.made.length, 2, 'used once damaged, once downloaded');
  assert.deepEqual(record.discarded, [0]);
  assert.equal(made.id, 1);
  assert.notEqual(record.made[0].first, record.made[1].first);
  assert.notDeepEqual(readFileSync(onnx), bytes, 'the cache entry was replaced');

  // use() failing on the damaged file (it is not a model) gives way to the mismatch, too.
  writeFileSync(onnx, bytes);
  const failing = recorder({ fail: (files) => files['model.onnx'][1000] === bytes[1000] });
  const again = await loadModelFiles(entry, { baseUrl: server.url, cache, use: failing.use, discard: failing.discard });
  assert.equal(failing.made.length, 2);
  assert.equal(again.id, 1);
});

test('a truncated cached model never reaches use(); a damaged download is refused and discarded', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'kolmo-store-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const good = await serveModels();
  t.after(() => good.close());
  await loadModelFiles(entry, { baseUrl: good.url, cache });
  const onnx = cachedModel(cache);
  writeFileSync(onnx, readFileSync(onnx).subarray(0, 4096));
  const record = recorder();
  await loadModelFiles(entry, { baseUrl: good.url, cache, use: record.use, discard: record.discard });
  assert.deepEqual(record.made.map((m) => m.bytes), [entry.files['model.onnx'].bytes], 'only the full file was used');

  const bad = await serveModels((path, bytes) => {
    if (!path.endsWith('model.onnx')) return bytes;
    const copy = Buffer.from(bytes);
    copy[1000] ^= 0xff;
    return copy;
  });
  t.after(() => bad.close());
  const refused = recorder();
  await assert.rejects(loadModelFiles(entry, { baseUrl: bad.url, cache: false, use: refused.use, discard: refused.discard }),
    { code: 'model_mismatch', message: /model\.onnx sha256/ });
  assert.equal(refused.made.length, 1);
  assert.deepEqual(refused.discarded, [0]);

  // An error of use() on files that match is its own.
  const failing = recorder({ fail: () => true });
  await assert.rejects(loadModelFiles(entry, { baseUrl: good.url, cache: false, use: failing.use, discard: failing.discard }),
    { code: 'bad_model' });
});
