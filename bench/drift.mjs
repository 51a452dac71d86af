// The drift table of docs/DETERMINISM.md: how far apart the shipped model's logits are between
// every two inference paths we can run, over the eval texts (tests/data/eval).
//
//   node bench/drift.mjs [--limit N] [--webgpu-per-category K] [--no-browser] [--paths A,B,...] [--json OUT] [--per-text OUT]
//
// Paths (tests/conformance/paths.mjs): ORT Node native CPU and ORT Web WASM in Node, 1 and 2
// threads; ORT Web WASM in Chromium, 1 and 2 threads; ORT Web WebGPU in Chromium (SwiftShader on
// machines without a GPU: ~100x slower than WASM, so it runs on the K shortest texts per
// category, default 2). Each path gives every row twice: 'batched' (one pass per window, as the
// encoder) and 'stepwise' (KV-cache steps, as the decoder). For every pair: max |Δlogit| over
// all entries of all rows of the texts both ran, quantiles, and the margin ε / max.
//   --limit N: the first N texts only (a quick check of the script)
//   --paths A,B,...: only these paths (names as in paths.mjs)
//   --per-text OUT: per text, the largest max |Δ| over every pair and the pair it was on (JSON;
//     tests/conformance/eval_sample.mjs picks the texts `npm test` runs from it)
import { writeFileSync } from 'node:fs';
import { DriftStats } from '../tests/conformance/drift_stats.mjs';
import { evalTexts, shortestPerCategory } from '../tests/conformance/eval_texts.mjs';
import { NodePath, BrowserPath, nodePathSpecs, browserPathSpecs } from '../tests/conformance/paths.mjs';
import { loadShippedFiles } from '../tests/conformance/shipped_model.mjs';
import { codedSequence } from '../web/lib/worker/pipeline.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const limit = Number(option('--limit', Infinity));
const webgpuPerCategory = Number(option('--webgpu-per-category', 2));
const withBrowser = !args.includes('--no-browser');
const jsonOut = option('--json', null);
const perTextOut = option('--per-text', null);
const onlyPaths = option('--paths', null)?.split(',');
const chosen = (/** @type {{name: string}} */ spec) => !onlyPaths || onlyPaths.includes(spec.name);

const { codec, tokenizer, entry } = await loadShippedFiles();
const epsilon = codec.defaultEpsilon();
const V = entry.vocab_size;
const texts = evalTexts().slice(0, limit);
const webgpuTexts = new Set(shortestPerCategory(texts, webgpuPerCategory).map((t) => t.name));

const paths = nodePathSpecs.filter(chosen).map((spec) => new NodePath(spec));
let browser = null;
let server = null;
if (withBrowser && browserPathSpecs.some(chosen)) {
  const { startServer, launchBrowser } = await import('../tests/e2e/browser.mjs');
  server = await startServer();
  browser = await launchBrowser({ webgpu: true });
  for (const spec of browserPathSpecs.filter(chosen)) paths.push(await BrowserPath.open(spec, browser, server.url));
}
const runsOn = (path, text) => path.spec.backend !== 'webgpu' || webgpuTexts.has(text.name);

/** variant name -> DriftStats per pair "a | b" */
const pairs = new Map();
const variantRows = new Map();
/** per text: {name, category, bytes, rows, max, pair} */
const perText = [];
const started = Date.now();
let rowsDone = 0;
for (const [index, text] of texts.entries()) {
  const seq = codedSequence(tokenizer.encode(text.bytes), entry.eot_id);
  /** @type {Map<string, Float32Array>} */
  const variants = new Map();
  await Promise.all(paths.filter((p) => runsOn(p, text)).map(async (path) => {
    for (const mode of ['batched', 'stepwise']) variants.set(`${path.name} ${mode}`, await path.logits(seq, mode));
  }));
  const names = [...variants.keys()].sort();
  for (const name of names) variantRows.set(name, (variantRows.get(name) ?? 0) + seq.length - 1);
  const worst = { name: text.name, category: text.category, bytes: text.bytes.length, rows: seq.length - 1, max: 0, pair: '' };
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const key = `${names[i]} | ${names[j]}`;
      if (!pairs.has(key)) pairs.set(key, new DriftStats());
      const max = pairs.get(key).add(variants.get(names[i]), variants.get(names[j]), text.name, V);
      if (max > worst.max || !worst.pair) Object.assign(worst, { max, pair: key });
    }
  }
  perText.push(worst);
  rowsDone += seq.length - 1;
  console.error(`drift: ${index + 1}/${texts.length} ${text.name} (${seq.length - 1} rows, ${names.length} variants), ${rowsDone} rows in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
for (const path of paths) await path.close();
await browser?.close();
await server?.stop();

const fmt = (x) => (x === 0 ? '0' : x.toExponential(1));
const rows = [...pairs.entries()].map(([key, stats]) => ({ pair: key, ...stats.toJSON() })).sort((a, b) => b.max - a.max);
console.log(`Shipped model ${entry.id}, ${texts.length} eval texts, ${rowsDone} rows of ${V} logits; WebGPU on ${[...webgpuTexts].filter((n) => texts.some((t) => t.name === n)).length} texts. ε = ${epsilon}.`);
console.log('');
console.log('| path A | path B | rows | max abs Δ | p99.9 | p99 | p50 | equal | margin ε / max |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const [a, b] = r.pair.split(' | ');
  const margin = r.max === 0 ? '∞' : `${(epsilon / r.max).toFixed(0)}×`;
  console.log(`| ${a} | ${b} | ${r.count / V} | ${fmt(r.max)} | ${fmt(r.p999)} | ${fmt(r.p99)} | ${fmt(r.p50)} | ${(100 * r.exactShare).toFixed(1)}% | ${margin} |`);
}
if (perTextOut) {
  const command = ['node', 'bench/drift.mjs', ...args].join(' ');
  writeFileSync(perTextOut, JSON.stringify({ model: entry.id, epsilon, command, paths: paths.map((p) => p.name), texts: perText }, null, 1) + '\n');
}
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify({ model: entry.id, epsilon, texts: texts.length, rows: rowsDone, variants: Object.fromEntries(variantRows), pairs: rows }, null, 1));
}
