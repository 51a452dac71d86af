// web/lib/index.js, the public API, in Node with the shipped model and real ONNX Runtime (Node
// native and Web WASM): round trips of text and bytes, every input form decompress() takes,
// progress, per-token costs, streaming tokens, abort, damaged links, backend choice and
// fallback, and model loading by URL with the sha256 check and the file cache.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, utf8, invalidUtf8, serveModels } from './helpers.mjs';
import { compress, decompress, load, Kolmo, KolmoError } from '../../web/lib/index.js';
import { asKolmoError } from '../../web/lib/worker/engine.js';
import { isOutOfMemory } from '../../web/lib/shared/errors.js';
import { loadCodec } from '../../web/lib/worker/codec.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
const defaultId = manifest.default;

const texts = {
  empty: '',
  english: 'The quick brown fox jumps over the lazy dog, and then it goes home to sleep.',
  chinese: '北京的冬天很冷，但是南方的朋友常常不习惯没有暖气的房间。',
  emoji: 'Party time 🎉🎉 see you at 8 👍🏽 — ok? 🇯🇵',
  whitespace: ' \n\t  \n\n   \r\n',
  bom: '\uFEFFstarts with a byte order mark',
};
const damagedCodes = new Set(['bad_url_text', 'truncated', 'corrupt', 'checksum_mismatch', 'damaged_link', 'unknown_version', 'unknown_mode', 'unknown_model', 'length_over_limit']);

for (const backend of /** @type {const} */ (['node', 'wasm'])) {
  test(`round trips on ${backend}`, async () => {
    for (const [name, text] of Object.entries(texts)) {
      const { bytes, fragment, stats } = await compress(text, { backend });
      assert.equal(stats.backend, backend, name);
      assert.equal(stats.modelId, defaultId);
      assert.equal(stats.inputBytes, utf8(text).length);
      assert.equal(stats.containerBytes, bytes.length);
      assert.equal(stats.fragmentChars, fragment.length);
      assert.match(fragment, /^[0-9A-Za-z]+$/);
      assert.equal(await decompress(fragment, { backend }), text, `${name} (${stats.mode})`);
    }
  });
}

test('links made on node open on wasm and the other way round', async () => {
  for (const [from, to] of [['node', 'wasm'], ['wasm', 'node']]) {
    const { fragment, stats } = await compress(texts.english, { backend: /** @type {any} */ (from) });
    assert.equal(stats.mode, 'lm');
    let seen = null;
    const back = await decompress(fragment, { backend: /** @type {any} */ (to), onStats: (s) => (seen = s) });
    assert.equal(back, texts.english);
    assert.equal(/** @type {any} */ (seen).backend, to);
  }
});

test('bytes that are not UTF-8 come back exactly with output: bytes', async () => {
  for (const bytes of invalidUtf8) {
    const { fragment } = await compress(bytes);
    const back = await decompress(fragment, { output: 'bytes' });
    assert.deepEqual(back, bytes);
    await assert.rejects(decompress(fragment), { code: 'not_utf8' });
  }
});

test('decompress takes a fragment, "#fragment", a whole link, the container and the file form', async () => {
  const codec = await loadCodec();
  const { bytes, fragment } = await compress(texts.english);
  const file = codec.containerToFile(bytes);
  for (const input of [fragment, `#${fragment}`, `https://example.org/kolmo/?x=1#${fragment}`, ` ${fragment}\n`, bytes, file, bytes.buffer]) {
    assert.equal(await decompress(input), texts.english);
  }
});

test('the caller\'s buffer is neither changed nor detached', async () => {
  const input = utf8(texts.english);
  const copy = input.slice();
  const { bytes } = await compress(input);
  assert.deepEqual(input, copy);
  await decompress(bytes);
  assert.ok(bytes.length > 0);
});

