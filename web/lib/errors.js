// @ts-check
// @file The library's error type and how a failure is classified: KolmoError (re-exported by
// codec.js and index.js) and isOutOfMemory, used by the engine (in-process or in the worker) and
// by index.js for a worker that crashed.

/** An error from the kolmo core: `code` is the stable status name, e.g. 'checksum_mismatch'. */
export class KolmoError extends Error {
  /**
   * @param {string} code stable status name (kolmo::statusName), e.g. 'truncated'
   * @param {string} [message]
   */
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'KolmoError';
    this.code = code;
  }
}

// Memory exhaustion as the core (std::bad_alloc), Emscripten (Cannot enlarge memory, Aborted(OOM)),
// ONNX Runtime and the JS engines word it. Not a trap such as "memory access out of bounds": that
// is a bug, not a lack of memory.
const kOutOfMemory =
  /out of memory|bad_alloc|Cannot enlarge memory|failed to allocate|could not allocate|Array buffer allocation failed|Aborted\(OOM\)|\bOOM\b/i;

/**
 * Whether a thrown value (or a worker's error message) says that memory ran out: the messages
 * above, or a RangeError about memory, allocation or a buffer (a typed array or WebAssembly.Memory
 * that could not be allocated).
 * @param {unknown} error @returns {boolean}
 */
export function isOutOfMemory(error) {
  const message = String(/** @type {any} */ (error)?.message ?? error);
  const rangeError = error instanceof RangeError || /^(Uncaught )?RangeError\b/.test(message);
  return kOutOfMemory.test(message) || (rangeError && /memory|allocat|buffer/i.test(message));
}
