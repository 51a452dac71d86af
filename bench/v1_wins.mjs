// Where LM payload version 1 beats version 3 (src/link_jobs.h kAlsoPayloadV1MaxTokens): for each
// eval text (not CRLF, at most 4,096 positions) both payloads' sizes from one model pass on the
// core engine; prints, for several bounds, the texts above the bound where version 1 was smaller
// and the bytes it saved there. Usage: node bench/v1_wins.mjs (a few minutes)
import { loadCodec } from '../web/lib/worker/codec.js';
import { createCoreModel } from '../web/lib/worker/core_model.js';
import { encodeTokens } from '../web/lib/worker/pipeline.js';
import { evalTexts } from '../tests/conformance/eval_texts.mjs';
import { readFileSync } from 'node:fs';
const codec = await loadCodec();
const manifest = JSON.parse(readFileSync('models/manifest.json', 'utf8'));
const entry = { id: manifest.default, ...manifest.models[manifest.default] };
const dir = `models/${entry.id}/`;
const tokenizer = codec.parseTokenizer(readFileSync(dir + 'tokenizer.kbpe'));
const tree = codec.buildTokenTree(tokenizer.tokenCounts());
const model = createCoreModel(codec, new Uint8Array(readFileSync(dir + 'model.onnx')), entry);
const lm = { model, tokenizer, tree, entry };
const rows = [];
for (const t of evalTexts()) {
  const { ids, crlfLineBreaks } = codec.modelInput(tokenizer, t.bytes);
  if (crlfLineBreaks || ids.length + 1 > 4096) continue;
  const { payloads } = await encodeTokens({ codec, lm, ids, payloadVersions: [3, 1] });
  rows.push({ n: ids.length + 1, v3: payloads[0].payload.length, v1: payloads[1].payload.length });
}
for (const limit of [32, 64, 128, 256, 512, 4096]) {
  const wins = rows.filter((r) => r.n > limit && r.v1 < r.v3);
  const saved = wins.reduce((a, r) => a + r.v3 - r.v1, 0);
  console.log(`texts over ${limit} tokens where v1 < v3: ${wins.length}, bytes saved by v1 there: ${saved}`);
}
console.log('v1 wins by size:', rows.filter((r) => r.v1 < r.v3).map((r) => `${r.n}:${r.v3 - r.v1}`).join(' '));
