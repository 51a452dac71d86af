// @ts-check
// @file Model files by URL: fetches models/manifest.json and a model's files, checks them
// against the manifest (sha256 and the content-derived id, model_manifest.js) and keeps them in
// a cache — the Cache API in browsers and workers, a folder in Node ($XDG_CACHE_HOME/kolmo or
// ~/.cache/kolmo). A file from the cache is checked again before use, so a damaged cache costs a
// download, never a wrong model. file: URLs (the npm package's own models/) are read in place.
//
//   const manifest = await loadManifest(baseUrl);
//   const files = await loadModelFiles(manifestEntry(manifest), { baseUrl, onProgress });
//   const model = await loadModelFiles(entry, { baseUrl, use: (files) => start(files), discard });
//
// With `use`, what the caller makes of the files (a model on its engine) is made while their
// sha256 is being checked (WebCrypto hashes off the calling thread), and handed back only once
// they match: opening a link with the model cached does not wait for the hash on top of the
// engine's start, and a damaged file still never gets as far as coding a link.
//
// No DOM, no ONNX Runtime.
import { KolmoError } from '../shared/errors.js';
import { absoluteFolder, isNode, nodeImport } from '../shared/env.js';
import { concatBytes } from './bytes.js';
import { verifyModelFiles } from './model_manifest.js';
import { throwIfAborted } from './pacing.js';
import { fetchAsset, looksLikeHtml, modelFix } from './asset_fetch.js';
import { kBundledModelFiles, kBundledModelId, kManifestUrl, otherModelsFolder } from './bundled_model.js';

/** The files a model needs at run time (tokenizer.json is for other tools). */
export const kModelFiles = Object.freeze(['model.onnx', 'tokenizer.kbpe']);
/** Cache API cache name (browsers); bump the suffix if the stored layout changes. */
export const kCacheName = 'kolmo-models-1';


// ---- caches ----

/**
 * @typedef {object} ByteCache
 * @property {(key: string) => Promise<Uint8Array|null>} get
 * @property {(key: string, bytes: Uint8Array) => Promise<void>} put
 * @property {(key: string) => Promise<void>} remove
 */

/** Cache API store (browsers, workers, secure contexts). @returns {Promise<ByteCache|null>} */
async function openCacheApi() {
  if (typeof caches === 'undefined') return null;
  let cache;
  try {
    cache = await caches.open(kCacheName);
  } catch {
    return null; // e.g. storage disabled in a private window: work without a cache
  }
  return {
    async get(key) {
      const hit = await cache.match(key);
      return hit ? new Uint8Array(await hit.arrayBuffer()) : null;
    },
    async put(key, bytes) {
      try {
        await cache.put(key, new Response(/** @type {BodyInit} */ (bytes)));
      } catch {
        // quota exceeded: the model still works, it is fetched again next time
      }
    },
    async remove(key) {
      await cache.delete(key);
    },
  };
}

/** The Node cache folder: $XDG_CACHE_HOME/kolmo, else ~/.cache/kolmo. */
export async function defaultCacheDir() {
  const { homedir } = await nodeImport('node:os');
  const { join } = await nodeImport('node:path');
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'kolmo');
}

/** Folder store (Node). Keys are URLs; files live under <dir>/models/<host>/<path>. */
async function openFolderCache(/** @type {string} */ dir) {
  const fs = await nodeImport('node:fs/promises');
  const { join, dirname } = await nodeImport('node:path');
  const pathOf = (/** @type {string} */ key) => {
    const url = new URL(key);
    const parts = [url.host || 'local', ...url.pathname.split('/')].filter((p) => p && p !== '.' && p !== '..');
    return join(dir, 'models', ...parts.map((p) => p.replace(/[^\w.-]/g, '_')));
  };
  /** @type {ByteCache} */
  const store = {
    async get(key) {
      try {
        return new Uint8Array(await fs.readFile(pathOf(key)));
      } catch {
        return null;
      }
    },
    async put(key, bytes) {
      const path = pathOf(key);
      const tmp = `${path}.${process.pid}.tmp`;
      try {
        await fs.mkdir(dirname(path), { recursive: true });
        await fs.writeFile(tmp, bytes);
        await fs.rename(tmp, path); // atomic: a reader never sees half a file
      } catch {
        await fs.rm(tmp, { force: true }).catch(() => {});
      }
    },
    async remove(key) {
      await fs.rm(pathOf(key), { force: true });
    },
  };
  return store;
}

/**
 * The store for `cache`: false = none; a string = that folder (Node); true/undefined = the
 * default (Cache API in browsers, defaultCacheDir() in Node).
 * @param {boolean|string|undefined} cache @returns {Promise<ByteCache|null>}
 */
async function openStore(cache) {
  if (cache === false) return null;
  if (isNode) return openFolderCache(typeof cache === 'string' ? cache : await defaultCacheDir());
  return openCacheApi();
}

// ---- fetching ----

