// The static site (scripts/site.mjs, npm run site) built into a temporary folder: what it holds
// (only the ORT Web files the library loads, the models' run-time files matching the manifest,
// relative URLs only, so it works from a sub-path), its CSP (meta tag and _headers), the service
// worker's filled-in constants, the web app manifest and its icons, how npm modules the page
// imports by bare name are pointed at vendor/, and scripts/serve.mjs serving it with its
// _headers. The browser side is in tests/e2e/ (pwa.test.mjs and every page load).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers.mjs';
import { buildSite, kCsp, kSiteHeaders, importSpecifiers, rewriteBareImports } from '../../scripts/site.mjs';
import { kModelFiles } from '../../web/lib/worker/model_store.js';

const top = mkdtempSync(join(tmpdir(), 'kolmo-site-'));
const out = join(top, 'dist');
test.after(() => rmSync(top, { recursive: true, force: true }));
const built = await buildSite(out);
const read = (/** @type {string} */ path) => readFileSync(join(out, path), 'utf8');

test('the site holds the page, the ORT files the library loads, and the models', () => {
  const files = new Set(built.files);
  for (const page of ['index.html', 'app.js', 'app/render.js', 'app/link_state.js', 'app/channels.js', 'style.css', 'sw.js', 'manifest.webmanifest', 'lib/index.js', 'lib/worker/worker.js',
    'lib/wasm/kolmo_wasm.js', 'lib/wasm/kolmo_wasm.wasm', '_headers', '.nojekyll']) {
    assert.ok(files.has(page), `dist/ lacks ${page}`);
  }
  assert.ok(!built.files.some((f) => f.includes('kolmo_wasm_test')), 'the test WASM module in dist/');
  // engine.js imports ort.wasm.min.mjs (WASM) or ort.min.mjs (WebGPU); each loads its runtime.
  assert.deepEqual(built.files.filter((f) => f.startsWith('ort/')).sort(), [
    'ort/ort-wasm-simd-threaded.jsep.mjs', 'ort/ort-wasm-simd-threaded.jsep.wasm',
    'ort/ort-wasm-simd-threaded.mjs', 'ort/ort-wasm-simd-threaded.wasm', 'ort/ort.min.mjs', 'ort/ort.wasm.min.mjs',
  ]);
  const manifest = JSON.parse(read('models/manifest.json'));
  const ids = Object.keys(manifest.models);
  assert.ok(ids.length > 0);
  assert.deepEqual(built.files.filter((f) => f.startsWith('models/')).sort(),
    ['models/manifest.json', ...ids.flatMap((id) => kModelFiles.map((name) => `models/${id}/${name}`))].sort());
  for (const id of ids) {
    for (const name of kModelFiles) {
      const sha = createHash('sha256').update(readFileSync(join(out, 'models', id, name))).digest('hex');
      assert.equal(sha, manifest.models[id].files[name].sha256, `${id}/${name}`);
    }
  }
});

test('the page and the worker are bundles; each module in them keeps its own URL', () => {
  for (const bundle of ['app.js', 'lib/worker/worker.js']) {
    const source = read(bundle);
    assert.match(source, /^\/\/ Made by scripts\/site\.mjs/, `${bundle} is not a bundle`);
    assert.deepEqual(importSpecifiers(source), [], `${bundle} has static imports left`);
    // import.meta.url of each bundled module: its own file, beside the bundle in dist/.
    const own = [...source.matchAll(/new URL\("([^"]+)", import\.meta\.url\)\.href/g)].map((m) => m[1]);
    assert.ok(own.length > 0, `${bundle}: no module URLs`);
    for (const path of own) {
      const file = new URL(path, `file:///${bundle}`).pathname.slice(1);
      assert.ok(built.files.includes(file), `${bundle}: a module's URL ${path} is not a file of the site (${file})`);
    }
    // Dynamic imports stay imports of the unbundled files, which the site holds.
    for (const [, path] of source.matchAll(/\bimport\("(\.{1,2}\/[^"]+)"\)/g)) {
      assert.ok(built.files.includes(new URL(path, `file:///${bundle}`).pathname.slice(1)), `${bundle} imports ${path}, which the site lacks`);
    }
  }
  // The page's bundle starts the worker from page/hosts.js's URL: lib/worker/worker.js.
  assert.match(read('app.js'), /new URL\("\.\/lib\/page\/hosts\.js", import\.meta\.url\)/);
  assert.match(read('app.js'), /import\("\.\/lib\/worker\/engine\.js"\)/);
  // The library as published is still there, unbundled.
  assert.ok(importSpecifiers(read('lib/index.js')).includes('./page/hosts.js'));
  assert.ok(importSpecifiers(read('lib/worker/engine.js')).includes('./codec.js'));
});

test('index.html has the strict CSP and only relative URLs (works from a sub-path)', () => {
  const html = read('index.html');
  const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g)];
  assert.equal(metas.length, 1);
  const directives = metas[0][1].split('; ');
  assert.equal(metas[0][1], kCsp);
  for (const required of ["script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'"]) {
    assert.ok(directives.includes(required), `the CSP lacks ${required}`);
  }
  assert.ok(!directives.some((d) => /'unsafe-inline'|'unsafe-eval'/.test(d)));
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>|<style[\s>]|\sstyle=|\son[a-z]+=/i, 'inline script or style');
  const urls = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
  assert.ok(urls.length >= 5);
  for (const url of urls) {
    assert.doesNotMatch(url, /^(\/|[a-z]+:)/i, `${url} is not relative to the page`);
    assert.ok(built.files.includes(url), `index.html refers to ${url}, which dist/ lacks`);
  }
});

