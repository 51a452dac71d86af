// @file The kolmo pipeline: text -> tokenizer -> model -> rounding layer + range coder -> container,
// and back. No DOM and no ONNX Runtime calls of its own (model.js does those), so the same code runs
// in a Web Worker, in Node and in tests.
//
// Sequence and windows: the model sees EOT (as BOS), the text's tokens, then EOT ends the text.
// Token i is predicted from tokens [contextStart(i), i) (src/session.h).
//
// Two paths, by backend:
//   - the core's model engine (CoreLanguageModel, the default): one link job of the core per link
//     (codec.createLinkEncodeJob / createLinkDecodeJob, src/link_jobs.h) runs tokenizer, model,
//     rounding layer, coder, mode choice and check inside the WASM module; this file only runs it
//     in slices, yielding and checking the abort signal between them, and reports progress and
//     tokens;
//   - ONNX Runtime (model.js: WebGPU, and ORT's CPU backends for comparisons): the logits come
//     out to JS and go into the core's sessions step by step. The encoder runs one batched pass
//     per window start; the decoder steps with the KV cache and re-reads the window in one batched
//     pass where the rule restarts it. Those two ways give logits a few 1e-6 apart, well inside
//     the rounding layer's epsilon.
import { KolmoError } from '../shared/errors.js';
import { kJobSlice, pacer, throwIfAborted } from './pacing.js';
import { decodeSegments, encodeSegments } from './segments.js';
import { encodeWindows, windowsHelped } from './windows.js';

/**
 * @typedef {import('./model.js').LanguageModel | import('./core_model.js').CoreLanguageModel} AnyModel
 *   ONNX Runtime's (model.js) or the core's engine (core_model.js): prefill(), step(), vocabSize, eotId, context
 * @typedef {{model: AnyModel, tokenizer: import('./codec.js').Tokenizer,
 *   tree: import('./codec.js').TokenTree, entry: {id: string, index: number, id_hash: string}}} LoadedModel
 * @typedef {{phase: 'encode'|'decode', done: number, total?: number, fraction?: number}} Progress
 * @typedef {{helpers: import('./segments.js').SegmentHelpers|null, workers: number, settings: any}} SegmentWork
 *   how a long text's segments (segments.js), or the windows of a text coded as one stream
 *   (windows.js), are spread: helpers, threads in all, the engine's settings
 */

/** The sequence the model sees for a text's token ids: EOT (as BOS), ids, EOT. */
export function codedSequence(ids, eotId) {
  const seq = new Uint32Array(ids.length + 2);
  seq[0] = eotId;
  seq.set(ids, 1);
  seq[seq.length - 1] = eotId;
  return seq;
}

/**
 * The encoder's batched passes over a sequence of `length` tokens: for each window start, the
 * positions pos..last (inclusive) that the context-window rule predicts from tokens
 * [start, position); one pass over tokens [start, last) gives all their logits.
 * @returns {Generator<{start: number, pos: number, last: number}>}
 */
export function* encoderWindows(codec, length, context) {
  for (let pos = 1; pos < length;) {
    const start = codec.contextStart(pos, context);
    let last = pos;
    while (last + 1 < length && codec.contextStart(last + 1, context) === start) last++;
    yield { start, pos, last };
    pos = last + 1;
  }
}

/**
 * The LM payload version new links use (docs/FORMAT.md §5.6: the model mixed with the
 * in-document model, span headers over a family of grids; a container of version 4, or 5 for a
 * CRLF text). Links of versions 1 and 2 keep decoding. Which versions a link is coded in, and
 * which one it keeps, the core decides (lmPayloadVersionsFor, packBest: src/link_jobs.h).
 */
export const kLmPayloadVersion = 3;

/** The core's engine, when the model runs there. @param {any} model */
const coreEngine = (model) => ('engine' in model ? model.engine : null);

