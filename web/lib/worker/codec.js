// @file The kolmo WASM codec for JS: loads kolmo_wasm.wasm (browsers, workers, Node >= 18) and
// offers the core as an idiomatic API: typed arrays in and out, KolmoError on failure, and
// no Embind handles for the caller to .delete() (objects that hold WASM memory are freed when
// their work ends — an encoder at finish() — or by dispose(); a FinalizationRegistry is the
// safety net for forgotten ones).
//
//   import { loadCodec } from './codec.js';
//   const codec = await loadCodec();
//   const text = codec.urlEncode(bytes);
//
// The Embind module itself (wasm/bindings.cpp, typed in wasm/kolmo_wasm.d.ts) is reachable
// as codec.wasm for tests; code outside web/lib should not need it. The rounding layer's insides
// are not in this module: tests reach them through the test module (tests/node/test_codec.mjs).

import createKolmoModule from '../wasm/kolmo_wasm.js';
import { KolmoError } from '../shared/errors.js';
import { isNode } from '../shared/env.js';
import { fetchAsset } from './asset_fetch.js';

// ---- errors ----

export { KolmoError }; // defined in errors.js, offered here too

// ---- loading ----

const kWasmUrl = new URL('../wasm/kolmo_wasm.wasm', import.meta.url);
// import.meta.url on its own: new URL(variable, import.meta.url) makes webpack warn.
const kModuleUrl = import.meta.url;

let defaultCodec = null;

/**
 * Loads the WASM module once and returns a Codec. Without options the instance is shared;
 * with options a new instance is created.
 * @param {{wasmBinary?: ArrayBuffer|Uint8Array, wasmUrl?: string|URL}} [options]
 *   wasmBinary: the .wasm bytes (skips fetching); wasmUrl: where to fetch it from (default:
 *   kolmo_wasm.wasm beside this module's wasm/ folder).
 * @returns {Promise<Codec>}
 */
export function loadCodec(options) {
  if (options === undefined) {
    defaultCodec ??= instantiate({}).catch((error) => {
      defaultCodec = null; // a failed load (e.g. offline) may be retried
      throw error;
    });
    return defaultCodec;
  }
  return instantiate(options);
}

async function instantiate({ wasmBinary, wasmUrl } = {}) {
  const url = wasmUrl === undefined ? kWasmUrl : new URL(wasmUrl, kModuleUrl);
  const moduleOptions = {};
  /** @type {ReturnType<typeof instantiateStreaming>|null} */
  let streamed = null;
  const fix = "Serve the kolmo package's web/lib/wasm/kolmo_wasm.wasm at that URL (a bundler that follows " +
    'new URL(…, import.meta.url) copies it: Vite, webpack 5), or pass wasmUrl (README: Use with a bundler).';
  if (wasmBinary !== undefined) {
    moduleOptions.wasmBinary = wasmBinary;
  } else if (isNode && url.protocol === 'file:') {
    // Node's fetch() does not read file: URLs, which the Emscripten loader would try, so the
    // bytes are read here. The specifier is a variable so that bundlers leave it alone.
    const fsModule = 'node:fs/promises';
    const { readFile } = await import(/* @vite-ignore */ /* webpackIgnore: true */ fsModule);
    try {
      moduleOptions.wasmBinary = await readFile(url);
    } catch (error) {
      throw new KolmoError('wasm_unavailable', `could not read kolmo's WebAssembly module ${url.href}: ${/** @type {any} */ (error)?.code ?? error}`);
    }
  } else if (url.protocol === 'file:') {
    throw new KolmoError('wasm_unavailable', `kolmo's WebAssembly module has a file: URL here (${url.href}), which a page cannot load. ${fix}`);
  } else {
    // Fetched here rather than by the Emscripten loader, so that a 404 or an HTML page (an app's
    // fallback) is reported with its URL and the fix, not as a compile error. Compiled from the
    // stream (instantiateStreaming): as it arrives, and with the browser's cache of compiled code
    // for that response, so a page that opens the link again skips the optimizing compile. A
    // server that sends another Content-Type than application/wasm gets the bytes compiled.
    const response = await fetchAsset(url.href, { what: "kolmo's WebAssembly module (application/wasm)", fix, code: 'wasm_unavailable' });
    streamed = instantiateStreaming(response);
    moduleOptions.instantiateWasm = streamed.hook;
  }
  try {
    const wasm = await (streamed ? Promise.race([createKolmoModule(moduleOptions), streamed.failed]) : createKolmoModule(moduleOptions));
    return new Codec(wasm);
  } catch (error) {
    const message = String(/** @type {any} */ (error)?.message ?? error);
    if (/unsafe-eval|Content.Security.Policy|CSP/i.test(message)) {
      throw new KolmoError('wasm_blocked', `the page's Content-Security-Policy does not allow WebAssembly: add ` +
        `'wasm-unsafe-eval' to its script-src (${message})`);
    }
    throw new KolmoError('wasm_unavailable', `could not start kolmo's WebAssembly module from ${url.href}: ${message}. ${fix}`);
  }
}

/**
 * Emscripten's instantiateWasm hook for a fetched .wasm response: WebAssembly.instantiateStreaming,
 * or the bytes compiled where the response is not served as application/wasm; `failed` rejects
 * when that fails (the module's start would wait for ever).
 * @param {Response} response
 * @returns {{hook: (imports: any, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {}, failed: Promise<never>}}
 */
