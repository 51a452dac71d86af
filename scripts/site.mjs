// Builds the static site (npm run site): dist/ holds everything the page loads, with relative
// URLs only, so it works from any static host and from a sub-path (https://user.github.io/kolmo/)
// with no build step there:
//
//   index.html        web/index.html with the Content-Security-Policy meta tag (kCsp)
//   app.js, app/, style.css, sw.js, manifest.webmanifest, icons/, lib/ (+ lib/wasm/)   all of web/
//   app.js, lib/worker/worker.js   bundled (kBundles): the page's script and the library's worker,
//                     each with all its static imports in one file (esbuild), so that each starts
//                     after one request instead of a chain of imports fetched one level at a
//                     time (~15 for the page, ~20 for the worker). The files they were made of
//                     stay beside them, as they are (the library as published, for pages and
//                     tools that import it; page/hosts.js, which a long link's helpers import)
//   ort/              the ONNX Runtime Web files the library loads (kOrtFiles), nothing else
//   models/           manifest.json and, per model, the files the library fetches (kModelFiles)
//   vendor/<pkg>/     npm modules the page imports by bare name (kVendor), specifiers rewritten
//   _headers          the same CSP + cross-origin isolation, for hosts that read such a file
//                     (Netlify, Cloudflare Pages; scripts/serve.mjs); .nojekyll for GitHub Pages
//
// sw.js gets the site's constants filled in (kSiteMarker): a version derived from the content
// of every file (a new deploy starts fresh caches), the files to keep for offline use, and the
// response headers it adds to what it serves — that is how a host that sends no headers (GitHub
// Pages, python3 -m http.server) still gets the CSP in workers and cross-origin isolation
// (WASM threads) from the second visit on.
//
// Usage: node scripts/site.mjs [--out DIR]   (default dist/; builds the WASM codec if missing)
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { kModelFiles } from '../web/lib/worker/model_store.js';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const webDir = join(repoRoot, 'web');
const require = createRequire(import.meta.url);

/**
 * The page's Content-Security-Policy. No inline script or style anywhere; WebAssembly may be
 * compiled ('wasm-unsafe-eval', not 'unsafe-eval'); everything comes from the site itself.
 * img-src allows data: for images a library draws into a data: URL (QR code).
 * frame-ancestors only works as a header (a meta tag ignores it, with a console error), so it
 * is in kHeaderOnlyCsp.
 */
export const kCsp = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
const kHeaderOnlyCsp = "frame-ancestors 'none'";

/** Headers for every response: the CSP, and cross-origin isolation (SharedArrayBuffer, threads). */
export const kSiteHeaders = {
  'Content-Security-Policy': `${kCsp}; ${kHeaderOnlyCsp}`,
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * onnxruntime-web's dist/ files that web/lib/worker/engine.js loads: the WASM-only bundle and its
 * runtime, and the JSEP bundle (WebGPU, also WASM) and its runtime. Checked against the
 * bundles' own references at build time (ortRuntimeFiles), so an upgrade that renames them
 * fails here, not in a user's browser.
 */
const kOrtBundles = ['ort.wasm.min.mjs', 'ort.min.mjs'];
const kOrtFiles = [
  ...kOrtBundles,
  'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm',
  'ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm',
];

/**
 * npm modules the page imports by bare name (`import x from 'name'` in web/): name -> the
 * package's self-contained ES module file (no imports of its own). site.mjs copies it to
 * vendor/<name>/ and rewrites the specifier in dist/ to a relative URL; Node and tsc keep
 * resolving the bare name from node_modules. A bare import that is not listed here fails the
 * build with a message naming it.
 * @type {Record<string, string>}
 */
/**
 * Modules of web/lib the page never loads: the kolmo/webgpu entry and its worker, which import
 * onnxruntime-web by name for an app's bundler (the page loads ONNX Runtime from ort/ instead).
 */
const kNotOnSite = new Set(['lib/webgpu.js', 'lib/worker/worker_ort.js']);

export const kVendor = {
  'qrcode-generator': 'dist/qrcode.mjs', // web/lib/page/qr.js: the QR code of a link
};

/**
 * The scripts bundled in place (each replaces its entry in dist/): the page's, and the library's
 * Web Worker, which page/hosts.js starts as new URL('../worker/worker.js', import.meta.url) —
 * from the page's bundle, and from page/hosts.js itself where a long link's worker starts its
 * helpers (the same bundle).
 */
const kBundles = ['app.js', 'lib/worker/worker.js'];
/**
 * Modules that the bundles import by a URL made at run time (out of esbuild's sight), so they
 * are served on their own, with their static imports: a long link's helper workers
 * (worker/segments.js, worker/windows.js) start from page/hosts.js.
 */
const kImportedByUrl = ['lib/page/hosts.js'];

/** The line of web/sw.js that this script fills in. */
const kSiteMarker = /^const kSite = .*; \/\/ filled in by scripts\/site\.mjs$/m;

// ---- helpers ----

/** @param {string} message */
function fail(message) {
  throw new Error(`site: ${message}`);
}

/** Every file under dir, as paths relative to it ('/'-separated). @param {string} dir */
async function listFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'));
  }
  return out.sort();
}

