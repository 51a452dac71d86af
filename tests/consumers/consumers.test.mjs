// kolmo in the apps people build (issue 23): `npm pack`, install the tarball into a fresh app,
// build it with Vite, webpack 5 and esbuild (pinned in tests/consumers/package.json), serve it at
// the site root and under a sub-path, and round-trip English, Chinese and code texts in headless
// Chromium with no options. The app's code, webpack config, esbuild commands and the TypeScript
// example are the snippets of README.md's "Use with a bundler" section (<!-- consumer: NAME -->
// above a code block), so the README is what runs. Also: the package served as-is from another
// origin (a CDN), and the errors a bundler user meets (a model answered by an app's index.html, a
// missing .wasm, a worker that 404s) name the file.
//
// Asserted for every build: the text comes back, the core engine ran, no ONNX Runtime file was
// fetched, and the bytes fetched on first load by type (printed as diagnostics).
//
//   node --test tests/consumers/        (npm run test:consumers; installs the bundlers with npm ci)
//   KOLMO_CONSUMERS=all node --test tests/consumers/   also kolmo/webgpu with onnxruntime-web
//                                       installed (npm run conformance)
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromiumPath, launchBrowser, takeCspViolations } from '../e2e/browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' };

const kTexts = [
  'Meet me at 8 by the old mill, and bring the map you found in the attic.',
  '今天天气很好，我们去公园散步吧。明天见！',
  'function add(a, b) {\n  return a + b; // sum\n}\nconsole.log(add(2, 3));\n',
];

/** The README's "Use with a bundler" snippets: name -> code. */
function readmeSnippets() {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  /** @type {Record<string, string>} */
  const snippets = {};
  for (const m of readme.matchAll(/<!-- consumer: (\S+) -->\n```\w*\n([\s\S]*?)```/g)) snippets[m[1]] = m[2];
  return snippets;
}

/** @param {string} cmd @param {string[]} args @param {string} cwd */
function run(cmd, args, cwd) {
  const result = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  assert.equal(result.status, 0, `${cmd} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const kTypes = /** @type {Record<string, string>} */ ({
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.kbpe': 'application/octet-stream', '.map': 'application/json',
});

/**
 * A static server of `dir` under `prefix` ('/' or '/sub/'), like a typical app host: a path it
 * does not have gets index.html (a single-page app's fallback). Records every answer.
 * @param {string} dir @param {{prefix?: string, cors?: boolean, deny?: RegExp, headers?: Record<string, string>}} [options]
 */
async function serve(dir, { prefix = '/', cors = false, deny, headers: extra = {} } = {}) {
  /** @type {{path: string, bytes: number, status: number}[]} */
  const log = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers = { ...extra, ...(cors ? { 'access-control-allow-origin': '*' } : {}) };
    let file = path.startsWith(prefix) ? join(dir, normalize(path.slice(prefix.length))) : null;
    if (file && (!existsSync(file) || statSync(file).isDirectory())) file = existsSync(join(file, 'index.html')) ? join(file, 'index.html') : null;
    if (file && deny?.test(path)) file = null;
    let status = 200;
    if (!file) {
      file = join(dir, 'index.html'); // the SPA fallback
      if (!existsSync(file)) {
        res.writeHead(404, headers).end();
        log.push({ path, bytes: 0, status: 404 });
        return;
      }
    }
    const body = readFileSync(file);
    res.writeHead(status, { ...headers, 'content-type': kTypes[extname(file)] ?? 'application/octet-stream' }).end(body);
    log.push({ path, bytes: body.length, status });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return { url: `http://127.0.0.1:${port}${prefix}`, port, log, close: () => new Promise((r) => server.close(r)) };
}

/** Bytes of a request log by file type. @param {{path: string, bytes: number}[]} log */
function bytesByType(log) {
  /** @type {Record<string, number>} */
  const sums = {};
  for (const { path, bytes } of log) {
    const type = extname(path) || '(page)';
    sums[type] = (sums[type] ?? 0) + bytes;
  }
  return Object.entries(sums).sort((a, b) => b[1] - a[1]).map(([type, n]) => `${type} ${(n / 1024).toFixed(1)} KB`).join(', ');
}

/**
 * Opens `url` in a fresh context, waits for the README's snippet to have run (it writes the
 * text into the page), then round-trips kTexts through the app's own kolmo (window.kolmoTest).
 * @param {import('playwright-core').Browser} browser @param {string} url
 */
async function roundTrips(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  /** @type {string[]} */
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.body?.textContent === 'Hello from a bundled app. 你好!' || /** @type {any} */ (window).kolmoError,
      null, { timeout: 120_000 }).catch(() => {});
    const snippet = await page.evaluate(() => document.body?.textContent);
    assert.equal(snippet, 'Hello from a bundled app. 你好!', `the README snippet did not run: ${errors.join('; ')}`);
    const results = await page.evaluate(async (texts) => {
      const { compress, decompress } = /** @type {any} */ (window).kolmoTest;
      const out = [];
      for (const text of texts) {
        const { fragment, stats } = await compress(text);
        out.push({ text: await decompress('#' + fragment), backend: stats.backend, mode: stats.mode, chars: fragment.length });
      }
      return out;
    }, kTexts);
    results.forEach((r, i) => {
      assert.equal(r.text, kTexts[i]);
      assert.equal(r.backend, 'core');
    });
    assert.ok(results.some((r) => r.mode === 'lm'), 'no text was coded by the model');
    assert.deepEqual(requested.filter((u) => /onnxruntime|\/ort[-./]/.test(u)), [], 'ONNX Runtime was fetched');
    return { results, requested };
  } finally {
    await context.close();
  }
}

