// @ts-check
// @file kolmo's public JS API: compress text into a short URL fragment and back, losslessly, with
// a small language model and an arithmetic coder. Works in browsers (the work runs in a Web
// Worker: worker/worker.js) and in Node (the same worker in a worker_threads thread).
//
//   import { compress, decompress } from 'kolmo';
//   const { fragment, stats } = await compress('Hello, world!');
//   location.hash = fragment;                       // share https://host/#<fragment>
//   const text = await decompress(location.hash);   // exactly 'Hello, world!'
//
// The model (models/manifest.json + models/<id>/) is downloaded once, checked against its sha256
// and id, and cached (Cache API in browsers, $XDG_CACHE_HOME/kolmo or ~/.cache/kolmo in Node).
// Errors are KolmoError with a stable `code` (see KolmoErrorCode); a link that cannot be
// restored exactly is an error, never a different text.
//
// The library by where it runs (README, Map): index.js and page/ in the caller's thread; worker/
// in the Web Worker (in Node: in-process, loaded by page/hosts.js); shared/ on both sides. A
// call goes index.js -> page/hosts.js -> (messages) -> worker/worker.js -> worker/engine.js ->
// worker/pipeline.js -> worker/model.js (ONNX Runtime) and worker/codec.js (the WASM core).
import { KolmoError } from './shared/errors.js';
import { Kind } from './shared/messages.js';
import { absoluteFolder, isNode } from './shared/env.js';
import { inProcessHost, nodeThreadHost, workerHost } from './page/hosts.js';

export { KolmoError };

/**
 * Stable error codes: the core's status names (truncated, bad_magic, unknown_version,
 * unknown_mode, unknown_model, checksum_mismatch, damaged_link, length_over_limit, corrupt,
 * bad_url_text, non_finite_logits, bad_argument, bad_tokenizer, out_of_memory) and those of the
 * JS layer: aborted, model_unavailable (a model file or the manifest could not be downloaded, or
 * the server answered 404 or an HTML page: the message names the URL and the fix),
 * model_mismatch (files do not match the manifest), bad_model, backend_failed,
 * webgpu_unavailable, ort_missing (an ONNX Runtime backend was asked for without ONNX Runtime
 * Web: npm install onnxruntime-web, and ortBaseUrl), wasm_unavailable (kolmo's .wasm could not
 * be loaded: the message names its URL), wasm_blocked (a Content-Security-Policy without
 * 'wasm-unsafe-eval'), not_utf8 (output 'text' of bytes that are not UTF-8), password_required
 * (an encrypted link opened without a password), wrong_password (a wrong password, or an
 * encrypted link changed after it was made), crypto_unavailable (no WebCrypto: a page over
 * plain http), worker_failed (the worker did not start or crashed: the message names its URL
 * and the cause), worker_blocked (a Content-Security-Policy blocked the worker), internal.
 * @typedef {'truncated'|'bad_magic'|'unknown_version'|'unknown_mode'|'unknown_model'|'checksum_mismatch'
 *   |'damaged_link'|'length_over_limit'|'corrupt'|'bad_url_text'|'non_finite_logits'|'bad_argument'
 *   |'bad_tokenizer'|'out_of_memory'|'aborted'|'model_unavailable'|'model_mismatch'|'bad_model'
 *   |'backend_failed'|'webgpu_unavailable'|'ort_missing'|'wasm_unavailable'|'wasm_blocked'|'not_utf8'
 *   |'password_required'|'wrong_password'|'crypto_unavailable'|'worker_failed'|'worker_blocked'|'internal'} KolmoErrorCode
 */

