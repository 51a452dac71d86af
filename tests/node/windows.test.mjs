// A text coded as one stream on several threads (web/lib/worker/windows.js, src/lm_jobs.h
// EncoderWindow), on the shipped default model: helpers compute windows ahead while the engine's
// thread codes them, and the link is byte for byte the one-thread link — through the public API
// on eval texts of several lengths, one of them just over a window boundary, and opened again;
// helpers really computed windows; an abort midway rejects and leaves no helper call running; a
// helper that cannot start leaves its windows to the engine's thread.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers.mjs';
import { Kolmo } from '../../web/lib/index.js';
import { loadCodec, KolmoError } from '../../web/lib/worker/codec.js';
import { manifestEntry } from '../../web/lib/worker/model_manifest.js';
import { createCoreModel } from '../../web/lib/worker/core_model.js';
import { compressBytes } from '../../web/lib/worker/pipeline.js';
import { SegmentHelpers } from '../../web/lib/worker/segments.js';
import { kMinHelpedWindows } from '../../web/lib/worker/windows.js';
import { evalTexts } from '../conformance/eval_texts.mjs';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
const entry = manifestEntry(manifest);
const modelDir = join(repoRoot, 'models', entry.id);
const codec = await loadCodec();
const tokenizer = codec.parseTokenizer(readFileSync(join(modelDir, 'tokenizer.kbpe')));
const lm = {
  model: createCoreModel(codec, new Uint8Array(readFileSync(join(modelDir, 'model.onnx'))), entry),
  tokenizer, tree: codec.buildTokenTree(tokenizer.tokenCounts()), entry,
};
const half = entry.context / 2; // a window's positions (the rule's first window is cut in two)
const tokenCount = (/** @type {Uint8Array} */ bytes) => codec.modelInput(tokenizer, bytes).ids.length;

/** The shortest prefix of `bytes` (at a line or word end) with at least `tokens` tokens. */
function prefixOfTokens(bytes, tokens) {
  for (let end = 1; end <= bytes.length; end++) {
    if ((bytes[end] === 0x20 || bytes[end] === 0x0a) && tokenCount(bytes.subarray(0, end)) >= tokens) return bytes.slice(0, end);
  }
  throw new Error('text too short');
}

// Eval texts of several lengths (the longest prose and chat texts, ~1,800 tokens; one of 500-800;
// one of fewer than kMinHelpedWindows windows, coded on one thread whatever the settings), and a
// text just over a window boundary: the rule's first window (context positions) and one or two
// more, i.e. kMinHelpedWindows windows, the last nearly empty.
const all = evalTexts();
const longest = (/** @type {string} */ category) => all.filter((t) => t.category === category).sort((a, b) => b.bytes.length - a.bytes.length)[0];
const texts = [longest('en-prose'), longest('en-chat')].map((t) => ({ name: t.name, bytes: t.bytes }));
for (const [low, high] of [[500, 800], [140, 250]]) {
  const text = all.find((t) => tokenCount(t.bytes) >= low && tokenCount(t.bytes) < high);
  if (text) texts.push({ name: text.name, bytes: text.bytes });
}
const prose = longest('en-prose').bytes;
const overBoundary = prefixOfTokens(prose, entry.context); // + EOT: context positions and one or two more
texts.push({ name: `en-prose, ${tokenCount(overBoundary)} tokens`, bytes: overBoundary });

