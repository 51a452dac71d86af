// @file Service worker of the page: keeps the page, the library, the WASM codec and ONNX Runtime
// Web for offline use, and adds the site's response headers to what it serves. The model files
// are not kept here: web/lib/worker/model_store.js keeps them (checked by sha256) in its own
// cache, so they are not stored twice.
//
//   the page (app/ too), lib/, vendor/, icons/, ort/   cache first: the cache is of one build
//                                     of the site (kSite.version, a hash of every file), whose
//                                     files never change, and a new build starts an empty cache;
//                                     the shell is kept at install (kSite.shell). So a repeat
//                                     visit loads the page and the library without a network
//                                     round trip (a link opens ~0.1-0.2 s sooner). An unbuilt
//                                     page (version "dev") is network first, the cache offline.
//   navigations                       kept under the page's address alone: a query (?backend=,
//                                     or text shared through the share target) is never stored
//   models/                           not handled (model_store.js)
//
// Headers: scripts/site.mjs fills in kSite.headers (the Content-Security-Policy and cross-origin
// isolation). Hosts that send no headers of their own (GitHub Pages, python3 -m http.server)
// thus still give the worker the CSP and, from the second visit on, make the page
// cross-origin isolated, which ONNX Runtime's WASM threads need (SharedArrayBuffer).
const kSite = {"version":"dev","shell":["./"],"headers":{}}; // filled in by scripts/site.mjs
const kVersion = `kolmo-app-${kSite.version}`;

// Folders beside this file (the site may be served below a path prefix).
const kModelsPath = new URL('./models/', self.location.href).pathname;
const kOrtPath = new URL('./ort/', self.location.href).pathname;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(kVersion)
      // One by one: a missing file must not keep the others out (runtime caching fills in).
      .then((cache) => Promise.allSettled(kSite.shell.map((path) => cache.add(path))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('kolmo-app-') && name !== kVersion) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** The response with the site's headers added (a same-origin, readable response only). @param {Response} response */
function withSiteHeaders(response) {
  if (response.type !== 'basic' && response.type !== 'default') return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(kSite.headers)) headers.set(name, value);
  const nullBody = [101, 204, 205, 304].includes(response.status);
  return new Response(nullBody ? null : response.body, { status: response.status, statusText: response.statusText, headers });
}

/** The cache key of a request: a navigation is kept under the page's address without its query. @param {Request} request */
function cacheKey(request) {
  if (request.mode !== 'navigate') return request;
  const url = new URL(request.url);
  url.search = '';
  url.hash = '';
  return url.href;
}

/** @param {Request} request */
async function cacheFirst(request) {
  const cache = await caches.open(kVersion);
  const key = cacheKey(request);
  const hit = await cache.match(key);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && !response.redirected) await cache.put(key, response.clone());
  return response;
}

/** @param {Request} request */
async function networkFirst(request) {
  const cache = await caches.open(kVersion);
  const key = cacheKey(request);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path.startsWith(kModelsPath)) return;
  const serve = path.startsWith(kOrtPath) || kSite.version !== 'dev' ? cacheFirst : networkFirst;
  event.respondWith(serve(request).then(withSiteHeaders));
});
