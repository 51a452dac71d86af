// Crafts hostile links with the shipped model: a short LM payload that describes `count` tokens
// of one repeated, near-certain token and no end. Written by the C++ EncoderSession directly
// (the pipeline would refuse a text over codec.maxLmTokens()), so it is what an attacker can
// make, not what kolmo writes.
//
//   node tests/hostile/craft.mjs [count]     prints the fragment; tests/hostile/links.json keeps one
import { codedSequence, encoderWindows } from '../../web/lib/worker/pipeline.js';
import { openShippedModel } from '../conformance/shipped_model.mjs';

/**
 * @param {{codec: any, lm: any}} shipped @param {number} count  tokens before the (never reached
 *   in practice) EOT @param {number} token the repeated token id
 * @returns {Promise<{container: Uint8Array, fragment: string}>}
 */
export async function craftLink({ codec, lm }, count, token) {
  const { model, tree, entry } = lm;
  const seq = codedSequence(new Uint32Array(count).fill(token), model.eotId);
  const encoder = codec.createEncoder({ tree, eotId: model.eotId });
  const vocab = model.vocabSize;
  // One window's logits serve every window: the text repeats, so every window sees the same
  // tokens at the same positions (except the first, which starts with BOS).
  /** @type {Map<string, Float32Array>} */
  const cache = new Map();
  for (const { start, pos, last } of encoderWindows(codec, seq.length, model.context)) {
    const key = `${start === 0}:${last - start}`;
    let logits = cache.get(key);
    if (!logits) {
      logits = await model.prefill(seq.subarray(start, last));
      cache.set(key, logits);
    }
    encoder.encodeMany(logits.subarray((pos - 1 - start) * vocab, (last - start) * vocab), seq.subarray(pos, last + 1));
  }
  const payload = encoder.finish();
  // The check can be anything: the decoder never gets to it.
  const container = codec.containerPack({ mode: 'lm', text: new Uint8Array(0), body: payload, modelIndex: entry.index, modelIdHash: entry.id_hash });
  return { container, fragment: codec.urlEncode(container) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 70000);
  const shipped = await openShippedModel({ backend: 'node' });
  const token = shipped.tokenizer.encode(new TextEncoder().encode('\n'))[0];
  const started = performance.now();
  const { container, fragment } = await craftLink(shipped, count, token);
  console.log(JSON.stringify({ tokens: count + 1, repeated: token, containerBytes: container.length, fragment, ms: Math.round(performance.now() - started) }));
  process.exit(0);
}
