// kolmo against the compressors people use, each file alone: a script that prints figures (not a
// test). For every eval text (tests/data/eval) and any long texts given: the kolmo link (what
// compress() makes: the smallest of stored, cm and the LM payload), the LM payload v3 alone (the
// model mixed with the in-document model, span headers: what new links use), v2 alone (mixed,
// per-token flags: the links before v3), v1 alone (the model alone), the cm codec alone,
// gzip -9, brotli -q 11, xz -9e, zstd -19 and npm lz-string's compressToEncodedURIComponent (what
// code playgrounds put in URLs); per category and per size bucket; encode and decode tokens/s.
//
//   node bench/compare.mjs [--backend wasm|node] [--baseline MODEL_ID] [--long FILE ...]
//                          [--limit N] [--no-decode] [--out DIR] [--readme] [--from FILE]
//
//   --backend: ONNX Runtime backend, one thread (default wasm: ORT Web WASM, the browser's path)
//   --baseline MODEL_ID: also the link as it was before LM payload v2, made with that model and
//     LM payload v1 (e.g. km1-4f9c28b6bfe260e6: the product before km2 and the mixer)
//   --long FILE: a long text, its own bucket "long" (category "long")
//   --no-decode: skip decoding (decode speed is then not measured)
//   --out DIR: writes compare-<model>.json and compare-<model>.md there (default bench/results)
//   --readme: rewrites the README's results table (between the compare markers) from this run
//   --from FILE: no measuring; the tables (and --readme) from an earlier run's JSON
//
// Every LM payload of versions 3 and 1 is decoded back and compared with the text (a mismatch
// stops the bench); v2, no longer written, is only sized.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import lzString from 'lz-string';
import { evalTexts } from '../tests/conformance/eval_texts.mjs';
import { Engine } from '../web/lib/worker/engine.js';
import { Kolmo } from '../web/lib/index.js';
import { compressBytes, decodeTokens, encodeTokens } from '../web/lib/worker/pipeline.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (/** @type {string} */ name, /** @type {any} */ fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const backend = option('--backend', 'wasm');
const baselineId = option('--baseline', null);
const limit = Number(option('--limit', Infinity));
const decode = !args.includes('--no-decode');
const outDir = option('--out', join(repoRoot, 'bench/results'));
const longFiles = args.flatMap((a, i) => (a === '--long' ? [args[i + 1]] : []));

const from = option('--from', null);