function instantiateStreaming(response) {
  /** @type {(error: unknown) => void} */
  let fail = () => {};
  const failed = new Promise((_, reject) => (fail = reject));
  const hook = (/** @type {any} */ imports, /** @type {(instance: WebAssembly.Instance, module: WebAssembly.Module) => void} */ receive) => {
    const streaming = typeof WebAssembly.instantiateStreaming === 'function' && /^application\/wasm\b/i.test(response.headers.get('content-type') ?? '');
    const instantiated = streaming
      ? WebAssembly.instantiateStreaming(response, imports)
      : response.arrayBuffer().then((buffer) => WebAssembly.instantiate(buffer, imports));
    instantiated.then(({ instance, module }) => receive(instance, module), fail);
    return {};
  };
  return { hook, failed };
}

// ---- helpers ----

// Handles whose JS owner was garbage-collected without dispose(): delete them then.
const leakedHandles =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry((handle) => {
        if (!handle.isDeleted()) handle.delete();
      })
    : null;

// Base of JS objects that own one Embind handle.
class Owned {
  #handle;
  constructor(handle) {
    this.#handle = handle;
    leakedHandles?.register(this, handle, this);
  }
  /** The Embind handle; throws after dispose(). */
  get handle() {
    if (this.#handle === null) throw new KolmoError('bad_argument', `${this.constructor.name} used after dispose()`);
    return this.#handle;
  }
  /** Frees the WASM memory now (idempotent). */
  dispose() {
    if (this.#handle !== null) {
      leakedHandles?.unregister(this);
      this.#handle.delete();
      this.#handle = null;
    }
  }
  get disposed() {
    return this.#handle === null;
  }
}
if (typeof Symbol.dispose === 'symbol') {
  Owned.prototype[Symbol.dispose] = Owned.prototype.dispose;
}

/** Accepts Uint8Array, ArrayBuffer, other ArrayBuffer views and strings (as UTF-8). */
function asBytes(data, what = 'bytes') {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new KolmoError('bad_argument', `${what}: expected Uint8Array, ArrayBuffer or string`);
}

function asIds(ids) {
  if (ids instanceof Uint32Array) return ids;
  if (Array.isArray(ids) || ArrayBuffer.isView(ids)) return Uint32Array.from(ids);
  throw new KolmoError('bad_argument', 'ids: expected Uint32Array or array of numbers');
}

const kModes = ['stored', 'cm', 'lm'];
function modeNumber(mode) {
  const n = typeof mode === 'number' ? mode : kModes.indexOf(mode);
  if (!(n >= 0 && n < kModes.length)) throw new KolmoError('bad_argument', `unknown container mode ${mode}`);
  return n;
}

// ---- tokenizer ----

/** Byte-level BPE tokenizer (src/include/kolmo/tokenizer.h). Get one from codec.parseTokenizer(). */
export class Tokenizer extends Owned {
  #codec;
  constructor(codec, handle) {
    super(handle);
    this.#codec = codec;
    /** Number of token ids, EOT included. */
    this.vocabSize = handle.vocabSize();
    /** Id of <|endoftext|> (also BOS); the last id. */
    this.eotId = handle.eotId();
  }
  /** @param {Uint8Array|string} bytes any bytes (invalid UTF-8 too) @returns {Uint32Array} ids */
  encode(bytes) {
    return this.#codec.check(this.handle.encode(asBytes(bytes)));
  }
  /** @param {Uint32Array|number[]} ids text token ids (not EOT) @returns {Uint8Array} */
  decode(ids) {
    return this.#codec.check(this.handle.decode(asIds(ids)));
  }
  /** Per-token corpus counts, indexed by id (Float64Array, exact up to 2^53). */
  tokenCounts() {
    return this.handle.tokenCounts();
  }
}

// ---- rounding layer ----

/** The fixed binary tree over token ids that tokens are coded along (src/token_tree.h). */
export class TokenTree extends Owned {
  constructor(handle) {
    super(handle);
    /** Number of token ids (leaves). */
    this.vocabSize = handle.vocabSize();
    /** Longest root-to-leaf path, in decisions. */
    this.maxDepth = handle.maxDepth();
  }
  /** Number of binary decisions that code `token`. */
  depth(token) {
    return this.handle.depth(token);
  }
}

// ---- sessions ----

// Rows of logits copied into WASM memory per encodeSteps() call: bounds the C++ buffer
// (4 Mi floats = 16 MiB) whatever the caller hands to encodeMany().
const kMaxBatchFloats = 1 << 22;

function checkLogits(logits, expected) {
  if (!(logits instanceof Float32Array)) throw new KolmoError('bad_argument', 'logits: expected a Float32Array');
  if (logits.length !== expected) {
    throw new KolmoError('bad_argument', `logits: expected ${expected} floats, got ${logits.length}`);
  }
}

/**
 * What an Encoder and a Decoder share: the codec, the vocabulary size, and the session's
 * statistics, kept when the session ends and frees itself.
 */
class CodingSession extends Owned {
  #codec;
  #vocab;
  #lastStats = null;
  constructor(codec, handle, vocab) {
    super(handle);
    this.#codec = codec;
    this.#vocab = vocab;
  }