/** The app's entry: the README's main.js, after a handle the test uses (set before it runs). */
const appMain = (/** @type {Record<string, string>} */ s) =>
  "import * as kolmoTest from 'kolmo';\nwindow.kolmoTest = kolmoTest;\n" + s['main.js'];

const skip = !chromiumPath() ? 'chromium not found (scripts/setup.sh)' : false;

test('kolmo in Vite, webpack and esbuild apps, at the root and under a sub-path, with no options', { skip, timeout: 20 * 60_000 }, async (t) => {
  const t0 = Date.now();
  // The pinned bundlers (tests/consumers/package-lock.json).
  if (!existsSync(join(here, 'node_modules/vite')) || !existsSync(join(here, 'node_modules/webpack')) || !existsSync(join(here, 'node_modules/esbuild'))) {
    run(npm, ['ci', '--prefer-offline', '--no-audit', '--no-fund'], here);
  }
  const snippets = readmeSnippets();
  for (const name of ['main.js', 'webpack.config.js', 'esbuild.sh', 'esbuild.html', 'types.ts', 'library.js', 'webgpu.js']) assert.ok(snippets[name], `README: no ${name} snippet`);

  const dir = mkdtempSync(join(tmpdir(), 'kolmo-consumers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const packed = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', dir], repoRoot).replace(/^[^[]*/, ''));
  const tarball = join(dir, packed[0].filename);
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run(npm, ['install', '--prefer-offline', '--no-save', '--no-audit', '--no-fund', tarball], app);
  writeFileSync(join(app, 'main.js'), appMain(snippets));
  writeFileSync(join(app, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><body><script type="module" src="./main.js"></script>\n');
  t.diagnostic(`pack + install: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const vite = await import('vite');
  const webpack = (await import('webpack')).default;
  // Vite writes the base into its build; webpack ('auto' publicPath) and esbuild (relative
  // URLs) build once for any base, so one build is served at both places.
  /** @type {Array<{name: string, perBase?: boolean, build: (base: string, out: string) => Promise<void>}>} */
  const builds = [
    {
      name: 'vite build',
      perBase: true,
      build: async (base, out) => {
        await vite.build({ root: app, base, configFile: false, logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
      },
    },
    {
      name: 'webpack (production)',
      build: async (base, out) => webpackBuild(webpack, app, out, 'production', snippets),
    },
    {
      name: 'webpack (development)',
      build: async (base, out) => webpackBuild(webpack, app, out, 'development', snippets),
    },
    {
      name: 'esbuild',
      build: async (base, out) => {
        // The README's two commands, with dist/ -> out.
        for (const line of snippets['esbuild.sh'].trim().split('\n')) {
          const cmd = line.replaceAll('dist', out).replace(/^npx esbuild/, join(here, 'node_modules/.bin/esbuild'));
          run('bash', ['-c', cmd], app);
        }
        writeFileSync(join(out, 'index.html'), `<!doctype html><meta charset="utf-8"><title>app</title>\n${snippets['esbuild.html']}`);
      },
    },
  ];

  const browser = await launchBrowser();
  t.after(() => browser.close());
  for (const { name, build, perBase } of builds) {
    for (const prefix of ['/', '/sub/']) {
      await t.test(`${name}, served at ${prefix}`, async () => {
        const t1 = Date.now();
        const out = join(dir, 'out', name.replace(/\W+/g, '-') + (perBase ? prefix.replaceAll('/', '_') : ''));
        if (perBase || prefix === '/') {
          mkdirSync(out, { recursive: true });
          await build(prefix, out);
        }
        const server = await serve(out, { prefix });
        try {
          await roundTrips(browser, server.url);
          assert.deepEqual(server.log.filter((r) => r.status !== 200), [], 'a request failed');
          // The first load: the model, kolmo's .wasm and little else (6.0-6.2 MB measured).
          const total = server.log.reduce((sum, r) => sum + r.bytes, 0);
          const ofType = (/** @type {RegExp} */ re) => server.log.filter((r) => re.test(r.path)).reduce((sum, r) => sum + r.bytes, 0);
          assert.equal(ofType(/\.onnx$/), 5560193, 'the model was not fetched once');
          assert.ok(ofType(/\.wasm$/) > 200_000 && ofType(/\.wasm$/) < 300_000, 'kolmo\'s .wasm alone: no other WebAssembly');
          assert.ok(total < 6.5e6, `first load ${total} bytes (expected < 6.5 MB)`);
          t.diagnostic(`${name} at ${prefix}: first load ${(server.log.reduce((s, r) => s + r.bytes, 0) / 1e6).toFixed(2)} MB ` +
            `(${bytesByType(server.log)}) in ${server.log.length} requests; build + run ${((Date.now() - t1) / 1000).toFixed(1)} s`);
        } finally {
          await server.close();
        }
      });
    }
  }

  await t.test('vite dev server, at / and under a base', async () => {
    for (const base of ['/', '/sub/']) {
      const server = await vite.createServer({ root: app, base, configFile: false, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
      await server.listen();
      try {
        const url = /** @type {string[]} */ (server.resolvedUrls?.local)[0];
        await roundTrips(browser, url);
      } finally {
        await server.close();
      }
    }
  });

  await t.test('the package served as-is from another origin (a CDN), imported by a page with no options', async () => {
    const cdn = await serve(join(app, 'node_modules/kolmo'), { cors: true });
    const site = join(dir, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'main.js'), appMain(snippets));
    const cdnIndex = `http://localhost:${cdn.port}/web/lib/index.js`; // another origin than 127.0.0.1
    writeFileSync(join(site, 'index.html'), `<!doctype html><meta charset="utf-8"><title>app</title>\n` +
      `<script type="importmap">{ "imports": { "kolmo": ${JSON.stringify(cdnIndex)} } }</script>\n<script type="module" src="./main.js"></script>\n`);
    const page = await serve(site);
    try {
      await roundTrips(browser, page.url);
      t.diagnostic(`CDN: ${(cdn.log.reduce((s, r) => s + r.bytes, 0) / 1e6).toFixed(2)} MB from the CDN (${bytesByType(cdn.log)})`);
    } finally {
      await page.close();
      await cdn.close();
    }
  });

  // The opt-in WebGPU entry installs onnxruntime-web (139 MB) and loads its 26 MB .wasm: in
  // npm run conformance (KOLMO_CONSUMERS=all), not in npm test.
  const webgpuSkip = process.env.KOLMO_CONSUMERS === 'all' ? false : 'npm run conformance runs it (KOLMO_CONSUMERS=all)';
  await t.test('kolmo/webgpu with the app\'s own onnxruntime-web: Vite and webpack bundle ONNX Runtime and its .wasm, no ortBaseUrl', { skip: webgpuSkip }, async () => {
    const ortVersion = JSON.parse(readFileSync(join(repoRoot, 'node_modules/onnxruntime-web/package.json'), 'utf8')).version;
    run(npm, ['install', '--prefer-offline', '--no-save', '--no-audit', '--no-fund', tarball, `onnxruntime-web@${ortVersion}`], app);
    const root = join(app, 'webgpu');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'main.js'), "import * as kolmoTest from 'kolmo/webgpu';\nwindow.kolmoTest = kolmoTest;\n" +
      snippets['webgpu.js'].replace("'Hello on the GPU.'", "'Hello from a bundled app. 你好!'"));
    writeFileSync(join(root, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><body><script type="module" src="./main.js"></script>\n');
    const webgpuBuilds = [
      ['Vite', async (/** @type {string} */ out) => {
        await vite.build({ root, base: '/sub/', configFile: false, logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
      }],
      ['webpack', async (/** @type {string} */ out) => webpackBuild(webpack, root, out, 'production', snippets)],
    ];
    for (const [bundler, build] of /** @type {Array<[string, (out: string) => Promise<void>]>} */ (webgpuBuilds)) {
      const out = join(dir, 'out', `webgpu-${bundler}`);
      await build(out);
      const server = await serve(out, { prefix: '/sub/' });
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(server.url);
        await page.waitForFunction(() => document.body?.textContent === 'Hello from a bundled app. 你好!', null, { timeout: 120_000 });
        // ORT's CPU build from the same bundle ('wasm'): no GPU needed to see ONNX Runtime run.
        const result = await page.evaluate(async (text) => {
          const { compress, decompress } = /** @type {any} */ (window).kolmoTest;
          const { fragment, stats } = await compress(text, { backends: ['wasm'], modes: ['lm'] });
          return { back: await decompress(fragment, { backends: ['wasm'] }), backend: stats.backend };
        }, kTexts[0]);
        assert.deepEqual(result, { back: kTexts[0], backend: 'wasm' }, bundler);
        const ortWasm = server.log.filter((r) => /\.wasm$/.test(r.path) && r.bytes > 1e6);
        assert.ok(ortWasm.length > 0 && ortWasm.every((r) => r.status === 200), `${bundler}: ONNX Runtime's .wasm was not served from the build`);
        t.diagnostic(`kolmo/webgpu (${bundler}, /sub/): ${(server.log.reduce((sum, r) => sum + r.bytes, 0) / 1e6).toFixed(2)} MB (${bytesByType(server.log)})`);
      } finally {
        await context.close();
        await server.close();
      }
    }
  });

  await t.test('errors a bundler user meets name the file, what came back and the fix', async () => {
    const built = join(dir, 'out', 'vite-build_'); // built above
    // The same build on a host with no SPA fallback (index.html renamed), and one whose model
    // file is truncated.
    const plain = join(dir, 'plain');
    cpSync(built, plain, { recursive: true });
    writeFileSync(join(plain, 'page.html'), readFileSync(join(plain, 'index.html')));
    rmSync(join(plain, 'index.html'));
    const truncated = join(dir, 'truncated');
    cpSync(plain, truncated, { recursive: true });
    const onnx = readdirSync(join(truncated, 'assets')).find((f) => f.endsWith('.onnx')) ?? '';
    writeFileSync(join(truncated, 'assets', onnx), readFileSync(join(truncated, 'assets', onnx)).subarray(0, 1_000_000));
    // esbuild as a new user first tries it: kolmo bundled in, its files not copied.
    const naive = join(dir, 'naive');
    run(join(here, 'node_modules/.bin/esbuild'), ['main.js', '--bundle', '--format=esm', `--outdir=${naive}`, '--log-level=error'], app);
    writeFileSync(join(naive, 'page.html'), '<!doctype html><meta charset="utf-8"><body><script type="module" src="./main.js"></script>\n');

    /**
     * The error of compress('x') with `options` on a page served from `served`.
     * @param {string} served @param {{deny?: RegExp, headers?: Record<string, string>, options?: object, page?: string}} how
     */
    const failure = async (served, { deny, headers, options = {}, page: path = 'page.html' }) => {
      const server = await serve(served, { deny, headers });
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(server.url + path);
        await page.waitForFunction(() => /** @type {any} */ (window).kolmoTest, null, { timeout: 30_000 });
        return await page.evaluate(async (options) => {
          try {
            await /** @type {any} */ (window).kolmoTest.compress('x', { modes: ['lm'], ...options });
            return 'no error';
          } catch (e) {
            return /** @type {any} */ (e).message; // 'code: …'
          }
        }, options);
      } finally {
        await context.close();
        await server.close();
      }
    };
    const cases = [
      // the model answered by the app's index.html (the SPA fallback)
      [await failure(built, { deny: /\.onnx$/, page: '' }),
        /^model_unavailable: .*\/assets\/model-[\w-]+\.onnx answered an HTML page where model\.onnx of the kolmo model km\d-.*modelBaseUrl/],
      // the manifest answered by index.html (webpack emits it as a file; Vite inlines it)
      [await failure(join(dir, 'out', 'webpack-production-'), { deny: /\.json$/, page: '' }),
        /^model_unavailable: http:.*\.json answered an HTML page where the kolmo model manifest \(JSON\) was expected: the server returns its index\.html.*modelBaseUrl/],
      // a wrong modelBaseUrl
      [await failure(plain, { options: { modelBaseUrl: '/nowhere/' } }),
        /^model_unavailable: .*\/nowhere\/manifest\.json answered HTTP 404 where the kolmo model manifest \(JSON\) was expected.*Check modelBaseUrl/],
      // a model file served truncated
      [await failure(truncated, {}), /^model_mismatch: http:.*\/assets\/model-[\w-]+\.onnx has 1000000 bytes where model\.onnx of the kolmo model km\d-\w+ \(5560193 bytes\) was expected/],
      // the .wasm missing
      [await failure(plain, { deny: /\.wasm$/ }), /^wasm_unavailable: .*kolmo_wasm-[\w-]+\.wasm answered HTTP 404 where kolmo's WebAssembly module/],
      // a Content-Security-Policy without 'wasm-unsafe-eval'
      [await failure(plain, { headers: { 'content-security-policy': "script-src 'self'" } }), /^wasm_blocked: .*'wasm-unsafe-eval'/],
      [takeCspViolations(browser).length > 0 ? 'the CSP violation was seen' : 'no CSP violation', /^the CSP violation was seen$/],
      // a Content-Security-Policy that blocks the worker
      [await failure(plain, { headers: { 'content-security-policy': "script-src 'self' 'wasm-unsafe-eval'; worker-src 'none'" } }),
        /^worker_blocked: the page's Content-Security-Policy \(worker-src\) blocked the kolmo worker http:\/\/127\.0\.0\.1:\d+\/assets\/worker-[\w-]+\.js/],
      [takeCspViolations(browser).length > 0 ? 'the CSP violation was seen' : 'no CSP violation', /^the CSP violation was seen$/],
      // esbuild without the README's recipe: the worker 404s
      [await failure(naive, {}), /^worker_failed: .*HTTP 404\. Worker URL: http:\/\/127\.0\.0\.1:\d+\/worker\/worker\.js\. .*esbuild/],
      // an ONNX Runtime backend without ONNX Runtime
      [await failure(plain, { options: { backends: ['wasm'] } }), /^ort_missing: .*npm install onnxruntime-web.*ortBaseUrl/],
    ];
    // A link made with km1, which the package does not carry: the error says how to open it, and
    // it opens with modelBaseUrl pointing at a copy of the repository's models/ (another origin).
    const km1Link = readFileSync(join(repoRoot, 'tests/golden/links/one-char-lm.txt'), 'utf8').trim();
    const km1Text = readFileSync(join(repoRoot, 'tests/golden/texts/one-char-lm.bin'), 'utf8');
    const models = await serve(join(repoRoot, 'models'), { cors: true });
    const server = await serve(built);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => /** @type {any} */ (window).kolmoTest, null, { timeout: 30_000 });
      const [without, withModels] = await page.evaluate(async ([link, modelBaseUrl]) => {
        const { decompress } = /** @type {any} */ (window).kolmoTest;
        const without = await decompress(link).then(() => 'no error', (/** @type {any} */ e) => e.message);
        return [without, await decompress(link, { modelBaseUrl })];
      }, [km1Link, models.url]);
      cases.push([without, /^model_unavailable: .*older model km1-\w+, which the npm package does not include.*modelBaseUrl/]);
      assert.equal(withModels, km1Text);
    } finally {
      await context.close();
      await server.close();
      await models.close();
    }
    for (const [message, pattern] of cases) {
      t.diagnostic(String(message));
      assert.match(String(message), /** @type {RegExp} */ (pattern));
    }
  });

  await t.test('the README examples compile (tsc --noEmit --strict, no skipLibCheck)', () => {
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    writeFileSync(join(app, 'types.ts'), snippets['types.ts'] + '\nexport {};\n');
    writeFileSync(join(app, 'main_checked.ts'), snippets['main.js'] + '\nexport {};\n');
    writeFileSync(join(app, 'library_checked.ts'), snippets['library.js'] + '\nexport {};\n');
    writeFileSync(join(app, 'webgpu_checked.ts'), snippets['webgpu.js'] + '\nexport {};\n');
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], skipLibCheck: false, types: [] },
      files: ['types.ts', 'main_checked.ts', 'library_checked.ts', 'webgpu_checked.ts'],
    }));
    run(process.execPath, [tsc, '-p', '.'], app);
    // A misspelt error code does not compile.
    writeFileSync(join(app, 'types.ts'), `import { KolmoError } from 'kolmo';\ndeclare const e: KolmoError;\nif (e.code === 'pasword_required') {}\nexport {};\n`);
    const misuse = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: app, encoding: 'utf8' });
    assert.notEqual(misuse.status, 0, 'a misspelt error code type-checked');
  });
  t.diagnostic(`consumer tests: ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
});

/**
 * Builds the app with webpack 5 and the README's config (mode and output path from the test).
 * @param {any} webpack @param {string} app @param {string} out @param {'production'|'development'} mode
 * @param {Record<string, string>} snippets
 */
async function webpackBuild(webpack, app, out, mode, snippets) {
  const configFile = join(app, 'webpack.config.mjs');
  writeFileSync(configFile, snippets['webpack.config.js']);
  const config = (await import(pathToFileURL(configFile).href + `?${Date.now()}`)).default;
  const stats = await new Promise((resolve, reject) => {
    webpack({ ...config, mode, context: app, devtool: false, output: { ...config.output, path: out } }, (/** @type {any} */ error, /** @type {any} */ result) =>
      error ? reject(error) : resolve(result));
  });
  const info = /** @type {any} */ (stats).toJson({ all: false, errors: true, warnings: true });
  assert.deepEqual(info.errors, [], 'webpack errors');
  // webpack's performance hints (a 5.3 MB model is over its 244 KiB advice) are the only warnings.
  const warnings = info.warnings.map((/** @type {any} */ w) => w.message).filter((/** @type {string} */ m) => !/^(asset|entrypoint) size limit|webpack performance recommendations/.test(m));
  assert.deepEqual(warnings, [], 'webpack warnings');
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><body><script src="./main.js"></script>\n');
  assert.ok(readdirSync(out).some((f) => f.endsWith('.onnx')), 'webpack did not emit the model');
}