/**
 * Codes token ids into an LM payload, or into several payload versions at once (one model pass
 * feeds every encoder).
 * @param {{codec: import('./codec.js').Codec, lm: LoadedModel, ids: Uint32Array, epsilon?: number,
 *   onProgress?: (p: Progress) => void, tokenCosts?: boolean,
 *   signal?: AbortSignal, payloadVersion?: number, payloadVersions?: number[]}} options
 *   payloadVersion: 3 (default, kLmPayloadVersion), 2 (mixed, per-token flags) or 1 (the model
 *   alone); payloadVersions: several
 *   (the result's payload and stats are of the first)
 *   tokenCosts: each payload gets `bits`, the bits it coded for each token, index 0..ids.length
 *   (the last is EOT): what the link actually pays per token
 * @returns {Promise<{payload: Uint8Array, stats: object, payloads: {payloadVersion: number, payload: Uint8Array, stats: object, bits?: Float32Array}[]}>}
 */
export async function encodeTokens({ codec, lm, ids, epsilon, onProgress, tokenCosts = false, signal, payloadVersion = kLmPayloadVersion, payloadVersions = [payloadVersion] }) {
  const { model, tree } = lm;
  const vocab = model.vocabSize;
  const seq = codedSequence(ids, model.eotId);
  const encoders = [];
  const pace = pacer(signal);
  try {
    for (const version of payloadVersions) {
      encoders.push(codec.createEncoder({ tree, eotId: model.eotId, epsilon, payloadVersion: version, tokenCount: seq.length - 1 }));
    }
    for (const { start, pos, last } of encoderWindows(codec, seq.length, model.context)) {
      await pace();
      const logits = await model.prefill(seq.subarray(start, last)); // row r predicts start + r + 1
      for (const encoder of encoders) {
        encoder.encodeMany(logits.subarray((pos - 1 - start) * vocab, (last - start) * vocab), seq.subarray(pos, last + 1));
      }
      onProgress?.({ phase: 'encode', done: last, total: seq.length - 1 });
    }
    const payloads = encoders.map((encoder, i) => {
      const payload = encoder.finish();
      return { payloadVersion: payloadVersions[i], payload, stats: encoder.stats(), bits: tokenCosts ? encoder.stepBits() : undefined };
    });
    return { payload: payloads[0].payload, stats: payloads[0].stats, payloads };
  } finally {
    for (const encoder of encoders) encoder.dispose();
  }
}

/**
 * The decoder's way to get logits: one batched pass over the window where the context-window
 * rule starts a new one, a single KV-cache step inside it. `next(seq, pos)` gives the (vocab,)
 * logits that predict seq[pos] from seq[contextStart(pos), pos); positions come in order 1, 2, ...
 */
export class StepwiseLogits {
  #codec;
  #model;
  #windowStart = -1;

  /** @param {import('./codec.js').Codec} codec @param {AnyModel} model */
  constructor(codec, model) {
    this.#codec = codec;
    this.#model = model;
  }