  /** @protected */
  get codec() {
    return this.#codec;
  }

  /** @protected */
  get vocab() {
    return this.#vocab;
  }

  /** @protected Keeps the final statistics, then frees the session. */
  end() {
    this.#lastStats = this.handle.stats();
    this.dispose();
  }

  /** {steps, fragileSteps, escapes, idealBits, codedBits, flagBits, escapeBits} so far. */
  stats() {
    return this.disposed && this.#lastStats ? { ...this.#lastStats } : this.handle.stats();
  }
}

/**
 * Codes a token sequence into an LM payload, one model step at a time. Get one from
 * codec.createEncoder(). Call encode() (or encodeMany()) for every token, the last one EOT,
 * then finish(), which returns the payload and frees the session.
 */
export class Encoder extends CodingSession {
  #lastStepBits = null;

  /**
   * Codes `token` given this step's logits. On a KolmoError (non_finite_logits, bad_argument)
   * nothing was coded and the step may be retried.
   * @param {Float32Array} logits (vocab,) float32
   * @param {number} token
   */
  encode(logits, token) {
    checkLogits(logits, this.vocab);
    const handle = this.handle;
    handle.logitsBuffer(1).set(logits); // take the view right before use: memory may grow
    this.codec.checkStatus(handle.encodeStep(token));
  }

  /**
   * Codes tokens.length steps: logits is (tokens.length, vocab) row-major float32, as a
   * batched model pass produces. On error the steps before the failing one stay coded.
   * @param {Float32Array} logits
   * @param {Uint32Array|number[]} tokens
   */
  encodeMany(logits, tokens) {
    const ids = asIds(tokens);
    const vocab = this.vocab;
    checkLogits(logits, ids.length * vocab);
    const handle = this.handle;
    const rowsPerCall = Math.max(1, Math.floor(kMaxBatchFloats / vocab));
    for (let row = 0; row < ids.length; row += rowsPerCall) {
      const rows = Math.min(rowsPerCall, ids.length - row);
      handle.logitsBuffer(rows).set(logits.subarray(row * vocab, (row + rows) * vocab));
      this.codec.checkStatus(handle.encodeSteps(ids.subarray(row, row + rows)));
    }
  }

  /** Ends the stream (the last token coded must be EOT) -> payload bytes; frees the session. */
  finish() {
    const payload = this.codec.check(this.handle.finish());
    this.#lastStepBits = this.handle.stepBits();
    this.end();
    return payload;
  }

  /**
   * The bits each coded step cost (flags or span header, path, escape): what the link pays per
   * token, in step order. Payload 3 codes a block of steps once it is complete, so read this
   * after finish() for every step.
   * @returns {Float32Array}
   */
  stepBits() {
    return this.disposed && this.#lastStepBits ? this.#lastStepBits.slice() : this.handle.stepBits();
  }
}

/**
 * Decodes an LM payload one model step at a time. Get one from codec.createDecoder(). Call
 * decode(logits) until `done`; the decoder frees itself after returning EOT.
 */
export class Decoder extends CodingSession {
  #done = false;

  /**
   * Decodes the next token with this step's logits. Throws KolmoError: non_finite_logits and
   * bad_argument leave the decoder unchanged; truncated, corrupt and length_over_limit are
   * final (a damaged link).
   * @param {Float32Array} logits (vocab,) float32
   * @returns {number} token id; EOT ends the stream
   */
  decode(logits) {
    checkLogits(logits, this.vocab);
    const handle = this.handle;
    handle.logitsBuffer(1).set(logits);
    const result = handle.decodeStep();
    if (result < 0) this.codec.checkStatus(-result);
    if (handle.done()) {
      this.#done = true;
      this.end();
    }
    return result;
  }

  /** True once EOT has been decoded. */
  get done() {
    return this.#done;
  }
}

// ---- the model engine ----

/** A model loaded into the core's engine; the window (KV cache) lives inside it. */
export class ModelEngine extends Owned {
  #codec;

  constructor(codec, handle) {
    super(handle);
    this.#codec = codec;
    this.vocabSize = handle.vocabSize();
    this.context = handle.context();
  }

  /**
   * Appends tokens to the window: (tokens.length, vocab) logits, or null when wantLogits is
   * false. The low-level pass that drift and conformance tools compare with ONNX Runtime.
   * @param {ArrayLike<number>} tokens @param {boolean} [wantLogits] @returns {Float32Array|null}
   */
  append(tokens, wantLogits = true) {
    return this.#codec.check(this.handle.append(asIds(tokens), wantLogits), 'model engine') ?? null;
  }

  /** Empties the window. */
  reset() {
    this.handle.reset();
  }

  /** Tokens in the window. */
  get windowLength() {
    return this.handle.windowLength();
  }
}

/** A link job of the core (src/link_jobs.h): run(budget) until it returns true. */
class LinkJob extends Owned {
  #codec;

  constructor(codec, handle) {
    super(handle);
    this.#codec = codec;
  }

  get codec() {
    return this.#codec;
  }

