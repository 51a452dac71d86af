// @ts-check
// @file The kolmo engine: the WASM codec, the model manifest, the loaded models (tokenizer, token
// tree, and the model on its backend) and the pipeline, behind three operations — load,
// compress, decompress. It runs inside the Web Worker in browsers (worker.js) and in-process in
// Node (page/hosts.js); index.js is the public API over it. No DOM.
//
// Backends: 'core' — the model engine inside the WASM codec (src/transformer.h), the default
// everywhere; 'webgpu' — ONNX Runtime Web on the GPU, only when asked for; 'wasm' and 'node' —
// ONNX Runtime's CPU builds, kept to compare the engine with (conformance tests, benches).
// ONNX Runtime is imported only when one of its backends is tried. Backends are tried in the
// order given; the first that loads is kept for every later model, and the reason any earlier
// one failed is reported as `fallback`.
import { loadCodec } from './codec.js';
import { KolmoError, isOutOfMemory, kErrorTexts } from '../shared/errors.js';
import { createLanguageModel } from './model.js';
import { createCoreModel } from './core_model.js';
import { manifestEntry, entryForLinkIndex } from './model_manifest.js';
import { loadManifest, loadModelFiles } from './model_store.js';
import { compressBytes, decompressContainer } from './pipeline.js';
import { now } from './pacing.js';
import { concatBytes } from './bytes.js';
import { openEnvelope, sealContainer } from './crypto.js';
import { isNode } from '../shared/env.js';
import { browserOrtLoader, loadOrtNode } from './ort_loader.js';
import { Kind } from '../shared/messages.js';
import { SegmentHelpers, decodeSegment, encodeSegment, defaultSegmentWorkers } from './segments.js';
import { windowLogits } from './windows.js';

/**
 * @typedef {import('../shared/messages.js').EngineSettings} EngineSettings
 * @typedef {import('../shared/messages.js').Progress} Progress
 * @typedef {import('../shared/messages.js').TokensOut} TokensOut
 * @typedef {import('./pipeline.js').LoadedModel & {piece: (token: number) => Uint8Array, backend: string, fallback: string|null}} Model
 */



// ---- errors ----

/**
 * Any thrown value -> KolmoError. Memory exhaustion, however it surfaces (a RangeError from a
 * typed-array allocation, an ORT or Emscripten abort), becomes 'out_of_memory'; a bare status
 * code gets a sentence that says what it means.
 * @param {unknown} error @returns {KolmoError}
 */
export function asKolmoError(error) {
  const message = String(/** @type {any} */ (error)?.message ?? error);
  const meaning = error instanceof KolmoError ? kErrorTexts[error.code]?.meaning : undefined;
  if (error instanceof KolmoError && message === error.code && meaning) return new KolmoError(error.code, meaning);
  if (error instanceof KolmoError && error.code !== 'backend_failed') return error;
  if (isOutOfMemory(error)) {
    return new KolmoError('out_of_memory', 'not enough memory for this text on this device: ' + message);
  }
  if (error instanceof KolmoError) return error;
  const code = typeof (/** @type {any} */ (error)?.code) === 'string' ? /** @type {any} */ (error).code : 'internal';
  const result = new KolmoError(code, message);
  return result;
}

// ---- engine ----

/**
 * A token's bytes as they appear in the text: in a link of container version 3 (crlfLineBreaks)
 * every LF of the coded text stands for CRLF.
 * @param {import('./codec.js').Codec} codec @param {Uint8Array} piece @param {boolean} crlf
 */
function textPiece(codec, piece, crlf) {
  return crlf && piece.includes(10) ? codec.restoreCrlfLineBreaks(piece) : piece;
}

