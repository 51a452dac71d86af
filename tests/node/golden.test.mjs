// Golden links (tests/golden/): fragments made by earlier versions of kolmo, with the texts they
// must open to, forever. A change of the container format, tokenizer, model or rounding layer
// that breaks one must bump the container version or the model id and keep the old path
// decoding (tests/golden/README.md). One link per eval category, plus edge cases: the empty
// text, one character, bytes that are not UTF-8 (made and opened with the CLI), a text longer
// than the model's context, the longest text the model codes and the largest a link may hold.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers.mjs';
import { decompress } from '../../web/lib/index.js';
import { loadCodec } from '../../web/lib/worker/codec.js';
import { entryForLinkIndex } from '../../web/lib/worker/model_manifest.js';
import { evalConcat, sha256 } from '../golden/sources.mjs';
import { testTier } from '../conformance/eval_texts.mjs';

const goldenDir = join(repoRoot, 'tests/golden');
const vectors = JSON.parse(readFileSync(join(goldenDir, 'vectors.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
const codec = await loadCodec();
const kBump = 'a shipped link no longer opens: bump the container version or the model id and keep the old path decoding (tests/golden/README.md)';

/** @returns {Uint8Array} */
function expectedText(vector) {
  const bytes = vector.text.file
    ? new Uint8Array(readFileSync(join(goldenDir, vector.text.file)))
    : evalConcat(vector.text.generated.evalConcat);
  assert.equal(sha256(bytes), vector.textSha256, `${vector.name}: the expected text itself changed (tests/data/eval edited?)`);
  return bytes;
}

const linkOf = (vector) => readFileSync(join(goldenDir, vector.link), 'utf8').trim();

test('the golden set covers every eval category and each edge case', () => {
  const names = new Set(vectors.map((v) => v.name));
  for (const required of ['eval-code', 'eval-en-chat', 'eval-en-prose', 'eval-json', 'eval-markdown', 'eval-mixed',
    'eval-zh-chat', 'eval-zh-prose', 'empty', 'one-char', 'invalid-utf8', 'over-context', 'largest-lm', 'largest-text']) {
    assert.ok(names.has(required), `missing golden link ${required}`);
  }
  const modes = new Set(vectors.map((v) => v.mode));
  assert.deepEqual([...modes].sort(), ['cm', 'lm', 'stored']);
  // Container version 2 (LM payload v2) has its own links for every category and edge case.
  for (const name of [...names].filter((n) => /^(eval-|one-char-lm$|invalid-utf8-lm$|over-context$)/.test(n))) {
    assert.equal(vectors.find((v) => v.name === `v2-${name}`)?.version, 2, `missing version-2 golden link v2-${name}`);
  }
});

// Container versions 2-5 were written while km2 was the default (tests/golden/make.mjs): km2 keeps
// their links for every category; every default model has version-6 links (what the writer makes
// now) for every category and the edge cases.
const kLegacyWriterFamily = 'km2';
const defaultFamily = manifest.default.split('-')[0];

test('every shipped model has golden links; km2 in every eval category in LM payloads v2 and v3, the default model in container version 6', () => {
  for (const id of Object.keys(manifest.models)) {
    assert.ok(vectors.some((v) => v.model === id), `model ${id} has no golden link: run node tests/golden/make.mjs`);
  }
  const idOf = (/** @type {string} */ family) => Object.keys(manifest.models).find((id) => id.startsWith(`${family}-`)) ?? '';
  const categoriesOf = (/** @type {string} */ id, /** @type {number} */ version) =>
    new Set(vectors.filter((v) => v.model === id && v.version === version && v.name.includes('eval-')).map((v) => v.name.split('eval-')[1]));
  const categories = [...new Set(vectors.filter((v) => /^eval-/.test(v.name)).map((v) => v.name.slice(5)))].sort();
  // Container version 2 holds LM payload v2; version 4 holds v3.
  for (const version of [2, 4]) {
    assert.deepEqual([...categoriesOf(idOf(kLegacyWriterFamily), version)].sort(), categories,
      `km2 needs a container-version-${version} golden link per category`);
  }
  assert.deepEqual([...categoriesOf(manifest.default, 6)].sort(), categories,
    `the default model ${manifest.default} needs a container-version-6 golden link per category: node tests/golden/make.mjs`);
  // The CRLF forms (versions 3 and 5) and the edge cases of payload v3's span headers.
  const names = new Set(vectors.map((v) => v.name));
  for (const name of ['v3-crlf-code', 'v4-crlf-code', 'v4-one-char-lm', 'v4-over-context', 'v4-one-block', 'v4-block-plus-one']) {
    assert.ok(names.has(`${kLegacyWriterFamily}-${name}`), `missing golden link ${kLegacyWriterFamily}-${name}`);
  }
  assert.equal(vectors.find((v) => v.name === `${kLegacyWriterFamily}-v4-crlf-code`)?.version, 5);
  for (const name of ['empty', 'one-char-lm', 'invalid-utf8-lm', 'over-context', 'one-block', 'crlf-code', 'crlf-only']) {
    assert.ok(names.has(`${defaultFamily}-v6-${name}`), `missing golden link ${defaultFamily}-v6-${name}: node tests/golden/make.mjs`);
  }
});

test('segmented links (FORMAT.md §5.7): several segment counts, one just over the threshold, one at it that stays one stream', () => {
  const headerOf = (/** @type {string} */ family, /** @type {string} */ name) => {
    const vector = vectors.find((v) => v.name === `${family}-v6-${name}`);
    assert.ok(vector, `missing golden link ${family}-v6-${name}: node tests/golden/make.mjs`);
    return codec.urlDecode(linkOf(vector))[0];
  };
  assert.equal(headerOf(kLegacyWriterFamily, 'seg-at-threshold') & 0x18, 0x10, 'at the threshold: one LM payload-3 stream (kind 16 + model)');
  assert.equal(headerOf(kLegacyWriterFamily, 'seg-four'), 0xc3);
  for (const family of new Set([kLegacyWriterFamily, defaultFamily])) {
    for (const name of ['seg-over-threshold', 'seg-small-many']) assert.equal(headerOf(family, name), 0xc3, `${family} ${name}`);
    assert.equal(headerOf(family, 'seg-small-crlf'), 0xc4);
  }
});

test('every model a golden link names is still shipped, at the same link index', () => {
  for (const vector of vectors.filter((v) => v.model)) {
    const entry = entryForLinkIndex(manifest, vector.modelIndex);
    assert.equal(entry?.id, vector.model, `${vector.name}: link index ${vector.modelIndex} must stay ${vector.model}`);
  }
});

// The longest model link (65,535 tokens) takes minutes to decode on 2 cores: it opens in the
// exhaustive tier (npm run conformance); npm test opens every other golden link, the bound itself
// is tested on crafted links.
const kExhaustiveOnly = new Set(['largest-lm']);
const tier = testTier();

for (const vector of vectors) {
  const skip = tier !== 'all' && kExhaustiveOnly.has(vector.name) ? 'opens in npm run conformance (KOLMO_EVAL=all): minutes of decoding' : false;
  test(`golden ${vector.name} (${vector.mode}, ${vector.textBytes} B): ${vector.description}`, { skip }, async () => {
    const expected = expectedText(vector);
    const link = linkOf(vector);
    const view = codec.containerParse(codec.urlDecode(link));
    assert.equal(view.version, vector.version);
    assert.equal(view.mode, vector.mode);
    let decoded;
    try {
      decoded = await decompress(link, { output: 'bytes', backends: ['core'] });
    } catch (error) {
      assert.fail(`${vector.name}: ${error.code}: ${error.message}; ${kBump}`);
    }
    assert.ok(Buffer.compare(Buffer.from(decoded), Buffer.from(expected)) === 0, `${vector.name}: a different text; ${kBump}`);
  });
}

test('golden links open with the CLI too (bytes that are not UTF-8 come back exactly)', () => {
  for (const vector of vectors.filter((v) => v.name.startsWith('invalid-utf8') || v.name === 'empty')) {
    const run = spawnSync(process.execPath, [join(repoRoot, 'bin/kolmo.js'), 'decompress', '--url', '--quiet', join(goldenDir, vector.link)]);
    assert.equal(run.status, 0, `${vector.name}: ${run.stderr}`);
    assert.ok(Buffer.compare(run.stdout, Buffer.from(expectedText(vector))) === 0, `${vector.name}: a different text; ${kBump}`);
  }
});
