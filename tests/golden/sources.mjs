// Texts of the golden links that are generated instead of stored (megabytes): the eval texts
// (tests/data/eval) in name order, concatenated, repeated, cut to a byte length. The vectors
// keep each text's sha256, so a change of the eval files is caught, not mistaken for a codec bug.
import { createHash } from 'node:crypto';
import { evalTexts } from '../conformance/eval_texts.mjs';

/** The first `size` bytes of the eval texts repeated. @param {number} size */
export function evalConcat(size) {
  const texts = evalTexts();
  const out = new Uint8Array(size);
  for (let at = 0; at < size;) {
    for (const { bytes } of texts) {
      if (at >= size) break;
      const n = Math.min(bytes.length, size - at);
      out.set(bytes.subarray(0, n), at);
      at += n;
    }
  }
  return out;
}

export const sha256 = (/** @type {Uint8Array} */ bytes) => createHash('sha256').update(bytes).digest('hex');
