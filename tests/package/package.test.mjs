// The npm package as a user gets it: `npm pack`, install the tarball in an empty folder, then
// `import { compress, decompress } from 'kolmo'` round-trips text with the packaged model, the
// `kolmo` bin works, and the packaged types compile against a TypeScript user.
// Installs dependencies from npm's cache when it can (--prefer-offline); skips when npm cannot
// reach them at all. Prints the installed size (issue 23: <= 15 MB in an empty project) and
// checks what a light install leaves out: ONNX Runtime (an optional peer dependency), the older
// model km1 (the CLI opens its links with --models, the library with modelBaseUrl).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readdirSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip', npm_config_audit: 'false', npm_config_fund: 'false' };

test('npm pack -> npm install -> import { compress, decompress } from "kolmo"', { timeout: 15 * 60 * 1000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kolmo-package-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const pack = spawnSync(npm, ['pack', '--json', '--pack-destination', dir], { cwd: repoRoot, env, encoding: 'utf8' });
  assert.equal(pack.status, 0, `npm pack failed:\n${pack.stderr}`);
  const packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
  const files = packed[0].files.map((/** @type {{path: string}} */ f) => f.path);
  for (const expected of ['web/lib/index.js', 'web/lib/worker/worker.js', 'web/lib/wasm/kolmo_wasm.wasm', 'types/index.d.ts', 'bin/kolmo.js', 'models/manifest.json']) {
    assert.ok(files.includes(expected), `${expected} is not in the package`);
  }
  // Every module of the library, in each of its folders (page/, worker/, shared/), is packed.
  for (const module of readdirSync(join(repoRoot, 'web/lib'), { recursive: true }).map(String)) {
    if (module.endsWith('.js') && !module.startsWith('wasm')) {
      const path = `web/lib/${module.split('\\').join('/')}`;
      assert.ok(files.includes(path), `${path} is not in the package`);
    }
  }
  // The default model, and only it: the files bundled_model.js names for bundlers are those of
  // the manifest's default, and they are packed; older models (km1) are not.
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
  const bundled = await import(new URL('../../web/lib/worker/bundled_model.js', import.meta.url).href);
  assert.equal(bundled.kBundledModelId, manifest.default, 'web/lib/worker/bundled_model.js does not name the default model');
  for (const name of Object.keys(bundled.kBundledModelFiles)) {
    assert.ok(files.includes(`models/${manifest.default}/${name}`), `models/${manifest.default}/${name} is not in the package`);
    assert.ok(bundled.kBundledModelFiles[name].href.endsWith(`/models/${manifest.default}/${name}`));
  }
  const packedModels = files.filter((/** @type {string} */ f) => /^models\/[^/]+\/model\.onnx$/.test(f));
  assert.deepEqual(packedModels, [`models/${manifest.default}/model.onnx`], 'the package holds other models than the default');
  t.diagnostic(`tarball: ${(packed[0].size / 1e6).toFixed(2)} MB packed, ${(packed[0].unpackedSize / 1e6).toFixed(2)} MB unpacked, ${files.length} files`);
  assert.ok(!files.some((/** @type {string} */ f) => f.startsWith('tests/') || f.startsWith('src/') || f.startsWith('models/recipe')), 'sources or tests in the package');
  assert.ok(!files.some((/** @type {string} */ f) => f.includes('kolmo_wasm_test')), 'the test WASM module in the package');
  const tarball = join(dir, packed[0].filename);

  const project = join(dir, 'user');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user', private: true, type: 'module' }));
  const install = spawnSync(npm, ['install', '--prefer-offline', '--no-save', tarball], { cwd: project, env, encoding: 'utf8' });
  if (install.status !== 0) {
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|offline/.test(install.stderr)) {
      t.skip(`npm could not fetch the dependencies: ${install.stderr.split('\n').find((l) => /ERR/.test(l))}`);
      return;
    }
    assert.fail(`npm install failed:\n${install.stderr}`);
  }

  writeFileSync(join(project, 'roundtrip.mjs'), `
    import { compress, decompress, KolmoError } from 'kolmo';
    const texts = ['Hello from an installed package.', '今天天气很好 🎉', ''];
    const out = [];
    for (const text of texts) {
      const { fragment, stats } = await compress(text);
      const back = await decompress('#' + fragment);
      if (back !== text) throw new Error('round trip changed the text: ' + JSON.stringify([text, back]));
      out.push({ fragment, mode: stats.mode, backend: stats.backend, fallback: stats.fallback, modelId: stats.modelId });
    }
    try { await decompress('#damaged!'); throw new Error('no error'); } catch (e) { if (!(e instanceof KolmoError)) throw e; }
    // The package's one entry point: its modules are not exported one by one (README, the library).
    // The opt-in WebGPU entry loads without onnxruntime-web (its worker imports it, in browsers).
    if (typeof (await import('kolmo/webgpu')).compress !== 'function') throw new Error('kolmo/webgpu has no compress');
    try { await import('kolmo/codec'); throw new Error('kolmo/codec is exported'); } catch (e) { if (e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e; }
    console.log(JSON.stringify(out));
  `);
  // The model runs in kolmo's own engine: no ONNX Runtime native binary is installed (no
  // onnxruntime-node, no .node addon anywhere), and Node needs none.
  const installedMB = () => Number(spawnSync('du', ['-sm', join(project, 'node_modules')], { encoding: 'utf8' }).stdout.split('\t')[0]);
  assert.ok(!existsSync(join(project, 'node_modules/onnxruntime-node')), 'onnxruntime-node was installed');
  const addons = readdirSync(join(project, 'node_modules'), { recursive: true }).map(String).filter((f) => f.endsWith('.node'));
  assert.deepEqual(addons, [], 'a native addon was installed');
  const installed = installedMB();
  t.diagnostic(`installed size (npm install kolmo in an empty project): node_modules ${installed} MB: ` +
    readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.')).join(', '));
  assert.ok(installed <= 15, `npm install kolmo takes ${installed} MB (target <= 15 MB)`);
  assert.ok(!existsSync(join(project, 'node_modules/onnxruntime-web')), 'onnxruntime-web was installed (it is an optional peer dependency)');
  const run = spawnSync(process.execPath, ['roundtrip.mjs'], { cwd: project, env, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const results = JSON.parse(run.stdout);
  // ES modules only; Node >= 20.19 (engines: >= 20) can also require() it.
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19)) {
    const required = spawnSync(process.execPath, ['-e', "const k = require('kolmo'); if (typeof k.compress !== 'function') process.exit(1)"], { cwd: project, env, encoding: 'utf8' });
    assert.equal(required.status, 0, `require('kolmo') failed: ${required.stderr}`);
  }
  assert.equal(results.length, 3);
  assert.equal(results[0].backend, 'core');
  assert.equal(results[0].fallback, null);

  const bin = spawnSync(join(project, 'node_modules/.bin/kolmo'), ['compress', '--url'], { cwd: project, env, input: 'Hello from an installed package.', encoding: 'utf8' });
  assert.equal(bin.status, 0, bin.stderr);
  assert.equal(bin.stdout.trim(), results[0].fragment);

  // A link made with km1 (not in the package): the CLI says how to open it, and opens it with
  // --models pointing at the repository's models/ (which has every model).
  const km1Link = readFileSync(join(repoRoot, 'tests/golden/links/one-char-lm.txt'), 'utf8').trim();
  const km1Text = readFileSync(join(repoRoot, 'tests/golden/texts/one-char-lm.bin'));
  const noKm1 = spawnSync(join(project, 'node_modules/.bin/kolmo'), ['decompress', '--url', '--quiet'], { cwd: project, env, input: km1Link, encoding: 'utf8' });
  assert.equal(noKm1.status, 1);
  assert.match(noKm1.stderr, /model_unavailable.*km1-.*--models DIR/s);
  const withKm1 = spawnSync(join(project, 'node_modules/.bin/kolmo'), ['decompress', '--url', '--quiet', '--models', join(repoRoot, 'models')], { cwd: project, env, input: km1Link });
  assert.equal(withKm1.status, 0, String(withKm1.stderr));
  assert.deepEqual(withKm1.stdout, km1Text);

  // A TypeScript user: the packaged declarations compile, and misuse does not.
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
  if (!existsSync(tsc)) {
    t.diagnostic('typescript is not installed in the repository: types not checked');
    return;
  }
  writeFileSync(join(project, 'use.ts'), `
    import { compress, decompress, Kolmo, KolmoError } from 'kolmo';
    const { fragment, stats } = await compress('typed', { backend: 'core', onProgress: (p) => p.done });
    const text: string = await decompress(fragment);
    const bytes: Uint8Array = await decompress(fragment, { output: 'bytes' });
    const bits: number = stats.bitsPerByte + stats.containerBytes;
    const k = new Kolmo({ backends: ['core'] });
    k.dispose();
    export { text, bytes, bits, KolmoError };
  `);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], skipLibCheck: false, types: [] },
    files: ['use.ts'],
  }));
  const typed = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: project, encoding: 'utf8' });
  assert.equal(typed.status, 0, typed.stdout + typed.stderr);
  writeFileSync(join(project, 'use.ts'), `import { compress } from 'kolmo'; await compress(42);\n`);
  const misuse = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: project, encoding: 'utf8' });
  assert.notEqual(misuse.status, 0, 'compress(42) type-checked');
  assert.ok(readdirSync(project).includes('node_modules'));
});