for (const [lineBreaks, text] of [['LF', `${texts.english}\n${texts.chinese}\n${texts.emoji}`], ['CRLF', `${texts.english}\r\n${texts.chinese}\r\n${texts.emoji}`]]) test(`progress, per-token costs and streamed tokens (${lineBreaks} line breaks)`, async () => {
  /** @type {string[]} */
  const phases = [];
  const { fragment, stats } = await compress(text, {
    tokenCosts: true,
    onProgress: (p) => phases.push(p.phase),
  });
  assert.ok(phases.includes('encode'));
  const costs = /** @type {NonNullable<typeof stats.tokenCosts>} */ (stats.tokenCosts);
  assert.equal(costs.lengths.reduce((a, b) => a + b, 0), utf8(text).length);
  assert.equal(costs.bits.length, costs.lengths.length + 1); // + end of text
  assert.equal(costs.lengths.length, stats.tokens);
  for (const b of costs.bits) assert.ok(Number.isFinite(b) && b >= 0);
  // The costs are the bits the coder spent (lm mode): the payload is their sum, rounded up,
  // plus at most a couple of bytes of range-coder flush, behind 3 bytes of framing.
  if (stats.mode === 'lm') {
    const codedBytes = costs.bits.reduce((a, b) => a + b, 0) / 8;
    const payloadBytes = stats.containerBytes - 5; // typo-proof framing: header, check, 3-byte trailer
    assert.ok(payloadBytes >= Math.floor(codedBytes) - 1 && payloadBytes <= Math.ceil(codedBytes) + 2, `${payloadBytes} B payload vs ${codedBytes} B coded`);
  }

  const chunks = [];
  let decodeStats = null;
  let resolved = false;
  const back = await decompress(fragment, {
    tokenCosts: true,
    onTokens: (t) => {
      assert.equal(resolved, false);
      chunks.push(t);
    },
    onStats: (s) => (decodeStats = s),
  });
  resolved = true;
  assert.equal(back, text);
  if (stats.mode === 'lm') {
    const all = Buffer.concat(chunks.map((c) => c.bytes));
    assert.equal(all.toString('utf8'), text);
    assert.deepEqual(chunks.map((c) => c.index), chunks.map((_, i) => chunks.slice(0, i).reduce((n, c) => n + c.lengths.length, 0)));
    const s = /** @type {any} */ (decodeStats);
    assert.equal(s.tokens, stats.tokens);
    assert.deepEqual(s.tokenCosts.lengths, costs.lengths);
    for (let i = 0; i < costs.bits.length; i++) assert.ok(Math.abs(s.tokenCosts.bits[i] - costs.bits[i]) < 1e-3);
  }
});

test('a text with Windows line breaks (CRLF) costs what its LF form costs: the CRLF kind of version 6', async () => {
  const lf = readFileSync(join(repoRoot, 'tests/data/eval/code/003.txt'), 'utf8').replace(/\r\n/g, '\n');
  const crlf = lf.replace(/\n/g, '\r\n');
  const [a, b] = [await compress(lf, { modes: ['lm'] }), await compress(crlf, { modes: ['lm'] })];
  assert.equal(a.bytes[0] & 0xf8, 0xd0, 'an LF text: version 6, kind LM payload 3');
  assert.equal(b.bytes[0] & 0xf8, 0xd8, 'a CRLF text: version 6, kind LM payload 3 of a CRLF text');
  assert.equal(b.bytes.length, a.bytes.length, 'the same payload; only the check differs');
  assert.equal(await decompress(b.fragment), crlf);
  assert.equal(await decompress(a.fragment), lf);
  // Not every line break CRLF: coded as it is (version 4), and exact.
  const mixed = `${crlf}\nlast line`;
  const c = await compress(mixed, { modes: ['lm'] });
  assert.equal(c.bytes[0] & 0xf8, 0xd0);
  assert.equal(await decompress(c.fragment), mixed);
  // The auto link takes the model too, and a damaged version 5 link is an error, never a text.
  const auto = await compress(crlf);
  assert.deepEqual(auto.bytes, b.bytes);
  const damaged = auto.bytes.slice();
  damaged[damaged.length >> 1] ^= 0x10;
  await assert.rejects(decompress(damaged), (e) => e instanceof KolmoError && damagedCodes.has(e.code));
});