  /** Runs up to `budget` model positions; true once done. Throws KolmoError on a failed step. */
  run(budget) {
    this.#codec.checkStatus(this.handle.run(budget));
    return this.handle.done();
  }
}

export class LinkEncodeJob extends LinkJob {
  get positionsDone() {
    return this.handle.positionsDone();
  }
  get positionsTotal() {
    return this.handle.positionsTotal();
  }
  /** The container (after run() returned true). @returns {Uint8Array} */
  container() {
    return this.handle.container();
  }
  /** 'stored' | 'cm' | 'lm' */
  get mode() {
    return kModes[this.handle.mode()];
  }
  /** What the model codes for the text. @returns {{ids: Uint32Array, crlfLineBreaks: boolean}} */
  input() {
    return this.handle.input();
  }
  /**
   * The LM payload the link holds (version 3's when the link is not lm), or null when the model
   * did not code the text. @returns {{payloadVersion: number, stats: object, bits: Float32Array}|null}
   */
  usedPayload() {
    return this.handle.usedPayload();
  }
  /** A long text (src/segments.h): how many segments the model codes, 0 when not segmented. */
  get segmentCount() {
    return this.handle.segmentCount();
  }
  /** Segment i's tokens, for a PayloadEncodeJob in another worker. @param {number} i @returns {Uint32Array} */
  segmentIds(i) {
    return this.handle.segmentIds(i);
  }
  /** Segment i coded elsewhere: run() skips it. @param {number} i @param {Uint8Array} payload */
  provideSegment(i, payload) {
    this.codec.checkStatus(this.handle.provideSegment(i, asBytes(payload, 'payload')));
  }
  /**
   * A text coded as one stream: how many windows its model work has (src/lm_jobs.h
   * EncoderWindow), which other workers may compute (windows.js); 0 otherwise.
   */
  get windowCount() {
    return this.handle.windowCount();
  }
  /** Window k: positions first .. first + count - 1. @param {number} k @returns {{start: number, first: number, count: number, contextTokens: number}} */
  window(k) {
    return this.handle.window(k);
  }
  /** Window k's pass tokens, for Codec.windowLogits in another worker. @param {number} k @returns {Uint32Array} */
  windowTokens(k) {
    return this.handle.windowTokens(k);
  }
  /** The window holding the next position to code (windowCount once every one is coded). */
  get currentWindow() {
    return this.handle.currentWindow();
  }
  /** Whether window k's logits are held (provided or prepared) and not yet coded. @param {number} k */
  windowHasLogits(k) {
    return this.handle.windowHasLogits(k);
  }
  /**
   * Window k's logits computed elsewhere, from these pass tokens: run() codes them instead of
   * computing them. KolmoError 'bad_argument' (nothing kept) for tokens that are not window k's,
   * a size that is not its, or a window already begun or provided.
   * @param {number} k @param {Uint32Array} passTokens @param {Float32Array} logits
   */
  provideWindowLogits(k, passTokens, logits) {
    this.codec.checkStatus(this.handle.provideWindowLogits(k, asIds(passTokens), logits));
  }
  /**
   * Up to `budget` more pass tokens of window k computed on the job's engine, ahead of the window
   * run() codes (one window at a time; run() drops a preparation when it needs the engine).
   * @param {number} k @param {number} budget @returns {boolean} true once window k is prepared
   */
  prepareWindow(k, budget) {
    this.codec.checkStatus(this.handle.prepareWindow(k, budget));
    return this.handle.windowHasLogits(k);
  }
}

export class LinkDecodeJob extends LinkJob {
  /** @type {any} */
  #view;

  /** The parsed container, without its body: {version, mode ('stored'|'cm'|'lm'), modelIndex, lmPayloadVersion, crlfLineBreaks}. */
  get view() {
    if (!this.#view) {
      const view = this.handle.view();
      this.#view = { ...view, mode: kModes[view.mode] };
    }
    return this.#view;
  }
  /**
   * Mode lm on the engine. @param {{engine: ModelEngine, tokenizer: Tokenizer, tree: TokenTree,
   *   modelIndex: number, idHash: string, maxTokens?: number}} model
   */
  start({ engine, tokenizer, tree, modelIndex, idHash, maxTokens }) {
    // 0: the link's own bound (src/link_jobs.h: one stream's, or a segmented link's declared length)
    this.codec.checkStatus(this.handle.start(engine.handle, tokenizer.handle, tree.handle, modelIndex, idHash, maxTokens ?? 0));
  }
  /** A copy of the container's body (for decoding outside the core). @returns {Uint8Array} */
  body() {
    return this.handle.body();
  }
  /** A segmented link's segment i: its LM payload-3 stream (view.segments of them). @param {number} i @returns {Uint8Array} */
  segmentPayload(i) {
    return this.handle.segmentPayload(i);
  }
  /** The verified text (after run() returned true). @returns {Uint8Array} */
  text() {
    return this.handle.text();
  }
  get tokenCount() {
    return this.handle.tokenCount();
  }
  /** Tokens decoded so far from index `from` on (not verified). @returns {Uint32Array} */
  tokens(from = 0) {
    return this.handle.tokens(from);
  }
  /** The coded bits of positions from `from` on (the last is EOT's once done). @returns {Float32Array} */
  tokenBits(from = 0) {
    return this.handle.tokenBits(from);
  }
  /** Share of the payload read so far, an estimate in [0, 1]. */
  get fraction() {
    return this.handle.fraction();
  }
  /**
   * Mode lm decoded outside the core: the tokens -> the verified text (KolmoError
   * 'checksum_mismatch' if they are not the link's). @param {Tokenizer} tokenizer @param {string} idHash @param {Uint32Array} ids
   * @returns {Uint8Array}
   */
  finishWithTokens(tokenizer, idHash, ids) {
    this.codec.checkStatus(this.handle.finishWithTokens(tokenizer.handle, idHash, asIds(ids)));
    return this.text();
  }
}

/**
 * One LM payload-3 stream coded in the core (src/lm_jobs.h): a segment of a long text, in a
 * worker beside the one that holds the link (segments.js).
 */
export class PayloadEncodeJob extends LinkJob {
  get positionsDone() {
    return this.handle.positionsDone();
  }
  get positionsTotal() {
    return this.handle.positionsTotal();
  }
  /** After run() returned true: {payload: Uint8Array, stats, bits: Float32Array}. */
  result() {
    return { payload: this.handle.payload(), stats: this.handle.stats(), bits: this.handle.bits() };
  }
}

/** One LM payload-3 stream decoded in the core: a segment of a long text (segments.js). */
export class PayloadDecodeJob extends LinkJob {
  get tokenCount() {
    return this.handle.tokenCount();
  }
  /** @returns {Uint32Array} */
  tokens(from = 0) {
    return this.handle.tokens(from);
  }
  /** @returns {Float32Array} */
  tokenBits(from = 0) {
    return this.handle.tokenBits(from);
  }
  get fraction() {
    return this.handle.fraction();
  }
}

// ---- the codec ----

/** The loaded WASM module behind an idiomatic API. Get one from loadCodec(). */
export class Codec {
  constructor(wasm) {
    /** The raw Embind module (wasm/kolmo_wasm.d.ts); for tests. */
    this.wasm = wasm;
  }