export class Engine {
  /** @type {EngineSettings} */
  #settings;
  /** @type {(backend: string) => Promise<any>} */
  #loadOrt;
  /** @type {Promise<import('./codec.js').Codec>|null} */
  #codec = null;
  /** @type {Promise<any>|null} */
  #manifest = null;
  /** @type {Map<string, Promise<Model>>} model id -> loaded model */
  #models = new Map();
  /** @type {string|null} the backend that worked (kept for later models) */
  #backend = null;
  /** @type {string|null} */
  #fallback = null;
  /** @type {SegmentHelpers|null} */
  #helpers = null;

  /**
   * @param {EngineSettings} settings
   * @param {{loadOrt?: (backend: string) => Promise<any>, codec?: import('./codec.js').Codec}} [inject]
   *   loadOrt: ONNX Runtime module for a backend (default: Node packages, or the browser
   *   bundles under settings.ortBaseUrl); codec: an already loaded codec
   */
  constructor(settings, inject = {}) {
    this.#settings = settings;
    this.#loadOrt = inject.loadOrt ??
      (isNode ? loadOrtNode : browserOrtLoader(settings.ortBaseUrl, settings.threads, settings.backends.length === 1));
    if (inject.codec) this.#codec = Promise.resolve(inject.codec);
  }