test('the same link on one thread and on two, for texts of every length; both open it', async (t) => {
  const one = new Kolmo({ workers: 1, cache: false });
  const two = new Kolmo({ workers: 2, cache: false });
  t.after(() => { one.dispose(); two.dispose(); });
  const windows = (/** @type {number} */ tokens) => Math.ceil((tokens + 1) / half);
  assert.equal(windows(tokenCount(overBoundary)), kMinHelpedWindows, 'just over a window boundary: the fewest windows helpers take');
  for (const { name, bytes } of texts) {
    const a = await one.compress(bytes, { modes: ['lm'] });
    const b = await two.compress(bytes, { modes: ['lm'] });
    t.diagnostic(`${name}: ${a.stats.tokens} tokens, ${windows(a.stats.tokens)} windows, ${a.bytes.length} bytes`);
    assert.deepEqual(b.bytes, a.bytes, name);
    assert.equal(b.fragment, a.fragment);
    assert.deepEqual(await two.decompress(b.fragment, { output: 'bytes' }), bytes, `${name}: opens`);
  }
});

/**
 * segments.js's pool with every call counted: how many windows helpers were asked for and how
 * many calls are still running.
 */
function countedHelpers() {
  const pool = new SegmentHelpers();
  const counts = { calls: 0, running: 0 };
  return {
    counts,
    pool,
    async get(/** @type {number} */ n) {
      return (await pool.get(n)).map((host) => ({
        async call(/** @type {string} */ type, /** @type {any} */ input, /** @type {any} */ options) {
          counts.calls++;
          counts.running++;
          try {
            return await host.call(type, input, options);
          } finally {
            counts.running--;
          }
        },
        dispose: () => host.dispose(),
      }));
    },
    markBroken: () => {},
    dispose: () => pool.dispose(),
  };
}

const settings = { backends: ['core'], modelBaseUrl: null, ortBaseUrl: null, cache: false };

test('helpers compute windows; an abort midway rejects and leaves no helper call running; the next link is the same', async (t) => {
  const helpers = countedHelpers();
  t.after(() => helpers.dispose());
  const segments = { helpers: /** @type {any} */ (helpers), workers: 2, settings };
  const bytes = texts[0].bytes;
  const alone = await compressBytes(bytes, { codec, lm, modes: ['lm'] });
  const helped = await compressBytes(bytes, { codec, lm, modes: ['lm'], segments });
  assert.deepEqual(helped.container, alone.container);
  const stats = /** @type {any} */ (helped.stats);
  t.diagnostic(`${stats.helpedWindows} of ${Math.ceil((stats.tokens + 1) / half)} windows computed by the helper`);
  assert.ok(stats.helpedWindows > 0, 'the helper computed windows');
  assert.equal(helpers.counts.running, 0);

  const controller = new AbortController();
  let abortedAt = -1;
  const pending = compressBytes(bytes, {
    codec, lm, modes: ['lm'], segments, signal: controller.signal,
    onProgress: (p) => {
      if (abortedAt < 0 && p.total && p.done > p.total * 0.3) {
        abortedAt = p.done / p.total;
        controller.abort();
      }
    },
  });
  await assert.rejects(pending, { code: 'aborted' });
  t.diagnostic(`aborted at ${(abortedAt * 100).toFixed(0)}%`);
  assert.ok(abortedAt > 0 && abortedAt < 0.9, 'aborted midway');
  assert.equal(helpers.counts.running, 0, 'no helper call outlives the abort');
  const again = await compressBytes(bytes, { codec, lm, modes: ['lm'], segments });
  assert.deepEqual(again.container, alone.container);
});

test('a helper that cannot start leaves its windows to the engine\'s thread: the same link', async () => {
  const failing = {
    get: async () => [{
      call: async () => { throw new KolmoError('worker_failed', 'this helper never starts'); },
      dispose: () => {},
    }],
    broken: 0,
    markBroken() { this.broken++; },
    dispose() {},
  };
  const bytes = texts[2].bytes;
  const alone = await compressBytes(bytes, { codec, lm, modes: ['lm'] });
  const result = await compressBytes(bytes, { codec, lm, modes: ['lm'], segments: { helpers: /** @type {any} */ (failing), workers: 2, settings } });
  assert.deepEqual(result.container, alone.container);
  assert.equal(/** @type {any} */ (result.stats).helpedWindows, 0);
  assert.equal(failing.broken, 1, 'not asked again');
});