/**
 * @typedef {'auto'|'core'|'webgpu'|'wasm'|'node'} Backend
 * @typedef {'core'|'webgpu'|'wasm'|'node'} RunningBackend  a backend that ran the model
 *
 * @typedef {object} KolmoOptions
 * @property {Backend} [backend]  preferred backend, default 'auto' = 'core' (kolmo's own model
 *   engine, in its WASM module: browsers and Node). 'webgpu' (browsers) runs the model on ONNX
 *   Runtime Web's WebGPU backend, loaded only then (an optional peer dependency: npm install
 *   onnxruntime-web, and ortBaseUrl); 'wasm' and 'node' are ONNX Runtime's CPU builds (for
 *   comparisons; 'node' needs onnxruntime-node). A backend that fails falls back to 'core', and
 *   stats.fallback says why
 * @property {RunningBackend[]} [backends]  exact list to try, in order, with no other fallback
 *   (e.g. ['webgpu'] to insist on WebGPU)
 * @property {string|URL} [modelBaseUrl]  a folder with manifest.json and <id>/ (a copy of the
 *   package's models/), for self-hosting the model elsewhere. Default: the package's own files,
 *   which bundlers copy into the build (Vite, webpack 5) and a CDN serves as they are
 * @property {string|URL} [ortBaseUrl]  browsers, ONNX Runtime backends only: the folder with
 *   onnxruntime-web's dist/ files (no default: kolmo does not install ONNX Runtime)
 * @property {string|URL} [wasmUrl]  kolmo_wasm.wasm, for self-hosting it elsewhere (default: the
 *   package's own, web/lib/wasm/kolmo_wasm.wasm, which bundlers copy)
 * @property {boolean|string} [cache]  cache model files (default true); Node: a folder path
 * @property {boolean} [worker]  run the engine off the caller's thread (default true): a Web Worker in
 *   browsers, a worker_threads thread in Node; false: in the caller's thread (its event loop then
 *   runs every model step, and an abort waits for the step in progress)
 * @property {number} [threads]  ONNX Runtime CPU threads
 * @property {boolean} [gpuKvCache]  WebGPU: keep the KV cache in GPU buffers (default true)
 * @property {number} [workers]  threads that code a long text's segments side by side, or compute a
 *   text's model windows ahead of its coder (texts of over 256 tokens with kolmo's models; the
 *   same link as one thread; default: the device's cores, at most 4; 1: all on the engine's thread)
 * @property {number} [maxTextBytes]  the longest text a link may open to (default 4 MiB, the
 *   core's bound); a link that declares more is refused at once with its length, so a caller
 *   that trusts its links raises it, one that shows them to people may lower it
 * @property {{segmentTokens?: number, aboveTokens?: number}} [segmentRule]  where a long text is
 *   cut into segments (tests and benches; default: the core's rule, src/segments.h)
 *
 * @typedef {{phase: 'download'|'load'|'encode'|'decode', done: number, total?: number, fraction?: number,
 *   declared?: {mode: 'stored'|'cm'|'lm', textBytes: number, maxTokens: number}}} Progress
 *   declared: once, before decoding, what the link declares: the text's bytes (stored and cm;
 *   -1 for lm) and the most tokens its size class allows (lm; 0 when it has none)
 *   download: model bytes; load: session created (0/1); encode: tokens of total; decode:
 *   tokens so far, `fraction` of the link read (an estimate)
 *
 * @typedef {object} CallOptions
 * @property {(p: Progress) => void} [onProgress]
 * @property {AbortSignal} [signal]  aborting rejects with KolmoError 'aborted' (in browsers the
 *   worker is terminated; the next call starts a fresh one)
 *
 * @typedef {object} TokenCosts
 * @property {Uint32Array} lengths  byte length of each token (they add up to the text's bytes)
 * @property {Float32Array} bits  cost of each token in bits, -log2 p; one more entry at the
 *   end for the end-of-text token
 *
 * @typedef {object} CompressStats
 * @property {'stored'|'cm'|'lm'} mode  how the link is coded (lm = the language model)
 * @property {number} inputBytes
 * @property {number} containerBytes
 * @property {number} fragmentChars
 * @property {number} bitsPerByte  containerBytes * 8 / inputBytes (0 for empty input)
 * @property {string} modelId
 * @property {RunningBackend} backend
 * @property {string|null} fallback  why preferred backends were skipped, if they were
 * @property {number} tokens
 * @property {number} loadMs  model download + session creation (0 once loaded)
 * @property {number} codeMs
 * @property {TokenCosts} [tokenCosts]  with tokenCosts: true
 *
 * @typedef {object} DecompressStats
 * @property {'stored'|'cm'|'lm'} mode
 * @property {number} inputBytes  bytes of the restored text
 * @property {number} containerBytes
 * @property {string|null} modelId  null when the link needs no model
 * @property {RunningBackend|null} backend
 * @property {string|null} fallback
 * @property {number} tokens
 * @property {number} loadMs
 * @property {number} codeMs
 * @property {TokenCosts} [tokenCosts]
 *
 * @typedef {object} DecodedTokens  a batch of decoded tokens, NOT yet verified
 * @property {number} index  index of the first token
 * @property {Uint8Array} bytes  the tokens' bytes, concatenated (may split a UTF-8 character)
 * @property {Uint32Array} lengths
 * @property {Float32Array} [bits]  with tokenCosts: true
 */