  /** Stable name of a status code, e.g. 6 -> 'checksum_mismatch'. */
  statusName(status) {
    return this.wasm.statusName(status);
  }

  /** Throws KolmoError unless status is ok (0). */
  checkStatus(status, message) {
    if (status !== 0) throw new KolmoError(this.wasm.statusName(status), message);
  }

  /** Unwraps an Embind {status, value} result: value, or KolmoError. */
  check(result, message) {
    this.checkStatus(result.status, message);
    return result.value;
  }

  // ---- tokenizer ----

  /** Parses a tokenizer file (models/<id>/tokenizer.kbpe). Throws KolmoError('bad_tokenizer'). */
  parseTokenizer(fileBytes) {
    return new Tokenizer(this, this.check(this.wasm.Tokenizer.parse(asBytes(fileBytes, 'tokenizer file'))));
  }

  // ---- rounding layer ----

  /**
   * Builds the token tree from per-token counts (e.g. tokenizer.tokenCounts()).
   * @param {Float64Array|number[]} counts one non-negative integer per token id
   * @param {number} [vocabSize] defaults to counts.length
   */
  buildTokenTree(counts, vocabSize = counts.length) {
    return new TokenTree(this.check(this.wasm.TokenTree.build(counts, vocabSize)));
  }

  // ---- sessions ----

  /** The encoder's default epsilon (RoundingConfig in src/session.h). */
  defaultEpsilon() {
    return this.wasm.defaultEpsilon();
  }

  /**
   * Starts an encoder.
   * @param {{tree: TokenTree, eotId: number, epsilon?: number, payloadVersion?: number, tokenCount?: number}} options
   *   epsilon: the logit drift (max norm) between encoder and decoder the stream must survive.
   *   payloadVersion: 1 (the LM alone), 2 (mixed with the in-document model) or 3 (mixed, span
   *   headers over the grid family); 2 and 3 need tokenCount, the number of tokens to code, EOT
   *   included. docs/FORMAT.md §5.3-5.6.
   * @returns {Encoder}
   */
  createEncoder({ tree, eotId, epsilon, payloadVersion = 1, tokenCount = 0 }) {
    const handle = new this.wasm.EncoderSession(tree.handle, eotId, epsilon ?? this.wasm.defaultEpsilon(), payloadVersion, tokenCount);
    const status = handle.status();
    if (status !== 0) {
      handle.delete();
      this.checkStatus(status, 'createEncoder');
    }
    return new Encoder(this, handle, tree.vocabSize);
  }

  /**
   * Starts a decoder over an LM payload (the container's body).
   * @param {{tree: TokenTree, eotId: number, payload: Uint8Array, maxTokens?: number, payloadVersion?: number}} options
   *   payloadVersion: the LM payload version of the container (1, 2 or 3).
   * @returns {Decoder}
   */
  createDecoder({ tree, eotId, payload, maxTokens, payloadVersion = 1 }) {
    const limits = this.wasm.defaultDecodeLimits();
    if (maxTokens !== undefined) limits.maxTokens = maxTokens;
    const handle = new this.wasm.DecoderSession(tree.handle, eotId, asBytes(payload, 'payload'), limits, payloadVersion);
    const status = handle.status();
    if (status !== 0) {
      handle.delete();
      this.checkStatus(status, 'createDecoder');
    }
    return new Decoder(this, handle, tree.vocabSize);
  }

  // ---- the model engine and the link jobs (src/transformer.h, src/link_jobs.h) ----