test('an AbortSignal stops the work with KolmoError aborted', async () => {
  await assert.rejects(compress(texts.english, { signal: AbortSignal.abort() }), { code: 'aborted' });
  const long = Array.from({ length: 40 }, (_, i) => `Line ${i}: ${texts.english}`).join('\n');
  const controller = new AbortController();
  const work = compress(long, {
    signal: controller.signal,
    onProgress: (p) => p.phase === 'encode' && controller.abort(new Error('enough')),
  });
  await assert.rejects(work, (error) => error instanceof KolmoError && error.code === 'aborted');
  // The instance still works afterwards.
  assert.equal(await decompress((await compress('after abort')).fragment), 'after abort');
});

test('damaged links end in an error with a code, never in a different text', async () => {
  const { fragment } = await compress(texts.english);
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let errors = 0;
  for (let i = 0; i < fragment.length; i += 3) {
    const c = alphabet[(alphabet.indexOf(fragment[i]) + 17) % 62];
    const damaged = fragment.slice(0, i) + c + fragment.slice(i + 1);
    try {
      assert.equal(await decompress(damaged), texts.english, `a damaged link (char ${i}) decoded to another text`);
    } catch (error) {
      assert.ok(error instanceof KolmoError && damagedCodes.has(error.code), String(error));
      assert.ok(error.message.length > error.code.length + 10, `no explanation: ${error.message}`);
      errors++;
    }
  }
  assert.ok(errors > 0);
  await assert.rejects(decompress(fragment.slice(0, 5)), (e) => e instanceof KolmoError && damagedCodes.has(e.code));
  await assert.rejects(decompress('#not a kolmo link!'), { code: 'bad_url_text' });
  await assert.rejects(decompress(''), (e) => e instanceof KolmoError && damagedCodes.has(e.code));
  await assert.rejects(decompress(new Uint8Array([0x4b, 0x4c, 0x4d])), { code: 'truncated' }); // "KLM": a cut file form
  // Two '#': which fragment is the link is not clear; refused with the reason.
  await assert.rejects(decompress(`https://example.org/#${fragment}#${fragment}`), { code: 'bad_url_text', message: /more than one "#"/ });
});

test('bad arguments are refused', async () => {
  await assert.rejects(compress('half an emoji \ud83c'), { code: 'bad_argument' });
  await assert.rejects(compress(/** @type {any} */ (42)), { code: 'bad_argument' });
  await assert.rejects(async () => compress('x', { backend: /** @type {any} */ ('webgpu') }), { code: 'bad_argument' });
});

test('backends: automatic is the core engine; ONNX Runtime only when asked for; an impossible list says why', async () => {
  assert.deepEqual((await load()).backend, 'core');
  assert.deepEqual(new Kolmo().settings.backends, ['core']);
  assert.deepEqual(new Kolmo({ backend: 'core' }).settings.backends, ['core']);
  assert.deepEqual(new Kolmo({ backend: 'wasm' }).settings.backends, ['wasm', 'core']);
  const kolmo = new Kolmo({ backends: /** @type {any} */ (['webgpu']) });
  await assert.rejects(kolmo.compress(texts.english), (e) => e instanceof KolmoError && e.code === 'backend_failed' && /webgpu/.test(e.message));
});

test('a failing backend falls back to the next one and says so', async () => {
  const { Engine } = await import('../../web/lib/worker/engine.js');
  const engine = new Engine(new Kolmo({ backend: 'wasm', cache: false }).settings, {
    loadOrt: async () => {
      throw new Error('simulated: ONNX Runtime cannot load');
    },
  });
  const info = await engine.load();
  assert.equal(info.backend, 'core');
  assert.match(/** @type {string} */ (info.fallback), /wasm: .*simulated/);
  const { container } = await engine.compress(utf8(texts.english));
  assert.equal(new TextDecoder().decode((await engine.decompress(container)).bytes), texts.english);
  await engine.dispose();
});

