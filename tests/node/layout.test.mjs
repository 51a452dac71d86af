// The JS code grouped by where it runs (README, Map), checked on its static imports:
//   web/lib/index.js, web/lib/page/   the caller's thread (a page, or a Node program)
//   web/lib/worker/                   the Web Worker (in Node: in-process, page/hosts.js loads
//                                     worker/engine.js on first use, by a dynamic import)
//   web/lib/shared/                   both sides
//   web/app.js, web/app/              the demo page, a user of the library like any other
// The page side never loads the worker side (the WASM codec, ONNX Runtime) into the page's
// thread, and the worker side never reaches back.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from './helpers.mjs';
import { importSpecifiers } from '../../scripts/site.mjs';

const web = join(repoRoot, 'web');
const jsIn = (/** @type {string} */ dir) => readdirSync(join(web, dir)).filter((f) => f.endsWith('.js')).map((f) => `${dir}/${f}`);

/** Every relative static import of a file under web/, as a path relative to web/. @param {string} file */
function importsOf(file) {
  return importSpecifiers(readFileSync(join(web, file), 'utf8'))
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(web, resolve(dirname(join(web, file)), specifier)).split('\\').join('/'));
}

/** @type {Array<[string, string[], RegExp]>} group, its files, what they may import */
const kGroups = [
  ['page side', ['lib/index.js', 'lib/webgpu.js', ...jsIn('lib/page')], /^(lib\/(page|shared)\/|lib\/index\.js$)/],
  ['worker side', jsIn('lib/worker'), /^lib\/(worker|shared|wasm)\//],
  ['shared', jsIn('lib/shared'), /^lib\/shared\//],
  ['the demo page', ['app.js', ...jsIn('app')], /^(app\/|lib\/index\.js$|lib\/(page|shared)\/)/],
];

test('web/lib is grouped by where the code runs: no import crosses from the page side into the worker side or back', () => {
  for (const [group, files, allowed] of kGroups) {
    assert.ok(files.length > 0, `${group}: no files`);
    for (const file of files) {
      for (const target of importsOf(file)) {
        assert.match(target, allowed, `${group}: web/${file} imports web/${target}`);
      }
    }
  }
});

test('every module of web/lib belongs to one group', () => {
  const grouped = new Set(kGroups.flatMap(([, files]) => files).filter((f) => f.startsWith('lib/')));
  const all = readdirSync(join(web, 'lib'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => relative(web, join(entry.parentPath ?? entry.path, entry.name)).split('\\').join('/'))
    .filter((file) => !file.startsWith('lib/wasm/'));
  assert.deepEqual(all.sort(), [...grouped].sort());
});

test('the in-process host reaches the engine only by a dynamic import, the Web Worker by its URL', () => {
  const hosts = readFileSync(join(web, 'lib/page/hosts.js'), 'utf8');
  assert.match(hosts, /await import\('\.\.\/worker\/engine\.js'\)/);
  assert.match(hosts, /new Worker\(new URL\('\.\.\/worker\/worker\.js', import\.meta\.url\)/);
});
