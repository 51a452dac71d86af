// The demo's static file server (npm start, after `npm run site` has built dist/): serves one
// folder as a plain static host does — files only, no routes, no directory listings, GET/HEAD —
// on http://127.0.0.1:${PORT:-8080}/, and sends the headers of the folder's `_headers` file
// (the Netlify / Cloudflare Pages format; scripts/site.mjs writes it: the CSP and the
// cross-origin isolation that WASM threads need). Only `/*` blocks are read: that is all
// site.mjs writes. Development use: loopback by default.
//
// Usage: node scripts/serve.mjs [folder]      (default dist/; env PORT, HOST)
import { createServer } from 'node:http';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const root = resolve(process.argv[2] ?? join(repoRoot, 'dist'));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

/** @param {string} line */
function fail(line) {
  console.error(`kolmo: ${line}`);
  process.exit(1);
}

if (!existsSync(join(root, 'index.html'))) fail(`${root} has no index.html: build the site first (npm run site)`);

/** Headers of the `/*` blocks of a `_headers` file. @param {string} text */
function parseHeadersFile(text) {
  /** @type {Record<string, string>} */
  const headers = {};
  let inAll = false;
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    if (!/^\s/.test(line)) {
      inAll = line.trim() === '/*';
      continue;
    }
    const match = /^\s+([^:\s]+):\s*(.*)$/.exec(line);
    if (inAll && match) headers[match[1]] = match[2].trim();
  }
  return headers;
}
const headersFile = join(root, '_headers');
const siteHeaders = existsSync(headersFile) ? parseHeadersFile(readFileSync(headersFile, 'utf8')) : {};

const kTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm', // required by WebAssembly.instantiateStreaming
};

/** A URL path -> a file under root, or null if it would leave root. @param {string} urlPath */
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
  const headers = { ...siteHeaders, 'Cache-Control': 'no-cache' };
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
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ...headers, ETag: etag }).end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      ETag: etag,
      'Content-Type': kTypes[/** @type {keyof kTypes} */ (extname(path).toLowerCase())] ?? 'application/octet-stream',
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
  fail(/** @type {any} */ (error).code === 'EADDRINUSE' ? `port ${port} is in use: start with PORT=<another port> npm start` : String(error));
});
server.listen(port, host, () => {
  console.log(`kolmo: serving ${root} on http://${host}:${/** @type {any} */ (server.address()).port}/`);
});
