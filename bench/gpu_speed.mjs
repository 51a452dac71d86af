// WebGPU against the core engine on a machine with a real GPU: the figures that would justify
// choosing WebGPU automatically (today it runs only when asked for: backend 'webgpu', the page's
// "Run on: GPU"). A bench, not a test; run it once on a GPU machine:
//
//   KOLMO_WEBGPU_ADAPTER=hardware node bench/gpu_speed.mjs [--json FILE]
//
// Prints the adapter, then encode and decode tokens/s of 'core' and 'webgpu' in the page's worker
// on short texts (the shortest eval text of each category: links kolmo is best at) and long ones
// (the longest of each), and the single-step latency of WebGPU (KV cache kept on the GPU) against
// the core engine, so that the per-token read-back cost shows. WebGPU would be worth choosing
// automatically only where it wins on both short and long texts; the verdict line says.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { launchBrowser, startServer, chromiumPath } from '../tests/e2e/browser.mjs';
import { evalTexts, shortestPerCategory } from '../tests/conformance/eval_texts.mjs';
import { pageThroughput } from './page_speed.mjs';

const { values: args } = parseArgs({ options: { json: { type: 'string' } } });
if (!chromiumPath()) throw new Error('chromium is not installed: apt-get install -y chromium');
const all = evalTexts();
const short = shortestPerCategory(all, 1).map((t) => t.bytes);
const longestOf = (/** @type {string} */ category) => all.filter((t) => t.category === category).sort((a, b) => b.bytes.length - a.bytes.length)[0];
const long = [...new Set(all.map((t) => t.category))].map((c) => longestOf(c).bytes);

const server = await startServer();
const browser = await launchBrowser({ webgpu: true });
const results = { date: new Date().toISOString(), adapter: null, short: {}, long: {}, steps: {} };
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + 'style.css');
  results.adapter = await page.evaluate(async () => {
    const adapter = await /** @type {any} */ (navigator).gpu?.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return { vendor: info.vendor, architecture: info.architecture, description: info.description, fallback: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? null };
  });
  console.log(`adapter: ${JSON.stringify(results.adapter)}`);
  if (!results.adapter || results.adapter.fallback) console.log('no hardware adapter: the WebGPU figures below are of a software renderer and say nothing about GPUs');
  for (const backend of ['core', 'webgpu']) {
    results.short[backend] = await pageThroughput(page, backend, short);
    results.long[backend] = await pageThroughput(page, backend, long);
  }
  // Single steps: 128 tokens, cold then warm, on each backend.
  results.steps = await page.evaluate(async () => {
    const site = new URL('./', location.href).href;
    const { loadCodec } = await import(`${site}lib/worker/codec.js`);
    const { createLanguageModel } = await import(`${site}lib/worker/model.js`);
    const { createCoreModel } = await import(`${site}lib/worker/core_model.js`);
    const { manifestEntry } = await import(`${site}lib/worker/model_manifest.js`);
    const entry = manifestEntry(await (await fetch(`${site}models/manifest.json`)).json());
    const modelBytes = new Uint8Array(await (await fetch(`${site}models/${entry.id}/model.onnx`)).arrayBuffer());
    const codec = await loadCodec();
    const ort = await import(`${site}ort/ort.min.mjs`);
    ort.env.wasm.wasmPaths = `${site}ort/`;
    const models = {
      core: createCoreModel(codec, modelBytes, entry),
      webgpu: await createLanguageModel({ ort, modelBytes, shape: entry, backends: ['webgpu'], gpuKvCache: true }),
    };
    /** @type {Record<string, any>} */
    const out = {};
    for (const [name, model] of Object.entries(models)) {
      const times = [];
      for (let pass = 0; pass < 2; pass++) {
        await model.prefill([entry.eot_id]);
        const t = performance.now();
        for (let i = 1; i < 128; i++) await model.step((i * 37) % (entry.vocab_size - 1));
        times.push((performance.now() - t) / 127);
      }
      out[name] = { coldMsPerStep: times[0], warmMsPerStep: times[1] };
      await model.dispose();
    }
    return out;
  });
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}
const fmt = (x) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
console.log('\n| texts | backend | encode tokens/s | decode tokens/s |\n|---|---|---|---|');
for (const kind of ['short', 'long']) {
  for (const b of ['core', 'webgpu']) console.log(`| ${kind} | ${b} | ${fmt(results[kind][b].encodePerSecond)} | ${fmt(results[kind][b].decodePerSecond)} |`);
}
console.log('\n| backend | ms per single step, cold | warm |\n|---|---|---|');
for (const b of ['core', 'webgpu']) console.log(`| ${b} | ${results.steps[b].coldMsPerStep.toFixed(3)} | ${results.steps[b].warmMsPerStep.toFixed(3)} |`);
const wins = ['short', 'long'].every((k) => results[k].webgpu.decodePerSecond > 1.5 * results[k].core.decodePerSecond);
console.log(`\nverdict: WebGPU ${wins ? 'decodes over 1.5x faster than the core engine on short and long texts: an automatic choice would pay here'
  : 'does not beat the core engine by 1.5x on both short and long texts: keep it a choice, not the default'}`);
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 1) + '\n');
