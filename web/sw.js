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
//   navigations                       kept and fetched under the page's address alone: a query
//                                     (?backend=, ?share=) never reaches the network or the cache
//   POST ./share                      the share target (manifest.webmanifest): the shared text
//                                     stays in this worker's memory until the page takes it (a
//                                     message), never in a request, a URL or Cache Storage
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

/**
 * What to fetch and keep for a request: a navigation becomes its page's address without query
 * or fragment (the site's pages are static files, the same for any query), so that a query —
 * text shared by an older manifest's GET share target, say — reaches neither the host nor the
 * cache, not even as a stored response's URL.
 * @param {Request} request @returns {Request|string}
 */
function cacheKey(request) {
  if (request.mode !== 'navigate') return request;
  const url = new URL(request.url);
  url.search = '';
  url.hash = '';
  return url.href;
}

/**
 * Fetches what cacheKey() names: a navigation's page without its query. A redirect is handed to
 * the navigation as one (redirect: 'manual'), which follows it itself: a followed redirect is an
 * error for a navigation, and is not kept.
 * @param {Request} request @param {Request|string} key
 */
const fetchFor = (request, key) => (request.mode === 'navigate' ? fetch(key, { redirect: 'manual' }) : fetch(request));

/** @param {Request} request */
async function cacheFirst(request) {
  const cache = await caches.open(kVersion);
  const key = cacheKey(request);
  const hit = await cache.match(key);
  if (hit) return hit;
  const response = await fetchFor(request, key);
  if (response.ok && !response.redirected) await cache.put(key, response.clone());
  return response;
}

/** @param {Request} request */
async function networkFirst(request) {
  const cache = await caches.open(kVersion);
  const key = cacheKey(request);
  try {
    const response = await fetchFor(request, key);
    if (response.ok && !response.redirected) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw error;
  }
}

// ---- the share target ----

// manifest.webmanifest's share_target posts here (multipart/form-data): the text goes to the page
// through this worker's memory, never through the network, a URL or Cache Storage.
const kSharePath = new URL('./share', self.location.href).pathname;
// How long a shared text waits for its page, in this worker's memory only.
const kShareWaitMs = 60000;
/** Shared texts the page has not taken yet: id -> the parts and a function that ends the wait. @type {Map<string, {parts: string[], taken: () => void}>} */
const kShared = new Map();

/**
 * Keeps a shared text for the page and sends the app to the page with the text's id (a random
 * id, not the text): ./?share=<id>. The worker stays alive until the page takes it (or a minute).
 * @param {FetchEvent} event
 */
async function receiveShare(event) {
  /** @type {string[]} */
  let parts = [];
  try {
    const form = await event.request.formData();
    parts = ['title', 'text', 'url'].map((key) => form.get(key)).filter((v) => typeof v === 'string' && v !== '').map(String);
  } catch {
    // Not a form: the page opens with nothing shared.
  }
  const id = crypto.randomUUID();
  /** @type {() => void} */
  let taken = () => {};
  const wait = new Promise((resolve) => (taken = () => resolve(undefined)));
  kShared.set(id, { parts, taken });
  event.waitUntil(Promise.race([wait, new Promise((resolve) => setTimeout(resolve, kShareWaitMs))]).then(() => kShared.delete(id)));
  return Response.redirect(new URL(`./?share=${id}`, self.location.href).href, 303);
}

// The page asks for a shared text by its id ({type: 'take-share', id}, with a MessagePort for the
// answer {parts: string[]|null}); it is then forgotten.
self.addEventListener('message', (event) => {
  const data = event.data;
  if (data?.type !== 'take-share' || typeof data.id !== 'string') return;
  const entry = kShared.get(data.id);
  kShared.delete(data.id);
  entry?.taken();
  event.ports[0]?.postMessage({ parts: entry ? entry.parts : null });
});

// ---- requests ----

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && url.pathname === kSharePath) {
    event.respondWith(receiveShare(event));
    return;
  }
  if (request.method !== 'GET') return;
  const path = url.pathname;
  if (path.startsWith(kModelsPath)) return;
  const serve = path.startsWith(kOrtPath) || kSite.version !== 'dev' ? cacheFirst : networkFirst;
  event.respondWith(serve(request).then(withSiteHeaders));
});