test('_headers carries the same CSP (with frame-ancestors) and cross-origin isolation', () => {
  const text = read('_headers');
  assert.match(text, /^\/\*$/m);
  assert.ok(text.includes(`  Content-Security-Policy: ${kCsp}; frame-ancestors 'none'\n`));
  assert.match(text, /^ {2}Cross-Origin-Opener-Policy: same-origin$/m);
  assert.match(text, /^ {2}Cross-Origin-Embedder-Policy: require-corp$/m);
});

test('the service worker gets the version, the files to keep and the headers', () => {
  const line = /^const kSite = (.*); \/\/ filled in by scripts\/site\.mjs$/m.exec(read('sw.js'));
  assert.ok(line, 'sw.js has no filled-in kSite line');
  const site = JSON.parse(line[1]);
  assert.equal(site.version, built.version);
  assert.match(site.version, /^[0-9a-f]{16}$/);
  assert.deepEqual(site.headers, kSiteHeaders);
  // The page's files, less ORT, the models and the modules that the bundles hold; with what the
  // bundles import by URL (page/hosts.js, for a long link's helper workers, and its imports).
  assert.equal(site.shell[0], './');
  for (const path of site.shell.slice(1)) {
    assert.ok(built.files.includes(path.slice(2)), `the shell lists ${path}, which dist/ lacks`);
    assert.doesNotMatch(path, /^\.\/(ort|models)\/|^\.\/(_headers|\.nojekyll|sw\.js)$/);
  }
  for (const kept of ['index.html', 'style.css', 'app.js', 'lib/worker/worker.js', 'lib/wasm/kolmo_wasm.wasm', 'icons/icon-192.png',
    'manifest.webmanifest', 'lib/page/hosts.js', 'lib/shared/errors.js', 'lib/shared/messages.js', 'lib/shared/env.js']) {
    assert.ok(site.shell.includes(`./${kept}`), `the shell lacks ${kept}`);
  }
  for (const bundled of ['app/render.js', 'lib/index.js', 'lib/worker/engine.js', 'lib/worker/codec.js', 'lib/wasm/kolmo_wasm.js', 'vendor/qrcode-generator/qrcode.mjs']) {
    assert.ok(built.files.includes(bundled) && !site.shell.includes(`./${bundled}`), `${bundled}: in a bundle, yet kept at install`);
  }
});

test('the version depends on the content only: the same tree built twice gets the same one', async () => {
  const again = await buildSite(join(top, 'again'));
  assert.equal(again.version, built.version);
  assert.deepEqual(again.files, built.files);
});

test('the web app manifest: installable fields, share target, icons at their sizes', () => {
  const manifest = JSON.parse(read('manifest.webmanifest'));
  assert.equal(manifest.start_url, './');
  assert.equal(manifest.scope, './');
  assert.equal(manifest.display, 'standalone');
  assert.deepEqual(manifest.share_target, {
    // A POST that the service worker answers (web/sw.js): the shared text never reaches the host.
    action: './share', method: 'POST', enctype: 'multipart/form-data', params: { title: 'title', text: 'text', url: 'url' },
  });
  for (const icon of manifest.icons) {
    const bytes = readFileSync(join(out, icon.src));
    if (icon.type === 'image/png') {
      assert.equal(bytes.subarray(1, 4).toString(), 'PNG', icon.src);
      const size = `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`; // IHDR width, height
      assert.equal(size, icon.sizes, icon.src);
    } else {
      assert.match(bytes.toString(), /^<svg /, icon.src);
    }
  }
  const sizes = manifest.icons.filter((i) => i.type === 'image/png').map((i) => `${i.sizes} ${i.purpose}`);
  assert.ok(sizes.includes('192x192 any') && sizes.includes('512x512 any') && sizes.includes('512x512 maskable'));
});

test('bare imports of the page go to vendor/, relative to the importing file; unknown ones fail the build', () => {
  const source = [
    '// import { x } from \'not-this\';',
    "import { draw } from 'some-qr';",
    "import './local.js';",
    "export { y } from '../up.js';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(source), ['some-qr', './local.js', '../up.js']);
  const used = new Set();
  const vendor = { 'some-qr': 'dist/some-qr.mjs' };
  assert.equal(rewriteBareImports(source, 'lib/view.js', used, vendor).split('\n')[1], "import { draw } from '../vendor/some-qr/some-qr.mjs';");
  assert.equal(rewriteBareImports(source, 'app.js', used, vendor).split('\n')[1], "import { draw } from './vendor/some-qr/some-qr.mjs';");
  assert.deepEqual([...used], ['some-qr']);
  assert.throws(() => rewriteBareImports(source, 'app.js', new Set(), {}), /imports 'some-qr': add it to kVendor/);
});

test('scripts/serve.mjs serves the folder with its _headers, files only', async (t) => {
  const child = spawn(process.execPath, [join(repoRoot, 'scripts/serve.mjs'), out], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill());
  const base = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const match = /on (http:\/\/\S+\/)/.exec(text);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve.mjs exited (${code}): ${text}`)));
  });
  const page = await fetch(base);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-security-policy'), `${kCsp}; frame-ancestors 'none'`);
  assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.match(await page.text(), /http-equiv="Content-Security-Policy"/);
  const wasm = await fetch(`${base}ort/ort-wasm-simd-threaded.wasm`, { method: 'HEAD' });
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal((await fetch(`${base}lib/%2e%2e/%2e%2e/package.json`)).status, 404);
  assert.equal((await fetch(`${base}nothing-here`)).status, 404);
});
