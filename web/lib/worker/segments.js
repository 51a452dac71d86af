// @ts-check
// @file A long text's segments (src/segments.h) coded side by side: this worker and up to three
// helpers — the same worker script, started from here through page/hosts.js (a Web Worker in
// browsers, a worker_threads thread in Node) — each take the next segment not yet taken, so the
// first segment is done first and the text appears in order. Every segment is an LM payload-3
// stream of its own, coded or decoded by one job of the core (codec.js PayloadEncodeJob /
// PayloadDecodeJob); the link job that holds the link packs the payloads (encode) or checks the
// whole text (decode), so what the helpers return is never shown unchecked.
//
// Helpers load the model themselves (from the browser's cache or the package's files) on their
// first segment and stay for later links; Engine.dispose() stops them. A helper that cannot start
// (a Content-Security-Policy, a bundler that left the worker behind) leaves its share to the
// others: a long link then takes longer, never fails for it. Aborting stops every helper.
// The same helpers compute windows of a text coded as one stream (windows.js).
import { KolmoError, abortError } from '../shared/errors.js';
import { Kind } from '../shared/messages.js';
import { isNode, nodeImport } from '../shared/env.js';
import { kJobSlice, linkedStop, now, pacer } from './pacing.js';

// page/hosts.js beside this folder. A variable, so that bundlers leave it alone (see get()).
const kHostsPath = '../page/hosts.js';
const kModuleUrl = import.meta.url; // on its own: new URL(variable, import.meta.url) makes webpack warn
const kHostsUrl = new URL(kHostsPath, kModuleUrl).href;

/** The most threads a link's segments use (the decoder's memory grows with each: ~8 MB). */
export const kMaxSegmentWorkers = 4;

/**
 * Threads for a long text's segments when the settings do not say (this worker included): the
 * device's cores, at most kMaxSegmentWorkers.
 * @returns {Promise<number>}
 */
export async function defaultSegmentWorkers() {
  let cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  if (isNode) {
    const os = await nodeImport('node:os');
    cores = os.availableParallelism?.() ?? os.cpus().length;
  }
  return Math.max(1, Math.min(kMaxSegmentWorkers, cores));
}

/**
 * One segment decoded here: its tokens and their bits (the last one is its EOT's).
 * @param {import('./codec.js').Codec} codec @param {any} lm a LoadedModel on the core's engine
 * @param {Uint8Array} payload @param {number} maxTokens
 * @param {{signal?: AbortSignal, onFraction?: (f: number) => void}} [options]
 * @returns {Promise<{tokens: Uint32Array, bits: Float32Array}>}
 */
export async function decodeSegment(codec, lm, payload, maxTokens, { signal, onFraction } = {}) {
  const job = codec.createPayloadDecodeJob({ payload, engine: lm.model.engine, tree: lm.tree, eotId: lm.entry.eot_id, maxTokens });
  const pace = pacer(signal, undefined, { behindMessages: true }); // helpers' replies get their turn
  try {
    for (let done = false; !done;) {
      await pace();
      done = job.run(kJobSlice);
      onFraction?.(job.fraction);
    }
    return { tokens: job.tokens(), bits: job.tokenBits() };
  } finally {
    job.dispose();
  }
}

/**
 * One segment coded here: its LM payload 3, stats and bits per position.
 * @param {import('./codec.js').Codec} codec @param {any} lm @param {Uint32Array} ids @param {number|undefined} epsilon
 * @param {{signal?: AbortSignal, onFraction?: (f: number) => void}} [options]
 * @returns {Promise<{payload: Uint8Array, stats: any, bits: Float32Array}>}
 */
export async function encodeSegment(codec, lm, ids, epsilon, { signal, onFraction } = {}) {
  const job = codec.createPayloadEncodeJob({ ids, engine: lm.model.engine, tree: lm.tree, eotId: lm.entry.eot_id, epsilon });
  const pace = pacer(signal, undefined, { behindMessages: true }); // helpers' replies get their turn
  try {
    for (let done = false; !done;) {
      await pace();
      done = job.run(kJobSlice);
      onFraction?.(job.positionsDone / Math.max(1, job.positionsTotal));
    }
    return job.result();
  } finally {
    job.dispose();
  }
}

/**
 * The helpers of one engine: started on the first long link, kept for later ones.
 */
export class SegmentHelpers {
  /** @type {import('../page/hosts.js').Host[]} */
  #hosts = [];
  /** @type {Set<import('../page/hosts.js').Host>} hosts that could not start: not asked again */
  #broken = new Set();