  /** @param {Uint32Array} seq @param {number} pos @returns {Promise<Float32Array>} */
  async next(seq, pos) {
    const model = this.#model;
    const start = this.#codec.contextStart(pos, model.context);
    if (start === this.#windowStart) return model.step(seq[pos - 1]);
    const rows = await model.prefill(seq.subarray(start, pos));
    this.#windowStart = start;
    return rows.subarray((pos - 1 - start) * model.vocabSize, (pos - start) * model.vocabSize);
  }
}

/**
 * Every logits row a coded sequence gets, the way the encoder computes them ('batched': one pass
 * per window) or the way the decoder does ('stepwise': StepwiseLogits). Row i predicts seq[i + 1].
 * For measuring how far two inference paths drift apart (bench/drift.mjs, the conformance tests).
 * @param {import('./codec.js').Codec} codec @param {AnyModel} model
 * @param {Uint32Array} seq @param {'batched'|'stepwise'} mode
 * @returns {Promise<Float32Array>} (seq.length - 1, vocab) row-major
 */
export async function sequenceLogits(codec, model, seq, mode) {
  const vocab = model.vocabSize;
  const out = new Float32Array((seq.length - 1) * vocab);
  if (mode === 'batched') {
    for (const { start, pos, last } of encoderWindows(codec, seq.length, model.context)) {
      const logits = await model.prefill(seq.subarray(start, last));
      out.set(logits.subarray((pos - 1 - start) * vocab, (last - start) * vocab), (pos - 1) * vocab);
    }
  } else if (mode === 'stepwise') {
    const stepper = new StepwiseLogits(codec, model);
    for (let pos = 1; pos < seq.length; pos++) out.set(await stepper.next(seq, pos), (pos - 1) * vocab);
  } else {
    throw new KolmoError('bad_argument', `sequenceLogits: mode ${mode}`);
  }
  return out;
}

/**
 * Decodes an LM payload into token ids (without the EOTs).
 * @param {{codec: import('./codec.js').Codec, lm: LoadedModel, payload: Uint8Array, maxTokens?: number,
 *   onToken?: (id: number, index: number) => void, onTokenCost?: (index: number, bits: number) => void,
 *   onProgress?: (p: Progress) => void, signal?: AbortSignal, payloadVersion?: number}} options
 *   payloadVersion: the LM payload version of the container (1, 2 or 3; default 1)
 *   onTokenCost: the bits the payload coded for each token, before the token's onToken (the
 *   last call is EOT's); equal to the encoder's tokenCosts bits
 * @returns {Promise<Uint32Array>}
 */
export async function decodeTokens({ codec, lm, payload, maxTokens, onToken, onTokenCost, onProgress, signal, payloadVersion = 1 }) {
  const { model, tree } = lm;
  const decoder = codec.createDecoder({ tree, eotId: model.eotId, payload, maxTokens, payloadVersion });
  const stepper = new StepwiseLogits(codec, model);
  const pace = pacer(signal);
  let seq = new Uint32Array(1024);
  seq[0] = model.eotId;
  let length = 1;
  let codedBitsBefore = 0; // onTokenCost: the decoder's codedBits after the previous token
  try {
    for (;;) {
      await pace();
      const pos = length;
      const logits = await stepper.next(seq, pos);
      const token = decoder.decode(logits);
      if (onTokenCost) {
        const codedBits = decoder.stats().codedBits;
        onTokenCost(pos - 1, codedBits - codedBitsBefore);
        codedBitsBefore = codedBits;
      }
      if (token === model.eotId) break;
      if (length === seq.length) {
        const grown = new Uint32Array(seq.length * 2);
        grown.set(seq);
        seq = grown;
      }
      seq[length++] = token;
      onToken?.(token, length - 2);
      if (onProgress && (length & 15) === 0) {
        // Share of the payload read so far: coded bits over payload bits, an estimate.
        const fraction = Math.min(1, decoder.stats().codedBits / Math.max(1, payload.length * 8));
        onProgress({ phase: 'decode', done: length - 1, fraction });
      }
    }
    return seq.slice(1, length);
  } finally {
    decoder.dispose();
  }
}

const kAllModes = ['stored', 'cm', 'lm'];

/**
 * Compresses bytes into the smallest container: LM when a model is given, the text has at most
 * codec.maxLmTokens() tokens (EOT included: kMaxLmTokens in src/session.h, the decoder's default
 * bound too) and LM wins, else the model-free cm codec or stored bytes. Decoding costs one model
 * step per token (~300 tokens/s in a browser): the bound keeps opening any LM link, real or
 * crafted, under about 4 minutes. Longer texts (up to the container's 4 MiB) get cm or stored.
 * @param {Uint8Array} bytes
 * @param {{codec: import('./codec.js').Codec, lm?: LoadedModel|null, epsilon?: number,
 *   onProgress?: (p: Progress) => void, tokenCosts?: boolean,
 *   signal?: AbortSignal, modes?: string[], segments?: SegmentWork}} options
 *   modes: the container modes to choose from (default all three); segments: how a long text's
 *   segments, or a text's windows, are spread over threads (default: all here, one after another;
 *   on the core's engine stats.helpedWindows counts the windows helpers computed); tokenCosts: also return
 *   `coded` (modelInput(): the token ids the model codes) and tokenBits, the bits the link's LM
 *   payload codes for each of them (EOT last; of LM payload version 3 when the link is not lm:
 *   what the model would cost; absent when the model did not code the text)
 * @returns {Promise<{container: Uint8Array, mode: string, stats: object|null,
 *   coded?: {ids: Uint32Array, crlfLineBreaks: boolean}, tokenBits?: Float32Array}>}
 */
export async function compressBytes(bytes, { codec, lm = null, epsilon, onProgress, tokenCosts = false, signal, modes = kAllModes, segments }) {
  if (!Array.isArray(modes) || modes.length === 0 || modes.some((m) => !kAllModes.includes(m))) {
    throw new KolmoError('bad_argument', `modes: expected a non-empty list of ${kAllModes.join(', ')}`);
  }
  const limits = codec.defaultContainerLimits();
  if (bytes.length > limits.maxTextBytes) {
    throw new KolmoError('length_over_limit', `text is ${bytes.length} bytes; the limit is ${limits.maxTextBytes}`);
  }
  const onlyLm = modes.includes('lm') && !modes.includes('stored') && !modes.includes('cm');
  try {
    if (lm && coreEngine(lm.model)) return await compressInCore(bytes, { codec, lm, epsilon, onProgress, tokenCosts, signal, modes, segments });
    return await compressOutside(bytes, { codec, lm, epsilon, onProgress, tokenCosts, signal, modes, segments });
  } catch (error) {
    if (onlyLm && error instanceof KolmoError && error.code === 'bad_argument') {
      throw new KolmoError('bad_argument', lm
        ? `only the model was allowed, and the text has more tokens than the model codes (${2 ** 19} in segments of at most ${codec.maxLmTokens()})`
        : 'only the model was allowed, and no model is loaded');
    }
    throw error;
  }
}

/** Container mode names -> the core's bit set (1 << mode). @param {string[]} modes */
const modeBits = (modes) => modes.reduce((bits, m) => bits | (1 << kAllModes.indexOf(m)), 0);

/** compressBytes with the model inside the core: one link job does it all. */
async function compressInCore(bytes, { codec, lm, epsilon, onProgress, tokenCosts, signal, modes, segments }) {
  const job = codec.createLinkEncodeJob({
    text: bytes, modes: modeBits(modes), engine: /** @type {any} */ (coreEngine(lm.model)), tokenizer: lm.tokenizer, tree: lm.tree,
    modelIndex: lm.entry.index, idHash: lm.entry.id_hash, epsilon, segmentRule: segments?.settings?.segmentRule,
  });
  const pace = pacer(signal);
  try {
    // A long text on several threads: the segments are coded side by side, then the job packs them.
    const spread = job.segmentCount > 0 && segments && segments.workers > 1
      ? await encodeSegments(job, { codec, lm, epsilon, onProgress, signal, ...segments })
      : null;
    // One stream of several windows: helpers compute windows ahead while this thread codes
    // them (encodeWindows runs the job to its end; the loop below then only sees it done).
    const helped = segments && windowsHelped(job, segments) ? await encodeWindows(job, { lm, onProgress, signal, ...segments }) : null;
    for (let done = false; !done;) {
      await pace();
      done = job.run(kJobSlice);
      if (job.positionsTotal > 0) onProgress?.({ phase: 'encode', done: job.positionsDone, total: job.positionsTotal });
    }
    // Without lm the job does no model work; the costs view still wants the tokens.
    const coded = modes.includes('lm') ? job.input() : tokenCosts ? modelInput(codec, lm, bytes) : null;
    const inJob = job.usedPayload();
    const used = spread && inJob ? { ...inJob, stats: spread.stats, bits: spread.bits } : inJob;
    const stats = used && coded ? { ...used.stats, payloadVersion: used.payloadVersion, tokens: coded.ids.length, segments: job.segmentCount,
      helpedWindows: helped?.helpedWindows ?? 0 } : null;
    return { container: job.container(), mode: job.mode, stats, ...(tokenCosts ? { coded, tokenBits: used?.bits } : {}) };
  } finally {
    job.dispose();
  }
}

/** compressBytes with the model outside the core (ONNX Runtime): its logits come through JS. */
async function compressOutside(bytes, { codec, lm, epsilon, onProgress, tokenCosts, signal, modes, segments }) {
  /** @type {{payloadVersion: number, payload: Uint8Array, stats: object, bits?: Float32Array, segmented?: boolean}[]} */
  let payloads = [];
  const coded = lm && (modes.includes('lm') || tokenCosts) ? modelInput(codec, lm, bytes) : null;
  // A long text: its segments (the core's rule), each coded as one LM payload 3, one after another.
  const cuts = lm && coded && modes.includes('lm') ? codec.segmentCuts(lm.tokenizer, coded.ids, segments?.settings?.segmentRule) : [];
  const versions = coded && modes.includes('lm') && cuts.length === 0 ? codec.lmPayloadVersionsFor(coded.ids.length + 1, coded.crlfLineBreaks) : [];
  if (lm && coded && versions.length > 0) {
    ({ payloads } = await encodeTokens({ codec, lm, ids: coded.ids, epsilon, onProgress, tokenCosts, signal, payloadVersions: versions }));
  } else if (lm && coded && cuts.length > 0) {
    const starts = [0, ...cuts, coded.ids.length];
    /** @type {Uint8Array[]} */
    const parts = [];
    for (let i = 0; i + 1 < starts.length; i++) {
      const part = await encodeTokens({ codec, lm, ids: coded.ids.subarray(starts[i], starts[i + 1]), epsilon, signal, payloadVersions: [kLmPayloadVersion],
        onProgress: (p) => onProgress?.({ ...p, done: starts[i] + i + p.done, total: coded.ids.length + cuts.length + 1 }) });
      parts.push(part.payload);
    }
    payloads = [{ payloadVersion: kLmPayloadVersion, payload: codec.segmentedBody(lm.entry.id_hash, bytes, parts), stats: {}, segmented: true }];
  }
  const packed = codec.containerPackBest({
    text: bytes, modes, modelIndex: lm?.entry.index ?? 0, modelIdHash: lm?.entry.id_hash ?? '0',
    lmBodies: payloads.map((p) => ({ body: p.payload, payloadVersion: p.payloadVersion, crlfLineBreaks: coded?.crlfLineBreaks ?? false, segmented: p.segmented ?? false })),
  });
  // Stats of the payload the link holds (or of version 3 when the link is not lm).
  const used = payloads[packed.lmBody ?? 0];
  const stats = used && coded ? { ...used.stats, payloadVersion: used.payloadVersion, tokens: coded.ids.length } : null;
  return { container: packed.bytes, mode: packed.mode, stats, ...(tokenCosts && coded ? { coded, tokenBits: used?.bits } : {}) };
}

/**
 * What the model codes for a text: its token ids, of the text with LF line breaks when every
 * line break is CRLF (container versions 3 and 5: the model was trained on LF text; the check still
 * covers the text itself).
 * @param {import('./codec.js').Codec} codec @param {LoadedModel} lm @param {Uint8Array} bytes
 * @returns {{ids: Uint32Array, crlfLineBreaks: boolean}}
 */
export function modelInput(codec, lm, bytes) {
  return codec.modelInput(lm.tokenizer, bytes);
}

/**
 * Decompresses a container; the result is returned only after the integrity check passed. The
 * container is parsed once, in the core (a link job, src/link_jobs.h), which also decodes stored
 * and cm links, runs the model when it is the core's engine, and checks the text.
 * @param {Uint8Array} container
 * @param {{codec: import('./codec.js').Codec, getModel: (linkIndex: number) => Promise<LoadedModel>,
 *   onToken?: (id: number, index: number) => void, onTokenCost?: (index: number, bits: number) => void,
 *   onProgress?: (p: Progress) => void, signal?: AbortSignal, onView?: (view: any) => void,
 *   segments?: SegmentWork, maxTextBytes?: number}} options
 *   getModel: resolves the container's model index (throws KolmoError 'unknown_model' if unknown);
 *   onView: the parsed container ({mode, modelIndex, crlfLineBreaks, ...}) before decoding starts;
 *   segments: how a segmented link's segments are spread; maxTextBytes: the longest text it may hold
 * @returns {Promise<Uint8Array>}
 */
export async function decompressContainer(container, { codec, getModel, onToken, onTokenCost, onProgress, signal, onView, segments, maxTextBytes }) {
  const job = codec.createLinkDecodeJob(container, { maxTextBytes });
  try {
    const view = job.view;
    onView?.(view);
    if (view.mode !== 'lm') {
      job.run(1);
      return job.text();
    }
    const lm = await getModel(view.modelIndex);
    const engine = coreEngine(lm.model);
    if (view.segmented) {
      const ids = await decodeSegmentedLink(job, { codec, lm, onToken, onTokenCost, onProgress, signal, segments });
      return job.finishWithTokens(lm.tokenizer, lm.entry.id_hash, ids);
    }
    if (!engine) {
      const ids = await decodeTokens({ codec, lm, payload: job.body(), onToken, onTokenCost, onProgress, signal, payloadVersion: view.lmPayloadVersion });
      return job.finishWithTokens(lm.tokenizer, lm.entry.id_hash, ids);
    }
    job.start({ engine, tokenizer: lm.tokenizer, tree: lm.tree, modelIndex: lm.entry.index, idHash: lm.entry.id_hash });
    const pace = pacer(signal);
    let reported = 0; // tokens handed to onToken so far
    for (let done = false; !done;) {
      await pace();
      done = job.run(kJobSlice);
      if (onToken || onTokenCost) {
        const tokens = job.tokens(reported);
        const bits = onTokenCost ? job.tokenBits(reported) : null;
        for (let i = 0; i < tokens.length; i++) {
          onTokenCost?.(reported + i, /** @type {Float32Array} */ (bits)[i]);
          onToken?.(tokens[i], reported + i);
        }
        if (done && bits && bits.length > tokens.length) onTokenCost?.(reported + tokens.length, bits[tokens.length]); // EOT
        reported += tokens.length;
      } else {
        reported = job.tokenCount;
      }
      onProgress?.({ phase: 'decode', done: reported, fraction: job.fraction });
    }
    return job.text();
  } finally {
    job.dispose();
  }
}

/**
 * A segmented link's tokens (not yet checked): on the core's engine side by side (segments.js),
 * on ONNX Runtime one segment after another. Tokens are reported in text order.
 * @param {import('./codec.js').LinkDecodeJob} job
 * @param {{codec: import('./codec.js').Codec, lm: LoadedModel, onToken?: (id: number, index: number) => void,
 *   onTokenCost?: (index: number, bits: number) => void, onProgress?: (p: Progress) => void, signal?: AbortSignal,
 *   segments?: SegmentWork}} options
 * @returns {Promise<Uint32Array>}
 */
async function decodeSegmentedLink(job, { codec, lm, onToken, onTokenCost, onProgress, signal, segments }) {
  let reported = 0;
  const onSegmentTokens = (/** @type {ArrayLike<number>} */ tokens, /** @type {ArrayLike<number>|null} */ bits, /** @type {boolean} */ last) => {
    for (let i = 0; i < tokens.length; i++) {
      // A segment's EOT but the last: its bits go to the token before it (as the core reports them).
      const extra = !last && i === tokens.length - 1 && bits && bits.length > tokens.length ? bits[tokens.length] : 0;
      if (bits) onTokenCost?.(reported + i, bits[i] + extra);
      onToken?.(tokens[i], reported + i);
    }
    if (last && bits && bits.length > tokens.length) onTokenCost?.(reported + tokens.length, bits[tokens.length]);
    reported += tokens.length;
  };
  if (coreEngine(lm.model)) {
    return decodeSegments(job, { codec, lm, helpers: segments?.helpers ?? null, workers: segments?.workers ?? 1,
      settings: segments?.settings ?? {}, onSegmentTokens, onProgress, signal });
  }
  const view = job.view;
  const bound = view.tokenBound; // src/segments.h segmentedTokenBound
  /** @type {number[]} */
  const all = [];
  for (let i = 0; i < view.segments; i++) {
    /** @type {number[]} */
    const bits = [];
    const ids = await decodeTokens({ codec, lm, payload: job.segmentPayload(i), payloadVersion: kLmPayloadVersion, signal,
      maxTokens: Math.min(codec.maxLmTokens(), bound - all.length), onTokenCost: onTokenCost ? (k, b) => void (bits[k] = b) : undefined,
      onProgress: (p) => onProgress?.({ phase: 'decode', done: all.length + p.done, fraction: (i + (p.fraction ?? 0)) / view.segments }) });
    onSegmentTokens(ids, onTokenCost ? bits : null, i + 1 === view.segments);
    for (const id of ids) all.push(id);
  }
  return Uint32Array.from(all);
}
