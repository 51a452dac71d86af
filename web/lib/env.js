// @ts-check
// Where this code runs: the one test of it, shared by the modules that differ between Node
// and browsers (codec loading, model files and cache, ONNX Runtime, the worker).

/** True in Node (not in a browser, a worker or a bundler's browser build). */
export const isNode =
  typeof process === 'object' && process !== null && typeof process.versions?.node === 'string' &&
  typeof window === 'undefined';
