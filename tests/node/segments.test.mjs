// Long texts as segmented links (issue 24; src/segments.h, docs/FORMAT.md §5.7) through the public
// API on the shipped model, with a small segment rule so that a 6 KB text makes several segments
// in seconds (any rule makes valid links; the product's cuts near every 4,096 tokens): the same
// link and text on one thread and on several (helper worker_threads started by the engine's own
// thread), tokens reported in text order, CRLF texts, the declared length refused at once over
// maxTextBytes with the number, an index that lies refused before any model step, an abort that
// stops every helper, and ONNX Runtime (the WebGPU path's code, on its CPU build) opening the
// core's segmented link and the other way round.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers.mjs';
import { Kolmo } from '../../web/lib/index.js';

const kRule = { segmentTokens: 256, aboveTokens: 512 };
const prose = readFileSync(join(repoRoot, 'tests/data/eval/en-prose/009.txt'), 'utf8');
const kP = 2 ** 24 - 3; // the link syndrome's prime (src/include/kolmo/checksum.h)

/** A container with a new body and its syndrome trailer made to hold: what a crafted link is. */
function reframed(container, body, bodyStart) {
  const head = container.subarray(0, bodyStart);
  const out = new Uint8Array(head.length + body.length + 3);
  out.set(head);
  out.set(body, head.length);
  let r = 0;
  for (let i = 0; i < out.length; i++) r = (r * 256 + out[i]) % kP; // trailer bytes still 0
  const x = (kP - r) % kP;
  out.set([x >> 16, (x >> 8) & 255, x & 255], out.length - 3);
  return out;
}

/** LEB128. */
function varint(value) {
  const out = [];
  for (; value >= 0x80; value = Math.floor(value / 128)) out.push((value & 0x7f) | 0x80);
  out.push(value);
  return out;
}

test('a long text: the same segmented link on one thread and on two, opened by both, tokens in order', async (t) => {
  const one = new Kolmo({ workers: 1, segmentRule: kRule });
  const two = new Kolmo({ workers: 2, segmentRule: kRule });
  t.after(() => { one.dispose(); two.dispose(); });
  const a = await one.compress(prose, { tokenCosts: true });
  const b = await two.compress(prose, { tokenCosts: true });
  assert.equal(a.bytes[0], 0xc3, 'version 6, kind 3: segmented');
  assert.deepEqual(b.bytes, a.bytes);
  assert.equal(a.stats.mode, 'lm');
  // Bits: one per token and one EOT, on both paths, adding up to about the same total.
  for (const s of [a.stats, b.stats]) assert.equal(s.tokenCosts.bits.length, s.tokenCosts.lengths.length + 1);
  const sum = (/** @type {Float32Array} */ bits) => bits.reduce((x, y) => x + y, 0);
  assert.ok(Math.abs(sum(a.stats.tokenCosts.bits) - sum(b.stats.tokenCosts.bits)) < 1e-3 * sum(a.stats.tokenCosts.bits));
  for (const kolmo of [one, two]) {
    /** @type {number[]} */
    const starts = [];
    let count = 0;
    const text = await kolmo.decompress(a.fragment, { onTokens: (tk) => { starts.push(tk.index); count += tk.lengths.length; } });
    assert.equal(text, prose);
    // Batches in text order, each starting where the one before ended.
    assert.equal(starts[0], 0);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i] > starts[i - 1]);
    assert.ok(count > 1000);
  }
});

test('a CRLF text is segmented too (kind 4) and comes back with its CRs', async (t) => {
  const kolmo = new Kolmo({ workers: 2, segmentRule: kRule });
  t.after(() => kolmo.dispose());
  const crlf = prose.replace(/\n/g, '\r\n');
  const out = await kolmo.compress(crlf);
  assert.equal(out.bytes[0], 0xc4);
  assert.equal(await kolmo.decompress(out.fragment), crlf);
});

test('a link that declares more than maxTextBytes is refused at once, with its length', async (t) => {
  const maker = new Kolmo({ workers: 1, segmentRule: kRule });
  const bytes = new TextEncoder().encode(prose).length;
  const small = new Kolmo({ maxTextBytes: bytes - 1 });
  t.after(() => { maker.dispose(); small.dispose(); });
  const out = await maker.compress(prose);
  let decoded = 0;
  await assert.rejects(small.decompress(out.fragment, { onTokens: () => decoded++ }), (error) => {
    assert.equal(error.code, 'length_over_limit');
    assert.match(error.message, new RegExp(`${bytes} bytes`));
    assert.match(error.message, /maxTextBytes/);
    return true;
  });
  assert.equal(decoded, 0, 'no token decoded');
  assert.equal(await new Kolmo({ maxTextBytes: bytes }).decompress(out.fragment), prose);
});