/** The folder of an installed npm package. @param {string} name */
function packageDir(name) {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) fail(`cannot find the package folder of ${name}`);
    dir = dirname(dir);
  }
  return dir;
}

/** Static import/export specifiers of an ES module (not those in comments). @param {string} source */
export function importSpecifiers(source) {
  const pattern = /^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?(['"])([^'"]+)\1/gm;
  return [...source.matchAll(pattern)].map((match) => match[2]);
}
const isBare = (/** @type {string} */ specifier) => !/^(\.{0,2}\/|[a-z]+:)/i.test(specifier);

/** The runtime .mjs files each ORT bundle refers to, with their .wasm. */
function ortRuntimeFiles(/** @type {string} */ ortDir) {
  const files = new Set();
  for (const bundle of kOrtBundles) {
    const source = readFileSync(join(ortDir, bundle), 'utf8');
    for (const [name] of source.matchAll(/ort-wasm-simd-threaded[a-z.]*\.mjs/g)) {
      files.add(name);
      files.add(name.replace(/\.mjs$/, '.wasm'));
    }
  }
  return files;
}

/** Builds the WASM codec if web/lib/wasm/ lacks it. */
function ensureWasmBuilt() {
  const wasmFile = join(webDir, 'lib/wasm/kolmo_wasm.wasm');
  if (existsSync(wasmFile)) return;
  console.log('site: web/lib/wasm/ has no WASM build yet; building it (bash scripts/build.sh wasm) ...');
  const hasEmcc = spawnSync('sh', ['-c', 'command -v emcmake && command -v emcc'], { stdio: 'ignore' }).status === 0;
  if (!hasEmcc) {
    fail('cannot build the WASM codec: Emscripten (emcc, emcmake) is not installed; ' +
      'install it with: sudo bash scripts/setup.sh --demo   (or: apt-get install emscripten node-acorn cmake)');
  }
  const build = spawnSync('bash', [join(repoRoot, 'scripts/build.sh'), 'wasm'], { stdio: 'inherit', cwd: repoRoot });
  if (build.status !== 0 || !existsSync(wasmFile)) fail('the WASM build failed (see above); `bash scripts/build.sh wasm` reproduces it');
}

// ---- the build ----

/**
 * Writes the site into outDir (emptied first).
 * @param {string} outDir
 * @returns {Promise<{files: string[], bytes: number, version: string}>}
 */
export async function buildSite(outDir) {
  ensureWasmBuilt();
  const out = resolve(outDir);
  if (out === repoRoot || repoRoot.startsWith(out + sep) || out.startsWith(webDir)) fail(`refusing to empty ${out}`);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  /** @type {Map<string, Buffer>} path in dist -> content, for the files this script writes */
  const written = new Map();
  const put = async (/** @type {string} */ path, /** @type {Buffer|string} */ content) => {
    const target = join(out, path);
    await mkdir(dirname(target), { recursive: true });
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    await writeFile(target, bytes);
    written.set(path, bytes);
  };
  const copy = async (/** @type {string} */ from, /** @type {string} */ path) => {
    const target = join(out, path);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(from, target);
  };

  // The page: all of web/, with bare imports pointed at vendor/ and the CSP in index.html.
  const vendorUsed = new Set();
  for (const path of await listFiles(webDir)) {
    const from = join(webDir, path);
    if (kNotOnSite.has(path)) continue;
    if (path === 'index.html') {
      await put(path, withCspMeta(await readFile(from, 'utf8')));
    } else if (path === 'sw.js') {
      continue; // last: it lists the other files
    } else if (/\.m?js$/.test(path)) {
      const source = await readFile(from, 'utf8');
      const rewritten = rewriteBareImports(source, path, vendorUsed);
      if (rewritten === source) await copy(from, path);
      else await put(path, rewritten);
    } else {
      await copy(from, path);
    }
  }
  /** Modules of web/ that are in a bundle: the page never loads them on their own. */
  const bundled = new Set();
  for (const entry of kBundles) {
    const { code, inputs } = await bundle(entry);
    await put(entry, code);
    for (const input of inputs) bundled.add(input);
  }
  // ... but for the modules the bundles import by URL at run time, and theirs.
  for (const path of staticGraph(out, kImportedByUrl)) bundled.delete(path);
  for (const entry of kBundles) bundled.delete(entry);
  for (const name of vendorUsed) {
    const file = join(packageDir(name), kVendor[name]);
    const source = await readFile(file, 'utf8');
    const own = importSpecifiers(source);
    if (own.length > 0) fail(`vendor module ${name} (${kVendor[name]}) imports ${own.join(', ')}: list a self-contained file in kVendor`);
    await put(vendorPath(name), source);
  }

  // ONNX Runtime Web: only what the library loads.
  const ortDir = dirname(require.resolve('onnxruntime-web'));
  for (const name of ortRuntimeFiles(ortDir)) {
    if (!kOrtFiles.includes(name)) fail(`onnxruntime-web's bundles load ${name}, which kOrtFiles does not list`);
  }
  for (const name of kOrtFiles) await copy(join(ortDir, name), `ort/${name}`);

  // Models: the manifest and the files the library fetches.
  const manifestText = await readFile(join(repoRoot, 'models/manifest.json'), 'utf8');
  const manifest = JSON.parse(manifestText);
  await put('models/manifest.json', manifestText);
  for (const id of Object.keys(manifest.models ?? {})) {
    for (const name of kModelFiles) {
      const from = join(repoRoot, 'models', id, name);
      if (!existsSync(from)) fail(`models/manifest.json lists ${id}, but models/${id}/${name} is missing`);
      await copy(from, `models/${id}/${name}`);
    }
  }

  await put('_headers', headersFile());
  await put('.nojekyll', '');

  // The service worker, with the site's constants.
  const files = await listFiles(out);
  const hash = createHash('sha256');
  for (const path of files) {
    hash.update(path + '\0');
    hash.update(written.get(path) ?? (await readFile(join(out, path))));
  }
  const swSource = await readFile(join(webDir, 'sw.js'), 'utf8');
  const version = hash.update(swSource).digest('hex').slice(0, 16);
  // Kept at install: the page itself, less the modules that its bundles hold. ORT (tens of MB,
  // one of two builds used) is kept on first use; models are kept by the library
  // (model_store.js), checked by sha256.
  const shell = ['./', ...files.filter((p) => !/^(ort|models)\/|^_headers$|^\.nojekyll$|^sw\.js$/.test(p) && !bundled.has(p)).map((p) => `./${p}`)];
  const site = { version, shell, headers: kSiteHeaders };
  if (!kSiteMarker.test(swSource)) fail('web/sw.js has no `const kSite = ...; // filled in by scripts/site.mjs` line');
  await put('sw.js', swSource.replace(kSiteMarker, `const kSite = ${JSON.stringify(site)}; // filled in by scripts/site.mjs`));

  const all = await listFiles(out);
  let bytes = 0;
  for (const path of all) bytes += (await stat(join(out, path))).size;
  return { files: all, bytes, version };
}

/** @param {string} html */
function withCspMeta(html) {
  if (/<script(?![^>]*\ssrc=)[^>]*>/i.test(html) || /<style[\s>]|\sstyle=/i.test(html) || /\son[a-z]+=/i.test(html)) {
    fail('web/index.html has inline script, style or event handler attributes, which the CSP forbids');
  }
  const meta = `<meta http-equiv="Content-Security-Policy" content="${kCsp}">`;
  const withMeta = html.replace(/(<meta charset="utf-8">)/i, `$1\n  ${meta}`);
  if (withMeta === html) fail('web/index.html has no <meta charset="utf-8"> to put the CSP after');
  return withMeta;
}

/**
 * web/<entry> and every module it imports statically, as one ES module (esbuild) that takes the
 * entry's place in dist/. Each module's import.meta.url stays the URL of its own file
 * (keepModuleUrls), so what it resolves against it (the worker, the .wasm, page/hosts.js) is
 * found where the unbundled files find it; dynamic imports stay dynamic (loaded on demand, from
 * the unbundled files), and so do imports whose specifier is a variable (ONNX Runtime, node:).
 * @param {string} entry a path under web/
 * @returns {Promise<{code: string, inputs: string[]}>} inputs: the modules in it (paths under web/)
 */
async function bundle(entry) {
  const { build: esbuild, transform } = await import('esbuild')
    .catch(() => fail('esbuild is not installed: run npm ci (bash scripts/setup.sh does)'));
  const result = await esbuild({
    entryPoints: [join(webDir, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true, // its paths are relative to absWorkingDir
    absWorkingDir: repoRoot,
    logLevel: 'silent',
    banner: { js: `// Made by scripts/site.mjs: web/${entry} and its imports in one file (esbuild).` },
    plugins: [keepModuleUrls(entry, transform)],
  });
  if (result.warnings.length > 0) {
    fail(`bundling ${entry}: ${result.warnings.map((w) => `${w.location?.file ?? ''}:${w.location?.line ?? ''} ${w.text}`).join('; ')}`);
  }
  // Paths in dist/: a module of web/, or an npm module's copy in vendor/.
  const vendorFiles = new Map(Object.keys(kVendor).map((name) => [join(packageDir(name), kVendor[name]), vendorPath(name)]));
  const inputs = Object.keys(result.metafile.inputs).map((path) => {
    const file = resolve(repoRoot, path);
    return vendorFiles.get(file) ?? relative(webDir, file).split(sep).join('/');
  });
  return { code: result.outputFiles[0].text, inputs };
}

/**
 * The modules that `entries` load by static imports, themselves included (paths in dist/).
 * @param {string} out dist/ @param {string[]} entries @returns {Set<string>}
 */
function staticGraph(out, entries) {
  const seen = new Set();
  const visit = (/** @type {string} */ path) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const specifier of importSpecifiers(readFileSync(join(out, path), 'utf8'))) {
      const url = new URL(specifier, `file:///${path}`);
      if (url.protocol === 'file:') visit(url.pathname.slice(1));
    }
  };
  entries.forEach(visit);
  return seen;
}

/**
 * The esbuild plugin of bundle(): in each module, import.meta.url becomes its own file's URL
 * (new URL('<its path from the bundle>', import.meta.url)), a dynamic import an import of the
 * unbundled file, and a bare import (kVendor) the package's file that vendor/ holds.
 * @param {string} entry the bundle's path in dist/ (= under web/)
 * @param {typeof import('esbuild').transform} transform
 * @returns {import('esbuild').Plugin}
 */
function keepModuleUrls(entry, transform) {
  const fromBundle = (/** @type {string} */ file) => {
    const path = relative(join(webDir, dirname(entry)), file).split(sep).join('/');
    return path.startsWith('.') ? path : `./${path}`;
  };
  return {
    name: 'kolmo-module-urls',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'dynamic-import' && /^\.{1,2}\//.test(args.path)) {
          return { path: fromBundle(join(args.resolveDir, args.path)), external: true };
        }
        if (args.path in kVendor) return { path: join(packageDir(args.path), kVendor[args.path]) };
        return undefined;
      });
      build.onLoad({ filter: /\.m?js$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        // define replaces the expression only, not the words in strings or comments.
        const { code } = await transform(source, { loader: 'js', format: 'esm', define: { 'import.meta.url': 'kolmoModuleUrl' } });
        if (!code.includes('kolmoModuleUrl')) return undefined; // in comments only
        return { contents: `const kolmoModuleUrl = new URL(${JSON.stringify(fromBundle(args.path))}, import.meta.url).href;\n${code}`, loader: 'js' };
      });
    },
  };
}