// ---- settings ----

/** @param {KolmoOptions} options @returns {string[]} */
function backendList(options) {
  if (options.backends) {
    if (!Array.isArray(options.backends) || options.backends.length === 0) {
      throw new KolmoError('bad_argument', 'backends: expected a non-empty array');
    }
    return [...options.backends];
  }
  const backend = options.backend ?? 'auto';
  // 'core': the model engine inside kolmo's WASM module. The others are ONNX Runtime, loaded only
  // when asked for: WebGPU in browsers; its CPU builds to compare with ('node' needs the
  // onnxruntime-node package, which kolmo does not install).
  const known = isNode ? ['core', 'wasm', 'node'] : ['core', 'webgpu', 'wasm'];
  if (backend === 'auto') return ['core'];
  if (!known.includes(backend)) {
    throw new KolmoError('bad_argument', `backend ${JSON.stringify(backend)}: expected ${known.join(', ')}${isNode ? ' in Node' : ' in browsers'}`);
  }
  return backend === 'core' ? ['core'] : [backend, 'core'];
}

function defaultThreads() {
  if (isNode) return 1;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, Math.floor(cores / 2))) : 1;
}

/** @param {KolmoOptions} options @returns {import('./shared/messages.js').EngineSettings} */
function engineSettings(options) {
  return {
    backends: backendList(options),
    // null: the package's own files, found by the worker's literal new URL(…, import.meta.url)s
    // (worker/bundled_model.js, worker/codec.js), which bundlers follow and copy.
    modelBaseUrl: options.modelBaseUrl == null ? null : absoluteFolder(options.modelBaseUrl),
    ortBaseUrl: options.ortBaseUrl == null ? null : absoluteFolder(options.ortBaseUrl),
    ...(options.wasmUrl == null ? {} : { wasmUrl: absoluteUrl(options.wasmUrl) }),
    threads: options.threads ?? defaultThreads(),
    cache: typeof options.cache === 'string' ? options.cache : options.cache !== false,
    gpuKvCache: options.gpuKvCache ?? true,
    ...(options.workers == null ? {} : { workers: Math.max(1, Math.floor(options.workers)) }),
    ...(options.maxTextBytes == null ? {} : { maxTextBytes: options.maxTextBytes }),
    ...(options.segmentRule == null ? {} : { segmentRule: { ...options.segmentRule } }),
  };
}

/** A file's absolute URL: a relative one is resolved against the page. @param {string|URL} url */
function absoluteUrl(url) {
  return new URL(url, isNode ? undefined : globalThis.location?.href).href;
}

// ---- input and output ----

/** Whether a string has a lone surrogate (half of an emoji), which has no UTF-8 form. @param {string} s */
const hasLoneSurrogate = (s) =>
  typeof s.isWellFormed === 'function' ? !s.isWellFormed() : /[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));

/**
 * A password as given, or KolmoError: TextEncoder would turn a lone surrogate into U+FFFD, so two
 * different passwords would open the same links. @param {string|undefined} password
 */
function checkedPassword(password) {
  if (password !== undefined && password !== null && hasLoneSurrogate(String(password))) {
    throw new KolmoError('bad_argument', 'the password contains a lone surrogate (half of an emoji?), which has no UTF-8 form');
  }
  return password;
}

