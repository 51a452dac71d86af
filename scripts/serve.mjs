// Dependency-free static file server for the demo page: serves web/ on
// http://127.0.0.1:${PORT:-8080}/ (npm start). Development use only: loopback, GET/HEAD,
// no directory listings. Sends the cross-origin isolation headers so that
// SharedArrayBuffer (multi-threaded WASM in ONNX Runtime Web) is available to the page.
//
// Usage: node scripts/serve.mjs [root]      (root defaults to web/; env PORT, HOST)
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const root = resolve(process.argv[2] ?? join(repoRoot, 'web'));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

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
};

// Maps a URL path to a file under root, or null if it would leave root.
function filePathOf(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const path = normalize(join(root, decoded));
  return path === root || path.startsWith(root + sep) ? path : null;
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

server.listen(port, host, () => {
  console.log(`kolmo: serving ${root} on http://${host}:${port}/`);
});