/** Runs every compressor on every text. */
async function measure() {
  const engine = new Engine(new Kolmo({ cache: false, backend, threads: 1 }).settings);
  const codec = await engine.codec();
  const lm = await engine.loadModel();
  const baseline = baselineId ? await engine.loadModel(baselineId) : null;
  const maxLmTokens = codec.maxLmTokens();

  const texts = [
    ...evalTexts().slice(0, limit),
    ...longFiles.map((file) => ({ name: `long/${basename(file)}`, category: 'long', bytes: new Uint8Array(readFileSync(file)) })),
  ];
  const bucketOf = (/** @type {number} */ n) => (n <= 256 ? '≤ 256 B' : n <= 1024 ? '≤ 1 KB' : n <= 8192 ? '≤ 8 KB' : 'long');

  /** Compressed size of bytes with an external compressor (a command reading stdin). */
  function external(/** @type {string} */ command, /** @type {string[]} */ argv, /** @type {Uint8Array} */ bytes) {
    const run = spawnSync(command, argv, { input: bytes, maxBuffer: 1 << 30 });
    if (run.status !== 0) throw new Error(`${command} ${argv.join(' ')}: ${run.stderr}`);
    return run.stdout.length;
  }

  /** Codes `bytes` with `model` and LM payload `version`, decodes it back (if asked): sizes, times. */
  async function lmPayload(model, bytes, version, { decodeBack = decode } = {}) {
    const ids = model.tokenizer.encode(bytes);
    if (ids.length + 1 > maxLmTokens) return null;
    const t0 = performance.now();
    const { payload, stats } = await encodeTokens({ codec, lm: model, ids, payloadVersion: version });
    const encodeMs = performance.now() - t0;
    let decodeMs = 0;
    if (decodeBack) {
      const t1 = performance.now();
      const back = await decodeTokens({ codec, lm: model, payload, payloadVersion: version });
      decodeMs = performance.now() - t1;
      if (back.length !== ids.length || back.some((t, i) => t !== ids[i])) throw new Error(`LM payload v${version} of ${model.entry.id} did not decode back`);
    }
    const view = { modelIndex: model.entry.index, modelIdHash: model.entry.id_hash, lmPayloadVersion: version };
    return { payload, view, tokens: ids.length + 1, idealBits: stats.idealBits, codedBits: stats.codedBits, flagBits: stats.flagBits, encodeMs, decodeMs };
  }

  // Warm-up (session, JIT, first allocations) so that the first timed text is not slower.
  for (const version of [3, 2, 1]) await lmPayload(lm, new TextEncoder().encode('Warm-up: a few tokens for every payload version.'), version);

  const rows = [];
  const started = performance.now();
  for (const text of texts) {
    const { bytes } = text;
    const v3 = await lmPayload(lm, bytes, 3);
    // v2 is no longer written: its size for comparison, not its decode (golden links pin it); it
    // has no typo-proof container kind, so it is counted in v3's framing.
    const v2 = await lmPayload(lm, bytes, 2, { decodeBack: false });
    const v1 = await lmPayload(lm, bytes, 1);
    // The link as compress() makes it (its own model pass: LM payload v3, and v1 for short texts;
    // CRLF line breaks; the smallest of everything).
    const link = (await compressBytes(bytes, { codec, lm })).container;
    const lmContainer = (/** @type {any} */ p) => (p ? codec.containerPack({ mode: 'lm', text: bytes, body: p.payload, ...p.view }).length : null);
    const base = baseline ? await lmPayload(baseline, bytes, 1, { decodeBack: false }) : null;
    // The link before LM payload v2: the smallest of stored, cm and the baseline model's v1 payload.
    const baseBest = baseline ? codec.containerPackBest({ text: bytes, lmBodies: base ? [{ body: base.payload, payloadVersion: 1 }] : [], modelIndex: baseline.entry.index, modelIdHash: baseline.entry.id_hash }) : null;
    const row = {
      name: text.name, category: text.category, bucket: bucketOf(bytes.length), bytes: bytes.length,
      linkChars: codec.urlEncode(link).length, link: link.length, linkMode: codec.containerParse(link).mode,
      lmV3: lmContainer(v3), lmV2: v2 && v3 ? lmContainer(v3) - v3.payload.length + v2.payload.length : null, lmV1: lmContainer(v1), cm: codec.containerPack({ mode: 'cm', text: bytes, body: codec.cmEncode(bytes) }).length,
      baselineLink: baseBest?.bytes.length ?? null, baselineLinkChars: baseBest ? codec.urlEncode(baseBest.bytes).length : null,
      gzip: external('gzip', ['-9', '-n', '-c'], bytes), brotli: external('brotli', ['-q', '11', '-c'], bytes),
      xz: external('xz', ['-9e', '-c', '--format=xz'], bytes), zstd: external('zstd', ['-19', '-q', '-c'], bytes),
      lzString: lzString.compressToEncodedURIComponent(new TextDecoder().decode(bytes)).length,
      tokens: v3?.tokens ?? 0, idealBits: v1?.idealBits ?? 0, codedBitsV1: v1?.codedBits ?? 0,
      flagBitsV1: v1?.flagBits ?? 0, headerBitsV3: v3?.flagBits ?? 0,
      encodeMsV3: v3?.encodeMs ?? 0, decodeMsV3: v3?.decodeMs ?? 0,
      encodeMsV2: v2?.encodeMs ?? 0, decodeMsV2: v2?.decodeMs ?? 0, encodeMsV1: v1?.encodeMs ?? 0, decodeMsV1: v1?.decodeMs ?? 0,
    };
    rows.push(row);
    process.stderr.write(`${text.name}: ${row.bytes} B -> link ${row.link} B (${row.linkMode}), lm v3 ${row.lmV3}, v2 ${row.lmV2}, v1 ${row.lmV1}, cm ${row.cm}, brotli ${row.brotli}\n`);
  }
  const elapsedS = (performance.now() - started) / 1000;
  const command = ['node', 'bench/compare.mjs', ...args].join(' ');
  const run = { model: lm.entry.id, baseline: baseline?.entry.id ?? null, backend: `${lm.backend}, 1 thread`, decoded: decode, command, elapsedS, rows };
    return run;
}

