// @ts-check
// @file Cooperative pacing of long work: the pipeline awaits pace() between model steps, which
// hands control back to the event loop (a macrotask, not a microtask) once a time slice has
// passed and then throws KolmoError('aborted') if the caller's signal fired. Without it a decode
// on a backend whose inference never leaves the thread (ONNX Runtime Web's WASM in Node, or in a
// page with worker: false) runs as one long chain of microtasks: timers, I/O and
// AbortSignal.timeout() never get to run until the whole link is decoded.
import { abortError } from '../shared/errors.js';

// Work between two yields. Long enough that yielding costs nothing measurable (a yield is a few
// microseconds in Node, tens in browsers), short enough that an abort or a timer waits at most
// this plus one model step.
export const kSliceMs = 20;
/** Positions a link job codes between two checks of the pacer (~15 ms of work on one thread). */
export const kJobSlice = 16;

/** Milliseconds on a monotonic clock where there is one. */
export const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Throws KolmoError('aborted') if the signal fired. @param {AbortSignal|undefined} signal */
export function throwIfAborted(signal) {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * Resolves in a later macrotask, after pending timers, I/O and events have had their turn.
 * Node: setImmediate (after the poll phase; expired timers run on the next loop turn). Browsers
 * and workers: scheduler.yield() where there is one, else a MessageChannel message
 * (setTimeout(0) would be clamped to 4 ms once nested). `behindMessages`: a MessageChannel
 * message even where scheduler.yield() exists — Chromium runs a yield's continuation ahead of
 * queued messages, so a worker that waits for its helpers' replies (segments.js) would not see
 * them until its own work is done.
 * @param {boolean} [behindMessages]
 * @returns {Promise<void>}
 */
export function nextTask(behindMessages = false) {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  const scheduler = /** @type {any} */ (globalThis).scheduler;
  if (!behindMessages && typeof scheduler?.yield === 'function') return scheduler.yield();
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A pacer for one call: `await pace()` between units of work yields once `sliceMs` have passed
 * since the last yield, then checks the signal. behindMessages: see nextTask().
 * @param {AbortSignal|undefined} signal @param {number} [sliceMs] @param {{behindMessages?: boolean}} [options]
 * @returns {() => Promise<void>}
 */
export function pacer(signal, sliceMs = kSliceMs, { behindMessages = false } = {}) {
  let last = now();
  return async () => {
    if (now() - last >= sliceMs) {
      await nextTask(behindMessages);
      last = now();
    }
    throwIfAborted(signal);
  };
}

/**
 * An AbortController that also aborts when `signal` (the caller's) does: work spread over helper
 * threads stops at the caller's abort or at its own first error. release(), when the work is
 * over, detaches it from `signal` and aborts it, so that helpers still running stop.
 * @param {AbortSignal|undefined} signal
 * @returns {AbortController & {release: () => void}}
 */
export function linkedStop(signal) {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  return Object.assign(stop, {
    release: () => {
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
    },
  });
}
