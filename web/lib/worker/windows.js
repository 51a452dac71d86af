// @ts-check
// @file A text coded as one stream, on several threads. Decoding is sequential, encoding is not:
// the model's logits depend only on the window rule (src/session.h contextStart), so the windows
// of one text (src/lm_jobs.h EncoderWindow: at most context / 2 positions each) are independent
// computations; only the coder sessions must run in order (~25% of the work).
//
// This worker's link job codes the windows in order. Helpers — segments.js's pool, started
// through page/hosts.js — compute windows ahead of it (Codec.windowLogits on their own engine)
// and post the logits back, which the job codes instead of computing them. The job computes
// itself any window no helper has claimed, and while it waits for a helper's window it computes
// one further ahead; a helper that cannot start, fails or is slow gives its window back, so no
// helper ever stalls the link. The logits are bit for bit the job's own (the engine gives the
// same logits however its tokens are batched), so the link is byte for byte the one-thread link;
// the job refuses logits computed from other tokens than the window's.
//
// Memory: a window's logits are up to 128 x 8,192 floats (4 MB); helpers stay at most their
// number + 1 windows ahead of the window being coded.
import { KolmoError, abortError } from '../shared/errors.js';
import { Kind } from '../shared/messages.js';
import { kJobSlice, linkedStop, now, pacer } from './pacing.js';
import { helperSettings, isHelperFailure } from './segments.js';

/** The fewest windows for which helpers are asked: below it a text is coded on this thread alone. */
export const kMinHelpedWindows = 3;

/**
 * Whether a link job is coded with helpers: one stream of enough windows, and settings that
 * allow more than one thread.
 * @param {import('./codec.js').LinkEncodeJob} job @param {{workers: number}|undefined} work
 */
export function windowsHelped(job, work) {
  return (work?.workers ?? 1) > 1 && job.segmentCount === 0 && job.windowCount >= kMinHelpedWindows;
}

/**
 * A helper's share: one window of another worker's job, on this worker's engine.
 * @param {import('./codec.js').Codec} codec @param {any} lm a LoadedModel on the core's engine
 * @param {{tokens: Uint32Array, contextTokens: number}} window the window's pass tokens
 * @returns {{tokens: Uint32Array, logits: Float32Array, idHash: string}} the tokens it was
 *   computed from and the model that computed it, for the job to check
 */
export function windowLogits(codec, lm, { tokens, contextTokens }) {
  return { tokens, logits: codec.windowLogits(lm.model.engine, tokens, contextTokens), idHash: lm.entry.id_hash };
}

// Where a window's logits come from.
const kOpen = 0; // nobody has claimed it: this worker computes it when its turn comes
const kHere = 1; // this worker (computing ahead, or coding it)
const kAway = 2; // a helper computes it
const kHeld = 3; // its logits are in the job, waiting for their turn

/** A helper's window is taken back when it is late by this factor of a window's usual time. */
const kLateFactor = 2;
/** Work between two looks at helpers' replies, in ms (a window is ~100-250 ms of work). */
const kReplySliceMs = 4;

/**
 * Runs a LinkEncodeJob of a single-stream text (windowsHelped) to its end: this worker codes
 * the windows in order while helpers compute windows ahead. The caller reads the container.
 * @param {import('./codec.js').LinkEncodeJob} job
 * @param {{lm: any, helpers: import('./segments.js').SegmentHelpers|null, workers: number, settings: any,
 *   onProgress?: (p: any) => void, signal?: AbortSignal}} options
 * @returns {Promise<{helpedWindows: number}>} how many windows helpers computed
 */
