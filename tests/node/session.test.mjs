// LM sessions through WASM with the synthetic deterministic model: encode -> decode round
// trips, batched == stepwise, determinism, logits perturbed within epsilon, and the errors
// (NaN logits, bad tokens, calls out of order, damaged payloads, token limits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCodec, KolmoError } from '../../web/lib/worker/codec.js';
import { mix32, syntheticCounts, syntheticLogits, testTokenSequence } from './synthetic_model.mjs';

const codec = await loadCodec();
const isKolmoError = (code) => (e) => e instanceof KolmoError && e.code === code;

// A synthetic "model" over vocab V: tree from syntheticCounts, EOT = V - 1, logits from
// syntheticLogits(previous token), BOS = EOT.
function makeModel(vocab) {
  return { vocab, eotId: vocab - 1, tree: codec.buildTokenTree(syntheticCounts(vocab)) };
}

function encodeStepwise(model, tokens, { epsilon } = {}) {
  const encoder = codec.createEncoder({ tree: model.tree, eotId: model.eotId, epsilon });
  let prev = model.eotId;
  for (const token of tokens) {
    encoder.encode(syntheticLogits(prev, model.vocab), token);
    prev = token;
  }
  const payload = encoder.finish();
  return { payload, stats: encoder.stats() };
}

// Decodes with logits from syntheticLogits, optionally passed through perturb(logits, step).
function decodeAll(model, payload, { perturb, maxTokens } = {}) {
  const decoder = codec.createDecoder({ tree: model.tree, eotId: model.eotId, payload, maxTokens });
  const tokens = [];
  let prev = model.eotId;
  while (!decoder.done) {
    let logits = syntheticLogits(prev, model.vocab);
    if (perturb) logits = perturb(logits, tokens.length);
    const token = decoder.decode(logits);
    tokens.push(token);
    prev = token;
  }
  return { tokens: Uint32Array.from(tokens), stats: decoder.stats() };
}

for (const vocab of [2, 3, 300, 4099]) {
  test(`round trip with the synthetic model, V=${vocab}`, () => {
    const model = makeModel(vocab);
    try {
      for (const [seed, count] of [[1, 0], [2, 1], [3, 17], [4, 300]]) {
        const tokens = testTokenSequence(seed, count, vocab);
        const { payload, stats } = encodeStepwise(model, tokens);
        assert.equal(stats.steps, tokens.length);
        const decoded = decodeAll(model, payload);
        assert.deepEqual(decoded.tokens, tokens, `seed ${seed}, ${count} tokens`);
        assert.equal(decoded.stats.steps, tokens.length);
        assert.ok(payload.length === 0 || payload[payload.length - 1] !== 0, 'no trailing zero byte');
      }
    } finally {
      model.tree.dispose();
    }
  });
}

test('the payload costs close to the model\'s ideal bits', () => {
  const model = makeModel(4099);
  try {
    const tokens = testTokenSequence(9, 1000, model.vocab);
    const { payload, stats } = encodeStepwise(model, tokens);
    const payloadBits = payload.length * 8;
    assert.ok(payloadBits < tokens.length * Math.log2(model.vocab), 'beats a uniform code');
    assert.ok(stats.codedBits >= stats.idealBits * 0.99, 'coded >= ~ideal');
    // Rounding + flags cost a few percent at most on this model (measured: ~0.5%).
    assert.ok(stats.codedBits <= stats.idealBits * 1.05, `coded ${stats.codedBits} vs ideal ${stats.idealBits}`);
    assert.ok(Math.abs(payloadBits - stats.codedBits) <= 16, 'payload within 2 bytes of the coded bits');
  } finally {
    model.tree.dispose();
  }
});