test('one table of error texts: every code a person can meet has the library\'s meaning or the page\'s sentence', async () => {
  const { kErrorTexts, pageMessage } = await import('../../web/lib/shared/errors.js');
  const codes = ['truncated', 'bad_magic', 'unknown_version', 'unknown_mode', 'unknown_model', 'checksum_mismatch', 'damaged_link', 'length_over_limit',
    'corrupt', 'bad_url_text', 'non_finite_logits', 'bad_argument', 'out_of_memory', 'aborted', 'model_unavailable', 'model_mismatch',
    'bad_model', 'backend_failed', 'webgpu_unavailable', 'not_utf8', 'password_required', 'wrong_password', 'crypto_unavailable', 'worker_failed'];
  for (const code of codes) {
    const sentence = pageMessage(code, 'DETAIL', '4.0 MB');
    assert.ok(kErrorTexts[code] && !sentence.startsWith('Something went wrong'), code);
    assert.match(sentence, /^[A-Z]/, code);
  }
  assert.match(pageMessage('length_over_limit', 'DETAIL', '4.0 MB'), /limit of 4\.0 MB\. \(DETAIL\)/);
  assert.equal(pageMessage('no_such_code', 'DETAIL', ''), 'Something went wrong: DETAIL');
  // The library completes a bare core status with the same table's meaning (the CLI prints it).
  assert.equal(asKolmoError(new KolmoError('checksum_mismatch')).message, `checksum_mismatch: ${kErrorTexts.checksum_mismatch.meaning}`);
});

test('memory exhaustion is reported as out_of_memory', () => {
  for (const error of [new RangeError('Array buffer allocation failed'), new Error('Aborted(OOM)'),
    new KolmoError('backend_failed', 'wasm: Cannot enlarge memory arrays'), new Error('std::bad_alloc')]) {
    assert.equal(asKolmoError(error).code, 'out_of_memory', String(error));
  }
  assert.equal(asKolmoError(new KolmoError('truncated')).code, 'truncated');
  assert.match(asKolmoError(new KolmoError('truncated')).message, /incomplete/);
});

test('a memory trap or other RangeError is not reported as out_of_memory', () => {
  // A WASM trap is a bug (a bad index), not a lack of memory.
  for (const error of [new WebAssembly.RuntimeError('memory access out of bounds'), new Error('RuntimeError: memory access out of bounds'),
    new RangeError('Offset is outside the bounds of the DataView'), new Error('ZOOM level')]) {
    assert.equal(asKolmoError(error).code, 'internal', String(error));
    assert.equal(isOutOfMemory(error), false, String(error));
  }
  // What a crashed worker reports (index.js reads only the message).
  assert.equal(isOutOfMemory('Uncaught RangeError: WebAssembly.Memory(): could not allocate memory'), true);
  assert.equal(isOutOfMemory('Uncaught RuntimeError: memory access out of bounds'), false);
});

test('the core\'s limits come from the module, without a model', async () => {
  const codec = await loadCodec();
  const limits = await new Kolmo({ cache: false }).limits();
  assert.deepEqual(limits, { maxTextBytes: codec.defaultContainerLimits().maxTextBytes, maxLmTokens: codec.maxLmTokens() });
  assert.equal(limits.maxTextBytes, 4 << 20);
});

test('a text over the limit is refused before any work', async () => {
  const codec = await loadCodec();
  const limit = codec.defaultContainerLimits().maxTextBytes;
  await assert.rejects(compress(new Uint8Array(limit + 1)), { code: 'length_over_limit' });
});

