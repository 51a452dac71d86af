// Times the core engine (WASM, one thread) on one model.onnx: the mean single-step time over a
// whole window (positions 1..context-1) and the per-token time of re-reading a window's context
// (tokens without logits, as at a window restart). Prints JSON {stepMs, rereadMs}; the best of
// three passes. Used by bench/engine_shapes.py.
//   node bench/engine_step_speed.mjs MODEL.onnx N_HEADS CONTEXT
import { readFileSync } from 'node:fs';
import { loadCodec } from '../web/lib/worker/codec.js';

const [file, heads, context] = process.argv.slice(2);
const codec = await loadCodec();
const engine = codec.loadModelEngine(new Uint8Array(readFileSync(file)), { n_heads: Number(heads), context: Number(context) });
const n = Number(context);
const tokens = Array.from({ length: n }, (_, i) => (i * 7919) % (engine.vocabSize - 1));
let stepMs = Infinity, rereadMs = Infinity;
for (let pass = 0; pass < 3; pass++) {
  engine.reset();
  let t = performance.now();
  for (const token of tokens) engine.append([token], true);
  stepMs = Math.min(stepMs, (performance.now() - t) / n);
  engine.reset();
  t = performance.now();
  engine.append(tokens.slice(0, n / 2), false);
  rereadMs = Math.min(rereadMs, (performance.now() - t) / (n / 2));
}
engine.dispose();
console.log(JSON.stringify({ stepMs, rereadMs }));
