// The public evaluation set, copied from the team's shared folder into tests/data/eval (its
// README.md and SOURCES.tsv give each file's source and licence): 8 categories x 20 texts of
// ~60 B to ~7 KB. The conformance, noise and golden-link tests and bench/drift.mjs run on it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const evalDir = fileURLToPath(new URL('../data/eval', import.meta.url));

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
 * The eval texts the slow tests take: all of them, or the first N with KOLMO_EVAL_LIMIT=N (a
 * quick local run; CI leaves it unset). Benches and generated texts always take all.
 */
export function testedEvalTexts() {
  const limit = Number(process.env.KOLMO_EVAL_LIMIT ?? Infinity);
  return evalTexts().slice(0, limit >= 0 ? limit : Infinity);
}

/** The `perCategory` shortest texts of each category (for the slow paths). */
export function shortestPerCategory(texts, perCategory) {
  const byCategory = new Map();
  for (const t of texts) byCategory.set(t.category, [...(byCategory.get(t.category) ?? []), t]);
  return [...byCategory.values()].flatMap((list) =>
    list.sort((a, b) => a.bytes.length - b.bytes.length).slice(0, perCategory));
}
