// Noise injection with the shipped model (docs/DETERMINISM.md §5, §7): the rounding layer's
// promise, checked on real logits instead of a synthetic model.
//   - Within ε: the decoder gets the encoder's own logits plus uniform noise in [-ε, ε], or
//     ±0.9ε aimed at the decision closest to a bin boundary: every tested eval text decodes
//     exactly (`npm test`: the sample of testedEvalTexts(); `npm run conformance`: all 160);
//     LM payload 1 with uniform and aimed noise, payload 3 (new links) with uniform noise.
//   - Beyond ε (10ε, 30ε, 100ε, the model in the loop, ORT Node): every decode returns the exact
//     text or an error (checksum or stream), never a different text as if it were right.
import test from 'node:test';
import assert from 'node:assert/strict';
import { testedEvalTexts } from '../conformance/eval_texts.mjs';
import { TreePaths, dumpedLogOdds, dumpedFragile } from '../conformance/tree_view.mjs';
import { openShippedModel } from '../conformance/shipped_model.mjs';
import { codedSequence, sequenceLogits, encodeTokens, decodeTokens, kLmPayloadVersion } from '../../web/lib/worker/pipeline.js';
import { KolmoError } from '../../web/lib/worker/codec.js';
import { loadTestCodec } from './test_codec.mjs';

const { codec, tokenizer, tree, entry, model, lm } = await openShippedModel({ backend: 'node' });
// The rounding layer's tables, for aiming noise, come from the test module, over its own copy of
// the tree (the same counts give the same tree); links are coded by the product module above.
const probe = await loadTestCodec();
const probeTree = probe.buildTokenTree(tokenizer.tokenCounts());
const quantizer = probe.buildQuantizer();
const epsilon = codec.defaultEpsilon();
const V = entry.vocab_size;
const texts = testedEvalTexts();