test('encodeMany (batched) gives the same bytes as encode() step by step', () => {
  const model = makeModel(300);
  try {
    const tokens = testTokenSequence(5, 200, model.vocab);
    const logits = new Float32Array(tokens.length * model.vocab);
    let prev = model.eotId;
    tokens.forEach((token, i) => {
      syntheticLogits(prev, model.vocab, logits.subarray(i * model.vocab, (i + 1) * model.vocab));
      prev = token;
    });
    const encoder = codec.createEncoder({ tree: model.tree, eotId: model.eotId });
    encoder.encodeMany(logits.subarray(0, 50 * model.vocab), tokens.subarray(0, 50));
    encoder.encodeMany(logits.subarray(50 * model.vocab), tokens.subarray(50));
    const batched = encoder.finish();
    assert.deepEqual(batched, encodeStepwise(model, tokens).payload);
    assert.deepEqual(encodeStepwise(model, tokens).payload, encodeStepwise(model, tokens).payload, 'deterministic');
  } finally {
    model.tree.dispose();
  }
});

test('decoding with logits perturbed within epsilon restores the tokens', () => {
  const model = makeModel(4099);
  const epsilon = 1e-3;
  try {
    const tokens = testTokenSequence(11, 400, model.vocab);
    const { payload, stats } = encodeStepwise(model, tokens, { epsilon });
    // |noise| <= epsilon / 2, plus float rounding (< 1e-6 at these magnitudes): within epsilon.
    const perturb = (logits, step) => {
      for (let i = 0; i < logits.length; i++) {
        const u = mix32(Math.imul(step, 0x9e3779b1) + i) / 2 ** 32 - 0.5;
        logits[i] = logits[i] + u * epsilon;
      }
      return logits;
    };
    assert.deepEqual(decodeAll(model, payload, { perturb }).tokens, tokens);
    assert.ok(stats.fragileSteps < tokens.length, 'most steps are robust');
  } finally {
    model.tree.dispose();
  }
});

test('NaN / Inf logits fail with non_finite_logits and the step can be retried', () => {
  const model = makeModel(300);
  try {
    const tokens = testTokenSequence(2, 5, model.vocab);
    const encoder = codec.createEncoder({ tree: model.tree, eotId: model.eotId });
    let prev = model.eotId;
    for (const token of tokens) {
      const bad = syntheticLogits(prev, model.vocab);
      bad[7] = token % 2 ? NaN : Infinity;
      assert.throws(() => encoder.encode(bad, token), isKolmoError('non_finite_logits'));
      encoder.encode(syntheticLogits(prev, model.vocab), token);
      prev = token;
    }
    const payload = encoder.finish();
    assert.deepEqual(payload, encodeStepwise(model, tokens).payload);

    const decoder = codec.createDecoder({ tree: model.tree, eotId: model.eotId, payload });
    const bad = syntheticLogits(model.eotId, model.vocab);
    bad[0] = -Infinity;
    assert.throws(() => decoder.decode(bad), isKolmoError('non_finite_logits'));
    assert.equal(decoder.decode(syntheticLogits(model.eotId, model.vocab)), tokens[0]);
    decoder.dispose();
  } finally {
    model.tree.dispose();
  }
});

test('caller errors: bad token, wrong logits size, finish before EOT, use after finish', () => {
  const model = makeModel(300);
  try {
    const encoder = codec.createEncoder({ tree: model.tree, eotId: model.eotId });
    const logits = syntheticLogits(model.eotId, model.vocab);
    assert.throws(() => encoder.encode(logits, model.vocab), isKolmoError('bad_argument'));
    assert.throws(() => encoder.encode(logits.subarray(1), 0), isKolmoError('bad_argument'));
    assert.throws(() => encoder.encode(Array.from(logits), 0), isKolmoError('bad_argument'));
    assert.throws(() => encoder.encodeMany(logits, [1, 2]), isKolmoError('bad_argument'));
    encoder.encode(logits, 5);
    assert.throws(() => encoder.finish(), isKolmoError('bad_argument'));
    encoder.encode(syntheticLogits(5, model.vocab), model.eotId);
    assert.throws(() => encoder.encode(logits, 1), isKolmoError('bad_argument'), 'a step after EOT');
    encoder.finish();
    assert.equal(encoder.disposed, true);
    assert.equal(encoder.stats().steps, 2);
    assert.throws(() => encoder.encode(logits, 1), isKolmoError('bad_argument'), 'use after finish');
    assert.throws(() => codec.createEncoder({ tree: model.tree, eotId: model.vocab }), isKolmoError('bad_argument'));
  } finally {
    model.tree.dispose();
  }
});

