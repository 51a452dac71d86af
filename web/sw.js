// @file Service worker of the demo page: keeps the page, the library, the WASM codec and ONNX
// Runtime Web for offline use. The model files are not kept here: web/lib/model_store.js keeps
// them (checked by sha256) in its own cache, so they are not stored twice.
//
//   page, lib/, lib/wasm/   network first (fresh code when online), the cached copy offline
//   /ort/                   cache first: the version is pinned by package-lock.json, and a
//                           new version of this file (kVersion) starts an empty cache
//   /models/                not handled (model_store.js)
const kVersion = 'kolmo-app-1';
const kShell = ['./', './index.html', './app.js', './style.css', './lib/index.js', './lib/messages.js',
  './lib/model_store.js', './lib/codec.js', './lib/model_manifest.js', './lib/worker.js', './lib/engine.js',
  './lib/model.js', './lib/pipeline.js', './lib/onnx_weights.js', './lib/errors.js', './lib/wasm/kolmo_wasm.js',
  './lib/wasm/kolmo_wasm.wasm'];

// Folders beside this file (the page may be served below a path prefix).
const kModelsPath = new URL('./models/', self.location.href).pathname;
const kOrtPath = new URL('./ort/', self.location.href).pathname;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(kVersion)
      // One by one: a missing file must not keep the others out (runtime caching fills in).
      .then((cache) => Promise.allSettled(kShell.map((path) => cache.add(path))))
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

/** @param {Request} request */
async function cacheFirst(request) {
  const cache = await caches.open(kVersion);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

/** @param {Request} request */
async function networkFirst(request) {
  const cache = await caches.open(kVersion);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
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
  if (path.startsWith(kOrtPath)) {
    event.respondWith(cacheFirst(request));
    return;
  }
  event.respondWith(networkFirst(request));
});