  /** The WASM codec (loaded once). */
  codec() {
    this.#codec ??= (this.#settings.wasmUrl ? loadCodec({ wasmUrl: this.#settings.wasmUrl }) : loadCodec()).catch((error) => {
      this.#codec = null;
      // wasm_unavailable / wasm_blocked name the URL and the fix (codec.js); anything else is a bug.
      throw error instanceof KolmoError ? error : new KolmoError('internal', `could not load the kolmo WASM codec: ${error?.message ?? error}`);
    });
    return this.#codec;
  }

  /** models/manifest.json (loaded once per engine). */
  manifest(/** @type {AbortSignal|undefined} */ signal) {
    this.#manifest ??= loadManifest(this.#settings.modelBaseUrl, { signal, cache: this.#settings.cache }).catch((error) => {
      this.#manifest = null;
      throw error;
    });
    return this.#manifest;
  }

  /**
   * Loads (once) the model `id` (default: the manifest's default) on the first backend that
   * works.
   * @param {string|undefined} id
   * @param {{onProgress?: (p: Progress) => void, signal?: AbortSignal}} [options]
   * @returns {Promise<Model>}
   */
  async loadModel(id, { onProgress, signal } = {}) {
    const entry = manifestEntry(await this.manifest(signal), id);
    let model = this.#models.get(entry.id);
    if (!model) {
      model = this.#loadModel(entry, { onProgress, signal });
      this.#models.set(entry.id, model);
      model.catch(() => this.#models.delete(entry.id));
    }
    return model;
  }

  /**
   * @param {{id: string, files: any, vocab_size: number, eot_id: number, index: number, id_hash: string} & import('./model.js').ModelShape} entry
   * @param {{onProgress?: (p: Progress) => void, signal?: AbortSignal}} options
   * @returns {Promise<Model>}
   */
  async #loadModel(entry, { onProgress, signal }) {
    const codec = this.codec(); // loads beside the model files
    codec.catch(() => {}); // its error surfaces where use() awaits it
    // The model starts while its files' sha256 is being checked, and is used only once they match.
    return loadModelFiles(entry, {
      baseUrl: this.#settings.modelBaseUrl, signal, cache: this.#settings.cache, onProgress,
      use: async (files) => this.#startModel(entry, await codec, files, onProgress),
      discard: async (lm) => {
        await lm.model.dispose();
        lm.tokenizer.dispose();
        lm.tree.dispose();
      },
    });
  }

  /**
   * The model of `entry` from its files, on the first backend that works.
   * @param {{id: string, files: any, vocab_size: number, eot_id: number, index: number, id_hash: string} & import('./model.js').ModelShape} entry
   * @param {import('./codec.js').Codec} codec @param {Record<string, Uint8Array>} files
   * @param {((p: Progress) => void)|undefined} onProgress
   * @returns {Promise<Model>}
   */
  async #startModel(entry, codec, files, onProgress) {
    onProgress?.({ phase: 'load', done: 0, total: 1 });
    const tokenizer = codec.parseTokenizer(files['tokenizer.kbpe']);
    if (tokenizer.vocabSize !== entry.vocab_size || tokenizer.eotId !== entry.eot_id) {
      throw new KolmoError('model_mismatch', `tokenizer of ${entry.id} does not match its manifest entry`);
    }
    const tree = codec.buildTokenTree(tokenizer.tokenCounts());
    // Each token's bytes, decoded on first use: building all 8,192 up front cost a new page ~50 ms.
    /** @type {(Uint8Array|undefined)[]} */
    const pieces = [];
    const piece = (/** @type {number} */ t) => (pieces[t] ??= t === entry.eot_id ? new Uint8Array(0) : tokenizer.decode([t]));
    const order = this.#backend ? [this.#backend] : this.#settings.backends;
    const failures = [];
    for (const backend of order) {
      try {
        const model = backend === 'core' ? createCoreModel(codec, files['model.onnx'], entry) : await createLanguageModel({
          ort: await this.#loadOrt(backend), modelBytes: files['model.onnx'], shape: entry, backends: [backend],
          threads: this.#settings.threads, gpuKvCache: this.#settings.gpuKvCache ?? false,
        });
        this.#backend = backend;
        this.#fallback ??= failures.length ? failures.join('; ') : null;
        onProgress?.({ phase: 'load', done: 1, total: 1 });
        return { model, tokenizer, tree, entry, piece, backend, fallback: this.#fallback };
      } catch (error) {
        const kolmoError = asKolmoError(error);
        if (kolmoError.code === 'bad_model' || kolmoError.code === 'out_of_memory') throw kolmoError;
        failures.push(`${backend}: ${kolmoError.message}`);
      }
    }
    // One backend asked for: its own reason (webgpu_unavailable, ort_missing) is the code.
    const only = order.length === 1 ? /^\w+: (webgpu_unavailable|ort_missing):/.exec(failures[0])?.[1] : undefined;
    throw new KolmoError(only ?? 'backend_failed',
      `no backend could run the model (${failures.join('; ')})`);
  }

  /**
   * Loads the default model; reports the backend.
   * @param {{onProgress?: (p: Progress) => void, signal?: AbortSignal}} [options]
   */
  async load(options) {
    const lm = await this.loadModel(undefined, options);
    return { backend: lm.backend, fallback: lm.fallback, modelId: lm.entry.id };
  }

  /** The core's limits, read from the module: {maxTextBytes, maxLmTokens}. */
  async limits() {
    const codec = await this.codec();
    return { maxTextBytes: codec.defaultContainerLimits().maxTextBytes, maxLmTokens: codec.maxLmTokens() };
  }

  /**
   * Serves one request of the protocol (shared/messages.js): the one dispatch of the worker and
   * of the in-process host (page/hosts.js; Node), both through EngineSlot.
   * @param {string} type a Kind @param {any} input the request's `in`
   * @param {{onProgress?: (p: Progress) => void, onTokens?: (t: any) => void, signal?: AbortSignal}} [events]
   */
  run(type, input, { onProgress, onTokens, signal } = {}) {
    switch (type) {
      case Kind.load:
        return this.load({ onProgress, signal });
      case Kind.limits:
        return this.limits();
      case Kind.compress:
        return this.compress(input.bytes, { onProgress, signal, tokenCosts: input.tokenCosts, modes: input.modes, password: input.password });
      case Kind.segment:
        return this.segment(input, { onProgress, signal });
      case Kind.decompress:
        return this.decompress(input.container ?? input.fragment, {
          onProgress, signal, tokenCosts: input.tokenCosts, password: input.password,
          onTokens: input.wantTokens ? onTokens : undefined,
        });
      default:
        return Promise.reject(new KolmoError('bad_argument', `unknown request ${JSON.stringify(type)}`));
    }
  }

  /**
   * Compresses bytes with the default model -> the smallest container and its fragment text.
   * @param {Uint8Array} bytes
   * @param {{onProgress?: (p: Progress) => void, tokenCosts?: boolean, signal?: AbortSignal, modes?: string[],
   *   password?: string}} [options]
   *   tokenCosts: add stats.tokenCosts = {lengths, bits}: each token's byte length and cost;
   *   modes: the container modes to choose from (default all); password: encrypt the chosen
   *   container into a password envelope (crypto.js; the mode choice is made before)
   */
  async compress(bytes, { onProgress, tokenCosts = false, signal, modes, password } = {}) {
    const codec = await this.codec();
    const limits = codec.defaultContainerLimits();
    if (bytes.length > limits.maxTextBytes) {
      throw new KolmoError('length_over_limit', `the text is ${bytes.length} bytes; the limit is ${limits.maxTextBytes}`);
    }
    const t0 = now();
    const lm = await this.loadModel(undefined, { onProgress, signal });
    const t1 = now();
    const result = await compressBytes(bytes, { codec, lm, onProgress, signal, modes, tokenCosts, segments: await this.#segmentWork() });
    // The tokens the model codes, each with the length it has in the text, and the bits the LM
    // payload coded for them (+ EOT; zeros when the model did not code the text).
    const coded = result.coded;
    const lengths = coded ? Uint32Array.from(coded.ids, (t) => textPiece(codec, lm.piece(t), coded.crlfLineBreaks).length) : null;
    const costs = lengths ? result.tokenBits ?? new Float32Array(lengths.length + 1) : null;
    const encrypted = password !== undefined && password !== null;
    const container = encrypted ? await sealContainer(codec, result.container, password, { signal }) : result.container;
    const t2 = now();
    const fragment = codec.urlEncode(container);
    /** @type {any} */
    const lmStats = result.stats ?? {};
    return {
      container,
      fragment,
      qrFragment: codec.urlEncodeQr(container),
      mode: result.mode,
      stats: {
        mode: result.mode,
        encrypted,
        inputBytes: bytes.length,
        containerBytes: container.length,
        fragmentChars: fragment.length,
        modelId: lm.entry.id,
        backend: lm.backend,
        fallback: lm.fallback,
        tokens: lmStats.tokens ?? 0,
        idealBits: lmStats.idealBits ?? 0,
        codedBits: lmStats.codedBits ?? 0,
        escapes: lmStats.escapes ?? 0,
        fragileSteps: lmStats.fragileSteps ?? 0,
        loadMs: t1 - t0,
        codeMs: t2 - t1,
        tokenCosts: costs && lengths ? { lengths, bits: costs } : undefined,
      },
    };
  }

  /**
   * Container bytes from what decompress() accepts: fragment text (a bare fragment, "#…", or a
   * whole link), the file form ("KLMO" + container) or the container itself.
   * @param {Uint8Array|string} input
   */
  async containerOf(input) {
    const codec = await this.codec();
    if (typeof input === 'string') {
      let text = input.trim();
      const hash = text.indexOf('#');
      if (hash >= 0 && text.indexOf('#', hash + 1) >= 0) {
        // Which fragment is the link? A reader sees the first; refusing is the only safe answer.
        throw new KolmoError('bad_url_text', 'the link has more than one "#": copy the whole link again, or pass only the text after its "#"');
      }
      if (hash >= 0) text = text.slice(hash + 1);
      return codec.containerFromLinkText(text); // base62, or the QR form; damaged_link for a typo
    }
    if (input.length < 4 && input.length > 0 && input.every((b, i) => b === 'KLMO'.charCodeAt(i))) {
      codec.containerParseFile(input); // a strict prefix of the file form's magic: truncated
    }
    if (codec.isFileForm(input)) {
      const container = input.subarray(4); // after the magic
      // bad_magic, truncated, ... for a damaged file; an envelope is checked when it is opened
      if (!codec.isEnvelope(container)) codec.containerParseFile(input);
      return container;
    }
    return input;
  }

  /**
   * Decompresses a link or container; the bytes are returned only after the integrity check.
   * @param {Uint8Array|string} input  see containerOf()
   * @param {{onProgress?: (p: Progress) => void, onTokens?: (t: TokensOut) => void,
   *   tokenCosts?: boolean, signal?: AbortSignal, password?: string}} [options]
   *   onTokens: batches of decoded, NOT yet verified tokens, at most every 50 ms; password: for
   *   an encrypted link (password_required without one, wrong_password for a wrong one)
   */
  async decompress(input, { onProgress, onTokens, tokenCosts = false, signal, password } = {}) {
    // The manifest (for the link's model) is fetched beside the WASM module, not after it; a link
    // that needs no model leaves it unused, and a failure here is met again where it matters.
    this.manifest(signal).catch(() => {});
    const codec = await this.codec();
    const received = await this.containerOf(input);
    const encrypted = codec.isEnvelope(received);
    const container = encrypted ? await openEnvelope(codec, received, password, { signal }) : received;
    /** @type {any} the parsed container, from the core's decode job (onView) */
    let view = null;
    const t0 = now();
    /** @type {Model|null} */
    let lm = null;
    let loadMs = 0;
    const getModel = async (/** @type {number} */ index) => {
      const entry = entryForLinkIndex(await this.manifest(signal), index);
      lm = await this.loadModel(entry.id, { onProgress, signal });
      loadMs = now() - t0;
      return lm;
    };

    /** @type {number[]} */
    const allBits = [];
    /** @type {number[]} */
    const allLengths = [];
    /** @type {number[]} */
    let pendingIds = [];
    let pendingIndex = 0;
    let lastFlush = now();
    const flush = () => {
      if (!onTokens || !lm || pendingIds.length === 0) return;
      const pieces = pendingIds.map((t) => textPiece(codec, /** @type {Model} */ (lm).piece(t), view.crlfLineBreaks));
      const lengths = Uint32Array.from(pieces, (p) => p.length);
      const bytes = concatBytes(pieces);
      const out = { index: pendingIndex, bytes, lengths, ...(tokenCosts ? { bits: Float32Array.from(allBits.slice(pendingIndex, pendingIndex + pieces.length)) } : {}) };
      pendingIndex += pendingIds.length;
      pendingIds = [];
      lastFlush = now();
      onTokens(out);
    };
    // Tokens go out in batches, at most every 50 ms, after the pipeline reports progress: it does
    // so after each slice of steps and after each segment of a long link, whose tokens come at
    // once (a batch cut at its first token would hold the rest back until the next segment).
    const onDecodeProgress = (/** @type {Progress} */ p) => {
      if (now() - lastFlush > 50) flush();
      onProgress?.(p);
    };
    const bytes = await decompressContainer(container, {
      codec, getModel, onProgress: onDecodeProgress, signal, segments: await this.#segmentWork(), maxTextBytes: this.#settings.maxTextBytes,
      onView: (v) => {
        view = v;
        // What the link declares before any decoding, for a reader to say what opening will take.
        onProgress?.({ phase: 'decode', done: 0, declared: { mode: v.mode, textBytes: v.declaredTextBytes, maxTokens: v.declaredMaxTokens } });
      },
      onTokenCost: tokenCosts ? (index, b) => void (allBits[index] = b) : undefined,
      onToken: (id) => {
        allLengths.push(textPiece(codec, /** @type {Model} */ (lm).piece(id), view.crlfLineBreaks).length);
        if (onTokens) pendingIds.push(id);
      },
    });
    flush();
    const t1 = now();
    const loaded = /** @type {Model|null} */ (lm);
    return {
      bytes,
      stats: {
        mode: view.mode,
        encrypted,
        inputBytes: bytes.length,
        containerBytes: received.length,
        modelId: loaded ? loaded.entry.id : null,
        backend: loaded ? loaded.backend : null,
        fallback: loaded ? loaded.fallback : null,
        loadMs,
        codeMs: t1 - t0 - loadMs,
        tokens: allLengths.length,
        tokenCosts: loaded && tokenCosts ? { lengths: Uint32Array.from(allLengths), bits: Float32Array.from(allBits) } : undefined,
      },
    };
  }

  /**
   * One segment of a long text, for the worker that holds the link (segments.js): decoded from
   * its payload, or coded from its tokens, with the link's model on the core's engine; or one
   * window of a text coded as one stream (windows.js): its logits.
   * @param {import('../shared/messages.js').SegmentIn} input
   * @param {{onProgress?: (p: Progress) => void, signal?: AbortSignal}} [options]
   * @returns {Promise<import('../shared/messages.js').SegmentOut>}
   */
  async segment({ modelIndex, decode, encode, window }, { onProgress, signal } = {}) {
    const codec = await this.codec();
    const entry = entryForLinkIndex(await this.manifest(signal), modelIndex);
    const lm = await this.loadModel(entry.id, { signal });
    if (lm.backend !== 'core') throw new KolmoError('backend_failed', `segments run on the core's engine, not ${lm.backend}`);
    let last = 0;
    const onFraction = (/** @type {number} */ fraction) => {
      if (now() - last < 100) return;
      last = now();
      onProgress?.({ phase: decode ? 'decode' : 'encode', done: 0, fraction });
    };
    if (window) return windowLogits(codec, lm, window);
    if (decode) return decodeSegment(codec, lm, decode.payload, decode.maxTokens, { signal, onFraction });
    if (encode) return encodeSegment(codec, lm, encode.ids, encode.epsilon, { signal, onFraction });
    throw new KolmoError('bad_argument', 'segment: neither decode nor encode');
  }

  /** Helpers for long texts (segments.js), started on the first one. */
  segmentHelpers() {
    this.#helpers ??= new SegmentHelpers();
    return this.#helpers;
  }

  /** How a long text's segments are spread: the settings' threads, or the device's cores (at most 4). */
  async #segmentWork() {
    const workers = this.#settings.workers ?? await defaultSegmentWorkers();
    return { helpers: workers > 1 ? this.segmentHelpers() : null, workers, settings: this.#settings };
  }

  /** Frees the sessions (the engine can load again afterwards). */
  async dispose() {
    this.#helpers?.dispose();
    this.#helpers = null;
    const models = [...this.#models.values()];
    this.#models.clear();
    for (const model of models) await (await model.catch(() => null))?.model.dispose();
  }
}

/**
 * The engine of a host — the Web Worker (worker.js) or the in-process host (page/hosts.js): an
 * Engine for the settings of the request it serves, kept while requests bring the same settings
 * and replaced (the old one disposed) when they bring others. Settings travel in every request,
 * so a fresh worker after an abort rebuilds its engine from the next one.
 */
export class EngineSlot {
  /** @type {Engine|null} */
  #engine = null;
  #key = '';

  /**
   * Serves one request of the protocol (Engine.run) on the engine for `input.settings`.
   * @param {string} type a Kind @param {any} input the request's `in`
   * @param {{onProgress?: (p: Progress) => void, onTokens?: (t: any) => void, signal?: AbortSignal}} [events]
   */
  async run(type, input, events) {
    const settings = input?.settings;
    if (!settings || !Array.isArray(settings.backends)) throw new KolmoError('bad_argument', `${type}: settings missing`);
    const key = JSON.stringify(settings);
    if (this.#engine === null || key !== this.#key) {
      await this.#engine?.dispose();
      this.#engine = new Engine(settings);
      this.#key = key;
    }
    return this.#engine.run(type, input, events);
  }

  /** Frees the engine's sessions; the next request starts a new engine. */
  async dispose() {
    const engine = this.#engine;
    this.#engine = null;
    await engine?.dispose();
  }
}
