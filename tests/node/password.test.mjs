// Password-protected links through the library and the CLI, with the shipped model and real
// WebCrypto: round trips (both backends, both URL forms, the file form), the 16-byte overhead and
// an unchanged inner container (compression happens before encryption), fresh salt per link,
// wrong_password for a wrong password and for any changed byte, password_required without one,
// NFC-normalized passwords; the CLI's --password-file, --qr (terminal, SVG, PNG decoded with
// jsqr) and its one-line output errors (EPIPE, ENOSPC).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { loadCodec } from '../../web/lib/worker/codec.js';
import { openEnvelope } from '../../web/lib/worker/crypto.js';
import { compress, decompress } from '../../web/lib/index.js';
import { repoRoot, sampleTexts } from './helpers.mjs';

const codec = await loadCodec();
const dir = mkdtempSync(join(tmpdir(), 'kolmo-password-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const text = 'Meet me at 8 by the old mill. Bring the map, not the dog.';
const isCode = (/** @type {string} */ code) => (/** @type {any} */ error) => error?.code === code;

test('library: round trip; 16 bytes more than the plain link; the inner container is the plain one', async () => {
  const plain = await compress(text);
  const sealed = await compress(text, { password: 'correct horse' });
  assert.equal(sealed.bytes.length, plain.bytes.length + codec.envelopeParams().overheadBytes);
  assert.equal(codec.envelopeParams().overheadBytes, 19); // header 1, salt 7, tag 8, typo-proof trailer 3
  assert.equal(sealed.stats.mode, plain.stats.mode);
  assert.equal(sealed.stats.encrypted, true);
  assert.ok(codec.isEnvelope(sealed.bytes));
  assert.deepEqual(await openEnvelope(codec, sealed.bytes, 'correct horse'), plain.bytes);
  let stats = /** @type {any} */ (null);
  assert.equal(await decompress(sealed.fragment, { password: 'correct horse', onStats: (s) => (stats = s) }), text);
  assert.equal(stats.encrypted, true);
  assert.equal(await decompress(sealed.qrFragment, { password: 'correct horse' }), text);
  const file = codec.containerToFile(sealed.bytes);
  assert.equal(await decompress(file, { password: 'correct horse' }), text);
});

test('library: wrong password, no password, every changed byte named as damage, cut link', async () => {
  const { bytes, fragment } = await compress(text, { password: 'correct horse' });
  await assert.rejects(decompress(fragment, { password: 'correct horse!' }), isCode('wrong_password'));
  await assert.rejects(decompress(fragment), isCode('password_required'));
  // Header, salt, ciphertext, tag, trailer: any change is named as damage before a password is
  // tried (the typo-proof envelope's syndrome), not as a wrong password.
  for (let i = 0; i < bytes.length; i += 3) {
    const changed = bytes.slice();
    changed[i] ^= 0x20;
    // (0xC2 ^ 0x20 is the header of version 7: a newer version, refused as such)
    const code = i === 0 ? 'unknown_version' : 'damaged_link';
    await assert.rejects(decompress(changed, { password: 'correct horse' }), isCode(code), `byte ${i}`);
    await assert.rejects(decompress(codec.urlEncode(changed), { password: 'correct horse' }), isCode(code), `byte ${i}`);
  }
  await assert.rejects(decompress(bytes.subarray(0, 18), { password: 'correct horse' }), isCode('truncated'));
  await assert.rejects(compress(text, { password: '' }), isCode('bad_argument'));
});

test('library: a fresh salt per link; NFC-normalized passwords; bytes and every sample text', async () => {
  const a = await compress(text, { password: 'pw' });
  const b = await compress(text, { password: 'pw' });
  assert.notDeepEqual(a.bytes, b.bytes);
  assert.notDeepEqual(a.bytes.subarray(1, 8), b.bytes.subarray(1, 8));
  const composed = await compress(text, { password: 'caf\u00e9' });
  assert.equal(await decompress(composed.fragment, { password: 'cafe\u0301' }), text);
  // A lone surrogate has no UTF-8 form: refused like in a text (it would equal U+FFFD).
  await assert.rejects(compress(text, { password: 'pw\ud83d' }), { code: 'bad_argument', message: /lone surrogate/ });
  const replaced = await compress(text, { password: 'pw\ufffd' });
  await assert.rejects(decompress(replaced.fragment, { password: 'pw\ud83d' }), { code: 'bad_argument', message: /lone surrogate/ });
  for (const [name, sample] of Object.entries(sampleTexts)) {
    const sealed = await compress(sample, { password: 'p' });
    assert.deepEqual(await decompress(sealed.fragment, { password: 'p', output: 'bytes' }), await decompress((await compress(sample)).fragment, { output: 'bytes' }), name);
  }
});

test('library: WASM backend round trip, and the key derivation cost', async (t) => {
  const started = performance.now();
  const sealed = await compress(text, { password: 'correct horse', backends: ['wasm'] });
  assert.equal(sealed.stats.backend, 'wasm');
  assert.equal(await decompress(sealed.fragment, { password: 'correct horse', backends: ['wasm'] }), text);
  const params = codec.envelopeParams();
  assert.ok(params.iterations >= 600000);
  const t0 = performance.now();
  await assert.rejects(openEnvelope(codec, sealed.bytes, 'wrong'), isCode('wrong_password'));
  t.diagnostic(`PBKDF2-SHA-256 x ${params.iterations} + AES-GCM open: ${(performance.now() - t0).toFixed(0)} ms; round trip ${(performance.now() - started).toFixed(0)} ms`);
});

// ---- CLI ----

const cli = join(repoRoot, 'bin/kolmo.js');
/** @param {string[]} args @param {string} [stdin] @returns {Promise<{code: number|null, stdout: Buffer, stderr: string}>} */
function kolmo(args, stdin = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    /** @type {Buffer[]} */
    const out = [];
    let err = '';
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(stdin);
  });
}
/** @param {string} command */
function shell(command) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr: err }));
  });
}
const oneLine = (/** @type {string} */ stderr, /** @type {RegExp} */ pattern) => {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected: ${stderr}`);
  assert.match(lines[0], pattern);
};

test('CLI: --password-file round trip (file form and link), wrong password and none: one line each', async () => {
  const passwordFile = join(dir, 'pw');
  const wrongFile = join(dir, 'wrong');
  writeFileSync(passwordFile, 'pässword with spaces\n');
  writeFileSync(wrongFile, 'password\n');
  const link = await kolmo(['compress', '--url', '--password-file', passwordFile], text);
  assert.equal(link.code, 0, link.stderr);
  // The library opens what the CLI made, with the file's first line as the password.
  assert.equal(await decompress(link.stdout.toString(), { password: 'pässword with spaces' }), text);
  const back = await kolmo(['decompress', '--url', `--password-file=${passwordFile}`], link.stdout.toString());
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.stdout.toString(), text);
  const file = await kolmo(['compress', '--password-file', passwordFile, '-q'], text);
  writeFileSync(join(dir, 'f.klmo'), file.stdout);
  const fromFile = await kolmo(['decompress', join(dir, 'f.klmo'), '--password-file', passwordFile]);
  assert.equal(fromFile.stdout.toString(), text);
  const wrong = await kolmo(['decompress', '--url', '--password-file', wrongFile], link.stdout.toString());
  assert.equal(wrong.code, 1);
  assert.equal(wrong.stdout.length, 0);
  oneLine(wrong.stderr, /^kolmo: wrong_password: /);
  const none = await kolmo(['decompress', '--url'], link.stdout.toString());
  assert.equal(none.code, 1);
  oneLine(none.stderr, /^kolmo: password_required: /);
  // A file with a lone CR line end (old Mac files): the password is the first line, no CR.
  const crFile = join(dir, 'cr');
  writeFileSync(crFile, 'pässword with spaces\rsecond line\r');
  const cr = await kolmo(['decompress', '--url', '--password-file', crFile], link.stdout.toString());
  assert.equal(cr.code, 0, cr.stderr);
  assert.equal(cr.stdout.toString(), text);
});

test('CLI: --qr prints a QR code on stderr, writes SVG and PNG; the PNG decodes to the QR-form link', async () => {
  const base = 'https://user.github.io/kolmo/';
  const term = await kolmo(['compress', '--url', '--qr', '--base-url', base], text);
  assert.equal(term.code, 0, term.stderr);
  assert.match(term.stderr, /[█▀▄]{20}/);
  assert.match(term.stderr, /QR code version \d+/);
  const png = join(dir, 'link.png');
  const svg = join(dir, 'link.svg');
  const made = await kolmo(['compress', '--url', '--qr', png, '--base-url', base], text);
  assert.equal(made.code, 0, made.stderr);
  assert.equal((await kolmo(['compress', '--url', `--qr=${svg}`], text)).code, 0);
  assert.match(readFileSync(svg, 'utf8'), /^<svg [^>]*viewBox="0 0 \d+ \d+"[^>]*><rect [^>]*\/><path d="M/);
  const image = PNG.sync.read(readFileSync(png));
  const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  assert.ok(decoded, 'jsqr finds the QR code');
  assert.ok(decoded.data.startsWith(`${base}#-`), decoded.data);
  assert.equal(await decompress(decoded.data), text);
  // Without --base-url the QR code holds the fragment text alone, which decompress --url opens.
  assert.equal((await kolmo(['compress', '--url', '--qr', png], text)).code, 0);
  const bare = PNG.sync.read(readFileSync(png));
  const fragment = jsQR(new Uint8ClampedArray(bare.data), bare.width, bare.height)?.data ?? '';
  assert.match(fragment, /^-[0-9A-Z$*+\-./:]+$/);
  assert.equal((await kolmo(['decompress', '--url'], fragment)).stdout.toString(), text);
});

test('CLI: a closed pipe (EPIPE) and a full disk (ENOSPC) on stdout are one line and exit 1', async () => {
  const big = join(dir, 'big.klmo');
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(3 << 20, 7).map((_, i) => (i * 2654435761) >>> 24));
  assert.equal((await kolmo(['compress', '--mode', 'stored', join(dir, 'big.bin'), '-o', big])).code, 0);
  const pipe = /** @type {any} */ (await shell(`node ${cli} decompress ${big} | head -c 1 > /dev/null; exit \${PIPESTATUS[0]}`));
  assert.equal(pipe.code, 1);
  oneLine(pipe.stderr, /^kolmo: cannot write the output: EPIPE /);
  const full = /** @type {any} */ (await shell(`node ${cli} decompress ${big} > /dev/full`));
  assert.equal(full.code, 1);
  oneLine(full.stderr, /^kolmo: cannot write the output: ENOSPC /);
});