/**
 * Reads a URL completely: file: URLs from disk (Node), others with fetch(), streaming so that
 * progress can be reported and a body larger than `maxBytes` is refused early. A 404, an HTML
 * page or a failed download is KolmoError('model_unavailable') naming the URL, what was
 * expected and the fix (asset_fetch.js).
 * @param {string} url @param {{signal?: AbortSignal, maxBytes?: number, onBytes?: (n: number) => void,
 *   what: string, fix: string}} options  what: the file expected; fix: what to do when it is missing
 * @returns {Promise<Uint8Array>}
 */
async function readUrl(url, { signal, maxBytes = Infinity, onBytes, what, fix }) {
  throwIfAborted(signal);
  if (url.startsWith('file:')) {
    if (!isNode) throw new KolmoError('model_unavailable', `cannot read ${url} here (a file: URL in a browser, where ${what} was expected). ${fix}`);
    const { readFile } = await nodeImport('node:fs/promises');
    const { fileURLToPath } = await nodeImport('node:url');
    let bytes;
    try {
      bytes = new Uint8Array(await readFile(fileURLToPath(url)));
    } catch (error) {
      throw new KolmoError('model_unavailable', `${url}: ${/** @type {any} */ (error)?.code ?? error} (${what} was expected there). ${fix}`);
    }
    onBytes?.(bytes.length);
    return bytes;
  }
  let response;
  try {
    response = await fetchAsset(url, { what, fix, code: 'model_unavailable' }, { signal });
  } catch (error) {
    throwIfAborted(signal);
    throw error;
  }
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onBytes?.(bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) throw new KolmoError('model_mismatch', `${url} is larger than the ${maxBytes} bytes expected`);
      chunks.push(value);
      onBytes?.(value.length);
    }
  } catch (error) {
    throwIfAborted(signal);
    if (error instanceof KolmoError) throw error;
    throw new KolmoError('model_unavailable', `download of ${url} failed: ${/** @type {any} */ (error)?.message ?? error}`);
  } finally {
    reader.releaseLock?.();
  }
  return concatBytes(chunks);
}

// ---- public ----

/**
 * Where a model file comes from: under `baseUrl` when the caller gave one (modelBaseUrl); else
 * the default model's bundled URL (bundled_model.js), and any other model (an old link's) from
 * the package's models/ folder. Returns the URL and the sentence that says what to do if it is
 * not there.
 * @param {string|null} baseUrl @param {string} id @param {string} name
 * @returns {{url: string, fix: string}}
 */
function modelFileSource(baseUrl, id, name) {
  if (baseUrl) return { url: absoluteFolder(baseUrl) + encodeURIComponent(id) + '/' + name, fix: modelFix(true) };
  if (id === kBundledModelId) return { url: /** @type {Record<string, URL>} */ (kBundledModelFiles)[name].href, fix: modelFix(false) };
  const fix = `This link was made with the older model ${id}, which the npm package does not include ` +
    `(only the default model ${kBundledModelId} is). Open it on the kolmo page, which serves every model, or copy ` +
    `the models/ folder of the kolmo repository (manifest.json and ${id}/) to a folder and pass it as modelBaseUrl ` +
    '(the CLI: --models DIR).';
  const folder = otherModelsFolder();
  if (!folder) throw new KolmoError('model_unavailable', fix);
  return { url: folder + encodeURIComponent(id) + '/' + name, fix };
}

/**
 * Fetches manifest.json from `baseUrl` (null: the package's own, bundled_model.js): network
 * first, the cached copy when offline (the manifest changes when models are added, so it is not
 * cache-first).
 * @param {string|URL|null} baseUrl the models folder's URL, or null for the package's own
 * @param {{signal?: AbortSignal, cache?: boolean|string}} [options]
 * @returns {Promise<any>} the parsed manifest
 */
export async function loadManifest(baseUrl, { signal, cache } = {}) {
  const url = baseUrl ? absoluteFolder(baseUrl) + 'manifest.json' : kManifestUrl.href;
  const what = 'the kolmo model manifest (JSON)';
  const fix = modelFix(Boolean(baseUrl));
  // file: (Node, the package's own) and data: (a bundler inlined the small manifest) need no cache.
  const store = /^(file|data):/.test(url) ? null : await openStore(cache);
  let bytes;
  try {
    bytes = await readUrl(url, { signal, maxBytes: 1 << 24, what, fix });
  } catch (error) {
    const cached = await store?.get(url);
    if (!cached) throw error;
    bytes = cached;
  }
  let manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    const html = looksLikeHtml(bytes);
    throw new KolmoError('model_unavailable', `${url} answered ${html ? 'an HTML page' : 'something that is not JSON'} where ` +
      `${what} was expected${html ? ': the server returns its index.html for files it does not have' : ''}. ${fix}`);
  }
  if (!manifest || typeof manifest !== 'object' || !manifest.models) {
    throw new KolmoError('unknown_model', `${url} is JSON but not a kolmo model manifest (no "models"). ${fix}`);
  }
  await store?.put(url, bytes);
  return manifest;
}