  /**
   * Up to `count` helpers (started when first asked for).
   * @param {number} count
   * @returns {Promise<import('../page/hosts.js').Host[]>}
   */
  async get(count) {
    if (this.#hosts.length < count) {
      // By URL, out of the bundlers' sight: hosts.js starts worker.js, and a worker chunk that
      // starts itself is a circular chunk to webpack. Where kolmo is bundled the URL is not there:
      // no helpers, the segments are coded one after another (README: Use with a bundler).
      /** @type {typeof import('../page/hosts.js')|null} */
      const hosts = await import(/* webpackIgnore: true */ /* @vite-ignore */ kHostsUrl).catch(() => null);
      if (!hosts) return [];
      while (this.#hosts.length < count) this.#hosts.push(isNode ? hosts.nodeThreadHost() : hosts.workerHost());
    }
    return this.#hosts.slice(0, count).filter((host) => !this.#broken.has(host));
  }

  /** A helper that failed to start (not a segment's own error): its share goes to the others. */
  markBroken(/** @type {import('../page/hosts.js').Host} */ host) {
    this.#broken.add(host);
  }

  dispose() {
    for (const host of this.#hosts) host.dispose();
    this.#hosts = [];
    this.#broken.clear();
  }
}

// Errors of a helper that mean "it could not run", not "the segment is bad".
const kHelperFailures = new Set(['worker_failed', 'worker_blocked', 'wasm_unavailable', 'wasm_blocked', 'backend_failed']);

/** Whether a helper's error means that it could not run (it is then not asked again). @param {unknown} error */
export const isHelperFailure = (error) => error instanceof KolmoError && kHelperFailures.has(error.code);

/**
 * The settings a helper's engine gets: the caller's, on the core's engine, with no helpers of its
 * own (the same for segments and windows, so that a helper keeps one engine for both).
 * @param {any} settings
 */
export const helperSettings = (settings) => ({ ...settings, backends: ['core'], workers: 1 });

/**
 * Runs `count` units of work on this worker (`here`) and on helpers (`there`), each taking the
 * next unit not yet taken; a helper that cannot run gives its unit back and stops.
 * @template T
 * @param {number} count
 * @param {(i: number) => Promise<T>} here
 * @param {import('../page/hosts.js').Host[]} hosts
 * @param {(host: import('../page/hosts.js').Host, i: number) => Promise<T>} there
 * @param {(i: number, result: T) => void} onDone
 * @param {(host: import('../page/hosts.js').Host) => void} onBroken
 * @param {AbortController} stop  aborted on the first error: every helper stops
 */
async function spread(count, here, hosts, there, onDone, onBroken, stop) {
  let next = 0;
  /** @type {number[]} units given back by a helper that could not run */
  const returned = [];
  const take = () => (returned.length ? returned.shift() : next < count ? next++ : undefined);
  const runner = async (/** @type {((i: number) => Promise<T>)} */ work, /** @type {any} */ host) => {
    for (let i = take(); i !== undefined; i = take()) {
      try {
        onDone(i, await work(i));
      } catch (error) {
        if (host && isHelperFailure(error) && !stop.signal.aborted) {
          returned.push(i);
          onBroken(host);
          return;
        }
        stop.abort();
        throw error;
      }
    }
  };
  const local = runner(here, null);
  // This worker's runner ends when no unit is left; units a helper gave back after that still
  // need a runner: this one again.
  await Promise.all([local, ...hosts.map((host) => runner((i) => there(host, i), host))]);
  await runner(here, null);
}

/**
 * Decodes a segmented link's segments (job: a LinkDecodeJob whose view is segmented) side by
 * side and returns every token in text order, not yet checked: the caller's
 * job.finishWithTokens() checks the whole text.
 * @param {import('./codec.js').LinkDecodeJob} job
 * @param {{codec: import('./codec.js').Codec, lm: any, helpers: SegmentHelpers|null, workers: number, settings: any,
 *   onSegmentTokens?: (tokens: Uint32Array, bits: Float32Array, last: boolean) => void,
 *   onProgress?: (p: any) => void, signal?: AbortSignal}} options
 *   onSegmentTokens: each segment's tokens, in text order, as soon as it and those before it are done
 * @returns {Promise<Uint32Array>}
 */
export async function decodeSegments(job, { codec, lm, helpers, workers, settings, onSegmentTokens, onProgress, signal }) {
  const view = job.view;
  const count = view.segments;
  const payloads = Array.from({ length: count }, (_, i) => job.segmentPayload(i));
  const totalBytes = payloads.reduce((sum, p) => sum + p.length, 0);
  const bound = view.tokenBound; // src/segments.h segmentedTokenBound
  const perSegment = Math.min(codec.maxLmTokens(), bound);
  /** @type {({tokens: Uint32Array, bits: Float32Array}|undefined)[]} */
  const results = new Array(count);
  const fractions = new Float64Array(count);
  let emitted = 0;
  let tokensDone = 0;
  let tokensAll = 0;
  let lastReport = 0;
  // Progress as segments advance (at most every 100 ms), and at once when one finishes.
  const onFraction = (/** @type {number} */ i, /** @type {number} */ f) => {
    fractions[i] = f;
    if (now() - lastReport >= 100) report();
  };
  const report = () => {
    lastReport = now();
    while (emitted < count && results[emitted]) {
      const r = /** @type {{tokens: Uint32Array, bits: Float32Array}} */ (results[emitted]);
      emitted++;
      tokensDone += r.tokens.length;
      onSegmentTokens?.(r.tokens, r.bits, emitted === count);
    }
    let read = 0;
    for (let i = 0; i < count; i++) read += fractions[i] * payloads[i].length;
    onProgress?.({ phase: 'decode', done: tokensDone, fraction: read / Math.max(1, totalBytes) });
  };
  const stop = linkedStop(signal);
  const both = stop.signal;
  const hosts = helpers && workers > 1 ? await helpers.get(workers - 1) : [];
  try {
    await spread(count,
      (i) => decodeSegment(codec, lm, payloads[i], perSegment, { signal: both, onFraction: (f) => onFraction(i, f) }),
      hosts,
      (host, i) => host.call(Kind.segment, { settings: helperSettings(settings), modelIndex: view.modelIndex, decode: { payload: payloads[i], maxTokens: perSegment } }, {
        signal: both, onEvent: (type, out) => { if (type === Kind.progress && out.fraction !== undefined) onFraction(i, out.fraction); },
      }),
      (i, result) => {
        tokensAll += result.tokens.length + 1;
        if (tokensAll > bound) {
          throw new KolmoError('length_over_limit', `the link's segments decode to more tokens than its declared ${view.declaredTextBytes} bytes allow`);
        }
        results[i] = result;
        fractions[i] = 1;
        report();
      },
      (host) => helpers?.markBroken(host), stop);
  } finally {
    stop.release(); // helpers still running (after an error elsewhere) stop
  }
  if (signal?.aborted) throw abortError(signal);
  const all = new Uint32Array(results.reduce((sum, r) => sum + (r?.tokens.length ?? 0), 0));
  let at = 0;
  for (const r of results) {
    all.set(/** @type {any} */ (r).tokens, at);
    at += /** @type {any} */ (r).tokens.length;
  }
  return all;
}

/**
 * Codes a long text's segments (job: a LinkEncodeJob with segmentCount > 0) side by side and
 * hands each payload to the job, which then packs the link (job.run). Returns the segments'
 * stats summed and the bits per token (+ the last EOT), as the core reports a link coded in one job.
 * @param {import('./codec.js').LinkEncodeJob} job
 * @param {{codec: import('./codec.js').Codec, lm: any, helpers: SegmentHelpers|null, workers: number, settings: any,
 *   epsilon?: number, onProgress?: (p: any) => void, signal?: AbortSignal}} options
 * @returns {Promise<{stats: any, bits: Float32Array}>}
 */
export async function encodeSegments(job, { codec, lm, helpers, workers, settings, epsilon, onProgress, signal }) {
  const count = job.segmentCount;
  const ids = Array.from({ length: count }, (_, i) => job.segmentIds(i));
  const total = ids.reduce((sum, s) => sum + s.length + 1, 0);
  const done = new Float64Array(count);
  /** @type {({payload: Uint8Array, stats: any, bits: Float32Array}|undefined)[]} */
  const results = new Array(count);
  let lastReport = 0;
  const report = (force = false) => {
    if (!force && now() - lastReport < 100) return;
    lastReport = now();
    let positions = 0;
    for (let i = 0; i < count; i++) positions += done[i] * (ids[i].length + 1);
    onProgress?.({ phase: 'encode', done: Math.round(positions), total });
  };
  const stop = linkedStop(signal);
  const hosts = helpers && workers > 1 ? await helpers.get(workers - 1) : [];
  try {
    await spread(count,
      (i) => encodeSegment(codec, lm, ids[i], epsilon, { signal: stop.signal, onFraction: (f) => { done[i] = f; report(); } }),
      hosts,
      (host, i) => host.call(Kind.segment, { settings: helperSettings(settings), modelIndex: lm.entry.index, encode: { ids: ids[i], epsilon } }, {
        signal: stop.signal, onEvent: (type, out) => { if (type === Kind.progress && out.fraction !== undefined) { done[i] = out.fraction; report(); } },
      }),
      (i, result) => {
        job.provideSegment(i, result.payload);
        results[i] = result;
        done[i] = 1;
        report(true);
      },
      (host) => helpers?.markBroken(host), stop);
  } finally {
    stop.release();
  }
  if (signal?.aborted) throw abortError(signal);
  /** @type {any} */
  const stats = {};
  /** @type {number[]} */
  const bits = [];
  results.forEach((r, i) => {
    for (const [key, value] of Object.entries(/** @type {any} */ (r).stats)) stats[key] = (stats[key] ?? 0) + value;
    const b = Array.from(/** @type {any} */ (r).bits);
    // One bit count per token and the last EOT: a segment's EOT but the last goes to its last token.
    if (i + 1 < count && b.length >= 2) b[b.length - 2] += /** @type {number} */ (b.pop());
    bits.push(...b);
  });
  return { stats, bits: Float32Array.from(bits) };
}
