// The public evaluation set, copied from the team's shared folder into tests/data/eval (its
// README.md and SOURCES.tsv give each file's source and licence): 8 categories x 20 texts of
// ~60 B to ~7 KB. The conformance, noise and golden-link tests and bench/drift.mjs run on it:
// `npm test` on a sample (sampleEvalTexts), `npm run conformance` on every text.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const evalDir = fileURLToPath(new URL('../data/eval', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Every eval text, sorted by name. @returns {{name: string, category: string, bytes: Uint8Array}[]}
 * name: "<category>/NNN"
 */
export function evalTexts() {
  const texts = [];
  for (const entry of readdirSync(evalDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const file of readdirSync(join(evalDir, entry.name))) {
      if (!file.endsWith('.txt')) continue;
      texts.push({
        name: `${entry.name}/${file.slice(0, -4)}`,
        category: entry.name,
        bytes: new Uint8Array(readFileSync(join(evalDir, entry.name, file))),
      });
    }
  }
  return texts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The texts `npm test` gives the conformance and noise tests (the exhaustive run, `npm run
 * conformance`, takes all 160): in each category the shortest text (so WebGPU, which takes the
 * shortest per category, runs the same texts in both tiers), and the `kHardest` texts with the
 * largest cross-backend drift (of equal drifts, the shorter text). Drift is measured per text
 * by bench/drift.mjs (max |Δlogit| between ORT Node CPU and ORT Web WASM, batched and stepwise:
 * the pairs with the largest drift; thread count and Node vs Chromium change no bit), committed
 * as bench/results/drift-texts-<model>.json with the command that made it.
 */
const kHardest = 6;
const driftFile = (/** @type {string} */ modelId) => `bench/results/drift-texts-${modelId}.json`;

/**
 * @param {ReturnType<typeof evalTexts>} texts all eval texts
 * @param {{name: string, max: number}[]} drift per text, from bench/drift.mjs --per-text
 */
export function sampleEvalTexts(texts, drift) {
  const maxOf = new Map(drift.map((d) => [d.name, d.max]));
  const missing = texts.filter((t) => !maxOf.has(t.name)).map((t) => t.name);
  if (missing.length) throw new Error(`no drift measured for ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}`);
  const byDrift = [...texts].sort((a, b) => maxOf.get(b.name) - maxOf.get(a.name) || a.bytes.length - b.bytes.length);
  const chosen = new Set([...shortestPerCategory(texts, 1), ...byDrift.slice(0, kHardest)]);
  return texts.filter((t) => chosen.has(t));
}

/**
 * The test tier: 'sample' for `npm test` (the default), 'all' for `npm run conformance`
 * (KOLMO_EVAL=all). Suites whose exhaustive part costs minutes (the conformance matrix, the
 * noise tests, the longest golden link, WebGPU round trips) run that part only in tier 'all'.
 * @returns {'all'|'sample'}
 */
export function testTier() {
  const tier = process.env.KOLMO_EVAL ?? 'sample';
  if (tier !== 'all' && tier !== 'sample') throw new Error(`KOLMO_EVAL=${tier}: expected 'all' or 'sample'`);
  return tier;
}

/**
 * The eval texts the conformance and noise tests take. KOLMO_EVAL=all: every text (`npm run
 * conformance`); unset or KOLMO_EVAL=sample: sampleEvalTexts() (`npm test`). KOLMO_EVAL_LIMIT=N
 * then keeps the first N of those (a quick local run). Benches and generated texts always take all.
 * @returns {ReturnType<typeof evalTexts> & {tier: 'all'|'sample', limited: boolean}}
 */
export function testedEvalTexts() {
  const tier = testTier();
  let texts = evalTexts();
  if (tier === 'sample') {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
    const file = driftFile(manifest.default);
    if (!existsSync(join(repoRoot, file))) {
      throw new Error(`${file} is missing: measure the drift of model ${manifest.default} with ` +
        `\`node bench/drift.mjs --no-browser --paths node-cpu-1t,node-wasm-1t --per-text ${file}\` (~15 min)`);
    }
    texts = sampleEvalTexts(texts, JSON.parse(readFileSync(join(repoRoot, file), 'utf8')).texts);
  }
  const limit = Number(process.env.KOLMO_EVAL_LIMIT ?? Infinity);
  const limited = limit >= 0 && limit < texts.length;
  return Object.assign(limited ? texts.slice(0, limit) : texts, { tier: /** @type {'all'|'sample'} */ (tier), limited });
}

/** The `perCategory` shortest texts of each category (for the slow paths). */
export function shortestPerCategory(texts, perCategory) {
  const byCategory = new Map();
  for (const t of texts) byCategory.set(t.category, [...(byCategory.get(t.category) ?? []), t]);
  return [...byCategory.values()].flatMap((list) =>
    list.sort((a, b) => a.bytes.length - b.bytes.length).slice(0, perCategory));
}
