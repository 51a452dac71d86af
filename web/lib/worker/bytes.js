// @ts-check
// Byte arrays of the worker side: one concatenation for downloads (model_store.js), decoded
// tokens (engine.js) and rewritten ONNX protobuf (onnx_weights.js).

/** The parts one after the other, in a new array. @param {Uint8Array[]} parts */
export function concatBytes(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