test('modes restricts the container modes: the model can be insisted on, or left out', async () => {
  const oneChar = 'a'; // stored wins by default
  const auto = await compress(oneChar);
  assert.equal(auto.stats.mode, 'stored');
  const lm = await compress(oneChar, { modes: ['lm'] });
  assert.equal(lm.stats.mode, 'lm');
  assert.equal(await decompress(lm.fragment), oneChar);
  const cm = await compress(texts.english, { modes: ['cm', 'stored'] });
  assert.equal(cm.stats.mode, 'cm');
  assert.equal(cm.stats.tokens, 0, 'the model did not run');
  assert.equal(await decompress(cm.fragment), texts.english);
  for (const modes of [[], ['zip'], 'lm']) {
    await assert.rejects(compress(oneChar, { modes: /** @type {any} */ (modes) }), { code: 'bad_argument' }, JSON.stringify(modes));
  }
});

// A text of more tokens than the model codes (2^16 in one stream, 2^22 in segments) gets a
// model-free link: src/segments.h's bound is tested in tests/segments_test.cpp (a text within 4 MiB
// reaches it only at ~1 token per byte, and would take the model minutes to code here).

// ---- model by URL, sha256 check, cache ----

/** Every file under dir, as paths relative to it. @param {string} dir @returns {string[]} */
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(dir, p)).isFile());
}

test('a model by URL is checked, cached in a folder, and used offline from the cache', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'kolmo-cache-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const server = await serveModels();
  const { fragment } = await compress(texts.english);
  /** @type {string[]} */
  const phases = [];
  const online = new Kolmo({ modelBaseUrl: server.url, cache });
  assert.equal(await online.decompress(fragment, { onProgress: (p) => phases.push(p.phase) }), texts.english);
  assert.ok(phases.includes('download'));
  await server.close();
  const cached = filesUnder(cache);
  for (const name of ['manifest.json', 'model.onnx', 'tokenizer.kbpe']) {
    assert.ok(cached.some((p) => p.endsWith(name)), `${name} not cached: ${cached}`);
  }
  // Server gone: a new instance loads the manifest and the model from the cache.
  const offline = new Kolmo({ modelBaseUrl: server.url, cache });
  assert.equal(await offline.decompress(fragment), texts.english);

  // A damaged cached model is noticed (sha256) and, with the server gone, reported.
  const onnx = join(cache, /** @type {string} */ (cached.find((p) => p.endsWith('model.onnx'))));
  const bytes = readFileSync(onnx);
  bytes[1000] ^= 1;
  writeFileSync(onnx, bytes);
  await assert.rejects(new Kolmo({ modelBaseUrl: server.url, cache }).decompress(fragment), { code: 'model_unavailable' });
});

test('a damaged cached file is replaced by a fresh download', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'kolmo-cache-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const server = await serveModels();
  t.after(() => server.close());
  await new Kolmo({ modelBaseUrl: server.url, cache }).load();
  const onnx = join(cache, /** @type {string} */ (filesUnder(cache).find((p) => p.endsWith('model.onnx'))));
  const bytes = readFileSync(onnx);
  bytes[1000] ^= 1;
  writeFileSync(onnx, bytes);
  const before = server.requests;
  const info = await new Kolmo({ modelBaseUrl: server.url, cache }).load();
  assert.equal(info.modelId, defaultId);
  assert.ok(server.requests > before);
  assert.notDeepEqual(readFileSync(onnx), bytes);
});

test('a served model that does not match the manifest is refused', async (t) => {
  const server = await serveModels((path, bytes) => {
    if (!path.endsWith('model.onnx')) return bytes;
    const copy = Buffer.from(bytes);
    copy[copy.length - 1] ^= 0xff;
    return copy;
  });
  t.after(() => server.close());
  await assert.rejects(new Kolmo({ modelBaseUrl: server.url, cache: false }).load(), { code: 'model_mismatch' });
});

test('an unreachable model URL is model_unavailable', async () => {
  await assert.rejects(new Kolmo({ modelBaseUrl: 'http://127.0.0.1:9/', cache: false }).load(), { code: 'model_unavailable' });
});