/** `_headers` (Netlify / Cloudflare Pages format): every path gets kSiteHeaders. */
function headersFile() {
  return '# Response headers for hosts that read this file (Netlify, Cloudflare Pages, scripts/serve.mjs).\n' +
    '# Made by scripts/site.mjs; index.html carries the same Content-Security-Policy as a meta tag.\n' +
    '/*\n' + Object.entries(kSiteHeaders).map(([k, v]) => `  ${k}: ${v}\n`).join('');
}

/** Where a vendor module lies in dist/. @param {string} name @param {Record<string, string>} [vendor] */
const vendorPath = (name, vendor = kVendor) => `vendor/${name}/${vendor[name].split('/').pop()}`;

/**
 * Points bare import specifiers at vendor/ (relative to the importing file).
 * @param {string} source @param {string} path the file's path in dist/
 * @param {Set<string>} used gets the names met @param {Record<string, string>} [vendor]
 */
export function rewriteBareImports(source, path, used, vendor = kVendor) {
  const bare = importSpecifiers(source).filter(isBare);
  if (bare.length === 0) return source;
  let rewritten = source;
  for (const name of new Set(bare)) {
    if (!(name in vendor)) fail(`web/${path} imports '${name}': add it to kVendor in scripts/site.mjs (its self-contained ES module file)`);
    used.add(name);
    const depth = path.split('/').length - 1;
    const url = (depth === 0 ? './' : '../'.repeat(depth)) + vendorPath(name, vendor);
    const quoted = new RegExp(`(\\sfrom\\s*|^\\s*import\\s*)(['"])${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\2`, 'gm');
    rewritten = rewritten.replace(quoted, `$1$2${url}$2`);
  }
  return rewritten;
}

// ---- command line ----

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(repoRoot, 'dist') } } });
  try {
    const started = Date.now();
    const { files, bytes, version } = await buildSite(/** @type {string} */ (values.out));
    console.log(`site: ${files.length} files, ${(bytes / 1048576).toFixed(1)} MiB in ${values.out} ` +
      `(version ${version}, ${Date.now() - started} ms)`);
  } catch (error) {
    console.error(String(/** @type {any} */ (error)?.message ?? error));
    process.exit(1);
  }
}
