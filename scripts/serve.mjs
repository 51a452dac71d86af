// Dependency-free static file server for the demo page: serves web/ on
// http://127.0.0.1:${PORT:-8080}/ (npm start). Development use only: loopback, GET/HEAD,
// no directory listings. Sends the cross-origin isolation headers so that
// SharedArrayBuffer (multi-threaded WASM in ONNX Runtime Web) is available to the page.
// Besides web/ it serves /models/ (models/: manifest and model files) and /ort/
// (onnxruntime-web's dist/: the ES module bundles and their .wasm), which the page loads.
// Before serving, it builds the WASM codec if web/lib/wasm/ lacks it, and says what is
// missing if it cannot.
//
// Usage: node scripts/serve.mjs [root]      (root defaults to web/; env PORT, HOST)
import { createServer } from 'node:http';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const root = resolve(process.argv[2] ?? join(repoRoot, 'web'));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

// ---- what the page needs ----

function fail(lines) {
  console.error(lines.map((l) => `kolmo: ${l}`).join('\n'));
  process.exit(1);
}

let ortDir;
try {
  // The package's main file lies in dist/ (its exports do not expose package.json).
  ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
} catch {
  fail(['onnxruntime-web is not installed: run `npm ci` (or `npm install`) in ' + repoRoot]);
}
const wasmFile = join(repoRoot, 'web/lib/wasm/kolmo_wasm.wasm');
if (!existsSync(wasmFile)) {
  console.log('kolmo: web/lib/wasm/ has no WASM build yet; building it (bash scripts/build.sh wasm) ...');
  const hasEmcc = spawnSync('sh', ['-c', 'command -v emcmake && command -v emcc'], { stdio: 'ignore' }).status === 0;
  if (!hasEmcc) {
    fail(['cannot build the WASM codec: Emscripten (emcc, emcmake) is not installed.',
      'install the toolchain with: sudo bash scripts/setup.sh   (or: apt-get install emscripten node-acorn cmake)']);
  }
  const build = spawnSync('bash', [join(repoRoot, 'scripts/build.sh'), 'wasm'], { stdio: 'inherit', cwd: repoRoot });
  if (build.status !== 0 || !existsSync(wasmFile)) {
    fail(['the WASM build failed (see above); `bash scripts/build.sh wasm` reproduces it.']);
  }
}

const modelsDir = join(repoRoot, 'models');
if (!existsSync(join(modelsDir, 'manifest.json'))) fail(['models/manifest.json is missing: the page has no model to load']);

// URL prefix -> folder; the first match wins, '/' last.
const mounts = [
  ['/ort/', ortDir],
  ['/models/', modelsDir],
  ['/', root],
];

const kTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm', // required by WebAssembly.instantiateStreaming
  '.onnx': 'application/octet-stream',
  '.kbpe': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

// Maps a URL path to a file under its mount's folder, or null if it would leave that folder.
function filePathOf(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const [prefix, dir] = mounts.find(([p]) => decoded.startsWith(p)) ?? mounts[mounts.length - 1];
  const path = normalize(join(dir, decoded.slice(prefix.length - 1)));
  return path === dir || path.startsWith(dir + sep) ? path : null;
}

const server = createServer(async (req, res) => {
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cache-Control': 'no-cache',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
    return;
  }
  let path = filePathOf(req.url ?? '/');
  try {
    if (path === null) throw new Error('outside root');
    let info = await stat(path);
    if (info.isDirectory()) {
      path = join(path, 'index.html');
      info = await stat(path);
    }
    if (!info.isFile()) throw new Error('not a file');
    // Revalidation instead of a fresh download of ORT's 14-28 MB .wasm on every visit.
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    headers.ETag = etag;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': kTypes[extname(path).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': info.size,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(path).on('error', () => res.destroy()).pipe(res);
  } catch {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
  }
});

server.on('error', (error) => {
  fail([error.code === 'EADDRINUSE' ? `port ${port} is in use: start with PORT=<another port> npm start` : String(error)]);
});
server.listen(port, host, () => {
  console.log(`kolmo: serving ${root} on http://${host}:${server.address().port}/`);
});
