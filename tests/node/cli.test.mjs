// bin/kolmo.js with the shipped model and real ONNX Runtime: files, stdin/stdout, link text,
// both backends, bytes that are not UTF-8, interoperability with the library, and bad input
// (non-zero exit, one line on stderr).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, utf8, invalidUtf8 } from './helpers.mjs';
import { compress, decompress } from '../../web/lib/index.js';

const cli = join(repoRoot, 'bin/kolmo.js');
const dir = mkdtempSync(join(tmpdir(), 'kolmo-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the CLI. @param {string[]} args @param {Uint8Array|string} [stdin]
 * @returns {Promise<{code: number|null, stdout: Buffer, stderr: string}>}
 */
function kolmo(args, stdin) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    /** @type {Buffer[]} */
    const out = [];
    let err = '';
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(stdin ?? '');
  });
}

/** Asserts a failure: exit status, one line on stderr matching `pattern`, nothing on stdout. */
function assertFails(/** @type {{code: number|null, stdout: Buffer, stderr: string}} */ r, /** @type {RegExp} */ pattern, status = 1) {
  assert.equal(r.code, status, `exit status (stderr: ${r.stderr})`);
  assert.equal(r.stdout.length, 0);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected: ${r.stderr}`);
  assert.match(lines[0], pattern);
}

const english = 'The quick brown fox jumps over the lazy dog, and then it goes home to sleep.\n';

test('compress FILE -o OUT, then decompress OUT restores the bytes', async () => {
  const input = join(dir, 'english.txt');
  const packed = join(dir, 'english.klmo');
  writeFileSync(input, english);
  const c = await kolmo(['compress', input, '-o', packed]);
  assert.equal(c.code, 0, c.stderr);
  const file = readFileSync(packed);
  assert.equal(file.subarray(0, 4).toString('latin1'), 'KLMO');
  assert.ok(file.length < utf8(english).length);
  const d = await kolmo(['decompress', packed]);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stdout.toString('utf8'), english);
});

test('stdin to stdout, on the core engine and on ONNX Runtime, for bytes that are not UTF-8', async () => {
  const samples = [utf8('今天天气很好 🎉\r\n'), invalidUtf8[5], invalidUtf8[7], new Uint8Array(0)];
  for (const backend of ['core', 'wasm']) {
    // WASM: ONNX Runtime Web starts in ~5 s per process here, so fewer samples.
    for (const bytes of backend === 'core' ? samples : samples.slice(0, 2)) {
      const c = await kolmo(['compress', '--backend', backend], bytes);
      assert.equal(c.code, 0, c.stderr);
      const d = await kolmo(['decompress', `--backend=${backend}`], c.stdout);
      assert.equal(d.code, 0, d.stderr);
      assert.deepEqual(new Uint8Array(d.stdout), bytes, `${backend}: ${Buffer.from(bytes).toString('hex')}`);
    }
  }
});

test('--url writes and reads the link fragment; links from the CLI and the library interoperate', async () => {
  const c = await kolmo(['compress', '--url'], english);
  assert.equal(c.code, 0, c.stderr);
  const fragment = c.stdout.toString('utf8').trim();
  assert.match(fragment, /^[0-9A-Za-z]+$/);
  assert.equal(fragment, (await compress(english)).fragment);
  assert.equal(await decompress(fragment), english);

  const link = `https://example.org/#${fragment}\n`;
  const d = await kolmo(['decompress', '--url'], link);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stdout.toString('utf8'), english);

  const linkFile = join(dir, 'link.txt');
  writeFileSync(linkFile, fragment);
  const f = await kolmo(['decompress', '--url', linkFile, '-o', join(dir, 'out.txt')]);
  assert.equal(f.code, 0, f.stderr);
  assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), english);
});

test('bad input: non-zero exit and one line on stderr', async () => {
  const { bytes, fragment } = await compress(english);
  const file = Buffer.concat([Buffer.from('KLMO'), bytes]);
  const damaged = Buffer.from(file);
  damaged[damaged.length - 3] ^= 0x10;

  assertFails(await kolmo(['decompress'], 'just some text'), /^kolmo: bad_magic: not a kolmo file/);
  assertFails(await kolmo(['decompress'], file.subarray(0, 6)), /^kolmo: (truncated|damaged_link)/);
  assertFails(await kolmo(['decompress'], damaged), /^kolmo: damaged_link: the link was changed on its way/);
  assertFails(await kolmo(['decompress', '--url'], `${fragment.slice(0, 10)}!${fragment.slice(11)}`), /^kolmo: bad_url_text/);
  const typo = `${fragment.slice(0, 10)}${fragment[10] === 'x' ? 'y' : 'x'}${fragment.slice(11)}`;
  assertFails(await kolmo(['decompress', '--url'], typo), /^kolmo: damaged_link/);
  assertFails(await kolmo(['decompress', '--url'], ''), /^kolmo: truncated/);
  assertFails(await kolmo(['decompress', join(dir, 'missing.klmo')]), /^kolmo: ENOENT/);
  const unknown = await kolmo(['squash']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^kolmo: unknown command squash/);
  const option = await kolmo(['compress', '--backend', 'webgpu']);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /^kolmo: --backend: expected core, wasm or node/);
});

test('--mode codes with one mode only', async () => {
  for (const mode of ['lm', 'cm', 'stored']) {
    const r = await kolmo(['compress', '--url', '--mode', mode], 'a');
    assert.equal(r.code, 0, r.stderr);
    const fragment = r.stdout.toString().trim();
    /** @type {any} */
    let stats = null;
    assert.equal(await decompress(fragment, { onStats: (s) => void (stats = s) }), 'a');
    assert.equal(stats.mode, mode);
  }
  const wrong = await kolmo(['compress', '--mode', 'zip']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /^kolmo: --mode: expected lm, cm or stored/);
});

test('--help prints the usage', async () => {
  const r = await kolmo(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout.toString(), /usage: kolmo compress/);
});