const run = from ? JSON.parse(readFileSync(from, 'utf8')) : await measure();
const { rows, elapsedS, command } = run;
const decoded = run.decoded ?? true;
const sum = (/** @type {any[]} */ group, /** @type {string} */ key) => group.reduce((s, r) => s + (r[key] ?? r.link), 0);
// A text the model cannot code (over maxLmTokens) counts with its link in the LM columns.
const columns = ['bytes', 'linkChars', 'link', 'lmV3', 'lmV2', 'lmV1', 'cm', 'gzip', 'brotli', 'xz', 'zstd', 'lzString', 'baselineLink', 'baselineLinkChars'];
const totals = (/** @type {any[]} */ group) => Object.fromEntries(columns.map((c) => [c, sum(group, c)]));
const groupBy = (/** @type {string} */ key) => {
  const names = [...new Set(rows.map((r) => r[key]))];
  return [...names.map((n) => ({ name: n, files: rows.filter((r) => r[key] === n).length, ...totals(rows.filter((r) => r[key] === n)) })),
    // The eval set's total; long texts would outweigh its 160 files, so they stay out of it.
    { name: 'all eval', files: rows.filter((r) => r.category !== 'long').length, ...totals(rows.filter((r) => r.category !== 'long')) }];
};
const kBucketOrder = ['≤ 256 B', '≤ 1 KB', '≤ 8 KB', 'long', 'all eval'];
const byCategory = groupBy('category');
const byBucket = groupBy('bucket').sort((a, b) => kBucketOrder.indexOf(a.name) - kBucketOrder.indexOf(b.name));
const tokens = rows.reduce((s, r) => s + r.tokens, 0);
const ms = (/** @type {string} */ key) => rows.reduce((s, r) => s + r[key], 0);
const speed = {
  backend: run.backend, tokens,
  encodeV3: tokens / (ms('encodeMsV3') / 1000), encodeV2: tokens / (ms('encodeMsV2') / 1000), encodeV1: tokens / (ms('encodeMsV1') / 1000),
  decodeV3: decoded ? tokens / (ms('decodeMsV3') / 1000) : null, decodeV1: decoded ? tokens / (ms('decodeMsV1') / 1000) : null,
};
const idealBits = rows.reduce((s, r) => s + r.idealBits, 0);
const roundingCost = rows.reduce((s, r) => s + r.codedBitsV1, 0) / idealBits - 1;
// What each payload spends on telling the decoder which grid to use: v1's per-token flags, v3's
// span headers (bench/run.sh prices payload 3's whole rounding layer without the in-document model).
const flagCostV1 = rows.reduce((s, r) => s + r.flagBitsV1, 0) / idealBits;
const headerCostV3 = rows.reduce((s, r) => s + (r.headerBitsV3 ?? 0), 0) / idealBits;

