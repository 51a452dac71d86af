// @ts-check
// Where this code runs: the one test of it (isNode), and the few things that differ by it,
// shared by the modules that differ between Node and browsers (codec loading, model files and
// cache, ONNX Runtime, the worker, the public API's settings).

/** True in Node (not in a browser, a worker or a bundler's browser build). */
export const isNode =
  typeof process === 'object' && process !== null && typeof process.versions?.node === 'string' &&
  typeof window === 'undefined';

/**
 * Imports a module by a name held in a variable, so that bundlers leave Node's modules (node:fs,
 * onnxruntime-node) alone (and the comments keep Vite and webpack from warning about it).
 * @param {string} name @returns {Promise<any>}
 */
export const nodeImport = (name) => import(/* @vite-ignore */ /* webpackIgnore: true */ name);

/**
 * A folder's absolute URL with a trailing slash: a relative one is resolved against the page
 * (browsers, workers) or taken as it is (Node).
 * @param {string|URL} url
 */
export function absoluteFolder(url) {
  const href = new URL(url, isNode ? undefined : globalThis.location?.href).href;
  return href.endsWith('/') ? href : href + '/';
}
