// Writes the shipped model's logits for real texts in coder_bench's dump format, so the
// rounding layer's cost is measured on real model output without Python:
//   node bench/dump_logits.mjs OUT.bin COUNTS.u64 FILE...
// For every file: the sequence EOT + tokens + EOT, each token with the logits the encoder uses
// (one batched pass per window of kolmo's context-window rule, as web/lib/worker/pipeline.js does).
// Format (little-endian): uint32 vocab, uint32 steps, then per step uint32 token + vocab float32.
// COUNTS.u64 gets the tokenizer's unigram counts (vocab uint64), which build the token tree.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadCodec } from '../web/lib/worker/codec.js';
import { createLanguageModel } from '../web/lib/worker/model.js';
import { manifestEntry } from '../web/lib/worker/model_manifest.js';
import { codedSequence, encoderWindows } from '../web/lib/worker/pipeline.js';

const [out, countsOut, ...files] = process.argv.slice(2);
if (!out || !countsOut || files.length === 0) {
  console.error('usage: node bench/dump_logits.mjs OUT.bin COUNTS.u64 FILE...');
  process.exit(2);
}
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'models/manifest.json'), 'utf8'));
const entry = manifestEntry(manifest);
const dir = path.join(root, 'models', entry.id);
const codec = await loadCodec();
const tokenizer = codec.parseTokenizer(fs.readFileSync(path.join(dir, 'tokenizer.kbpe')));
const model = await createLanguageModel({
  ort: require('onnxruntime-node'), modelBytes: new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))),
  shape: entry, backends: ['node'],
});
const V = entry.vocab_size;
const counts = tokenizer.tokenCounts();
fs.writeFileSync(countsOut, Buffer.from(BigUint64Array.from(counts, (c) => BigInt(c)).buffer));

const chunks = [];
let steps = 0;
for (const file of files) {
  const seq = codedSequence(tokenizer.encode(new Uint8Array(fs.readFileSync(file))), entry.eot_id);
  for (const { start, pos, last } of encoderWindows(codec, seq.length, entry.context)) {
    const logits = await model.prefill(seq.subarray(start, last));
    for (let p = pos; p <= last; p++) {
      const row = logits.subarray((p - 1 - start) * V, (p - start) * V);
      const rec = Buffer.alloc(4 + 4 * V);
      rec.writeUInt32LE(seq[p], 0);
      Buffer.from(row.buffer, row.byteOffset, row.byteLength).copy(rec, 4);
      chunks.push(rec);
      steps++;
    }
  }
}
const head = Buffer.alloc(8);
head.writeUInt32LE(V, 0);
head.writeUInt32LE(steps, 4);
fs.writeFileSync(out, Buffer.concat([head, ...chunks]));
console.error(`dump_logits: ${files.length} texts, ${steps} steps -> ${out}`);
await model.dispose();
