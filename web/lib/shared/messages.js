// @ts-check
// @file The protocol between the page side (web/lib/page/hosts.js, under index.js) and the
// worker side (web/lib/worker/worker.js, the Web Worker that owns ONNX Runtime and the WASM
// codec): every message kind the worker can be asked or can answer, in one place. The
// in-process host (Node) serves the same requests without the messages.
//
// Every message is one object {type, id, in, out, err}:
//   request   page -> worker  {type, id, in}       one kind per operation, `id` chosen by the page
//   reply     worker -> page  {type, id, out}      the same type and id; ends the request
//   failure   worker -> page  {type, id, err}      err = {code, message}; ends the request
//   event     worker -> page  {type, id, out}      'progress', 'tokens': zero or more per request,
//                                                   always before that request's reply
// The worker serves one request at a time, in arrival order. Aborting a request terminates the
// worker (the page side starts a fresh one for the next request); there is no cancel message.
// Byte arrays travel as transferables: the sender must not use them afterwards.

/** Message kinds, by name. */
export const Kind = Object.freeze({
  /** Load (or reuse) the default model and an inference backend. in: LoadIn, out: LoadOut. */
  load: 'load',
  /** The core's limits (no model needed). in: LimitsIn, out: LimitsOut. */
  limits: 'limits',
  /** Compress bytes. in: CompressIn, out: CompressOut. */
  compress: 'compress',
  /** Decompress a container. in: DecompressIn, out: DecompressOut. */
  decompress: 'decompress',
  /**
   * One segment of a long text (src/segments.h), asked by a worker of another (worker/segments.js),
   * or one window of a text coded as one stream (worker/windows.js); never by a page: in:
   * SegmentIn, out: SegmentOut.
   */
  segment: 'segment',
  /** Event: work done so far. out: Progress. */
  progress: 'progress',
  /** Event (decompress with wantTokens): decoded, NOT yet verified, token bytes. out: TokensOut. */
  tokens: 'tokens',
});

/** The kinds a page may send. */
export const requestKinds = Object.freeze([Kind.load, Kind.limits, Kind.compress, Kind.decompress]);

/**
 * Settings the worker is created with; sent in every request so that a fresh worker after an
 * abort can rebuild its engine.
 * @typedef {object} EngineSettings
 * @property {string[]} backends  tried in order, e.g. ['webgpu', 'wasm']
 * @property {string|null} modelBaseUrl  folder holding manifest.json and <id>/ (absolute URL); null:
 *   the package's own files (worker/bundled_model.js)
 * @property {string|null} ortBaseUrl  folder holding onnxruntime-web's dist files (absolute URL); null:
 *   none given (the ONNX Runtime backends then say how to add it)
 * @property {string} [wasmUrl]  kolmo_wasm.wasm (absolute URL); default: web/lib/wasm/, as worker/codec.js loads it
 * @property {number} [threads]  ORT WASM threads
 * @property {boolean|string} [cache]  keep model files in a cache (default true): browsers the Cache API,
 *   Node a folder (a string names it)
 * @property {boolean} [gpuKvCache]  keep the KV cache on the GPU with WebGPU (default true)
 * @property {number} [workers]  threads that code a long text's segments side by side, or the
 *   windows of a text coded as one stream, this worker included (default: the device's cores, at
 *   most 4; 1: everything on this worker)
 * @property {{segmentTokens?: number, aboveTokens?: number}} [segmentRule]  where the encoder cuts a
 *   long text (tests; default: src/segments.h's rule)
 * @property {number} [maxTextBytes]  the longest text a link may open to or be made from (default:
 *   the core's, src/include/kolmo/container.h: 4 MiB); a link that declares more is refused at once
 */

/**
 * @typedef {{phase: 'download'|'load'|'encode'|'decode', done: number, total?: number, fraction?: number,
 *   declared?: {mode: 'stored'|'cm'|'lm', textBytes: number, maxTokens: number}}} Progress
 *   declared: once, before decoding, what the link declares: the text's bytes (stored and cm;
 *   -1 for lm) and the most tokens its size class allows (lm; 0 when it has none)
 *   download: bytes of model files; load: 0/1 once the session exists; encode: tokens coded of
 *   total; decode: tokens decoded, `fraction` of the payload read (0..1, an estimate).
 */