// Deterministic noise: xorshift32, uniform in [0, 1).
function random(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

// `logit + delta` as float32, never farther than |delta| from logit (float32 rounding of the sum
// could add half an ulp, ~1e-6 at |logit| ~ 16: that would break the bound being tested).
function perturb(logit, delta) {
  let x = Math.fround(logit + delta);
  while (Math.abs(x - logit) > Math.abs(delta)) x = Math.fround(logit + (delta *= 0.999));
  return x;
}

// ---- the tree, for aiming at one decision ----
const paths = new TreePaths(probe, probeTree);
const boundaries = [quantizer.boundaries(0), quantizer.boundaries(1)];
function nearestBoundary(grid, r) {
  let best = Infinity;
  for (const b of boundaries[grid]) if (Math.abs(b - r) < Math.abs(best - r)) best = b;
  return best;
}

/**
 * ±0.9ε on every entry, aimed: of the decisions on `token`'s path, on the grid the encoder uses
 * for it, the one closest to a bin boundary is pushed toward that boundary by 1.8ε (its child-0
 * subtree moves by +0.9ε and child 1 by -0.9ε, or the reverse); the other entries get ±0.9ε at
 * random. @returns {Float32Array}
 */
function aimedNoise(row, token, rng, amplitude = 0.9 * epsilon) {
  const words = probe.dumpNodeTable(probeTree, quantizer, row, epsilon);
  const path = paths.path(token);
  const value = (node) => dumpedLogOdds(words, node);
  const fragile = (node, grid) => dumpedFragile(words, node, grid);
  const grid = path.some((n) => fragile(n, 0)) && !path.some((n) => fragile(n, 1)) ? 1 : 0;
  let target = path[0];
  let distance = Infinity;
  for (const node of path) {
    const d = Math.abs(nearestBoundary(grid, value(node)) - value(node));
    if (d < distance) { distance = d; target = node; }
  }
  const towardUpper = nearestBoundary(grid, value(target)) > value(target);
  const out = new Float32Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = perturb(row[i], rng() < 0.5 ? amplitude : -amplitude);
  paths.forLeaves(paths.children[2 * target], (t) => void (out[t] = perturb(row[t], towardUpper ? amplitude : -amplitude)));
  paths.forLeaves(paths.children[2 * target + 1], (t) => void (out[t] = perturb(row[t], towardUpper ? -amplitude : amplitude)));
  return out;
}

function uniformNoise(row, rng, amplitude) {
  const out = new Float32Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = perturb(row[i], (2 * rng() - 1) * amplitude);
  return out;
}

test('the test module built the product module\'s token tree (the aim below relies on it)', () => {
  assert.equal(probeTree.vocabSize, tree.vocabSize);
  assert.equal(probeTree.maxDepth, tree.maxDepth);
  const differing = [];
  for (let token = 0; token < V; token++) if (probeTree.depth(token) !== tree.depth(token)) differing.push(token);
  assert.deepEqual(differing, []);
});

test('within ε: recorded encoder logits plus uniform or aimed noise decode every eval text exactly', async (t) => {
  const rng = random(0x5eed);
  let steps = 0;
  let fragileSteps = 0;
  let controlBroken = 0;
  for (const text of texts) {
    const seq = codedSequence(tokenizer.encode(text.bytes), entry.eot_id);
    const logits = await sequenceLogits(codec, model, seq, 'batched');
    // LM payload 1 (the two grids of every token's flags, where aimed noise knows the grid) and
    // payload 3, what new links use (span headers over the grid family): uniform noise.
    const payloads = [1, kLmPayloadVersion].map((payloadVersion) => {
      const encoder = codec.createEncoder({ tree, eotId: entry.eot_id, epsilon, payloadVersion, tokenCount: seq.length - 1 });
      encoder.encodeMany(logits, seq.subarray(1));
      if (payloadVersion === 1) fragileSteps += encoder.stats().fragileSteps;
      const payload = encoder.finish();
      encoder.dispose();
      return payload;
    });
    // The control: the same aim at 3ε (a push of 6ε, past the 2ε margin) must break some
    // decodes, or the aim would miss and the 0.9ε run would prove nothing.
    for (const kind of ['uniform ε', 'aimed 0.9ε', 'control: aimed 3ε', 'payload 3: uniform ε']) {
      const control = kind.startsWith('control');
      const payloadVersion = kind.startsWith('payload 3') ? kLmPayloadVersion : 1;
      const payload = payloads[payloadVersion === 1 ? 0 : 1];
      const decoder = codec.createDecoder({ tree, eotId: entry.eot_id, payload, payloadVersion });
      try {
        for (let pos = 1; pos < seq.length; pos++) {
          const row = logits.subarray((pos - 1) * V, pos * V);
          const noisy = kind.endsWith('uniform ε') ? uniformNoise(row, rng, epsilon)
            : aimedNoise(row, seq[pos], rng, (control ? 3 : 0.9) * epsilon);
          let token = -1;
          try {
            token = decoder.decode(noisy);
          } catch (error) {
            if (!control) throw error;
          }
          if (control && token !== seq[pos]) {
            controlBroken++;
            break;
          }
          assert.equal(token, seq[pos], `${text.name}, ${kind} noise: token ${pos} of ${seq.length - 1}`);
        }
      } finally {
        decoder.dispose();
      }
    }
    steps += seq.length - 1;
  }
  t.diagnostic(`${texts.length} texts, ${steps} steps (${fragileSteps} on the safe path): all exact under ε noise; ` +
    `the 3ε control broke ${controlBroken} of ${texts.length} decodes`);
  if (!texts.limited) {
    if (texts.tier === 'all') assert.ok(steps > 50_000, `the eval set has ${steps} steps`);
    assert.ok(controlBroken > 0, 'aimed noise at 3ε broke no decode: the aim is wrong');
  }
});

// A LanguageModel whose every logit gets uniform noise in [-amplitude, amplitude].
function noisyModel(inner, amplitude, rng) {
  const add = (/** @type {Float32Array} */ logits) => uniformNoise(logits, rng, amplitude);
  return {
    vocabSize: inner.vocabSize, eotId: inner.eotId, context: inner.context,
    prefill: async (tokens) => add(await inner.prefill(tokens)),
    step: async (token) => add(await inner.step(token)),
  };
}

test('beyond ε (10ε to 100ε, model in the loop): exact text or an error, never a wrong text', async (t) => {
  // Texts up to 1 KB keep the run short; each is decoded by the real model stepping on its own
  // (possibly wrong) output, with fresh noise on every row.
  const short = texts.filter((text) => text.bytes.length <= 1024);
  const rng = random(0xbadc0de);
  const coded = [];
  for (const text of short) {
    const ids = tokenizer.encode(text.bytes);
    const { payload } = await encodeTokens({ codec, lm, ids, epsilon });
    const container = codec.containerPack({ mode: 'lm', text: text.bytes, body: payload, modelIndex: entry.index, modelIdHash: entry.id_hash, lmPayloadVersion: kLmPayloadVersion });
    coded.push({ text, ids, view: codec.containerParse(container) });
  }
  const lines = [];
  for (const factor of [10, 30, 100]) {
    /** @type {Record<string, number>} */
    const outcomes = { exact: 0, wrong_text: 0, checksum_mismatch: 0 };
    for (const { text, ids, view } of coded) {
      const noisy = { ...lm, model: noisyModel(model, factor * epsilon, rng) };
      try {
        // A desynchronized decoder may run on; the bound stops it (decompress's own is 2^20).
        const decoded = await decodeTokens({ codec, lm: noisy, payload: view.body, maxTokens: 2 * ids.length + 64, payloadVersion: view.lmPayloadVersion });
        const bytes = tokenizer.decode(decoded);
        codec.containerVerify(view, bytes, entry.id_hash);
        if (Buffer.compare(Buffer.from(bytes), Buffer.from(text.bytes)) === 0) outcomes.exact++;
        else outcomes.wrong_text++;
      } catch (error) {
        assert.ok(error instanceof KolmoError, `${text.name}: ${error}`);
        outcomes[error.code] = (outcomes[error.code] ?? 0) + 1;
      }
    }
    lines.push(`${factor}ε: ${JSON.stringify(outcomes)}`);
    assert.equal(outcomes.wrong_text, 0, `${factor}ε: a wrong text passed the check (${JSON.stringify(outcomes)})`);
  }
  t.diagnostic(`${short.length} texts up to 1 KB, per noise level: ${lines.join('; ')}`);
});