const x = (/** @type {number} */ a, /** @type {number} */ b) => (a / b).toFixed(3);
const pct = (/** @type {number} */ a, /** @type {number} */ b) => `${(100 * (a / b - 1)).toFixed(1)}%`;
function table(/** @type {any[]} */ groups, /** @type {string} */ title) {
  const lines = [
    `| ${title} | files | text B | link chars | link B | LM v3 | LM v2 | LM v1 | cm | gzip -9 | brotli -q 11 | xz -9e | zstd -19 | lz-string chars | link / brotli | LM v3 / brotli | LM v3 / cm | LM v3 vs v2 | link chars / lz-string |${run.baseline ? ' link vs before |' : ''}`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|${run.baseline ? '---|' : ''}`,
  ];
  for (const g of groups) {
    lines.push(`| ${g.name} | ${g.files} | ${g.bytes} | ${g.linkChars} | ${g.link} | ${g.lmV3} | ${g.lmV2} | ${g.lmV1} | ${g.cm} | ${g.gzip} | ${g.brotli} | ${g.xz} | ${g.zstd} | ${g.lzString} | ` +
      `${x(g.link, g.brotli)} | ${x(g.lmV3, g.brotli)} | ${x(g.lmV3, g.cm)} | ${pct(g.lmV3, g.lmV2)} | ${x(g.linkChars, g.lzString)} |${run.baseline ? ` ${pct(g.link, g.baselineLink)} |` : ''}`);
  }
  return lines.join('\n');
}
const speedLine = `Tokens/s (${speed.backend}, ${tokens} tokens): encode ${speed.encodeV3.toFixed(0)} with LM payload v3, ${speed.encodeV2.toFixed(0)} with v2, ${speed.encodeV1.toFixed(0)} with v1` +
  (decoded ? `; decode ${speed.decodeV3?.toFixed(0)} with v3, ${speed.decodeV1?.toFixed(0)} with v1 (v3 at ${(100 * speed.decodeV3 / speed.decodeV1).toFixed(1)}% of v1)` : '') +
  `. Telling the decoder which grid to use costs ${(100 * headerCostV3).toFixed(2)}% of the ideal Σ −log2 p with v3's span headers, ${(100 * flagCostV1).toFixed(2)}% with v1's per-token flags; v1's whole rounding layer costs ${(100 * roundingCost).toFixed(2)}% (payload 3's: \`bash bench/run.sh\`).`;
const markdown = [
  `Model ${run.model}; ${rows.length} files, each alone; sizes in bytes (kolmo: whole containers, 3+ B framing included; the link is`,
  `base62 text of it). LM v3: the model mixed with the in-document model, span headers (new links); LM v2: the same with per-token flags (links before v3); LM v1: the model alone; cm: the model-free codec.` +
  (run.baseline ? ` "link vs before": against the link of ${run.baseline} with LM payload v1.` : ''),
  '', table(byCategory, 'category'), '', table(byBucket, 'size'), '', speedLine, '', `Made by \`${command}\` in ${elapsedS.toFixed(0)} s.`, '',
].join('\n');
const json = { ...run, speed, roundingCost, flagCostV1, headerCostV3, byCategory, byBucket, rows };
writeFileSync(join(outDir, `compare-${run.model}.json`), JSON.stringify(json, null, 1) + '\n');
writeFileSync(join(outDir, `compare-${run.model}.md`), markdown);
process.stdout.write(markdown);

if (args.includes('--readme')) {
  const readmePath = join(repoRoot, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const begin = '<!-- compare:begin (generated by bench/compare.mjs --readme) -->';
  const end = '<!-- compare:end -->';
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${begin} … ${end} section`);
  const row = (/** @type {any} */ g) => `| ${g.name} | ${x(g.link, g.brotli)} | ${x(g.lmV3, g.brotli)} | ${x(g.lmV2, g.brotli)} | ${x(g.lmV1, g.brotli)} | ${x(g.cm, g.brotli)} | ${x(g.xz, g.brotli)} | ${x(g.linkChars, g.lzString)} |`;
  const section = [
    begin,
    `Each file alone, bytes relative to brotli -q 11 (lower is better); model ${run.model}, from`,
    `[bench/results/compare-${run.model}.md](bench/results/compare-${run.model}.md) (\`${command}\`):`,
    '',
    '| | link | LM v3 (model + in-document, span headers) | LM v2 (per-token flags) | LM v1 (model alone) | cm codec | xz -9e | link chars / lz-string chars |',
    '|---|---|---|---|---|---|---|---|',
    ...byCategory.map(row), ...byBucket.filter((g) => g.name !== 'all eval' && g.name !== 'long').map(row),
    '',
    speedLine,
    end,
  ].join('\n');
  writeFileSync(readmePath, readme.slice(0, from) + section + readme.slice(to + end.length));
}