test('an index that lies is refused before any model step; damage in a stream never gives a text', async (t) => {
  const kolmo = new Kolmo({ workers: 2, segmentRule: kRule });
  t.after(() => kolmo.dispose());
  const { bytes } = await kolmo.compress(prose);
  // Header 0xC3, varint model index (one byte here), the 8-bit check, then the body.
  const bodyStart = 3;
  const body = bytes.subarray(bodyStart, bytes.length - 3);
  // The body: varint text bytes, 4 check bytes, varint n, n varint lengths, the payloads.
  let pos = 0;
  const read = () => { let v = 0, shift = 0, b; do { b = body[pos++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80); return v; };
  const textBytes = read();
  pos += 4;
  const countAt = pos;
  const n = read();
  const lengths = Array.from({ length: n }, read);
  const payloads = body.subarray(pos);
  assert.ok(n >= 4);
  assert.equal(textBytes, new TextEncoder().encode(prose).length);
  const withIndex = (/** @type {number[]} */ ls, /** @type {Uint8Array} */ rest) =>
    reframed(bytes, Uint8Array.from([...body.subarray(0, countAt), ...varint(ls.length), ...ls.flatMap(varint), ...rest]), bodyStart);

  const lies = {
    'a length past the end': withIndex([...lengths.slice(0, -1), lengths[n - 1] + 5], payloads),
    'lengths short of the end': withIndex([...lengths.slice(0, -1), lengths[n - 1] - 1], payloads),
    'an empty segment': withIndex([...lengths.slice(0, -1), 0, lengths[n - 1]], payloads),
    'one segment only': withIndex([payloads.length], payloads),
  };
  for (const [what, container] of Object.entries(lies)) {
    let tokens = 0;
    await assert.rejects(kolmo.decompress(container, { onTokens: () => tokens++ }), (error) => {
      assert.equal(error.code, 'corrupt', what);
      return true;
    });
    assert.equal(tokens, 0, `${what}: no model step`);
  }
  // Two segments swapped, every stream intact: the whole text's check refuses it.
  const swapped = [lengths[1], lengths[0], ...lengths.slice(2)];
  const rest = Uint8Array.from([...payloads.subarray(lengths[0], lengths[0] + lengths[1]), ...payloads.subarray(0, lengths[0]), ...payloads.subarray(lengths[0] + lengths[1])]);
  await assert.rejects(kolmo.decompress(withIndex(swapped, rest)), { code: 'checksum_mismatch' });
  // A byte of the third stream changed: an error, never a text.
  const damaged = Uint8Array.from(payloads);
  damaged[lengths[0] + lengths[1] + 3] ^= 0x20;
  await assert.rejects(kolmo.decompress(withIndex(lengths, damaged)), (error) => ['checksum_mismatch', 'corrupt', 'length_over_limit', 'truncated'].includes(error.code));
});

test('an abort stops every thread at once, and the next call works', async (t) => {
  const kolmo = new Kolmo({ workers: 2, segmentRule: { segmentTokens: 128, aboveTokens: 256 } });
  t.after(() => kolmo.dispose());
  // Four different texts (the same one four times would go to the cm codec, which finds the repeats).
  const long = ['001', '002', '003', '004'].map((n) => readFileSync(join(repoRoot, `tests/data/eval/en-prose/${n}.txt`), 'utf8')).join('\n');
  const { fragment, bytes } = await kolmo.compress(long);
  assert.equal(bytes[0], 0xc3);
  const controller = new AbortController();
  let fraction = 0;
  let abortedAt = 0;
  const pending = kolmo.decompress(fragment, {
    signal: controller.signal,
    onProgress: (p) => {
      fraction = p.fraction ?? fraction;
      if (fraction > 0.2 && !abortedAt) {
        abortedAt = performance.now();
        controller.abort();
      }
    },
  });
  await assert.rejects(pending, { code: 'aborted' });
  const took = performance.now() - abortedAt;
  t.diagnostic(`aborted at ${(fraction * 100).toFixed(0)}% of the document; the call ended ${took.toFixed(0)} ms later`);
  assert.ok(fraction < 0.9, 'aborted midway');
  assert.equal(await kolmo.decompress(fragment), long);
});

test('ONNX Runtime (the WebGPU path, on its CPU build) opens the core engine\'s segmented link, and the other way round', async (t) => {
  const core = new Kolmo({ workers: 2, segmentRule: kRule });
  const ort = new Kolmo({ backends: ['wasm'], segmentRule: kRule });
  t.after(() => { core.dispose(); ort.dispose(); });
  const short = prose.slice(0, 2500);
  const fromCore = await core.compress(short);
  assert.equal(fromCore.bytes[0], 0xc3);
  assert.equal(await ort.decompress(fromCore.fragment), short);
  const fromOrt = await ort.compress(short);
  assert.equal(fromOrt.stats.backend, 'wasm');
  assert.equal(fromOrt.bytes[0], 0xc3);
  assert.equal(await core.decompress(fromOrt.fragment), short);
});
