// Speed of the model paths, printed as tables (a bench, not a test: figures depend on the
// machine and its load; run it on an idle machine and compare paths within one run).
//
//   node bench/speed.mjs [--texts N] [--no-browser] [--json FILE]
//
// 1. Node, one thread: encode and decode tokens/s of the core engine (backend 'core') and of
//    ONNX Runtime Web's WASM build (backend 'wasm'), through the public API on the same eval
//    texts (the longest of each category, N per category, default 2), links of the model only.
//    Beside them, the core engine's encode on two threads (workers: 2; web/lib/worker/windows.js:
//    a helper computes windows ahead while the engine's thread codes them; the same links), its
//    helper started and its model loaded before the clock runs (a page's second link).
// 2. Cold start, Node: per-token time of single steps 1-32 and 33-128 of a fresh model, against
//    the same steps once the model is warm (a second window over the same tokens).
// 3. Chromium (Debian's, headless, the built site served at a sub-path as tests/e2e does):
//    encode and decode tokens/s of both paths in the page's Web Worker (and the core engine's
//    encode on two threads: the worker and a helper Web Worker); the first visit of the
//    page on the default path (bytes fetched, by file type, and whether any ONNX Runtime file
//    was requested); the time from navigation to a decoded ~100-byte link once the model is
//    cached (and the service worker installed).
import { parseArgs } from 'node:util';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kolmo } from '../web/lib/index.js';
import { loadCodec } from '../web/lib/worker/codec.js';
import { createCoreModel } from '../web/lib/worker/core_model.js';
import { createLanguageModel } from '../web/lib/worker/model.js';
import { codedSequence } from '../web/lib/worker/pipeline.js';
import { evalTexts } from '../tests/conformance/eval_texts.mjs';
import { repoRoot } from '../tests/node/helpers.mjs';
import { createRequire } from 'node:module';
import { median, openTimed, pageThroughput } from './page_speed.mjs';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: { texts: { type: 'string', default: '2' }, 'no-browser': { type: 'boolean', default: false }, json: { type: 'string' } },
});
const perCategory = Number(args.texts);
const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
const modelId = manifest.default;
const entry = { id: modelId, ...manifest.models[modelId] };
const results = { model: modelId, date: new Date().toISOString(), node: {}, coldStart: {}, browser: null };

function chosenTexts() {
  const byCategory = new Map();
  for (const t of evalTexts()) byCategory.set(t.category, [...(byCategory.get(t.category) ?? []), t]);
  return [...byCategory.values()].flatMap((list) => list.sort((a, b) => b.bytes.length - a.bytes.length).slice(0, perCategory));
}
const texts = chosenTexts();
const fmt = (x, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// ---- 1. Node: tokens/s through the public API ----

/** One thread (workers: 1), or encode only on `workers` threads (the same links as one thread's). */
async function nodeThroughput(backend, workers = 1, sameLinksAs = null) {
  const kolmo = new Kolmo({ backends: [backend], threads: 1, workers, cache: false });
  await kolmo.load();
  if (workers > 1) await kolmo.compress(texts[0].bytes, { modes: ['lm'] }); // helpers started, their model loaded
  let tokens = 0, encodeMs = 0, decodeMs = 0;
  const fragments = [];
  for (const text of texts) {
    const { fragment, stats } = await kolmo.compress(text.bytes, { modes: ['lm'] });
    if (stats.backend !== backend) throw new Error(`ran on ${stats.backend}`);
    fragments.push(fragment);
    tokens += stats.tokens + 1;
    encodeMs += stats.codeMs;
    if (sameLinksAs) {
      if (fragment !== sameLinksAs.fragments[fragments.length - 1]) throw new Error(`${text.name}: another link on ${workers} threads`);
      continue;
    }
    let decodeStats = null;
    const back = await kolmo.decompress(fragment, { output: 'bytes', onStats: (s) => { decodeStats = s; } });
    if (Buffer.compare(Buffer.from(back), Buffer.from(text.bytes)) !== 0) throw new Error(`${text.name}: round trip failed`);
    decodeMs += decodeStats.codeMs;
  }
  kolmo.dispose();
  return { tokens, fragments, encodePerSecond: (tokens / encodeMs) * 1000, ...(sameLinksAs ? {} : { decodePerSecond: (tokens / decodeMs) * 1000 }) };
}

// ---- 2. cold start ----

async function coldStart(backend) {
  const codec = await loadCodec();
  const modelBytes = new Uint8Array(readFileSync(join(repoRoot, 'models', modelId, 'model.onnx')));
  const tokenizer = codec.parseTokenizer(readFileSync(join(repoRoot, 'models', modelId, 'tokenizer.kbpe')));
  const longest = [...evalTexts()].sort((a, b) => b.bytes.length - a.bytes.length)[0];
  const seq = codedSequence(tokenizer.encode(longest.bytes), entry.eot_id).subarray(0, 128);
  const t0 = performance.now();
  const model = backend === 'core'
    ? createCoreModel(codec, modelBytes, entry)
    : await createLanguageModel({ ort: require('onnxruntime-web'), modelBytes, shape: entry, backends: ['wasm'] });
  const loadMs = performance.now() - t0;
  const pass = async () => {
    const times = [];
    await model.prefill(seq.subarray(0, 1));
    for (let i = 1; i < seq.length; i++) {
      const t = performance.now();
      await model.step(seq[i]);
      times.push(performance.now() - t);
    }
    return times;
  };
  const cold = await pass();
  const warm = await pass();
  await model.dispose();
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    loadMs,
    cold1to32: mean(cold.slice(0, 31)), cold33to128: mean(cold.slice(31)),
    warm1to32: mean(warm.slice(0, 31)), warm33to128: mean(warm.slice(31)),
  };
}