export async function encodeWindows(job, { lm, helpers, workers, settings, onProgress, signal }) {
  const count = job.windowCount;
  const source = new Uint8Array(count); // kOpen ...
  const claimedAt = new Float64Array(count);
  const hosts = helpers ? await helpers.get(workers - 1) : [];
  const lookahead = hosts.length + 1;
  let windowMs = NaN; // a window's model time, as measured here and on helpers
  const measured = (/** @type {number} */ ms) => { windowMs = Number.isNaN(windowMs) ? ms : 0.7 * windowMs + 0.3 * ms; };
  // The first open window after the one being coded, within the lookahead.
  const nextOpen = () => {
    const current = job.currentWindow;
    for (let k = current + 1; k < count && k <= current + lookahead; k++) if (source[k] === kOpen) return k;
    return undefined;
  };
  const changed = wakeups(); // a window moved on, arrived or was given back
  const stop = linkedStop(signal);
  stop.signal.addEventListener('abort', changed.wakeAll, { once: true });
  let finished = false;
  let helpedWindows = 0;

  const helperRuns = hosts.map(async (host) => {
    while (!finished && !stop.signal.aborted) {
      const k = nextOpen();
      if (k === undefined) {
        await changed.wait();
        continue;
      }
      source[k] = kAway;
      claimedAt[k] = now();
      try {
        const window = job.window(k);
        const out = await host.call(Kind.segment, {
          settings: helperSettings(settings), modelIndex: lm.entry.index,
          window: { tokens: job.windowTokens(k), contextTokens: window.contextTokens },
        }, { signal: stop.signal });
        if (source[k] !== kAway) continue; // taken back meanwhile: this worker computed it
        if (out.idHash !== lm.entry.id_hash) throw new KolmoError('bad_model', `a helper computed window ${k} with model ${out.idHash}`);
        job.provideWindowLogits(k, out.tokens, out.logits); // refused unless computed from window k's tokens
        source[k] = kHeld;
        helpedWindows++;
        measured(now() - claimedAt[k]);
      } catch (error) {
        // Whatever went wrong, the window goes back to this worker and this helper stops for
        // this link; one that cannot run at all is not asked again.
        if (source[k] === kAway) source[k] = kOpen;
        if (!stop.signal.aborted && isHelperFailure(error)) helpers?.markBroken(host);
        return;
      } finally {
        changed.wakeAll();
      }
    }
  });

  // Yields often, behind messages: a helper's reply is read, and the helper given its next
  // window, within a few ms of its end (a yield costs microseconds).
  const pace = pacer(signal, kReplySliceMs, { behindMessages: true });
  let inlineMs = 0; // run() time of the window being coded, when its logits are computed here
  let preparing = -1; // a window this worker computes ahead, in slices, while a helper has the next
  let preparingMs = 0;
  try {
    for (let done = false; !done;) {
      await pace();
      const k = job.currentWindow;
      if (k < count && !job.windowHasLogits(k) && (source[k] === kAway || preparing >= 0)) {
        // A helper computes the next window: compute one further ahead meanwhile (in slices, so
        // that helpers' replies are read, and helpers given more, as they come), or wait for it
        // while it is not late. A preparation, once begun, is finished first.
        if (preparing < 0) preparing = nextOpen() ?? -1;
        if (preparing >= 0) {
          source[preparing] = kHere;
          const t = now();
          const ready = job.prepareWindow(preparing, kJobSlice);
          preparingMs += now() - t;
          if (ready) {
            source[preparing] = kHeld;
            measured(preparingMs);
            preparing = -1;
            preparingMs = 0;
          }
          continue;
        }
        const late = claimedAt[k] + kLateFactor * (Number.isNaN(windowMs) ? 1000 : windowMs) - now();
        if (late > 0) {
          await changed.wait(late);
          continue;
        }
        source[k] = kHere; // taken back: its result is dropped when it comes
      }
      if (k < count && source[k] === kOpen) source[k] = kHere;
      // Never past the window's end in one slice: the next window may be a helper's.
      const window = k < count ? job.window(k) : null;
      const left = window ? window.first + window.count - 1 - job.positionsDone : kJobSlice;
      const computesHere = window !== null && !job.windowHasLogits(k);
      const t = now();
      done = job.run(Math.min(kJobSlice, left));
      if (computesHere) inlineMs += now() - t;
      if (job.currentWindow !== k) {
        if (inlineMs > 0) measured(inlineMs); // model and coder: a window's time, somewhat over
        inlineMs = 0;
        changed.wakeAll();
      }
      onProgress?.({ phase: 'encode', done: job.positionsDone, total: job.positionsTotal });
    }
  } finally {
    finished = true;
    stop.release(); // a helper still computing (after an error or an abort) stops
    changed.wakeAll();
    await Promise.all(helperRuns);
  }
  if (signal?.aborted) throw abortError(signal);
  return { helpedWindows };
}

/**
 * Waiters woken together: wait() resolves at the next wakeAll(), or after `ms`.
 * @returns {{wait: (ms?: number) => Promise<void>, wakeAll: () => void}}
 */
function wakeups() {
  /** @type {(() => void)[]} */
  let waiting = [];
  return {
    wait: (ms) => new Promise((resolve) => {
      waiting.push(resolve);
      if (ms !== undefined) setTimeout(resolve, ms);
    }),
    wakeAll: () => {
      const woken = waiting;
      waiting = [];
      for (const resolve of woken) resolve();
    },
  };
}