/** Text or bytes -> a private copy of the UTF-8 bytes. @param {string|Uint8Array|ArrayBuffer|ArrayBufferView} input */
function inputBytes(input) {
  if (typeof input === 'string') {
    // A lone surrogate has no UTF-8 form: TextEncoder would silently turn it into U+FFFD.
    if (hasLoneSurrogate(input)) {
      throw new KolmoError('bad_argument', 'the text contains a lone surrogate (half of an emoji?), which has no UTF-8 form');
    }
    return new TextEncoder().encode(input);
  }
  if (input instanceof ArrayBuffer) return new Uint8Array(input.slice(0));
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength).slice();
  throw new KolmoError('bad_argument', 'compress: expected a string, Uint8Array or ArrayBuffer');
}

/** @param {Uint8Array} bytes */
function decodeUtf8(bytes) {
  try {
    // ignoreBOM: a leading U+FEFF is part of the text and must come back.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new KolmoError('not_utf8', "the link holds bytes that are not UTF-8 text; use output: 'bytes'");
  }
}

// ---- the API ----

/**
 * A kolmo instance: one model and backend, loaded once, reused by every call. compress() and
 * decompress() at module level share one instance per distinct options.
 */
export class Kolmo {
  /** @type {import('./page/hosts.js').Host} */
  #host;
  #settings;

  /** @param {KolmoOptions} [options] */
  constructor(options = {}) {
    this.#settings = engineSettings(options);
    // onnxruntime-node (backend 'node', for comparisons) is a native addon that takes the whole
    // process down when its thread is terminated: it stays in the caller's thread.
    if (options.worker === false || (isNode && this.#settings.backends.includes('node'))) {
      this.#host = inProcessHost();
    } else if (isNode) {
      this.#host = nodeThreadHost(); // the event loop never runs a model step; aborts stop one
    } else {
      this.#host = typeof Worker === 'function' ? workerHost() : inProcessHost();
    }
  }

  /** The settings the engine runs with (absolute URLs, backend list). */
  get settings() {
    return { ...this.#settings, backends: [...this.#settings.backends] };
  }

  /**
   * Downloads (or takes from the cache) and starts the default model, so that the first
   * compress() or decompress() does not wait for it.
   * @param {CallOptions} [options]
   * @returns {Promise<{backend: RunningBackend, fallback: string|null, modelId: string}>}
   */
  load({ onProgress, signal } = {}) {
    return this.#host.call(Kind.load, { settings: this.#settings }, {
      signal, onEvent: (type, out) => type === Kind.progress && onProgress?.(out),
    });
  }

  /**
   * The core's limits, from the WASM module (no model is loaded): the largest text a link holds
   * and the most tokens the model codes (longer texts get a model-free link).
   * @param {CallOptions} [options]
   * @returns {Promise<{maxTextBytes: number, maxLmTokens: number}>}
   */
  limits({ signal } = {}) {
    return this.#host.call(Kind.limits, { settings: this.#settings }, { signal });
  }