// ---- 3. Chromium ----

async function browserFigures() {
  const { chromiumPath, launchBrowser, startServer } = await import('../tests/e2e/browser.mjs');
  if (!chromiumPath()) return { skipped: 'no chromium' };
  const server = await startServer();
  const browser = await launchBrowser();
  const out = {};
  try {
    // Throughput in the page's worker, both paths, same texts.
    for (const [key, backend, workers] of [['core', 'core', 1], ['wasm', 'wasm', 1], ['core2', 'core', 2]]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(server.url + 'style.css');
      out[key] = await pageThroughput(page, backend, texts.map((t) => t.bytes), { workers });
      await context.close();
    }
    if (out.core2.fragments.some((f, i) => f !== out.core.fragments[i])) throw new Error('Chromium: another link on two threads');
    for (const key of ['core', 'wasm', 'core2']) delete out[key].fragments;
    // First visit on the default path: a fresh profile opens a ~100-byte link.
    const link = new Kolmo({ cache: false });
    const short = 'Meet me at 8 by the old mill. Bring the map, the blue notebook and two sandwiches, please!';
    const { fragment } = await link.compress(short);
    const context = await browser.newContext();
    const page = await context.newPage();
    const logBefore = server.requestLog().length;
    const firstStart = Date.now();
    await openTimed(page, `${server.url}#${fragment}`, short, { timeout: 120000 });
    const firstMs = Date.now() - firstStart;
    await page.waitForTimeout(1500); // the service worker's install fetches what it keeps
    // What the host sent (its request log: the page's, its workers' and the service worker's
    // requests alike; a response the service worker served from its cache never reaches it).
    const fetched = served(server, server.requestLog().slice(logBefore));
    const byType = {};
    for (const f of fetched) {
      const path = f.path;
      const type = /\/ort\//.test(path) ? 'ONNX Runtime' : /\.wasm$/.test(path) ? 'kolmo .wasm' : /model\.onnx$/.test(path) ? 'model'
        : /\.(kbpe|json)$/.test(path) ? 'tokenizer, manifests' : /\.m?js$/.test(path) ? 'JS' : 'page, styles, icons';
      byType[type] = (byType[type] ?? 0) + f.bytes;
    }
    const ortRequests = fetched.filter((f) => /\/ort\//.test(f.path)).length;
    const firstVisitBytes = fetched.reduce((a, f) => a + f.bytes, 0); // before the later visits add theirs
    // Model cached, service worker installed: navigation to the decoded link.
    // (after a few seconds on the page, as any real visit: V8 writes its cache of the .wasm's
    // compiled code 2 s after the last tier-up, bench/cached_open.mjs)
    await page.waitForTimeout(2000);
    const times = [];
    const pageTimes = [];
    for (let i = 0; i < 5; i++) {
      const { wall, marks } = await openTimed(page, `${server.url}?n=${i}#${fragment}`, short);
      times.push(wall);
      pageTimes.push(marks.shown ?? NaN); // the page's own clock (web/app/timing.js)
    }
    await context.close();
    out.firstVisit = { bytes: firstVisitBytes, byType, ortRequests, ms: firstMs, linkChars: fragment.length, textBytes: short.length };
    out.cachedOpenMs = median(times);
    out.cachedOpenPageMs = median(pageTimes);
  } finally {
    await browser.close();
    await server.stop();
  }
  return out;
}

/**
 * The files a static host sent, from its request log (python's http.server: a line per request,
 * `"GET /kolmo/path?query HTTP/1.1" 200 -`): path and size of each 200 answer to a GET.
 * @param {{root: string}} server @param {string[]} lines
 */
function served(server, lines) {
  const files = [];
  for (const line of lines) {
    const match = /"GET (\/[^ ?"]*)[^ "]* HTTP\/[\d.]+" 200 /.exec(line);
    if (!match) continue;
    const local = decodeURIComponent(match[1]).replace(/^\/kolmo\//, '').replace(/\/$/, '/index.html');
    files.push({ path: match[1], bytes: statSync(join(server.root, local || 'index.html')).size });
  }
  return files;
}

// ---- run and print ----

for (const backend of ['core', 'wasm']) results.node[backend] = await nodeThroughput(backend);
results.node.core2 = await nodeThroughput('core', 2, results.node.core);
for (const r of Object.values(results.node)) delete r.fragments; // compared; not figures
for (const backend of ['core', 'wasm']) results.coldStart[backend] = await coldStart(backend);
if (!args['no-browser']) results.browser = await browserFigures();

const name = { core: 'core engine', wasm: 'ORT Web WASM', core2: 'core engine, encode on 2 threads' };
console.log(`\nModel ${modelId}; ${texts.length} eval texts (${perCategory} longest per category), ${results.node.core.tokens} tokens; one thread unless said\n`);
console.log('| path | where | encode tokens/s | decode tokens/s |');
console.log('|---|---|---|---|');
for (const b of ['core', 'wasm']) console.log(`| ${name[b]} | Node | ${fmt(results.node[b].encodePerSecond)} | ${fmt(results.node[b].decodePerSecond)} |`);
console.log(`| ${name.core2} | Node | ${fmt(results.node.core2.encodePerSecond)} | (one thread's) |`);
if (results.browser?.core) {
  for (const b of ['core', 'wasm']) console.log(`| ${name[b]} | Chromium worker | ${fmt(results.browser[b].encodePerSecond)} | ${fmt(results.browser[b].decodePerSecond)} |`);
  console.log(`| ${name.core2} | Chromium worker + helper | ${fmt(results.browser.core2.encodePerSecond)} | (one thread's) |`);
}
console.log(`\nEncode on two threads (the same links): ${fmt(results.node.core2.encodePerSecond / results.node.core.encodePerSecond, 2)}x one thread's in Node` +
  (results.browser?.core2 ? `, ${fmt(results.browser.core2.encodePerSecond / results.browser.core.encodePerSecond, 2)}x in Chromium` : ''));
const ratio = (k) => results.node.core[k] / results.node.wasm[k];
console.log(`\nNode: the core engine at ${fmt(ratio('decodePerSecond'), 2)}x ORT Web WASM's decode, ${fmt(ratio('encodePerSecond'), 2)}x its encode` +
  (results.browser?.core ? `; Chromium: ${fmt(results.browser.core.decodePerSecond / results.browser.wasm.decodePerSecond, 2)}x decode, ${fmt(results.browser.core.encodePerSecond / results.browser.wasm.encodePerSecond, 2)}x encode` : ''));
console.log('\nCold start (Node, ms per single step; warm = the same steps again on the loaded model):\n');
console.log('| path | load ms | steps 1-32 cold | warm | ratio | steps 33-128 cold | warm | ratio |');
console.log('|---|---|---|---|---|---|---|---|');
for (const b of ['core', 'wasm']) {
  const c = results.coldStart[b];
  console.log(`| ${name[b]} | ${fmt(c.loadMs)} | ${fmt(c.cold1to32, 3)} | ${fmt(c.warm1to32, 3)} | ${fmt(c.cold1to32 / c.warm1to32, 2)} | ${fmt(c.cold33to128, 3)} | ${fmt(c.warm33to128, 3)} | ${fmt(c.cold33to128 / c.warm33to128, 2)} |`);
}
if (results.browser?.firstVisit) {
  const f = results.browser.firstVisit;
  console.log(`\nFirst visit of the site on the default path (Chromium, fresh profile, a ${f.textBytes}-byte text in a ${f.linkChars}-character link): ` +
    `${fmt(f.bytes / 1e6, 2)} MB fetched, ONNX Runtime files requested: ${f.ortRequests}; decoded ${fmt(f.ms)} ms after navigation\n`);
  console.log('| file type | bytes |');
  console.log('|---|---|');
  for (const [type, bytes] of Object.entries(f.byType).sort((a, b) => b[1] - a[1])) console.log(`| ${type} | ${fmt(bytes)} |`);
  console.log(`\nThe same link with the model cached (median of 5 opens in the same tab): shown ${fmt(results.browser.cachedOpenPageMs)} ms after ` +
    `navigation start by the page's clock (kolmo:shown), ${fmt(results.browser.cachedOpenMs)} ms by the harness's (page.goto to the done state ` +
    `seen by playwright's polling); step by step: node bench/cached_open.mjs`);
}
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 1) + '\n');
