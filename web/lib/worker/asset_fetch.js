// @ts-check
// @file fetch() for kolmo's own files (the WASM module, the model manifest, model files), with
// errors that say which URL failed, what came back instead of the file, and what to do: the
// usual failure in an app is a server that answers a missing file with 404 or with its
// index.html (a single-page app's fallback), because the file was never copied or the base
// path is wrong. model_store.js and codec.js use it; no DOM.
import { KolmoError } from '../shared/errors.js';

/**
 * @typedef {object} Asset  what is being fetched, for the error messages
 * @property {string} what  e.g. 'the kolmo model manifest (JSON)'
 * @property {string} fix  what to do when it is missing, e.g. 'set modelBaseUrl to …'
 * @property {string} code  the KolmoError code of a failure ('model_unavailable', 'wasm_unavailable')
 */

/**
 * Fetches `url` and returns the response once it is known to be the file: HTTP 2xx and not an
 * HTML page. Throws KolmoError(asset.code) naming the URL, what came back and asset.fix.
 * @param {string} url @param {Asset} asset @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<Response>}
 */
export async function fetchAsset(url, asset, { signal } = {}) {
  let response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    const reason = /** @type {any} */ (error)?.message ?? error;
    throw new KolmoError(asset.code, `could not download ${asset.what} from ${url} (offline, a blocked ` +
      `cross-origin request, or a Content-Security-Policy connect-src that does not allow it?): ${reason}`);
  }
  if (!response.ok) {
    throw new KolmoError(asset.code, `${url} answered HTTP ${response.status} where ${asset.what} was expected: ` +
      `the file is not served there. ${asset.fix}`);
  }
  const type = response.headers.get('content-type') ?? '';
  if (/^text\/html\b/i.test(type)) {
    throw new KolmoError(asset.code, `${url} answered an HTML page where ${asset.what} was expected: the ` +
      `server returns its index.html for files it does not have (a single-page app's fallback), so the ` +
      `file is not served there. ${asset.fix}`);
  }
  return response;
}

/** Whether bytes look like the start of an HTML page (a fallback served with another type). @param {Uint8Array} bytes */
export function looksLikeHtml(bytes) {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<head') || head.startsWith('<script');
}

/** The model files' fix, shared by the manifest and the files. @param {boolean} custom whether modelBaseUrl was given */
export function modelFix(custom) {
  return custom
    ? 'Check modelBaseUrl: it must be the folder that holds manifest.json and one folder per model id ' +
      "(a copy of the kolmo package's models/ folder)."
    : "Serve the kolmo package's files as they are (a bundler that follows new URL(…, import.meta.url) " +
      "copies them: Vite, webpack 5), or copy the package's models/ folder to your site and pass " +
      'modelBaseUrl (README: Use with a bundler).';
}