  /**
   * Loads a model.onnx into the core's model engine (int8 weights kept as shipped).
   * @param {Uint8Array} modelBytes @param {{n_heads: number, context: number}} shape the manifest entry
   * @returns {ModelEngine} Throws KolmoError 'bad_model' (not a model the engine can run) or
   *   'out_of_memory'.
   */
  loadModelEngine(modelBytes, shape) {
    const handle = this.check(this.wasm.ModelEngine.load(asBytes(modelBytes, 'model'), shape.n_heads, shape.context),
      'the model file is not a kolmo model this engine can run (damaged, truncated, or another format)');
    return new ModelEngine(this, handle);
  }

  /**
   * Compresses a text into a link container with the model engine inside the core, run by
   * job.run(budget) until it returns true (src/link_jobs.h: model input, payload versions,
   * the smallest container).
   * @param {{text: Uint8Array, modes: number, engine: ModelEngine, tokenizer: Tokenizer, tree: TokenTree,
   *   modelIndex: number, idHash: string, epsilon?: number, segmentRule?: {segmentTokens?: number, aboveTokens?: number}}} options
   *   modes: bits 1 << mode; segmentRule: where a long text is cut (tests; default: src/segments.h's)
   * @returns {LinkEncodeJob}
   */
  createLinkEncodeJob({ text, modes, engine, tokenizer, tree, modelIndex, idHash, epsilon, segmentRule }) {
    return new LinkEncodeJob(this, new this.wasm.LinkEncodeJob(asBytes(text, 'text'), modes, engine.handle, tokenizer.handle,
      tree.handle, modelIndex, idHash, epsilon ?? this.wasm.defaultEpsilon(), this.wasm.defaultContainerLimits(),
      segmentRule?.segmentTokens ?? 0, segmentRule?.aboveTokens ?? 0));
  }

  /**
   * A segment of a long text coded as one LM payload 3 (segments.js).
   * @param {{ids: Uint32Array, engine: ModelEngine, tree: TokenTree, eotId: number, epsilon?: number}} options
   */
  createPayloadEncodeJob({ ids, engine, tree, eotId, epsilon }) {
    return new PayloadEncodeJob(this, new this.wasm.PayloadEncodeJob(asIds(ids), engine.handle, tree.handle, eotId,
      epsilon ?? this.wasm.defaultEpsilon()));
  }

  /**
   * A segment of a long text decoded from its LM payload 3 (segments.js), at most maxTokens positions.
   * @param {{payload: Uint8Array, engine: ModelEngine, tree: TokenTree, eotId: number, maxTokens?: number}} options
   */
  createPayloadDecodeJob({ payload, engine, tree, eotId, maxTokens }) {
    return new PayloadDecodeJob(this, new this.wasm.PayloadDecodeJob(asBytes(payload, 'payload'), engine.handle, tree.handle,
      eotId, maxTokens ?? this.wasm.defaultDecodeLimits().maxTokens));
  }

  /**
   * Opens a link container: parsed once, in the core (KolmoError for a damaged one). Stored and
   * cm links decode with run(); lm links after start(model) on the engine, or, decoded outside
   * the core, with finishWithTokens(). maxTextBytes: the longest text the link may hold (default
   * the core's); a link that declares more is refused at once (length_over_limit).
   * @param {Uint8Array} container @param {{maxTextBytes?: number}} [options] @returns {LinkDecodeJob}
   */
  createLinkDecodeJob(container, { maxTextBytes } = {}) {
    const limits = this.wasm.defaultContainerLimits();
    if (maxTextBytes !== undefined) limits.maxTextBytes = maxTextBytes;
    const handle = new this.wasm.LinkDecodeJob(asBytes(container, 'container'), limits);
    const status = handle.status();
    if (status !== 0) {
      const declared = handle.declaredTextBytes();
      handle.delete();
      if (this.wasm.statusName(status) === 'length_over_limit' && declared > limits.maxTextBytes) {
        throw new KolmoError('length_over_limit', `the link holds ${declared} bytes of text, over the limit of ` +
          `${limits.maxTextBytes}: open it with a higher maxTextBytes (kolmo decompress --max-text-bytes N)`);
      }
      this.checkStatus(status);
    }
    return new LinkDecodeJob(this, handle);
  }

  /**
   * What the model codes for a text: its token ids, of the text with LF line breaks when every
   * line break is CRLF (container versions 3 and 5). @param {Tokenizer} tokenizer @param {Uint8Array} bytes
   * @returns {{ids: Uint32Array, crlfLineBreaks: boolean}}
   */
  modelInput(tokenizer, bytes) {
    return this.check(this.wasm.modelInput(tokenizer.handle, asBytes(bytes)));
  }

  /** The LM payload versions to code for `codedTokens` positions (EOT included), the main one first. */
  lmPayloadVersionsFor(codedTokens, crlfLineBreaks) {
    return this.wasm.lmPayloadVersionsFor(codedTokens, crlfLineBreaks);
  }

  /**
   * First token index the model sees when predicting position `position` of the sequence
   * (BOS, text..., EOT) with a window of contextLength tokens (src/session.h).
   */
  contextStart(position, contextLength) {
    return this.wasm.contextStart(position, contextLength);
  }

  // ---- URL text ----