/**
 * Loads and checks the run-time files of one model (manifest entry from manifestEntry() or
 * entryForLinkIndex()): cache first, else download (then cache). Throws KolmoError:
 * model_unavailable (download failed, 404, an HTML page; the message names the URL and the
 * fix), model_mismatch (files do not hash to the entry, even after a fresh download), aborted.
 *
 * Without `use` the result is the files; with it, use(files), called as soon as the files are
 * read (their sizes checked) while their sha256 is being computed, and returned only once the
 * files match the manifest. When they do not, the result (if any) goes to `discard` and use's
 * own error (a file that is not a model, say) gives way to the mismatch: a damaged cache entry
 * is dropped and the files are downloaded, then used, again. An error of use with matching
 * files is thrown as it is.
 * @template [T=Record<string, Uint8Array>]
 * @param {{id: string, files: Record<string, {bytes: number, sha256: string}>}} entry
 * @param {{baseUrl: string|URL|null, signal?: AbortSignal, cache?: boolean|string,
 *   onProgress?: (p: {phase: 'download', done: number, total: number}) => void,
 *   use?: (files: Record<string, Uint8Array>) => T|Promise<T>, discard?: (made: T) => unknown}} options
 *   baseUrl: the models folder (modelBaseUrl), or null for the package's own files
 * @returns {Promise<T>} use(files); without use: file name -> bytes, for kModelFiles
 */
export async function loadModelFiles(entry, options) {
  const { baseUrl, signal, cache, onProgress, discard } = options;
  const use = options.use ?? ((/** @type {Record<string, Uint8Array>} */ files) => /** @type {T} */ (/** @type {unknown} */ (files)));
  const sources = Object.fromEntries(kModelFiles.map((name) => [name, modelFileSource(baseUrl ? String(baseUrl) : null, entry.id, name)]));
  const local = kModelFiles.every((name) => /^(file|data):/.test(sources[name].url));
  const store = local ? null : await openStore(cache);
  const total = kModelFiles.reduce((sum, name) => sum + (entry.files?.[name]?.bytes ?? 0), 0);
  let done = 0;
  const bump = (/** @type {number} */ n) => {
    done += n;
    onProgress?.({ phase: 'download', done: Math.min(done, total), total });
  };

  /** @type {Record<string, Uint8Array>} */
  const files = {};
  const fromCache = new Set();
  for (const name of kModelFiles) {
    throwIfAborted(signal);
    const cached = await store?.get(sources[name].url);
    if (cached) {
      files[name] = cached;
      fromCache.add(name);
      bump(cached.length);
    }
  }
  for (const name of kModelFiles) {
    if (files[name]) continue;
    const { url, fix } = sources[name];
    const what = `${name} of the kolmo model ${entry.id} (${entry.files?.[name]?.bytes ?? '?'} bytes)`;
    const expected = entry.files?.[name]?.bytes;
    const bytes = await readUrl(url, { signal, maxBytes: expected, onBytes: bump, what, fix });
    if (expected !== undefined && bytes.length !== expected && !looksLikeHtml(bytes)) {
      throw new KolmoError('model_mismatch', `${url} has ${bytes.length} bytes where ${what} was expected: the server ` +
        'sends a truncated or a different file (an old copy? a proxy that cuts downloads?). ' + fix);
    }
    if (looksLikeHtml(bytes)) {
      throw new KolmoError('model_unavailable', `${url} answered an HTML page where ${what} was expected. ${fix}`);
    }
    files[name] = bytes;
  }
  const verified = verifyModelFiles(entry, files); // hashing starts now, off this thread
  verified.catch(() => {}); // awaited below, after use()
  /** @type {{made: T}|null} */
  let result = null;
  let useError = null;
  // Files of the wrong size (truncated) are never used: verified fails on them.
  if (kModelFiles.every((name) => files[name].length === entry.files?.[name]?.bytes)) {
    try {
      result = { made: await use(files) };
    } catch (error) {
      useError = error;
    }
  }
  try {
    await verified;
  } catch (error) {
    if (result) await discard?.(result.made);
    if (fromCache.size === 0) {
      const urls = kModelFiles.map((name) => sources[name].url).join(', ');
      throw new KolmoError(/** @type {any} */ (error)?.code ?? 'model_mismatch', `${/** @type {any} */ (error)?.message?.replace(/^\w+: /, '') ?? error} ` +
        `(downloaded from ${urls}: a truncated or different file; if the server is right, clear its caches)`);
    }
    // A damaged cache entry: forget the cached files and download them once more.
    for (const name of fromCache) await store?.remove(sources[name].url);
    return loadModelFiles(entry, options);
  }
  if (useError || !result) throw useError;
  for (const name of kModelFiles) if (!fromCache.has(name)) await store?.put(sources[name].url, files[name]);
  return result.made;
}

/**
 * Removes cached model files and manifests (all models). For tests and a "forget" button.
 * @param {{cache?: boolean|string}} [options]
 */
export async function clearModelCache({ cache } = {}) {
  if (cache === false) return;
  if (isNode) {
    const { rm } = await nodeImport('node:fs/promises');
    const { join } = await nodeImport('node:path');
    await rm(join(typeof cache === 'string' ? cache : await defaultCacheDir(), 'models'), { recursive: true, force: true });
  } else if (typeof caches !== 'undefined') {
    await caches.delete(kCacheName);
  }
}
