// Shared helpers of the Node tests: repository paths, deterministic test data, and a small
// tokenizer file built in memory (so codec tests do not depend on a trained model), and the
// models/ folder over HTTP (serveModels).
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { mix32 } from './synthetic_model.mjs';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

// Deterministic pseudo-random bytes: mix32 of (seed, index).
export function pseudoRandomBytes(seed, size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = mix32(Math.imul(seed, 0x9e3779b1) ^ i) & 0xff;
  return out;
}

export const utf8 = (s) => new TextEncoder().encode(s);

// Texts that exercise a byte-level tokenizer and the fallback codecs.
export const sampleTexts = {
  empty: '',
  oneByte: 'a',
  english: 'The quick brown fox jumps over the lazy dog. It\'s 2024, and we\'ve got 1234567 reasons.\n',
  chinese: '压缩与预测是一件事的两面。语言模型已经懂得语言。\n',
  mixed: 'Emoji 😀👍🏽, Ελληνικά, русский, عربى, 한국어 and tabs\t\tand\r\nCRLF  spaces   ',
  code: 'function f(x) {\n  return x * x + 1; // square plus one\n}\n'.repeat(5),
};

// Byte strings that are not valid UTF-8: lone continuation bytes, truncated sequences,
// overlong encodings, surrogates, bytes 0xF5..0xFF, NUL.
export const invalidUtf8 = [
  new Uint8Array([0x80]),
  new Uint8Array([0xc3]),
  new Uint8Array([0x61, 0xe4, 0xb8, 0x62]),
  new Uint8Array([0xc0, 0xaf]),
  new Uint8Array([0xed, 0xa0, 0x80]),
  new Uint8Array([0xf5, 0xff, 0xfe, 0x00, 0x20, 0x41]),
  new Uint8Array([0xf0, 0x9f, 0x98]),
  Uint8Array.from({ length: 256 }, (_, i) => i),
];

// A tokenizer file (src/include/kolmo/tokenizer.h format) with a handful of merges over common English
// pairs, so that encode() really merges. Counts are arbitrary but deterministic.
export function smallTokenizerFile() {
  const pairs = [
    ['t', 'h'], [256, 'e'], [' ', 't'], [258, 'h'], [259, 'e'], ['i', 'n'], [' ', 'a'], ['e', 'r'],
    ['o', 'n'], ['a', 'n'], [261, 'g'], [' ', 'o'], ['e', 'n'], ['r', 'e'], ['o', 'r'],
  ];
  const id = (x) => (typeof x === 'number' ? x : x.charCodeAt(0));
  const vocab = 256 + pairs.length + 1;
  const lines = ['kolmo-bpe 1', `vocab_size ${vocab}`, `merges ${pairs.length}`];
  for (const [a, b] of pairs) lines.push(`${id(a)} ${id(b)}`);
  lines.push(`counts ${vocab}`);
  for (let i = 0; i < vocab; i++) lines.push(String(1 + (mix32(i) % 1000)));
  return utf8(lines.join('\n') + '\n');
}

// The shipped tokenizer files (models/<id>/tokenizer.kbpe), once the lead has trained one.
export function shippedTokenizerPaths() {
  const modelsDir = join(repoRoot, 'models');
  if (!existsSync(modelsDir)) return [];
  return readdirSync(modelsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(modelsDir, d.name, 'tokenizer.kbpe'))
    .filter((p) => existsSync(p));
}

/** Serves models/ over HTTP; `tamper(path, bytes)` may change what is sent. */
export async function serveModels(tamper = (/** @type {string} */ _p, /** @type {Buffer} */ b) => b) {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const path = join(repoRoot, 'models', decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (relative(join(repoRoot, 'models'), path).startsWith('..')) return res.writeHead(404).end();
    try {
      res.writeHead(200).end(tamper(path, readFileSync(path)));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/`,
    get requests() {
      return requests;
    },
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}