  /** Bytes -> base62 fragment text (src/include/kolmo/url_codec.h). */
  urlEncode(bytes) {
    return this.wasm.urlEncode(asBytes(bytes));
  }
  /** Fragment text -> bytes. Throws KolmoError('bad_url_text'). */
  urlDecode(text) {
    if (typeof text !== 'string') throw new KolmoError('bad_argument', 'urlDecode: expected a string');
    // Embind converts JS strings as UTF-8; a non-ASCII character must still fail as bad text.
    return this.check(this.wasm.urlDecode(text));
  }
  /** Characters urlEncode() gives for `size` bytes. */
  urlEncodedLength(size) {
    return this.wasm.urlEncodedLength(size);
  }
  /**
   * Bytes -> the QR form of the fragment text: '-' then base43 in QR's alphanumeric set
   * (src/include/kolmo/url_codec.h), ~25% smaller as a QR code than the base62 form.
   */
  urlEncodeQr(bytes) {
    return this.wasm.urlEncodeQr(asBytes(bytes));
  }
  /** Characters urlEncodeQr() gives for `size` bytes, the marker included. */
  urlQrEncodedLength(size) {
    return this.wasm.urlQrEncodedLength(size);
  }
  /** Fragment text of either form (base62, or the QR form) -> bytes. Throws KolmoError('bad_url_text'). */
  urlDecodeAnyForm(text) {
    if (typeof text !== 'string') throw new KolmoError('bad_argument', 'urlDecodeAnyForm: expected a string');
    return this.check(this.wasm.urlDecodeAnyForm(text));
  }

  /**
   * The container of a link's fragment text (either form), as a reader must take it: also
   * refuses a text one typo away from a typo-proof link (container version 6) that reads as an
   * earlier version. Throws KolmoError('bad_url_text' | 'damaged_link').
   */
  containerFromLinkText(text) {
    if (typeof text !== 'string') throw new KolmoError('bad_argument', 'containerFromLinkText: expected a string');
    return this.check(this.wasm.containerFromLinkText(text));
  }

  // ---- bounds ----

  /** The most tokens (EOT included) an lm payload holds: the encoder side's bound and the decoder's default (src/session.h). */
  /**
   * Where the encoder cuts a long text's tokens (src/segments.h): the start of every segment after
   * the first; empty when the text is not segmented.
   * @param {Tokenizer} tokenizer @param {Uint32Array} ids @param {{segmentTokens?: number, aboveTokens?: number}} [rule]
   * @returns {Uint32Array}
   */
  segmentCuts(tokenizer, ids, rule) {
    return this.wasm.segmentCuts(tokenizer.handle, asIds(ids), rule?.segmentTokens ?? 0, rule?.aboveTokens ?? 0);
  }

  /**
   * One window of another worker's encode job (LinkEncodeJob.window, windowTokens) on this
   * worker's engine: its (count, vocab) logits, bit for bit those that job computes itself.
   * @param {ModelEngine} engine @param {Uint32Array} passTokens @param {number} contextTokens
   * @returns {Float32Array}
   */
  windowLogits(engine, passTokens, contextTokens) {
    return this.check(this.wasm.windowLogits(engine.handle, asIds(passTokens), contextTokens), 'model engine');
  }

  /** A segmented link's body from its segments' payloads (src/segments.h). @param {string} idHash @param {Uint8Array} text @param {Uint8Array[]} payloads */
  segmentedBody(idHash, text, payloads) {
    const body = this.wasm.segmentedBody(idHash, asBytes(text, 'text'), payloads);
    if (body === null) throw new KolmoError('bad_argument', `segmentedBody: bad model id hash ${idHash}`);
    return body;
  }

  maxLmTokens() {
    return this.wasm.maxLmTokens();
  }

  // ---- password envelope (src/include/kolmo/envelope.h; the WebCrypto side is crypto.js) ----