  /**
   * Compresses text (a string, coded as UTF-8) or bytes into a container and its URL fragment
   * text. Never larger than the model-free fallbacks (stored, cm) would be.
   * @param {string|Uint8Array|ArrayBuffer} input
   * @param {CallOptions & {tokenCosts?: boolean, modes?: Array<'stored'|'cm'|'lm'>, password?: string}} [options]
   *   tokenCosts: add stats.tokenCosts; modes: the container modes to choose from, default all
   *   three (['lm'] insists on the model, e.g. to test a backend; KolmoError 'bad_argument' when
   *   no allowed mode can code the text); password: encrypt the link (PBKDF2 + AES-GCM in
   *   WebCrypto, 16 bytes more; docs/SECURITY.md); the text is compressed first, as without one
   * @returns {Promise<{bytes: Uint8Array, fragment: string, qrFragment: string, stats: CompressStats}>}
   *   bytes: the container (docs/FORMAT.md); fragment: the text after '#' in a link; qrFragment:
   *   the same bytes in the uppercase QR form (QR alphanumeric mode, ~25% smaller QR codes),
   *   which decompress() and the page open too
   */
  async compress(input, { onProgress, signal, tokenCosts = false, modes, password } = {}) {
    const bytes = inputBytes(input);
    checkedPassword(password);
    const out = await this.#host.call(Kind.compress, { settings: this.#settings, bytes, tokenCosts, modes, password }, {
      signal, onEvent: (type, p) => type === Kind.progress && onProgress?.(p),
    });
    const stats = { ...out.stats, bitsPerByte: out.stats.inputBytes ? (out.container.length * 8) / out.stats.inputBytes : 0 };
    return { bytes: out.container, fragment: out.fragment, qrFragment: out.qrFragment, stats };
  }

  /**
   * Restores the text of a link. `input`: fragment text (bare, "#…", or a whole URL), a
   * container, or the file form ("KLMO" + container). The result is returned only after the
   * integrity check passed; onTokens shows the text as it decodes, before that check.
   * @template {'text'|'bytes'} [O='text']
   * @param {string|Uint8Array|ArrayBuffer} input
   * @param {CallOptions & {output?: O, tokenCosts?: boolean, onTokens?: (t: DecodedTokens) => void,
   *   onStats?: (s: DecompressStats) => void, password?: string}} [options]
   *   output: 'text' (default; KolmoError 'not_utf8' if the bytes are not UTF-8) or 'bytes';
   *   onStats: receives the statistics just before the promise resolves; password: for an
   *   encrypted link (KolmoError 'password_required' without one, 'wrong_password' if wrong)
   * @returns {Promise<O extends 'bytes' ? Uint8Array : string>}
   */
  async decompress(input, { onProgress, onTokens, onStats, signal, tokenCosts = false, output, password } = {}) {
    checkedPassword(password);
    const message = typeof input === 'string'
      ? { fragment: input }
      : { container: inputBytes(/** @type {Uint8Array|ArrayBuffer} */ (input)) };
    const out = await this.#host.call(Kind.decompress, {
      settings: this.#settings, ...message, tokenCosts, wantTokens: Boolean(onTokens), password,
    }, {
      signal,
      onEvent: (type, data) => {
        if (type === Kind.progress) onProgress?.(data);
        else if (type === Kind.tokens) onTokens?.(data);
      },
    });
    onStats?.(out.stats);
    return /** @type {any} */ (output === 'bytes' ? out.bytes : decodeUtf8(out.bytes));
  }

  /** Stops the worker (browsers) or frees the sessions (Node). The instance can be used again. */
  dispose() {
    this.#host.dispose();
  }
}

/** @type {Map<string, Kolmo>} */
const shared = new Map();

/** The shared instance for these options. @param {KolmoOptions} options */
function sharedKolmo(options) {
  const { onProgress, signal, onTokens, onStats, output, tokenCosts, modes, password, ...rest } = /** @type {any} */ (options);
  const key = JSON.stringify(engineSettings(rest)) + (rest.worker === false ? ':inline' : '');
  let kolmo = shared.get(key);
  if (!kolmo) {
    kolmo = new Kolmo(rest);
    shared.set(key, kolmo);
  }
  return kolmo;
}

/**
 * Compresses text or bytes; see Kolmo#compress. Options combine KolmoOptions (which model and
 * backend) with the call's options.
 * @param {string|Uint8Array|ArrayBuffer} input
 * @param {KolmoOptions & CallOptions & {tokenCosts?: boolean, modes?: Array<'stored'|'cm'|'lm'>, password?: string}} [options]
 *   password: encrypt the link (see Kolmo#compress)
 * @returns {Promise<{bytes: Uint8Array, fragment: string, qrFragment: string, stats: CompressStats}>}
 */
export async function compress(input, options = {}) {
  return sharedKolmo(options).compress(input, options);
}

/**
 * Restores the text (or bytes) of a link; see Kolmo#decompress.
 * @template {'text'|'bytes'} [O='text']
 * @param {string|Uint8Array|ArrayBuffer} input
 * @param {KolmoOptions & CallOptions & {output?: O, tokenCosts?: boolean,
 *   onTokens?: (t: DecodedTokens) => void, onStats?: (s: DecompressStats) => void, password?: string}} [options]
 *   password: for an encrypted link (see Kolmo#decompress)
 * @returns {Promise<O extends 'bytes' ? Uint8Array : string>}
 */
export async function decompress(input, options = {}) {
  return sharedKolmo(options).decompress(input, options);
}

/**
 * Loads the model ahead of time for these options; see Kolmo#load.
 * @param {KolmoOptions & CallOptions} [options]
 */
export async function load(options = {}) {
  return sharedKolmo(options).load(options);
}