/**
 * @typedef {{settings: EngineSettings, modelId?: string}} LoadIn
 * @typedef {{backend: string, fallback: string|null, modelId: string}} LoadOut
 * @typedef {{settings: EngineSettings}} LimitsIn
 * @typedef {{maxTextBytes: number, maxLmTokens: number}} LimitsOut  (src/container.h, src/session.h)
 * @typedef {{settings: EngineSettings, bytes: Uint8Array, tokenCosts?: boolean, modes?: string[], password?: string}} CompressIn
 *   tokenCosts: also return each token's byte length and cost in bits (heat views); modes: the
 *   container modes to choose from (default all)
 * @typedef {{container: Uint8Array, fragment: string, qrFragment: string, mode: string, stats: object}} CompressOut
 *   container: the link's bytes; fragment: their URL text (what follows '#')
 * @typedef {{settings: EngineSettings, container?: Uint8Array, fragment?: string, wantTokens?: boolean,
 *   tokenCosts?: boolean, password?: string}} DecompressIn
 *   container (bytes, or the "KLMO" file form) or fragment (text, "#text" or a whole link);
 *   wantTokens: send 'tokens' events while decoding
 * @typedef {{bytes: Uint8Array, stats: object}} DecompressOut
 * @typedef {{settings: EngineSettings, modelIndex: number, decode?: {payload: Uint8Array, maxTokens: number},
 *   encode?: {ids: Uint32Array, epsilon?: number}, window?: {tokens: Uint32Array, contextTokens: number}}} SegmentIn
 *   one LM payload-3 stream of the link's model (its link index), to decode or to code; or one
 *   window's logits (src/lm_jobs.h EncoderWindow: its pass tokens, the first contextTokens context only)
 * @typedef {{tokens?: Uint32Array, bits?: Float32Array, payload?: Uint8Array, stats?: object,
 *   logits?: Float32Array, idHash?: string}} SegmentOut
 *   a window: its logits, the tokens and the model (id hash) they were computed with
 * @typedef {{index: number, bytes: Uint8Array, lengths: Uint32Array, bits?: Float32Array}} TokensOut
 *   tokens index..index+lengths.length-1: their bytes concatenated, each one's byte length and
 *   (with tokenCosts) its cost in bits
 * @typedef {{code: string, message: string}} ErrOut
 */

/**
 * @typedef {{type: string, id: number, in?: any, out?: any, err?: ErrOut}} Message
 */

/** Builds a request. @param {string} type @param {number} id @param {object} input */
export function request(type, id, input) {
  return { type, id, in: input };
}

/** Builds a reply or an event. @param {string} type @param {number} id @param {any} out */
export function reply(type, id, out) {
  return { type, id, out };
}

/** Builds a failure. @param {string} type @param {number} id @param {{code?: string, message?: string}} error */
export function failure(type, id, error) {
  const code = typeof error?.code === 'string' ? error.code : 'internal';
  return { type, id, err: { code, message: String(error?.message ?? error) } };
}

/**
 * The buffers that can travel as transferables: those of the top-level typed arrays of in/out
 * that span their whole ArrayBuffer (a view into a larger buffer, WASM memory above all, is
 * copied instead, since transferring would detach the rest of it).
 * @param {Message} message
 */
export function transferablesOf(message) {
  /** @type {ArrayBuffer[]} */
  const list = [];
  const payload = message.in ?? message.out;
  if (payload && typeof payload === 'object') {
    for (const value of Object.values(payload)) {
      if (
        ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer && value.byteOffset === 0 &&
        value.byteLength === value.buffer.byteLength && !list.includes(value.buffer)
      ) {
        list.push(value.buffer);
      }
    }
  }
  return list;
}