  /** {header, saltBytes, tagBytes, ivBytes, keyBits, iterations, aadBytes, overheadBytes}. */
  envelopeParams() {
    return this.wasm.envelopeParams();
  }
  /** Whether container bytes are a password envelope (whatever its kind). */
  isEnvelope(bytes) {
    return this.wasm.isEnvelope(asBytes(bytes));
  }
  /** Envelope -> {salt, aad, sealed}. Throws KolmoError: unknown_mode (newer kind), truncated, length_over_limit. */
  envelopeParse(bytes, limits) {
    return this.check(this.wasm.envelopeParse(asBytes(bytes), this.#limits(limits)));
  }
  /** salt + AES-GCM output (ciphertext, tag) -> envelope bytes. */
  envelopeWrap(salt, sealed, limits) {
    return this.check(this.wasm.envelopeWrap(asBytes(salt), asBytes(sealed), this.#limits(limits)));
  }
  /** Throws KolmoError unless decrypted bytes are an ordinary (not nested) container. */
  envelopeCheckInner(bytes, limits) {
    this.checkStatus(this.wasm.envelopeCheckInner(asBytes(bytes), this.#limits(limits)));
  }

  // ---- integrity check ----

  /** Hash of a model id string as 16 hex digits (the modelIdHash of the container calls). */
  modelIdHash(modelId) {
    return this.wasm.modelIdHash(modelId);
  }
  /** The 16-bit check a container stores for `text` (modelIdHash '0' for stored/cm). */
  textCheck16(modelIdHash, text) {
    const check = this.wasm.textCheck16(modelIdHash, asBytes(text));
    if (check < 0) throw new KolmoError('bad_argument', `modelIdHash: not hex: ${modelIdHash}`);
    return check;
  }

  // ---- container ----

  /** {maxTextBytes, maxContainerBytes} defaults of src/include/kolmo/container.h. */
  defaultContainerLimits() {
    return this.wasm.defaultContainerLimits();
  }
  #limits(limits) {
    return limits === undefined ? this.wasm.defaultContainerLimits() : { ...this.wasm.defaultContainerLimits(), ...limits };
  }

  /**
   * Frames a body the caller coded: pack({mode: 'stored'|'cm'|'lm', text, body, modelIndex,
   * modelIdHash, lmPayloadVersion, crlfLineBreaks, legacy}) -> container bytes. crlfLineBreaks:
   * the lm body codes lfLineBreaks(text); legacy: the framing of earlier releases (versions 1 to
   * 5, for tests and tools) instead of the typo-proof version 6 of every new link.
   */
  containerPack({ mode, text, body, modelIndex = 0, modelIdHash = '0', limits, lmPayloadVersion = 1, crlfLineBreaks = false, legacy = false }) {
    return this.check(
      this.wasm.containerPack(modeNumber(mode), modelIndex, modelIdHash, asBytes(text), asBytes(body), this.#limits(limits), lmPayloadVersion, crlfLineBreaks, legacy),
    );
  }

  /**
   * Splits a container: {version, mode: 'stored'|'cm'|'lm', modelIndex, check, body,
   * lmPayloadVersion, crlfLineBreaks} (the last two: how to decode an lm body).
   * Throws KolmoError: truncated, unknown_version, unknown_mode, corrupt, length_over_limit.
   */
  containerParse(bytes, limits) {
    const view = this.check(this.wasm.containerParse(asBytes(bytes), this.#limits(limits)));
    return { ...view, mode: kModes[view.mode] };
  }

  /** Like containerParse() for the file form ("KLMO" + container); bad_magic if not one. */
  containerParseFile(bytes, limits) {
    const view = this.check(this.wasm.containerParseFile(asBytes(bytes), this.#limits(limits)));
    return { ...view, mode: kModes[view.mode] };
  }

  /** Container (or envelope) -> file form bytes. */
  containerToFile(container) {
    return this.wasm.containerToFile(asBytes(container));
  }

  /** True when bytes start with the file form's magic ("KLMO", src/include/kolmo/container.h). */
  isFileForm(bytes) {
    return this.wasm.isFileForm(asBytes(bytes));
  }

  /** Throws KolmoError('checksum_mismatch') unless `text` matches a parsed view's check. */
  containerVerify(view, text, modelIdHash = '0') {
    this.checkStatus(this.wasm.containerVerify({ ...view, mode: modeNumber(view.mode) }, modelIdHash, asBytes(text)));
  }

  /** Decodes and verifies a stored or cm view -> text bytes. */
  containerDecodeFallback(view, limits) {
    return this.check(this.wasm.containerDecodeFallback({ ...view, mode: modeNumber(view.mode) }, this.#limits(limits)));
  }

  /**
   * The mode choice (src/include/kolmo/container.h packBest): the smallest container of the allowed modes
   * among stored, cm and each lm body given.
   * packBest({text, lmBodies?: [{body, payloadVersion, crlfLineBreaks?}], modelIndex?, modelIdHash?,
   *   modes?: ['stored', 'cm', 'lm'] (default all)}) -> {bytes, mode, lmBody: index used or null}.
   */
  containerPackBest({ text, lmBodies = [], modelIndex = 0, modelIdHash = '0', limits, modes = kModes }) {
    const bodies = lmBodies.map((b) => ({ body: asBytes(b.body), payloadVersion: b.payloadVersion, crlfLineBreaks: b.crlfLineBreaks ?? false, segmented: b.segmented ?? false }));
    const allowed = modes.reduce((bits, m) => bits | (1 << modeNumber(m)), 0);
    const packed = this.check(this.wasm.containerPackBest(asBytes(text), bodies, modelIndex, modelIdHash, this.#limits(limits), allowed));
    return { bytes: packed.bytes, mode: kModes[packed.mode], lmBody: packed.lmBody };
  }

  // ---- line breaks (container version 3, src/include/kolmo/line_breaks.h) ----

  /** The text with every CRLF made LF when every line break is CRLF, else null. */
  lfLineBreaks(text) {
    return this.wasm.lfLineBreaks(asBytes(text));
  }
  /** Puts a CR before every LF (a version 3 link's text); length_over_limit past maxTextBytes. */
  restoreCrlfLineBreaks(lf, maxTextBytes = this.wasm.defaultContainerLimits().maxTextBytes) {
    return this.check(this.wasm.restoreCrlfLineBreaks(asBytes(lf), maxTextBytes));
  }

  // ---- cm codec ----

  /** Model-free context-mixing codec (src/cm_codec.h): text -> stream. */
  cmEncode(text) {
    return this.check(this.wasm.cmEncode(asBytes(text)));
  }
  /** stream -> text; maxTextBytes bounds the output. */
  cmDecode(stream, maxTextBytes = this.wasm.defaultContainerLimits().maxTextBytes) {
    return this.check(this.wasm.cmDecode(asBytes(stream), maxTextBytes));
  }
}
