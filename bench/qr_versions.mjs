// QR code versions of kolmo links, base62 form against the uppercase QR form (url_codec.h), for
// texts of 100 B, 500 B and 2 KB (the start of eval texts, cut at a character boundary), at
// error correction L and M, with the link https://user.github.io/kolmo/#<fragment>.
//
//   node bench/qr_versions.mjs            (ORT Node; prints a Markdown table)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compress } from '../web/lib/index.js';
import { qrSymbol } from '../web/lib/page/qr.js';

const root = new URL('..', import.meta.url).pathname;
const base = 'https://user.github.io/kolmo/';
const categories = ['en-prose', 'en-chat', 'code'];
const sizes = [100, 500, 2048];

/** The first `size` bytes of the category's texts, joined, cut at a character boundary. */
function sample(category, size) {
  const dir = join(root, 'tests/data/eval', category);
  const all = Buffer.concat(readdirSync(dir).sort().map((f) => readFileSync(join(dir, f))));
  return new TextDecoder().decode(all.subarray(0, size)).replace(/\uFFFD+$/, '');
}

console.log('| text | bytes | link mode | base62 link chars | QR-form link chars | version L: base62 → QR form | version M: base62 → QR form |');
console.log('|---|---:|---|---:|---:|---|---|');
for (const category of categories) {
  for (const size of sizes) {
    const text = sample(category, size);
    const { fragment, qrFragment, stats } = await compress(text, { backends: ['node'] });
    const plain = `${base}#${fragment}`;
    const qr = `${base}#${qrFragment}`;
    const v = (/** @type {'L'|'M'} */ ecc) => `${qrSymbol(plain, { ecc }).version} → ${qrSymbol(qr, { ecc }).version}`;
    console.log(`| ${category} | ${new TextEncoder().encode(text).length} | ${stats.mode} | ${plain.length} | ${qr.length} | ${v('L')} | ${v('M')} |`);
  }
}
process.exit(0);
