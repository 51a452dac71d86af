// Conformance matrix, browser paths (tests/conformance/): every tested eval text compressed in
// Chromium on ORT Web WASM with 1 and 2 threads, or in Node on ORT Node, opens exactly on each of
// them; WebGPU (SwiftShader here: ~0.6 s per token) makes and opens the shortest text of each
// category. Then golden links (tests/golden/) open in the page. `npm test` takes the sample of
// testedEvalTexts(); `npm run conformance` all 160 texts, ~61,000 tokens (minutes).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, webgpuMissing, chromiumPath, repoRoot } from './browser.mjs';
import { testedEvalTexts, shortestPerCategory } from '../conformance/eval_texts.mjs';
import { runMatrix } from '../conformance/matrix.mjs';
import { loadCodec } from '../../web/lib/worker/codec.js';
import { NodePath, BrowserPath, nodePathSpecs, browserPathSpecs } from '../conformance/paths.mjs';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';

test('every eval text made on any browser path or Node opens exactly on every one of them', { skip, timeout: 60 * 60 * 1000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser({ webgpu: true });
  /** @type {any[]} */
  const paths = [];
  t.after(async () => {
    for (const path of paths) await path.close();
    await browser.close();
    await server.stop();
  });
  const webgpuReason = await webgpuMissing(browser, server.url);
  for (const spec of browserPathSpecs) {
    if (spec.backend === 'webgpu' && webgpuReason) {
      t.diagnostic(`WebGPU left out: ${webgpuReason}`);
      continue;
    }
    paths.push(await BrowserPath.open(spec, browser, server.url));
  }
  paths.push(new NodePath(/** @type {any} */ (nodePathSpecs.find((spec) => spec.name === 'node-cpu-1t'))));

  const texts = testedEvalTexts();
  const gpuTexts = new Set(shortestPerCategory(texts, 1).map((text) => text.name));
  const takes = (/** @type {any} */ path, /** @type {any} */ text) => path.spec.backend !== 'webgpu' || gpuTexts.has(text.name);
  const result = await runMatrix(texts, paths, paths, { encodes: takes, decodes: takes, log: (line) => t.diagnostic(line) });
  t.diagnostic(`${texts.length} texts (KOLMO_EVAL=${texts.tier}) on ${paths.map((p) => p.name).join(', ')} (WebGPU: ${gpuTexts.size} texts): ` +
    `${result.pairs} pairs checked with ${result.decodes} decodes of ${result.distinct} distinct fragments`);
  assert.deepEqual(result.failures, []);
  assert.deepEqual(Object.keys(result.modes), ['lm'], 'every link is coded with the model');
  const full = paths.filter((p) => p.spec.backend !== 'webgpu').length;
  const gpu = paths.length - full;
  const expected = (texts.length - gpuTexts.size) * full * full + gpuTexts.size * paths.length * paths.length;
  assert.equal(result.pairs, expected);
  assert.ok(gpu === 1 || webgpuReason, 'WebGPU ran');

  // Segmented links (FORMAT.md §5.7), cut into segments of ~16 tokens so that WebGPU on
  // SwiftShader takes seconds, not minutes: made on every path but WebGPU (which makes one in the
  // exhaustive tier), each opened on every path, WebGPU included, so the core engine's segments
  // open on ONNX Runtime and the other way round.
  const kTinyRule = { segmentTokens: 16, aboveTokens: 32 };
  // The text nearest 250 B whose link is segmented: the encoder keeps the smallest link, and a
  // short text's one-stream LM payload 1 (offered up to 512 positions) can beat 16-token segments.
  const codec = await loadCodec();
  let segmentText = null;
  for (const text of [...texts].sort((a, b) => Math.abs(a.bytes.length - 250) - Math.abs(b.bytes.length - 250))) {
    const probe = await paths[0].compress(text.bytes, { segmentRule: kTinyRule });
    if (codec.urlDecode(probe.fragment)[0] === 0xc3) {
      segmentText = text;
      break;
    }
  }
  assert.ok(segmentText, 'an eval text makes a segmented link with segments of ~16 tokens');
  const segmented = paths.map((path) => ({
    name: path.name, spec: path.spec,
    compress: (/** @type {Uint8Array} */ bytes) => path.compress(bytes, { segmentRule: kTinyRule }),
    decompress: (/** @type {string} */ fragment) => path.decompress(fragment),
  }));
  const segmentEncodes = (/** @type {any} */ path) => path.spec.backend !== 'webgpu' || texts.tier === 'all';
  const seg = await runMatrix([segmentText], segmented, segmented, { encodes: segmentEncodes, log: (line) => t.diagnostic(line) });
  t.diagnostic(`segmented links of ${segmentText.name} (${segmentText.bytes.length} B): ${seg.pairs} pairs, ${seg.distinct} distinct fragments`);
  assert.deepEqual(seg.failures, []);
  assert.deepEqual(Object.keys(seg.modes), ['lm']);

  // Golden links, made by the CLI in Node, open in the page: one per eval category and the
  // small edge cases on WASM, one on WebGPU. The thread count changes no bit (docs/DETERMINISM.md),
  // so npm test opens them on one WASM path and the exhaustive tier on both.
  const goldenDir = join(repoRoot, 'tests/golden');
  const vectors = JSON.parse(readFileSync(join(goldenDir, 'vectors.json'), 'utf8'));
  const goldenPaths = paths.filter((p) => p instanceof BrowserPath)
    .filter((p, i, all) => texts.tier === 'all' || p.spec.backend !== 'wasm' || all.findIndex((q) => q.spec.backend === 'wasm') === i);
  for (const path of goldenPaths) {
    // Version-2 links: npm test opens the two short ones (the Node suite opens them all).
    const inTier = (/** @type {any} */ v) => v.version === 1 || texts.tier === 'all' || v.textBytes <= 300;
    const chosen = vectors.filter((v) => (path.spec.backend === 'webgpu' ? v.name === 'one-char-lm' : v.textBytes <= 2048 && inTier(v)));
    for (const vector of chosen) {
      const out = await path.decompress(readFileSync(join(goldenDir, vector.link), 'utf8').trim());
      assert.equal(out.error, undefined, `${vector.name} on ${path.name}: ${JSON.stringify(out.error)}`);
      assert.deepEqual(out.bytes, new Uint8Array(readFileSync(join(goldenDir, vector.text.file))), `${vector.name} on ${path.name}`);
    }
    t.diagnostic(`${path.name}: ${chosen.length} golden links open`);
  }
});
