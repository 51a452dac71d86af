// What typo-proof links cost (issue 21): every eval text compressed alone with the shipped model
// on the core engine, as a typo-proof link (container version 6) and, from the same body, in the
// framing of earlier releases (versions 1 to 5), by link size. Prints a Markdown table.
//   node bench/typo_cost.mjs [--limit N]
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compress } from '../web/lib/index.js';
import { loadCodec } from '../web/lib/worker/codec.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const evalDir = join(root, 'tests/data/eval');
const limitArg = process.argv.indexOf('--limit');
const limit = limitArg > 0 ? Number(process.argv[limitArg + 1]) : Infinity;
const codec = await loadCodec();
const manifest = JSON.parse(readFileSync(join(root, 'models/manifest.json'), 'utf8'));

const files = readdirSync(evalDir, { withFileTypes: true }).filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(evalDir, d.name)).filter((f) => f.endsWith('.txt')).sort().map((f) => join(evalDir, d.name, f)))
  .slice(0, limit);

const buckets = [[0, 64], [65, 256], [257, 1024], [1025, Infinity]];
const rows = buckets.map(() => ({ n: 0, legacy: 0, typoProof: 0, legacyChars: 0, typoProofChars: 0, legacyQr: 0, typoProofQr: 0, modes: {} }));
const all = { n: 0, legacy: 0, typoProof: 0, legacyChars: 0, typoProofChars: 0, legacyQr: 0, typoProofQr: 0, modes: {} };
for (const file of files) {
  const text = readFileSync(file);
  const { bytes, stats } = await compress(new Uint8Array(text), {});
  const view = codec.containerParse(bytes);
  const entry = Object.values(manifest.models).find((m) => m.index === view.modelIndex) ?? { id_hash: '0' };
  const legacy = view.mode === 'stored'
    ? codec.containerPack({ mode: 'stored', text, body: text, legacy: true })
    : codec.containerPack({ mode: view.mode, text, body: view.body, modelIndex: view.modelIndex, modelIdHash: view.mode === 'lm' ? entry.id_hash : '0',
      lmPayloadVersion: view.lmPayloadVersion, crlfLineBreaks: view.crlfLineBreaks, legacy: true });
  const row = rows[buckets.findIndex(([lo, hi]) => legacy.length >= lo && legacy.length <= hi)];
  for (const r of [row, all]) {
    r.n++;
    r.legacy += legacy.length;
    r.typoProof += bytes.length;
    r.legacyChars += codec.urlEncodedLength(legacy.length);
    r.typoProofChars += codec.urlEncodedLength(bytes.length);
    r.legacyQr += codec.urlQrEncodedLength(legacy.length);
    r.typoProofQr += codec.urlQrEncodedLength(bytes.length);
    r.modes[stats.mode] = (r.modes[stats.mode] ?? 0) + 1;
  }
}

const pct = (a, b) => `${(100 * (b - a) / a).toFixed(2)}%`;
console.log(`Typo-proof links (container version 6) against the framing of earlier releases, ${all.n} eval texts, each alone (${manifest.default}, core engine):\n`);
console.log('| link size (earlier framing) | links | modes | bytes before | bytes typo-proof | + bytes per link | + % bytes | + chars per link (base62) | + % chars | + % chars (QR form) |');
console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
const line = (label, r) => console.log(`| ${label} | ${r.n} | ${Object.entries(r.modes).map(([m, k]) => `${m} ${k}`).join(', ')} | ${r.legacy} | ${r.typoProof} | ` +
  `${((r.typoProof - r.legacy) / r.n).toFixed(2)} | ${pct(r.legacy, r.typoProof)} | ${((r.typoProofChars - r.legacyChars) / r.n).toFixed(2)} | ` +
  `${pct(r.legacyChars, r.typoProofChars)} | ${pct(r.legacyQr, r.typoProofQr)} |`);
buckets.forEach(([lo, hi], i) => rows[i].n && line(hi === Infinity ? `> ${lo - 1} B` : `${lo}–${hi} B`, rows[i]));
line('all', all);