// A damaged payload may decode to other tokens (the container's check catches those), to an
// error, or, when only bits below the final interval's precision changed, to the same tokens
// (harmless). It must never crash, hang or throw anything but a KolmoError.
test('damaged and truncated payloads end in tokens or a KolmoError, within maxTokens', () => {
  const model = makeModel(300);
  try {
    const tokens = testTokenSequence(3, 100, model.vocab);
    const { payload } = encodeStepwise(model, tokens);
    const outcomes = { same: 0, different: 0, error: 0 };
    const attempt = (damaged) => {
      try {
        const { tokens: decoded } = decodeAll(model, damaged, { maxTokens: 1000 });
        assert.ok(decoded.length <= 1000);
        outcomes[decoded.length === tokens.length && decoded.every((t, i) => t === tokens[i]) ? 'same' : 'different']++;
      } catch (e) {
        assert.ok(e instanceof KolmoError, String(e));
        outcomes.error++;
      }
    };
    for (let i = 0; i < payload.length; i++) {
      for (const flip of [0x01, 0x10, 0x80]) {
        const damaged = payload.slice();
        damaged[i] ^= flip;
        attempt(damaged);
      }
    }
    for (let keep = 0; keep < payload.length; keep += 7) attempt(payload.subarray(0, keep));
    attempt(new Uint8Array(2000).fill(0xff));
    // Only the last byte's low bits can leave the tokens unchanged.
    assert.ok(outcomes.same <= 3, JSON.stringify(outcomes));
  } finally {
    model.tree.dispose();
  }
});

test('maxTokens bounds decoding: length_over_limit', () => {
  const model = makeModel(300);
  try {
    const tokens = testTokenSequence(4, 50, model.vocab);
    const { payload } = encodeStepwise(model, tokens);
    assert.throws(() => decodeAll(model, payload, { maxTokens: 10 }), isKolmoError('length_over_limit'));
    assert.equal(decodeAll(model, payload, { maxTokens: tokens.length }).tokens.length, tokens.length);
  } finally {
    model.tree.dispose();
  }
});

test('deleting the tree before its sessions is safe', () => {
  const model = makeModel(300);
  const tokens = testTokenSequence(6, 30, model.vocab);
  const encoder = codec.createEncoder({ tree: model.tree, eotId: model.eotId });
  model.tree.dispose();
  let prev = model.eotId;
  for (const token of tokens) {
    encoder.encode(syntheticLogits(prev, model.vocab), token);
    prev = token;
  }
  const payload = encoder.finish();
  const again = makeModel(300);
  try {
    assert.deepEqual(decodeAll(again, payload).tokens, tokens);
  } finally {
    again.tree.dispose();
  }
});

test('contextStart follows the window rule of session.h', () => {
  // contextLength 8, H = 4: 0 up to position 8, then ((position - 1) / 4 - 1) * 4.
  const expected = { 0: 0, 1: 0, 8: 0, 9: 4, 12: 4, 13: 8, 16: 8, 17: 12, 100: 92 };
  for (const [position, start] of Object.entries(expected)) {
    assert.equal(codec.contextStart(Number(position), 8), start, `position ${position}`);
  }
  for (let position = 0; position < 3000; position++) {
    const start = codec.contextStart(position, 1024);
    assert.ok(position - start <= 1024 && (position <= 1024 ? start === 0 : position - start > 512));
  }
});
